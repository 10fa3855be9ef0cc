package workflows

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/roadcall/dr/internal/topology"
)

// Results and status carry durations as text beside nanoseconds, and steps one set of time fields; older
// runs' steps (started/ended) still decode.
func TestResultJSONReadableDurationsAndOneSetOfTimes(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	st := Status{Workflow: WorkflowRegionFailover, StartedAt: t0, Elapsed: 14*time.Minute + 23*time.Second + 400*time.Millisecond, RTO: time.Hour, RTOElapsedSeconds: 863.3,
		Steps: []StepRecord{{Name: "dns", Outcome: OutcomeOK, Started: t0, Ended: t0.Add(90 * time.Second), Budget: 5 * time.Minute}}}
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	js := string(b)
	for _, want := range []string{`"elapsedText":"14m23s"`, `"rtoObjectiveText":"1h0m0s"`, `"rtoElapsedText":"14m23s"`, `"tookText":"1m30s"`, `"budgetText":"5m0s"`,
		`"startedAt":"2026-12-02T03:00:00Z"`, `"endedAt":"2026-12-02T03:01:30Z"`, `"elapsed":863400000000`} {
		if !strings.Contains(js, want) {
			t.Errorf("status JSON lacks %s:\n%s", want, js)
		}
	}
	for _, never := range []string{`"started"`, `"ended"`} {
		if strings.Contains(js, never) {
			t.Errorf("status JSON still has the duplicate %s:\n%s", never, js)
		}
	}
	var back Status
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if got := back.Steps[0]; !got.Started.Equal(t0) || got.Duration() != 90*time.Second || back.Elapsed != st.Elapsed {
		t.Errorf("round trip lost times: %+v", back)
	}
	var old StepRecord
	if err := json.Unmarshal([]byte(`{"name":"dns","started":"2026-12-02T03:00:00Z","ended":"2026-12-02T03:01:30Z","outcome":"ok"}`), &old); err != nil {
		t.Fatal(err)
	}
	if old.Duration() != 90*time.Second {
		t.Errorf("an older run's step (started/ended) decodes to %+v", old)
	}
	r := measure(topology.Objectives{RTO: topology.Duration(time.Hour), RPO: topology.Duration(time.Minute)}, 14*time.Minute+23*time.Second, 2*time.Second, true, nil)
	b, _ = json.Marshal(r)
	for _, want := range []string{`"rtoText":"14m23s"`, `"rtoSeconds":863`, `"rpoText":"2s"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("recovery JSON lacks %s:\n%s", want, b)
		}
	}
}
