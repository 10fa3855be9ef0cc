package awssim

import (
	"fmt"
	"strings"
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
	// PreviousParameters are the parameters before the update in flight, which a failed update returns to.
	PreviousParameters map[string]string `json:"previousParameters,omitempty"`
	// FailTo is the failure state a failure-state fault makes the update in flight end in.
	FailTo string `json:"failTo,omitempty"`
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

// StackEvent is one stack-level event, as DescribeStackEvents reports it.
type StackEvent struct {
	ID     string    `json:"id"`
	At     time.Time `json:"at"`
	Status string    `json:"status"`
	Reason string    `json:"reason,omitempty"`
}

// cfnLegs is how an update moves on after its first leg: each status lasts its share of StackUpdate and then
// gives way to the next. The first leg (UPDATE_IN_PROGRESS) takes the rest, and its successor is chosen when
// the update starts (Stack.NextStatus), because that is where success and rollback part.
var cfnLegs = map[string]struct {
	next  string
	share float64
}{
	"UPDATE_COMPLETE_CLEANUP_IN_PROGRESS":          {"UPDATE_COMPLETE", 0.1},
	"UPDATE_ROLLBACK_IN_PROGRESS":                  {"UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", 0.3},
	"UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS": {"UPDATE_ROLLBACK_COMPLETE", 0.1},
}

// cfnFailureReason is what the stack reports when FailNextUpdate made an update roll back.
const cfnFailureReason = "The following resource(s) failed to update: [ServiceActivation]. (awssim: FailNextUpdate)"

// cfnUpdatable are the states from which AWS accepts UpdateStack.
var cfnUpdatable = map[string]bool{
	"CREATE_COMPLETE": true, "UPDATE_COMPLETE": true, "UPDATE_ROLLBACK_COMPLETE": true, "IMPORT_COMPLETE": true, "IMPORT_ROLLBACK_COMPLETE": true,
}

func (s *Server) cfnEvent(st *Stack, at time.Time, reason string) {
	if strings.HasPrefix(st.Status, "UPDATE_ROLLBACK_IN_PROGRESS") {
		reason = cfnFailureReason
	}
	st.Events = append(st.Events, &StackEvent{
		ID: fmt.Sprintf("%s-%04d", stableID(st.ID), len(st.Events)+1), At: at, Status: st.Status, Reason: reason,
	})
}

// cfnAdvance walks each updating stack through as many legs as have elapsed, so a zero time scale finishes an
// update on the next read while every intermediate status still leaves its event.
func cfnAdvance(s *Server, now time.Time) {
	for _, rn := range SortedKeys(s.world.Regions) {
		for _, st := range s.world.Regions[rn].Stacks {
			for st.NextStatus != "" && !now.Before(st.ReadyAt) {
				at := st.ReadyAt
				st.Status, st.NextStatus = st.NextStatus, ""
				s.cfnEvent(st, at, "")
				if leg, ok := cfnLegs[st.Status]; ok {
					st.NextStatus = leg.next
					if st.Status == "UPDATE_ROLLBACK_IN_PROGRESS" && st.FailTo == "UPDATE_ROLLBACK_FAILED" {
						st.NextStatus = st.FailTo
					}
					st.ReadyAt = at.Add(time.Duration(leg.share * float64(s.durations.StackUpdate) * s.scale))
				} else {
					st.ReadyAt, st.FailTo = time.Time{}, ""
				}
			}
		}
	}
}
