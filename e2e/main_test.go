// Package e2e runs the DR workflows end to end: the temporal binary's dev server, an awssim and a worker,
// started from the temporal CLI and from the starter, with the final awssim state checked.
//
// This file holds TestMain and the helpers every scenario's tests share: running the starter, waiting for
// a run to reach a state, reading a run's history and awssim's journal and state, and the request and
// topology files the tests hand to the starter and the temporal CLI.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"

	"github.com/roadcall/dr/internal/awssim"
	"github.com/roadcall/dr/internal/starter"
	"github.com/roadcall/dr/internal/temporalclient"
	"github.com/roadcall/dr/internal/testenv"
	"github.com/roadcall/dr/internal/topology"
	"github.com/roadcall/dr/workflows"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// ctxT is a context that ends after d or with the test.
func ctxT(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// starterResult is what one starter command line did: its exit code, what it wrote to stdout and to
// stderr, and whether it tried to reach Temporal.
type starterResult struct {
	code           int
	stdout, stderr string
	dialed         bool
}

// output is stdout followed by stderr, for checks that do not care which stream a message went to.
func (r starterResult) output() string { return r.stdout + r.stderr }

// runStarter runs one starter command line in-process, as an operator runs the binary, and returns what it
// did. With an env, the command goes to env's dev server (--address before the command name, which the
// starter moves behind it). With a nil env the command must not need Temporal: the dial is refused and
// recorded instead, so that a starter that dials anyway can neither reach a Temporal that happens to listen
// on this machine's default port nor pass unnoticed.
//
// Watched runs (--follow, readiness, failback's pre-check) query their status every 100 ms instead of
// every second, so that the output ends soon after the run does.
func runStarter(ctx context.Context, env *testenv.Env, args ...string) starterResult {
	return runStarterWith(ctx, env, nil, args...)
}

// runStarterWith is runStarter with the starter's Env adjusted first, e.g. its AWS identity.
func runStarterWith(ctx context.Context, env *testenv.Env, adjust func(*starter.Env), args ...string) starterResult {
	var out, errOut bytes.Buffer
	r := starterResult{}
	e := starter.DefaultEnv()
	if adjust != nil {
		adjust(e)
	}
	e.Out, e.Err, e.PollInterval = &out, &errOut, 100*time.Millisecond
	dial := e.Dial
	e.Dial = func(ctx context.Context, cfg temporalclient.Config) (client.Client, error) {
		r.dialed = true
		if env == nil {
			return nil, errors.New("this command must not dial Temporal")
		}
		return dial(ctx, cfg)
	}
	if env != nil {
		args = append([]string{"--address", env.Temporal.Address}, args...)
		e.Policy = env.PolicyFile
	}
	r.code = starter.Main(ctx, args, e)
	r.stdout, r.stderr = out.String(), errOut.String()
	return r
}

// runResult waits, until ctx ends, for the result of id's latest run.
func runResult[R any](ctx context.Context, t *testing.T, env *testenv.Env, id string) R {
	t.Helper()
	var r R
	if err := env.Temporal.Client.GetWorkflow(ctx, id, "").Get(ctx, &r); err != nil {
		t.Fatalf("workflow %s: %v", id, err)
	}
	return r
}

// waitFor polls cond until it holds, failing the test after d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitStatus polls the status query until cond holds, failing the test with the last status after d.
func waitStatus(t *testing.T, env *testenv.Env, id string, d time.Duration, what string, cond func(workflows.Status) bool) workflows.Status {
	t.Helper()
	deadline := time.Now().Add(d)
	var st workflows.Status
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		v, err := env.Temporal.Client.QueryWorkflow(ctx, id, "", workflows.QueryStatus)
		cancel()
		if err == nil && v.Get(&st) == nil && cond(st) {
			return st
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: not reached within %s; last status %+v", what, d, st)
	return st
}

// waitGate waits, until ctx's deadline, for the gate to be pending.
func waitGate(ctx context.Context, t *testing.T, env *testenv.Env, id, gate string) workflows.Status {
	t.Helper()
	d := time.Minute
	if deadline, ok := ctx.Deadline(); ok {
		d = time.Until(deadline)
	}
	return waitStatus(t, env, id, d, "gate "+gate+" pending", func(s workflows.Status) bool {
		return s.PendingGate != nil && s.PendingGate.Name == gate
	})
}

// pendingActivity returns the attempt of a pending activity of the given type that a worker is running,
// 0 when there is none (or the run does not exist yet).
func pendingActivity(t *testing.T, c client.Client, id, activityType string) int32 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d, err := c.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		return 0
	}
	for _, p := range d.GetPendingActivities() {
		if p.GetActivityType().GetName() == activityType && p.GetState() == enumspb.PENDING_ACTIVITY_STATE_STARTED {
			return p.GetAttempt()
		}
	}
	return 0
}

// workflowHistory is every event of a run (the latest run of id when runID is empty).
func workflowHistory(ctx context.Context, t testing.TB, env *testenv.Env, id, runID string) []*historypb.HistoryEvent {
	t.Helper()
	var events []*historypb.HistoryEvent
	it := env.Temporal.Client.GetWorkflowHistory(ctx, id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, ev)
	}
	return events
}

// scheduledActivities lists the activity types a run's history schedules, in order.
func scheduledActivities(ctx context.Context, t testing.TB, env *testenv.Env, id, runID string) []string {
	t.Helper()
	var names []string
	for _, ev := range workflowHistory(ctx, t, env, id, runID) {
		if ev.GetEventType() == enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED {
			names = append(names, ev.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName())
		}
	}
	return names
}

// journalCounts counts, per operation, the journal entries that changed state and those that did not.
func journalCounts(j []awssim.JournalEntry) map[string][2]int {
	out := map[string][2]int{}
	for _, e := range j {
		c := out[e.Operation]
		if e.Changed {
			c[0]++
		} else {
			c[1]++
		}
		out[e.Operation] = c
	}
	return out
}

// journalCount counts, per resource, the journal entries of one operation that changed state (or did not).
func journalCount(j []awssim.JournalEntry, op string, changed bool) map[string]int {
	out := map[string]int{}
	for _, e := range j {
		if e.Operation == op && e.Changed == changed {
			out[e.Resource]++
		}
	}
	return out
}

// journaled says whether an operation has changed state in awssim yet.
func journaled(env *testenv.Env, op string) bool {
	for _, e := range env.Sim.Server.Journal() {
		if e.Operation == op && e.Changed {
			return true
		}
	}
	return false
}

// finishAWS is the test's hand on awssim's clock: it lets the operations in flight finish now (the world
// advances to them on the next read), as if their modeled minutes had passed.
func finishAWS(env *testenv.Env) {
	now := time.Now()
	for i := 0; i < 5; i++ { // a stack update walks several legs; each With advances one
		env.Sim.Server.With(func(w *awssim.World) {
			for _, g := range w.GlobalClusters {
				if g.Pending != nil {
					g.Pending.ReadyAt = now
				}
			}
			for _, ch := range w.Changes {
				ch.ReadyAt = now
			}
			for _, r := range w.Regions {
				for _, s := range r.Stacks {
					if s.NextStatus != "" {
						s.ReadyAt = now
					}
				}
			}
		})
	}
}

// readSimState decodes GET /_sim/state into v, a struct naming the part of awssim's own state a test
// checks (not the workflow's word for it).
func readSimState(t testing.TB, env *testenv.Env, v any) {
	t.Helper()
	raw, err := json.Marshal(env.Sim.State())
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatal(err)
	}
}

// simState is the part of GET /_sim/state the failover, failback and drill tests check.
type simState struct {
	ServingRegion string `json:"servingRegion"`
	Faults        []any  `json:"faults"`
	World         struct {
		GlobalClusters map[string]struct {
			Pending any `json:"pending"`
			Members []struct {
				Region        string `json:"region"`
				IsWriter      bool   `json:"isWriter"`
				PendingResync bool   `json:"pendingResync"`
			} `json:"members"`
		} `json:"globalClusters"`
		Regions map[string]struct {
			Stacks map[string]struct {
				Status     string            `json:"status"`
				Parameters map[string]string `json:"parameters"`
			} `json:"stacks"`
			Clusters map[string]struct {
				Status          string `json:"status"`
				Writer          bool   `json:"writer"`
				GlobalClusterID string `json:"globalClusterId"`
			} `json:"clusters"`
			Tables map[string]struct {
				Status   string   `json:"status"`
				Replicas []string `json:"replicas"`
			} `json:"tables"`
		} `json:"regions"`
	} `json:"world"`
}

// readState is awssim's own state now.
func readState(t testing.TB, env *testenv.Env) simState {
	t.Helper()
	var st simState
	readSimState(t, env, &st)
	return st
}

// requestExample is examples/requests/<name>.json, the request the README starts the workflow with.
func requestExample(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.ModuleRoot(t), "examples", "requests", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// failoverExtra is examples/requests/failover.json without its topology: the tests send the same request
// against their own awssim, whose health URLs testenv points at its port.
func failoverExtra(t *testing.T, more map[string]any) map[string]any {
	t.Helper()
	m := requestExample(t, "failover")
	delete(m, "topology")
	for k, v := range more {
		m[k] = v
	}
	return m
}

// mustJSON is v as JSON.
func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tempFile writes b to a file called name in a fresh temporary directory and returns its path.
func tempFile(t testing.TB, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// editTopology is topo as JSON, edited as a generic map: how the tests make the inputs that the starter
// and the workflows must refuse, which the typed topology could not even hold.
func editTopology(t testing.TB, topo topology.Topology, edit func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(mustJSON(t, topo), &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	return mustJSON(t, m)
}
