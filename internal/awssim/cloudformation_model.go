package awssim

import (
	"fmt"
	"time"

	"github.com/roadcall/dr/internal/topology"
)

// The CloudFormation model: the DR standby stacks, their parameters and events, and how an update moves
// through its statuses in time.

type Stack struct {
	Name        string            `json:"name"`
	ID          string            `json:"id"`
	Status      string            `json:"status"`
	ReadyAt     time.Time         `json:"readyAt,omitzero"`
	NextStatus  string            `json:"nextStatus,omitempty"`
	Parameters  map[string]string `json:"parameters"`
	CreatedAt   time.Time         `json:"createdAt"`
	LastUpdated time.Time         `json:"lastUpdated,omitzero"`
	// FailNextUpdate makes the next UpdateStack roll back, as a broken template would.
	FailNextUpdate bool `json:"failNextUpdate,omitempty"`
	// Events are newest last; DescribeStackEvents returns them newest first.
	Events []*StackEvent `json:"events,omitempty"`
}

// seedCloudFormation deploys the DR standby stacks in every region, scaled down (DrMode=false).
func seedCloudFormation(w *World, t topology.Topology, born time.Time) {
	for _, name := range t.Stacks.Names {
		for _, r := range t.Regions() {
			mode := "false"
			w.Regions[r].Stacks[name] = &Stack{
				Name: name, ID: fmt.Sprintf("arn:aws:cloudformation:%s:%s:stack/%s/%s", r, t.AccountID, name, stableID(name+r)),
				Status: "CREATE_COMPLETE", CreatedAt: born,
				Parameters: map[string]string{t.Stacks.DRModeParameter: mode, "Stage": t.Stage},
			}
		}
	}
}
