package workflows

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/topology"
)

// failbackFake answers Failback's activities like a platform that failed over to DR and whose primary has
// recovered; fields change the picture (record still on the primary, primary down, DR detached, ...).
type failbackFake struct {
	fakeEnv
	recordRegion   string
	primaryDown    bool
	stackStatus    string
	drDetached     bool
	primaryWriter  bool
	latencyMs      float64
	latencyHighFor int // DynamoDB latency reads that answer over the threshold before it drops (behind mu)
	stackValues    map[string]string
	dnsTargets     []string
	// drStandby: the DR stacks read back at standby (a failover that never activated them).
	drStandby bool
}

func newFailbackFake(t *testing.T) *failbackFake {
	s := &failbackFake{fakeEnv: newFakeEnv(t), stackStatus: "UPDATE_COMPLETE", latencyMs: 800, stackValues: map[string]string{}}
	s.recordRegion = s.topo.DRRegion
	s.env.RegisterWorkflow(Failback)
	return s
}

// changes counts the calls that change the platform.
func (s *failbackFake) changes() int {
	n := 0
	for _, m := range []string{"SwitchoverAurora", "UpsertFailoverRecord", "SetStackParameter", "RunDeployCommand", "SnapshotCluster"} {
		n += s.count(m)
	}
	return n
}

// mutations is changes plus SNS: a refused failback must not even page anyone.
func (s *failbackFake) mutations() int { return s.changes() + s.count("Publish") }

func (s *failbackFake) mocks() {
	e, topo := s.env, s.topo
	e.OnActivity(a.DescribeFailoverRecord, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.DNSCutoverInput) (activities.RecordState, error) {
		return activities.RecordState{Exists: true, AliasDNSName: topo.DNS.Targets[s.recordRegion].DNSName}, nil
	})
	e.OnActivity(a.ProbeRegion, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.ProbeInput) (activities.Reachability, error) {
		up := !(s.primaryDown && in.Region == topo.PrimaryRegion)
		r := activities.Reachability{Region: in.Region, EC2: up, STS: up, Reachable: up, Healthy: up, HealthURL: in.HealthURL, HealthStatus: 200}
		if !up {
			r.HealthStatus, r.EC2Error = 503, "connection reset"
		}
		return r, nil
	})
	e.OnActivity(a.GetHealthCheckStatus, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.HealthCheckRef) (activities.HealthCheckInfo, error) {
		ok := !(s.primaryDown && strings.Contains(in.ID, topo.PrimaryRegion))
		info := activities.HealthCheckInfo{ID: in.ID, Healthy: ok, Checkers: 8, Success: 8}
		if !ok {
			info.Success, info.Failures = 0, []string{"us-west-1: Failure: HTTP Status Code 503"}
		}
		return info, nil
	})
	e.OnActivity(a.DescribeStack, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.StackRef) (activities.StackInfo, error) {
		if in.Region == topo.DRRegion {
			// Where the DR stacks are: what this run set, else active after the failover unless drStandby.
			s.mu.Lock()
			defer s.mu.Unlock()
			v, ok := s.stackValues[in.Stack]
			if !ok {
				v = map[bool]string{true: "false", false: "true"}[s.drStandby]
			}
			return activities.StackInfo{Stack: in.Stack, Region: in.Region, Exists: true, Status: "UPDATE_COMPLETE", Parameters: map[string]string{topo.Stacks.DRModeParameter: v}}, nil
		}
		require.Equal(s.t, topo.PrimaryRegion, in.Region, "the pre-check reads the primary stacks")
		return activities.StackInfo{Exists: true, Status: s.stackStatus}, nil
	})
	// Resolution follows the record (upsert mode); the DNS-mode tests mock their own first.
	e.OnActivity(a.Resolve, mock.Anything, mock.Anything).Return(func(_ context.Context, q activities.ResolveQuery) (activities.Resolution, error) {
		return activities.Resolution{Region: s.recordRegion, Reason: "alias " + topo.DNS.Targets[s.recordRegion].DNSName, Source: "awssim"}, nil
	}).Maybe()
	e.OnActivity(a.DescribeTable, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.TableRef) (activities.TableInfo, error) {
		return activities.TableInfo{Table: in.Table, Region: in.Region, Status: "ACTIVE", Replicas: map[string]string{topo.PrimaryRegion: "ACTIVE", topo.DRRegion: "ACTIVE"}}, nil
	})
	e.OnActivity(a.GetMetric, mock.Anything, mock.Anything).Return(func(_ context.Context, q activities.MetricQuery) (activities.MetricResult, error) {
		v := 0.0
		switch q.Metric {
		case "ReplicationLatency":
			v = s.latencyMs
			s.mu.Lock()
			if s.latencyHighFor > 0 {
				s.latencyHighFor--
				v = 60000
			}
			s.mu.Unlock()
		case "Count":
			v = 3000
		case "5XXError":
			v = 0
		case "Latency":
			v = 40
		}
		return activities.MetricResult{Points: []activities.Point{{V: v}}, Max: v, Sum: v, Avg: v, Last: v}, nil
	})
	e.OnActivity(a.DescribeGlobalCluster, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.GlobalClusterRef) (activities.GlobalClusterInfo, error) {
		g := activities.GlobalClusterInfo{ID: topo.Aurora.GlobalClusterID, Members: []activities.GlobalMember{
			{ClusterID: topo.Aurora.PrimaryClusterID, Region: topo.PrimaryRegion, IsWriter: s.primaryWriter}}}
		if !s.drDetached {
			g.Members = append(g.Members, activities.GlobalMember{ClusterID: topo.Aurora.DRClusterID, Region: topo.DRRegion, IsWriter: !s.primaryWriter})
		}
		return g, nil
	})
	e.OnActivity(a.WaitAuroraLag, mock.Anything, mock.Anything).After(3 * time.Minute).Return(func(_ context.Context, in activities.LagInput) (activities.LagState, error) {
		require.Equal(s.t, topo.Aurora.PrimaryClusterID, in.ClusterID)
		return activities.LagState{Cluster: in.ClusterID, Region: in.Region, Lag: 30 * time.Millisecond}, nil
	})
	e.OnActivity(a.SwitchoverAurora, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.SwitchoverInput) (activities.AuroraFailoverResult, error) {
		require.Equal(s.t, topo.Aurora.PrimaryClusterID, in.TargetClusterID)
		return activities.AuroraFailoverResult{Action: activities.ActionStarted, Call: "SwitchoverGlobalCluster", Detail: "switching"}, s.hit("SwitchoverAurora")
	})
	e.OnActivity(a.WaitAuroraWriter, mock.Anything, mock.Anything).After(2 * time.Minute).Return(func(_ context.Context, in activities.AuroraFailoverInput) (activities.AuroraWriterState, error) {
		require.Equal(s.t, topo.Aurora.PrimaryClusterID, in.DRClusterID, "the writer awaited is the primary's cluster")
		return activities.AuroraWriterState{Cluster: in.DRClusterID, Status: "available", Writer: true}, nil
	})
	e.OnActivity(a.SnapshotCluster, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.ClusterSnapshotInput) (activities.ClusterSnapshotState, error) {
		require.Equal(s.t, topo.DRRegion, in.Region)
		return activities.ClusterSnapshotState{SnapshotID: in.SnapshotID, Created: true, Status: "creating"}, s.hit("SnapshotCluster")
	})
	e.OnActivity(a.WaitClusterSnapshot, mock.Anything, mock.Anything).After(5 * time.Minute).Return(func(_ context.Context, in activities.ClusterSnapshotInput) (activities.ClusterSnapshotState, error) {
		return activities.ClusterSnapshotState{SnapshotID: in.SnapshotID, ARN: "arn:aws:rds:us-west-2:123456789012:cluster-snapshot:" + in.SnapshotID, Status: "available"}, nil
	})
	e.OnActivity(a.UpsertFailoverRecord, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.DNSCutoverInput) (activities.DNSCutoverResult, error) {
		s.mu.Lock()
		s.dnsTargets = append(s.dnsTargets, in.Target.DNSName)
		s.mu.Unlock()
		return activities.DNSCutoverResult{ChangeID: "C2", Previous: topo.DNS.Targets[topo.DRRegion].DNSName}, s.hit("UpsertFailoverRecord")
	})
	e.OnActivity(a.WaitDNSChange, mock.Anything, mock.Anything).After(time.Minute).Return(activities.ChangeState{ChangeID: "C2", Status: "INSYNC"}, nil)
	e.OnActivity(a.CheckHealthURL, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.URLCheckInput) (activities.URLCheckResult, error) {
		require.Equal(s.t, topo.PrimaryRegion, in.Region, "verification happens in the primary")
		return activities.URLCheckResult{URL: in.URL, Status: 200}, nil
	})
	e.OnActivity(a.ListFunctionsByPrefix, mock.Anything, mock.Anything).Return(activities.FunctionsResult{Found: topo.FunctionNames()}, nil)
	e.OnActivity(a.ScanOne, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.TableRef) (activities.ScanResult, error) {
		return activities.ScanResult{Table: in.Table, Region: in.Region, Count: 1}, nil
	})
	e.OnActivity(a.CheckDatabaseWriter, mock.Anything, mock.Anything).Return(activities.DBCheckResult{Skipped: true, Reason: "no aurora.dsnEnv in the topology"}, nil)
	e.OnActivity(a.SetStackParameter, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.StackParamInput) (activities.StackParamResult, error) {
		require.Equal(s.t, topo.DRRegion, in.Region, "only the DR stacks are scaled down")
		s.mu.Lock()
		s.stackValues[in.Stack] = in.Value
		s.mu.Unlock()
		return activities.StackParamResult{Stack: in.Stack, Action: activities.ActionStarted}, s.hit("SetStackParameter")
	})
	e.OnActivity(a.WaitStackParameter, mock.Anything, mock.Anything).After(20*time.Minute).Return(activities.StackState{Status: "UPDATE_COMPLETE"}, nil)
	e.OnActivity(a.Publish, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.PublishInput) (activities.PublishResult, error) {
		s.paged(in.Subject)
		return activities.PublishResult{MessageID: "m"}, s.hit("Publish")
	})
}

func (s *failbackFake) execute(req FailbackRequest) {
	s.t.Helper()
	if req.Topology.Platform == "" {
		req.Topology = s.topo
	}
	s.mocks()
	s.env.ExecuteWorkflow(Failback, req)
	require.True(s.t, s.env.IsWorkflowCompleted())
}

func (s *failbackFake) run(req FailbackRequest) FailbackReport {
	s.t.Helper()
	s.execute(req)
	return result[FailbackReport](&s.fakeEnv)
}

// lastPage is the last SNS subject sent.
func (s *failbackFake) lastPage() string {
	p := s.pages()
	require.NotEmpty(s.t, p)
	return p[len(p)-1]
}

func stepNames(steps []StepRecord) []string {
	var out []string
	for _, st := range steps {
		out = append(out, st.Name)
	}
	return out
}

func TestFailbackWaitsAtGateThenSwitchesOverAndScalesDown(t *testing.T) {
	s := newFailbackFake(t)
	var atGate Status
	mutatedBeforeGate := -1
	s.env.RegisterDelayedCallback(func() {
		atGate = s.status()
		mutatedBeforeGate = s.changes()
	}, 5*time.Minute)
	s.signal(6*time.Minute, SignalApprove, Approval{Gate: GateFailback, Decision: "approve", Approver: "alice"})
	stack0 := s.topo.Stacks.Names[0]
	rep := s.run(FailbackRequest{MonitorWindow: topology.Duration(5 * time.Minute), RestoreDRMode: map[string]string{stack0: "warm"}})

	require.Equal(t, PhaseAwaitingApproval, atGate.Phase)
	require.Equal(t, []string{GateFailback}, atGate.PendingGates)
	require.Zero(t, mutatedBeforeGate, "nothing changes before the failback gate")
	require.Equal(t, []string{"Approval needed: Failback gate failback"}, s.pages()[:1], "the gate's page is the first message")
	require.Contains(t, atGate.PendingGate.Summary, "SwitchoverGlobalCluster")
	require.Contains(t, atGate.PendingGate.Summary, "5/5")

	require.Equal(t, PhaseCompleted, rep.Outcome, rep.Steps)
	require.Equal(t, []string{"verify-primary", "data-sync", "database", "dns", "verify", "monitor", "decommission", "communicate"}, stepNames(rep.Steps))
	for _, st := range rep.Steps {
		require.Equal(t, OutcomeOK, st.Outcome, st.Name)
	}
	require.Equal(t, AuroraSwitchover, rep.AuroraPath)
	require.Equal(t, 1, s.count("SwitchoverAurora"))
	require.Equal(t, []string{s.topo.DNS.Targets[s.topo.PrimaryRegion].DNSName}, s.dnsTargets)
	require.False(t, rep.Steps[3].Started.Before(rep.Steps[2].Ended), "DNS moves only once the primary writes")
	require.Equal(t, "warm", s.stackValues[stack0], "the setting recorded before the failover is restored")
	for _, st := range s.topo.Stacks.Names[1:] {
		require.Equal(t, "false", s.stackValues[st])
	}
	require.Zero(t, s.count("SnapshotCluster"))
	require.True(t, rep.RPOKnown)
	require.Zero(t, rep.RPO)
	require.True(t, rep.RPOMet)
	// 3 min lag wait + 3 min more at the gate + 2 min switchover + 1 min DNS + 5 min monitoring.
	require.Equal(t, 14*time.Minute, rep.RTO)
	require.Len(t, rep.Actions, 1+1+len(s.topo.Stacks.Names))
	require.Equal(t, 5*time.Minute, rep.Steps[3].Budget)
	require.Contains(t, s.lastPage(), "RESOLVED")
	statuses := map[string]string{}
	for _, c := range rep.Checklist {
		statuses[c.Item] = c.Status
	}
	require.Equal(t, Pass, statuses["API endpoints respond correctly"])
	require.Equal(t, Pass, statuses["No data loss beyond RPO"])
	// The report's rendering of this run ("Failback us-west-2 → us-east-1: COMPLETED") is asserted in internal/render.
}

func failbackRefusal(t *testing.T, s *failbackFake) *temporal.ApplicationError {
	t.Helper()
	s.execute(FailbackRequest{Common: Common{AutoApprove: true}})
	err := s.env.GetWorkflowError()
	require.Error(t, err)
	var ae *temporal.ApplicationError
	require.True(t, errors.As(err, &ae), "%v", err)
	require.Equal(t, ErrFailbackRefused, ae.Type())
	require.True(t, ae.NonRetryable())
	require.Zero(t, s.mutations(), "a refused failback changes nothing")
	require.Zero(t, s.count("WaitAuroraLag"), "and does not go past its pre-check")
	st := s.status()
	require.Equal(t, []string{"verify-primary"}, stepNames(st.Steps))
	require.Equal(t, PhaseRefused, st.Phase)
	require.Equal(t, OutcomeFailed, st.Steps[0].Outcome)
	require.Contains(t, st.Steps[0].Error, "nothing was changed")
	var rows []CheckRow
	require.NoError(t, ae.Details(&rows))
	require.NotEmpty(t, rows)
	return ae
}

func TestFailbackRefusesWhenNoFailoverHappened(t *testing.T) {
	s := newFailbackFake(t)
	s.recordRegion, s.primaryWriter, s.drStandby = s.topo.PrimaryRegion, true, true
	ae := failbackRefusal(t, s)
	require.Contains(t, ae.Message(), "no failover has happened")
	require.Contains(t, ae.Message(), s.topo.DNS.Targets[s.topo.PrimaryRegion].DNSName)
	require.NotContains(t, ae.Message(), "not ready", "the primary itself is healthy")
}

func TestFailbackRefusesWhilePrimaryIsUnhealthy(t *testing.T) {
	s := newFailbackFake(t)
	s.primaryDown = true
	ae := failbackRefusal(t, s)
	require.Contains(t, ae.Message(), "us-east-1 is not ready to take traffic back")
	require.Contains(t, ae.Message(), "still unhealthy")
	require.Contains(t, ae.Message(), "route53-health-check hc-roadcall-api-us-east-1")
	require.NotContains(t, ae.Message(), "no failover")
}

func TestFailbackRefusesWhenPrimaryStacksAreNotComplete(t *testing.T) {
	s := newFailbackFake(t)
	s.stackStatus = "UPDATE_ROLLBACK_IN_PROGRESS"
	ae := failbackRefusal(t, s)
	require.Contains(t, ae.Message(), "primary-stack "+s.topo.Stacks.Names[0])
}

func TestFailbackRejectionChangesNothing(t *testing.T) {
	s := newFailbackFake(t)
	s.signal(5*time.Minute, SignalApprove, Approval{Gate: GateFailback, Decision: "reject", Approver: "alice", Comment: "not tonight"})
	rep := s.run(FailbackRequest{})
	require.Equal(t, PhaseAborted, rep.Outcome)
	require.Zero(t, s.changes())
	require.Empty(t, rep.Actions)
	require.Zero(t, rep.RTO)
	require.Contains(t, s.lastPage(), "aborted")
	require.Equal(t, []string{"verify-primary", "data-sync"}, stepNames(rep.Steps))
}

func TestFailbackWithPrimaryAlreadyWritingSkipsSwitchover(t *testing.T) {
	s := newFailbackFake(t)
	s.primaryWriter = true
	rep := s.run(FailbackRequest{Common: Common{AutoApprove: true}, MonitorWindow: topology.Duration(time.Minute)})
	require.Equal(t, PhaseCompleted, rep.Outcome, rep.Steps)
	require.Equal(t, AuroraAlreadyPrimary, rep.AuroraPath)
	require.Zero(t, s.count("SwitchoverAurora"))
	require.NotContains(t, stepNames(rep.Steps), "database")
	require.Equal(t, "auto", rep.Approvals[0].Approver)
}

func TestFailbackRebuildPathIsGatedAndSnapshotsDR(t *testing.T) {
	s := newFailbackFake(t)
	s.drDetached = true
	var atRebuild Status
	s.env.RegisterDelayedCallback(func() { atRebuild = s.status() }, time.Minute)
	s.signal(2*time.Minute, SignalApprove, Approval{Gate: GateRebuild, Decision: "approve", Approver: "alice"})
	s.signal(30*time.Minute, SignalApprove, Approval{Gate: GateFailback, Decision: "approve", Approver: "alice"})
	rep := s.run(FailbackRequest{MonitorWindow: topology.Duration(time.Minute)})

	require.Equal(t, []string{GateRebuild}, atRebuild.PendingGates)
	require.Contains(t, atRebuild.PendingGate.Summary, "CreateGlobalCluster")
	require.Contains(t, atRebuild.PendingGate.Summary, s.topo.Aurora.DRClusterID+"-failback-")
	require.Equal(t, PhaseCompleted, rep.Outcome, rep.Steps)
	require.Equal(t, AuroraRebuild, rep.AuroraPath)
	require.Equal(t, []string{"verify-primary", "data-sync", "snapshot", "rebuild", "dns", "verify", "monitor", "decommission", "communicate"}, stepNames(rep.Steps))
	require.Equal(t, 1, s.count("SnapshotCluster"))
	require.Zero(t, s.count("SwitchoverAurora"), "the operator switches the rebuilt database over")
	require.Contains(t, rep.Snapshot, "cluster-snapshot:"+s.topo.Aurora.DRClusterID+"-failback-")
	require.False(t, rep.RPOKnown, "a rebuild is the operator's work; the run cannot vouch for its RPO")
	require.Len(t, rep.Approvals, 2)
}

func TestFailbackDataOutOfSyncPausesForOperatorThenRetries(t *testing.T) {
	s := newFailbackFake(t)
	// Every latency read of the first attempt answers 60 s: 5 tables × 2 directions.
	s.latencyHighFor = 10
	var paused Status
	switched := -1
	s.env.RegisterDelayedCallback(func() { paused, switched = s.status(), s.count("SwitchoverAurora") }, 5*time.Minute)
	s.signal(6*time.Minute, SignalOperator, OperatorAction{Action: "retry", Step: "data-sync", Operator: "alice"})
	rep := s.run(FailbackRequest{Common: Common{AutoApprove: true}, MonitorWindow: topology.Duration(time.Minute)})
	require.Equal(t, PhaseAwaitingOperator, paused.Phase)
	require.Equal(t, []string{"data-sync"}, paused.PausedSteps)
	require.Contains(t, paused.Steps[1].Error, "not in sync")
	require.Zero(t, switched, "nothing moved while the data was behind")
	require.Equal(t, PhaseCompleted, rep.Outcome, rep.Steps)
	require.Equal(t, 2, rep.Steps[1].Attempts)
}

func TestFailbackInvalidRequestCallsNothing(t *testing.T) {
	s := newFailbackFake(t)
	s.execute(FailbackRequest{RestoreDRMode: map[string]string{"no-such-stack": "false"}, MonitorWindow: topology.Duration(-time.Minute)})
	err := s.env.GetWorkflowError()
	require.True(t, IsInvalidRequest(err), "%v", err)
	require.ErrorContains(t, err, `"restoreDrMode.no-such-stack"`)
	require.ErrorContains(t, err, `"monitorWindow"`)
	require.Zero(t, s.mutations()+s.count("DescribeGlobalCluster"))

	cmd := localTopology(t)
	cmd.Stacks.Activation, cmd.Stacks.DeployCommand = topology.ActivationCommand, []string{"./deploy.sh", "prod"}
	req := FailbackRequest{Common: Common{Topology: cmd}}
	require.ErrorContains(t, req.Validate(), `"decommissionCommand"`)
	cmd.Stacks.DeployCommand = []string{"pnpm", "cdk", "deploy", "--context", "drMode=true"}
	req = FailbackRequest{Common: Common{Topology: cmd}}
	require.NoError(t, req.Validate())
	require.Equal(t, []string{"pnpm", "cdk", "deploy", "--context", "drMode=false"}, req.decommissionArgv())
}
