package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/topology"
)

// identifyWindow is the runbook's "last 15 minutes"; metrics are read as one-minute datapoints.
const identifyWindow = 15 * time.Minute

// degradation carries one run's state between its steps.
type degradation struct {
	r       *run
	t       topology.Topology
	region  string
	fns     []string
	tables  []string
	th      topology.Thresholds
	dg      topology.Degradation
	rep     *DegradationReport
	applied bool // an apply was started: from then on, cancelling or aborting reverts
	// revertAborted: an operator aborted a failing revert; compensation must not start it again.
	revertAborted bool
	// autoScaled: the run is past degAutoScaling, so table actions include auto scaling.
	autoScaled bool
}

// degAutoScaled reads the degAutoScaling change: runs recorded before it keep the bare PROVISIONED plan.
func degAutoScaled(ctx workflow.Context) bool { return version(ctx, degAutoScaling) >= 1 }

// ---- identify ----

func (d *degradation) identify(ctx workflow.Context) error {
	all, err := d.assess(ctx, degResources(d.fns, d.tables, d.t.API.Name), identifyWindow, true)
	if err != nil {
		return err
	}
	d.rep.Affected, d.rep.Symptoms = degClassify(all)
	d.r.detail("identify", "%d affected, %d symptoms in %s: %s", len(d.rep.Affected), len(d.rep.Symptoms), d.region, degAffectedList(d.rep))
	return nil
}

// assess reads every resource's probes at once and groups the evidence by resource, in resource order.
func (d *degradation) assess(ctx workflow.Context, rs []degResource, window time.Duration, peak bool) ([]AffectedResource, error) {
	ps, owner := degProbesOf(rs, d.region, d.th, window)
	fs := make([]workflow.Future, len(ps))
	for i, p := range ps {
		c := describeCtx(ctx, fmt.Sprintf("CloudWatch %s %s %s", p.label, p.q.Stat, p.name))
		if p.throttledTable {
			fs[i] = workflow.ExecuteActivity(c, a.GetTableThrottledRequests, activities.ThrottleQuery{Region: p.q.Region, Table: p.name, Window: p.q.Window})
		} else {
			fs[i] = workflow.ExecuteActivity(c, a.GetMetric, p.q)
		}
	}
	ev := make([]Evidence, len(ps))
	var errs []error
	for i, f := range fs {
		var m activities.MetricResult
		if err := f.Get(ctx, &m); err != nil {
			errs = append(errs, err)
			continue
		}
		ev[i] = degEvidence(ps[i], m, peak)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return degGroup(rs, owner, ev, d.region), nil
}

// ---- circuit breakers ----

func (d *degradation) circuitBreakers(ctx workflow.Context) error {
	url := d.t.API.FallbackHealthURLs[d.region]
	fb := &FallbackCheck{URL: url}
	d.rep.Fallback = fb
	if url == "" {
		fb.State = "no fallback health URL configured for " + d.region + " (api.fallbackHealthUrls)"
		d.r.detail("circuit-breakers", "%s", fb.State)
		return nil
	}
	var res activities.Reachability
	c := describeCtx(ctx, "GET fallback health URL in "+d.region)
	if err := workflow.ExecuteActivity(c, a.ProbeRegion, activities.ProbeInput{Region: d.region, HealthURL: url, Timeout: 5 * time.Second}).Get(c, &res); err != nil {
		return err
	}
	fb.Checked, fb.Healthy = true, res.Healthy
	switch {
	case res.Healthy:
		fb.State = fmt.Sprintf("fallback answering (HTTP %d): degraded mode is serving", res.HealthStatus)
	case res.HealthError != "":
		fb.State = "fallback NOT answering: " + res.HealthError
	default:
		fb.State = fmt.Sprintf("fallback NOT healthy: HTTP %d", res.HealthStatus)
	}
	d.r.detail("circuit-breakers", "%s", fb.State)
	return nil
}

// ---- record and apply ----

// record reads the setting each planned action will change, so the revert restores exactly it.
func (d *degradation) record(ctx workflow.Context) error {
	fs := make([]workflow.Future, len(d.rep.Plan))
	for i, p := range d.rep.Plan {
		if p.Kind == ActionLambdaConcurrency {
			c := describeCtx(ctx, "Lambda GetFunctionConcurrency "+p.Resource)
			fs[i] = workflow.ExecuteActivity(c, a.GetFunctionConcurrency, activities.ConcurrencyRef{Region: p.Region, Function: p.Resource})
		} else if d.autoScaled {
			c := describeCtx(ctx, "DynamoDB DescribeTable and Application Auto Scaling targets "+p.Resource)
			fs[i] = workflow.ExecuteActivity(c, a.ReadTableCapacity, activities.TableRef{Region: p.Region, Table: p.Resource})
		} else {
			c := describeCtx(ctx, "DynamoDB DescribeTable "+p.Resource)
			fs[i] = workflow.ExecuteActivity(c, a.DescribeTable, activities.TableRef{Region: p.Region, Table: p.Resource})
		}
	}
	prev := make([]ScalingAction, len(fs))
	var errs []error
	for i, f := range fs {
		p := d.rep.Plan[i]
		prev[i] = ScalingAction{Kind: p.Kind, Resource: p.Resource, Region: p.Region}
		if p.Kind == ActionLambdaConcurrency {
			var c activities.Concurrency
			errs = append(errs, f.Get(ctx, &c))
			prev[i].Reserved = c.Reserved
			continue
		}
		if d.autoScaled {
			var capa activities.TableCapacity
			errs = append(errs, f.Get(ctx, &capa))
			prev[i].Capacity = &capa
			continue
		}
		var info activities.TableInfo
		errs = append(errs, f.Get(ctx, &info))
		capa := degRecordedCapacity(info)
		prev[i].Capacity = &capa
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	d.rep.Previous = prev
	var s []string
	for _, p := range prev {
		s = append(s, p.String())
	}
	d.r.detail("record", "%s", strings.Join(s, "; "))
	return nil
}

// act runs actions at once and returns what changed, in action order.
func (d *degradation) act(ctx workflow.Context, actions []ScalingAction, verb string) ([]string, error) {
	fs := make([]workflow.Future, len(actions))
	for i, p := range actions {
		summary := fmt.Sprintf("%s %s", verb, p)
		if p.Kind == ActionLambdaConcurrency {
			c := workflow.WithWaitForCancellation(mutateCtx(ctx, summary), true)
			fs[i] = workflow.ExecuteActivity(c, a.PutFunctionConcurrency, activities.ConcurrencyChange{Region: p.Region, Function: p.Resource, Reserved: p.Reserved})
		} else {
			// A table takes minutes to leave UPDATING in AWS; the activity heartbeats while it waits.
			c := workflow.WithWaitForCancellation(waitCtx(ctx, summary, 30*time.Minute), true)
			fs[i] = workflow.ExecuteActivity(c, a.SetTableCapacity, activities.CapacityChange{Region: p.Region, Table: p.Resource, Target: *p.Capacity})
		}
	}
	var changed []string
	var errs []error
	for i, f := range fs {
		var res struct {
			Changed bool `json:"changed"`
		}
		if err := f.Get(ctx, &res); err != nil {
			errs = append(errs, err)
			continue
		}
		if res.Changed {
			changed = append(changed, actions[i].String())
		}
	}
	return changed, errors.Join(errs...)
}

// apply scales. Activities are waited for even when the run is cancelled (WaitForCancellation), so the
// compensating revert never races an apply still in flight.
func (d *degradation) apply(ctx workflow.Context) error {
	d.applied = true
	changed, err := d.act(ctx, d.rep.Plan, "Scale")
	d.rep.Applied = degAppendNew(d.rep.Applied, changed...)
	return err
}

// ---- watch ----

// watch polls each period until every affected resource (and any API symptom) has been healthy for
// healthyPeriods consecutive polls, paging at each escalation interval. At the watch deadline it fails,
// which pauses the step for the operator: retry keeps watching for another deadline.
func (d *degradation) watch(ctx workflow.Context) error {
	var rs []degResource
	for _, ar := range append(append([]AffectedResource{}, d.rep.Affected...), d.rep.Symptoms...) {
		rs = append(rs, degResource{ar.Kind, ar.Name})
	}
	w := &d.rep.Watch
	w.HealthyStreak = 0
	start := workflow.Now(ctx)
	deadline := start.Add(d.dg.WatchDeadline.D())
	interval := d.t.Approvals.EscalationInterval.D()
	nextPage := start.Add(interval)
	for {
		// The last two minutes: the latest one-minute datapoint is the one that can show the change.
		state, err := d.assess(ctx, rs, 2*time.Minute, false)
		if err != nil {
			return err
		}
		w.Polls++
		w.Unhealthy = degUnhealthy(state)
		if len(w.Unhealthy) == 0 {
			w.HealthyStreak++
		} else {
			w.HealthyStreak = 0
		}
		now := workflow.Now(ctx)
		d.r.detail("watch", "poll %d: healthy %d/%d; %s", w.Polls, w.HealthyStreak, d.dg.HealthyPeriods, degNoneOver(w.Unhealthy))
		if w.HealthyStreak >= d.dg.HealthyPeriods {
			w.Recovered, w.RecoveredAt = true, now
			d.r.note(fmt.Sprintf("recovered: every affected resource healthy for %d consecutive periods", w.HealthyStreak))
			return nil
		}
		if !now.Before(deadline) {
			return fmt.Errorf("not recovered within the watch deadline of %s (degradation.watchDeadline): %s. Retry keeps watching; skip stops watching and keeps the scaled settings; abort restores the recorded settings",
				d.dg.WatchDeadline, degNoneOver(w.Unhealthy))
		}
		if !now.Before(nextPage) {
			w.Escalations++
			nextPage = nextPage.Add(interval)
			d.r.notifyIn(ctx, fmt.Sprintf("PartialDegradation %s: still degraded in %s after %s", d.t.ID(), d.region, now.Sub(start).Round(time.Second)),
				fmt.Sprintf("Scaled: %s\nStill over threshold: %s\nWatch deadline %s.", strings.Join(d.rep.Applied, "; "), degNoneOver(w.Unhealthy), deadline.UTC().Format(time.RFC3339)))
		}
		p := min(d.dg.Period.D(), deadline.Sub(now))
		if err := d.r.sleepNamed(ctx, p, fmt.Sprintf("watch %s: poll %d, next in %s", d.region, w.Polls+1, p)); err != nil {
			return err
		}
	}
}

// ---- revert ----

// awaitRevert returns who decided to revert: an approver of the "revert" gate, or "stable-period" when the
// stable period passed without a decision. "" means the gate was rejected: keep the scaled settings.
// With autoApprove nobody is asked and the stable period decides.
func (d *degradation) awaitRevert() (string, error) {
	r := d.r
	if r.common.AutoApprove {
		if err := r.sleepNamed(r.ctx, d.dg.StablePeriod.D(), fmt.Sprintf("stable period %s before the revert", d.dg.StablePeriod)); err != nil {
			return "", err
		}
		r.status.Approvals = append(r.status.Approvals, Approval{Gate: GateDegradationRevert, Decision: "approve", Approver: "auto",
			Comment: "stable period " + d.dg.StablePeriod.String() + " passed", At: workflow.Now(r.ctx)})
		return "stable-period", nil
	}
	ap, err := r.gate(GateDegradationRevert, gateOpts{Summary: degRevertSummary(d.rep, d.dg.StablePeriod), Deadline: d.dg.StablePeriod.D(), ApproveAtDeadline: true})
	switch {
	case err == nil && ap.Approver == "deadline":
		return "stable-period", nil
	case err == nil:
		return ap.Approver, nil
	case errors.Is(err, errAborted) && ap.Decision == "reject":
		r.note(fmt.Sprintf("revert rejected by %s: the scaled settings stay in place", ap.Approver))
		return "", nil
	}
	return "", err
}

// revert restores the recorded settings. Each activity reads first, so reverting twice (a cancel during a
// revert) changes nothing the second time.
func (d *degradation) revert(ctx workflow.Context, by string) error {
	err := d.r.stepIn(ctx, "revert", "Restore the recorded settings", stepOpts{Critical: true}, func(ctx workflow.Context) error {
		changed, err := d.act(ctx, d.rep.Previous, "Restore")
		d.rep.RevertedActions = degAppendNew(d.rep.RevertedActions, changed...)
		return err
	})
	if err != nil {
		d.revertAborted = errors.Is(err, errAborted)
		return err
	}
	d.rep.Reverted, d.rep.RevertedBy = true, by
	d.r.detail("revert", "restored by %s: %s", by, degNoneOver(d.rep.RevertedActions))
	return nil
}

// compensate restores the recorded settings after an abort or cancel. The run's context may be cancelled,
// so it runs on r.ctx, which PartialDegradation has replaced with a disconnected one in that case.
func (d *degradation) compensate(why string) {
	if len(d.rep.Previous) == 0 {
		return
	}
	d.r.note(fmt.Sprintf("%s after scaling: restoring the recorded settings", why))
	if err := d.revert(d.r.ctx, why); err != nil {
		d.r.note("restore failed: " + errMessage(err))
		return
	}
	d.rep.Result = DegReverted
}
