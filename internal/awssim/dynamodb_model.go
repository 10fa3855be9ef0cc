package awssim

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/roadcall/dr/internal/topology"
)

// The DynamoDB model: global tables with every version of every item, so a point-in-time restore really
// differs from a corrupted table; how they are seeded and moved on by time.

const (
	// pitrLag is how far LatestRestorableDateTime trails the present in AWS. It is scaled like every modeled
	// duration, so a fast demo can restore to just before a corruption it injected a moment ago.
	pitrLag = 5 * time.Minute
	// pitrMaxDays is the default and longest PITR recovery period.
	pitrMaxDays = 35
	// payPerRequestSwitches is how often AWS lets a table switch to on-demand in a rolling 24 hours;
	// switching to provisioned is unlimited.
	payPerRequestSwitches = 4
)

// Table is one region's copy of a DynamoDB table (a global table has one per replica region).
type Table struct {
	Name         string    `json:"name"`
	ARN          string    `json:"arn"`
	Status       string    `json:"status"` // CREATING, UPDATING, ACTIVE
	ReadyAt      time.Time `json:"readyAt,omitzero"`
	CreatedAt    time.Time `json:"createdAt"`
	KeyAttribute string    `json:"keyAttribute"`
	BillingMode  string    `json:"billingMode"` // PAY_PER_REQUEST or PROVISIONED
	ReadCap      int64     `json:"readCapacity"`
	WriteCap     int64     `json:"writeCapacity"`
	// BillingSwitches records the switches to PAY_PER_REQUEST: AWS allows four in a rolling 24 hours
	// (switching to PROVISIONED is unlimited).
	BillingSwitches []time.Time `json:"billingSwitches,omitempty"`
	// CapacityChangedAt is when the last UpdateTable's billing mode and capacity took effect, so metrics
	// can show the effect of a scale-up from that moment on.
	CapacityChangedAt time.Time `json:"capacityChangedAt,omitzero"`
	PITR              bool      `json:"pitr"`
	PITRSince         time.Time `json:"pitrSince,omitzero"`
	// PITRDays is the PITR recovery period; 0 means AWS's default and maximum, 35.
	PITRDays int `json:"pitrDays,omitempty"`
	// Replicas lists every region holding the global table, this one included.
	Replicas []string `json:"replicas"`
	Items    []*Item  `json:"items"`
	// RestoredFrom and RestoredTo are set on a table made by RestoreTableToPointInTime.
	RestoredFrom string    `json:"restoredFrom,omitempty"`
	RestoredTo   time.Time `json:"restoredTo,omitzero"`
	// VisibleAt is when DescribeTable first finds a just-restored table (Durations.TableVisible).
	VisibleAt time.Time `json:"visibleAt,omitzero"`
	// The settings a point-in-time restore does not carry over (dynamodb_settings.go).
	TableSettings
}

// Item keeps every version of one item so a point-in-time restore really differs from a corrupted table.
type Item struct {
	Key      string        `json:"key"`
	Versions []ItemVersion `json:"versions"`
}

type ItemVersion struct {
	At time.Time `json:"at"`
	// Attrs is the item in DynamoDB JSON (attribute name → {"S": "..."} etc.); nil means deleted.
	Attrs map[string]any `json:"attrs"`
}

// At returns the item as it was at t, or nil if it did not exist then.
func (it *Item) At(t time.Time) map[string]any {
	var cur map[string]any
	for _, v := range it.Versions {
		if v.At.After(t) {
			break
		}
		cur = v.Attrs
	}
	return cur
}

// Latest returns the current version, or nil when deleted.
func (it *Item) Latest() map[string]any {
	if len(it.Versions) == 0 {
		return nil
	}
	return it.Versions[len(it.Versions)-1].Attrs
}

// SeedItems is how many items each seeded table holds.
const SeedItems = 20

func seedItems(tb topology.Table, key string, born time.Time) []*Item {
	prefix := "ITEM"
	for _, k := range tb.IntegrityKeys {
		if v, ok := k[key]; ok {
			if i := strings.IndexByte(v, '#'); i > 0 {
				prefix = v[:i]
			}
		}
	}
	items := make([]*Item, 0, SeedItems)
	for i := 1; i <= SeedItems; i++ {
		k := fmt.Sprintf("%s#%04d", prefix, i)
		items = append(items, &Item{Key: k, Versions: []ItemVersion{{At: born, Attrs: map[string]any{
			key:       map[string]any{"S": k},
			"status":  map[string]any{"S": "ok"},
			"version": map[string]any{"N": "1"},
		}}}})
	}
	return items
}

// seedDynamoDB gives every region its replica of each topology table: a global table on demand (but for the
// one seedAutoScaling provisions), with PITR on since the platform's history began and SeedItems items
// written then.
func seedDynamoDB(w *World, t topology.Topology, born time.Time) {
	for _, r := range t.Regions() {
		for _, tb := range t.Tables {
			key := "pk"
			for _, k := range tb.IntegrityKeys {
				for name := range k {
					key = name
				}
			}
			w.Regions[r].Tables[tb.Name] = &Table{
				Name: tb.Name, ARN: fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", r, t.AccountID, tb.Name),
				Status: "ACTIVE", CreatedAt: born, KeyAttribute: key, BillingMode: "PAY_PER_REQUEST",
				PITR: true, PITRSince: born, Replicas: t.Regions(), Items: seedItems(tb, key, born),
				TableSettings: seedTableSettings(tb.Name, len(t.Regions()) > 1, born),
			}
		}
	}
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

func ddbNotFound(name string) error {
	return Errf(400, "ResourceNotFoundException", "Requested resource not found: Table: %s not found", name)
}

func tableNotFound(name, region string) error {
	return Errf(400, "TableNotFoundException", "Table not found: %s (region %s)", name, region)
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

func inUse(t *Table) error {
	what := "updated"
	if t.Status == "CREATING" {
		what = "created"
	}
	return Errf(400, "ResourceInUseException", "Attempt to change a resource which is still in use: Table is being %s: %s", what, t.Name)
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

// setPITR turns point-in-time recovery on or off, with days as the recovery period (0 for the maximum), and
// reports whether that changed anything. Turning it on starts the restorable window now.
func (t *Table) setPITR(enable bool, days int, now time.Time) bool {
	changed := t.PITR != enable || (enable && days != t.PITRDays)
	switch {
	case enable && !t.PITR:
		t.PITR, t.PITRSince, t.PITRDays = true, now, days
	case enable:
		t.PITRDays = days
	case t.PITR:
		t.PITR, t.PITRSince, t.PITRDays = false, time.Time{}, 0
	}
	return changed
}

// recentPayPerRequestSwitches are the switches to on-demand in the rolling 24 hours before now, oldest first.
func (t *Table) recentPayPerRequestSwitches(now time.Time) []time.Time {
	var recent []time.Time
	for _, at := range t.BillingSwitches {
		if now.Sub(at) < 24*time.Hour {
			recent = append(recent, at)
		}
	}
	return recent
}

// ddbSetCapacity starts a billing-mode and capacity change. A global table keeps billing mode and capacity
// aligned across its replicas, so the change lands in every replica region.
func (s *Server) ddbSetCapacity(t *Table, mode string, rcu, wcu int64, now time.Time) {
	ready := s.after(s.durations.TableUpdate)
	for _, r := range t.Replicas {
		rt := s.world.Regions[r].Tables[t.Name]
		if rt == nil {
			continue
		}
		if mode == "PAY_PER_REQUEST" && rt.BillingMode != mode {
			rt.BillingSwitches = append(rt.BillingSwitches, now)
		}
		rt.BillingMode, rt.ReadCap, rt.WriteCap = mode, rcu, wcu
		rt.Status, rt.ReadyAt, rt.CapacityChangedAt = "UPDATING", ready, ready
	}
}
