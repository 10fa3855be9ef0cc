package workflows

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/awsclient"
	"github.com/roadcall/dr/internal/awssim"
	"github.com/roadcall/dr/internal/topology"
)

// drillSim runs DRDrill and its children with the real activities against an in-process awssim whose
// operations finish on the next read: the whole drill in well under a second of wall time.
type drillSim struct {
	t    *testing.T
	sim  *awssim.Server
	env  *testsuite.TestWorkflowEnvironment
	topo topology.Topology
}

func newDrillSim(t *testing.T, faults ...awssim.Fault) *drillSim {
	topo := localTopology(t)
	sim := awssim.New(topo, awssim.Options{})
	hs := httptest.NewServer(sim)
	t.Cleanup(hs.Close)
	topo.API.HealthURLs = map[string]string{}
	for _, r := range topo.Regions() {
		topo.API.HealthURLs[r] = hs.URL + "/_sim/health/" + r
	}
	for _, f := range faults {
		_, err := sim.AddFault(f)
		require.NoError(t, err)
	}
	f, err := awsclient.New(context.Background(), awsclient.Static(hs.URL))
	require.NoError(t, err)
	acts := activities.New(f)
	acts.PollInterval = 5 * time.Millisecond
	env := newEnv(t)
	env.RegisterActivity(acts)
	for _, wf := range []any{ReadinessCheck, RegionFailover, Failback} {
		env.RegisterWorkflow(wf)
	}
	return &drillSim{t: t, sim: sim, env: env, topo: topo}
}

func (d *drillSim) run(req DrillRequest) DrillReport {
	d.t.Helper()
	req.Topology = d.topo
	if req.MonitorWindow == 0 {
		req.MonitorWindow = topology.Duration(time.Minute)
	}
	d.env.ExecuteWorkflow(DRDrill, req)
	require.True(d.t, d.env.IsWorkflowCompleted())
	require.NoError(d.t, d.env.GetWorkflowError())
	var rep DrillReport
	require.NoError(d.t, d.env.GetWorkflowResult(&rep))
	return rep
}

// steady asserts the awssim world is in its initial topology: writer, DNS, stacks, no fault left.
func (d *drillSim) steady() {
	d.t.Helper()
	topo := d.topo
	require.Empty(d.t, d.sim.Faults(), "no injected fault may outlive the drill")
	d.sim.With(func(w *awssim.World) {
		require.Equal(d.t, topo.PrimaryRegion, w.ServingRegion(topo), "DNS serves from the primary")
		gc := w.GlobalClusters[topo.Aurora.GlobalClusterID]
		require.Nil(d.t, gc.Pending)
		require.Len(d.t, gc.Members, 2, "replication to DR is kept")
		for _, m := range gc.Members {
			require.Equal(d.t, m.Region == topo.PrimaryRegion, m.IsWriter, "%s writer=%v", m.ClusterARN, m.IsWriter)
			require.False(d.t, m.PendingResync)
		}
		for _, r := range topo.Regions() {
			for _, st := range topo.Stacks.Names {
				s := w.Regions[r].Stacks[st]
				require.Equal(d.t, "false", s.Parameters[topo.Stacks.DRModeParameter], "%s in %s", st, r)
				require.Contains(d.t, []string{"CREATE_COMPLETE", "UPDATE_COMPLETE"}, s.Status)
			}
		}
	})
}

// changedOnce asserts every resource a mutating call changed was changed exactly once per operation.
func (d *drillSim) changedOnce() map[string]int {
	d.t.Helper()
	n := map[string]int{}
	for _, j := range d.sim.Journal() {
		if j.Changed && j.Operation != "Publish" {
			n[j.Operation+" "+j.Resource]++
		}
	}
	return n
}

func TestDrillInjectModeRestoresInitialTopology(t *testing.T) {
	d := newDrillSim(t)
	rep := d.run(DrillRequest{Common: Common{AutoApprove: true, Initiator: "drill-captain"}})
	require.Equal(t, PhaseCompleted, rep.Outcome, rep.String())
	require.Equal(t, DrillInject, rep.Mode)
	require.Contains(t, rep.ModeReason, "awssim")
	require.Equal(t, Pass, rep.Readiness.Overall)
	require.Equal(t, PhaseCompleted, rep.Failover.Outcome)
	require.Equal(t, PhaseCompleted, rep.Failback.Outcome, rep.Failback.Steps)
	require.Equal(t, AuroraSwitchover, rep.Failback.AuroraPath)
	require.Equal(t, WorkflowID("failover", d.topo), rep.FailoverID)
	require.NotEmpty(t, rep.FailbackRun)

	require.Positive(t, rep.RTO)
	require.Equal(t, rep.Failover.RTO, rep.RTO)
	require.True(t, rep.RTOMet)
	require.True(t, rep.RPOKnown)
	require.Less(t, rep.RPO, time.Second)
	require.True(t, rep.RPOMet)

	var drillSteps, foSteps, fbSteps []string
	for _, row := range rep.Rows {
		switch row.Phase {
		case "drill":
			drillSteps = append(drillSteps, row.Name)
		case "failover":
			foSteps = append(foSteps, row.Name)
			if row.Name != "communicate" {
				require.Positive(t, row.Budget, "failover step %s has a runbook budget", row.Name)
			}
		case "failback":
			fbSteps = append(fbSteps, row.Name)
		}
		require.False(t, row.OverBudget, row.Name)
	}
	require.Equal(t, []string{"readiness", "baseline", "inject", "failover", "checklist", "lift", "failback"}, drillSteps)
	require.Equal(t, []string{"assess", "notify", "database", "activate", "dns", "verify", "monitor", "communicate"}, foSteps)
	require.Equal(t, []string{"verify-primary", "data-sync", "database", "dns", "verify", "monitor", "decommission", "communicate"}, fbSteps)
	for _, c := range rep.Checklist {
		if c.Section == "Drill" {
			require.Equal(t, Pass, c.Status, "%s: %s", c.Item, c.Evidence)
		}
	}
	require.NotEmpty(t, rep.Lessons)
	md := DrillReview(ReviewMeta{WorkflowType: "DRDrill", WorkflowID: "drill-" + d.topo.ID(), Platform: d.topo.ID()}, rep)
	require.Equal(t, len(rep.Rows), strings.Count(md, " | ok | "), "one timeline row per step:\n%s", md)
	require.Contains(t, md, "| RTO | "+rep.RTO.Round(time.Millisecond).String()+" | 1h0m0s | met |")
	d.steady()

	// Exactly-once effects: the writer moved out and back, DNS twice, each stack up and down once.
	once := d.changedOnce()
	g := d.topo.Aurora.GlobalClusterID
	require.Equal(t, 1, once["FailoverGlobalCluster "+g])
	require.Equal(t, 1, once["SwitchoverGlobalCluster "+g])
	require.Equal(t, 2, once["ChangeResourceRecordSets "+d.topo.DNS.HostedZoneID], "%v", once)
	for _, st := range d.topo.Stacks.Names {
		require.Equal(t, 2, once["UpdateStack "+st], "%v", once)
	}
	t.Log(rep.String())
}

func TestDrillPlannedModeSwitchesOverAndInjectsNothing(t *testing.T) {
	d := newDrillSim(t)
	// What a worker against real AWS answers; the rest of the drill runs on awssim as before.
	d.env.OnActivity(a.DetectSimulator, mock.Anything).Return(activities.SimulatorInfo{Reason: "no custom AWS endpoint: this is real AWS"}, nil)
	rep := d.run(DrillRequest{Common: Common{AutoApprove: true}})
	require.Equal(t, PhaseCompleted, rep.Outcome, rep.String())
	require.Equal(t, DrillPlanned, rep.Mode)
	require.Contains(t, rep.ModeReason, "real AWS")
	require.True(t, rep.RPOKnown)
	require.Zero(t, rep.RPO, "a planned switchover loses nothing")
	for _, row := range rep.Rows {
		require.NotEqual(t, "lift", row.Name, "nothing was injected, nothing is lifted")
	}
	d.steady()
	once := d.changedOnce()
	g := d.topo.Aurora.GlobalClusterID
	require.Zero(t, once["FailoverGlobalCluster "+g], "no failover with data loss in planned mode")
	require.Equal(t, 2, once["SwitchoverGlobalCluster "+g], "switched over to DR and back")
}

func TestDrillFailingReadinessAbortsBeforeAnyChangeUnlessForced(t *testing.T) {
	stale := awssim.Fault{Kind: awssim.FaultStaleBackups}
	d := newDrillSim(t, stale)
	rep := d.run(DrillRequest{Common: Common{AutoApprove: true}})
	require.Equal(t, PhaseAborted, rep.Outcome)
	require.Equal(t, Fail, rep.Readiness.Overall)
	require.Equal(t, "backup-recovery-points", rep.Readiness.Failing[0].Check)
	require.Nil(t, rep.Failover)
	require.Empty(t, d.changedOnce(), "an aborted drill changes nothing (the readiness alarm aside)")
	require.Len(t, d.sim.Faults(), 1, "only the test's own fault")
	require.Contains(t, rep.Lessons[0], "ended aborted")

	d = newDrillSim(t, stale)
	rep = d.run(DrillRequest{Common: Common{AutoApprove: true}, Force: true})
	require.Equal(t, PhaseCompleted, rep.Outcome, rep.String())
	require.True(t, rep.Forced)
	require.Contains(t, rep.String(), "drill forced on")
}

func TestDrillCancelledDuringFailoverLiftsTheOutage(t *testing.T) {
	d := newDrillSim(t)
	// Workflow time stands still while activities run; it only moves in the monitoring window's timer.
	d.env.RegisterDelayedCallback(d.env.CancelWorkflow, 5*time.Minute)
	d.env.ExecuteWorkflow(DRDrill, DrillRequest{Common: Common{Topology: d.topo, AutoApprove: true}, MonitorWindow: topology.Duration(10 * time.Minute)})
	require.True(t, d.env.IsWorkflowCompleted())
	var rep DrillReport
	require.NoError(t, d.env.GetWorkflowResult(&rep))
	require.Equal(t, PhaseCancelled, rep.Outcome)
	require.Empty(t, d.sim.Faults(), "a cancelled drill still lifts its outage")
	last := rep.Steps[len(rep.Steps)-1]
	require.Equal(t, "lift", last.Name)
	require.Equal(t, OutcomeOK, last.Outcome)
}

func TestDrillInvalidRequestCallsNothing(t *testing.T) {
	d := newDrillSim(t)
	req := DrillRequest{Common: Common{Topology: d.topo}, Mode: "chaos", MonitorWindow: topology.Duration(-time.Second)}
	d.env.ExecuteWorkflow(DRDrill, req)
	err := d.env.GetWorkflowError()
	require.True(t, IsInvalidRequest(err), "%v", err)
	require.ErrorContains(t, err, `"mode"`)
	require.ErrorContains(t, err, `"monitorWindow"`)
	require.Empty(t, d.sim.Journal())
}
