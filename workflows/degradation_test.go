package workflows

import (
	"context"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/topology"
)

// degradationFake is a small model of the platform behind mocked activities: reserved concurrency and
// table capacity as state, and metrics derived from it with awssim's recovery rule (a degraded function
// recovers at reserved concurrency >= 100, a throttled table when PROVISIONED with >= 100 read and write
// units). The model's state is behind fakeEnv's mu: the workflow runs activities concurrently.
type degradationFake struct {
	fakeEnv
	reserved map[string]*int32
	capacity map[string]activities.TableCapacity
	degraded map[string]bool
	throttle map[string]bool
	// stubborn: scaling does not help (the no-recovery branch).
	stubborn bool
	// metricRegions are the regions CloudWatch was read in.
	metricRegions map[string]bool
	changes       []string
	// userErrors is the region's DynamoDB UserErrors per minute.
	userErrors float64
	// putRefusal makes PutFunctionConcurrency fail as AWS does above the unreserved floor.
	putRefusal bool
	// fallbackStatus is what the fallback health URL answers (0: 200).
	fallbackStatus int
	// autoScaled runs the degAutoScaling branch; false replays the branch of runs recorded before it.
	autoScaled bool
}

func newDegradationFake(t *testing.T) *degradationFake { return newDegradationFakeWith(t, 0) }

// newDegradationFakeWith makes SetTableCapacity take tableDelay, as a table leaving UPDATING does in AWS.
func newDegradationFakeWith(t *testing.T, tableDelay time.Duration) *degradationFake {
	s := &degradationFake{fakeEnv: newFakeEnv(t), reserved: map[string]*int32{}, capacity: map[string]activities.TableCapacity{},
		degraded: map[string]bool{}, throttle: map[string]bool{}, metricRegions: map[string]bool{}}
	for _, tb := range s.topo.Tables {
		s.capacity[tb.Name] = activities.TableCapacity{BillingMode: activities.BillingPayPerRequest}
	}
	e := s.env
	e.OnActivity(a.Publish, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.PublishInput) (activities.PublishResult, error) {
		s.paged(in.Subject)
		return activities.PublishResult{}, nil
	})
	// Each mock counts its call (fakeEnv's hit, which takes mu itself) before it takes mu for the model.
	e.OnActivity(a.GetMetric, mock.Anything, mock.Anything).Return(func(_ context.Context, q activities.MetricQuery) (activities.MetricResult, error) {
		if err := s.hit("GetMetric"); err != nil {
			return activities.MetricResult{}, err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.metricRegions[q.Region] = true
		v := s.metric(q)
		return activities.MetricResult{Points: []activities.Point{{V: v}}, Max: v, Last: v, Sum: v, Avg: v}, nil
	})
	e.OnActivity(a.GetTableThrottledRequests, mock.Anything, mock.Anything).Return(func(_ context.Context, q activities.ThrottleQuery) (activities.MetricResult, error) {
		if err := s.hit("GetTableThrottledRequests"); err != nil {
			return activities.MetricResult{}, err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.metricRegions[q.Region] = true
		v := 0.0
		if s.throttle[q.Table] && !s.tableScaled(q.Table) {
			v = 75
		}
		return activities.MetricResult{Points: []activities.Point{{V: v}}, Max: v, Last: v, Sum: v, Avg: v}, nil
	})
	e.OnActivity(a.ProbeRegion, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.ProbeInput) (activities.Reachability, error) {
		if err := s.hit("ProbeRegion"); err != nil {
			return activities.Reachability{}, err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.fallbackStatus != 0 {
			return activities.Reachability{Region: in.Region, HealthURL: in.HealthURL, HealthStatus: s.fallbackStatus, Reachable: true}, nil
		}
		return activities.Reachability{Region: in.Region, HealthURL: in.HealthURL, HealthStatus: 200, Healthy: true, Reachable: true}, nil
	})
	e.OnActivity(a.GetFunctionConcurrency, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.ConcurrencyRef) (activities.Concurrency, error) {
		if err := s.hit("GetFunctionConcurrency"); err != nil {
			return activities.Concurrency{}, err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		return activities.Concurrency{Function: in.Function, Region: in.Region, Reserved: s.reserved[in.Function]}, nil
	})
	e.OnActivity(a.DescribeTable, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.TableRef) (activities.TableInfo, error) {
		if err := s.hit("DescribeTable"); err != nil {
			return activities.TableInfo{}, err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		c := s.capacity[in.Table]
		return activities.TableInfo{Table: in.Table, Region: in.Region, Status: "ACTIVE", BillingMode: c.BillingMode, ReadCapacity: c.ReadCapacity, WriteCapacity: c.WriteCapacity}, nil
	})
	// ReadTableCapacity (degAutoScaling) reads the setting with its auto scaling: none unless a test sets it.
	e.OnActivity(a.ReadTableCapacity, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.TableRef) (activities.TableCapacity, error) {
		if err := s.hit("ReadTableCapacity"); err != nil {
			return activities.TableCapacity{}, err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		c := s.capacity[in.Table]
		c.AutoScaled = true
		return c, nil
	})
	e.OnActivity(a.PutFunctionConcurrency, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.ConcurrencyChange) (activities.ConcurrencyResult, error) {
		if err := s.hit("PutFunctionConcurrency"); err != nil {
			return activities.ConcurrencyResult{}, err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		prev := s.reserved[in.Function]
		res := activities.ConcurrencyResult{Function: in.Function, Region: in.Region, Previous: prev, Current: in.Reserved}
		if s.putRefusal && in.Reserved != nil {
			return res, temporal.NewNonRetryableApplicationError("lambda:PutFunctionConcurrency "+in.Function+": AWS refused reserved concurrency", "InvalidParameterValueException", nil)
		}
		if (prev == nil) != (in.Reserved == nil) || (prev != nil && *prev != *in.Reserved) {
			s.reserved[in.Function], res.Changed = in.Reserved, true
			s.changes = append(s.changes, "lambda "+in.Function+" "+activities.Concurrency{Reserved: in.Reserved}.String())
		}
		return res, nil
	})
	e.OnActivity(a.SetTableCapacity, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.CapacityChange) (activities.CapacityResult, error) {
		if err := s.hit("SetTableCapacity"); err != nil {
			return activities.CapacityResult{}, err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		prev := s.capacity[in.Table]
		res := activities.CapacityResult{Table: in.Table, Region: in.Region, Previous: prev, Current: in.Target}
		if !reflect.DeepEqual(prev, in.Target) {
			s.capacity[in.Table], res.Changed = in.Target, true
			s.changes = append(s.changes, "table "+in.Table+" "+in.Target.String())
		}
		return res, nil
	}).After(tableDelay)
	return s
}

func (s *degradationFake) fnScaled(fn string) bool {
	r := s.reserved[fn]
	return !s.stubborn && r != nil && *r >= 100
}

func (s *degradationFake) tableScaled(tb string) bool {
	c := s.capacity[tb]
	return !s.stubborn && c.BillingMode == activities.BillingProvisioned && c.ReadCapacity >= 100 && c.WriteCapacity >= 100
}

func (s *degradationFake) metric(q activities.MetricQuery) float64 {
	dim := ""
	if len(q.Dimensions) > 0 {
		dim = q.Dimensions[0].Value
	}
	bad := false
	for fn := range s.degraded {
		bad = bad || !s.fnScaled(fn)
	}
	for tb := range s.throttle {
		bad = bad || !s.tableScaled(tb)
	}
	switch q.Metric {
	case "Errors":
		if s.degraded[dim] && !s.fnScaled(dim) {
			return 29
		}
	case "Throttles":
		if s.degraded[dim] && !s.fnScaled(dim) {
			return 24
		}
	case "UserErrors":
		return s.userErrors
	case "5XXError":
		if bad {
			return 0.08
		}
		return 0.001
	case "Latency":
		if bad {
			return 900
		}
		return 110
	}
	return 0
}

func (s *degradationFake) inject() (fn, table string) {
	fn, table = s.topo.Functions[0].Name, s.topo.Tables[1].Name
	s.degraded[fn], s.throttle[table] = true, true
	return fn, table
}

func (s *degradationFake) approve(after time.Duration, gate string) {
	s.signal(after, SignalApprove, Approval{Gate: gate, Decision: "approve", Approver: "alice"})
}

func (s *degradationFake) run(req DegradationRequest) DegradationReport {
	s.t.Helper()
	if req.Topology.Platform == "" {
		req.Topology = s.topo
	}
	v := workflow.DefaultVersion
	if s.autoScaled {
		v = 1
	}
	s.env.OnGetVersion(string(degAutoScaling), workflow.DefaultVersion, 1).Return(v)
	s.env.ExecuteWorkflow(PartialDegradation, req)
	return result[DegradationReport](&s.fakeEnv)
}

// lastPage is the subject of the last SNS message.
func (s *degradationFake) lastPage() string {
	s.t.Helper()
	p := s.pages()
	require.NotEmpty(s.t, p, "no SNS message")
	return p[len(p)-1]
}

// original asserts that every function and table is back to the seeded settings.
func (s *degradationFake) original() {
	s.t.Helper()
	for fn, r := range s.reserved {
		require.Nil(s.t, r, "function %s reserved concurrency", fn)
	}
	for tb, c := range s.capacity {
		c.AutoScaled = false // the degAutoScaling branch restores the recorded "no auto scaling"
		require.Equal(s.t, activities.TableCapacity{BillingMode: activities.BillingPayPerRequest}, c, "table %s", tb)
	}
}

func stepsOf(rep DegradationReport) map[string]StepRecord {
	m := map[string]StepRecord{}
	for _, st := range rep.Steps {
		m[st.Name] = st
	}
	return m
}

func names(rs []AffectedResource) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Kind+" "+r.Name)
	}
	return out
}

func TestDegradationNothingToDo(t *testing.T) {
	s := newDegradationFake(t)
	rep := s.run(DegradationRequest{})
	require.Equal(t, PhaseCompleted, rep.Outcome)
	require.Equal(t, DegNothingToDo, rep.Result)
	require.Empty(t, rep.Affected)
	require.Empty(t, rep.Plan)
	require.Empty(t, s.changes)
	require.Zero(t, s.count("GetFunctionConcurrency")+s.count("DescribeTable")+s.count("PutFunctionConcurrency")+s.count("SetTableCapacity"))
	require.Empty(t, rep.Approvals, "no gate opened")
	require.Equal(t, "us-east-1", rep.Region)
	// 5 functions × 2, the API × 2 and the region's UserErrors; each table's ThrottledRequests.
	require.Equal(t, 13, s.count("GetMetric"))
	require.Equal(t, 5, s.count("GetTableThrottledRequests"))
}

func TestDegradationRejectChangesNothing(t *testing.T) {
	s := newDegradationFake(t)
	fn, table := s.inject()
	var seen Status
	s.env.RegisterDelayedCallback(func() { seen = s.status() }, time.Minute)
	s.signal(2*time.Minute, SignalApprove, Approval{Gate: GateDegradationPlan, Decision: "reject", Approver: "alice", Comment: "traffic is falling already"})
	rep := s.run(DegradationRequest{})

	require.Equal(t, PhaseAwaitingApproval, seen.Phase)
	require.Equal(t, GateDegradationPlan, seen.PendingGate.Name)
	sum := seen.PendingGate.Summary
	for _, want := range []string{
		"aws lambda put-function-concurrency --function-name " + fn + " --reserved-concurrent-executions 500 --region us-east-1",
		"aws dynamodb update-table --table-name " + table + " --billing-mode PROVISIONED --provisioned-throughput ReadCapacityUnits=1000,WriteCapacityUnits=500 --region us-east-1",
		"AWS/Lambda Errors Sum 29 > 10 per minute", "AWS/DynamoDB ThrottledRequests Sum 75 > 10 per minute",
	} {
		require.Contains(t, sum, want)
	}
	require.Equal(t, PhaseRejected, rep.Outcome)
	require.Equal(t, DegRejected, rep.Result)
	require.Empty(t, s.changes)
	require.Zero(t, s.count("PutFunctionConcurrency")+s.count("SetTableCapacity"))
	s.original()
}

func TestDegradationApproveRecoverAndRevertAfterStablePeriod(t *testing.T) {
	s := newDegradationFake(t)
	fn, table := s.inject()
	s.approve(time.Minute, GateDegradationPlan)
	var atRevertGate Status
	// Apply at ~1 min, 3 healthy polls a minute apart: the revert gate is open from ~3 min for 10 min.
	s.env.RegisterDelayedCallback(func() { atRevertGate = s.status() }, 6*time.Minute)
	rep := s.run(DegradationRequest{})

	require.Equal(t, PhaseCompleted, rep.Outcome, rep.Notes)
	require.Equal(t, DegRecoveredReverted, rep.Result)
	require.Equal(t, []string{"function " + fn, "table " + table}, names(rep.Affected), "exactly the injected resources")
	require.Equal(t, SeverityMajor, rep.Affected[0].Severity)
	require.Equal(t, SeverityCritical, rep.Affected[1].Severity)
	require.Equal(t, []string{"api roadcall-api-prod"}, names(rep.Symptoms))
	require.Len(t, rep.Plan, 2)
	require.Equal(t, []ScalingAction{
		{Kind: ActionLambdaConcurrency, Resource: fn, Region: "us-east-1"},
		{Kind: ActionDynamoCapacity, Resource: table, Region: "us-east-1", Capacity: &activities.TableCapacity{BillingMode: activities.BillingPayPerRequest}},
	}, rep.Previous)
	// Each phase's actions run concurrently, so only the phases are ordered.
	require.Len(t, s.changes, 4, "applied once, reverted once")
	require.ElementsMatch(t, []string{"lambda " + fn + " 500", "table " + table + " PROVISIONED 1000 read / 500 write"}, s.changes[:2])
	require.ElementsMatch(t, []string{"table " + table + " PAY_PER_REQUEST (on-demand)", "lambda " + fn + " none"}, s.changes[2:])
	s.original()

	require.True(t, rep.Watch.Recovered)
	require.Equal(t, 3, rep.Watch.Polls)
	require.Equal(t, GateDegradationRevert, atRevertGate.PendingGate.Name)
	require.Contains(t, atRevertGate.PendingGate.Summary, "aws lambda delete-function-concurrency --function-name "+fn)
	require.True(t, rep.Reverted)
	require.Equal(t, "stable-period", rep.RevertedBy)
	last := rep.Approvals[len(rep.Approvals)-1]
	require.Equal(t, Approval{Gate: GateDegradationRevert, Decision: "approve", Approver: "deadline"}, Approval{Gate: last.Gate, Decision: last.Decision, Approver: last.Approver})
	st := stepsOf(rep)
	for _, name := range []string{"identify", "circuit-breakers", "record", "scale", "watch", "revert"} {
		require.Equal(t, OutcomeOK, st[name].Outcome, name)
	}
	require.Equal(t, 5*time.Minute, st["identify"].Budget)
	require.Contains(t, st["circuit-breakers"].Detail, "no fallback health URL configured")
	require.Zero(t, s.count("ProbeRegion"))
	require.GreaterOrEqual(t, st["revert"].Started.Sub(st["watch"].Ended), 10*time.Minute, "waited the stable period")
	require.Empty(t, rep.RestoreCommands)
}

func TestDegradationRevertGateApprovedEarlyAndFallbackChecked(t *testing.T) {
	s := newDegradationFake(t)
	s.inject()
	s.topo.API.FallbackHealthURLs = map[string]string{"us-east-1": "http://127.0.0.1:4566/_sim/health/us-east-1"}
	s.approve(time.Minute, GateDegradationPlan)
	s.approve(5*time.Minute, GateDegradationRevert)
	rep := s.run(DegradationRequest{})
	require.Equal(t, DegRecoveredReverted, rep.Result)
	require.Equal(t, "alice", rep.RevertedBy)
	st := stepsOf(rep)
	require.Less(t, st["revert"].Started.Sub(st["watch"].Ended), 10*time.Minute, "did not wait for the stable period")
	require.Equal(t, 1, s.count("ProbeRegion"))
	require.True(t, rep.Fallback.Healthy)
	require.Contains(t, rep.Fallback.State, "fallback answering (HTTP 200)")
	s.original()
}

func TestDegradationUnhealthyFallbackIsReportedAndDoesNotBlock(t *testing.T) {
	s := newDegradationFake(t)
	s.inject()
	s.topo.API.FallbackHealthURLs = map[string]string{"us-east-1": "http://127.0.0.1:4566/_sim/health/us-east-1"}
	s.fallbackStatus = 503
	var seen Status
	s.env.RegisterDelayedCallback(func() { seen = s.status() }, time.Minute)
	s.approve(2*time.Minute, GateDegradationPlan)
	rep := s.run(DegradationRequest{})
	require.Contains(t, seen.PendingGate.Summary, "Fallback: fallback NOT healthy: HTTP 503")
	require.True(t, rep.Fallback.Checked)
	require.False(t, rep.Fallback.Healthy)
	require.Equal(t, OutcomeOK, stepsOf(rep)["circuit-breakers"].Outcome)
	require.Equal(t, DegRecoveredReverted, rep.Result)
	s.original()
}

// TestDegradationRestoresExactPreviousValues: a function that had reserved concurrency 20 and a table that
// was PROVISIONED 25/10 get exactly those back, not "none" and on-demand.
func TestDegradationRestoresExactPreviousValues(t *testing.T) {
	s := newDegradationFake(t)
	fn, table := s.inject()
	twenty := int32(20)
	s.reserved[fn] = &twenty // under awssim's recovery rule: still degraded
	prev := activities.TableCapacity{BillingMode: activities.BillingProvisioned, ReadCapacity: 25, WriteCapacity: 10}
	s.capacity[table] = prev
	rep := s.run(DegradationRequest{Common: Common{AutoApprove: true}})
	require.Equal(t, DegRecoveredReverted, rep.Result)
	require.Equal(t, []ScalingAction{
		{Kind: ActionLambdaConcurrency, Resource: fn, Region: "us-east-1", Reserved: &twenty},
		{Kind: ActionDynamoCapacity, Resource: table, Region: "us-east-1", Capacity: &prev},
	}, rep.Previous)
	require.EqualValues(t, 20, *s.reserved[fn])
	require.Equal(t, prev, s.capacity[table])
	require.ElementsMatch(t, []string{"lambda " + fn + " 20", "table " + table + " PROVISIONED 25 read / 10 write"}, s.changes[2:])
}

func TestDegradationRevertRejectedKeepsScaledSettings(t *testing.T) {
	s := newDegradationFake(t)
	fn, _ := s.inject()
	s.approve(time.Minute, GateDegradationPlan)
	s.signal(5*time.Minute, SignalApprove, Approval{Gate: GateDegradationRevert, Decision: "reject", Approver: "alice", Comment: "keep it over the peak"})
	rep := s.run(DegradationRequest{})
	require.Equal(t, PhaseCompleted, rep.Outcome)
	require.Equal(t, DegRecoveredKept, rep.Result)
	require.True(t, rep.KeptScaled)
	require.False(t, rep.Reverted)
	require.EqualValues(t, 500, *s.reserved[fn])
	require.Contains(t, rep.RestoreCommands, "aws lambda delete-function-concurrency --function-name "+fn+" --region us-east-1")
	require.Len(t, s.changes, 2)
}

func TestDegradationNoRecoveryByDeadlineRetryThenSkipKeepsScaled(t *testing.T) {
	s := newDegradationFake(t)
	s.inject()
	s.stubborn = true
	s.approve(time.Minute, GateDegradationPlan)
	var paused Status
	// Watch starts at ~1 min; its deadline is 30 min later; escalations at 10 and 20 min.
	s.env.RegisterDelayedCallback(func() { paused = s.status() }, 35*time.Minute)
	s.signal(36*time.Minute, SignalOperator, OperatorAction{Action: "retry", Operator: "alice"})
	s.signal(80*time.Minute, SignalOperator, OperatorAction{Action: "skip", Operator: "alice"})
	rep := s.run(DegradationRequest{})

	require.Equal(t, PhaseAwaitingOperator, paused.Phase)
	require.Equal(t, []string{"watch"}, paused.PausedSteps)
	require.Contains(t, paused.LastError, "not recovered within the watch deadline of 30m0s")
	require.Contains(t, paused.LastError, "AWS/Lambda Errors")
	escalations := 0
	for _, sub := range s.pages() {
		if strings.Contains(sub, "still degraded") {
			escalations++
		}
	}
	require.Equal(t, 4, escalations, "two per 30-minute watch at a 10-minute interval")
	require.Equal(t, PhaseCompleted, rep.Outcome)
	require.Equal(t, DegNotRecoveredKept, rep.Result)
	require.True(t, rep.KeptScaled)
	require.False(t, rep.Watch.Recovered)
	require.Equal(t, OutcomeSkipped, stepsOf(rep)["watch"].Outcome)
	require.Equal(t, 2, stepsOf(rep)["watch"].Attempts)
	require.Len(t, s.changes, 2, "applied, never reverted")
	require.Len(t, rep.RestoreCommands, 2)
}

func TestDegradationNoRecoveryAbortReverts(t *testing.T) {
	s := newDegradationFake(t)
	s.inject()
	s.stubborn = true
	s.approve(time.Minute, GateDegradationPlan)
	s.signal(40*time.Minute, SignalOperator, OperatorAction{Action: "abort", Operator: "alice"})
	rep := s.run(DegradationRequest{})
	require.Equal(t, PhaseAborted, rep.Outcome)
	require.Equal(t, DegReverted, rep.Result)
	require.True(t, rep.Reverted)
	require.Len(t, s.changes, 4)
	s.original()
	require.Contains(t, s.lastPage(), DegReverted)
}

func TestDegradationCancelAfterApplyReverts(t *testing.T) {
	s := newDegradationFake(t)
	s.inject()
	s.stubborn = true // still watching when the cancel comes
	s.approve(time.Minute, GateDegradationPlan)
	s.env.RegisterDelayedCallback(func() { s.env.CancelWorkflow() }, 5*time.Minute)
	rep := s.run(DegradationRequest{})
	require.Equal(t, PhaseCancelled, rep.Outcome)
	require.Equal(t, DegReverted, rep.Result)
	require.True(t, rep.Reverted)
	require.Equal(t, "run cancelled", rep.RevertedBy)
	require.Len(t, s.changes, 4)
	s.original()
	st := stepsOf(rep)
	require.Equal(t, OutcomeAborted, st["watch"].Outcome)
	require.Equal(t, OutcomeOK, st["revert"].Outcome, "the revert ran on a disconnected context")
	require.Contains(t, s.lastPage(), "cancelled")
}

func TestDegradationNoDecisionAtPlanDeadlineChangesNothing(t *testing.T) {
	s := newDegradationFake(t)
	s.inject()
	rep := s.run(DegradationRequest{})
	require.Equal(t, PhaseAborted, rep.Outcome)
	require.Equal(t, DegNoDecision, rep.Result)
	require.Empty(t, s.changes)
	require.Zero(t, s.count("GetFunctionConcurrency")+s.count("DescribeTable")+s.count("PutFunctionConcurrency")+s.count("SetTableCapacity"))
	s.original()
	escalations := 0
	for _, sub := range s.pages() {
		if strings.Contains(sub, "gate plan still waiting") {
			escalations++
		}
	}
	require.Equal(t, 5, escalations, "paged at each 10-minute interval of the 1 h deadline: %q", s.pages())
	require.Contains(t, s.pages(), "Gate plan timed out: PartialDegradation aborted")
	require.Contains(t, s.lastPage(), DegNoDecision)
	require.Empty(t, rep.Approvals, "a deadline is not an approver")
	require.Equal(t, time.Hour, rep.EndedAt.Sub(stepsOf(rep)["circuit-breakers"].Ended).Round(time.Minute), "aborted at the approvals deadline")
}

func TestDegradationCancelAtPlanGateChangesNothing(t *testing.T) {
	s := newDegradationFake(t)
	s.inject()
	s.env.RegisterDelayedCallback(func() { s.env.CancelWorkflow() }, 5*time.Minute)
	rep := s.run(DegradationRequest{})
	require.Equal(t, PhaseCancelled, rep.Outcome)
	require.Equal(t, DegStopped, rep.Result)
	require.Zero(t, s.count("PutFunctionConcurrency")+s.count("SetTableCapacity")+s.count("GetFunctionConcurrency"))
	s.original()
}

func TestDegradationCancelDuringRevertRevertsTwiceHarmlessly(t *testing.T) {
	// Tables take 2 minutes to update: applied at 0-2 min, healthy polls at 2, 3, 4 min, stable period to
	// 14 min, then the revert's table restore runs 14-16 min. The cancel lands in the middle of it.
	s := newDegradationFakeWith(t, 2*time.Minute)
	s.inject()
	var during Status
	s.env.RegisterDelayedCallback(func() { during = s.status(); s.env.CancelWorkflow() }, 15*time.Minute)
	rep := s.run(DegradationRequest{Common: Common{AutoApprove: true}})
	require.Equal(t, "revert", during.CurrentStep)
	require.Equal(t, PhaseCancelled, rep.Outcome)
	require.True(t, rep.Reverted)
	s.original()
	require.Len(t, s.changes, 4, "the second revert found what the first had restored and changed nothing twice")
	reverts := 0
	for _, st := range rep.Steps {
		if st.Name == "revert" {
			reverts++
		}
	}
	require.Equal(t, 2, reverts, "the interrupted revert and the compensating one")
}

func TestDegradationApplyRefusedAbortRevertsWhatWasApplied(t *testing.T) {
	s := newDegradationFake(t)
	_, table := s.inject()
	s.putRefusal = true
	s.approve(time.Minute, GateDegradationPlan)
	var paused Status
	s.env.RegisterDelayedCallback(func() { paused = s.status() }, 3*time.Minute)
	s.signal(4*time.Minute, SignalOperator, OperatorAction{Action: "abort", Operator: "alice"})
	rep := s.run(DegradationRequest{})
	require.Equal(t, []string{"scale"}, paused.PausedSteps)
	require.Contains(t, paused.LastError, "InvalidParameterValueException")
	require.Equal(t, PhaseAborted, rep.Outcome)
	require.Equal(t, DegReverted, rep.Result)
	require.Equal(t, []string{"table " + table + " PROVISIONED 1000 read / 500 write", "table " + table + " PAY_PER_REQUEST (on-demand)"}, s.changes)
	s.original()
}

func TestDegradationAutoApproveRevertsAfterStablePeriod(t *testing.T) {
	s := newDegradationFake(t)
	s.inject()
	rep := s.run(DegradationRequest{Common: Common{AutoApprove: true}})
	require.Equal(t, DegRecoveredReverted, rep.Result)
	require.Equal(t, "stable-period", rep.RevertedBy)
	require.Equal(t, []string{"auto", "auto"}, []string{rep.Approvals[0].Approver, rep.Approvals[1].Approver})
	st := stepsOf(rep)
	require.GreaterOrEqual(t, st["revert"].Started.Sub(st["watch"].Ended), 10*time.Minute)
	s.original()
}

func TestDegradationOverridesAndRegion(t *testing.T) {
	s := newDegradationFake(t)
	fn := s.topo.Functions[2].Name
	s.degraded[fn] = true
	n, throttles := int32(150), 30.0
	req := DegradationRequest{Region: "us-west-2", Functions: []string{fn}, Tables: []string{s.topo.Tables[0].Name},
		ReservedConcurrency: &n, Thresholds: &DegradationThresholds{LambdaThrottles: &throttles}}
	req.AutoApprove = true
	rep := s.run(req)
	require.Equal(t, "us-west-2", rep.Region)
	require.Equal(t, []string{"function " + fn}, names(rep.Affected))
	ev := rep.Affected[0].Evidence
	require.True(t, ev[0].Breached, "Errors 29 over the topology's 10")
	require.Equal(t, Evidence{Metric: "AWS/Lambda Throttles", Stat: "Sum", Value: 24, Threshold: 30, Unit: "per minute"}, ev[1], "under the overridden 30")
	require.Equal(t, []ScalingAction{{Kind: ActionLambdaConcurrency, Resource: fn, Region: "us-west-2", Reserved: &n}}, rep.Plan)
	require.Equal(t, "lambda "+fn+" 150", s.changes[0])
	require.Equal(t, DegRecoveredReverted, rep.Result)
	// Identification read 1 function, the API and UserErrors, and the table's throttling; each watch poll
	// the function and the API symptom.
	require.Equal(t, 5+rep.Watch.Polls*4, s.count("GetMetric"))
	require.Equal(t, 1, s.count("GetTableThrottledRequests"))
	require.Equal(t, map[string]bool{"us-west-2": true}, s.metricRegions)
}

func TestDegradationOnlySymptomsScalesNothing(t *testing.T) {
	s := newDegradationFake(t)
	s.degraded["not-in-topology"] = true // drives API 5XX and latency up, no function over threshold
	s.userErrors = 80                    // client errors: capacity does not fix them
	rep := s.run(DegradationRequest{})
	require.Equal(t, DegNothingToScale, rep.Result)
	require.Empty(t, rep.Affected)
	require.Equal(t, []string{"api roadcall-api-prod", "dynamodb account"}, names(rep.Symptoms))
	require.Equal(t, Evidence{Metric: "AWS/DynamoDB UserErrors", Stat: "Sum", Value: 80, Threshold: 50, Unit: "per minute", Breached: true}, rep.Symptoms[1].Evidence[0])
	require.Empty(t, s.changes)
	require.Empty(t, rep.Approvals)
}

func TestDegradationRefusesBadInputBeforeAnyActivity(t *testing.T) {
	neg, zero := -1.0, 0.0
	zeroCap, negN := int64(0), int32(-5)
	cases := map[string]func(*DegradationRequest){
		"thresholds.lambdaErrors":            func(r *DegradationRequest) { r.Thresholds = &DegradationThresholds{LambdaErrors: &zero} },
		"thresholds.error5xxRate":            func(r *DegradationRequest) { r.Thresholds = &DegradationThresholds{Error5xxRate: &neg} },
		"thresholds.dynamoThrottledRequests": func(r *DegradationRequest) { r.Topology.Thresholds.DynamoThrottledRequest = -3 },
		"functions[1]": func(r *DegradationRequest) {
			r.Functions = []string{r.Topology.Functions[0].Name, "roadcall-nope-svc-prod"}
		},
		"thresholds.lambdaThrottles":  func(r *DegradationRequest) { r.Thresholds = &DegradationThresholds{LambdaThrottles: &neg} },
		"thresholds.dynamoUserErrors": func(r *DegradationRequest) { r.Thresholds = &DegradationThresholds{DynamoUserErrors: &zero} },
		"thresholds.latencyP95": func(r *DegradationRequest) {
			d := topology.Duration(0)
			r.Thresholds = &DegradationThresholds{LatencyP95: &d}
		},
		"tables[0]":                func(r *DegradationRequest) { r.Tables = []string{"roadcall-nope-prod"} },
		"readCapacity":             func(r *DegradationRequest) { r.ReadCapacity = &zeroCap },
		"writeCapacity":            func(r *DegradationRequest) { r.WriteCapacity = &zeroCap },
		"reservedConcurrency":      func(r *DegradationRequest) { r.ReservedConcurrency = &negN },
		"degradation.readCapacity": func(r *DegradationRequest) { r.Topology.Degradation.ReadCapacity = -1 },
		"region":                   func(r *DegradationRequest) { r.Region = "eu-west-1" },
	}
	for field, mutate := range cases {
		t.Run(field, func(t *testing.T) {
			s := newDegradationFake(t)
			req := DegradationRequest{Common: Common{Topology: s.topo}}
			mutate(&req)
			s.env.ExecuteWorkflow(PartialDegradation, req)
			err := s.env.GetWorkflowError()
			require.Error(t, err)
			require.True(t, IsInvalidRequest(err), "%v", err)
			require.Contains(t, err.Error(), `"`+field+`"`)
			require.Empty(t, s.calls, "no activity ran")
			require.Empty(t, s.pages())
		})
	}
}

func TestDegradationRequestJSONRefusesExplicitZerosAndUnknownFields(t *testing.T) {
	topo := localTopology(t)
	raw := mustJSON(t, DegradationRequest{Common: Common{Topology: topo}})
	// An explicit 0 in the topology would be defaulted to the runbook's figure: refuse it instead.
	for _, c := range []struct{ from, to, field string }{
		{`"lambdaErrors":10`, `"lambdaErrors":0`, "thresholds.lambdaErrors"},
		{`"writeCapacity":500`, `"writeCapacity":0`, "degradation.writeCapacity"},
		{`"stablePeriod":"10m0s"`, `"stablePeriod":"0s"`, "degradation.stablePeriod"},
	} {
		require.Contains(t, raw, c.from)
		var req DegradationRequest
		require.NoError(t, json.Unmarshal([]byte(strings.Replace(raw, c.from, c.to, 1)), &req))
		err := req.Validate()
		require.Error(t, err, c.field)
		require.Contains(t, err.Error(), `"`+c.field+`"`)
	}
	var req DegradationRequest
	require.NoError(t, json.Unmarshal([]byte(strings.Replace(raw, `"topology"`, `"reservedConcurency":5,"topology"`, 1)), &req))
	require.ErrorContains(t, req.Validate(), `"reservedConcurency"`)

	// The example request decodes and validates as `temporal workflow start --input-file` would send it.
	b, err := os.ReadFile("../examples/requests/degradation.json")
	require.NoError(t, err)
	req = DegradationRequest{}
	require.NoError(t, json.Unmarshal(b, &req))
	require.NoError(t, req.Validate())
	require.EqualValues(t, 500, *req.ReservedConcurrency)
}
