package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/roadcall/dr/internal/iam"
	"github.com/roadcall/dr/internal/starter"
	"github.com/roadcall/dr/internal/testenv"
	"github.com/roadcall/dr/internal/topology"
	"github.com/roadcall/dr/workflows"
)

// evaluationPages are the plan evaluation's SNS messages awssim received.
func evaluationPages(env *testenv.Env) []testenv.Published {
	var out []testenv.Published
	for _, p := range env.Sim.Published() {
		if strings.HasPrefix(p.Subject, "DR plan evaluation") {
			out = append(out, p)
		}
	}
	return out
}

// waitListed waits until the visibility store lists the run as completed, as it will long before the
// schedule's next run half an hour later: the next evaluation reads its previous result there.
func waitListed(ctx context.Context, t *testing.T, env *testenv.Env, id string) {
	t.Helper()
	q := fmt.Sprintf("WorkflowId = %q AND ExecutionStatus = 'Completed'", id)
	for {
		resp, err := env.Temporal.Client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: q})
		if err == nil && len(resp.GetExecutions()) > 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s never listed as completed: %v", id, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func failing(rep workflows.EvaluationReport) []string {
	var out []string
	for _, r := range rep.Rows {
		if r.Status == workflows.Fail {
			out = append(out, r.Check+" "+r.Resource)
		}
	}
	return out
}

// A statement taken away from the worker's enforced policy shows as one failing row and one SNS message;
// evaluating again with the same failure sends none; putting it back sends one recovery message. The
// previous result is read from the visibility store, as the schedule's runs read it.
func TestPlanEvaluationPagesOnlyChanges(t *testing.T) {
	env := testenv.New(t, testenv.Options{})
	// The worker's printed least-privilege policy for this topology, enforced by awssim.
	doc := iam.PolicyFor(env.Topology)
	env.Sim.Server.SetEnforcePolicy(&doc)
	ctx := ctxT(t, 4*time.Minute)
	prefix := workflows.WorkflowID(workflows.ScenarioEvaluation, env.Topology)

	// 1. From the starter: the report, printed. The plan has never been drilled, which fails and pages.
	r := runStarter(ctx, env, "evaluation", "--topology", env.TopologyFile)
	out := r.output()
	for _, want := range []string{"iam-permissions", "lambda-account-concurrency", "dynamodb-capacity-parity", "drill-staleness", "us-east-1", "Compared with the previous evaluation: none"} {
		if !strings.Contains(out, want) {
			t.Errorf("starter evaluation output lacks %q:\n%s", want, out)
		}
	}
	id1 := ""
	for _, f := range strings.Fields(out) {
		if strings.HasPrefix(f, prefix+"-") {
			id1 = strings.TrimSuffix(f, ";")
		}
	}
	if id1 == "" {
		t.Fatalf("no workflow ID in the output:\n%s", out)
	}
	rep1 := runResult[workflows.EvaluationReport](ctx, t, env, id1)
	if got := failing(rep1); len(got) != 1 || !strings.HasPrefix(got[0], "drill-staleness") {
		t.Fatalf("baseline: failing %v, want only the drill staleness\n%s", got, out)
	}
	base := len(evaluationPages(env))
	if base != 1 {
		t.Fatalf("baseline: %d pages, want 1 (the never-drilled plan)", base)
	}
	waitListed(ctx, t, env, id1)

	run := func(n int) workflows.EvaluationReport {
		id := fmt.Sprintf("%s-e2e-%d", prefix, n)
		env.StartWorkflowCLI(workflows.WorkflowEvaluation, id, env.RequestFile(nil))
		rep := runResult[workflows.EvaluationReport](ctx, t, env, id)
		waitListed(ctx, t, env, id)
		return rep
	}

	// 2. FailoverAurora taken away: one failing row more, one message.
	less := doc.Without("FailoverAurora")
	env.Sim.Server.SetEnforcePolicy(&less)
	rep2 := run(2)
	if rep2.PreviousSource != workflows.PreviousFromVisibility || rep2.Previous == nil || rep2.Previous.WorkflowID != id1 {
		t.Errorf("previous %s %+v, want the visibility store's %s", rep2.PreviousSource, rep2.Previous, id1)
	}
	got := failing(rep2)
	if len(got) != 2 || got[0] != "iam-permissions statement FailoverAurora" {
		t.Errorf("without FailoverAurora: failing %v, want the statement and the drill", got)
	}
	pages := evaluationPages(env)
	if len(pages) != base+1 {
		t.Fatalf("without FailoverAurora: %d new pages, want 1: %+v", len(pages)-base, pages)
	}
	if p := pages[len(pages)-1]; !strings.Contains(p.Subject, "1 newly failing") || !strings.Contains(p.Body, "rds:FailoverGlobalCluster") || p.Region != env.Topology.DRRegion {
		t.Errorf("page %+v: want the FailoverAurora statement's rds:FailoverGlobalCluster, in %s", p, env.Topology.DRRegion)
	}

	// 3. The same failure again: nothing paged.
	rep3 := run(3)
	if len(failing(rep3)) != 2 || len(rep3.Changes) != 0 || rep3.Paged {
		t.Errorf("same failure: failing %v, changes %+v, paged %v", failing(rep3), rep3.Changes, rep3.Paged)
	}
	if n := len(evaluationPages(env)); n != base+1 {
		t.Errorf("the same failure paged again: %d pages", n-base-1)
	}

	// 4. The statement back: one recovery message.
	env.Sim.Server.SetEnforcePolicy(&doc)
	rep4 := run(4)
	if len(failing(rep4)) != 1 || len(rep4.Changes) != 1 || !rep4.Changes[0].Recovered() {
		t.Errorf("fixed: failing %v, changes %+v", failing(rep4), rep4.Changes)
	}
	pages = evaluationPages(env)
	if len(pages) != base+2 || !strings.Contains(pages[len(pages)-1].Body, "RECOVERED iam-permissions statement FailoverAurora") {
		t.Errorf("fixed: pages %+v, want one more saying FailoverAurora recovered", pages[base+1:])
	}
}

// `starter schedule evaluation --every 30m` makes an interval schedule with overlap skip; its runs carry
// the previous result through the visibility store: the second scheduled run compares with the first and,
// nothing having changed, pages nothing.
func TestPlanEvaluationScheduleCarriesThePreviousResult(t *testing.T) {
	env := testenv.New(t, testenv.Options{NoWorker: true})
	r := runStarter(ctxT(t, 30*time.Second), env, "schedule", "evaluation", "--every", "30m", "--topology", env.TopologyFile)
	if r.code != starter.ExitOK || !strings.Contains(r.output(), "created schedule") || !strings.Contains(r.output(), "overlap skip") {
		t.Fatalf("schedule evaluation: exit %d\n%s", r.code, r.output())
	}
	ctx := ctxT(t, 4*time.Minute)
	h, d := scheduleWithOverlapSkip(ctx, t, env, workflows.ScenarioEvaluation)
	if iv := d.Schedule.Spec.Intervals; len(iv) != 1 || iv[0].Every != 30*time.Minute {
		t.Errorf("intervals %+v, want every 30m", iv)
	}
	id1 := triggerTwiceExpectOneSkipped(t, h)
	env.StartWorker()
	rep1 := runResult[workflows.EvaluationReport](ctx, t, env, id1)
	if rep1.PreviousSource != workflows.PreviousNone || !rep1.Paged {
		t.Fatalf("first scheduled evaluation: previous %s, paged %v", rep1.PreviousSource, rep1.Paged)
	}
	waitListed(ctx, t, env, id1)
	// Under overlap skip a trigger is skipped while the schedule still counts the first run as running, and
	// the scheduler learns of its end a moment after the run's result is readable.
	waitFor(t, 90*time.Second, "the schedule sees the first evaluation ended", func() bool {
		d, err := h.Describe(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return len(d.Info.RunningWorkflows) == 0
	})
	if err := h.Trigger(ctx, client.ScheduleTriggerOptions{}); err != nil {
		t.Fatal(err)
	}
	var id2 string
	waitFor(t, 90*time.Second, "the second scheduled evaluation started", func() bool {
		d, err := h.Describe(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range d.Info.RecentActions {
			if w := a.StartWorkflowResult; w != nil && w.WorkflowID != id1 {
				id2 = w.WorkflowID
			}
		}
		return id2 != ""
	})
	rep2 := runResult[workflows.EvaluationReport](ctx, t, env, id2)
	if rep2.PreviousSource != workflows.PreviousFromVisibility || rep2.Previous == nil || rep2.Previous.WorkflowID != id1 {
		t.Errorf("second scheduled evaluation compared with %s %+v, want %s from the visibility store", rep2.PreviousSource, rep2.Previous, id1)
	}
	if rep2.Paged || len(rep2.Changes) != 0 || len(evaluationPages(env)) != 1 {
		t.Errorf("nothing changed, yet paged %v with changes %+v (%d pages)", rep2.Paged, rep2.Changes, len(evaluationPages(env)))
	}
	_ = h.Delete(ctx)
}

// Drill staleness reads the visibility store: no drill fails; a completed drill passes and is named; the
// same drill older than objectives.maxDrillAge fails.
func TestPlanEvaluationDrillStaleness(t *testing.T) {
	env := testenv.New(t, testenv.Options{TimeScale: 0.002})
	ctx := ctxT(t, 3*time.Minute)
	prefix := workflows.WorkflowID(workflows.ScenarioEvaluation, env.Topology)
	drillRow := func(n int, extra map[string]any) workflows.CheckRow {
		id := fmt.Sprintf("%s-drill-%d", prefix, n)
		env.StartWorkflowCLI(workflows.WorkflowEvaluation, id, env.RequestFile(extra))
		rep := runResult[workflows.EvaluationReport](ctx, t, env, id)
		for _, r := range rep.Rows {
			if r.Check == "drill-staleness" {
				return r
			}
		}
		t.Fatalf("%s: no drill-staleness row", id)
		return workflows.CheckRow{}
	}
	if r := drillRow(1, nil); r.Status != workflows.Fail || r.Observed != "no completed drill on record" {
		t.Errorf("before any drill: %+v", r)
	}
	d := runStarter(ctx, env, "drill", "--topology", env.TopologyFile, "--auto-approve", "--monitor-window", "1s")
	if d.code != starter.ExitOK {
		t.Fatalf("drill: exit %d\n%s", d.code, d.output())
	}
	var r workflows.CheckRow
	n := 10
	waitFor(t, 30*time.Second, "the drill listed in the visibility store", func() bool {
		n++
		r = drillRow(n, nil)
		return r.Status == workflows.Pass
	})
	if !strings.Contains(r.Observed, workflows.WorkflowID(workflows.DrillScenario, env.Topology)) {
		t.Errorf("pass row does not name the drill: %+v", r)
	}
	time.Sleep(2 * time.Second)
	topo := env.Topology
	topo.Objectives.MaxDrillAge = topology.Duration(time.Second)
	if r := drillRow(3, map[string]any{"topology": topo}); r.Status != workflows.Fail || !strings.Contains(r.Reason, "maxDrillAge") {
		t.Errorf("drill older than maxDrillAge 1s: %+v", r)
	}
}
