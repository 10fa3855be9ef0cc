package workflows

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/topology"
)

// Drill modes: inject a real outage (awssim only) or rehearse with a planned Aurora switchover.
const (
	DrillAuto    = "auto"
	DrillInject  = "inject"
	DrillPlanned = "planned"
)

// DrillRequest starts DRDrill: a full failover and failback exercise with a measured report.
type DrillRequest struct {
	Common
	// Mode is auto (inject against awssim, planned elsewhere), inject or planned.
	Mode string `json:"mode,omitempty"`
	// Force runs the drill even when the readiness check fails.
	Force bool `json:"force,omitempty"`
	// MonitorWindow is passed to RegionFailover and Failback.
	MonitorWindow topology.Duration `json:"monitorWindow,omitempty"`
	// WaitHeartbeat is passed to RegionFailover and Failback.
	WaitHeartbeat topology.Duration `json:"waitHeartbeat,omitempty"`
}

func (r *DrillRequest) UnmarshalJSON(b []byte) error {
	type plain DrillRequest
	return decodeStrict(b, (*plain)(r), &r.decodeProblem)
}

// Validate is everything the workflow checks before any AWS call, the children's checks included, so a
// drill never injects an outage it then cannot fail over from.
func (r *DrillRequest) Validate() error {
	if err := r.Prepare(); err != nil {
		return err
	}
	var es topology.Errors
	switch r.Mode {
	case "", DrillAuto, DrillInject, DrillPlanned:
	default:
		es = append(es, topology.FieldError{Field: "mode", Problem: fmt.Sprintf("%q is not auto, inject or planned", r.Mode), Fix: "leave it out for auto"})
	}
	fo := r.failoverRequest(nil)
	if err := fo.Validate(); err != nil {
		es = append(es, asFieldErrors(err)...)
	}
	fb := r.failbackRequest(nil)
	if err := fb.Validate(); err != nil {
		es = append(es, asFieldErrors(err)...)
	}
	if len(es) > 0 {
		return dedupe(es)
	}
	return nil
}

func asFieldErrors(err error) topology.Errors {
	var es topology.Errors
	if errors.As(err, &es) {
		return es
	}
	return topology.Errors{{Field: "request", Problem: err.Error(), Fix: "correct the request"}}
}

func dedupe(es topology.Errors) topology.Errors {
	var out topology.Errors
	seen := map[string]bool{}
	for _, e := range es {
		if !seen[e.Error()] {
			seen[e.Error()] = true
			out = append(out, e)
		}
	}
	return out
}

func (r *DrillRequest) child() Common {
	c := r.Common
	c.Drill = true
	c.decodeProblem = nil
	return c
}

func (r *DrillRequest) failoverRequest(detected *time.Time) FailoverRequest {
	c := r.child()
	c.DetectedAt = detected
	return FailoverRequest{Common: c, MonitorWindow: r.MonitorWindow, WaitHeartbeat: r.WaitHeartbeat}
}

func (r *DrillRequest) failbackRequest(restore map[string]string) FailbackRequest {
	c := r.child()
	c.DetectedAt = nil
	return FailbackRequest{Common: c, MonitorWindow: r.MonitorWindow, WaitHeartbeat: r.WaitHeartbeat, RestoreDRMode: restore}
}

var drillScenario = scenario{Workflow: WorkflowDrill, Key: DrillScenario, Drill: true}

// DrillRow is one step of the drill report: a failover or failback step against its runbook budget.
type DrillRow struct {
	Phase      string        `json:"phase"` // drill, failover, failback
	Name       string        `json:"name"`
	Title      string        `json:"title"`
	Outcome    string        `json:"outcome"`
	Started    time.Time     `json:"started"`
	Took       time.Duration `json:"took"`
	Budget     time.Duration `json:"budget,omitempty"`
	OverBudget bool          `json:"overBudget"`
	Attempts   int           `json:"attempts"`
}

// ReadinessSummary is the part of the readiness report a drill keeps.
type ReadinessSummary struct {
	WorkflowID string     `json:"workflowId"`
	Overall    string     `json:"overall"`
	Pass       int        `json:"pass"`
	Warn       int        `json:"warn"`
	Fail       int        `json:"fail"`
	Failing    []CheckRow `json:"failing,omitempty"`
}

// DrillReport is DRDrill's result and the source of its post-incident review.
type DrillReport struct {
	RunSummary
	Scenario   string            `json:"scenario"`
	Mode       string            `json:"mode"`
	ModeReason string            `json:"modeReason,omitempty"`
	Forced     bool              `json:"forced,omitempty"`
	Readiness  *ReadinessSummary `json:"readiness,omitempty"`
	// InjectedAt is when the disaster began (the outage injected or the planned switchover started): the
	// failover's RTO is measured from it.
	InjectedAt   time.Time       `json:"injectedAt,omitzero"`
	FailoverID   string          `json:"failoverWorkflowId,omitempty"`
	FailoverRun  string          `json:"failoverRunId,omitempty"`
	FailbackID   string          `json:"failbackWorkflowId,omitempty"`
	FailbackRun  string          `json:"failbackRunId,omitempty"`
	Failover     *FailoverReport `json:"failover,omitempty"`
	Failback     *FailbackReport `json:"failback,omitempty"`
	RTO          time.Duration   `json:"rto"`
	RTOSeconds   float64         `json:"rtoSeconds"`
	RTOObjective time.Duration   `json:"rtoObjective"`
	RTOMet       bool            `json:"rtoMet"`
	RPO          time.Duration   `json:"rpo"`
	RPOKnown     bool            `json:"rpoKnown"`
	RPOObjective time.Duration   `json:"rpoObjective"`
	RPOMet       bool            `json:"rpoMet"`
	Rows         []DrillRow      `json:"rows"`
	OverBudget   int             `json:"overBudget"`
	Checklist    []ChecklistItem `json:"checklist"`
	Lessons      []string        `json:"lessons"`
}

type drill struct {
	r        *run
	req      DrillRequest
	t        topology.Topology
	rep      *DrillReport
	injected bool // an outage is in place that the drill must lift, whatever happens
	restore  map[string]string
}

// DRDrill rehearses a region outage end to end: readiness, the disaster (an injected outage in awssim, a
// planned Aurora switchover on real AWS), RegionFailover, the validation checklist, the disaster lifted,
// Failback, and a report of measured RTO and RPO and of every step against its runbook budget.
func DRDrill(ctx workflow.Context, req DrillRequest) (DrillReport, error) {
	if err := req.Validate(); err != nil {
		return DrillReport{}, invalid(err)
	}
	t := req.Topology
	r, err := start(ctx, drillScenario, &req.Common)
	if err != nil {
		return DrillReport{}, err
	}
	d := &drill{r: r, req: req, t: t, rep: &DrillReport{Scenario: "region-outage", Mode: req.Mode, Forced: req.Force,
		RTOObjective: t.Objectives.RTO.D(), RPOObjective: t.Objectives.RPO.D(), Lessons: []string{}}}
	err = d.execute()
	if d.injected {
		// Never leave a drill's disaster behind: lift it on a context a cancellation cannot stop.
		dctx, _ := workflow.NewDisconnectedContext(ctx)
		r.ctx = dctx
		_ = r.step("lift", "Lift the injected outage (cleanup)", stepOpts{Critical: true}, d.lift)
	}
	phase := r.settle(ctx, err)
	rep := d.report(phase)
	r.finish(phase, rep.RTO)
	rep.RunSummary = r.summary(phase)
	return rep, nil
}

func (d *drill) execute() error {
	r, t := d.r, d.t
	if err := r.step("readiness", "Readiness check", stepOpts{Critical: true}, d.readiness); err != nil {
		return err
	}
	if err := r.step("baseline", "Record the DR standby settings to restore", stepOpts{Critical: true}, d.baseline); err != nil {
		return err
	}
	if err := r.step("inject", "Disaster: "+t.PrimaryRegion+" fails", stepOpts{Critical: true}, d.inject); err != nil {
		return err
	}
	if err := r.step("failover", "RegionFailover "+t.PrimaryRegion+" → "+t.DRRegion, stepOpts{Critical: true}, d.failover); err != nil {
		return err
	}
	if err := r.step("checklist", "Recovery Validation Checklist", stepOpts{}, d.checklist); err != nil {
		return err
	}
	if d.injected {
		if err := r.step("lift", "Lift the injected outage", stepOpts{Critical: true}, d.lift); err != nil {
			return err
		}
	}
	return r.step("failback", "Failback "+t.DRRegion+" → "+t.PrimaryRegion, stepOpts{Critical: true}, d.failback)
}

func (d *drill) detail(step, format string, args ...any) {
	if rec := d.r.status.Step(step); rec != nil {
		rec.Detail = fmt.Sprintf(format, args...)
	}
}

func (d *drill) childCtx(ctx workflow.Context, id, summary string) workflow.Context {
	return workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: id, TaskQueue: TaskQueue, StaticSummary: summary,
		WaitForCancellation: true})
}

// ---- readiness ----

func (d *drill) readiness(ctx workflow.Context) error {
	// Named from the topology and the drill's start, not from the drill's own workflow ID: a replayer runs a
	// history under another ID, and the child's ID must come out the same.
	id := fmt.Sprintf("%s-drill-%s", WorkflowID("readiness", d.t), d.r.status.StartedAt.UTC().Format("20060102T150405.000Z"))
	var rep ReadinessReport
	c := d.childCtx(ctx, id, "drill readiness for "+d.t.ID())
	if err := workflow.ExecuteChildWorkflow(c, ReadinessCheck, ReadinessRequest{Common: d.req.child()}).Get(c, &rep); err != nil {
		return err
	}
	d.rep.Readiness = &ReadinessSummary{WorkflowID: id, Overall: rep.Overall, Pass: rep.Pass, Warn: rep.Warn, Fail: rep.Fail, Failing: rep.Failing()}
	d.detail("readiness", "%s: %d pass, %d warn, %d fail", strings.ToUpper(rep.Overall), rep.Pass, rep.Warn, rep.Fail)
	if rep.Overall != Fail {
		return nil
	}
	var why []string
	for _, row := range rep.Failing() {
		why = append(why, fmt.Sprintf("%s %s (%s)", row.Check, row.Resource, row.Observed))
	}
	if d.req.Force {
		d.r.note("readiness failed and the drill was forced on: " + strings.Join(why, "; "))
		return nil
	}
	d.r.note("readiness failed, drill aborted before any change (force it with force=true): " + strings.Join(why, "; "))
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
	d.detail("baseline", "%s: %s", t.Stacks.DRModeParameter, orText(strings.Join(parts, ", "), "no stack has the parameter"))
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
		mode = DrillPlanned
		d.rep.ModeReason = "not an awssim: " + info.Reason
		if info.Simulator {
			mode, d.rep.ModeReason = DrillInject, "awssim at "+info.Endpoint
		}
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
		d.detail("inject", "awssim outage of %s (fault %s) at %s", t.PrimaryRegion, strings.Join(res.FaultIDs, ", "), res.Endpoint)
		return nil
	}
	if t.Aurora.FailoverMode != topology.FailoverGlobal {
		d.detail("inject", "planned mode: nothing injected; %s failover mode %s is exercised by RegionFailover itself", t.Aurora.GlobalClusterID, t.Aurora.FailoverMode)
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
	d.detail("inject", "planned mode: nothing injected; %s (%s)", res.Detail, res.Action)
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
	d.detail("lift", "%s is back (removed %s)", t.PrimaryRegion, orText(strings.Join(res.FaultIDs, ", "), "nothing: already lifted"))
	return nil
}

// ---- the children ----

func (d *drill) failover(ctx workflow.Context) error {
	t := d.t
	at := d.rep.InjectedAt
	id := WorkflowID("failover", t)
	c := d.childCtx(ctx, id, fmt.Sprintf("drill: region failover of %s to %s", t.ID(), t.DRRegion))
	fut := workflow.ExecuteChildWorkflow(c, RegionFailover, d.req.failoverRequest(&at))
	var exec workflow.Execution
	if err := fut.GetChildWorkflowExecution().Get(ctx, &exec); err != nil {
		return err
	}
	d.rep.FailoverID, d.rep.FailoverRun = exec.ID, exec.RunID
	var rep FailoverReport
	if err := fut.Get(ctx, &rep); err != nil {
		return err
	}
	d.rep.Failover = &rep
	d.detail("failover", "%s in %s (RTO %s)", rep.Outcome, id, rep.RTO.Round(time.Millisecond))
	if rep.Outcome != PhaseCompleted {
		d.r.note(fmt.Sprintf("RegionFailover %s ended %s; the drill stops here", id, rep.Outcome))
		return errAborted
	}
	return nil
}

func (d *drill) failback(ctx workflow.Context) error {
	t := d.t
	id := WorkflowID("failback", t)
	c := d.childCtx(ctx, id, fmt.Sprintf("drill: failback of %s to %s", t.ID(), t.PrimaryRegion))
	fut := workflow.ExecuteChildWorkflow(c, Failback, d.req.failbackRequest(d.restore))
	var exec workflow.Execution
	if err := fut.GetChildWorkflowExecution().Get(ctx, &exec); err != nil {
		return err
	}
	d.rep.FailbackID, d.rep.FailbackRun = exec.ID, exec.RunID
	var rep FailbackReport
	if err := fut.Get(ctx, &rep); err != nil {
		return err
	}
	d.rep.Failback = &rep
	d.detail("failback", "%s in %s (Aurora %s, back in service after %s)", rep.Outcome, id, rep.AuroraPath, rep.RTO.Round(time.Millisecond))
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
	rc := describeCtx(ctx, "Route 53 ListResourceRecordSets "+t.DNS.RecordName)
	recF := workflow.ExecuteActivity(rc, a.DescribeFailoverRecord, fb.recordInput(t.DRRegion))
	gc := describeCtx(ctx, "RDS DescribeGlobalClusters "+t.Aurora.GlobalClusterID)
	gF := workflow.ExecuteActivity(gc, a.DescribeGlobalCluster, activities.GlobalClusterRef{Region: t.DRRegion, ID: t.Aurora.GlobalClusterID})
	stF := make([]workflow.Future, len(t.Stacks.Names))
	if t.Stacks.Activation == topology.ActivationCloudFormation {
		for i, st := range t.Stacks.Names {
			c := describeCtx(ctx, "CloudFormation DescribeStacks "+st+" in "+t.DRRegion)
			stF[i] = workflow.ExecuteActivity(c, a.DescribeStack, activities.StackRef{Region: t.DRRegion, Stack: st})
		}
	}
	item := func(section, name string, err error, ok bool, evidence string) ChecklistItem {
		if err != nil {
			return ChecklistItem{Section: section, Item: name, Status: Fail, Evidence: "unreadable: " + errMessage(err)}
		}
		st := Fail
		if ok {
			st = Pass
		}
		return ChecklistItem{Section: section, Item: name, Status: st, Evidence: evidence}
	}
	err := recF.Get(ctx, &rec)
	items = append(items, item("Drill", "DNS serves from "+t.DRRegion, err, sameDNS(rec.AliasDNSName, t.DNS.Targets[t.DRRegion].DNSName),
		fmt.Sprintf("%s aliases %s", t.DNS.RecordName, rec.AliasDNSName)))
	var g activities.GlobalClusterInfo
	err = gF.Get(ctx, &g)
	w, _ := g.Writer()
	items = append(items, item("Drill", "Aurora writer in "+t.DRRegion, err, w.Region == t.DRRegion || t.Aurora.FailoverMode != topology.FailoverGlobal,
		fmt.Sprintf("%s writer %s (%s)", t.Aurora.GlobalClusterID, orText(w.ClusterID, "none"), orText(w.Region, "-"))))
	for i, f := range stF {
		if f == nil {
			continue
		}
		var info activities.StackInfo
		err := f.Get(ctx, &info)
		items = append(items, item("Drill", fmt.Sprintf("%s active in %s", t.Stacks.Names[i], t.DRRegion), err, info.Parameters[t.Stacks.DRModeParameter] == "true",
			fmt.Sprintf("%s %s=%s", info.Status, t.Stacks.DRModeParameter, info.Parameters[t.Stacks.DRModeParameter])))
	}
	d.rep.Checklist = items
	pass, fail := 0, 0
	for _, it := range items {
		switch it.Status {
		case Pass:
			pass++
		case Fail:
			fail++
		}
	}
	d.detail("checklist", "%d pass, %d fail, %d not checked by software", pass, fail, len(items)-pass-fail)
	return nil
}

// ---- report ----

func (d *drill) report(phase string) DrillReport {
	rep := *d.rep
	t := d.t
	if fo := rep.Failover; fo != nil && fo.Outcome == PhaseCompleted {
		rep.RTO = fo.RTO
		switch {
		case rep.Mode == DrillPlanned && t.Aurora.FailoverMode == topology.FailoverGlobal:
			// A switchover waits for every secondary to catch up: nothing written is lost.
			rep.RPO, rep.RPOKnown = 0, true
		default:
			rep.RPO, rep.RPOKnown = fo.RPOEstimate, fo.RPOKnown
		}
	}
	rep.RTOSeconds = rep.RTO.Seconds()
	rep.RTOMet = rep.RTO > 0 && rep.RTO <= rep.RTOObjective
	rep.RPOMet = rep.RPOKnown && rep.RPO <= rep.RPOObjective
	rep.Rows = d.rows()
	for _, row := range rep.Rows {
		if row.OverBudget {
			rep.OverBudget++
		}
	}
	rep.Lessons = d.lessons(phase, rep)
	return rep
}

// rows lists the drill's own steps, then every failover and failback step with its runbook budget.
func (d *drill) rows() []DrillRow {
	var rows []DrillRow
	add := func(phase string, steps []StepRecord) {
		for _, s := range steps {
			rows = append(rows, DrillRow{Phase: phase, Name: s.Name, Title: s.Title, Outcome: s.Outcome, Started: s.Started, Took: s.Duration(),
				Budget: s.Budget, OverBudget: s.Budget > 0 && s.Duration() > s.Budget, Attempts: s.Attempts})
		}
	}
	add("drill", d.r.status.Steps)
	if d.rep.Failover != nil {
		add("failover", d.rep.Failover.Steps)
	}
	if d.rep.Failback != nil {
		add("failback", d.rep.Failback.Steps)
	}
	return rows
}

// lessons turns what the drill measured into the review's "Lessons Learned" list.
func (d *drill) lessons(phase string, rep DrillReport) []string {
	t := d.t
	var out []string
	if phase != PhaseCompleted {
		out = append(out, fmt.Sprintf("The drill ended %s: see the notes for where it stopped and what was left to restore.", phase))
	}
	if rs := rep.Readiness; rs != nil {
		for _, row := range rs.Failing {
			out = append(out, fmt.Sprintf("Readiness: %s %s failed (%s): %s", row.Check, row.Resource, row.Observed, row.Reason))
		}
		if rs.Warn > 0 {
			out = append(out, fmt.Sprintf("Readiness: %d warning(s) to look at before a real outage.", rs.Warn))
		}
	}
	if rep.Failover != nil {
		switch {
		case rep.RTO > 0 && !rep.RTOMet:
			out = append(out, fmt.Sprintf("RTO %s missed the objective of %s.", rep.RTO.Round(time.Second), t.Objectives.RTO))
		case rep.RTO > 0:
			out = append(out, fmt.Sprintf("RTO %s met the objective of %s (%.0f%% of it).", rep.RTO.Round(time.Millisecond), t.Objectives.RTO, 100*float64(rep.RTO)/float64(t.Objectives.RTO.D())))
		}
		if rep.RPOKnown && !rep.RPOMet {
			out = append(out, fmt.Sprintf("RPO %s exceeded the objective of %s.", rep.RPO, t.Objectives.RPO))
		} else if !rep.RPOKnown {
			out = append(out, "RPO could not be measured (no replication lag datapoints): check the lag metric and alarm.")
		}
		if as := rep.Failover.Assessment; as != nil {
			for _, f := range as.Findings {
				out = append(out, "Assessment: "+f)
			}
		}
	}
	for _, row := range rep.Rows {
		if row.OverBudget {
			out = append(out, fmt.Sprintf("%s step %q took %s, over its runbook budget of %s.", row.Phase, row.Title, row.Took.Round(time.Second), row.Budget))
		}
		if row.Attempts > 1 {
			out = append(out, fmt.Sprintf("%s step %q needed %d attempts (an operator retried it).", row.Phase, row.Title, row.Attempts))
		}
		if row.Outcome == OutcomeSkipped {
			out = append(out, fmt.Sprintf("%s step %q was skipped by an operator.", row.Phase, row.Title))
		}
	}
	for _, c := range rep.Checklist {
		if c.Status == Fail {
			out = append(out, fmt.Sprintf("Checklist: %s / %s failed: %s", c.Section, c.Item, c.Evidence))
		}
	}
	nc := 0
	for _, c := range rep.Checklist {
		if c.Status == "not-checked" {
			nc++
		}
	}
	if nc > 0 {
		out = append(out, fmt.Sprintf("%d checklist item(s) need a person: software could not check them.", nc))
	}
	if len(out) == 0 {
		out = append(out, "Nothing to improve was measured: every step within budget, RTO and RPO met.")
	}
	return out
}

// String renders the drill report for terminals: the figures, then one row per step.
func (r DrillReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "DR drill (%s, %s mode): %s\n", r.Scenario, r.Mode, strings.ToUpper(r.Outcome))
	if r.Readiness != nil {
		forced := ""
		if r.Forced && r.Readiness.Overall == Fail {
			forced = ", drill forced on"
		}
		fmt.Fprintf(&b, "Readiness %s (%d pass, %d warn, %d fail)%s\n", strings.ToUpper(r.Readiness.Overall), r.Readiness.Pass, r.Readiness.Warn, r.Readiness.Fail, forced)
	}
	rto := "not reached"
	if r.RTO > 0 {
		rto = fmt.Sprintf("%s (objective %s, %s)", r.RTO.Round(time.Millisecond), r.RTOObjective, metText(r.RTOMet))
	}
	rpo := "unknown"
	if r.RPOKnown {
		rpo = fmt.Sprintf("%s (objective %s, %s)", r.RPO.Round(time.Millisecond), r.RPOObjective, metText(r.RPOMet))
	}
	fmt.Fprintf(&b, "RTO %s\nRPO %s\n\n", rto, rpo)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PHASE\tSTEP\tOUTCOME\tTOOK\tBUDGET\t")
	for _, row := range r.Rows {
		budget := "-"
		if row.Budget > 0 {
			budget = row.Budget.String()
		}
		flag := ""
		if row.OverBudget {
			flag = "OVER BUDGET"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", row.Phase, row.Title, row.Outcome, row.Took.Round(time.Millisecond), budget, flag)
	}
	_ = tw.Flush()
	if len(r.Checklist) > 0 {
		b.WriteString("\nRecovery Validation Checklist:\n")
		for _, c := range r.Checklist {
			fmt.Fprintf(&b, "  [%s] %s / %s — %s\n", c.Status, c.Section, c.Item, c.Evidence)
		}
	}
	b.WriteString("\nLessons:\n")
	for _, l := range r.Lessons {
		fmt.Fprintf(&b, "  - %s\n", l)
	}
	return b.String()
}

var _ json.Unmarshaler = (*DrillRequest)(nil)
