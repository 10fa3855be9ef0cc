package e2e

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/roadcall/dr/internal/awssim"
	"github.com/roadcall/dr/internal/render"
	"github.com/roadcall/dr/internal/starter"
	"github.com/roadcall/dr/internal/testenv"
	"github.com/roadcall/dr/workflows"
)

// goldenCase is one golden history: workflows/testdata/<workflow>-<name>.json is the history of the run
// that run produces, on a fresh environment started with opts.
type goldenCase struct {
	workflow, name string
	opts           testenv.Options
	// run drives the case's run to its end and returns its workflow ID.
	run func(t *testing.T, env *testenv.Env) string
}

// goldenTopologies write the topology a case's environment starts with, by case file name (default: the
// local example).
var goldenTopologies = map[string]func(t *testing.T) string{
	"DRDrill-completed-ui-names": reviewTopology,
}

// goldenCases are the runs each workflow's golden histories record: the paths an operator most often takes
// (completed, rejected at a gate, refused), as the dev server records them.
var goldenCases = []goldenCase{
	{"ReadinessCheck", "pass", testenv.Options{}, goldenReadiness("pass", nil)},
	{"ReadinessCheck", "fail-alarmed", testenv.Options{}, goldenReadiness("fail-alarmed", &awssim.Fault{Kind: awssim.FaultStaleBackups})},

	{"RegionFailover", "approved", testenv.Options{TimeScale: 0.002}, goldenFailover("approved", "approve")},
	{"RegionFailover", "rejected", testenv.Options{TimeScale: 0.002}, goldenFailover("rejected", "reject")},
	// Under examples/policy-local.json: the policy read, the initiator and alice proven by STS (worker-policy).
	{"RegionFailover", "proven-approval", testenv.Options{TimeScale: 0.002, Policy: localPolicy}, goldenProvenFailover},

	{"PartialDegradation", "recovered", testenv.Options{TimeScale: 0.01}, goldenDegradation("recovered", true)},
	{"PartialDegradation", "rejected", testenv.Options{TimeScale: 0.01}, goldenDegradation("rejected", false)},

	{"DataCorruptionRecovery", "completed", testenv.Options{TimeScale: 0.002}, goldenCorruption("completed",
		workflows.Approval{Gate: workflows.GateRestorePoint, Decision: "approve", Approver: "alice"},
		workflows.Approval{Gate: workflows.GateCutover, Decision: "approve", Approver: "alice"})},
	{"DataCorruptionRecovery", "rejected-at-cutover", testenv.Options{TimeScale: 0.002}, goldenCorruption("rejected-at-cutover",
		workflows.Approval{Gate: workflows.GateRestorePoint, Decision: "approve", Approver: "alice"},
		workflows.Approval{Gate: workflows.GateCutover, Decision: "reject", Approver: "alice"},
		workflows.Approval{Gate: workflows.GateResumeWrites, Decision: "reject", Approver: "alice"})},
	// Under lambda-aliases: the incident service, invoked through alias live, gets each environment change
	// published and the alias moved (stop, cutover, resume). The two above predate it.
	{"DataCorruptionRecovery", "completed-lambda-aliases", testenv.Options{TimeScale: 0.002}, goldenCorruption("completed-lambda-aliases",
		workflows.Approval{Gate: workflows.GateRestorePoint, Decision: "approve", Approver: "alice"},
		workflows.Approval{Gate: workflows.GateCutover, Decision: "approve", Approver: "alice"})},

	// A failback refused while nothing has failed over, started by the starter.
	{"Failback", "refused-no-failover", testenv.Options{TimeScale: 0.002}, func(t *testing.T, env *testenv.Env) string {
		if r := runStarter(ctxT(t, time.Minute), env, "failback", "--topology", env.TopologyFile); r.code != starter.ExitRefused {
			t.Fatalf("failback before any failover: exit %d\n%s", r.code, r.output())
		}
		return workflows.WorkflowID("failback", env.Topology)
	}},
	// The drill, and the failback it runs as its child (each case runs its own drill, so that either can be
	// regenerated alone).
	{"DRDrill", "completed", testenv.Options{TimeScale: 0.002}, func(t *testing.T, env *testenv.Env) string {
		id, _ := goldenDrill(t, env)
		return id
	}},
	{"Failback", "completed", testenv.Options{TimeScale: 0.002}, func(t *testing.T, env *testenv.Env) string {
		_, rep := goldenDrill(t, env)
		return rep.FailbackID
	}},
	// The same runs after failback-partial and input-limits (and worker-policy): the goldens above stay as
	// they were recorded, these record today's command sequences beside them.
	{"DRDrill", "completed-partial-limits", testenv.Options{TimeScale: 0.002}, func(t *testing.T, env *testenv.Env) string {
		id, _ := goldenDrill(t, env)
		return id
	}},
	{"Failback", "completed-partial-limits", testenv.Options{TimeScale: 0.002}, func(t *testing.T, env *testenv.Env) string {
		_, rep := goldenDrill(t, env)
		return rep.FailbackID
	}},
	{"RegionFailover", "approved-limits", testenv.Options{TimeScale: 0.002}, goldenFailover("approved-limits", "approve")},
	// After batched-reads: the local topology with 30 tables (over workflows' batchAbove), read in batches
	// by CheckTables in the assessment and verify.
	{"RegionFailover", "approved-batched-reads", testenv.Options{TimeScale: 0.002, Topology: "e2e/testdata/roadcall-local-30-tables.json"}, goldenFailover("approved-batched-reads", "approve")},
	// After ui-names: named timers, the children's memo, DRParentDrill and static details, and the review
	// uploaded to reports.bucket.
	{"DRDrill", "completed-ui-names", testenv.Options{TimeScale: 0.002}, func(t *testing.T, env *testenv.Env) string {
		id, _ := goldenDrill(t, env)
		return id
	}},

	// The outage watch started by the starter: healthy evaluations, an outage, the failover started at its
	// gate, then the watch cancelled (which changes nothing in AWS).
	{"OutageWatch", "started-failover", testenv.Options{TimeScale: 0.002}, goldenWatch},

	// prepareBeforeGate (prepare-before-gate): the DR stacks activated while the gate waits, then the gate
	// approved, or rejected and the preparation reverted.
	{"RegionFailover", "prepared-approved", testenv.Options{TimeScale: 0.002}, goldenPreparedFailover("prepared-approved", "approve")},
	{"RegionFailover", "prepared-rejected", testenv.Options{TimeScale: 0.002}, goldenPreparedFailover("prepared-rejected", "reject")},

	// The plan evaluation from the temporal CLI: no previous run in the visibility store, the plan never
	// drilled, so the one failing check is a change and pages.
	{"PlanEvaluation", "first-paged", testenv.Options{}, goldenEvaluation},
}

func goldenEvaluation(t *testing.T, env *testenv.Env) string {
	ctx := ctxT(t, 2*time.Minute)
	id := workflows.WorkflowID(workflows.ScenarioEvaluation, env.Topology) + "-golden"
	env.StartWorkflowCLI(workflows.WorkflowEvaluation, id, env.RequestFile(nil))
	rep := runResult[workflows.EvaluationReport](ctx, t, env, id)
	if !rep.Paged || len(rep.Changes) != 1 || rep.PreviousSource != workflows.PreviousNone {
		t.Fatalf("evaluation: paged %v, changes %+v, previous %s", rep.Paged, rep.Changes, rep.PreviousSource)
	}
	return id
}

// TestGoldenHistories writes workflows/testdata/<WorkflowType>-<case>.json (`temporal workflow show --output
// json`, the format the replayer reads) for every goldenCase, from real runs on the dev server; workflows'
// TestGoldenHistoriesReplay replays them against today's code. Regenerate all, or one case, with
//
//	UPDATE_GOLDEN=1 go test ./e2e -run TestGoldenHistories
//	UPDATE_GOLDEN=1 go test ./e2e -run TestGoldenHistories/RegionFailover-approved
//
// Regenerate only together with a workflow.GetVersion for the change that needs it: the old files must
// keep replaying.
func TestGoldenHistories(t *testing.T) {
	if os.Getenv("UPDATE_GOLDEN") == "" {
		t.Skip("set UPDATE_GOLDEN=1 to regenerate the golden histories on the dev server")
	}
	for _, c := range goldenCases {
		file := c.workflow + "-" + c.name
		t.Run(file, func(t *testing.T) {
			opts := c.opts
			if topo := goldenTopologies[file]; topo != nil {
				opts.Topology = topo(t)
			}
			env := testenv.New(t, opts)
			id := c.run(t, env)
			out, err := env.CLI("workflow", "show", "--workflow-id", id, "--output", "json")
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(testenv.ModuleRoot(t), "workflows", "testdata", file+".json")
			if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("wrote %s", path)
		})
	}
}

// goldenReadiness runs a ReadinessCheck from the temporal CLI with fault injected (nil: every check
// passes); the report must be alarmed exactly when a fault was.
func goldenReadiness(name string, fault *awssim.Fault) func(t *testing.T, env *testenv.Env) string {
	return func(t *testing.T, env *testenv.Env) string {
		if fault != nil {
			env.Sim.AddFault(*fault)
		}
		ctx := ctxT(t, 2*time.Minute)
		id := "golden-readiness-" + name
		env.StartWorkflowCLI("ReadinessCheck", id, env.RequestFile(nil))
		rep := runResult[workflows.ReadinessReport](ctx, t, env, id)
		if (fault != nil) != rep.Alarmed {
			t.Fatalf("%s: alarmed=%v\n%s", name, rep.Alarmed, render.ReadinessReport(rep))
		}
		return id
	}
}

// goldenFailover runs the example failover request from the temporal CLI with us-east-1 out and answers
// its gate with decision.
func goldenFailover(name, decision string) func(t *testing.T, env *testenv.Env) string {
	return func(t *testing.T, env *testenv.Env) string {
		env.Sim.AddFault(awssim.Fault{Kind: awssim.FaultRegionOutage, Region: env.Topology.PrimaryRegion})
		id := "golden-failover-" + name
		env.StartWorkflowCLI("RegionFailover", id, env.RequestFile(failoverExtra(t, map[string]any{"monitorWindow": "1s"})))
		waitStatus(t, env, id, time.Minute, "gate", func(s workflows.Status) bool { return s.Phase == workflows.PhaseAwaitingApproval })
		env.SignalCLI(id, workflows.SignalApprove, workflows.Approval{Gate: workflows.GateFailover, Decision: decision, Approver: "alice"})
		getReport(t, env, id, 2*time.Minute)
		return id
	}
}

// goldenPreparedFailover is goldenFailover with prepareBeforeGate, answered once the preparation is done.
func goldenPreparedFailover(name, decision string) func(t *testing.T, env *testenv.Env) string {
	return func(t *testing.T, env *testenv.Env) string {
		env.Sim.AddFault(awssim.Fault{Kind: awssim.FaultRegionOutage, Region: env.Topology.PrimaryRegion})
		id := "golden-failover-" + name
		env.StartWorkflowCLI("RegionFailover", id, env.RequestFile(failoverExtra(t, map[string]any{"monitorWindow": "1s", "prepareBeforeGate": true})))
		waitStatus(t, env, id, time.Minute, "prepared at the gate", func(s workflows.Status) bool {
			p := s.Step("prepare")
			return s.PendingGate != nil && p != nil && p.Outcome == workflows.OutcomeOK
		})
		env.SignalCLI(id, workflows.SignalApprove, workflows.Approval{Gate: workflows.GateFailover, Decision: decision, Approver: "alice"})
		if rep := getReport(t, env, id, 2*time.Minute); rep.Preparation == nil || rep.Preparation.Reverted != (decision == "reject") {
			t.Fatalf("%s: preparation %+v", name, rep.Preparation)
		}
		return id
	}
}

// goldenProvenFailover starts a failover as incident-commander and approves it as alice, each proven with
// their sim keys.
func goldenProvenFailover(t *testing.T, env *testenv.Env) string {
	env.Sim.AddFault(awssim.Fault{Kind: awssim.FaultRegionOutage, Region: env.Topology.PrimaryRegion})
	ctx := ctxT(t, 2*time.Minute)
	if r := runStarterWith(ctx, env, as(t, env, "incident-commander"), "failover", "--topology", env.TopologyFile, "--monitor-window", "1s"); r.code != starter.ExitOK {
		t.Fatalf("start: exit %d\n%s", r.code, r.output())
	}
	id := workflows.WorkflowID("failover", env.Topology)
	waitGate(ctx, t, env, id, workflows.GateFailover)
	if r := runStarterWith(ctx, env, as(t, env, "alice"), "approve", "--workflow-id", id, "--gate", workflows.GateFailover); r.code != starter.ExitOK {
		t.Fatalf("approve: exit %d\n%s", r.code, r.output())
	}
	if rep := getReport(t, env, id, 2*time.Minute); rep.Outcome != workflows.PhaseCompleted || rep.Approvals[0].Approver != arn("alice") {
		t.Fatalf("proven failover: %s %+v", rep.Outcome, rep.Approvals)
	}
	return id
}

// goldenDegradation runs a PartialDegradation from the temporal CLI against an injected degradation: the
// plan approved and, once recovered, the revert approved; or the plan rejected.
func goldenDegradation(name string, approve bool) func(t *testing.T, env *testenv.Env) string {
	return func(t *testing.T, env *testenv.Env) string {
		injectDegradation(env)
		id := "golden-degradation-" + name
		env.StartWorkflowCLI("PartialDegradation", id, env.RequestFile(map[string]any{"topology": degTopology(env, 10*time.Minute), "initiator": "alice"}))
		waitStatus(t, env, id, time.Minute, "plan gate", func(s workflows.Status) bool { return s.PendingGate != nil })
		if !approve {
			env.SignalCLI(id, workflows.SignalApprove, workflows.Approval{Gate: workflows.GateDegradationPlan, Decision: "reject", Approver: "alice", Comment: "golden"})
		} else {
			env.SignalCLI(id, workflows.SignalApprove, workflows.Approval{Gate: workflows.GateDegradationPlan, Decision: "approve", Approver: "alice"})
			waitStatus(t, env, id, time.Minute, "revert gate", func(s workflows.Status) bool {
				return s.PendingGate != nil && s.PendingGate.Name == workflows.GateDegradationRevert
			})
			env.SignalCLI(id, workflows.SignalApprove, workflows.Approval{Gate: workflows.GateDegradationRevert, Decision: "approve", Approver: "alice"})
		}
		degReport(t, env, id, time.Minute)
		return id
	}
}

// goldenCorruption runs a DataCorruptionRecovery of two tables from the temporal CLI, the users table
// corrupted 10 minutes ago, and answers each gate in turn with its decision.
func goldenCorruption(name string, decisions ...workflows.Approval) func(t *testing.T, env *testenv.Env) string {
	return func(t *testing.T, env *testenv.Env) string {
		ctx := ctxT(t, 3*time.Minute)
		startedAt := time.Now().UTC().Add(-10 * time.Minute).Truncate(time.Second)
		env.Sim.AddFault(awssim.Fault{Kind: awssim.FaultCorruptedTable, Table: "roadcall-users-prod", At: startedAt})
		id := "golden-corruption-" + name
		env.StartWorkflowCLI("DataCorruptionRecovery", id, env.RequestFile(map[string]any{
			"corruptionStartedAt": startedAt, "tables": []string{"roadcall-users-prod", "roadcall-incidents-prod"}}))
		for _, d := range decisions {
			waitGate(ctx, t, env, id, d.Gate)
			env.SignalCLI(id, workflows.SignalApprove, d)
		}
		if err := env.Temporal.Client.GetWorkflow(ctx, id, "").Get(ctx, nil); err != nil {
			t.Fatal(err)
		}
		return id
	}
}

// goldenWatch starts the watch every 2 s with threshold 2, injects the outage after two healthy
// evaluations, waits for the failover at its gate and cancels the watch.
func goldenWatch(t *testing.T, env *testenv.Env) string {
	id := startWatch(t, env)
	waitWatch(t, env, id, 30*time.Second, "two healthy evaluations", func(s workflows.WatchStatus) bool { return s.Evaluations >= 2 })
	env.Sim.AddFault(awssim.Fault{Kind: awssim.FaultRegionOutage, Region: env.Topology.PrimaryRegion})
	waitStatus(t, env, workflows.WorkflowID("failover", env.Topology), 30*time.Second, "failover at its gate", func(s workflows.Status) bool {
		return s.Phase == workflows.PhaseAwaitingApproval
	})
	waitWatch(t, env, id, 10*time.Second, "the start recorded", func(s workflows.WatchStatus) bool { return s.LastStart != nil })
	ctx := ctxT(t, time.Minute)
	if err := env.Temporal.Client.CancelWorkflow(ctx, id, ""); err != nil {
		t.Fatal(err)
	}
	if err := env.Temporal.Client.GetWorkflow(ctx, id, "").Get(ctx, nil); err == nil {
		t.Fatal("the cancelled watch ended without an error")
	}
	return id
}

// goldenDrill runs the example drill request from the temporal CLI to completion and returns its workflow
// ID and report.
func goldenDrill(t *testing.T, env *testenv.Env) (string, workflows.DrillReport) {
	t.Helper()
	extra := requestExample(t, "drill")
	delete(extra, "topology")
	extra["monitorWindow"] = "1s"
	id := "golden-drill"
	env.StartWorkflowCLI("DRDrill", id, env.RequestFile(extra))
	ctx := ctxT(t, 2*time.Minute)
	var rep workflows.DrillReport
	if err := env.Temporal.Client.GetWorkflow(ctx, id, "").Get(ctx, &rep); err != nil || rep.Outcome != workflows.PhaseCompleted {
		t.Fatalf("drill: %v\n%s", err, render.DrillReport(rep))
	}
	return id, rep
}
