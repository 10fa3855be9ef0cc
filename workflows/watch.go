package workflows

import (
	"encoding/json"
	"fmt"
	"time"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"github.com/roadcall/dr/internal/topology"
)

// The watch's defaults: the starter's flags and a request that leaves the field out.
const (
	DefaultWatchEvery     = 30 * time.Second
	DefaultWatchThreshold = 3
	DefaultWatchCooldown  = time.Hour
	// watchHistory is how many evaluations the status keeps.
	watchHistory = 20
)

// watchRunEvaluations bounds one run's evaluations before continue-as-new: about 15 events each, so a run
// stays a few thousand events long whatever the period. A variable only so a test can make it small.
var watchRunEvaluations = 200

// WatchRequest starts OutageWatch. Every, Threshold and Cooldown left out take the defaults; given, they
// are checked, so that an explicit 0 is refused rather than silently replaced.
type WatchRequest struct {
	Common
	// Every is the period of evaluations (default 30s, at least 1s).
	Every *topology.Duration `json:"every,omitempty"`
	// Threshold is how many consecutive failing evaluations start the failover (default 3, at least 1).
	Threshold *int `json:"threshold,omitempty"`
	// Cooldown is the least time between two failovers the watch starts (default 1h, not shorter than Every).
	Cooldown *topology.Duration `json:"cooldown,omitempty"`
	// ProbeTimeout bounds each reachability probe (default half the period, at most 5s): an evaluation must
	// end well within its period, or a dead region would stretch the period to the timeout.
	ProbeTimeout topology.Duration `json:"probeTimeout,omitempty"`
	// FailoverMonitorWindow is the monitorWindow of the failover the watch starts (default: the topology's).
	FailoverMonitorWindow topology.Duration `json:"failoverMonitorWindow,omitempty"`
	// State is what the previous run carried through continue-as-new; a new watch starts without it.
	State *WatchState `json:"state,omitempty"`
}

func (r *WatchRequest) UnmarshalJSON(b []byte) error {
	type plain WatchRequest
	return decodeStrict(b, (*plain)(r), &r.decodeProblem)
}

// Validate is everything the workflow checks before its first evaluation; the starter runs it first.
//
// The watch has never skipped the input limits (it does not call adoptLimits: it had no runs before them),
// so the length check applies to every run; it changes no command, and a carried state passes it because
// the watch bounds what it records (boundEvaluation, keepIgnored).
func (r *WatchRequest) Validate() error {
	if es := r.longStrings(r); len(es) > 0 {
		return es
	}
	if es := r.State.sizeProblems(); len(es) > 0 {
		return es
	}
	if err := r.Prepare(); err != nil {
		return err
	}
	cfg := r.settings()
	es := r.durationProblems(durationField{name: "probeTimeout", v: r.ProbeTimeout, min: MinProbeTimeout, max: MaxProbeTimeout},
		durationField{name: "failoverMonitorWindow", v: r.FailoverMonitorWindow, max: topology.MaxMonitorWindow})
	if cfg.Every < time.Second {
		es = append(es, topology.FieldError{Field: "every", Problem: fmt.Sprintf("%s is under 1s", cfg.Every), Fix: "evaluate at most once a second, e.g. 30s"})
	}
	if cfg.Threshold < 1 {
		es = append(es, topology.FieldError{Field: "threshold", Problem: fmt.Sprintf("%d is under 1", cfg.Threshold), Fix: "give how many consecutive failing evaluations start the failover, e.g. 3"})
	}
	if cfg.Cooldown < cfg.Every {
		es = append(es, topology.FieldError{Field: "cooldown", Problem: fmt.Sprintf("%s is shorter than every (%s)", cfg.Cooldown, cfg.Every), Fix: "give at least one period, e.g. 1h"})
	}
	if cfg.ProbeTimeout >= cfg.Every && cfg.Every >= time.Second {
		es = append(es, topology.FieldError{Field: "probeTimeout", Problem: fmt.Sprintf("%s is not shorter than every (%s)", cfg.ProbeTimeout, cfg.Every), Fix: "leave it out, or give less than the period"})
	}
	if len(es) > 0 {
		return es
	}
	return nil
}

func (r *WatchRequest) settings() watchSettings {
	cfg := watchSettings{Every: DefaultWatchEvery, Threshold: DefaultWatchThreshold, Cooldown: DefaultWatchCooldown, History: watchHistory}
	if r.Every != nil {
		cfg.Every = r.Every.D()
	}
	if r.Threshold != nil {
		cfg.Threshold = *r.Threshold
	}
	if r.Cooldown != nil {
		cfg.Cooldown = r.Cooldown.D()
	}
	cfg.ProbeTimeout = min(cfg.Every/2, 5*time.Second)
	if r.ProbeTimeout > 0 {
		cfg.ProbeTimeout = r.ProbeTimeout.D()
	}
	return cfg
}

// WatchStart is a failover the watch started.
type WatchStart struct {
	WorkflowID string    `json:"workflowId"`
	RunID      string    `json:"runId"`
	At         time.Time `json:"at"`
	// DetectedAt is the first failing evaluation of the streak, the failover's detectedAt.
	DetectedAt time.Time `json:"detectedAt"`
}

// WatchState is what the watch carries from one run to the next through continue-as-new.
type WatchState struct {
	Streak         int       `json:"streak"`
	FirstFailingAt time.Time `json:"firstFailingAt,omitzero"`
	// Paged: this streak has paged once, so a long outage is not paged every period.
	Paged       bool         `json:"paged,omitempty"`
	Paused      bool         `json:"paused,omitempty"`
	PauseReason string       `json:"pauseReason,omitempty"`
	LastStart   *WatchStart  `json:"lastStart,omitempty"`
	Recent      []Evaluation `json:"recent,omitempty"`
	Evaluations int          `json:"evaluations"`
	// Generation counts the runs of this watch (continue-as-new), from 1.
	Generation    int       `json:"generation"`
	WatchingSince time.Time `json:"watchingSince,omitzero"`
	// Ignored are the latest refused pause and resume signals (at most MaxIgnored), with why; older
	// ones are counted in IgnoredDropped. Carried, so a refusal does not vanish at continue-as-new.
	Ignored        []string `json:"ignored,omitempty"`
	IgnoredDropped int      `json:"ignoredDropped,omitempty"`
}

// sizeProblems refuses a state carrying more than the watch keeps: the state is carried through
// continue-as-new, but a client may supply one in its start request.
func (s *WatchState) sizeProblems() topology.Errors {
	if s == nil {
		return nil
	}
	var es topology.Errors
	if n := len(s.Recent); n > watchHistory {
		es = append(es, topology.FieldError{Field: "state.recent", Problem: fmt.Sprintf("has %d evaluations, over the %d the watch keeps", n, watchHistory),
			Fix: "leave state out (a new watch starts without it), or give at most the latest " + fmt.Sprint(watchHistory)})
	}
	if n := len(s.Ignored); n > MaxIgnored {
		es = append(es, topology.FieldError{Field: "state.ignored", Problem: fmt.Sprintf("has %d entries, over the %d the watch keeps", n, MaxIgnored),
			Fix: "leave state out, or give at most the latest " + fmt.Sprint(MaxIgnored)})
	}
	return es
}

// CooldownEnd is when the watch may start a failover again (zero: it never started one).
func (s *WatchState) CooldownEnd(cooldown time.Duration) time.Time {
	if s.LastStart == nil {
		return time.Time{}
	}
	return s.LastStart.At.Add(cooldown)
}

// WatchControl is the payload of pause and resume; both fields are optional.
type WatchControl struct {
	By     string `json:"by,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// WatchStatus is the watch's status query.
type WatchStatus struct {
	Workflow       string        `json:"workflow"`
	Platform       string        `json:"platform"`
	Primary        string        `json:"primaryRegion"`
	Every          time.Duration `json:"every"`
	Threshold      int           `json:"threshold"`
	Cooldown       time.Duration `json:"cooldown"`
	Paused         bool          `json:"paused"`
	PauseReason    string        `json:"pauseReason,omitempty"`
	Streak         int           `json:"streak"`
	FirstFailingAt time.Time     `json:"firstFailingAt,omitzero"`
	LastStart      *WatchStart   `json:"lastStart,omitempty"`
	CooldownEnds   time.Time     `json:"cooldownEnds,omitzero"`
	// LastDecision is what the latest evaluation led to, in words: why nothing started, or what did.
	LastDecision   string       `json:"lastDecision,omitempty"`
	Recent         []Evaluation `json:"recent"`
	Evaluations    int          `json:"evaluations"`
	Generation     int          `json:"generation"`
	WatchingSince  time.Time    `json:"watchingSince,omitzero"`
	NextEvaluation time.Time    `json:"nextEvaluation,omitzero"`
	// Ignored are the latest refused pause and resume signals, with why; IgnoredDropped counts older ones.
	Ignored        []string `json:"ignored,omitempty"`
	IgnoredDropped int      `json:"ignoredDropped,omitempty"`
}

// watch carries one run of the watch.
type watch struct {
	ctx  workflow.Context
	req  WatchRequest
	t    topology.Topology
	cfg  watchSettings
	st   *WatchState
	next time.Time
	// names: version uiNames, the wait's timer named for the UI.
	names bool
}

// OutageWatch evaluates the primary region from the DR side every period and, after Threshold consecutive
// failing evaluations, pages and starts RegionFailover with detectedAt at the first of them. The failover
// waits at its gate: the watch approves nothing. It changes nothing in AWS, so cancelling it is safe.
func OutageWatch(ctx workflow.Context, req WatchRequest) error {
	if err := req.Validate(); err != nil {
		return invalid(err)
	}
	w := &watch{ctx: ctx, req: req, t: req.Topology, cfg: req.settings(), st: req.State}
	if w.st == nil {
		w.st = &WatchState{WatchingSince: workflow.Now(ctx)}
	}
	w.st.Generation++
	w.names = version(ctx, uiNames) >= 1
	if err := workflow.SetQueryHandlerWithOptions(ctx, QueryStatus, func() (WatchStatus, error) { return w.status(), nil },
		workflow.QueryHandlerOptions{Description: "recent evaluations, streak, last failover started and cooldown end"}); err != nil {
		return fmt.Errorf("OutageWatch: registering the status query: %w", err)
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, SAScenario.ValueSet(ScenarioWatch), SAStage.ValueSet(w.t.Stage)); err != nil {
		workflow.GetLogger(ctx).Warn("search attributes not set", "error", err)
	}
	w.publish()
	pause := workflow.GetSignalChannel(ctx, SignalPause)
	resume := workflow.GetSignalChannel(ctx, SignalResume)
	for i := 0; ; i++ {
		w.evaluate()
		if i+1 >= watchRunEvaluations || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			// Signals that arrived since the last wait would be lost with this run: apply them first.
			for w.control(pause, resume) {
			}
			next := w.req
			next.State = w.st
			return workflow.NewContinueAsNewError(ctx, OutageWatch, next)
		}
		w.next = workflow.Now(ctx).Add(w.cfg.Every)
		w.publish()
		if err := w.wait(pause, resume); err != nil {
			return err
		}
	}
}

// wait sleeps until the next evaluation, applying pause and resume as they come.
func (w *watch) wait(pause, resume workflow.ReceiveChannel) error {
	tctx, cancel := workflow.WithCancel(w.ctx)
	defer cancel()
	var opts workflow.TimerOptions // NewTimer's: no summary
	if w.names {
		opts.Summary = "next evaluation at " + w.next.UTC().Format("15:04:05 UTC")
	}
	timer := workflow.NewTimerWithOptions(tctx, w.next.Sub(workflow.Now(w.ctx)), opts)
	for {
		fired := false
		var terr error
		sel := workflow.NewSelector(w.ctx)
		sel.AddFuture(timer, func(f workflow.Future) { fired, terr = true, f.Get(w.ctx, nil) })
		sel.AddReceive(pause, func(workflow.ReceiveChannel, bool) { w.control(pause, resume) })
		sel.AddReceive(resume, func(workflow.ReceiveChannel, bool) { w.control(pause, resume) })
		sel.Select(w.ctx)
		if fired {
			return terr
		}
	}
}

// control applies one pending pause or resume, if any, and reports whether it found one. Signals are
// taken raw and decoded here: the SDK, decoding for us, would drop a payload of the wrong type with only a
// worker log line, and an operator's pause would vanish. A refused one is recorded in the status instead.
//
// Order: the SDK buffers each signal channel separately before workflow code runs, so when a pause and a
// resume arrive in the same workflow task their relative order is not visible here. Pauses are applied
// first, so "pause, then resume" in one task ends resumed, as the operator meant.
func (w *watch) control(pause, resume workflow.ReceiveChannel) bool {
	var raw converter.RawValue
	switch {
	case pause.ReceiveAsync(&raw):
		c, err := decodeControl(raw)
		if err != nil {
			w.ignore(fmt.Sprintf("pause signal ignored: %v", err))
			return true
		}
		w.st.Paused, w.st.PauseReason = true, pauseText(c)
		workflow.GetLogger(w.ctx).Info("outage watch paused", "by", bounded(c.By, 100), "reason", bounded(c.Reason, 300))
	case resume.ReceiveAsync(&raw):
		c, err := decodeControl(raw)
		if err != nil {
			w.ignore(fmt.Sprintf("resume signal ignored: %v", err))
			return true
		}
		if w.st.Paused {
			workflow.GetLogger(w.ctx).Info("outage watch resumed", "by", bounded(c.By, 100))
		}
		w.st.Paused, w.st.PauseReason = false, ""
	default:
		return false
	}
	w.publish()
	return true
}

// decodeControl decodes a pause or resume payload and refuses fields over their length limits.
func decodeControl(raw converter.RawValue) (WatchControl, error) {
	var c WatchControl
	if err := decodeSignal(raw, &c); err != nil {
		return c, err
	}
	return c, tooLong(lengthField{"by", c.By, MaxPrincipalLen}, lengthField{"reason", c.Reason, MaxCommentLen})
}

// ignore records a refused pause or resume in the status and the UI's details, bounded like a run's.
func (w *watch) ignore(msg string) {
	w.st.Ignored, w.st.IgnoredDropped = keepIgnored(w.st.Ignored, w.st.IgnoredDropped, msg)
	workflow.GetLogger(w.ctx).Warn(bounded(msg, maxIgnoredLen))
	w.publish()
}

func pauseText(c WatchControl) string {
	s := "paused"
	if c.By != "" {
		s += " by " + bounded(c.By, 100)
	}
	if c.Reason != "" {
		s += ": " + bounded(c.Reason, 300)
	}
	return s
}

func (w *watch) status() WatchStatus {
	st := w.st
	s := WatchStatus{Workflow: WorkflowOutageWatch, Platform: w.t.ID(), Primary: w.t.PrimaryRegion, Every: w.cfg.Every, Threshold: w.cfg.Threshold,
		Cooldown: w.cfg.Cooldown, Paused: st.Paused, PauseReason: st.PauseReason, Streak: st.Streak, FirstFailingAt: st.FirstFailingAt,
		LastStart: st.LastStart, CooldownEnds: st.CooldownEnd(w.cfg.Cooldown), Recent: append([]Evaluation{}, st.Recent...),
		Evaluations: st.Evaluations, Generation: st.Generation, WatchingSince: st.WatchingSince, NextEvaluation: w.next,
		Ignored: append([]string(nil), st.Ignored...), IgnoredDropped: st.IgnoredDropped}
	if n := len(st.Recent); n > 0 {
		s.LastDecision = st.Recent[n-1].Decision
	}
	return s
}

// publish shows the streak in the Temporal UI.
func (w *watch) publish() { workflow.SetCurrentDetails(w.ctx, watchDetails(w.status())) }

var _ json.Unmarshaler = (*WatchRequest)(nil)
