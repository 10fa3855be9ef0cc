package workflows

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/topology"
)

// The step bodies of DRDrill, in the order the drill runs them.

func (d *drill) childCtx(ctx workflow.Context, id, summary, details string) workflow.Context {
	return workflow.WithChildOptions(ctx, d.childOptions(ctx, id, summary, details))
}

// ---- readiness ----

func (d *drill) readiness(ctx workflow.Context) error {
	// Named from the topology and the drill's start, not from the drill's own workflow ID: a replayer runs a
	// history under another ID, and the child's ID must come out the same.
	id := fmt.Sprintf("%s-drill-%s", WorkflowID("readiness", d.t), d.r.status.StartedAt.UTC().Format("20060102T150405.000Z"))
	var rep ReadinessReport
	c := d.childCtx(ctx, id, "drill readiness for "+d.t.ID(), "The runbook's Pre-Disaster Preparation checks, read-only, before the drill changes anything.")
	fut := workflow.ExecuteChildWorkflow(c, ReadinessCheck, ReadinessRequest{Common: d.req.child()})
	var exec workflow.Execution
	if err := fut.GetChildWorkflowExecution().Get(ctx, &exec); err != nil {
		return err
	}
	d.r.linkChild("readiness", WorkflowReadiness, exec)
	if err := fut.Get(c, &rep); err != nil {
		return err
	}
	d.rep.Readiness = &ReadinessSummary{WorkflowID: id, Overall: rep.Overall, Pass: rep.Pass, Warn: rep.Warn, Fail: rep.Fail, Failing: rep.Failing()}
	d.r.detail("readiness", "%s: %d pass, %d warn, %d fail", strings.ToUpper(rep.Overall), rep.Pass, rep.Warn, rep.Fail)
	if rep.Overall != Fail {
		return nil
	}
	why := failingChecks(rep.Failing())
	if d.req.Force {
		d.r.note("readiness failed and the drill was forced on: " + why)
		return nil
	}
	d.r.note("readiness failed, drill aborted before any change (force it with force=true): " + why)
	return errAborted
}

// baseline records each DR stack's DR-mode parameter so the failback restores exactly what was there.
func (d *drill) baseline(ctx workflow.Context) error {
	t := d.t
	d.restore = map[string]string{}
	futs := make([]workflow.Future, len(t.Stacks.Names))
	for i, st := range t.Stacks.Names {
		c := describeCtx(ctx, "CloudFormation DescribeStacks "+st+" in "+t.DRRegion)
		futs[i] = workflow.ExecuteActivity(c, a.DescribeStack, activities.StackRef{Region: t.DRRegion, Stack: st})
	}
	var parts []string
	for i, f := range futs {
		var info activities.StackInfo
		if err := f.Get(ctx, &info); err != nil {
			return err
		}
		if v, ok := info.Parameters[t.Stacks.DRModeParameter]; ok {
			d.restore[t.Stacks.Names[i]] = v
			parts = append(parts, fmt.Sprintf("%s=%s", t.Stacks.Names[i], v))
		}
	}
	d.r.detail("baseline", "%s: %s", t.Stacks.DRModeParameter, orText(strings.Join(parts, ", "), "no stack has the parameter"))
	return nil
}

// ---- the disaster ----

func (d *drill) inject(ctx workflow.Context) error {
	t := d.t
	mode := d.req.Mode
	if mode == "" || mode == DrillAuto {
		var info activities.SimulatorInfo
		c := describeCtx(ctx, "Is the AWS endpoint an awssim?")
		if err := workflow.ExecuteActivity(c, a.DetectSimulator).Get(c, &info); err != nil {
			return err
		}
		mode, d.rep.ModeReason = autoMode(info)
	}
	d.rep.Mode = mode
	d.rep.InjectedAt = workflow.Now(ctx)
	if mode == DrillInject {
		var res activities.SimOutageResult
		c := mutateCtx(ctx, "awssim: region outage of "+t.PrimaryRegion)
		if err := workflow.ExecuteActivity(c, a.InjectRegionOutage, activities.SimOutageInput{Region: t.PrimaryRegion}).Get(c, &res); err != nil {
			return err
		}
		d.injected = true
		d.r.detail("inject", "awssim outage of %s (fault %s) at %s", t.PrimaryRegion, strings.Join(res.FaultIDs, ", "), res.Endpoint)
		return nil
	}
	if t.Aurora.FailoverMode != topology.FailoverGlobal {
		d.r.detail("inject", "planned mode: nothing injected; %s failover mode %s is exercised by RegionFailover itself", t.Aurora.GlobalClusterID, t.Aurora.FailoverMode)
		return nil
	}
	// Planned: the writer moves to DR with a switchover (RPO 0) before RegionFailover runs, which then finds
	// its database step already done; nothing in the primary is harmed.
	in := activities.SwitchoverInput{Region: t.DRRegion, GlobalClusterID: t.Aurora.GlobalClusterID, TargetClusterID: t.Aurora.DRClusterID}
	var res activities.AuroraFailoverResult
	c := mutateCtx(ctx, fmt.Sprintf("RDS SwitchoverGlobalCluster %s to %s (planned drill)", t.Aurora.GlobalClusterID, t.Aurora.DRClusterID))
	if err := workflow.ExecuteActivity(c, a.SwitchoverAurora, in).Get(c, &res); err != nil {
		return err
	}
	wi := activities.AuroraFailoverInput{Mode: topology.FailoverGlobal, Region: t.DRRegion, GlobalClusterID: t.Aurora.GlobalClusterID, DRClusterID: t.Aurora.DRClusterID}
	w := waitCtx(ctx, "Wait until "+t.Aurora.DRClusterID+" writes", 30*time.Minute)
	if err := workflow.ExecuteActivity(w, a.WaitAuroraWriter, wi).Get(w, nil); err != nil {
		return err
	}
	d.r.detail("inject", "planned mode: nothing injected; %s (%s)", res.Detail, res.Action)
	return nil
}

func (d *drill) lift(ctx workflow.Context) error {
	t := d.t
	var res activities.SimOutageResult
	c := mutateCtx(ctx, "awssim: lift the outage of "+t.PrimaryRegion)
	if err := workflow.ExecuteActivity(c, a.LiftRegionOutage, activities.SimOutageInput{Region: t.PrimaryRegion}).Get(c, &res); err != nil {
		return err
	}
	d.injected = false
	d.r.detail("lift", "%s is back (removed %s)", t.PrimaryRegion, orText(strings.Join(res.FaultIDs, ", "), "nothing: already lifted"))
	return nil
}

// ---- the children ----

// child runs a child workflow and reads its result into result. Its workflow and run IDs go into the
// report as soon as it has started, so the report of a drill stopped during a child still names the run.
func (d *drill) child(ctx workflow.Context, step, wfName, id, summary, details string, wf, req any, workflowID, runID *string, result any) error {
	c := d.childCtx(ctx, id, summary, details)
	fut := workflow.ExecuteChildWorkflow(c, wf, req)
	var exec workflow.Execution
	if err := fut.GetChildWorkflowExecution().Get(ctx, &exec); err != nil {
		return err
	}
	*workflowID, *runID = exec.ID, exec.RunID
	d.r.linkChild(step, wfName, exec)
	return fut.Get(ctx, result)
}

func (d *drill) failover(ctx workflow.Context) error {
	t := d.t
	at := d.rep.InjectedAt
	id := WorkflowID("failover", t)
	var rep FailoverReport
	summary := fmt.Sprintf("drill: region failover of %s to %s", t.ID(), t.DRRegion)
	details := fmt.Sprintf("Scenario 1 of the runbook, %s → %s, auto-approved where the policy allows drills; RTO measured from the injected disaster at %s.",
		t.PrimaryRegion, t.DRRegion, at.UTC().Format(time.RFC3339))
	if err := d.child(ctx, "failover", WorkflowRegionFailover, id, summary, details, RegionFailover, d.req.failoverRequest(&at), &d.rep.FailoverID, &d.rep.FailoverRun, &rep); err != nil {
		return err
	}
	d.rep.Failover = &rep
	d.r.detail("failover", "%s in %s (RTO %s)", rep.Outcome, id, rep.RTO.Round(time.Millisecond))
	if rep.Outcome != PhaseCompleted {
		d.r.note(fmt.Sprintf("RegionFailover %s ended %s; the drill stops here", id, rep.Outcome))
		return errAborted
	}
	return nil
}

func (d *drill) failback(ctx workflow.Context) error {
	t := d.t
	id := WorkflowID("failback", t)
	var rep FailbackReport
	summary := fmt.Sprintf("drill: failback of %s to %s", t.ID(), t.PrimaryRegion)
	details := fmt.Sprintf("Back from %s to %s after the drill's failover; the DR standby settings recorded at the baseline are restored.", t.DRRegion, t.PrimaryRegion)
	if err := d.child(ctx, "failback", WorkflowFailback, id, summary, details, Failback, d.req.failbackRequest(d.restore), &d.rep.FailbackID, &d.rep.FailbackRun, &rep); err != nil {
		return err
	}
	d.rep.Failback = &rep
	d.r.detail("failback", "%s in %s (Aurora %s, back in service after %s)", rep.Outcome, id, rep.AuroraPath, rep.RTO.Round(time.Millisecond))
	if rep.Outcome != PhaseCompleted {
		d.r.note(fmt.Sprintf("Failback %s ended %s; the platform is not back in its initial topology", id, rep.Outcome))
		return errAborted
	}
	return nil
}

// ---- validation ----

// checklist is the runbook's Recovery Validation Checklist after the failover: RegionFailover's own items,
// plus what the drill reads back from AWS to confirm the failover's word. A failing item is a lesson,
// not a reason to leave the platform failed over.
func (d *drill) checklist(ctx workflow.Context) error {
	t := d.t
	items := append([]ChecklistItem{}, d.rep.Failover.Checklist...)
	fb := &failback{t: t}
	var rec activities.RecordState
	// Outside upsert the record never changes: where the name resolves is what moved, and resolution
	// answers while Route 53's API (in us-east-1) may not.
	resolve := d.modes && t.DNS.Mode != topology.DNSUpsert
	var recF workflow.Future
	if resolve {
		rc := describeCtx(ctx, fmt.Sprintf("Resolve %s %s", t.DNS.RecordName, t.DNS.RecordType))
		recF = workflow.ExecuteActivity(rc, a.Resolve, resolveQuery(t))
	} else {
		rc := describeCtx(ctx, "Route 53 ListResourceRecordSets "+t.DNS.RecordName)
		recF = workflow.ExecuteActivity(rc, a.DescribeFailoverRecord, fb.recordInput(t.DRRegion))
	}
	gc := describeCtx(ctx, "RDS DescribeGlobalClusters "+t.Aurora.GlobalClusterID)
	gF := workflow.ExecuteActivity(gc, a.DescribeGlobalCluster, activities.GlobalClusterRef{Region: t.DRRegion, ID: t.Aurora.GlobalClusterID})
	stF := make([]workflow.Future, len(t.Stacks.Names))
	if t.Stacks.Activation == topology.ActivationCloudFormation {
		for i, st := range t.Stacks.Names {
			c := describeCtx(ctx, "CloudFormation DescribeStacks "+st+" in "+t.DRRegion)
			stF[i] = workflow.ExecuteActivity(c, a.DescribeStack, activities.StackRef{Region: t.DRRegion, Stack: st})
		}
	}
	if resolve {
		var res activities.Resolution
		err := recF.Get(ctx, &res)
		items = append(items, readBack("DNS serves from "+t.DRRegion, err, res.Region == t.DRRegion, fmt.Sprintf("%s resolves to %s", t.DNS.RecordName, res)))
	} else {
		err := recF.Get(ctx, &rec)
		items = append(items, readBack("DNS serves from "+t.DRRegion, err, sameDNS(rec.AliasDNSName, t.DNS.Targets[t.DRRegion].DNSName),
			fmt.Sprintf("%s aliases %s", t.DNS.RecordName, rec.AliasDNSName)))
	}
	var g activities.GlobalClusterInfo
	err := gF.Get(ctx, &g)
	w, _ := g.Writer()
	items = append(items, readBack("Aurora writer in "+t.DRRegion, err, w.Region == t.DRRegion || t.Aurora.FailoverMode != topology.FailoverGlobal,
		fmt.Sprintf("%s writer %s (%s)", t.Aurora.GlobalClusterID, orText(w.ClusterID, "none"), orText(w.Region, "-"))))
	for i, f := range stF {
		if f == nil {
			continue
		}
		var info activities.StackInfo
		err := f.Get(ctx, &info)
		items = append(items, readBack(fmt.Sprintf("%s active in %s", t.Stacks.Names[i], t.DRRegion), err, info.Parameters[t.Stacks.DRModeParameter] == "true",
			fmt.Sprintf("%s %s=%s", info.Status, t.Stacks.DRModeParameter, info.Parameters[t.Stacks.DRModeParameter])))
	}
	d.rep.Checklist = items
	pass, fail := countChecklist(items)
	d.r.detail("checklist", "%d pass, %d fail, %d not checked by software", pass, fail, len(items)-pass-fail)
	return nil
}
