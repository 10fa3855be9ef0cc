package workflows

import (
	"encoding/json"
	"time"
)

// The JSON of results and of the status query writes each duration twice: as Go's nanoseconds under its
// old name, for programs that parse it, and as text ("14m23s") under the name with "Text" appended, for
// people. Steps have one set of time fields (startedAt, endedAt) and "tookText". Decoding accepts what older
// runs wrote (started, ended), so reports of past runs and drills replaying their children read the same.
// None of this is a command: histories replay unchanged.

// durText is a duration as people read it, rounded to what they care about.
func durText(d time.Duration) string {
	switch {
	case d == 0:
		return "0s"
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	default:
		return d.Round(time.Second).String()
	}
}

// MarshalJSON adds status (the outcome, the name the status interface promises) and the durations as text.
func (s StepRecord) MarshalJSON() ([]byte, error) {
	type plain StepRecord
	var took, budget string
	if !s.Ended.IsZero() {
		took = durText(s.Duration())
	}
	if s.Budget > 0 {
		budget = durText(s.Budget)
	}
	return json.Marshal(struct {
		plain
		Status     string `json:"status"`
		Took       string `json:"tookText,omitempty"`
		BudgetText string `json:"budgetText,omitempty"`
	}{plain(s), s.Outcome, took, budget})
}

// UnmarshalJSON reads steps of any version: startedAt/endedAt, or the started/ended of older runs.
func (s *StepRecord) UnmarshalJSON(b []byte) error {
	type plain StepRecord
	var v struct {
		plain
		OldStarted time.Time `json:"started"`
		OldEnded   time.Time `json:"ended"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*s = StepRecord(v.plain)
	if s.Started.IsZero() {
		s.Started = v.OldStarted
	}
	if s.Ended.IsZero() {
		s.Ended = v.OldEnded
	}
	return nil
}

// MarshalJSON adds the status's durations as text.
func (s Status) MarshalJSON() ([]byte, error) {
	type plain Status
	return json.Marshal(struct {
		plain
		ElapsedText      string `json:"elapsedText"`
		RTOObjectiveText string `json:"rtoObjectiveText"`
		RTOElapsedText   string `json:"rtoElapsedText"`
	}{plain(s), durText(s.Elapsed), durText(s.RTO), durText(time.Duration(s.RTOElapsedSeconds * float64(time.Second)))})
}

// MarshalJSON adds the row's durations as text.
func (d DrillRow) MarshalJSON() ([]byte, error) {
	type plain DrillRow
	var budget string
	if d.Budget > 0 {
		budget = durText(d.Budget)
	}
	return json.Marshal(struct {
		plain
		TookText   string `json:"tookText"`
		BudgetText string `json:"budgetText,omitempty"`
	}{plain(d), durText(d.Took), budget})
}

// UnmarshalJSON reads rows of any version: startedAt, or the started of older drills.
func (d *DrillRow) UnmarshalJSON(b []byte) error {
	type plain DrillRow
	var v struct {
		plain
		OldStarted time.Time `json:"started"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*d = DrillRow(v.plain)
	if d.Started.IsZero() {
		d.Started = v.OldStarted
	}
	return nil
}

// MarshalJSON adds the window and latency as text.
func (m MonitorResult) MarshalJSON() ([]byte, error) {
	type plain MonitorResult
	return json.Marshal(struct {
		plain
		WindowText     string `json:"windowText"`
		LatencyP95Text string `json:"latencyP95Text"`
	}{plain(m), durText(m.Window), durText(m.LatencyP95)})
}

// MarshalJSON adds the lag and RPO estimate as text.
func (a Assessment) MarshalJSON() ([]byte, error) {
	type plain Assessment
	return json.Marshal(struct {
		plain
		AuroraLagText   string `json:"auroraLagText"`
		RPOEstimateText string `json:"rpoEstimateText"`
	}{plain(a), durText(a.AuroraLag), durText(a.RPOEstimate)})
}
