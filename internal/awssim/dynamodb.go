package awssim

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

func init() {
	register(&service{
		name: "dynamodb", target: "DynamoDB_20120810", throttleCode: "ThrottlingException",
		protocol: awsJSON{errorPrefix: "com.amazonaws.dynamodb.v20120810#", crc32: true},
		ops: map[string]opFunc{
			"DescribeTable":             ddbDescribeTable,
			"ListTables":                ddbListTables,
			"Scan":                      ddbScan,
			"GetItem":                   ddbGetItem,
			"DescribeContinuousBackups": ddbDescribeContinuousBackups,
			"UpdateContinuousBackups":   journaled(inputParam("TableName"), ddbUpdateContinuousBackups),
			"UpdateTable":               journaled(inputParam("TableName"), ddbUpdateTable),
			"RestoreTableToPointInTime": journaled(inputParam("TargetTableName"), ddbRestoreTableToPointInTime),
		},
		advance: ddbAdvance,
	})
	faultAppliers[FaultCorruptedTable] = corruptTable
}

const (
	// pitrLag is how far LatestRestorableDateTime trails the present in AWS. It is scaled like every modeled
	// duration, so a fast demo can restore to just before a corruption it injected a moment ago.
	pitrLag = 5 * time.Minute
	// pitrMaxDays is the default and longest PITR recovery period.
	pitrMaxDays = 35
	// payPerRequestSwitches is how often a table may switch to on-demand in a rolling 24 hours; switching
	// to provisioned is unlimited (AWS, "Considerations when switching capacity modes").
	payPerRequestSwitches = 4
)

func ddbNotFound(name string) error {
	return Errf(400, "ResourceNotFoundException", "Requested resource not found: Table: %s not found", name)
}

// ddbTable finds a table of the caller's region, named by TableName (or an ARN, as AWS also accepts).
func ddbTable(s *Server, c *Call, field string) (*Table, string, error) {
	name := c.Input.Str(field)
	if name == "" {
		return nil, "", Errf(400, "ValidationException", "1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", lowerFirst(field))
	}
	if i := strings.Index(name, ":table/"); strings.HasPrefix(name, "arn:") && i > 0 {
		name = name[i+len(":table/"):]
	}
	t := s.world.Regions[c.Region].Tables[name]
	if t == nil {
		return nil, name, ddbNotFound(name)
	}
	return t, name, nil
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

func ddbAdvance(s *Server, now time.Time) {
	for _, r := range s.world.Regions {
		for _, t := range r.Tables {
			if (t.Status == "CREATING" || t.Status == "UPDATING") && !now.Before(t.ReadyAt) {
				t.Status, t.ReadyAt = "ACTIVE", time.Time{}
			}
		}
	}
}

// liveItems returns the items that exist at t with their attributes then, ordered by key (our stand-in
// for DynamoDB's hash order, stable so pagination is exact).
func liveItems(t *Table, at time.Time) []map[string]any {
	items := append([]*Item(nil), t.Items...)
	sort.Slice(items, func(i, j int) bool { return items[i].Key < items[j].Key })
	var out []map[string]any
	for _, it := range items {
		if a := it.At(at); a != nil {
			out = append(out, a)
		}
	}
	return out
}

func keyOf(t *Table, attrs map[string]any) string {
	if v, ok := attrs[t.KeyAttribute].(map[string]any); ok {
		s, _ := v["S"].(string)
		return s
	}
	return ""
}

func (s *Server) tableDescription(region string, t *Table) map[string]any {
	now := s.now()
	items := liveItems(t, now)
	d := map[string]any{
		"TableName": t.Name, "TableStatus": t.Status, "TableArn": t.ARN, "TableId": stableID(t.ARN),
		"CreationDateTime":     t.CreatedAt,
		"KeySchema":            []any{map[string]any{"AttributeName": t.KeyAttribute, "KeyType": "HASH"}},
		"AttributeDefinitions": []any{map[string]any{"AttributeName": t.KeyAttribute, "AttributeType": "S"}},
		"ItemCount":            int64(len(items)), "TableSizeBytes": int64(len(items) * 64),
		"ProvisionedThroughput": map[string]any{
			"ReadCapacityUnits": t.ReadCap, "WriteCapacityUnits": t.WriteCap, "NumberOfDecreasesToday": 0,
		},
		"DeletionProtectionEnabled": false,
	}
	bm := map[string]any{"BillingMode": t.BillingMode}
	if t.BillingMode == "PAY_PER_REQUEST" {
		last := t.CreatedAt
		if n := len(t.BillingSwitches); n > 0 {
			last = t.BillingSwitches[n-1]
		}
		bm["LastUpdateToPayPerRequestDateTime"] = last
	}
	d["BillingModeSummary"] = bm
	if len(t.Replicas) > 1 {
		// Global tables version 2019.11.21: DescribeTable lists the replicas other than the table asked.
		var reps []any
		for _, r := range t.Replicas {
			if r == region {
				continue
			}
			status := "ACTIVE"
			if rt := s.world.Regions[r].Tables[t.Name]; rt != nil && rt.Status != "ACTIVE" {
				status = rt.Status
			}
			reps = append(reps, map[string]any{"RegionName": r, "ReplicaStatus": status})
		}
		d["Replicas"] = reps
		d["GlobalTableVersion"] = "2019.11.21"
		// Global tables replicate through a stream of new and old images.
		d["StreamSpecification"] = map[string]any{"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"}
	}
	if t.RestoredFrom != "" {
		d["RestoreSummary"] = map[string]any{
			"SourceTableArn": t.RestoredFrom, "RestoreDateTime": t.RestoredTo, "RestoreInProgress": t.Status == "CREATING",
		}
	}
	return d
}

func ddbDescribeTable(s *Server, c *Call) (any, error) {
	t, _, err := ddbTable(s, c, "TableName")
	if err != nil {
		return nil, err
	}
	return map[string]any{"Table": s.tableDescription(c.Region, t)}, nil
}

func ddbListTables(s *Server, c *Call) (any, error) {
	limit := int64(100)
	if l, ok := c.Input.Int("Limit"); ok {
		if l < 1 || l > 100 {
			return nil, Errf(400, "ValidationException", "1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and 100", l)
		}
		limit = l
	}
	start := c.Input.Str("ExclusiveStartTableName")
	names := []any{}
	all := SortedKeys(s.world.Regions[c.Region].Tables)
	out := map[string]any{}
	for i, n := range all {
		if n <= start {
			continue
		}
		names = append(names, n)
		if int64(len(names)) == limit {
			if i < len(all)-1 {
				out["LastEvaluatedTableName"] = n
			}
			break
		}
	}
	out["TableNames"] = names
	return out, nil
}

// dataTable is the table a data-plane call reads: AWS answers ResourceNotFoundException for a table that
// is still CREATING (a restore in progress), not only for a missing one.
func dataTable(s *Server, c *Call) (*Table, error) {
	t, name, err := ddbTable(s, c, "TableName")
	if err != nil {
		return nil, err
	}
	if t.Status == "CREATING" {
		return nil, Errf(400, "ResourceNotFoundException", "Requested resource not found: Table: %s is being created in %s", name, c.Region)
	}
	for _, f := range []string{"FilterExpression", "ScanFilter", "IndexName", "Segment", "KeyConditionExpression"} {
		if c.Input.Has(f) {
			return nil, Errf(400, "ValidationException", "awssim does not model %s on %s (table %s in %s)", f, c.Operation, name, c.Region)
		}
	}
	return t, nil
}

// projection applies a ProjectionExpression of top-level attribute names (with #placeholders).
func projection(c *Call, attrs map[string]any) (map[string]any, error) {
	expr := c.Input.Str("ProjectionExpression")
	if expr == "" {
		return attrs, nil
	}
	names := c.Input.Map("ExpressionAttributeNames")
	out := map[string]any{}
	for _, p := range strings.Split(expr, ",") {
		p = strings.TrimSpace(p)
		if strings.ContainsAny(p, ".[") {
			return nil, Errf(400, "ValidationException", "awssim models only top-level attribute names in ProjectionExpression, not %q", p)
		}
		if strings.HasPrefix(p, "#") {
			n := names.Str(p)
			if n == "" {
				return nil, Errf(400, "ValidationException", "Value provided in ExpressionAttributeNames unused in expressions: keys: {%s}", p)
			}
			p = n
		}
		if v, ok := attrs[p]; ok {
			out[p] = v
		}
	}
	return out, nil
}

func ddbScan(s *Server, c *Call) (any, error) {
	t, err := dataTable(s, c)
	if err != nil {
		return nil, err
	}
	limit := int64(-1)
	if l, ok := c.Input.Int("Limit"); ok {
		if l < 1 {
			return nil, Errf(400, "ValidationException", "1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1", l)
		}
		limit = l
	}
	start := ""
	if k := c.Input.Map("ExclusiveStartKey"); k != nil {
		if start = keyOf(t, k); start == "" {
			return nil, Errf(400, "ValidationException", "The provided starting key is invalid: The provided key element does not match the schema")
		}
	}
	count := c.Input.Str("Select") == "COUNT"
	items := []any{}
	var last string
	for _, a := range liveItems(t, c.Now) {
		k := keyOf(t, a)
		if start != "" && k <= start {
			continue
		}
		if limit >= 0 && int64(len(items)) >= limit {
			break
		}
		last = k
		if count {
			items = append(items, nil)
			continue
		}
		p, err := projection(c, a)
		if err != nil {
			return nil, err
		}
		items = append(items, p)
	}
	out := map[string]any{"Count": len(items), "ScannedCount": len(items)}
	if !count {
		out["Items"] = items
	}
	// DynamoDB stops at Limit without looking further, so a page that fills its Limit always carries a
	// LastEvaluatedKey, even when nothing follows.
	if limit >= 0 && int64(len(items)) == limit {
		out["LastEvaluatedKey"] = map[string]any{t.KeyAttribute: map[string]any{"S": last}}
	}
	return out, nil
}

func ddbGetItem(s *Server, c *Call) (any, error) {
	t, err := dataTable(s, c)
	if err != nil {
		return nil, err
	}
	key := c.Input.Map("Key")
	k := keyOf(t, key)
	if k == "" || len(key) != 1 {
		return nil, Errf(400, "ValidationException", "The provided key element does not match the schema")
	}
	for _, it := range t.Items {
		if it.Key != k {
			continue
		}
		if a := it.At(c.Now); a != nil {
			p, err := projection(c, a)
			if err != nil {
				return nil, err
			}
			return map[string]any{"Item": p}, nil
		}
	}
	return map[string]any{}, nil
}

// pitrWindow is the restorable window of a table with PITR on: from when PITR was enabled (at most the
// recovery period back) to pitrLag before now.
func (s *Server) pitrWindow(t *Table, now time.Time) (earliest, latest time.Time) {
	days := t.PITRDays
	if days == 0 {
		days = pitrMaxDays
	}
	earliest = t.PITRSince
	if floor := now.Add(-time.Duration(days) * 24 * time.Hour); earliest.Before(floor) {
		earliest = floor
	}
	latest = now.Add(-time.Duration(float64(pitrLag) * s.scale))
	if latest.Before(earliest) {
		latest = earliest
	}
	return earliest, latest
}

func (s *Server) continuousBackups(t *Table, now time.Time) map[string]any {
	pitr := map[string]any{"PointInTimeRecoveryStatus": "DISABLED"}
	if t.PITR {
		e, l := s.pitrWindow(t, now)
		days := t.PITRDays
		if days == 0 {
			days = pitrMaxDays
		}
		pitr = map[string]any{"PointInTimeRecoveryStatus": "ENABLED", "EarliestRestorableDateTime": e,
			"LatestRestorableDateTime": l, "RecoveryPeriodInDays": days}
	}
	// Continuous backups are always on in DynamoDB; PITR is the switch.
	return map[string]any{"ContinuousBackupsStatus": "ENABLED", "PointInTimeRecoveryDescription": pitr}
}

func tableNotFound(name, region string) error {
	return Errf(400, "TableNotFoundException", "Table not found: %s (region %s)", name, region)
}

func ddbDescribeContinuousBackups(s *Server, c *Call) (any, error) {
	t, name, err := ddbTable(s, c, "TableName")
	if err != nil {
		if name != "" {
			return nil, tableNotFound(name, c.Region)
		}
		return nil, err
	}
	return map[string]any{"ContinuousBackupsDescription": s.continuousBackups(t, c.Now)}, nil
}

func ddbUpdateContinuousBackups(s *Server, c *Call) (any, error) {
	t, name, err := ddbTable(s, c, "TableName")
	if err != nil {
		if name != "" {
			return nil, tableNotFound(name, c.Region)
		}
		return nil, err
	}
	spec := c.Input.Map("PointInTimeRecoverySpecification")
	enable, ok := spec.Bool("PointInTimeRecoveryEnabled")
	if spec == nil || !ok {
		return nil, Errf(400, "ValidationException", "1 validation error detected: Value null at 'pointInTimeRecoverySpecification.pointInTimeRecoveryEnabled' failed to satisfy constraint: Member must not be null")
	}
	days := t.PITRDays
	if d, ok := spec.Int("RecoveryPeriodInDays"); ok {
		if !enable {
			return nil, Errf(400, "ValidationException", "RecoveryPeriodInDays can only be set when enabling point in time recovery on %s", name)
		}
		if d < 1 || d > pitrMaxDays {
			return nil, Errf(400, "ValidationException", "1 validation error detected: Value '%d' at 'pointInTimeRecoverySpecification.recoveryPeriodInDays' failed to satisfy constraint: Member must have value between 1 and 35", d)
		}
		days = int(d)
		if days == pitrMaxDays {
			days = 0
		}
	}
	if t.Status == "CREATING" {
		return nil, Errf(400, "ContinuousBackupsUnavailableException", "Backups are being enabled for the table: %s. Please retry later", name)
	}
	changed := t.PITR != enable || (enable && days != t.PITRDays)
	switch {
	case enable && !t.PITR:
		t.PITR, t.PITRSince, t.PITRDays = true, c.Now, days
	case enable:
		t.PITRDays = days
	case t.PITR:
		t.PITR, t.PITRSince, t.PITRDays = false, time.Time{}, 0
	}
	s.record(c, name, changed, fmt.Sprintf("pitr=%v", enable))
	return map[string]any{"ContinuousBackupsDescription": s.continuousBackups(t, c.Now)}, nil
}

func inUse(t *Table) error {
	what := "updated"
	if t.Status == "CREATING" {
		what = "created"
	}
	return Errf(400, "ResourceInUseException", "Attempt to change a resource which is still in use: Table is being %s: %s", what, t.Name)
}

func ddbUpdateTable(s *Server, c *Call) (any, error) {
	t, name, err := ddbTable(s, c, "TableName")
	if err != nil {
		return nil, err
	}
	for _, f := range []string{"GlobalSecondaryIndexUpdates", "ReplicaUpdates", "StreamSpecification", "SSESpecification", "AttributeDefinitions", "TableClass", "OnDemandThroughput", "WarmThroughput", "DeletionProtectionEnabled"} {
		if c.Input.Has(f) {
			return nil, Errf(400, "ValidationException", "awssim does not model UpdateTable %s (table %s in %s)", f, name, c.Region)
		}
	}
	mode := c.Input.Str("BillingMode")
	pt := c.Input.Map("ProvisionedThroughput")
	if mode == "" && pt == nil {
		return nil, Errf(400, "ValidationException", "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required")
	}
	if t.Status != "ACTIVE" {
		return nil, inUse(t)
	}
	if mode == "" {
		mode = t.BillingMode
	}
	if mode != "PROVISIONED" && mode != "PAY_PER_REQUEST" {
		return nil, Errf(400, "ValidationException", "1 validation error detected: Value '%s' at 'billingMode' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]", mode)
	}
	var rcu, wcu int64
	switch mode {
	case "PAY_PER_REQUEST":
		if pt != nil {
			return nil, Errf(400, "ValidationException", "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
		}
		if t.BillingMode == mode {
			// AWS's wording for this case is not published; the code is what its SDKs see.
			return nil, Errf(400, "ValidationException", "Table %s in %s is already in PAY_PER_REQUEST billing mode", name, c.Region)
		}
		var recent []time.Time
		for _, at := range t.BillingSwitches {
			if c.Now.Sub(at) < 24*time.Hour {
				recent = append(recent, at)
			}
		}
		if len(recent) >= payPerRequestSwitches {
			return nil, Errf(400, "LimitExceededException", "Subscriber limit exceeded: Update to PayPerRequest mode are limited to %d times in 1 day(s). Last update at %s. Next update can be made at %s",
				payPerRequestSwitches, recent[len(recent)-1].UTC().Format(time.UnixDate), recent[0].Add(24*time.Hour).UTC().Format(time.UnixDate))
		}
	case "PROVISIONED":
		if pt == nil {
			if t.BillingMode == "PAY_PER_REQUEST" {
				return nil, Errf(400, "ValidationException", "One or more parameter values were invalid: ProvisionedThroughput must be specified when BillingMode is PROVISIONED")
			}
			rcu, wcu = t.ReadCap, t.WriteCap
		} else {
			var okR, okW bool
			rcu, okR = pt.Int("ReadCapacityUnits")
			wcu, okW = pt.Int("WriteCapacityUnits")
			for _, v := range []struct {
				field string
				n     int64
				ok    bool
			}{{"readCapacityUnits", rcu, okR}, {"writeCapacityUnits", wcu, okW}} {
				if !v.ok {
					return nil, Errf(400, "ValidationException", "1 validation error detected: Value null at 'provisionedThroughput.%s' failed to satisfy constraint: Member must not be null", v.field)
				}
				if v.n < 1 {
					return nil, Errf(400, "ValidationException", "1 validation error detected: Value '%d' at 'provisionedThroughput.%s' failed to satisfy constraint: Member must have value greater than or equal to 1", v.n, v.field)
				}
			}
		}
		if t.BillingMode == mode && rcu == t.ReadCap && wcu == t.WriteCap {
			return nil, Errf(400, "ValidationException", "The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the table: %d. Requested ReadCapacityUnits: %d. Current WriteCapacityUnits provisioned for the table: %d. Requested WriteCapacityUnits: %d. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.",
				t.ReadCap, rcu, t.WriteCap, wcu)
		}
	}
	// A global table keeps billing mode and capacity aligned across its replicas, so the change lands in
	// every replica region.
	ready := s.after(s.durations.TableUpdate)
	for _, r := range t.Replicas {
		rt := s.world.Regions[r].Tables[name]
		if rt == nil {
			continue
		}
		if mode == "PAY_PER_REQUEST" && rt.BillingMode != mode {
			rt.BillingSwitches = append(rt.BillingSwitches, c.Now)
		}
		rt.BillingMode, rt.ReadCap, rt.WriteCap = mode, rcu, wcu
		rt.Status, rt.ReadyAt, rt.CapacityChangedAt = "UPDATING", ready, ready
	}
	s.record(c, name, true, fmt.Sprintf("billing=%s read=%d write=%d", mode, rcu, wcu))
	return map[string]any{"TableDescription": s.tableDescription(c.Region, t)}, nil
}

func ddbRestoreTableToPointInTime(s *Server, c *Call) (any, error) {
	target := c.Input.Str("TargetTableName")
	if target == "" {
		return nil, Errf(400, "ValidationException", "1 validation error detected: Value null at 'targetTableName' failed to satisfy constraint: Member must not be null")
	}
	field := "SourceTableName"
	if !c.Input.Has(field) {
		field = "SourceTableArn"
	}
	reg := s.world.Regions[c.Region]
	if existing := reg.Tables[target]; existing != nil {
		if existing.Status == "CREATING" {
			return nil, Errf(400, "TableInUseException", "Table is being created: %s (region %s)", target, c.Region)
		}
		return nil, Errf(400, "TableAlreadyExistsException", "Table already exists: %s (region %s)", target, c.Region)
	}
	src, name, err := ddbTable(s, c, field)
	if err != nil {
		if name != "" {
			return nil, tableNotFound(name, c.Region)
		}
		return nil, Errf(400, "ValidationException", "One of SourceTableName or SourceTableArn is required")
	}
	if !src.PITR {
		return nil, Errf(400, "PointInTimeRecoveryUnavailableException", "Point in time recovery is not enabled for table '%s' in %s", name, c.Region)
	}
	earliest, latest := s.pitrWindow(src, c.Now)
	useLatest, _ := c.Input.Bool("UseLatestRestorableTime")
	at, hasTime := c.Input.Time("RestoreDateTime")
	switch {
	case useLatest && hasTime:
		return nil, Errf(400, "ValidationException", "Only one of RestoreDateTime or UseLatestRestorableTime can be specified")
	case useLatest:
		at = latest
	case !hasTime:
		return nil, Errf(400, "ValidationException", "Either RestoreDateTime or UseLatestRestorableTime must be specified")
	case at.Before(earliest) || at.After(latest):
		return nil, Errf(400, "InvalidRestoreTimeException", "Restore time %s is outside the restorable window of table %s in %s: EarliestRestorableDateTime %s, LatestRestorableDateTime %s",
			at.UTC().Format(time.RFC3339), name, c.Region, earliest.UTC().Format(time.RFC3339), latest.UTC().Format(time.RFC3339))
	}
	t := &Table{
		Name: target, ARN: fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", c.Region, s.world.AccountID, target),
		Status: "CREATING", ReadyAt: s.after(s.durations.TableRestore), CreatedAt: c.Now, KeyAttribute: src.KeyAttribute,
		BillingMode: src.BillingMode, ReadCap: src.ReadCap, WriteCap: src.WriteCap,
		// AWS does not carry PITR or global-table membership over to a restored table.
		Replicas: []string{c.Region}, RestoredFrom: src.ARN, RestoredTo: at,
	}
	if m := c.Input.Str("BillingModeOverride"); m != "" {
		t.BillingMode = m
		if m == "PAY_PER_REQUEST" {
			t.ReadCap, t.WriteCap = 0, 0
		}
	}
	if pt := c.Input.Map("ProvisionedThroughputOverride"); pt != nil {
		if t.BillingMode != "PROVISIONED" {
			return nil, Errf(400, "ValidationException", "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
		}
		t.ReadCap, _ = pt.Int("ReadCapacityUnits")
		t.WriteCap, _ = pt.Int("WriteCapacityUnits")
	} else if t.BillingMode == "PROVISIONED" && t.ReadCap == 0 {
		return nil, Errf(400, "ValidationException", "One or more parameter values were invalid: ProvisionedThroughputOverride must be specified when BillingModeOverride is PROVISIONED")
	}
	for _, it := range src.Items {
		if a := it.At(at); a != nil {
			t.Items = append(t.Items, &Item{Key: it.Key, Versions: []ItemVersion{{At: c.Now, Attrs: cloneAttrs(a)}}})
		}
	}
	reg.Tables[target] = t
	s.record(c, target, true, fmt.Sprintf("restored from %s to %s", name, at.UTC().Format(time.RFC3339)))
	return map[string]any{"TableDescription": s.tableDescription(c.Region, t)}, nil
}

func cloneAttrs(a map[string]any) map[string]any {
	out := make(map[string]any, len(a))
	for k, v := range a {
		if m, ok := v.(map[string]any); ok {
			v = cloneAttrs(m)
		}
		out[k] = v
	}
	return out
}

// corruptTable rewrites every other item of the table (by key order) at f.At: status "corrupted" and the
// version bumped, as a bad deploy writing garbage would. A global table replicates the writes, so every
// replica gets them, the ones away from the origin region after the configured replication lag.
func corruptTable(s *Server, f *Fault) error {
	origin := f.Region
	if origin == "" {
		origin = s.topo.PrimaryRegion
	}
	lag := s.replicationLag()
	hit := 0
	for _, r := range SortedKeys(s.world.Regions) {
		t := s.world.Regions[r].Tables[f.Table]
		if t == nil {
			continue
		}
		at := f.At
		if r != origin {
			at = at.Add(lag)
		}
		items := append([]*Item(nil), t.Items...)
		sort.Slice(items, func(i, j int) bool { return items[i].Key < items[j].Key })
		for i, it := range items {
			cur := it.At(at)
			if i%2 == 1 || cur == nil {
				continue
			}
			bad := cloneAttrs(cur)
			bad["status"] = map[string]any{"S": "corrupted"}
			v := int64(0)
			if n, ok := cur["version"].(map[string]any); ok {
				v, _ = strconv.ParseInt(fmt.Sprint(n["N"]), 10, 64)
			}
			bad["version"] = map[string]any{"N": strconv.FormatInt(v+1, 10)}
			it.Versions = insertVersion(it.Versions, ItemVersion{At: at, Attrs: bad})
		}
		hit++
	}
	if hit == 0 {
		return fmt.Errorf("table: %q exists in no region of this world", f.Table)
	}
	return nil
}

// insertVersion keeps versions ordered by time, which Item.At relies on, even for a backdated fault.
func insertVersion(vs []ItemVersion, v ItemVersion) []ItemVersion {
	i := sort.Search(len(vs), func(i int) bool { return vs[i].At.After(v.At) })
	vs = append(vs, ItemVersion{})
	copy(vs[i+1:], vs[i:])
	vs[i] = v
	return vs
}
