package starter

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/roadcall/dr/internal/render"
	"github.com/roadcall/dr/workflows"
)

// statusCmd: starter status --workflow-id ID
func statusCmd(ctx context.Context, e *Env, args []string) error {
	f := newFlags(e, "status")
	id := f.String("workflow-id", "", "workflow ID (printed when the run was started)")
	runID := f.String("run-id", "", "run ID (default: the latest run)")
	if err := f.parse(args); err != nil {
		return err
	}
	if err := require("workflow-id", *id); err != nil {
		return err
	}
	c, err := e.dial(ctx, f)
	if err != nil {
		return err
	}
	defer c.Close()
	qctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	st, err := queryStatus(qctx, c, *id, *runID)
	if gone(err) {
		return fmt.Errorf("workflow %s: %v (namespace %s)", *id, rootMessage(err), f.temporal.ResolvedNamespace())
	}
	if err != nil {
		return fmt.Errorf("query %s of workflow %s: %v (is a worker running on task queue %s?)", workflows.QueryStatus, *id, rootMessage(err), workflows.TaskQueue)
	}
	printStatus(e.Out, *id, st)
	return nil
}

// printStatus shows what an operator needs first: the phase, what is waiting for them and the command that
// answers it; then the timeline.
func printStatus(w io.Writer, id string, st workflows.Status) {
	fmt.Fprintf(w, "%s  %s\n", st.Workflow, id)
	phase := st.Phase
	if st.CurrentStep != "" {
		phase += ", step " + st.CurrentStep
	}
	fmt.Fprintf(w, "  phase    %s\n", phase)
	fmt.Fprintf(w, "  elapsed  %s since start", st.Elapsed.Round(time.Second))
	if st.RTO > 0 {
		fmt.Fprintf(w, "; %s since detection = %.0f%% of the RTO (%s)", (time.Duration(st.RTOUsed * float64(st.RTO))).Round(time.Second), st.RTOUsed*100, st.RTO)
	}
	fmt.Fprintln(w)
	if g := st.PendingGate; g != nil {
		fmt.Fprintf(w, "  WAITING  gate %s: %s (escalations %d)\n%s", g.Name, g.Summary, g.Escalations, approveHint(id, g))
	}
	for _, p := range st.PausedSteps {
		msg := ""
		if s := st.Step(p); s != nil {
			msg = ": " + s.Error
		}
		fmt.Fprintf(w, "  PAUSED   step %s%s\n%s", p, msg, operatorHint(id, p))
	}
	if st.LastError != "" {
		fmt.Fprintf(w, "  last error  %s\n", st.LastError)
	}
	if len(st.Steps) > 0 {
		var b strings.Builder
		render.StepsWith(&b, st.Steps, render.Columns{Name: true, Started: true, Attempts: true})
		fmt.Fprintf(w, "\n  %s\n", strings.ReplaceAll(strings.TrimSuffix(b.String(), "\n"), "\n", "\n  "))
	}
	for _, a := range st.Approvals {
		line := fmt.Sprintf("  %s %sd by %s at %s", a.Gate, a.Decision, a.Approver, a.At.Local().Format("15:04:05"))
		if a.Comment != "" {
			line += ": " + a.Comment
		}
		fmt.Fprintln(w, line)
	}
	if len(st.Notes)+len(st.Ignored) > 0 {
		fmt.Fprintf(w, "\n  notes\n    %s\n", strings.Join(append(append([]string{}, st.Notes...), st.Ignored...), "\n    "))
	}
}
