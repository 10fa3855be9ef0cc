package starter

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/roadcall/dr/internal/temporalclient"
	"github.com/roadcall/dr/workflows"
)

// replayCmd: starter replay --workflow-id ID [--run-id R] | --file history.json
func replayCmd(ctx context.Context, e *Env, args []string) error {
	f := newFlags(e, "replay")
	id := f.String("workflow-id", "", "replay this workflow's history, fetched from Temporal")
	runID := f.String("run-id", "", "run ID (default: the latest run)")
	file := f.String("file", "", "replay a history saved as JSON (temporal workflow show --output json)")
	if err := f.parse(args); err != nil {
		return err
	}
	if (*id == "") == (*file == "") {
		return badInput("give exactly one of --workflow-id and --file")
	}
	// Encrypted histories decode with the same keys as the worker's (ROADCALL_CODEC_KEY...).
	codec, err := f.temporal.Codec()
	if err != nil {
		return badInput("%v", err)
	}
	r, err := temporalclient.NewReplayer(codec)
	if err != nil {
		return err
	}
	for _, wf := range workflows.All() {
		r.RegisterWorkflow(wf)
	}
	quiet := log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	var what string
	if *file != "" {
		what = "history file " + *file
		h, lerr := historyFromFile(*file)
		if lerr != nil {
			return badInput("--file %s: %v", *file, lerr)
		}
		if derr := temporalclient.CheckDecodable(codec, h); derr != nil {
			return badInput("%s: %v", what, derr)
		}
		err = r.ReplayWorkflowHistory(quiet, h)
	} else {
		c, derr := e.dial(ctx, f)
		if derr != nil {
			return derr
		}
		defer c.Close()
		h, n, herr := fetchHistory(ctx, c, *id, *runID)
		if herr != nil {
			return herr
		}
		what = fmt.Sprintf("workflow %s (%d events)", *id, n)
		if derr := temporalclient.CheckDecodable(codec, h); derr != nil {
			return badInput("%s: %v", what, derr)
		}
		// The run's own execution, so that code reading its workflow ID replays as it ran.
		exec := workflow.Execution{ID: *id, RunID: h.Events[0].GetWorkflowExecutionStartedEventAttributes().GetOriginalExecutionRunId()}
		err = r.ReplayWorkflowHistoryWithOptions(quiet, h, worker.ReplayWorkflowHistoryOptions{OriginalExecution: exec})
	}
	if err != nil {
		verdict := "could not be replayed"
		if strings.Contains(strings.ToUpper(err.Error()), "TMPRL1100") || strings.Contains(err.Error(), "nondeterministic") {
			verdict = "is NOT deterministic against this build"
		}
		return failed("%s %s: %v\nA change to the workflow code altered the commands this run recorded: put it behind workflow.GetVersion.", what, verdict, err)
	}
	fmt.Fprintf(e.Out, "deterministic: %s replays cleanly against this build's workflow code\n", what)
	return nil
}

func fetchHistory(ctx context.Context, c client.Client, id, runID string) (*historypb.History, int, error) {
	h := &historypb.History{}
	it := c.GetWorkflowHistory(ctx, id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return nil, 0, fmt.Errorf("history of workflow %s: %w", id, err)
		}
		h.Events = append(h.Events, ev)
	}
	if len(h.Events) == 0 {
		return nil, 0, fmt.Errorf("workflow %s has no history", id)
	}
	return h, len(h.Events), nil
}

func historyFromFile(path string) (*historypb.History, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return client.HistoryFromJSON(f, client.HistoryJSONOptions{})
}
