package workflows

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/topology"
)

// The outage watch's evaluation and what follows from it: read, judge, and at the threshold page and start
// the failover unless something stands in the way.

// watchProbeCtx runs a read of the evaluation once: the next evaluation is the retry, and a read retried
// for a minute would stretch the period it is meant to keep.
func watchProbeCtx(ctx workflow.Context, summary string, timeout time.Duration) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: timeout, Summary: summary, RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 1}})
}

func (w *watch) evaluate() {
	ctx, t := w.ctx, w.t
	at, rd := w.read()
	ev := judge(t.PrimaryRegion, rd)
	ev.At = at
	w.st.Evaluations++
	switch advance(w.st, &ev, w.cfg) {
	case actCheck:
		ev.Decision = w.startFailover(ev)
		ev.Streak = w.st.Streak
	case actPage:
		ev.Decision = w.pageOnce(ev, "nothing started: "+ev.Decision)
	}
	w.st.Recent = keepRecent(w.st.Recent, ev, w.cfg.History)
	workflow.GetLogger(ctx).Info("outage watch evaluation", "failing", ev.Failing, "streak", ev.Streak, "decision", ev.Decision)
	w.publish()
}

// read takes the evaluation's readings at once; the evaluation's time is when they were asked for.
func (w *watch) read() (time.Time, watchReadings) {
	ctx, t, to := w.ctx, w.t, w.cfg.ProbeTimeout
	at := workflow.Now(ctx)
	// The activity's own timeout leaves room for the probes' and the worker's overhead.
	limit := to + 5*time.Second
	var rd watchReadings
	var futs []func()
	pf := workflow.ExecuteActivity(watchProbeCtx(ctx, "Probe "+t.PrimaryRegion+" from the DR side", limit), a.ProbeRegion,
		activities.ProbeInput{Region: t.PrimaryRegion, HealthURL: t.API.HealthURLs[t.PrimaryRegion], Timeout: to})
	futs = append(futs, func() { rd.ProbeErr = pf.Get(ctx, &rd.Probe) })
	if t.DNS.Mode == topology.DNSRoutingControl && t.DNS.RoutingControls != nil {
		rf := workflow.ExecuteActivity(watchProbeCtx(ctx, "ARC routing control states", limit+30*time.Second), a.GetRoutingControlStates, routingControlsInput(t))
		futs = append(futs, func() {
			var got activities.RoutingControlStates
			if rd.RoutingErr = rf.Get(ctx, &got); rd.RoutingErr == nil {
				rd.Routing = &got
			}
		})
	}
	if len(t.WatchAlarms) > 0 {
		af := workflow.ExecuteActivity(watchProbeCtx(ctx, "CloudWatch alarms in "+t.DRRegion, limit), a.DescribeAlarms,
			activities.AlarmsInput{Region: t.DRRegion, Names: t.WatchAlarms})
		futs = append(futs, func() {
			var got activities.AlarmsResult
			if rd.AlarmsErr = af.Get(ctx, &got); rd.AlarmsErr == nil {
				rd.Alarms = got.Alarms
			}
		})
	}
	for _, get := range futs {
		get()
	}
	return at, rd
}

// startFailover runs at the threshold: it checks that no failover or failback of the platform runs (nor a
// failover began within the cooldown), pages once per streak, and starts RegionFailover at its gate. It
// returns the evaluation's decision.
func (w *watch) startFailover(ev Evaluation) string {
	ctx, t, st := w.ctx, w.t, w.st
	failoverID, failbackID := WorkflowID(ScenarioFailover, t), WorkflowID(ScenarioFailback, t)
	var runs activities.RunsResult
	if err := workflow.ExecuteActivity(describeCtx(ctx, "Is a failover or failback of "+t.ID()+" running?"), a.DescribeRuns,
		activities.RunsInput{WorkflowIDs: []string{failoverID, failbackID}}).Get(ctx, &runs); err != nil {
		return w.pageOnce(ev, "could not tell whether a failover or failback runs ("+errMessage(err)+"): nothing started; the next evaluation tries again")
	}
	if why := blockedBy(runs.Runs, failoverID, ev.At, w.cfg.Cooldown); why != "" {
		return w.pageOnce(ev, "nothing started: "+why)
	}
	detected := st.FirstFailingAt
	req := FailoverRequest{Common: Common{Topology: t, Initiator: WatchInitiator, DetectedAt: &detected, Drill: w.req.Drill}, MonitorWindow: w.req.FailoverMonitorWindow}
	if err := req.Validate(); err != nil {
		return w.pageOnce(ev, "nothing started: the failover request is invalid: "+err.Error())
	}
	raw, err := json.Marshal(req)
	if err != nil {
		return w.pageOnce(ev, "nothing started: encoding the failover request: "+err.Error())
	}
	info := workflow.GetInfo(ctx)
	in := activities.StartRunInput{WorkflowID: failoverID, WorkflowType: WorkflowRegionFailover, TaskQueue: TaskQueue, Request: raw,
		Summary: fmt.Sprintf("region failover of %s from %s to %s, started by the outage watch", t.ID(), t.PrimaryRegion, t.DRRegion),
		Token:   fmt.Sprintf("%s/%s/%d", info.WorkflowExecution.ID, info.WorkflowExecution.RunID, st.Evaluations)}
	var res activities.StartRunResult
	if err := workflow.ExecuteActivity(mutateCtx(ctx, "Start "+failoverID+" (it waits at its gate)"), a.StartRun, in).Get(ctx, &res); err != nil {
		return w.pageOnce(ev, "starting "+failoverID+" failed ("+errMessage(err)+"): nothing started; the next evaluation tries again")
	}
	if !res.Started {
		h := res.Holder
		return w.pageOnce(ev, fmt.Sprintf("nothing started: %s is held by run %s (%s, started %s)", failoverID, h.RunID, h.Status, stamp(h.StartTime)))
	}
	st.LastStart = &WatchStart{WorkflowID: failoverID, RunID: res.RunID, At: workflow.Now(ctx), DetectedAt: detected}
	decision := fmt.Sprintf("started %s (run %s), detectedAt %s: it waits at gate %q for people; the watch approves nothing",
		failoverID, res.RunID, stamp(detected), GateFailover)
	st.Paged = false
	w.pageOnce(ev, decision)
	// The next failing evaluations are a new streak, which the cooldown holds back; the page just sent
	// covers them until the primary recovers, so only a new outage pages again.
	st.Streak, st.FirstFailingAt = 0, time.Time{}
	return decision
}

// pageOnce pages the alarm topic in the DR region the first time a streak reaches the threshold, whatever
// the watch then did, and returns the decision. A failed page is logged, never fatal.
func (w *watch) pageOnce(ev Evaluation, decision string) string {
	if w.st.Paged {
		return decision
	}
	w.st.Paged = true
	t := w.t
	var failing []string
	for _, s := range ev.Signals {
		if !s.OK {
			failing = append(failing, fmt.Sprintf("- %s: %s", s.Name, s.Detail))
		}
	}
	msg := fmt.Sprintf("The outage watch of %s found %s failing %d consecutive evaluations since %s (every %s).\n\n%s\n\nSignals:\n%s\n\nWatch: %s",
		t.ID(), t.PrimaryRegion, w.st.Streak, stamp(w.st.FirstFailingAt), w.cfg.Every, decision, strings.Join(failing, "\n"), workflow.GetInfo(w.ctx).WorkflowExecution.ID)
	in := activities.PublishInput{Region: t.DRRegion, TopicARN: t.TopicARN(t.DRRegion), Subject: fmt.Sprintf("Outage watch: %s failing for %s", t.PrimaryRegion, t.ID()), Message: msg}
	if err := workflow.ExecuteActivity(describeCtx(w.ctx, "SNS: page the outage"), a.Publish, in).Get(w.ctx, nil); err != nil {
		workflow.GetLogger(w.ctx).Warn("outage watch page failed", "error", errMessage(err))
		return decision + " (the page failed: " + errMessage(err) + ")"
	}
	return decision
}
