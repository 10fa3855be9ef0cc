package workflows

import (
	"encoding/json"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/topology"
)

// The runbook's time budgets for Scenario 1, steps 1 to 7; their sum is RunbookSerialBudget.
var failoverBudgets = map[string]time.Duration{
	"assess": 5 * time.Minute, "notify": 5 * time.Minute, "database": 10 * time.Minute, "dns": 5 * time.Minute,
	"activate": 20 * time.Minute, "verify": 10 * time.Minute, "monitor": 10 * time.Minute,
}

var failoverScenario = scenario{Workflow: WorkflowRegionFailover, Key: ScenarioFailover, Gates: []string{GateFailover}, Budgets: failoverBudgets}

// RunbookSerialBudget is what the runbook's Scenario 1 takes when its steps run one after another.
const RunbookSerialBudget = 65 * time.Minute

// FailoverRequest starts RegionFailover: the runbook's Scenario 1, from the topology's primary region to
// its DR region.
type FailoverRequest struct {
	Common
	// MonitorWindow overrides thresholds.monitorWindow: how long DR traffic is watched after the cutover.
	MonitorWindow topology.Duration `json:"monitorWindow,omitempty"`
	// ProbeTimeout bounds each reachability probe of the assessment (default 5s).
	ProbeTimeout topology.Duration `json:"probeTimeout,omitempty"`
	// WaitHeartbeat overrides the heartbeat timeout of the waits (default 30s): how soon a wait whose worker
	// died is resumed by another worker.
	WaitHeartbeat topology.Duration `json:"waitHeartbeat,omitempty"`
	// DNSWait overrides how long resolution may take to answer the DR region in the routing-control and
	// failover-records modes before the DNS step pauses for an operator (default 5m).
	DNSWait topology.Duration `json:"dnsWait,omitempty"`
	// PrepareBeforeGate activates the DR stacks as soon as the assessment finds DR healthy, so they warm while
	// people decide; nothing that moves traffic or writes data happens before the gate, and a rejection,
	// timeout or cancel puts the stacks back. Unset, the topology's stacks.prepareBeforeGate decides.
	PrepareBeforeGate *bool `json:"prepareBeforeGate,omitempty"`
}

func (r *FailoverRequest) UnmarshalJSON(b []byte) error {
	type plain FailoverRequest
	return decodeStrict(b, (*plain)(r), &r.decodeProblem)
}

// Validate is everything the workflow checks before any AWS call; the starter runs it before starting.
func (r *FailoverRequest) Validate() error {
	if es := r.longStrings(r); len(es) > 0 {
		return es
	}
	if err := r.Prepare(); err != nil {
		return err
	}
	es := r.durationProblems(durationField{name: "monitorWindow", v: r.MonitorWindow, max: topology.MaxMonitorWindow},
		durationField{name: "probeTimeout", v: r.ProbeTimeout, min: MinProbeTimeout, max: MaxProbeTimeout}, durationField{name: "waitHeartbeat", v: r.WaitHeartbeat},
		durationField{name: "dnsWait", v: r.DNSWait})
	es = append(es, r.initiatorProblems()...)
	es = append(es, r.prepareProblems()...)
	if len(es) > 0 {
		return es
	}
	return nil
}

// Assessment is what step 1 learned; the approvers read it in the gate summary.
type Assessment struct {
	Primary      activities.Reachability `json:"primary"`
	DR           activities.Reachability `json:"dr"`
	HealthChecks []Observation           `json:"healthChecks"`
	Replicas     []Observation           `json:"replicas"`
	// Reads is Scan --limit 1 on each table in DR: an ACTIVE replica that refuses reads is not a usable one.
	// Empty in runs started before the version assessDRScan.
	Reads []Observation `json:"reads,omitempty"`
	// Tables replaces Replicas and Reads when the tables are read in batches (version batchedReads).
	Tables    *TableReads   `json:"tables,omitempty"`
	AuroraLag time.Duration `json:"auroraLag"`
	// RPOKnown is false when the lag could not be read: the approval must then accept data loss.
	RPOKnown    bool          `json:"rpoKnown"`
	RPOEstimate time.Duration `json:"rpoEstimate"`
	Findings    []string      `json:"findings,omitempty"`
	// RoutingControls are the ARC routing controls' states, read through the cluster (version dnsModes,
	// routing controls configured).
	RoutingControls *activities.RoutingControlStates `json:"routingControls,omitempty"`
}

// FailoverReport is RegionFailover's result. Its Recovery's RPO is the Aurora replication lag at the
// assessment: an estimate of the writes lost.
type FailoverReport struct {
	RunSummary
	Recovery
	PrimaryRegion string      `json:"primaryRegion"`
	DRRegion      string      `json:"drRegion"`
	FailoverMode  string      `json:"failoverMode"`
	Assessment    *Assessment `json:"assessment,omitempty"`
	// Actions lists every change made to AWS, in the order the calls returned.
	Actions []string       `json:"actions"`
	Verify  *VerifyResult  `json:"verify,omitempty"`
	Monitor *MonitorResult `json:"monitor,omitempty"`
	// ValidatedAt is when verification and monitoring passed; RTO runs from DetectedAt to it.
	ValidatedAt time.Time `json:"validatedAt,omitzero"`
	// Preparation is what prepareBeforeGate did before the gate, and how much of it overlapped the wait.
	Preparation *Preparation `json:"preparation,omitempty"`
}

// failover carries one run's state between its steps.
type failover struct {
	r    *run
	req  FailoverRequest
	t    topology.Topology
	into *regionSteps
	rep  *FailoverReport
	// rto runs from detection to ValidatedAt; it is set once monitoring is over.
	rto time.Duration
	// prep is the preparation started before the gate (prepareBeforeGate), nil without one.
	prep *preparation
}

// RegionFailover is the runbook's Scenario 1: assess, page, gate, then fail Aurora over and activate the DR
// stacks in parallel, cut DNS over, verify, monitor, communicate and report RTO and RPO.
func RegionFailover(ctx workflow.Context, req FailoverRequest) (FailoverReport, error) {
	req.adoptLimits(ctx)
	if err := req.Validate(); err != nil {
		return FailoverReport{}, invalid(err)
	}
	t := req.Topology
	r, err := start(ctx, failoverScenario, &req.Common)
	if err != nil {
		return FailoverReport{}, err
	}
	f := &failover{r: r, req: req, t: t, rep: &FailoverReport{PrimaryRegion: t.PrimaryRegion, DRRegion: t.DRRegion, FailoverMode: t.Aurora.FailoverMode},
		into: &regionSteps{r: r, t: t, heartbeat: req.WaitHeartbeat.D(), window: req.MonitorWindow.D(),
			to: regionTarget{Region: t.DRRegion, HealthURL: t.API.HealthURLs[t.DRRegion], Writer: t.Aurora.DRClusterID, DSNEnv: t.Aurora.DSNEnv}}}
	f.into.modes, f.into.dnsWait = version(ctx, dnsModes) >= 1, req.DNSWait.D()
	phase := r.end(ctx, f.execute(), r.doneSoFar)
	r.finish(phase, f.rto)
	rep := f.report(phase)
	rep.Review, rep.Notes = r.withReview(nil, &rep, rep.Notes)
	return rep, nil
}

func (f *failover) execute() error {
	r, t := f.r, f.t
	if err := r.step("assess", "1. Assess the situation", stepOpts{Critical: true}, f.assess); err != nil {
		return err
	}
	if f.req.prepares() && version(r.ctx, prepareGate) >= 1 {
		f.startPreparation()
	}
	if err := r.step("notify", "2. Activate the incident response team", stepOpts{}, f.page); err != nil {
		f.revertPreparation(Approval{})
		return err
	}
	ackNeeded := needsDataLossAck(f.rep.Assessment, t.Objectives)
	opened := workflow.Now(r.ctx)
	ap, err := r.gate(GateFailover, gateOpts{Summary: failoverGateSummary(t, f.rep.Assessment, ackNeeded, f.into.modes), RequireDataLossAck: ackNeeded})
	f.prep.gateEnded(opened, workflow.Now(r.ctx))
	if err != nil {
		f.revertPreparation(ap)
		return err
	}
	err = r.parallel(
		func(ctx workflow.Context) error {
			return r.stepIn(ctx, "database", "3. Fail Aurora over to "+t.DRRegion, stepOpts{Critical: true}, f.database)
		},
		func(ctx workflow.Context) error {
			return r.stepIn(ctx, "activate", "5. Activate services in "+t.DRRegion, stepOpts{Critical: true}, f.activate)
		},
	)
	f.awaitPreparation()
	if err != nil {
		return err
	}
	if err := r.step("dns", "4. Cut DNS over to "+t.DRRegion, stepOpts{Critical: true}, f.into.dns); err != nil {
		return err
	}
	if err := r.step("verify", "6. Verify services in "+t.DRRegion, stepOpts{Critical: true}, f.into.verify); err != nil {
		return err
	}
	f.rep.ValidatedAt = workflow.Now(r.ctx)
	if err := r.step("monitor", "7. Monitor and validate", stepOpts{}, f.into.monitor); err != nil {
		return err
	}
	if rec := r.status.Step("monitor"); rec != nil && rec.Outcome == OutcomeOK {
		f.rep.ValidatedAt = rec.Ended
	}
	f.rto = f.rep.ValidatedAt.Sub(r.status.DetectedAt)
	return r.step("communicate", "8. Communicate status", stepOpts{}, f.communicate)
}

func (f *failover) report(phase string) FailoverReport {
	rep := *f.rep
	rep.RunSummary = f.r.summary(phase)
	rep.Actions = append([]string{}, f.r.actions...)
	rep.Verify, rep.Monitor = f.into.verified, f.into.monitored
	rto := f.rto
	if phase != PhaseCompleted && rep.ValidatedAt.IsZero() {
		rto = 0
	}
	var rpo time.Duration
	rpoKnown := false
	if as := rep.Assessment; as != nil {
		rpo, rpoKnown = as.RPOEstimate, as.RPOKnown
	}
	rep.Recovery = measure(f.t.Objectives, rto, rpo, rpoKnown, failoverChecklist(f.t, rep.Assessment, rep.Verify, rep.Monitor))
	f.r.metricRPO(rep.Recovery)
	return rep
}

var _ json.Unmarshaler = (*FailoverRequest)(nil)
