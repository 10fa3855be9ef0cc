package awssim

import (
	"fmt"
	"strings"
	"time"

	"github.com/roadcall/dr/internal/topology"
)

// The DynamoDB model: global tables with every version of every item, so a point-in-time restore really
// differs from a corrupted table; how they are seeded and moved on by time.

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

// seedDynamoDB gives every region its replica of each topology table: a global table on demand, with PITR on
// since the platform's history began and SeedItems items written then.
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
			}
		}
	}
}
