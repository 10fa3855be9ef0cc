package workflows

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/topology"
)

func TestAutoModeInjectsOnlyIntoAnAwssim(t *testing.T) {
	for _, c := range []struct {
		info         activities.SimulatorInfo
		mode, reason string
	}{
		{activities.SimulatorInfo{Simulator: true, Endpoint: "http://127.0.0.1:4566"}, DrillInject, "awssim at http://127.0.0.1:4566"},
		{activities.SimulatorInfo{Reason: "no custom AWS endpoint: this is real AWS"}, DrillPlanned, "not an awssim: no custom AWS endpoint: this is real AWS"},
	} {
		mode, reason := autoMode(c.info)
		require.Equal(t, c.mode, mode)
		require.Equal(t, c.reason, reason)
	}
}

func TestReadBackFailsAnItemNothingVouchesFor(t *testing.T) {
	for _, c := range []struct {
		err      error
		ok       bool
		status   string
		evidence string
	}{
		{nil, true, Pass, "seen"},
		{nil, false, Fail, "seen"},
		{errors.New("throttled"), true, Fail, "unreadable: throttled"},
	} {
		it := readBack("DNS serves from us-west-2", c.err, c.ok, "seen")
		require.Equal(t, ChecklistItem{Section: "Drill", Item: "DNS serves from us-west-2", Status: c.status, Evidence: c.evidence}, it)
	}
	pass, fail := countChecklist([]ChecklistItem{{Status: Pass}, {Status: Fail}, {Status: "not-checked"}, {Status: Pass}})
	require.Equal(t, [2]int{2, 1}, [2]int{pass, fail})
	require.Equal(t, "backups roadcall-prod (3 days old); dns api (no record)",
		failingChecks([]CheckRow{{Check: "backups", Resource: "roadcall-prod", Observed: "3 days old"}, {Check: "dns", Resource: "api", Observed: "no record"}}))
}

func TestStepRowsFlagStepsOverTheirBudget(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	rows := StepRows("failover", []StepRecord{
		{Name: "assess", Title: "1. Assess", Started: t0, Ended: t0.Add(4 * time.Minute), Outcome: OutcomeOK, Budget: 5 * time.Minute, Attempts: 1},
		{Name: "activate", Title: "5. Activate", Started: t0, Ended: t0.Add(21 * time.Minute), Outcome: OutcomeOK, Budget: 20 * time.Minute, Attempts: 2},
		{Name: "communicate", Title: "8. Communicate", Started: t0, Ended: t0.Add(time.Hour), Outcome: OutcomeOK, Attempts: 1},
		{Name: "monitor", Title: "7. Monitor", Started: t0, Outcome: OutcomeRunning, Budget: time.Minute, Attempts: 1},
	})
	require.Equal(t, []DrillRow{
		{Phase: "failover", Name: "assess", Title: "1. Assess", Outcome: OutcomeOK, Started: t0, Took: 4 * time.Minute, Budget: 5 * time.Minute, Attempts: 1},
		{Phase: "failover", Name: "activate", Title: "5. Activate", Outcome: OutcomeOK, Started: t0, Took: 21 * time.Minute, Budget: 20 * time.Minute, OverBudget: true, Attempts: 2},
		{Phase: "failover", Name: "communicate", Title: "8. Communicate", Outcome: OutcomeOK, Started: t0, Took: time.Hour, Attempts: 1},
		{Phase: "failover", Name: "monitor", Title: "7. Monitor", Outcome: OutcomeRunning, Started: t0, Budget: time.Minute, Attempts: 1},
	}, rows, "no budget is never over; a step still running is not over yet")
}

func TestDrillRecoveryIsTheFailoversAndZeroLossForAPlannedSwitchover(t *testing.T) {
	completed := &FailoverReport{RunSummary: RunSummary{Outcome: PhaseCompleted}, Recovery: Recovery{RTO: 20 * time.Minute, RPO: 3 * time.Second, RPOKnown: true}}
	global, detach := topology.Topology{}, topology.Topology{}
	global.Aurora.FailoverMode = topology.FailoverGlobal
	detach.Aurora.FailoverMode = "detach-and-promote"
	for _, c := range []struct {
		name     string
		rep      DrillReport
		t        topology.Topology
		rto, rpo time.Duration
		known    bool
	}{
		{"no failover", DrillReport{Mode: DrillInject}, global, 0, 0, false},
		{"failover aborted", DrillReport{Mode: DrillInject, Failover: &FailoverReport{RunSummary: RunSummary{Outcome: PhaseAborted}, Recovery: Recovery{RTO: time.Minute, RPOKnown: true}}}, global, 0, 0, false},
		{"inject", DrillReport{Mode: DrillInject, Failover: completed}, global, 20 * time.Minute, 3 * time.Second, true},
		{"planned on a global database", DrillReport{Mode: DrillPlanned, Failover: completed}, global, 20 * time.Minute, 0, true},
		{"planned, no global failover", DrillReport{Mode: DrillPlanned, Failover: completed}, detach, 20 * time.Minute, 3 * time.Second, true},
	} {
		rto, rpo, known := drillRecovery(c.rep, c.t)
		require.Equal(t, []any{c.rto, c.rpo, c.known}, []any{rto, rpo, known}, c.name)
	}
}

func TestDrillResultMeasuresRowsAndLessons(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	var topo topology.Topology
	topo.Objectives.RTO, topo.Objectives.RPO = topology.Duration(time.Hour), topology.Duration(15*time.Minute)
	topo.Aurora.FailoverMode = topology.FailoverGlobal
	fo := &FailoverReport{RunSummary: RunSummary{Outcome: PhaseCompleted, Steps: []StepRecord{
		{Name: "activate", Title: "5. Activate", Started: t0, Ended: t0.Add(25 * time.Minute), Outcome: OutcomeOK, Budget: 20 * time.Minute, Attempts: 2},
	}}, Recovery: Recovery{RTO: 30 * time.Minute, RPO: 20 * time.Minute, RPOKnown: true}, Assessment: &Assessment{Findings: []string{"a table is not ACTIVE"}}}
	fb := &FailbackReport{RunSummary: RunSummary{Outcome: PhaseCompleted, Steps: []StepRecord{
		{Name: "decommission", Title: "5. Decommission", Started: t0, Ended: t0.Add(time.Minute), Outcome: OutcomeSkipped, Budget: 20 * time.Minute, Attempts: 1},
	}}}
	drillSteps := []StepRecord{{Name: "readiness", Title: "Readiness check", Started: t0, Ended: t0.Add(time.Second), Outcome: OutcomeOK, Attempts: 1}}
	rep := DrillReport{Mode: DrillInject, Failover: fo, Failback: fb,
		Readiness: &ReadinessSummary{Overall: Fail, Warn: 1, Failing: []CheckRow{{Check: "backups", Resource: "vault", Observed: "3d", Reason: "stale"}}}}
	rep.Checklist = []ChecklistItem{{Section: "Drill", Item: "DNS", Status: Fail, Evidence: "aliases the primary"}, {Section: "Performance", Item: "SQL", Status: "not-checked"}}

	got := drillResult(rep, topo, drillSteps, PhaseCompleted)
	require.Equal(t, measure(topo.Objectives, 30*time.Minute, 20*time.Minute, true, rep.Checklist), got.Recovery)
	require.True(t, got.RTOMet)
	require.False(t, got.RPOMet)
	require.Len(t, got.Rows, 3)
	require.Equal(t, []string{"drill", "failover", "failback"}, []string{got.Rows[0].Phase, got.Rows[1].Phase, got.Rows[2].Phase})
	require.Equal(t, 1, got.OverBudget)
	require.Equal(t, []string{
		"Readiness: backups vault failed (3d): stale",
		"Readiness: 1 warning(s) to look at before a real outage.",
		"RTO 30m0s met the objective of 1h0m0s (50% of it).",
		"RPO 20m0s exceeded the objective of 15m0s.",
		"Assessment: a table is not ACTIVE",
		`failover step "5. Activate" took 25m0s, over its runbook budget of 20m0s.`,
		`failover step "5. Activate" needed 2 attempts (an operator retried it).`,
		`failback step "5. Decommission" was skipped by an operator.`,
		"Checklist: Drill / DNS failed: aliases the primary",
		"1 checklist item(s) need a person: software could not check them.",
	}, got.Lessons)
}

func TestDrillLessons(t *testing.T) {
	missed := DrillReport{Failover: &FailoverReport{}, Recovery: Recovery{RTO: 2 * time.Hour, RTOObjective: time.Hour}}
	for _, c := range []struct {
		name  string
		phase string
		rep   DrillReport
		want  []string
	}{
		{"clean", PhaseCompleted, DrillReport{}, []string{"Nothing to improve was measured: every step within budget, RTO and RPO met."}},
		{"aborted before the failover", PhaseAborted, DrillReport{},
			[]string{"The drill ended aborted: see the notes for where it stopped and what was left to restore."}},
		{"RTO missed, RPO unknown", PhaseCompleted, missed, []string{"RTO 2h0m0s missed the objective of 1h0m0s.",
			"RPO could not be measured (no replication lag datapoints): check the lag metric and alarm."}},
	} {
		require.Equal(t, c.want, drillLessons(c.phase, c.rep), c.name)
	}
}

func TestDrillValidateReportsEachProblemOnce(t *testing.T) {
	es := dedupe(topology.Errors{{Field: "monitorWindow", Problem: "negative"}, {Field: "mode", Problem: "chaos"}, {Field: "monitorWindow", Problem: "negative"}})
	require.Len(t, es, 2)
	require.Equal(t, topology.Errors{{Field: "request", Problem: "boom", Fix: "correct the request"}}, asFieldErrors(errors.New("boom")))
}
