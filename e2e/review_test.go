package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/converter"

	"github.com/roadcall/dr/internal/starter"
	"github.com/roadcall/dr/internal/testenv"
	"github.com/roadcall/dr/workflows"
)

const reviewBucket = "roadcall-dr-reports-local"

// reviewTopology is the local example topology with reports.bucket set, written for testenv.
func reviewTopology(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.ModuleRoot(t), "examples", "roadcall-local.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	m["reports"] = map[string]any{"bucket": reviewBucket}
	out, _ := json.MarshalIndent(m, "", "  ")
	path := filepath.Join(t.TempDir(), "topology-reports.json")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// awsS3Cat is `aws s3 cp s3://BUCKET/KEY -` (the machine's AWS CLI, a client we did not write) against
// env's awssim in region.
func awsS3Cat(t *testing.T, env *testenv.Env, region, uri string) string {
	t.Helper()
	bin, err := exec.LookPath("aws")
	if err != nil {
		t.Fatal("the AWS CLI is not installed; this test reads the uploaded review through it (pip install awscli)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "s3", "cp", uri, "-", "--endpoint-url", env.Sim.URL, "--region", region)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=awssim", "AWS_SECRET_ACCESS_KEY=awssim",
		"AWS_PAGER=", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("aws s3 cp %s -: %v\n%s", uri, err, stderr)
	}
	return string(out)
}

// timerSummaries are the summaries the UI shows for the timers of a run's history, in order.
func timerSummaries(t *testing.T, env *testenv.Env, id string) []string {
	t.Helper()
	ctx := ctxT(t, 30*time.Second)
	it := env.Temporal.Client.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var out []string
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if ev.GetEventType() != enumspb.EVENT_TYPE_TIMER_STARTED {
			continue
		}
		var s string
		if p := ev.GetUserMetadata().GetSummary(); p != nil {
			if err := converter.GetDefaultDataConverter().FromPayload(p, &s); err != nil {
				t.Fatalf("timer summary of %s: %v", id, err)
			}
		}
		out = append(out, s)
	}
	return out
}

// listIDs is `temporal workflow list --query q`'s workflow IDs.
func listIDs(t *testing.T, env *testenv.Env, q string) []string {
	t.Helper()
	out, err := env.CLI("workflow", "list", "--query", q, "--output", "json")
	if err != nil {
		t.Fatalf("workflow list --query %q: %v", q, err)
	}
	var runs []struct {
		Execution struct {
			WorkflowID string `json:"workflowId"`
		} `json:"execution"`
	}
	if strings.TrimSpace(out) != "" {
		if err := json.Unmarshal([]byte(out), &runs); err != nil {
			t.Fatalf("workflow list --query %q --output json: %v\n%s", q, err, out)
		}
	}
	var ids []string
	for _, r := range runs {
		ids = append(ids, r.Execution.WorkflowID)
	}
	return ids
}

// A drill on a topology with reports.bucket: its children carry the drill's ID in memo and DRParentDrill,
// `temporal workflow list` tells them from a failover started by hand, the drill's status links them, and
// the review it uploaded to the DR region's bucket is what `starter report --format html` prints, read back
// with the AWS CLI, and renders with its chart in headless Chromium.
func TestDrillChildrenTaggedAndReviewUploaded(t *testing.T) {
	env := testenv.New(t, testenv.Options{TimeScale: 0.002, Topology: reviewTopology(t)})
	if r := runStarter(ctxT(t, 3*time.Minute), env, "drill", "--topology", env.TopologyFile, "--auto-approve", "--monitor-window", "1s"); r.code != starter.ExitOK {
		t.Fatalf("starter drill exited %d\n%s", r.code, r.output())
	}
	id := workflows.WorkflowID("drill", env.Topology)
	ctx := ctxT(t, 3*time.Minute)
	rep := runResult[workflows.DrillReport](ctx, t, env, id)
	desc, err := env.Temporal.Client.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		t.Fatal(err)
	}
	runID := desc.GetWorkflowExecutionInfo().GetExecution().GetRunId()
	wantURI := "s3://" + reviewBucket + "/" + id + "/" + runID + ".html"
	if rep.Outcome != workflows.PhaseCompleted || rep.Review != wantURI {
		t.Fatalf("drill %s, review %q; want completed and %q (notes %v)", rep.Outcome, rep.Review, wantURI, rep.Notes)
	}

	// Each child names the drill in its memo and search attributes; the drill's status links each.
	children := []string{rep.Readiness.WorkflowID, rep.FailoverID, rep.FailbackID}
	for _, cid := range children {
		d, err := env.Temporal.Client.DescribeWorkflow(ctx, cid, "")
		if err != nil {
			t.Fatal(err)
		}
		parent, _ := d.TypedSearchAttributes.GetKeyword(workflows.SAParentDrill)
		var memo string
		if err := d.GetMemoValue(workflows.MemoParentDrill, &memo); err != nil {
			t.Errorf("child %s: memo %s: %v", cid, workflows.MemoParentDrill, err)
		}
		if parent != id || memo != id {
			t.Errorf("child %s: DRParentDrill %q, memo parentDrill %q; want %q", cid, parent, memo, id)
		}
		summary, _ := d.GetStaticSummary()
		details, _ := d.GetStaticDetails()
		if summary == "" || !strings.Contains(details, id) {
			t.Errorf("child %s: static summary %q, details %q; want both, the details naming the drill", cid, summary, details)
		}
	}
	var st workflows.Status
	env.QueryCLI(id, workflows.QueryStatus, &st)
	if len(st.Children) != 3 || st.Children[1].WorkflowID != rep.FailoverID || st.Children[1].RunID != rep.FailoverRun {
		t.Errorf("drill status children %+v; want readiness, failover %s/%s, failback", st.Children, rep.FailoverID, rep.FailoverRun)
	}

	// A failover started by hand carries no parent: the list tells the two apart.
	manual := "manual-failover-e2e"
	env.StartWorkflowCLI("RegionFailover", manual, env.RequestFile(failoverExtra(t, map[string]any{"monitorWindow": "1s"})))
	drillRuns := "DRParentDrill = '" + id + "'"
	manualFailovers := "DRScenario = 'failover' AND DRParentDrill IS NULL"
	var fromDrill, byHand []string
	deadline := time.Now().Add(30 * time.Second)
	for {
		fromDrill, byHand = listIDs(t, env, drillRuns), listIDs(t, env, manualFailovers)
		if len(fromDrill) == 3 && len(byHand) == 1 {
			break
		}
		if time.Now().After(deadline) {
			raw, _ := env.CLI("workflow", "list", "--output", "json")
			t.Fatalf("visibility never listed 3 drill runs and 1 manual failover: %s → %v, %s → %v; all runs:\n%.3000s", drillRuns, fromDrill, manualFailovers, byHand, raw)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if byHand[0] != manual {
		t.Errorf("%s lists %v; want only %s", manualFailovers, byHand, manual)
	}
	for _, cid := range children {
		if !strings.Contains(strings.Join(fromDrill, " "), cid) {
			t.Errorf("%s lists %v; want %s among them", drillRuns, fromDrill, cid)
		}
	}
	t.Logf("%s: %v\n%s: %v", drillRuns, fromDrill, manualFailovers, byHand)

	// Timers are named in the UI's timeline: the failover child's monitor window, the manual failover's gate.
	t.Logf("timers of %s: %q", rep.FailoverID, timerSummaries(t, env, rep.FailoverID))
	if got := timerSummaries(t, env, rep.FailoverID); !slices.Contains(got, "monitor window 1s in "+env.Topology.DRRegion) {
		t.Errorf("failover %s timers %q; want the monitor window named", rep.FailoverID, got)
	}
	// The gate is pending before its page goes out and its timer starts: wait for the timer itself.
	var got []string
	waitFor(t, time.Minute, "the manual failover's gate timer", func() bool { got = timerSummaries(t, env, manual); return len(got) > 0 })
	t.Logf("timers of %s: %q", manual, got)
	if !strings.HasPrefix(got[0], "gate failover: escalation 1 of ") {
		t.Errorf("manual failover timers %q; want \"gate failover: escalation 1 of N\"", got)
	}

	// The uploaded review, read with the AWS CLI from the DR region, has the RTO and is the page the
	// starter renders from the history.
	uploaded := awsS3Cat(t, env, env.Topology.DRRegion, wantURI)
	if want := `<td id="rto">` + rep.RTO.Round(time.Millisecond).String() + `</td>`; !strings.Contains(uploaded, want) {
		t.Fatalf("the uploaded review lacks %s:\n%.2000s", want, uploaded)
	}
	out := filepath.Join(t.TempDir(), "review.html")
	if r := runStarter(ctxT(t, time.Minute), env, "report", "--workflow-id", id, "--format", "html", "--out", out); r.code != starter.ExitOK {
		t.Fatalf("starter report --format html exited %d\n%s", r.code, r.output())
	}
	page, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if string(page) != uploaded {
		t.Errorf("starter report --format html (%d bytes) differs from the uploaded review (%d bytes)", len(page), len(uploaded))
	}
	if r := runStarter(ctxT(t, time.Minute), env, "report", "--workflow-id", id, "--format", "pdf"); r.code != starter.ExitBadInput || !strings.Contains(r.output(), "--format") {
		t.Errorf("--format pdf: exit %d\n%s", r.code, r.output())
	}

	// What a person sees: the page renders with its chart (the SVG's own labels are on the screen).
	shot := testenv.OpenPage(t, "file://"+out, time.Minute, "Post-Incident Review", "Recovery objectives", "took, against the runbook budget", "RTO reached", "Recovery Validation Checklist")
	if len(shot.PNG) < 20_000 {
		t.Errorf("screenshot of %d bytes: is the page blank?", len(shot.PNG))
	}
	testenv.SaveScreenshot(t, "review-html.png", shot.PNG)
}
