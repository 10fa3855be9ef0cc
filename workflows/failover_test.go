package workflows

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/workflow"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/policy"
	"github.com/roadcall/dr/internal/topology"
)

// failoverFake answers RegionFailover's activities like a platform whose primary region is down, counts the
// mutating calls and can fail chosen activities a number of times.
type failoverFake struct {
	fakeEnv
	lagMs   float64
	lagGone bool
	p95ms   float64
}

func newFailoverFake(t *testing.T) *failoverFake {
	s := &failoverFake{fakeEnv: newFakeEnv(t), lagMs: 40, p95ms: 45}
	s.env.RegisterWorkflow(RegionFailover)
	return s
}

func (s *failoverFake) mocks() {
	e, topo := s.env, s.topo
	e.OnActivity(a.ProbeRegion, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.ProbeInput) (activities.Reachability, error) {
		up := in.Region == topo.DRRegion
		r := activities.Reachability{Region: in.Region, EC2: up, STS: up, Reachable: up, Healthy: up, HealthURL: in.HealthURL, HealthStatus: 503}
		if up {
			r.HealthStatus = 200
		} else {
			r.EC2Error = "connection reset"
		}
		return r, nil
	})
	e.OnActivity(a.GetHealthCheckStatus, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.HealthCheckRef) (activities.HealthCheckInfo, error) {
		ok := !strings.Contains(in.ID, topo.PrimaryRegion)
		info := activities.HealthCheckInfo{ID: in.ID, Healthy: ok, Checkers: 8}
		if ok {
			info.Success = 8
		} else {
			info.Failures = []string{"us-west-1: Failure: HTTP Status Code 503"}
		}
		return info, nil
	})
	e.OnActivity(a.DescribeTable, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.TableRef) (activities.TableInfo, error) {
		return activities.TableInfo{Table: in.Table, Region: in.Region, Status: "ACTIVE", Replicas: map[string]string{topo.PrimaryRegion: "ACTIVE", topo.DRRegion: "ACTIVE"}}, nil
	})
	e.OnActivity(a.GetMetric, mock.Anything, mock.Anything).Return(func(_ context.Context, q activities.MetricQuery) (activities.MetricResult, error) {
		v := 0.0
		switch q.Metric {
		case "AuroraGlobalDBReplicationLag":
			if s.lagGone {
				return activities.MetricResult{}, nil
			}
			v = s.lagMs
		case "Count":
			v = 3000
		case "5XXError":
			v = 1
		case "Latency":
			v = s.p95ms
		}
		return activities.MetricResult{Points: []activities.Point{{V: v}}, Max: v, Sum: v, Avg: v, Last: v}, nil
	})
	e.OnActivity(a.Publish, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.PublishInput) (activities.PublishResult, error) {
		s.paged(in.Subject)
		return activities.PublishResult{MessageID: "m"}, nil
	})
	e.OnActivity(a.FailoverAurora, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.AuroraFailoverInput) (activities.AuroraFailoverResult, error) {
		require.Equal(s.t, topo.Aurora.FailoverMode, in.Mode)
		return activities.AuroraFailoverResult{Action: activities.ActionStarted, Call: "FailoverGlobalCluster", Detail: "failing over"}, s.hit("FailoverAurora")
	})
	// Modeled durations: Aurora 90 s, stacks 20 minutes, DNS 60 s (the time-skipping clock honours After).
	e.OnActivity(a.WaitAuroraWriter, mock.Anything, mock.Anything).After(90*time.Second).Return(activities.AuroraWriterState{Cluster: topo.Aurora.DRClusterID, Status: "available", Writer: true}, nil)
	e.OnActivity(a.SetStackParameter, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.StackParamInput) (activities.StackParamResult, error) {
		require.Equal(s.t, "true", in.Value)
		return activities.StackParamResult{Stack: in.Stack, Action: activities.ActionStarted}, s.hit("SetStackParameter")
	})
	e.OnActivity(a.WaitStackParameter, mock.Anything, mock.Anything).After(20*time.Minute).Return(activities.StackState{Status: "UPDATE_COMPLETE"}, nil)
	e.OnActivity(a.RunDeployCommand, mock.Anything, mock.Anything).After(20 * time.Minute).Return(func(_ context.Context, in activities.DeployCommandInput) (activities.DeployCommandResult, error) {
		require.Equal(s.t, topo.DRRegion, in.Env["AWS_REGION"])
		return activities.DeployCommandResult{Tail: "done"}, s.hit("RunDeployCommand")
	})
	e.OnActivity(a.UpsertFailoverRecord, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.DNSCutoverInput) (activities.DNSCutoverResult, error) {
		require.Equal(s.t, topo.DNS.Targets[topo.DRRegion].DNSName, in.Target.DNSName)
		return activities.DNSCutoverResult{ChangeID: "C1"}, s.hit("UpsertFailoverRecord")
	})
	e.OnActivity(a.WaitDNSChange, mock.Anything, mock.Anything).After(time.Minute).Return(activities.ChangeState{ChangeID: "C1", Status: "INSYNC"}, nil)
	e.OnActivity(a.CheckHealthURL, mock.Anything, mock.Anything).Return(activities.URLCheckResult{URL: topo.API.HealthURLs[topo.DRRegion], Status: 200}, nil)
	e.OnActivity(a.ListFunctionsByPrefix, mock.Anything, mock.Anything).Return(activities.FunctionsResult{Found: topo.FunctionNames()}, nil)
	e.OnActivity(a.ScanOne, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.TableRef) (activities.ScanResult, error) {
		return activities.ScanResult{Table: in.Table, Region: in.Region, Count: 1}, s.hit("ScanOne " + in.Table)
	})
	e.OnActivity(a.CheckDatabaseWriter, mock.Anything, mock.Anything).Return(activities.DBCheckResult{Skipped: true, Reason: "no aurora.dsnEnv in the topology"}, nil)
	e.OnActivity(a.PostStatusPage, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.WebhookInput) (activities.WebhookResult, error) {
		return activities.WebhookResult{Status: 200}, s.hit("PostStatusPage")
	})
}

func (s *failoverFake) run(req FailoverRequest) FailoverReport {
	s.t.Helper()
	if req.Topology.Platform == "" {
		req.Topology = s.topo
	}
	s.mocks()
	s.env.ExecuteWorkflow(RegionFailover, req)
	return result[FailoverReport](&s.fakeEnv)
}

// lastPage is the last SNS subject sent.
func (s *failoverFake) lastPage() string {
	p := s.pages()
	require.NotEmpty(s.t, p)
	return p[len(p)-1]
}

func approve(who string) Approval {
	return Approval{Gate: GateFailover, Decision: "approve", Approver: who}
}

func (s *failoverFake) mutations() int {
	return s.count("FailoverAurora") + s.count("SetStackParameter") + s.count("UpsertFailoverRecord") + s.count("RunDeployCommand")
}

func TestFailoverWaitsAtGateThenCompletesOnApproval(t *testing.T) {
	s := newFailoverFake(t)
	var atGate Status
	var raw map[string]any
	mutatedBeforeGate := -1
	s.env.RegisterDelayedCallback(func() {
		atGate = s.status()
		mutatedBeforeGate = s.mutations()
		v, err := s.env.QueryWorkflow(QueryStatus)
		require.NoError(t, err)
		require.NoError(t, v.Get(&raw))
	}, time.Minute)
	s.signal(2*time.Minute, SignalApprove, approve("alice"))
	rep := s.run(FailoverRequest{Common: Common{Initiator: "bob"}, MonitorWindow: topology.Duration(5 * time.Minute)})

	require.Equal(t, PhaseAwaitingApproval, atGate.Phase)
	require.Equal(t, []string{GateFailover}, atGate.PendingGates)
	require.Zero(t, mutatedBeforeGate, "nothing changes before the gate opens")
	require.Contains(t, atGate.PendingGate.Summary, "FailoverGlobalCluster")
	require.False(t, atGate.PendingGate.RequireDataLossAck)
	// The status interface promised to temporal CLI users.
	require.Equal(t, []any{GateFailover}, raw["pendingGates"])
	require.Contains(t, raw, "rtoElapsedSeconds")
	step0 := raw["steps"].([]any)[0].(map[string]any)
	for _, k := range []string{"name", "status", "startedAt", "endedAt"} {
		require.Contains(t, step0, k)
	}

	require.Equal(t, PhaseCompleted, rep.Outcome, rep.Steps)
	require.Equal(t, 1, s.count("FailoverAurora"))
	require.Equal(t, len(s.topo.Stacks.Names), s.count("SetStackParameter"))
	require.Equal(t, 1, s.count("UpsertFailoverRecord"))
	require.Len(t, rep.Actions, 1+len(s.topo.Stacks.Names)+1)
	var names []string
	for _, st := range rep.Steps {
		names = append(names, st.Name)
		require.Equal(t, OutcomeOK, st.Outcome, st.Name)
	}
	require.Equal(t, []string{"assess", "notify", "database", "activate", "dns", "verify", "monitor", "communicate"}, names)
	db, act, dns := rep.Steps[2], rep.Steps[3], rep.Steps[4]
	require.Equal(t, db.Started, act.Started, "the database failover and the activation start together")
	require.Equal(t, 90*time.Second, db.Duration())
	require.False(t, dns.Started.Before(act.Ended), "DNS moves only once the DR stacks are active")
	// Critical path: 2 min at the gate + 20 min activation + 1 min DNS + 5 min monitoring window.
	require.Equal(t, 28*time.Minute, rep.RTO)
	require.True(t, rep.RTOMet)
	require.True(t, rep.RPOKnown)
	require.Equal(t, 40*time.Millisecond, rep.RPO)
	require.True(t, rep.RPOMet)
	require.Equal(t, "alice", rep.Approvals[0].Approver)
	statuses := map[string]string{}
	for _, c := range rep.Checklist {
		statuses[c.Item] = c.Status
	}
	require.Equal(t, Pass, statuses["API endpoints respond correctly"])
	require.Equal(t, Pass, statuses["No data loss beyond RPO"])
	require.Equal(t, Pass, statuses["API latency is within SLA (P95 < 300ms)"])
	require.Equal(t, "not-checked", statuses["Database queries perform normally"])
	require.Contains(t, s.pages()[0], "INCIDENT")
	require.Contains(t, s.lastPage(), "RESOLVED")
	// The report's rendering of this RTO ("RTO 28m0s") is asserted in internal/render.
}

func TestFailoverRejectionChangesNothing(t *testing.T) {
	s := newFailoverFake(t)
	s.signal(time.Minute, SignalApprove, Approval{Gate: GateFailover, Decision: "reject", Approver: "alice", Comment: "primary is recovering"})
	rep := s.run(FailoverRequest{})
	require.Equal(t, PhaseAborted, rep.Outcome)
	require.Zero(t, s.mutations())
	require.Empty(t, rep.Actions)
	require.Zero(t, rep.RTO)
	require.Contains(t, s.lastPage(), "aborted")
	require.Len(t, rep.Steps, 2, "only assess and notify ran")
}

func TestFailoverGateTimesOutWithEscalationsAndChangesNothing(t *testing.T) {
	s := newFailoverFake(t)
	rep := s.run(FailoverRequest{})
	require.Equal(t, PhaseAborted, rep.Outcome)
	require.Zero(t, s.mutations())
	escalations := 0
	for _, sub := range s.pages() {
		if strings.HasPrefix(sub, "Escalation") {
			escalations++
		}
	}
	require.Equal(t, 5, escalations, "every 10 minutes until the 1 h deadline: %v", s.pages())
	require.Contains(t, strings.Join(rep.Notes, "\n"), "timed out")
}

func TestFailoverLagOverRPORequiresDataLossAck(t *testing.T) {
	for name, set := range map[string]func(*failoverFake){
		"lag over RPO": func(s *failoverFake) { s.lagMs = float64((20 * time.Minute).Milliseconds()) },
		"lag unknown":  func(s *failoverFake) { s.lagGone = true },
	} {
		t.Run(name, func(t *testing.T) {
			s := newFailoverFake(t)
			set(s)
			var noAck, ok error
			s.update(time.Minute, UpdateApprove, approve("alice"), &noAck)
			ack := approve("alice")
			ack.AcceptDataLoss = true
			s.update(2*time.Minute, UpdateApprove, ack, &ok)
			rep := s.run(FailoverRequest{})
			require.ErrorContains(t, noAck, "acceptDataLoss")
			require.NoError(t, ok)
			require.Equal(t, PhaseCompleted, rep.Outcome)
			require.False(t, rep.RPOMet)
			require.True(t, rep.Approvals[0].AcceptDataLoss)
		})
	}
}

func TestFailoverApprovalRefusals(t *testing.T) {
	s := newFailoverFake(t)
	s.policy.Policy.TwoPerson = true
	var outsider, own, notPending, unknownGate error
	s.update(time.Minute, UpdateApprove, approve("mallory"), &outsider)
	s.update(time.Minute, UpdateApprove, approve("bob"), &own)
	s.update(time.Minute, UpdateApprove, Approval{Gate: "cutover", Decision: "approve", Approver: "alice"}, &unknownGate)
	s.signal(2*time.Minute, SignalApprove, approve("alice"))
	// After the gate: the run is activating and nothing is pending.
	s.update(5*time.Minute, UpdateApprove, approve("alice"), &notPending)
	rep := s.run(FailoverRequest{Common: Common{Initiator: "bob"}})
	require.ErrorContains(t, outsider, "not an approver in the worker's policy")
	require.ErrorContains(t, own, "two-person rule")
	require.ErrorContains(t, unknownGate, "is not a gate")
	require.ErrorContains(t, notPending, "not pending")
	require.Equal(t, PhaseCompleted, rep.Outcome)
	require.Len(t, rep.Approvals, 1)
}

func TestFailoverDNSAccessDeniedPausesThenRetryCompletes(t *testing.T) {
	s := newFailoverFake(t)
	s.fail["UpsertFailoverRecord"] = 1
	var paused Status
	var skipRefused error
	s.env.RegisterDelayedCallback(func() { paused = s.status() }, 30*time.Minute)
	s.update(30*time.Minute, SignalOperator, OperatorAction{Action: "skip", Step: "dns"}, &skipRefused)
	s.signal(31*time.Minute, SignalOperator, OperatorAction{Action: "retry", Step: "dns", Operator: "alice"})
	rep := s.run(FailoverRequest{Common: Common{AutoApprove: true}})
	require.Equal(t, PhaseAwaitingOperator, paused.Phase)
	require.Equal(t, []string{"dns"}, paused.PausedSteps)
	require.Contains(t, paused.LastError, "AccessDenied")
	require.ErrorContains(t, skipRefused, "critical")
	require.Equal(t, PhaseCompleted, rep.Outcome)
	require.Equal(t, 2, s.count("UpsertFailoverRecord"))
	dns := rep.Steps[4]
	require.Equal(t, "dns", dns.Name)
	require.Equal(t, 2, dns.Attempts)
	require.Equal(t, "auto", rep.Approvals[0].Approver)
	require.Contains(t, strings.Join(rep.Notes, "\n"), "step dns retried by alice")
}

func TestFailoverOperatorAbortStopsAndReportsWhatWasDone(t *testing.T) {
	s := newFailoverFake(t)
	s.fail["UpsertFailoverRecord"] = 1
	s.signal(30*time.Minute, SignalOperator, OperatorAction{Action: "abort", Operator: "alice"})
	rep := s.run(FailoverRequest{Common: Common{AutoApprove: true}})
	require.Equal(t, PhaseAborted, rep.Outcome)
	require.Len(t, rep.Actions, 1+len(s.topo.Stacks.Names), "the database failover and stack updates happened; DNS did not")
	require.Zero(t, rep.RTO)
	require.Nil(t, rep.Verify)
	require.Contains(t, s.lastPage(), "aborted")
}

func TestFailoverMonitorFailureCanBeSkipped(t *testing.T) {
	s := newFailoverFake(t)
	s.p95ms = 900
	s.signal(40*time.Minute, SignalOperator, OperatorAction{Action: "skip", Step: "monitor", Operator: "alice"})
	rep := s.run(FailoverRequest{Common: Common{AutoApprove: true}})
	require.Equal(t, PhaseCompleted, rep.Outcome)
	mon := rep.Steps[6]
	require.Equal(t, "monitor", mon.Name)
	require.Equal(t, OutcomeSkipped, mon.Outcome)
	require.Contains(t, mon.Error, "p95 900ms")
	// Validated when verification passed: 20 min activation + 1 min DNS.
	require.Equal(t, 21*time.Minute, rep.RTO)
	for _, c := range rep.Checklist {
		if strings.HasPrefix(c.Item, "API latency") {
			require.Equal(t, Fail, c.Status)
		}
	}
}

func TestFailoverCancelledDuringDatabaseWaitSaysWhatWasDone(t *testing.T) {
	s := newFailoverFake(t)
	s.env.RegisterDelayedCallback(func() { s.env.CancelWorkflow() }, time.Minute)
	rep := s.run(FailoverRequest{Common: Common{AutoApprove: true}})
	require.Equal(t, PhaseCancelled, rep.Outcome)
	require.Equal(t, 1, s.count("FailoverAurora"))
	require.Zero(t, s.count("UpsertFailoverRecord"), "DNS is never touched after a cancel")
	require.Contains(t, s.lastPage(), "cancelled", "the last word goes out on a disconnected context")
	byName := map[string]StepRecord{}
	for _, st := range rep.Steps {
		byName[st.Name] = st
	}
	require.Equal(t, OutcomeAborted, byName["database"].Outcome)
	require.NotEmpty(t, rep.Actions)
}

func TestFailoverCommandActivation(t *testing.T) {
	s := newFailoverFake(t)
	s.topo.Stacks.Activation, s.topo.Stacks.Deploy = topology.ActivationCommand, "cdk-deploy"
	s.policy.Policy.DeployCommands = map[string]policy.Command{"cdk-deploy": {Argv: []string{"pnpm", "cdk", "deploy", "--all"}}}
	s.topo.StatusPageWebhookEnv = "ROADCALL_STATUS_WEBHOOK"
	rep := s.run(FailoverRequest{Common: Common{AutoApprove: true}})
	require.Equal(t, PhaseCompleted, rep.Outcome)
	require.Equal(t, 1, s.count("RunDeployCommand"))
	require.Zero(t, s.count("SetStackParameter"))
	require.Equal(t, 1, s.count("PostStatusPage"))
}

func TestFailoverRefusesBadInputBeforeAnyActivity(t *testing.T) {
	cases := map[string]func(*FailoverRequest){
		"drRegion":            func(r *FailoverRequest) { r.Topology.DRRegion = r.Topology.PrimaryRegion },
		"aurora.failoverMode": func(r *FailoverRequest) { r.Topology.Aurora.FailoverMode = "promote-everything" },
		"objectives.rto":      func(r *FailoverRequest) { r.Topology.Objectives.RTO = topology.Duration(-time.Minute) },
		"initiator":           func(r *FailoverRequest) { r.Topology.Approvals.TwoPerson = true },
		"monitorWindow":       func(r *FailoverRequest) { r.MonitorWindow = topology.Duration(-time.Second) },
		"stacks.deploy":       func(r *FailoverRequest) { r.Topology.Stacks.Activation = topology.ActivationCommand },
	}
	for field, mutate := range cases {
		t.Run(field, func(t *testing.T) {
			s := newFailoverFake(t)
			req := FailoverRequest{Common: Common{Topology: s.topo}}
			mutate(&req)
			s.env.ExecuteWorkflow(RegionFailover, req)
			err := s.env.GetWorkflowError()
			require.Error(t, err)
			require.True(t, IsInvalidRequest(err), "%v", err)
			require.Contains(t, err.Error(), `"`+field+`"`)
		})
	}
}

func TestFailoverRequestRefusesExplicitZeroRTOAndUnknownFields(t *testing.T) {
	topo := localTopology(t)
	b := mustJSON(t, FailoverRequest{Common: Common{Topology: topo}})
	zero := strings.Replace(b, `"rto":"1h0m0s"`, `"rto":"0s"`, 1)
	require.NotEqual(t, b, zero)
	var req FailoverRequest
	require.NoError(t, json.Unmarshal([]byte(zero), &req))
	require.ErrorContains(t, req.Validate(), `"objectives.rto"`)

	typo := strings.Replace(b, `"topology":`, `"autoAprove":true,"topology":`, 1)
	req = FailoverRequest{}
	require.NoError(t, json.Unmarshal([]byte(typo), &req))
	require.ErrorContains(t, req.Validate(), `"autoAprove"`)
}

// scans counts ScanOne calls over every table.
func (s *failoverFake) scans() int {
	n := 0
	for _, tb := range s.topo.Tables {
		n += s.count("ScanOne " + tb.Name)
	}
	return n
}

// The assessment reads one item of each table in DR (Scan --limit 1, version assessDRScan), since an ACTIVE
// replica that refuses reads is not a usable one: every table is read before the gate, the approvers see how
// many answered, and a table that refuses reads is a finding that does not hold the run (its replica may
// still be usable once verified after the cutover).
func TestFailoverAssessScansEachDRTable(t *testing.T) {
	s := newFailoverFake(t)
	bad := s.topo.Tables[1].Name
	s.fail["ScanOne "+bad] = 1 // the assessment's read fails; verification's read succeeds
	var atGate Status
	scansAtGate := -1
	s.env.RegisterDelayedCallback(func() { atGate, scansAtGate = s.status(), s.scans() }, time.Minute)
	s.signal(2*time.Minute, SignalApprove, approve("alice"))
	rep := s.run(FailoverRequest{})

	n := len(s.topo.Tables)
	require.Equal(t, n, scansAtGate, "one Scan per DR table before the gate")
	require.Equal(t, 2*n, s.scans(), "and one more per table in verification")
	as := rep.Assessment
	require.Len(t, as.Reads, n)
	for i, o := range as.Reads {
		require.Equal(t, s.topo.DRRegion, o.Region)
		require.Contains(t, o.Resource, s.topo.Tables[i].Name)
		require.Equal(t, i != 1, o.OK, o.Observed)
	}
	require.Contains(t, as.Reads[1].Observed, "AccessDenied")
	require.Contains(t, strings.Join(as.Findings, "\n"), bad+" does not answer reads in "+s.topo.DRRegion)
	require.Equal(t, PhaseAwaitingApproval, atGate.Phase)
	require.Contains(t, atGate.PendingGate.Summary, fmt.Sprintf("DynamoDB tables readable in %s (Scan --limit 1): %d/%d", s.topo.DRRegion, n-1, n))
	require.Equal(t, PhaseCompleted, rep.Outcome, rep.Steps)
	require.Len(t, rep.Verify.Scans, n)
}

// Runs started before assessDRScan (the golden histories) keep their old assessment: no Scan before the
// gate, and nothing about reads in the gate summary.
func TestFailoverAssessBeforeDRScanVersion(t *testing.T) {
	s := newFailoverFake(t)
	s.env.OnGetVersion(string(assessDRScan), workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	var atGate Status
	scansAtGate := -1
	s.env.RegisterDelayedCallback(func() { atGate, scansAtGate = s.status(), s.scans() }, time.Minute)
	s.signal(2*time.Minute, SignalApprove, approve("alice"))
	rep := s.run(FailoverRequest{})
	require.Zero(t, scansAtGate)
	require.Empty(t, rep.Assessment.Reads)
	require.NotContains(t, atGate.PendingGate.Summary, "readable")
	require.Equal(t, PhaseCompleted, rep.Outcome, rep.Steps)
	require.Equal(t, len(s.topo.Tables), s.scans(), "verification still reads every table")
}

// The RTO runs from the request's detectedAt (when the outage was noticed, before anyone started the run),
// in the status while the run waits and in the report; a detectedAt after the start is ignored.
func TestFailoverRTOFromDetection(t *testing.T) {
	t0 := time.Date(2025, 6, 1, 14, 0, 0, 0, time.UTC)
	for name, tc := range map[string]struct {
		detected   time.Time
		before     time.Duration
		rtoMet     bool
		wantRTOMin int
	}{
		"12 min before the start": {t0.Add(-12 * time.Minute), 12 * time.Minute, true, 40},
		"50 min before the start": {t0.Add(-50 * time.Minute), 50 * time.Minute, false, 78},
		"in the future, ignored":  {t0.Add(time.Hour), 0, true, 28},
	} {
		t.Run(name, func(t *testing.T) {
			s := newFailoverFake(t)
			s.env.SetStartTime(t0)
			var atGate Status
			s.env.RegisterDelayedCallback(func() { atGate = s.status() }, time.Minute)
			s.signal(2*time.Minute, SignalApprove, approve("alice"))
			detected := tc.detected
			rep := s.run(FailoverRequest{Common: Common{DetectedAt: &detected}, MonitorWindow: topology.Duration(5 * time.Minute)})
			require.Equal(t, PhaseCompleted, rep.Outcome, rep.Steps)
			require.Equal(t, (time.Minute + tc.before).Seconds(), atGate.RTOElapsedSeconds)
			require.Equal(t, t0.Add(-tc.before), rep.DetectedAt.UTC())
			// 2 min at the gate + 20 min activation + 1 min DNS + 5 min monitoring, plus the time before the start.
			require.Equal(t, time.Duration(tc.wantRTOMin)*time.Minute, rep.RTO)
			require.Equal(t, tc.rtoMet, rep.RTOMet)
		})
	}
}
