package workflows

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/awsclient"
	"github.com/roadcall/dr/internal/awssim"
	"github.com/roadcall/dr/internal/topology"
)

// drillFake runs DRDrill and its children with the real activities against an in-process awssim whose
// operations finish on the next read: the whole drill in well under a second of wall time. Its fakeEnv
// gives the environment and the topology (health URLs pointed at the awssim); nothing is mocked but what a
// test mocks itself.
type drillFake struct {
	fakeEnv
	sim *awssim.Server
	url string
}

func newDrillFake(t *testing.T, faults ...awssim.Fault) *drillFake {
	d := &drillFake{fakeEnv: newFakeEnv(t)}
	// The example as it is, in dns.mode routing-control: with us-east-1 out, Route 53's control plane is
	// out too, and the drill moves traffic through the ARC cluster's data plane.
	d.topo = localTopology(t)
	d.sim = awssim.New(d.topo, awssim.Options{})
	hs := httptest.NewServer(d.sim)
	t.Cleanup(hs.Close)
	d.url = hs.URL
	d.topo.API.HealthURLs = map[string]string{}
	for _, r := range d.topo.Regions() {
		d.topo.API.HealthURLs[r] = hs.URL + "/_sim/health/" + r
	}
	for _, f := range faults {
		_, err := d.sim.AddFault(f)
		require.NoError(t, err)
	}
	f, err := awsclient.New(context.Background(), awsclient.Static(hs.URL))
	require.NoError(t, err)
	acts := activities.New(f)
	acts.PollInterval = 5 * time.Millisecond
	d.env.RegisterActivity(acts)
	for _, wf := range []any{ReadinessCheck, RegionFailover, Failback} {
		d.env.RegisterWorkflow(wf)
	}
	return d
}

func (d *drillFake) run(req DrillRequest) DrillReport {
	d.t.Helper()
	req.Topology = d.topo
	if req.MonitorWindow == 0 {
		req.MonitorWindow = topology.Duration(time.Minute)
	}
	d.env.ExecuteWorkflow(DRDrill, req)
	return result[DrillReport](&d.fakeEnv)
}

// RunDrill runs a drill against an in-process awssim for the tests of package workflows_test, which
// render its report: internal/render imports this package, so only an external test can use both.
func RunDrill(t *testing.T, req DrillRequest, faults ...awssim.Fault) (DrillReport, topology.Topology) {
	d := newDrillFake(t, faults...)
	return d.run(req), d.topo
}

// story is what a failed assertion on a drill report prints: each step's outcome, detail or error, and
// the notes.
func story(rep DrillReport) string {
	var b strings.Builder
	for _, row := range rep.Rows {
		fmt.Fprintf(&b, "%s %s: %s\n", row.Phase, row.Name, row.Outcome)
	}
	for _, s := range rep.Steps {
		fmt.Fprintf(&b, "%s: %s%s\n", s.Name, s.Detail, s.Error)
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	return b.String()
}

// steady asserts the awssim world is in its initial topology: writer, DNS, stacks, no fault left.
func (d *drillFake) steady() {
	d.t.Helper()
	topo := d.topo
	require.Empty(d.t, d.sim.Faults(), "no injected fault may outlive the drill")
	d.sim.With(func(w *awssim.World) {
		require.Equal(d.t, topo.PrimaryRegion, w.ServingRegion(topo), "DNS serves from the primary")
		if rc := topo.DNS.RoutingControls; rc != nil {
			for region, arn := range rc.Controls {
				want := "Off"
				if region == topo.PrimaryRegion {
					want = "On"
				}
				require.Equal(d.t, want, w.RoutingControls[arn].State, "routing control of %s", region)
			}
		}
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
func (d *drillFake) changedOnce() map[string]int {
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
	d := newDrillFake(t)
	rep := d.run(DrillRequest{Common: Common{AutoApprove: true, Initiator: "drill-captain"}})
	require.Equal(t, PhaseCompleted, rep.Outcome, story(rep))
	require.Equal(t, DrillInject, rep.Mode)
	require.Contains(t, rep.ModeReason, "awssim")
	require.Equal(t, Pass, rep.Readiness.Overall)
	require.Equal(t, PhaseCompleted, rep.Failover.Outcome)
	require.Equal(t, PhaseCompleted, rep.Failback.Outcome, rep.Failback.Notes)
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
	// The review and the terminal report of this drill are asserted in drill_render_test.go.
	d.steady()

	// Exactly-once effects: the writer moved out and back, DNS twice (in routing-control mode, each routing
	// control flipped once each way through the cluster's data plane, no record change: Route 53's control
	// plane was out with us-east-1), each stack up and down once.
	once := d.changedOnce()
	g := d.topo.Aurora.GlobalClusterID
	require.Equal(t, 1, once["FailoverGlobalCluster "+g])
	require.Equal(t, 1, once["SwitchoverGlobalCluster "+g])
	require.Equal(t, topology.DNSRoutingControl, d.topo.DNS.Mode)
	require.Zero(t, once["ChangeResourceRecordSets "+d.topo.DNS.HostedZoneID], "%v", once)
	for region, arn := range d.topo.DNS.RoutingControls.Controls {
		require.Equal(t, 2, once["UpdateRoutingControlStates "+arn], "routing control of %s: %v", region, once)
	}
	for _, st := range d.topo.Stacks.Names {
		require.Equal(t, 2, once["UpdateStack "+st], "%v", once)
	}
}

func TestDrillPlannedModeSwitchesOverAndInjectsNothing(t *testing.T) {
	d := newDrillFake(t)
	// What a worker against real AWS answers; the rest of the drill runs on awssim as before.
	d.env.OnActivity(a.DetectSimulator, mock.Anything).Return(activities.SimulatorInfo{Reason: "no custom AWS endpoint: this is real AWS"}, nil)
	rep := d.run(DrillRequest{Common: Common{AutoApprove: true}})
	require.Equal(t, PhaseCompleted, rep.Outcome, story(rep))
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
	d := newDrillFake(t, stale)
	rep := d.run(DrillRequest{Common: Common{AutoApprove: true}})
	require.Equal(t, PhaseAborted, rep.Outcome)
	require.Equal(t, Fail, rep.Readiness.Overall)
	require.Equal(t, "backup-recovery-points", rep.Readiness.Failing[0].Check)
	require.Nil(t, rep.Failover)
	require.Empty(t, d.changedOnce(), "an aborted drill changes nothing (the readiness alarm aside)")
	require.Len(t, d.sim.Faults(), 1, "only the test's own fault")
	require.Contains(t, rep.Lessons[0], "ended aborted")

	d = newDrillFake(t, stale)
	rep = d.run(DrillRequest{Common: Common{AutoApprove: true}, Force: true})
	require.Equal(t, PhaseCompleted, rep.Outcome, story(rep))
	require.True(t, rep.Forced)
	require.Equal(t, Fail, rep.Readiness.Overall, "what the report renders as \"drill forced on\" (drill_render_test.go)")
}

func TestDrillCancelledDuringFailoverLiftsTheOutage(t *testing.T) {
	d := newDrillFake(t)
	// Workflow time stands still while activities run; it only moves in the monitoring window's timer.
	d.env.RegisterDelayedCallback(d.env.CancelWorkflow, 5*time.Minute)
	d.env.ExecuteWorkflow(DRDrill, DrillRequest{Common: Common{Topology: d.topo, AutoApprove: true}, MonitorWindow: topology.Duration(10 * time.Minute)})
	rep := result[DrillReport](&d.fakeEnv)
	require.Equal(t, PhaseCancelled, rep.Outcome)
	require.Empty(t, d.sim.Faults(), "a cancelled drill still lifts its outage")
	last := rep.Steps[len(rep.Steps)-1]
	require.Equal(t, "lift", last.Name)
	require.Equal(t, OutcomeOK, last.Outcome)
}

func TestDrillInvalidRequestCallsNothing(t *testing.T) {
	d := newDrillFake(t)
	req := DrillRequest{Common: Common{Topology: d.topo}, Mode: "chaos", MonitorWindow: topology.Duration(-time.Second)}
	d.env.ExecuteWorkflow(DRDrill, req)
	err := d.env.GetWorkflowError()
	require.True(t, IsInvalidRequest(err), "%v", err)
	require.ErrorContains(t, err, `"mode"`)
	require.ErrorContains(t, err, `"monitorWindow"`)
	require.Empty(t, d.sim.Journal())
}
