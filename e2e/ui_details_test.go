package e2e

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/roadcall/dr/internal/awssim"
	"github.com/roadcall/dr/internal/testenv"
	"github.com/roadcall/dr/workflows"
)

// What a person sees in the Temporal UI (the dev server's own, in headless Chromium) of a failover waiting
// at its gate: the current details say how to approve (who may, whether data loss must be accepted, the
// starter, update and signal commands, verbatim: no "--" set as a dash), list a refused approve signal with
// its reason, and show the whole step table.
func TestUIDetailsOfAFailoverAtItsGate(t *testing.T) {
	env := testenv.New(t, testenv.Options{TimeScale: 0.002, UI: true})
	env.Sim.AddFault(awssim.Fault{Kind: awssim.FaultRegionOutage, Region: env.Topology.PrimaryRegion})
	id := workflows.WorkflowID("failover", env.Topology)
	// With a static summary, as the starter starts runs: the UI then shows its "Summary & Details" panel.
	if out, err := env.CLI("workflow", "start", "--type", "RegionFailover", "--task-queue", workflows.TaskQueue, "--workflow-id", id,
		"--static-summary", "RegionFailover roadcall-prod", "--input-file", env.RequestFile(failoverExtra(t, map[string]any{"monitorWindow": "1s"}))); err != nil {
		t.Fatalf("temporal workflow start: %v\n%s", err, out)
	}
	waitGate(ctxT(t, 2*time.Minute), t, env, id, workflows.GateFailover)

	// A bare-name approve signal: refused, and the page must say so.
	env.SignalCLI(id, workflows.SignalApprove, workflows.Approval{Gate: workflows.GateFailover, Decision: "approve", Approver: "mallory"})
	st := waitStatus(t, env, id, time.Minute, "the signal refused", func(s workflows.Status) bool { return len(s.Ignored) > 0 })

	d, err := env.Temporal.Client.DescribeWorkflowExecution(ctxT(t, 10*time.Second), id, "")
	if err != nil {
		t.Fatal(err)
	}
	runID := d.GetWorkflowExecutionInfo().GetExecution().GetRunId()
	page := fmt.Sprintf("%s/namespaces/%s/workflows/%s/%s/user-metadata", env.Temporal.UIAddress, url.PathEscape(env.Temporal.Namespace), url.PathEscape(id), runID)

	var answer []string
	for _, a := range workflows.Answers(id, st) {
		for _, c := range a.Commands {
			answer = append(answer, c.Command)
		}
		for _, f := range a.Facts {
			answer = append(answer, workflows.Plain(f))
		}
	}
	want := append([]string{"To approve gate failover", "Refused signals", st.Ignored[len(st.Ignored)-1], "outcome"}, answer...)
	for _, s := range st.Steps {
		want = append(want, s.Title)
	}
	p := testenv.OpenPage(t, page, 90*time.Second, want...)
	shot := testenv.SaveScreenshot(t, "ui-failover-gate.png", p.PNG)

	for _, never := range []string{"–", "—", "“", "”", "⁄"} {
		if strings.Contains(p.Text, never) {
			t.Errorf("the page set %q: markdown typography rewrote the details (screenshot %s)", never, shot)
		}
	}
	if len(answer) < 5 {
		t.Fatalf("the how-to-approve block is too thin to prove anything: %q", answer)
	}
	b, _ := json.Marshal(st.PendingGate)
	t.Logf("gate %s; %d steps on the page; screenshot %s", b, len(st.Steps), shot)
}
