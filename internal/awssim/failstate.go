package awssim

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// FaultFailureState puts a resource in a terminal failure state, so tests can prove that a wait stops at
// once instead of polling a dead restore until its timeout: service, resource, state [, region].
//   - rds: the DB cluster or instance named resource goes to state at the next read (at once if it exists,
//     else as soon as a restore or CreateDBInstance creates it);
//   - dynamodb: likewise for the table named resource (a restore that fails);
//   - cloudformation: the next update of the stack named resource (or the one in flight when added) ends
//     in state, its parameters unchanged, as a failed update leaves them.
//
// It fires once: the resource keeps the state, as in AWS, even after the fault is removed.
const FaultFailureState = "failure-state"

// failureStates are the states a failure-state fault may use, per service: the failure acceptors of the
// SDK's waiters for them (botocore's DBClusterAvailable and DBInstanceAvailable, StackUpdateComplete), and
// for DynamoDB, whose TableExists waiter has none, the TableStatus values from which a table never becomes
// ACTIVE. "deleted" is left out: a deleted resource is not described at all.
var failureStates = map[string][]string{
	"rds":            {"failed", "incompatible-restore", "incompatible-parameters", "incompatible-network", "deleting"},
	"dynamodb":       {"DELETING", "INACCESSIBLE_ENCRYPTION_CREDENTIALS", "ARCHIVING", "ARCHIVED"},
	"cloudformation": {"UPDATE_FAILED", "UPDATE_ROLLBACK_FAILED", "UPDATE_ROLLBACK_COMPLETE"},
}

func init() { faultKinds = append(faultKinds, FaultFailureState) }

// validFailureState checks a failure-state fault; call with the lock held.
func (s *Server) validFailureState(f *Fault) error {
	states, ok := failureStates[f.Service]
	if !ok {
		return fmt.Errorf("service: %q cannot be put in a failure state; use one of %s", f.Service, strings.Join(SortedKeys(failureStates), ", "))
	}
	if f.Resource == "" {
		return fmt.Errorf("resource: name the cluster, instance, table or stack")
	}
	if !slices.Contains(states, f.State) {
		return fmt.Errorf("state: %q is not a failure state of %s; use one of %s", f.State, f.Service, strings.Join(states, ", "))
	}
	if _, known := s.world.Regions[f.Region]; f.Region != "" && !known {
		return fmt.Errorf("region: %q is not a region of this world", f.Region)
	}
	return nil
}

// pendingFailureState returns the unfired failure-state fault for a resource of a service in a region and
// marks it fired; call with the lock held.
func (s *Server) pendingFailureState(service, region, resource string) string {
	for _, f := range s.faultsOf(FaultFailureState) {
		if f.Service == service && f.Resource == resource && (f.Region == "" || f.Region == region) && f.Fired == 0 {
			f.Fired++
			return f.State
		}
	}
	return ""
}

// applyFailureStates puts the RDS and DynamoDB resources that failure-state faults name into their state,
// once they exist, and ends a named stack's update in flight. It runs before every advance (so even at time
// scale 0, where an update or restore completes on the next read, the failure wins); call with the lock held.
func (s *Server) applyFailureStates() {
	if len(s.faultsOf(FaultFailureState)) == 0 {
		return
	}
	for _, rn := range SortedKeys(s.world.Regions) {
		reg := s.world.Regions[rn]
		for _, id := range SortedKeys(reg.Clusters) {
			if st := s.pendingFailureState("rds", rn, id); st != "" {
				cl := reg.Clusters[id]
				cl.Status, cl.NextStatus, cl.ReadyAt = st, "", time.Time{}
			}
		}
		for _, id := range SortedKeys(reg.Instances) {
			if st := s.pendingFailureState("rds", rn, id); st != "" {
				in := reg.Instances[id]
				in.Status, in.ReadyAt = st, time.Time{}
			}
		}
		for _, name := range SortedKeys(reg.Tables) {
			if st := s.pendingFailureState("dynamodb", rn, name); st != "" {
				t := reg.Tables[name]
				t.Status, t.ReadyAt = st, time.Time{}
			}
		}
		for _, name := range SortedKeys(reg.Stacks) {
			if st := reg.Stacks[name]; st.Status == "UPDATE_IN_PROGRESS" && st.NextStatus != "" {
				if state := s.pendingFailureState("cloudformation", rn, name); state != "" {
					st.failUpdate(state, st.ReadyAt)
				}
			}
		}
	}
}

// failUpdate makes the update in flight end in state, with the parameters it started from: UPDATE_FAILED
// directly (as with rollback disabled), or through a rollback that ends in UPDATE_ROLLBACK_COMPLETE or
// UPDATE_ROLLBACK_FAILED.
func (st *Stack) failUpdate(state string, at time.Time) {
	if st.PreviousParameters != nil {
		st.Parameters = st.PreviousParameters
	}
	st.FailTo, st.NextStatus, st.ReadyAt = state, "UPDATE_ROLLBACK_IN_PROGRESS", at
	if state == "UPDATE_FAILED" {
		st.NextStatus = state
	}
}
