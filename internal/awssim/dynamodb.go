package awssim

import (
	"fmt"
	"time"
)

// DynamoDB speaks awsJson 1.0 and signs each response body with a CRC32, which the SDKs check. The control
// plane a failover or a restore uses is modeled (tables, PITR, capacity, restores); of the data plane, only
// the reads an integrity check needs (Scan, GetItem).
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
			"DescribeTimeToLive":        ddbDescribeTimeToLive,
			"UpdateTimeToLive":          journaled(inputParam("TableName"), ddbUpdateTimeToLive),
			"TagResource":               journaled(inputParam("ResourceArn"), ddbTagResource),
			"ListTagsOfResource":        ddbListTagsOfResource,
		},
		advance: ddbAdvance,
	})
	faultAppliers[FaultCorruptedTable] = corruptTable
}

func ddbDescribeTable(s *Server, c *Call) (any, error) {
	t, name, err := ddbTable(s, c, "TableName")
	if err != nil {
		return nil, err
	}
	if c.Now.Before(t.VisibleAt) {
		// Eventually consistent: the restore has answered, but DescribeTable does not see the table yet.
		return nil, ddbNotFound(name)
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

// backupsTable is the table a continuous-backups call names; those calls answer TableNotFoundException for a
// missing table, not the ResourceNotFoundException of the other table APIs.
func backupsTable(s *Server, c *Call) (*Table, string, error) {
	t, name, err := ddbTable(s, c, "TableName")
	if err != nil && name != "" {
		return nil, name, tableNotFound(name, c.Region)
	}
	return t, name, err
}

func ddbDescribeContinuousBackups(s *Server, c *Call) (any, error) {
	t, _, err := backupsTable(s, c)
	if err != nil {
		return nil, err
	}
	return map[string]any{"ContinuousBackupsDescription": s.continuousBackups(t, c.Now)}, nil
}

func ddbUpdateContinuousBackups(s *Server, c *Call) (any, error) {
	t, name, err := backupsTable(s, c)
	if err != nil {
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
	changed := t.setPITR(enable, days, c.Now)
	s.record(c, name, changed, fmt.Sprintf("pitr=%v", enable))
	return map[string]any{"ContinuousBackupsDescription": s.continuousBackups(t, c.Now)}, nil
}

func ddbUpdateTable(s *Server, c *Call) (any, error) {
	t, name, err := ddbTable(s, c, "TableName")
	if err != nil {
		return nil, err
	}
	for _, f := range []string{"GlobalSecondaryIndexUpdates", "ReplicaUpdates", "SSESpecification", "AttributeDefinitions", "TableClass", "OnDemandThroughput", "WarmThroughput"} {
		if c.Input.Has(f) {
			return nil, Errf(400, "ValidationException", "awssim does not model UpdateTable %s (table %s in %s)", f, name, c.Region)
		}
	}
	settings, err := tableSettingsUpdate(t, c)
	if err != nil {
		return nil, err
	}
	mode := c.Input.Str("BillingMode")
	pt := c.Input.Map("ProvisionedThroughput")
	if mode == "" && pt == nil && settings != nil {
		s.record(c, name, true, settings(c.Now))
		return map[string]any{"TableDescription": s.tableDescription(c.Region, t)}, nil
	}
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
		if recent := t.recentPayPerRequestSwitches(c.Now); len(recent) >= payPerRequestSwitches {
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
		if len(t.Replicas) > 1 && !s.tableWriteAutoScaled(c.Region, name) {
			// DynamoDB Developer Guide, global tables best practices: a global table is on-demand, or
			// provisioned with write auto scaling; AWS refuses manually managed write capacity.
			return nil, Errf(400, "ValidationException", "Table write capacity should either be Pay-Per-Request or AutoScaled")
		}
		if t.BillingMode == mode && rcu == t.ReadCap && wcu == t.WriteCap {
			return nil, Errf(400, "ValidationException", "The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the table: %d. Requested ReadCapacityUnits: %d. Current WriteCapacityUnits provisioned for the table: %d. Requested WriteCapacityUnits: %d. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.",
				t.ReadCap, rcu, t.WriteCap, wcu)
		}
	}
	detail := fmt.Sprintf("billing=%s read=%d write=%d", mode, rcu, wcu)
	if settings != nil {
		detail += " " + settings(c.Now)
	}
	s.ddbSetCapacity(t, mode, rcu, wcu, c.Now)
	s.record(c, name, true, detail)
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
		Status: "CREATING", ReadyAt: s.after(s.durations.TableRestore), VisibleAt: s.after(s.durations.TableVisible), CreatedAt: c.Now, KeyAttribute: src.KeyAttribute,
		BillingMode: src.BillingMode, ReadCap: src.ReadCap, WriteCap: src.WriteCap,
		// AWS carries neither PITR, global-table membership nor TableSettings over to a restored table.
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
