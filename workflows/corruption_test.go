package workflows

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/topology"
)

// corrT0 is the test's workflow clock at start; windows and the corruption time are relative to it.
var corrT0 = time.Date(2025, 6, 1, 15, 0, 0, 0, time.UTC)

// corruptionFake answers the corruption activities from a small in-memory AWS and records what they were
// asked. Its own fields are behind fakeEnv's mu, like fakeEnv's.
type corruptionFake struct {
	fakeEnv
	envCalls []activities.EnvChange
	envReads map[string]int
	stage    activities.StageThrottle
	stageSet []activities.StageThrottle
	restores []string
	restAt   []time.Time
	inFlight int
	maxIn    int
	ssm      []activities.ParameterPut
	// sourceCount/restoredCount feed CountItems; probesDiffer makes integrity probes differ.
	sourceCount, restoredCount int64
	probesDiffer               bool
	// pitrOff names a table whose PITR is disabled.
	pitrOff string
	// carried and writers record CarryTableSettings and CreateClusterWriter inputs.
	carried []activities.TableSettingsInput
	writers []activities.ClusterWriterInput
	// aliases is where each alias-backed function's alias points; published and moves record the version
	// publishes and alias updates, in order.
	aliases   map[string]activities.AliasTarget
	versions  map[string]int
	published []activities.VersionPublish
	moves     []activities.AliasMove
}

func newCorruptionFake(t *testing.T) *corruptionFake {
	f := &corruptionFake{fakeEnv: newFakeEnv(t), envReads: map[string]int{}, stage: activities.StageThrottle{Set: true, RateLimit: 10000, BurstLimit: 5000},
		sourceCount: 20, restoredCount: 20, aliases: map[string]activities.AliasTarget{}, versions: map[string]int{}}
	for _, fn := range f.topo.Functions {
		if fn.Alias != "" {
			f.aliases[fn.Name], f.versions[fn.Name] = activities.AliasTarget{Version: "1"}, 1
		}
	}
	f.env.SetStartTime(corrT0)
	f.env.RegisterWorkflow(DataCorruptionRecovery)
	e := f.env
	e.OnActivity(a.Publish, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.PublishInput) (activities.PublishResult, error) {
		f.paged(in.Subject)
		return activities.PublishResult{}, nil
	})
	e.OnActivity(a.GetFunctionEnvironment, mock.Anything, mock.Anything).Return(func(_ context.Context, q activities.FunctionEnvQuery) (activities.FunctionEnv, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.envReads[q.Function]++
		res := activities.FunctionEnv{Function: q.Function, Region: q.Region, Keys: map[string]*string{}, Holders: map[string][]string{}}
		for _, k := range q.Keys {
			res.Keys[k] = nil
		}
		for _, v := range q.Values {
			switch v {
			case "roadcall-users-prod":
				res.Holders[v] = []string{"USERS_TABLE"}
			case "roadcall-aurora-prod":
				res.Holders[v] = []string{"AURORA_CLUSTER"}
			}
		}
		return res, nil
	})
	e.OnActivity(a.UpdateFunctionEnvironment, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.EnvChange) (activities.EnvChangeResult, error) {
		if err := f.hit("UpdateFunctionEnvironment"); err != nil {
			return activities.EnvChangeResult{}, err
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		f.envCalls = append(f.envCalls, in)
		return activities.EnvChangeResult{Function: in.Function, Changed: true}, nil
	})
	e.OnActivity(a.WaitFunctionUpdated, mock.Anything, mock.Anything).Return(activities.FunctionUpdate{Status: "Successful"}, nil)
	e.OnActivity(a.GetFunctionAlias, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.AliasRef) (activities.AliasState, error) {
		if err := f.hit("GetFunctionAlias"); err != nil {
			return activities.AliasState{}, err
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		return activities.AliasState{AliasRef: in, Target: f.aliases[in.Function]}, nil
	})
	e.OnActivity(a.PublishFunctionVersion, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.VersionPublish) (activities.PublishedVersion, error) {
		if err := f.hit("PublishFunctionVersion"); err != nil {
			return activities.PublishedVersion{}, err
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		f.published = append(f.published, in)
		f.versions[in.Function]++
		return activities.PublishedVersion{Function: in.Function, Region: in.Region, Version: fmt.Sprint(f.versions[in.Function])}, nil
	})
	e.OnActivity(a.WaitVersionActive, mock.Anything, mock.Anything).Return(activities.FunctionUpdate{Status: "Active"}, nil)
	e.OnActivity(a.PointAlias, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.AliasMove) (activities.AliasMoveResult, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		prev := f.aliases[in.Function]
		f.aliases[in.Function] = in.Target
		f.moves = append(f.moves, in)
		return activities.AliasMoveResult{AliasRef: in.AliasRef, Previous: prev, Now: in.Target, Changed: prev.String() != in.Target.String()}, nil
	})
	e.OnActivity(a.GetStageThrottling, mock.Anything, mock.Anything).Return(func(_ context.Context, _ activities.APIStageRef) (activities.StageThrottle, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.stage, nil
	})
	e.OnActivity(a.SetStageThrottling, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.StageThrottleChange) (activities.StageThrottleResult, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		prev := f.stage
		f.stage = in.Target
		f.stageSet = append(f.stageSet, in.Target)
		return activities.StageThrottleResult{Previous: prev, Changed: prev != in.Target}, nil
	})
	window := func() (time.Time, time.Time) { return corrT0.Add(-7 * 24 * time.Hour), e.Now().Add(-5 * time.Minute) }
	e.OnActivity(a.DescribeContinuousBackups, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.TableRef) (activities.PITRInfo, error) {
		lo, hi := window()
		return activities.PITRInfo{Table: in.Table, Region: in.Region, Enabled: in.Table != f.pitrOff, Earliest: lo, Latest: hi}, nil
	})
	e.OnActivity(a.DescribeClusterWindow, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.ClusterRef) (activities.ClusterWindow, error) {
		lo, hi := window()
		return activities.ClusterWindow{Cluster: in.Cluster, Region: in.Region, Status: "available", Endpoint: in.Cluster + ".cluster-x.rds", Earliest: lo, Latest: hi.Add(time.Minute)}, nil
	})
	e.OnActivity(a.ListRecoveryPoints, mock.Anything, mock.Anything).Return(activities.RecoveryPoints{Points: []activities.RecoveryPointInfo{{Status: "COMPLETED", Created: corrT0.Add(-3 * time.Hour)}}}, nil)
	start := func(target string, at time.Time) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.restores = append(f.restores, target)
		f.restAt = append(f.restAt, at)
		f.inFlight++
		f.maxIn = max(f.maxIn, f.inFlight)
	}
	done := func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.inFlight--
	}
	e.OnActivity(a.RestoreTable, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.TableRestoreInput) (activities.TableRestoreResult, error) {
		start(in.Target, in.At)
		return activities.TableRestoreResult{Target: in.Target, Created: true, Status: "CREATING"}, nil
	})
	e.OnActivity(a.WaitTableActive, mock.Anything, mock.Anything).After(20 * time.Minute).Return(func(_ context.Context, in activities.TableRef) (activities.TableState, error) {
		if err := f.hit("WaitTableActive"); err != nil {
			return activities.TableState{}, err
		}
		return activities.TableState{Table: in.Table, Status: "ACTIVE"}, nil
	})
	e.OnActivity(a.EnableTablePITR, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.TableRef) (activities.PITRChange, error) {
		done()
		return activities.PITRChange{Table: in.Table, Changed: true}, nil
	})
	e.OnActivity(a.RestoreCluster, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.ClusterRestoreInput) (activities.ClusterRestoreResult, error) {
		start(in.Target, in.At)
		return activities.ClusterRestoreResult{Target: in.Target, Created: true, Status: "creating"}, nil
	})
	e.OnActivity(a.WaitClusterAvailable, mock.Anything, mock.Anything).After(15 * time.Minute).Return(func(_ context.Context, in activities.ClusterRef) (activities.ClusterState, error) {
		return activities.ClusterState{ClusterWindow: activities.ClusterWindow{Cluster: in.Cluster, Status: "available", Endpoint: in.Cluster + ".cluster-x.rds"}}, nil
	})
	e.OnActivity(a.CarryTableSettings, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.TableSettingsInput) (activities.TableSettingsResult, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.carried = append(f.carried, in)
		return activities.TableSettingsResult{Region: in.Region, Target: in.Target, Settings: []activities.CarriedSetting{
			{Name: "StreamSpecification", Value: "NEW_AND_OLD_IMAGES", Changed: true}, {Name: "DeletionProtectionEnabled", Value: "true", Changed: true}}}, nil
	})
	e.OnActivity(a.CreateClusterWriter, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.ClusterWriterInput) (activities.ClusterWriterResult, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.writers = append(f.writers, in)
		res := activities.ClusterWriterResult{Instance: in.Instance, Created: true, Status: "creating"}
		if in.SourceCluster != "" {
			res.Settings = []activities.CarriedSetting{{Name: "DBInstanceClass", Value: "db.r6g.2xlarge", Changed: true}}
		}
		return res, nil
	})
	e.OnActivity(a.WaitClusterWriter, mock.Anything, mock.Anything).After(10 * time.Minute).Return(func(_ context.Context, in activities.ClusterWriterInput) (activities.ClusterState, error) {
		done()
		return activities.ClusterState{ClusterWindow: activities.ClusterWindow{Cluster: in.Cluster, Status: "available", Writer: in.Instance, Endpoint: in.Cluster + ".cluster-x.rds"}}, nil
	})
	e.OnActivity(a.CountItems, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.ItemCountInput) (activities.ItemCount, error) {
		if err := f.hit("CountItems"); err != nil {
			return activities.ItemCount{}, err
		}
		n := f.sourceCount
		if strings.Contains(in.Table, "-restored-") {
			n = f.restoredCount
		}
		return activities.ItemCount{Table: in.Table, Count: n, Complete: true}, nil
	})
	e.OnActivity(a.ProbeItems, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.ItemProbeInput) ([]activities.ItemProbe, error) {
		var out []activities.ItemProbe
		for _, k := range in.Keys {
			d := "same"
			if f.probesDiffer && !strings.Contains(in.Table, "-restored-") {
				d = "corrupted"
			}
			out = append(out, activities.ItemProbe{Key: activities.KeyString(k), Found: true, Digest: d})
		}
		return out, nil
	})
	e.OnActivity(a.PutParameterValue, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.ParameterPut) (activities.ParameterPutResult, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.ssm = append(f.ssm, in)
		return activities.ParameterPutResult{Name: in.Name, Changed: true, Version: 2}, nil
	})
	return f
}

// approve signals a decision at a gate by alice after a delay of workflow time.
func (f *corruptionFake) approve(after time.Duration, gate, decision, value string) {
	f.signal(after, SignalApprove, Approval{Gate: gate, Decision: decision, Approver: "alice", Value: value})
}

func corrRequest(t *testing.T, mut ...func(*CorruptionRequest)) CorruptionRequest {
	started := corrT0.Add(-30 * time.Minute)
	req := CorruptionRequest{Common: Common{Topology: localTopology(t)}, CorruptionStartedAt: &started, Tables: []string{"roadcall-users-prod", "roadcall-incidents-prod"}}
	for _, m := range mut {
		m(&req)
	}
	return req
}

// run executes the workflow to a report; it must not end in an error.
func (f *corruptionFake) run(req CorruptionRequest) CorruptionReport {
	f.t.Helper()
	f.env.ExecuteWorkflow(DataCorruptionRecovery, req)
	return result[CorruptionReport](&f.fakeEnv)
}

// envCallsFor returns the environment changes made to one function, in order.
func (f *corruptionFake) envCallsFor(fn string) []activities.EnvChange {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []activities.EnvChange
	for _, c := range f.envCalls {
		if c.Function == fn {
			out = append(out, c)
		}
	}
	return out
}

func TestCorruptionHappyPath(t *testing.T) {
	f := newCorruptionFake(t)
	var atRestoreGate, atCutoverGate Status
	f.env.RegisterDelayedCallback(func() { atRestoreGate = f.status() }, 30*time.Second)
	f.approve(time.Minute, GateRestorePoint, "approve", "")
	f.env.RegisterDelayedCallback(func() { atCutoverGate = f.status() }, time.Hour)
	f.approve(time.Hour+time.Minute, GateCutover, "approve", "")
	rep := f.run(corrRequest(t))

	require.Equal(t, PhaseCompleted, rep.Outcome, "%s %v", rep.Message, rep.Notes)
	require.Equal(t, GateRestorePoint, atRestoreGate.PendingGate.Name)
	require.Contains(t, atRestoreGate.PendingGate.Summary, "2025-06-01T14:25:00Z", "proposed = corruption start minus the 5m margin")
	require.Equal(t, GateCutover, atCutoverGate.PendingGate.Name)
	require.Contains(t, atCutoverGate.PendingGate.Summary, "USERS_TABLE")

	want := time.Date(2025, 6, 1, 14, 25, 0, 0, time.UTC)
	require.True(t, rep.RestoreTime.Equal(want), rep.RestoreTime.String())
	require.ElementsMatch(t, []string{"roadcall-users-prod-restored-202506011425", "roadcall-incidents-prod-restored-202506011425", "roadcall-aurora-prod-restored-202506011425"}, f.restores)
	for _, res := range rep.Restored {
		require.True(t, res.Requested, res.Target)
		if res.Kind == "dynamodb-table" {
			require.True(t, res.PITR, res.Target)
		} else {
			require.Equal(t, "roadcall-aurora-prod-restored-202506011425-writer", res.Writer)
		}
	}
	require.LessOrEqual(t, f.maxIn, 2, "corruption.maxParallelRestores defaults to 2")
	require.Equal(t, 2, f.maxIn, "and two do run at once")

	topo := localTopology(t)
	for _, fn := range topo.FunctionNames() {
		calls := f.envCallsFor(fn)
		require.Len(t, calls, 3, fn)
		require.Equal(t, map[string]string{ReadOnlyVar: "true"}, calls[0].Set, "stop: a merge of one variable, never a whole map")
		require.Empty(t, calls[0].Unset)
		require.Equal(t, "roadcall-users-prod-restored-202506011425", calls[1].Replace["roadcall-users-prod"])
		require.Equal(t, "roadcall-aurora-prod-restored-202506011425", calls[1].Replace["roadcall-aurora-prod"])
		require.Equal(t, "roadcall-aurora-prod-restored-202506011425.cluster-x.rds", calls[1].Replace["roadcall-aurora-prod.cluster-x.rds"])
		require.Equal(t, []string{ReadOnlyVar}, calls[2].Unset, "resume puts back exactly the previous state: the variable was not set")
		require.Empty(t, calls[2].Set)
		require.Equal(t, 2, f.envReads[fn], "one prior read before the stop, one for the cutover plan")
	}
	require.False(t, rep.WritesStopped)
	require.True(t, rep.CutoverDone)
	for _, ws := range rep.WriteStops {
		require.True(t, ws.Resumed)
	}
	require.Empty(t, rep.Differences)
	require.Len(t, rep.Approvals, 2)
	require.Equal(t, OutcomeOK, stepOf(rep.Steps, "resume-writes").Outcome)
	require.Equal(t, 15*time.Minute, stepOf(rep.Steps, "assess").Budget)
}

func stepOf(steps []StepRecord, name string) StepRecord {
	for _, s := range steps {
		if s.Name == name {
			return s
		}
	}
	return StepRecord{}
}

func TestCorruptionApproverChoosesAnotherTime(t *testing.T) {
	f := newCorruptionFake(t)
	f.approve(time.Minute, GateRestorePoint, "approve", "2025-06-01T13:07:30Z")
	f.approve(time.Hour, GateCutover, "approve", "")
	rep := f.run(corrRequest(t))
	require.Equal(t, PhaseCompleted, rep.Outcome)
	want := time.Date(2025, 6, 1, 13, 7, 30, 0, time.UTC)
	require.True(t, rep.RestoreTime.Equal(want))
	for _, at := range f.restAt {
		require.True(t, at.Equal(want), at.String())
	}
	require.Contains(t, f.restores, "roadcall-users-prod-restored-202506011307")
}

func TestCorruptionRestorePointOutsideWindowIsRefused(t *testing.T) {
	f := newCorruptionFake(t)
	var tooOld, future, garbled, ok error
	f.update(time.Minute, UpdateApprove, Approval{Gate: GateRestorePoint, Decision: "approve", Approver: "alice", Value: "2025-04-01T00:00:00Z"}, &tooOld)
	f.update(time.Minute, UpdateApprove, Approval{Gate: GateRestorePoint, Decision: "approve", Approver: "alice", Value: "2025-06-01T16:00:00Z"}, &future)
	f.update(time.Minute, UpdateApprove, Approval{Gate: GateRestorePoint, Decision: "approve", Approver: "alice", Value: "yesterday"}, &garbled)
	f.update(2*time.Minute, UpdateApprove, Approval{Gate: GateRestorePoint, Decision: "approve", Approver: "alice", Value: "2025-06-01T14:00:00Z"}, &ok)
	f.approve(time.Hour, GateCutover, "approve", "")
	rep := f.run(corrRequest(t))
	require.ErrorContains(t, tooOld, "outside the window every resource can be restored to, 2025-05-25T15:00:00Z to 2025-06-01T14:5")
	require.ErrorContains(t, tooOld, "roadcall-users-prod 2025-05-25T15:00:00Z to")
	require.ErrorContains(t, future, "outside the window")
	require.ErrorContains(t, garbled, "RFC 3339")
	require.NoError(t, ok)
	require.Equal(t, PhaseCompleted, rep.Outcome)
	require.True(t, rep.RestoreTime.Equal(time.Date(2025, 6, 1, 14, 0, 0, 0, time.UTC)))
	require.Len(t, rep.Approvals, 2, "refused updates are not decisions")
}

func TestCorruptionProposedTimeOutsideWindowNeedsAValue(t *testing.T) {
	f := newCorruptionFake(t)
	var plain, withValue error
	f.update(time.Minute, UpdateApprove, Approval{Gate: GateRestorePoint, Decision: "approve", Approver: "alice"}, &plain)
	f.approve(2*time.Minute, GateRestorePoint, "approve", "") // a signal is refused the same way, and recorded
	f.update(3*time.Minute, UpdateApprove, Approval{Gate: GateRestorePoint, Decision: "approve", Approver: "alice", Value: "2025-05-26T00:00:00Z"}, &withValue)
	f.approve(time.Hour, GateCutover, "approve", "")
	rep := f.run(corrRequest(t, func(r *CorruptionRequest) { old := corrT0.Add(-8 * 24 * time.Hour); r.CorruptionStartedAt = &old }))
	require.ErrorContains(t, plain, "outside the window")
	require.NoError(t, withValue)
	require.Len(t, rep.Ignored, 1)
	require.Contains(t, rep.Ignored[0], "outside the window")
	require.Equal(t, PhaseCompleted, rep.Outcome)
	require.True(t, rep.RestoreTime.Equal(time.Date(2025, 5, 26, 0, 0, 0, 0, time.UTC)))
	require.Contains(t, strings.Join(rep.Notes, "\n"), "after the reported corruption start")
}

func TestCorruptionRejectAtRestorePointKeepsWritesStopped(t *testing.T) {
	f := newCorruptionFake(t)
	var atResume Status
	f.approve(time.Minute, GateRestorePoint, "reject", "")
	f.env.RegisterDelayedCallback(func() { atResume = f.status() }, 2*time.Minute)
	f.approve(3*time.Minute, GateResumeWrites, "reject", "")
	rep := f.run(corrRequest(t))
	require.Equal(t, PhaseAborted, rep.Outcome)
	require.Equal(t, GateResumeWrites, atResume.PendingGate.Name)
	require.Contains(t, atResume.PendingGate.Summary, "ORIGINAL resources")
	require.True(t, rep.WritesStopped)
	require.Contains(t, rep.Message, "WRITES ARE STILL STOPPED")
	require.Empty(t, f.restores)
	require.Empty(t, rep.Kept)
	for _, fn := range localTopology(t).FunctionNames() {
		require.Len(t, f.envCallsFor(fn), 1, "only the stop; nothing resumed writes")
	}
}

func TestCorruptionRejectAtCutoverKeepsRestoredAndResumesOnlyOnApproval(t *testing.T) {
	f := newCorruptionFake(t)
	f.approve(time.Minute, GateRestorePoint, "approve", "")
	f.approve(time.Hour, GateCutover, "reject", "")
	f.approve(time.Hour+time.Minute, GateResumeWrites, "approve", "")
	rep := f.run(corrRequest(t))
	require.Equal(t, PhaseAborted, rep.Outcome)
	require.False(t, rep.CutoverDone)
	require.False(t, rep.WritesStopped, "resume-writes was approved")
	require.Len(t, rep.Kept, 3, "restored resources stay and are listed: %v", rep.Kept)
	require.Contains(t, rep.Message, "Restored resources kept")
	for _, fn := range localTopology(t).FunctionNames() {
		calls := f.envCallsFor(fn)
		require.Len(t, calls, 2, "stop and resume, no cutover")
		require.Equal(t, []string{ReadOnlyVar}, calls[1].Unset)
	}
	require.Equal(t, OutcomeOK, stepOf(rep.Steps, "resume-writes").Outcome)
}

func TestCorruptionRejectAtCutoverAndResumeTimesOut(t *testing.T) {
	f := newCorruptionFake(t)
	f.approve(time.Minute, GateRestorePoint, "approve", "")
	f.approve(time.Hour, GateCutover, "reject", "")
	rep := f.run(corrRequest(t))
	require.Equal(t, PhaseAborted, rep.Outcome)
	require.True(t, rep.WritesStopped)
	require.Len(t, rep.Kept, 3)
	require.Contains(t, rep.Message, "WRITES ARE STILL STOPPED")
	require.Contains(t, rep.Message, "roadcall-users-prod-restored-202506011425")
	require.Contains(t, strings.Join(rep.Notes, "\n"), "gate resume-writes timed out")
	for _, fn := range localTopology(t).FunctionNames() {
		require.Len(t, f.envCallsFor(fn), 1)
	}
}

func TestCorruptionRestorePointTimeoutEscalatesThenStopsSafely(t *testing.T) {
	f := newCorruptionFake(t)
	rep := f.run(corrRequest(t))
	require.Equal(t, PhaseAborted, rep.Outcome)
	require.True(t, rep.WritesStopped)
	require.Empty(t, f.restores)
	escalations := 0
	for _, s := range f.pages() {
		if strings.Contains(s, "Escalation") {
			escalations++
		}
	}
	require.Equal(t, 10, escalations, "5 per gate: restore-point, then resume-writes")
}

func TestCorruptionCancelDuringRestoreKeepsWritesStoppedUntilApproved(t *testing.T) {
	f := newCorruptionFake(t)
	f.approve(time.Minute, GateRestorePoint, "approve", "")
	f.env.RegisterDelayedCallback(f.env.CancelWorkflow, 10*time.Minute)
	f.approve(20*time.Minute, GateResumeWrites, "approve", "")
	f.env.ExecuteWorkflow(DataCorruptionRecovery, corrRequest(t))
	require.True(t, f.env.IsWorkflowCompleted())
	err := f.env.GetWorkflowError()
	var ce *temporal.CanceledError
	require.True(t, errors.As(err, &ce), "%v", err)
	var rep CorruptionReport
	require.NoError(t, ce.Details(&rep))
	require.Equal(t, PhaseCancelled, rep.Outcome)
	require.False(t, rep.WritesStopped, "an operator approved resume-writes after the cancel")
	require.NotEmpty(t, rep.Kept, "restores started before the cancel are listed")
	for _, fn := range localTopology(t).FunctionNames() {
		calls := f.envCallsFor(fn)
		require.Len(t, calls, 2)
		require.Equal(t, []string{ReadOnlyVar}, calls[1].Unset)
	}
}

func TestCorruptionCutoverTimeoutKeepsWritesStoppedAndRestores(t *testing.T) {
	f := newCorruptionFake(t)
	f.approve(time.Minute, GateRestorePoint, "approve", "")
	var atResume Status
	f.env.RegisterDelayedCallback(func() { atResume = f.status() }, 2*time.Hour)
	f.approve(2*time.Hour+time.Minute, GateResumeWrites, "reject", "")
	rep := f.run(corrRequest(t))
	require.Equal(t, PhaseAborted, rep.Outcome)
	require.Equal(t, GateResumeWrites, atResume.PendingGate.Name)
	require.Contains(t, atResume.PendingGate.Summary, "ORIGINAL resources")
	require.Contains(t, strings.Join(rep.Notes, "\n"), "gate cutover timed out")
	require.True(t, rep.WritesStopped)
	require.False(t, rep.CutoverDone)
	require.Len(t, rep.Kept, 3)
	require.Contains(t, rep.Message, "WRITES ARE STILL STOPPED")
	escalations := 0
	for _, s := range f.pages() {
		if strings.Contains(s, "Escalation") && strings.Contains(s, "gate cutover") {
			escalations++
		}
	}
	require.Equal(t, 5, escalations, "every 10m until the 1h deadline")
	for _, fn := range localTopology(t).FunctionNames() {
		require.Len(t, f.envCallsFor(fn), 1, "only the stop: no cutover, no resume")
	}
}

func TestCorruptionCancelAtCutoverKeepsWritesStoppedWhenResumeRejected(t *testing.T) {
	f := newCorruptionFake(t)
	f.approve(time.Minute, GateRestorePoint, "approve", "")
	var atCutover Status
	f.env.RegisterDelayedCallback(func() { atCutover = f.status(); f.env.CancelWorkflow() }, 50*time.Minute)
	f.approve(time.Hour, GateResumeWrites, "reject", "")
	f.env.ExecuteWorkflow(DataCorruptionRecovery, corrRequest(t))
	require.True(t, f.env.IsWorkflowCompleted())
	var ce *temporal.CanceledError
	require.True(t, errors.As(f.env.GetWorkflowError(), &ce), "%v", f.env.GetWorkflowError())
	var rep CorruptionReport
	require.NoError(t, ce.Details(&rep))
	require.Equal(t, GateCutover, atCutover.PendingGate.Name, "the cancel came at the cutover gate")
	require.Equal(t, PhaseCancelled, rep.Outcome)
	require.True(t, rep.WritesStopped)
	require.False(t, rep.CutoverDone)
	require.Len(t, rep.Kept, 3)
	require.Contains(t, rep.Message, "WRITES ARE STILL STOPPED")
	for _, fn := range localTopology(t).FunctionNames() {
		require.Len(t, f.envCallsFor(fn), 1, "only the stop")
	}
}

func TestCorruptionSkippedValidationIsSaidAtCutover(t *testing.T) {
	f := newCorruptionFake(t)
	f.fail["CountItems"] = 1
	var paused, atCutover Status
	f.approve(time.Minute, GateRestorePoint, "approve", "")
	f.env.RegisterDelayedCallback(func() { paused = f.status() }, time.Hour)
	f.env.RegisterDelayedCallback(func() {
		f.env.SignalWorkflow(SignalOperator, OperatorAction{Action: "skip", Step: "validate", Operator: "alice"})
	}, time.Hour+time.Minute)
	f.env.RegisterDelayedCallback(func() { atCutover = f.status() }, time.Hour+2*time.Minute)
	f.approve(time.Hour+3*time.Minute, GateCutover, "approve", "")
	rep := f.run(corrRequest(t))
	require.Equal(t, []string{"validate"}, paused.PausedSteps)
	require.Equal(t, GateCutover, atCutover.PendingGate.Name)
	require.Contains(t, atCutover.PendingGate.Summary, "Validation was SKIPPED")
	require.NotContains(t, atCutover.PendingGate.Summary, "no differences")
	require.Equal(t, PhaseCompleted, rep.Outcome)
	require.Equal(t, OutcomeSkipped, stepOf(rep.Steps, "validate").Outcome)
	require.Empty(t, rep.Validation)
	require.False(t, rep.WritesStopped)
}

func TestCorruptionOperatorAbortAfterFailedRestore(t *testing.T) {
	f := newCorruptionFake(t)
	f.fail["WaitTableActive"] = 1
	var paused Status
	f.approve(time.Minute, GateRestorePoint, "approve", "")
	f.env.RegisterDelayedCallback(func() { paused = f.status() }, time.Hour)
	f.env.RegisterDelayedCallback(func() {
		f.env.SignalWorkflow(SignalOperator, OperatorAction{Action: "abort", Step: paused.PausedSteps[0], Operator: "alice"})
	}, time.Hour+time.Minute)
	f.approve(time.Hour+2*time.Minute, GateResumeWrites, "reject", "")
	rep := f.run(corrRequest(t))
	require.Equal(t, PhaseAwaitingOperator, paused.Phase)
	require.Len(t, paused.PausedSteps, 1)
	require.True(t, strings.HasPrefix(paused.PausedSteps[0], "restore:"))
	require.Equal(t, PhaseAborted, rep.Outcome)
	require.True(t, rep.WritesStopped)
	require.Len(t, rep.Kept, 3, "the other restores finished and are kept too")
	require.Equal(t, OutcomeAborted, stepOf(rep.Steps, paused.PausedSteps[0]).Outcome)
}

func TestCorruptionStopWritesRetryReadsPriorOnce(t *testing.T) {
	f := newCorruptionFake(t)
	f.fail["UpdateFunctionEnvironment"] = 1
	f.env.RegisterDelayedCallback(func() {
		f.env.SignalWorkflow(SignalOperator, OperatorAction{Action: "retry", Step: "stop-writes", Operator: "alice"})
	}, time.Minute)
	f.approve(2*time.Minute, GateRestorePoint, "approve", "")
	f.approve(time.Hour, GateCutover, "approve", "")
	rep := f.run(corrRequest(t))
	require.Equal(t, PhaseCompleted, rep.Outcome)
	require.Equal(t, 2, stepOf(rep.Steps, "stop-writes").Attempts)
	for _, fn := range localTopology(t).FunctionNames() {
		// One prior read at the stop and one at the cutover plan: the retry did not read READ_ONLY_MODE=true back as the prior.
		require.Equal(t, 2, f.envReads[fn], fn)
		calls := f.envCallsFor(fn)
		require.Equal(t, []string{ReadOnlyVar}, calls[len(calls)-1].Unset)
	}
}

func TestCorruptionAutoApproveNeverResumesWritesAfterAbort(t *testing.T) {
	f := newCorruptionFake(t)
	f.fail["WaitTableActive"] = 1
	var paused Status
	f.env.RegisterDelayedCallback(func() { paused = f.status() }, time.Hour)
	f.env.RegisterDelayedCallback(func() {
		f.env.SignalWorkflow(SignalOperator, OperatorAction{Action: "abort", Step: paused.PausedSteps[0], Operator: "alice"})
	}, time.Hour+time.Minute)
	var atResume Status
	f.env.RegisterDelayedCallback(func() { atResume = f.status() }, time.Hour+2*time.Minute)
	rep := f.run(corrRequest(t, func(r *CorruptionRequest) { r.AutoApprove = true }))
	require.Equal(t, GateResumeWrites, atResume.PendingGate.Name, "a person must decide")
	require.Equal(t, PhaseAborted, rep.Outcome)
	require.True(t, rep.WritesStopped)
	require.Len(t, rep.Approvals, 1, "only restore-point was auto-approved")
}

func TestCorruptionAutoApproveCompletes(t *testing.T) {
	f := newCorruptionFake(t)
	rep := f.run(corrRequest(t, func(r *CorruptionRequest) { r.AutoApprove = true; r.Drill = true }))
	require.Equal(t, PhaseCompleted, rep.Outcome)
	require.Len(t, rep.Approvals, 2)
	require.Equal(t, "auto", rep.Approvals[0].Approver)
}

func TestCorruptionAPIThrottleAndSSMCutover(t *testing.T) {
	f := newCorruptionFake(t)
	f.approve(time.Minute, GateRestorePoint, "approve", "")
	f.approve(time.Hour, GateCutover, "approve", "")
	rep := f.run(corrRequest(t, func(r *CorruptionRequest) {
		r.Topology.Corruption.WriteStop = topology.WriteStopAPIThrottle
		r.Topology.Corruption.Cutover = topology.CutoverSSM
		r.Topology.Corruption.SSMParameter = "/roadcall/prod/data"
		r.SkipAurora = true
	}))
	require.Equal(t, PhaseCompleted, rep.Outcome)
	prior := activities.StageThrottle{Set: true, RateLimit: 10000, BurstLimit: 5000}
	require.Equal(t, []activities.StageThrottle{{Set: true}, prior}, f.stageSet, "0/0, then exactly the previous values")
	require.Equal(t, prior, f.stage)
	require.Equal(t, "rate 10000/s burst 5000", rep.WriteStops[0].Previous())
	require.Empty(t, f.envCalls, "no Lambda change in these modes")
	require.Len(t, f.ssm, 1)
	require.JSONEq(t, `{"region":"us-east-1","restoreTime":"2025-06-01T14:25:00Z","tables":{"roadcall-users-prod":"roadcall-users-prod-restored-202506011425","roadcall-incidents-prod":"roadcall-incidents-prod-restored-202506011425"}}`, f.ssm[0].Value)
	require.NotContains(t, strings.Join(f.restores, ","), "aurora")
}

func TestCorruptionMaxParallelRestores(t *testing.T) {
	f := newCorruptionFake(t)
	f.approve(time.Minute, GateRestorePoint, "approve", "")
	f.approve(150*time.Minute, GateCutover, "approve", "")
	rep := f.run(corrRequest(t, func(r *CorruptionRequest) { r.Topology.Corruption.MaxParallelRestores = 1; r.Tables = nil }))
	require.Equal(t, PhaseCompleted, rep.Outcome)
	require.Len(t, f.restores, 6, "five tables and the cluster")
	require.Equal(t, 1, f.maxIn)
}

func TestCorruptionValidationDifferencesReachTheCutoverGate(t *testing.T) {
	f := newCorruptionFake(t)
	f.restoredCount, f.probesDiffer = 18, true
	var atCutover Status
	f.approve(time.Minute, GateRestorePoint, "approve", "")
	f.env.RegisterDelayedCallback(func() { atCutover = f.status() }, time.Hour)
	f.approve(time.Hour+time.Minute, GateCutover, "approve", "")
	rep := f.run(corrRequest(t))
	require.Equal(t, PhaseCompleted, rep.Outcome)
	diffs := strings.Join(rep.Differences, "\n")
	require.Contains(t, diffs, "roadcall-users-prod: the restore has 18 items, the source 20 (2 fewer")
	require.Contains(t, diffs, "integrity key pk=USER#0001 differs")
	require.Contains(t, diffs, "integrity key pk=INCIDENT#0001 differs")
	require.Contains(t, atCutover.PendingGate.Summary, "Validation found 4 difference(s)")
	require.Contains(t, atCutover.PendingGate.Summary, "roadcall-incidents-prod → roadcall-incidents-prod-restored-202506011425: NO function variable names it")
}

func TestCorruptionPITROffFailsAssessment(t *testing.T) {
	f := newCorruptionFake(t)
	f.pitrOff = "roadcall-vendors-prod"
	var paused Status
	f.env.RegisterDelayedCallback(func() { paused = f.status() }, time.Minute)
	f.env.RegisterDelayedCallback(func() {
		f.env.SignalWorkflow(SignalOperator, OperatorAction{Action: "abort", Step: "assess", Operator: "alice"})
	}, 2*time.Minute)
	f.approve(3*time.Minute, GateResumeWrites, "approve", "")
	rep := f.run(corrRequest(t, func(r *CorruptionRequest) { r.Tables = []string{"roadcall-vendors-prod"} }))
	require.Contains(t, paused.LastError, "point-in-time recovery is off for roadcall-vendors-prod in us-east-1")
	require.Equal(t, PhaseAborted, rep.Outcome)
	require.False(t, rep.WritesStopped)
}

func TestCorruptionRequestValidation(t *testing.T) {
	future := corrT0.Add(time.Hour)
	cases := []struct {
		name string
		mut  func(*CorruptionRequest)
		want string
	}{
		{"missing start", func(r *CorruptionRequest) { r.CorruptionStartedAt = nil }, `field "corruptionStartedAt": is missing`},
		{"future start", func(r *CorruptionRequest) { r.CorruptionStartedAt = &future }, "is in the future"},
		{"unknown table", func(r *CorruptionRequest) { r.Tables = []string{"roadcall-users-prod", "nope"} }, `"nope" is not a table of the topology`},
		{"duplicate table", func(r *CorruptionRequest) { r.Tables = []string{"roadcall-users-prod", "roadcall-users-prod"} }, "listed twice"},
		{"bad region", func(r *CorruptionRequest) { r.Region = "eu-west-1" }, "neither primaryRegion"},
		{"bad topology", func(r *CorruptionRequest) { r.Topology.Corruption.MaxParallelRestores = -1 }, "corruption.maxParallelRestores"},
		{"cluster id too long", func(r *CorruptionRequest) { r.Topology.Aurora.PrimaryClusterID = strings.Repeat("c", 40) }, "over RDS's 63"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newCorruptionFake(t)
			f.env.ExecuteWorkflow(DataCorruptionRecovery, corrRequest(t, tc.mut))
			err := f.env.GetWorkflowError()
			require.True(t, IsInvalidRequest(err), "%v", err)
			require.ErrorContains(t, err, tc.want)
			require.Empty(t, f.envCalls)
			require.Empty(t, f.pages(), "no AWS call before validation")
		})
	}
}

func TestCorruptionRequestRefusesUnknownField(t *testing.T) {
	var req CorruptionRequest
	topo := mustJSON(t, localTopology(t))
	require.NoError(t, req.UnmarshalJSON([]byte(fmt.Sprintf(`{"topology":%s,"corruptionStartedAt":"2025-06-01T14:30:00Z","tabels":["x"]}`, topo))))
	err := req.PrepareAt(corrT0)
	require.ErrorContains(t, err, `"tabels"`)
}

// TestCorruptionChangedWorkflowFailsReplay: the shared replay test replays the golden histories; this
// shows they catch a small change too, the real workflow behind one extra timer.
func TestCorruptionChangedWorkflowFailsReplay(t *testing.T) {
	files, err := filepath.Glob("testdata/DataCorruptionRecovery-*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files, "no golden history; UPDATE_GOLDEN=1 go test ./e2e -run TestGoldenHistories/DataCorruptionRecovery")
	changed := func(ctx workflow.Context, req CorruptionRequest) (CorruptionReport, error) {
		if err := workflow.Sleep(ctx, time.Second); err != nil {
			return CorruptionReport{}, err
		}
		return DataCorruptionRecovery(ctx, req)
	}
	for _, f := range files {
		r := worker.NewWorkflowReplayer()
		r.RegisterWorkflowWithOptions(changed, workflow.RegisterOptions{Name: "DataCorruptionRecovery"})
		require.Error(t, r.ReplayWorkflowHistoryFromJSONFile(quietLogger, f), f)
	}
}
