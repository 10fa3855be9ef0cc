package workflows

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

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
	// DNSWait is passed to RegionFailover and Failback.
	DNSWait topology.Duration `json:"dnsWait,omitempty"`
}

func (r *DrillRequest) UnmarshalJSON(b []byte) error {
	type plain DrillRequest
	return decodeStrict(b, (*plain)(r), &r.decodeProblem)
}

var _ json.Unmarshaler = (*DrillRequest)(nil)

// Validate is everything the workflow checks before any AWS call, the children's checks included, so a
// drill never injects an outage it then cannot fail over from.
func (r *DrillRequest) Validate() error {
	if es := r.longStrings(r); len(es) > 0 {
		return es
	}
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

// dedupe drops the problems the two children's requests share (a bad topology is reported once).
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
	return FailoverRequest{Common: c, MonitorWindow: r.MonitorWindow, WaitHeartbeat: r.WaitHeartbeat, DNSWait: r.DNSWait}
}

func (r *DrillRequest) failbackRequest(restore map[string]string) FailbackRequest {
	c := r.child()
	c.DetectedAt = nil
	return FailbackRequest{Common: c, MonitorWindow: r.MonitorWindow, WaitHeartbeat: r.WaitHeartbeat, DNSWait: r.DNSWait, RestoreDRMode: restore}
}

// drillBudgets is empty on purpose. The runbook gives no figures for the drill's own steps (readiness,
// baseline, inject, lift, checklist), and its quarterly drill is the failover and the failback, whose
// children time each of their steps against its own runbook budget: those rows are in the report. A total
// on the drill's "failover" and "failback" rows would flag the same overrun twice (two lessons, two action
// items), and for the failback it would disagree with the child: the runbook's procedure sums to 80
// minutes while the child's budgets, which add the switchover and the monitoring window, sum to 105, so a
// failback within every step's budget could be flagged over its total.
var drillBudgets = map[string]time.Duration{}

var drillScenario = scenario{Workflow: WorkflowDrill, Key: DrillScenario, Budgets: drillBudgets, Drill: true}

// DrillRow is one step of the drill report: a failover or failback step against its runbook budget.
type DrillRow struct {
	Phase      string        `json:"phase"` // drill, failover, failback
	Name       string        `json:"name"`
	Title      string        `json:"title"`
	Outcome    string        `json:"outcome"`
	Started    time.Time     `json:"startedAt"`
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

// DrillReport is DRDrill's result and the source of its post-incident review. Its Recovery is the
// failover's, measured from the moment the disaster began; its checklist is read after the failover.
type DrillReport struct {
	RunSummary
	Recovery
	Scenario   string            `json:"scenario"`
	Mode       string            `json:"mode"`
	ModeReason string            `json:"modeReason,omitempty"`
	Forced     bool              `json:"forced,omitempty"`
	Readiness  *ReadinessSummary `json:"readiness,omitempty"`
	// InjectedAt is when the disaster began (the outage injected or the planned switchover started): the
	// failover's RTO is measured from it.
	InjectedAt  time.Time       `json:"injectedAt,omitzero"`
	FailoverID  string          `json:"failoverWorkflowId,omitempty"`
	FailoverRun string          `json:"failoverRunId,omitempty"`
	FailbackID  string          `json:"failbackWorkflowId,omitempty"`
	FailbackRun string          `json:"failbackRunId,omitempty"`
	Failover    *FailoverReport `json:"failover,omitempty"`
	Failback    *FailbackReport `json:"failback,omitempty"`
	Rows        []DrillRow      `json:"rows"`
	OverBudget  int             `json:"overBudget"`
	Lessons     []string        `json:"lessons"`
}

type drill struct {
	r        *run
	req      DrillRequest
	t        topology.Topology
	rep      *DrillReport
	injected bool // an outage is in place that the drill must lift, whatever happens
	restore  map[string]string
	// modes: version dnsModes, so the checklist reads DNS the way dns.mode moves it.
	modes bool
}

// DRDrill rehearses a region outage end to end: readiness, the disaster (an injected outage in awssim, a
// planned Aurora switchover on real AWS), RegionFailover, the validation checklist, the disaster lifted,
// Failback, and a report of measured RTO and RPO and of every step against its runbook budget.
func DRDrill(ctx workflow.Context, req DrillRequest) (DrillReport, error) {
	req.adoptLimits(ctx)
	if err := req.Validate(); err != nil {
		return DrillReport{}, invalid(err)
	}
	r, err := start(ctx, drillScenario, &req.Common)
	if err != nil {
		return DrillReport{}, err
	}
	d := &drill{r: r, req: req, t: req.Topology, rep: &DrillReport{Scenario: "region-outage", Mode: req.Mode, Forced: req.Force, Lessons: []string{}}}
	d.modes = version(ctx, dnsModes) >= 1
	err = d.execute()
	if d.injected {
		// Never leave a drill's disaster behind: lift it on a context a cancellation cannot stop.
		dctx, _ := workflow.NewDisconnectedContext(ctx)
		r.ctx = dctx
		_ = r.step("lift", "Lift the injected outage (cleanup)", stepOpts{Critical: true}, d.lift)
	}
	// A drill that stops early pages nothing itself: it is an exercise someone started and watches, its
	// children page for their own runs, and its report says where it stopped.
	phase := r.end(ctx, err, nil)
	rep := drillResult(*d.rep, d.t, r.status.Steps, phase)
	r.metricRPO(rep.Recovery)
	r.finish(phase, rep.RTO)
	rep.RunSummary = r.summary(phase)
	rep.Review, rep.Notes = r.withReview(&rep, nil, rep.Notes)
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
