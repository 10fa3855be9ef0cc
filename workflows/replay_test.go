package workflows

import (
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// workflowsByName maps each workflow type (the function name) in All() to its function.
func workflowsByName() map[string]any {
	out := map[string]any{}
	for _, wf := range All() {
		full := runtime.FuncForPC(reflect.ValueOf(wf).Pointer()).Name()
		out[full[strings.LastIndex(full, ".")+1:]] = wf
	}
	return out
}

// goldenFiles lists testdata/<WorkflowType>-<case>.json with the workflow type of each.
func goldenFiles(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob("testdata/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files, "no golden histories in workflows/testdata")
	out := map[string]string{}
	for _, f := range files {
		out[f] = strings.SplitN(filepath.Base(f), "-", 2)[0]
	}
	return out
}

var quietLogger = log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))

// TestGoldenHistoriesReplay replays every golden history against today's code. A scenario adds its own by
// dropping testdata/<WorkflowType>-<case>.json (made on the dev server by a row of e2e's TestGoldenHistories,
// UPDATE_GOLDEN=1): a failure here means a change altered the command sequence of runs already in flight, and needs a
// workflow.GetVersion.
func TestGoldenHistoriesReplay(t *testing.T) {
	byName := workflowsByName()
	for f, typ := range goldenFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			wf, ok := byName[typ]
			require.True(t, ok, "%s: no workflow %q in All() (the file name starts with the workflow type)", f, typ)
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflow(wf)
			require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(quietLogger, f))
		})
	}
}

// TestChangedWorkflowFailsGoldenReplay proves the replay test can fail: a workflow registered under the
// same type that first starts a timer, where the recorded run did something else, must be refused as
// non-deterministic for every golden history.
func TestChangedWorkflowFailsGoldenReplay(t *testing.T) {
	changed := func(ctx workflow.Context, _ json.RawMessage) (string, error) {
		return "", workflow.Sleep(ctx, time.Hour)
	}
	for f, typ := range goldenFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflowWithOptions(changed, workflow.RegisterOptions{Name: typ})
			err := r.ReplayWorkflowHistoryFromJSONFile(quietLogger, f)
			require.Error(t, err)
			// TMPRL1100 is the SDK's code for a non-deterministic replay.
			require.Contains(t, strings.ToUpper(err.Error()), "TMPRL1100")
		})
	}
}
