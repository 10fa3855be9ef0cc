package starter

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

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
	ex, err := describe(qctx, c, *id, *runID)
	if gone(err) {
		return fmt.Errorf("workflow %s: %v (namespace %s)", *id, rootMessage(err), f.temporal.ResolvedNamespace())
	}
	if err != nil {
		return fmt.Errorf("describe workflow %s: %v", *id, rootMessage(err))
	}
	st, err := queryStatus(qctx, c, *id, ex.runID)
	if err != nil && ex.open() {
		return fmt.Errorf("query %s of workflow %s: %v (is a worker running on task queue %s?)", workflows.QueryStatus, *id, rootMessage(err), workflows.TaskQueue)
	}
	if err != nil {
		// An ended run whose status no worker can replay still says how it ended.
		fmt.Fprintf(e.Out, "%s  %s\n  phase    %s at %s (its status query did not answer: %v)\n", ex.workflowType, *id, ex.statusName(), ex.closed.Local().Format(time.RFC3339), rootMessage(err))
		return nil
	}
	st, note := ex.ended(st)
	printEnded(e.Out, *id, st, note)
	return nil
}

// execution is what the server says of a run, which outlives what the workflow could say: a terminated
// or timed-out run never ran the code that would have moved its status on.
type execution struct {
	runID, workflowType string
	status              enumspb.WorkflowExecutionStatus
	closed              time.Time
}

func (x execution) open() bool { return x.status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING }

// ended is the run's last status as the workflow saw it, corrected by how the server says it ended: a run
// the workflow did not end itself (terminated, timed out, failed, cancelled, continued) waits for nobody.
func (x execution) ended(st workflows.Status) (workflows.Status, string) {
	if x.open() || x.status == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		return st, ""
	}
	last := st.Phase
	if st.CurrentStep != "" {
		last += ", step " + st.CurrentStep
	}
	note := fmt.Sprintf("%s at %s; last known: %s", x.statusName(), x.closed.Local().Format(time.RFC3339), last)
	st.PendingGate, st.PausedSteps = nil, nil
	return st, note
}

// statusName is the server's status as the temporal CLI prints it: TERMINATED, TIMED_OUT, FAILED...
func (x execution) statusName() string {
	return strings.TrimPrefix(enumspb.WorkflowExecutionStatus_name[int32(x.status)], "WORKFLOW_EXECUTION_STATUS_")
}

func describe(ctx context.Context, c client.Client, id, runID string) (execution, error) {
	d, err := c.DescribeWorkflowExecution(ctx, id, runID)
	if err != nil {
		return execution{}, err
	}
	info := d.GetWorkflowExecutionInfo()
	x := execution{runID: info.GetExecution().GetRunId(), workflowType: info.GetType().GetName(), status: info.GetStatus()}
	if ct := info.GetCloseTime(); ct != nil {
		x.closed = ct.AsTime()
	}
	return x, nil
}

// statusRefusals is how many refused signals status and --follow show; the status query keeps the latest 20.
const statusRefusals = 5

// printStatus shows what an operator needs first: the phase, what is waiting for them and the command that
// answers it; then the timeline.
func printStatus(w io.Writer, id string, st workflows.Status) { printEnded(w, id, st, "") }

// printEnded is printStatus for a run the server says ended as ended says (TERMINATED at ...), which
// replaces the phase line.
func printEnded(w io.Writer, id string, st workflows.Status, ended string) {
	fmt.Fprintf(w, "%s  %s\n", st.Workflow, id)
	phase := st.Phase
	if st.CurrentStep != "" {
		phase += ", step " + st.CurrentStep
	}
	if ended != "" {
		phase = ended
	}
	fmt.Fprintf(w, "  phase    %s\n", phase)
	fmt.Fprintf(w, "  elapsed  %s since start", st.Elapsed.Round(time.Second))
	if st.RTO > 0 {
		fmt.Fprintf(w, "; %s since detection = %.0f%% of the RTO (%s)", (time.Duration(st.RTOUsed * float64(st.RTO))).Round(time.Second), st.RTOUsed*100, st.RTO)
	}
	fmt.Fprintln(w)
	if g := st.PendingGate; g != nil {
		fmt.Fprintf(w, "  WAITING  gate %s until %s (escalations %d)\n", g.Name, g.Deadline.UTC().Format(time.RFC3339), g.Escalations)
	}
	for _, p := range st.PausedSteps {
		msg := ""
		if s := st.Step(p); s != nil {
			msg = ": " + s.Error
		}
		fmt.Fprintf(w, "  PAUSED   step %s%s\n", p, msg)
	}
	render.Answers(w, "           ", id, st)
	render.Refusals(w, "  ", st, statusRefusals)
	if st.LastError != "" {
		fmt.Fprintf(w, "  last error  %s\n", st.LastError)
	}
	if len(st.Steps) > 0 {
		var b strings.Builder
		render.StepsWith(&b, workflows.RunbookOrder(st.Steps), render.Columns{Name: true, Started: true, Attempts: true})
		fmt.Fprintf(w, "\n  %s\n", strings.ReplaceAll(strings.TrimSuffix(b.String(), "\n"), "\n", "\n  "))
	}
	for _, a := range st.Approvals {
		line := fmt.Sprintf("  %s %sd by %s at %s", a.Gate, a.Decision, a.Approver, a.At.Local().Format("15:04:05"))
		if a.Comment != "" {
			line += ": " + a.Comment
		}
		fmt.Fprintln(w, line)
	}
	if len(st.Notes) > 0 {
		fmt.Fprintf(w, "\n  notes\n    %s\n", strings.Join(st.Notes, "\n    "))
	}
}
