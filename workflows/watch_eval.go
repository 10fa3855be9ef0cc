package workflows

import (
	"fmt"
	"strings"
	"time"

	"github.com/roadcall/dr/activities"
)

// The outage watch's pure decisions: what one evaluation of the primary region found, and what the watch
// does about it given its streak, its cooldown and whether it is paused.

// WatchSignal is one data-plane reading of an evaluation.
type WatchSignal struct {
	// Name is health-url, control-plane, routing-control or alarm:<name>.
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// Evaluation is one look at the primary region from the DR side.
type Evaluation struct {
	At time.Time `json:"at"`
	// Failing is the verdict that counts toward the streak.
	Failing bool          `json:"failing"`
	Signals []WatchSignal `json:"signals"`
	// TrafficOff: the primary's routing control is Off, so traffic already left it and there is nothing to
	// fail over.
	TrafficOff bool `json:"trafficOff,omitempty"`
	// Streak is the number of consecutive failing evaluations after this one.
	Streak int `json:"streak"`
	// Decision is what the watch did, in words.
	Decision string `json:"decision"`
}

// watchReadings are the raw results of one evaluation's reads; an Err is a read that did not answer.
type watchReadings struct {
	Probe      activities.Reachability
	ProbeErr   error
	Routing    *activities.RoutingControlStates
	RoutingErr error
	Alarms     []activities.AlarmState
	AlarmsErr  error
}

// judge turns readings into a verdict. The primary counts as failing when its health URL fails and a
// second, independent signal agrees (EC2/STS unreachable, or a named alarm in ALARM): a health URL failing
// alone is an application problem, PartialDegradation's business, and an unreachable control plane with
// the API still serving customers is no reason to move them. Without a health URL, the control plane or an
// alarm alone decides. A read that did not answer is shown but proves nothing either way.
func judge(primary string, rd watchReadings) Evaluation {
	var ev Evaluation
	pr := rd.Probe
	health, reach, alarm := false, false, false
	hasHealth := pr.HealthURL != ""
	if rd.ProbeErr != nil {
		ev.Signals = append(ev.Signals, WatchSignal{Name: "probe", Detail: "the probe of " + primary + " did not run: " + errMessage(rd.ProbeErr)})
		hasHealth = false
	} else {
		if hasHealth {
			health = !pr.Healthy
			d := fmt.Sprintf("%s answered HTTP %d", pr.HealthURL, pr.HealthStatus)
			if pr.HealthError != "" {
				d = pr.HealthError
			}
			ev.Signals = append(ev.Signals, WatchSignal{Name: "health-url", OK: pr.Healthy, Detail: d})
		}
		reach = !pr.Reachable
		d := "ec2:DescribeRegions and sts:GetCallerIdentity answered in " + primary
		if !pr.Reachable {
			d = strings.TrimSpace(strings.Join(nonEmpty(pr.EC2Error, pr.STSError), "; "))
		}
		ev.Signals = append(ev.Signals, WatchSignal{Name: "control-plane", OK: pr.Reachable, Detail: d})
	}
	switch {
	case rd.RoutingErr != nil:
		ev.Signals = append(ev.Signals, WatchSignal{Name: "routing-control", Detail: "unreadable: " + errMessage(rd.RoutingErr)})
	case rd.Routing != nil:
		on := rd.Routing.On(primary)
		ev.TrafficOff = !on
		d := fmt.Sprintf("%s is On (read through %s)", primary, rd.Routing.Endpoint.Region)
		if !on {
			d = fmt.Sprintf("%s is Off: traffic already left it (read through %s)", primary, rd.Routing.Endpoint.Region)
		}
		ev.Signals = append(ev.Signals, WatchSignal{Name: "routing-control", OK: on, Detail: d})
	}
	if rd.AlarmsErr != nil {
		ev.Signals = append(ev.Signals, WatchSignal{Name: "alarms", Detail: "unreadable: " + errMessage(rd.AlarmsErr)})
	}
	for _, al := range rd.Alarms {
		in := al.State == "ALARM"
		alarm = alarm || in
		d := al.State
		if al.Reason != "" {
			d += ": " + al.Reason
		}
		ev.Signals = append(ev.Signals, WatchSignal{Name: "alarm:" + al.Name, OK: !in, Detail: d})
	}
	if hasHealth {
		ev.Failing = health && (reach || alarm)
	} else {
		ev.Failing = reach || alarm
	}
	return ev
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// watchAct is what an evaluation leads the watch to do.
type watchAct int

const (
	// actNone: nothing to do beyond recording the evaluation.
	actNone watchAct = iota
	// actCheck: the streak reached the threshold; see whether a failover or failback runs, then start.
	actCheck
	// actPage: the streak reached the threshold within the cooldown; nothing starts, but people must know.
	actPage
)

// watchSettings are the request's resolved settings.
type watchSettings struct {
	Every, Cooldown, ProbeTimeout time.Duration
	Threshold                     int
	History                       int
}

// advance applies one evaluation to the state and says whether the watch should try to start a failover;
// the decision text explains the evaluations that start nothing.
func advance(st *WatchState, ev *Evaluation, cfg watchSettings) watchAct {
	broken := func(why string) {
		if st.Streak > 0 {
			why += fmt.Sprintf("; streak of %d broken", st.Streak)
		}
		st.Streak, st.FirstFailingAt, st.Paged = 0, time.Time{}, false
		ev.Decision = why
	}
	switch {
	case st.Paused:
		broken("paused: nothing is counted or started until resume")
	case ev.TrafficOff:
		broken("traffic is already off the primary (its routing control is Off): nothing to fail over")
	case !ev.Failing:
		broken("primary healthy")
	default:
		st.Streak++
		if st.Streak == 1 {
			st.FirstFailingAt = ev.At
		}
		ev.Decision = fmt.Sprintf("failing: %d of %d consecutive evaluations", st.Streak, cfg.Threshold)
		if st.Streak < cfg.Threshold {
			break
		}
		if end := st.CooldownEnd(cfg.Cooldown); ev.At.Before(end) {
			ev.Decision = fmt.Sprintf("failing %d times since %s, but within the cooldown: the watch started %s at %s; nothing starts before %s",
				st.Streak, stamp(st.FirstFailingAt), st.LastStart.WorkflowID, stamp(st.LastStart.At), stamp(end))
			ev.Streak = st.Streak
			return actPage
		}
		ev.Streak = st.Streak
		return actCheck
	}
	ev.Streak = st.Streak
	return actNone
}

// blockedBy says why no failover may start now, from the latest runs of the platform's failover and
// failback: one of them is running, or the failover's last run (whoever started it) began within the
// cooldown. Empty: nothing stands in the way.
func blockedBy(runs []activities.RunState, failoverID string, now time.Time, cooldown time.Duration) string {
	for _, r := range runs {
		if r.Running {
			return fmt.Sprintf("%s (%s) is running since %s: the watch never starts a failover while a failover or failback of the platform runs", r.WorkflowID, r.WorkflowType, stamp(r.StartTime))
		}
	}
	for _, r := range runs {
		if r.WorkflowID == failoverID && r.Exists && now.Before(r.StartTime.Add(cooldown)) {
			return fmt.Sprintf("%s last started at %s and ended %s at %s, within the cooldown (%s): nothing starts before %s",
				r.WorkflowID, stamp(r.StartTime), strings.ToLower(strings.TrimPrefix(r.Status, "WORKFLOW_EXECUTION_STATUS_")), stamp(r.CloseTime), cooldown, stamp(r.StartTime.Add(cooldown)))
		}
	}
	return ""
}

// boundEvaluation cuts the evaluation's words (an error's text can be any length) to what the next run's
// length check accepts, so the state carried through continue-as-new never refuses its own successor.
func boundEvaluation(ev Evaluation) Evaluation {
	ev.Decision = bounded(ev.Decision, maxNoteLen)
	ev.Signals = append([]WatchSignal(nil), ev.Signals...)
	for i := range ev.Signals {
		ev.Signals[i].Name = bounded(ev.Signals[i].Name, maxNoteLen)
		ev.Signals[i].Detail = bounded(ev.Signals[i].Detail, maxNoteLen)
	}
	return ev
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// keepRecent appends ev and keeps the last n evaluations, so the status and the state carried through
// continue-as-new stay small.
func keepRecent(recent []Evaluation, ev Evaluation, n int) []Evaluation {
	recent = append(recent, boundEvaluation(ev))
	if len(recent) > n {
		recent = append([]Evaluation(nil), recent[len(recent)-n:]...)
	}
	return recent
}

// watchDetails is the Temporal UI's current details of the watch: the streak first.
func watchDetails(s WatchStatus) string {
	var b strings.Builder
	state := "watching"
	if s.Paused {
		state = "PAUSED (signal resume)"
	}
	fmt.Fprintf(&b, "**OutageWatch** %s — %s\n\nStreak: %d of %d failing evaluations", s.Platform, state, s.Streak, s.Threshold)
	if s.Streak > 0 {
		fmt.Fprintf(&b, " (failing since %s)", stamp(s.FirstFailingAt))
	}
	fmt.Fprintf(&b, "\n\nEvery %s, cooldown %s, %d evaluations so far\n", s.Every, s.Cooldown, s.Evaluations)
	if ls := s.LastStart; ls != nil {
		fmt.Fprintf(&b, "\nLast failover started: %s at %s (detected %s); cooldown ends %s\n", ls.WorkflowID, stamp(ls.At), stamp(ls.DetectedAt), stamp(s.CooldownEnds))
	}
	if n := len(s.Recent); n > 0 {
		fmt.Fprintf(&b, "\nLast evaluation %s: %s\n", stamp(s.Recent[n-1].At), s.Recent[n-1].Decision)
	}
	if n := len(s.Ignored); n > 0 {
		// A refused pause must be seen where the operator looks, not only in the worker log.
		fmt.Fprintf(&b, "\n%d signal(s) refused; latest: %s\n", n+s.IgnoredDropped, s.Ignored[n-1])
	}
	return b.String()
}
