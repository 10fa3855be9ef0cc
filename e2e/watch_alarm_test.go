package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roadcall/dr/internal/starter"
	"github.com/roadcall/dr/internal/testenv"
	"github.com/roadcall/dr/internal/topology"
	"github.com/roadcall/dr/workflows"
)

// TestOutageWatchAlarm: a watch alarm in the DR region is the second signal the watch's rule (judge in
// workflows/watch_eval.go) needs besides a failing health URL. With the primary's health URL failing but
// its control plane answering and the alarm OK, the watch starts nothing (an application problem); once
// the alarm goes ALARM (set through awssim's control API, read by the worker with cloudwatch:DescribeAlarms
// in the DR region), two failing evaluations start failover-roadcall-prod at its gate.
func TestOutageWatchAlarm(t *testing.T) {
	const alarm = "roadcall-primary-canary"
	topo, err := topology.Load(filepath.Join(testenv.ModuleRoot(t), "examples/roadcall-local.json"))
	if err != nil {
		t.Fatal(err)
	}
	topo.WatchAlarms = []string{alarm}
	// awssim seeds the alarm (state OK) from the topology it starts with.
	env := testenv.New(t, testenv.Options{TimeScale: 0.002, Topology: tempFile(t, "alarm-topology.json", mustJSON(t, topo))})
	primary := env.Topology.PrimaryRegion

	// The primary's health URL, failing on demand while its region (EC2, STS) stays up.
	var failing atomic.Bool
	health := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if failing.Load() {
			http.Error(w, "canary: upstream unavailable", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(health.Close)
	watchTopo := tempFile(t, "watch-topology.json", editTopology(t, env.Topology, func(m map[string]any) {
		m["api"].(map[string]any)["healthUrls"].(map[string]any)[primary] = health.URL + "/health"
	}))
	if r := runStarter(ctxT(t, time.Minute), env, "watch", "--topology", watchTopo, "--every", "2s", "--threshold", "2", "--cooldown", "1h"); r.code != starter.ExitOK {
		t.Fatalf("starter watch: exit %d\n%s", r.code, r.output())
	}
	id := workflows.WorkflowID(workflows.ScenarioWatch, env.Topology)
	failoverID := workflows.WorkflowID(workflows.ScenarioFailover, env.Topology)

	signal := func(ev workflows.Evaluation, name string) (workflows.WatchSignal, bool) {
		for _, s := range ev.Signals {
			if s.Name == name {
				return s, true
			}
		}
		return workflows.WatchSignal{}, false
	}
	last := func(st workflows.WatchStatus) workflows.Evaluation {
		if len(st.Recent) == 0 {
			return workflows.Evaluation{}
		}
		return st.Recent[len(st.Recent)-1]
	}

	// Health failing, alarm OK: the rule wants a second signal, so nothing counts toward the streak.
	failing.Store(true)
	st := waitWatch(t, env, id, 15*time.Second, "an evaluation that sees the health URL fail", func(s workflows.WatchStatus) bool {
		h, ok := signal(last(s), "health-url")
		return ok && !h.OK
	})
	seen := st.Evaluations
	st = waitWatch(t, env, id, 20*time.Second, "four more evaluations", func(s workflows.WatchStatus) bool { return s.Evaluations >= seen+4 })
	ev := last(st)
	if a, ok := signal(ev, "alarm:"+alarm); !ok || !a.OK || !strings.HasPrefix(a.Detail, "OK") {
		t.Fatalf("the watch did not read the alarm as OK: %+v", ev.Signals)
	}
	if ev.Failing || st.Streak != 0 || st.LastStart != nil || st.LastDecision != "primary healthy" {
		t.Fatalf("health failing alone counted: failing %v, streak %d, start %+v, decision %q; signals %+v", ev.Failing, st.Streak, st.LastStart, st.LastDecision, ev.Signals)
	}
	if _, err := env.Temporal.Client.DescribeWorkflowExecution(ctxT(t, 5*time.Second), failoverID, ""); err == nil {
		t.Fatalf("%s started on the health URL alone", failoverID)
	}
	t.Logf("health failing, alarm OK: %d evaluations, streak %d, %q", st.Evaluations, st.Streak, st.LastDecision)

	// The alarm goes ALARM: health and alarm agree, and two evaluations later the failover waits at its gate.
	setAlarm := func(state string) {
		b, _ := json.Marshal(map[string]string{"region": env.Topology.DRRegion, "name": alarm, "state": state, "reason": "canary in " + env.Topology.DRRegion + " cannot reach " + primary})
		resp, err := http.Post(env.Sim.URL+"/_sim/alarms", "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("POST /_sim/alarms %s: HTTP %d", state, resp.StatusCode)
		}
	}
	alarmAt := time.Now()
	setAlarm("ALARM")
	fs := waitStatus(t, env, failoverID, 15*time.Second, "failover at its gate", func(s workflows.Status) bool { return s.Phase == workflows.PhaseAwaitingApproval })
	st, err = watchStatus(t, env, id)
	if err != nil {
		t.Fatal(err)
	}
	if st.LastStart == nil || st.LastStart.WorkflowID != failoverID || !st.LastStart.DetectedAt.Equal(fs.DetectedAt) {
		t.Fatalf("watch status after the start: %+v", st.LastStart)
	}
	if lag := fs.DetectedAt.Sub(alarmAt); lag < -100*time.Millisecond || lag > 2*time.Second+500*time.Millisecond {
		t.Errorf("detectedAt %s is %s after the alarm went ALARM, want within one period (2s)", fs.DetectedAt, lag)
	}
	var sawAlarm bool
	for _, e := range st.Recent {
		if a, ok := signal(e, "alarm:"+alarm); ok && !a.OK && e.Failing {
			sawAlarm = true
		}
	}
	if !sawAlarm {
		t.Fatalf("no failing evaluation read the alarm in ALARM: %+v", st.Recent)
	}
	if len(fs.Approvals) != 0 {
		t.Fatalf("the watch approved something: %+v", fs.Approvals)
	}
	t.Logf("alarm ALARM: %s at gate %s, detectedAt %s", failoverID, fs.PendingGate.Name, fs.DetectedAt.Format(time.RFC3339Nano))

	env.SignalCLI(failoverID, workflows.SignalApprove, workflows.Approval{Gate: workflows.GateFailover, Decision: "reject", Approver: "alice", Comment: "watch alarm e2e"})
	getReport(t, env, failoverID, time.Minute)
}
