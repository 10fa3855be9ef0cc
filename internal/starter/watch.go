package starter

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/roadcall/dr/internal/render"
	"github.com/roadcall/dr/workflows"
)

// start starts a workflow and says how to follow it from another terminal.
func (e *Env) start(ctx context.Context, c client.Client, id, summary string, wf any, req requester) (client.WorkflowRun, error) {
	if err := e.checkPolicy(wf, req.Base()); err != nil {
		return nil, err
	}
	e.proveInitiator(ctx, id, req.Base())
	// The SDK checks the argument against the workflow function's parameter: the request, not a pointer.
	arg := reflect.ValueOf(req).Elem().Interface()
	// Without WorkflowExecutionErrorWhenAlreadyStarted the SDK hands back the run already going under that ID
	// as if it were new, and "one failover per platform" would pass silently.
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: id, TaskQueue: workflows.TaskQueue, StaticSummary: summary, WorkflowExecutionErrorWhenAlreadyStarted: true,
	}, wf, arg)
	var running *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &running) {
		// The workflow ID is derived from the platform and stage: the server itself refuses a second run.
		return nil, badInput("%s is already running (workflow %s): one run at a time per platform and stage; see starter status --workflow-id %s", summary, id, id)
	}
	if err != nil {
		return nil, fmt.Errorf("start workflow %s on task queue %s: %w", id, workflows.TaskQueue, err)
	}
	fmt.Fprintf(e.Out, "started %s\n  workflow ID %s\n  run ID      %s\n", summary, run.GetID(), run.GetRunID())
	fmt.Fprintf(e.Out, "  watch:      starter status --workflow-id %s\n", run.GetID())
	fmt.Fprintf(e.Out, "              temporal workflow query --workflow-id %s --name %s\n\n", run.GetID(), workflows.QueryStatus)
	return run, nil
}

// await waits for the run's result while printing each change of its status: steps starting and ending,
// gates waiting for someone, steps paused for an operator (with the command that answers them).
func (e *Env) await(ctx context.Context, c client.Client, run client.WorkflowRun, result any) error {
	done := make(chan error, 1)
	go func() { done <- run.Get(ctx, result) }()
	tick := time.NewTicker(e.PollInterval)
	defer tick.Stop()
	w := &watcher{e: e, id: run.GetID(), seen: map[string]string{}, lastAnswer: e.Now()}
	for {
		select {
		case err := <-done:
			// A run the server ended (terminated, timed out) never updated its own status: say how it
			// ended, never what it was waiting for.
			if ex, derr := describe(ctx, c, run.GetID(), run.GetRunID()); derr == nil && !ex.open() && ex.status != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
				w.ended = true
				w.poll(ctx, c, run)
				last := w.phase
				if w.step != "" {
					last += ", step " + w.step
				}
				fmt.Fprintf(w.e.Out, "%s  %-8s run ended by the server; last known: %s\n", clock(w.e.Now()), ex.statusName(), last)
				return fmt.Errorf("workflow %s: %s (%v)", run.GetID(), ex.statusName(), rootMessage(err))
			}
			w.poll(ctx, c, run) // the final steps, so the log ends where the run ended
			if err != nil {
				if workflows.IsInvalidRequest(err) {
					return badInput("the workflow refused the request: %v", rootMessage(err))
				}
				return fmt.Errorf("workflow %s: %v", run.GetID(), rootMessage(err))
			}
			return nil
		case <-tick.C:
			w.poll(ctx, c, run)
		case <-ctx.Done():
			return fmt.Errorf("stopped watching %s (the run goes on; starter status --workflow-id %s): %w", run.GetID(), run.GetID(), ctx.Err())
		}
	}
}

type watcher struct {
	e          *Env
	id         string
	seen       map[string]string // step name → last printed outcome
	phase      string
	gate       string
	paused     []string
	lastAnswer time.Time
	hinted     bool
	// refused counts the refused signals already printed (status keeps the latest 20 and a count).
	refused int
	// ended: the server ended the run, so nothing it shows is waiting for anyone; step is the last current step.
	ended bool
	step  string
}

func (w *watcher) poll(ctx context.Context, c client.Client, run client.WorkflowRun) {
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	st, err := queryStatus(qctx, c, run.GetID(), run.GetRunID())
	if err != nil {
		if !w.hinted && w.e.Now().Sub(w.lastAnswer) > 15*time.Second {
			w.hinted = true
			fmt.Fprintf(w.e.Out, "%s  no answer to the status query for 15s: is a worker running on task queue %s? (%v)\n",
				clock(w.e.Now()), workflows.TaskQueue, rootMessage(err))
		}
		return
	}
	w.lastAnswer = w.e.Now()
	now := clock(w.e.Now())
	w.step = st.CurrentStep
	if w.ended {
		st.PendingGate, st.PausedSteps = nil, nil
	}
	for _, s := range st.Steps {
		if w.seen[s.Name] == s.Outcome {
			continue
		}
		w.seen[s.Name] = s.Outcome
		line := fmt.Sprintf("%s  %-8s %-28s %s", now, s.Outcome, s.Name, s.Title)
		if s.Outcome != workflows.OutcomeRunning {
			line += fmt.Sprintf(" (%s)", s.Duration().Round(100*time.Millisecond))
		}
		if s.Error != "" {
			line += "\n          error: " + s.Error
		}
		fmt.Fprintln(w.e.Out, line)
	}
	if g := st.PendingGate; g != nil && g.Name != w.gate {
		gs := st
		gs.PausedSteps = nil
		fmt.Fprintf(w.e.Out, "%s  WAITING  gate %s until %s\n%s", now, g.Name, g.Deadline.UTC().Format(time.RFC3339), answerHint(w.id, gs))
	}
	w.gate = ""
	if st.PendingGate != nil {
		w.gate = st.PendingGate.Name
	}
	for _, p := range st.PausedSteps {
		if !slices.Contains(w.paused, p) {
			ps := st
			ps.PendingGate, ps.PausedSteps = nil, []string{p}
			fmt.Fprintf(w.e.Out, "%s  PAUSED   step %s needs an operator\n%s", now, p, answerHint(w.id, ps))
		}
	}
	w.paused = st.PausedSteps
	// Refused signals as they come: otherwise a refused approve signal looks exactly like success.
	if total := len(st.Ignored) + st.IgnoredDropped; total > w.refused {
		for _, msg := range st.Ignored[max(0, len(st.Ignored)-(total-w.refused)):] {
			fmt.Fprintf(w.e.Out, "%s  REFUSED  %s\n", now, msg)
		}
		w.refused = total
	}
	if st.Phase != w.phase && !w.ended && (st.Phase != workflows.PhaseRunning || w.phase != "") {
		fmt.Fprintf(w.e.Out, "%s  phase    %s\n", now, st.Phase)
	}
	w.phase = st.Phase
}

func queryStatus(ctx context.Context, c client.Client, id, runID string) (workflows.Status, error) {
	var st workflows.Status
	v, err := c.QueryWorkflow(ctx, id, runID, workflows.QueryStatus)
	if err != nil {
		return st, err
	}
	return st, v.Get(&st)
}

// answerHint is how to answer one thing the run waits for (a gate, or one paused step), as starter status
// and the Temporal UI's current details show it.
func answerHint(id string, st workflows.Status) string {
	var b strings.Builder
	render.Answers(&b, "          ", id, st)
	return b.String()
}

func clock(t time.Time) string { return t.Local().Format("15:04:05") }

// rootMessage is the innermost application message, the one that names the resource, without the SDK's
// wrapping ("workflow execution error (type: ..., workflowID: ...): activity error ...").
func rootMessage(err error) string {
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) {
		if ae.Type() != "" {
			return ae.Type() + ": " + ae.Message()
		}
		return ae.Message()
	}
	var te *temporal.TimeoutError
	if errors.As(err, &te) {
		return "timeout: " + te.Error()
	}
	return err.Error()
}
