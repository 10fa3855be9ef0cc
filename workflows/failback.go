package workflows

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/roadcall/dr/internal/topology"
)

// How the Aurora writer gets back to the primary region.
const (
	AuroraSwitchover     = "switchover"      // global database intact: wait for lag near zero, SwitchoverGlobalCluster
	AuroraAlreadyPrimary = "already-primary" // the primary's cluster already writes for the global database
	AuroraRebuild        = "rebuild"         // DR cluster detached or promoted: snapshot, operator rebuild, gated
)

var failbackScenario = scenario{Workflow: WorkflowFailback, Key: ScenarioFailback, Gates: []string{GateRebuild, GateFailback}, Budgets: failbackBudgets}

// The runbook's time budgets of the "Failback Procedure" (steps 1 to 5); the database switchover and the
// decommission take the Scenario 1 budgets of the same work.
var failbackBudgets = map[string]time.Duration{
	"verify-primary": 15 * time.Minute, "data-sync": 30 * time.Minute, "database": 10 * time.Minute, "dns": 5 * time.Minute,
	"verify": 10 * time.Minute, "monitor": 15 * time.Minute, "decommission": 20 * time.Minute,
}

// FailbackRequest starts Failback: the runbook's "Failback Procedure", from the DR region back to the
// topology's primary region.
type FailbackRequest struct {
	Common
	// MonitorWindow overrides thresholds.monitorWindow: how long primary traffic is watched after DNS moves.
	MonitorWindow topology.Duration `json:"monitorWindow,omitempty"`
	// WaitHeartbeat overrides the heartbeat timeout of the waits (default 30s).
	WaitHeartbeat topology.Duration `json:"waitHeartbeat,omitempty"`
	// RestoreDRMode is the DR-mode parameter each DR stack had before the failover (a drill records it);
	// stacks not named go back to "false", the standby setting.
	RestoreDRMode map[string]string `json:"restoreDrMode,omitempty"`
	// DecommissionCommand is argv that scales DR down in the command activation mode; by default the
	// topology's deploy command with drMode=true turned into drMode=false.
	DecommissionCommand []string `json:"decommissionCommand,omitempty"`
	// RebuildTimeout bounds the wait for an operator's rebuild of a detached primary (default 24h).
	RebuildTimeout topology.Duration `json:"rebuildTimeout,omitempty"`
	// DNSWait overrides how long resolution may take to answer the primary in the routing-control and
	// failover-records modes before the DNS step pauses for an operator (default 5m).
	DNSWait topology.Duration `json:"dnsWait,omitempty"`
}

func (r *FailbackRequest) UnmarshalJSON(b []byte) error {
	type plain FailbackRequest
	return decodeStrict(b, (*plain)(r), &r.decodeProblem)
}

// Validate is everything the workflow checks before any AWS call; the starter runs it before starting.
func (r *FailbackRequest) Validate() error {
	if es := r.longStrings(r); len(es) > 0 {
		return es
	}
	if err := r.Prepare(); err != nil {
		return err
	}
	t := r.Topology
	es := r.durationProblems(durationField{name: "monitorWindow", v: r.MonitorWindow, max: topology.MaxMonitorWindow}, durationField{name: "waitHeartbeat", v: r.WaitHeartbeat},
		durationField{name: "rebuildTimeout", v: r.RebuildTimeout}, durationField{name: "dnsWait", v: r.DNSWait})
	for _, stack := range sortedKeys(r.RestoreDRMode) {
		if !slices.Contains(t.Stacks.Names, stack) {
			es = append(es, topology.FieldError{Field: "restoreDrMode." + stack, Problem: "is not a DR stack of the topology",
				Fix: "name one of " + strings.Join(t.Stacks.Names, ", ")})
		}
	}
	if t.Stacks.Activation == topology.ActivationCommand && t.Stacks.Deploy == "" && len(r.decommissionArgv()) == 0 {
		es = append(es, topology.FieldError{Field: "decommissionCommand", Problem: "is missing and the deploy command has no drMode=true to turn off",
			Fix: "give the command that scales DR back down, e.g. [\"pnpm\",\"cdk\",\"deploy\",\"--all\",\"--context\",\"drMode=false\"]"})
	}
	es = append(es, r.initiatorProblems()...)
	if len(es) > 0 {
		return es
	}
	return nil
}

// SyncResult is step 2: is the data where the primary can serve it?
type SyncResult struct {
	Tables     []Observation `json:"tables"`
	AuroraPath string        `json:"auroraPath"`
	AuroraLag  time.Duration `json:"auroraLag,omitempty"`
	Aurora     string        `json:"aurora"`
}

// FailbackReport is Failback's result. Its Recovery's RTO runs from the start to the primary verified
// serving; its RPO is 0 when the writer moved by switchover (or never moved), unknown after a rebuild.
type FailbackReport struct {
	RunSummary
	Recovery
	PrimaryRegion string `json:"primaryRegion"`
	DRRegion      string `json:"drRegion"`
	// Precheck is step 1: the record has moved to DR and the primary is healthy.
	Precheck   []CheckRow  `json:"precheck"`
	Sync       *SyncResult `json:"sync,omitempty"`
	AuroraPath string      `json:"auroraPath,omitempty"`
	// Plan is where the pre-check found things and the moves back it chose (version failbackPartial).
	Plan *ReturnPlan `json:"plan,omitempty"`
	// Snapshot is the DR cluster snapshot taken on the rebuild path.
	Snapshot string         `json:"snapshot,omitempty"`
	Actions  []string       `json:"actions"`
	Verify   *VerifyResult  `json:"verify,omitempty"`
	Monitor  *MonitorResult `json:"monitor,omitempty"`
	// ValidatedAt is when the primary was verified serving; RTO runs from DetectedAt (the start) to it.
	ValidatedAt time.Time `json:"validatedAt,omitzero"`
}

// errRefused ends a failback at its pre-check.
var errRefused = errors.New("failback refused")

type failback struct {
	r    *run
	req  FailbackRequest
	t    topology.Topology
	into *regionSteps
	// partial (version failbackPartial): plan from where things are, and make only the planned moves.
	partial bool
	rep     *FailbackReport
	rto     time.Duration
}

// Failback is the runbook's "Failback Procedure": verify the primary, check the data is in sync, gate,
// move the Aurora writer back (planned switchover, RPO 0), point DNS at the primary, verify and monitor
// it, then scale DR back down to standby with replication kept. It reads where things are first, so a
// failover cancelled or terminated half way comes back with only the moves it needs. It refuses, changing
// nothing, when nothing is away from the primary or the primary is not healthy yet.
func Failback(ctx workflow.Context, req FailbackRequest) (FailbackReport, error) {
	req.adoptLimits(ctx)
	if err := req.Validate(); err != nil {
		return FailbackReport{}, invalid(err)
	}
	t := req.Topology
	r, err := start(ctx, failbackScenario, &req.Common)
	if err != nil {
		return FailbackReport{}, err
	}
	if r.policy != nil && len(req.DecommissionCommand) > 0 {
		return FailbackReport{}, invalid(topology.Errors{{Field: "decommissionCommand", Problem: "carries a command line: requests name a command, never carry one",
			Fix: "leave it out: the failback runs the policy's stacks.deploy command with DR_MODE=false"}})
	}
	// The DSN names the DR writer, so the primary's database check is left out rather than run against the
	// wrong cluster.
	fb := &failback{r: r, req: req, t: t, rep: &FailbackReport{PrimaryRegion: t.PrimaryRegion, DRRegion: t.DRRegion},
		into: &regionSteps{r: r, t: t, heartbeat: req.WaitHeartbeat.D(), window: req.MonitorWindow.D(),
			to: regionTarget{Region: t.PrimaryRegion, HealthURL: t.API.HealthURLs[t.PrimaryRegion], Writer: t.Aurora.PrimaryClusterID}}}
	fb.into.modes, fb.into.dnsWait = version(ctx, dnsModes) >= 1, req.DNSWait.D()
	fb.partial = fb.into.modes && version(ctx, failbackPartial) >= 1
	err = fb.execute()
	if errors.Is(err, errRefused) {
		r.finish(PhaseRefused, 0)
		return FailbackReport{}, temporal.NewNonRetryableApplicationError(refusal(t, fb.rep.Precheck), ErrFailbackRefused, nil, fb.rep.Precheck)
	}
	phase := r.end(ctx, err, r.doneSoFar)
	r.finish(phase, fb.rto)
	return fb.report(phase), nil
}

func (fb *failback) execute() error {
	r, t := fb.r, fb.t
	if err := r.step("verify-primary", "1. Verify the primary region's health", stepOpts{Critical: true}, fb.precheck); err != nil {
		return err
	}
	if refused(fb.rep.Precheck) {
		rec := r.status.Step("verify-primary")
		rec.Outcome, rec.Error = OutcomeFailed, refusal(t, fb.rep.Precheck)
		r.status.LastError = "verify-primary: " + rec.Error
		r.publish()
		return errRefused
	}
	if err := r.step("data-sync", "2. Verify data is in sync", stepOpts{Critical: true}, fb.sync); err != nil {
		return err
	}
	if fb.rep.AuroraPath == AuroraRebuild {
		if _, err := r.gate(GateRebuild, gateOpts{Summary: rebuildSummary(t, fb.rep.Sync.Aurora, fb.snapshotID())}); err != nil {
			return err
		}
		if err := r.step("snapshot", "2. Snapshot the DR cluster "+t.Aurora.DRClusterID, stepOpts{Critical: true}, fb.snapshot); err != nil {
			return err
		}
		if err := r.step("rebuild", "2. Wait for the operator's rebuild of the primary cluster", stepOpts{Critical: true}, fb.awaitRebuild); err != nil {
			return err
		}
	}
	summary := failbackGateSummary(t, fb.rep, fb.req.decommissionArgv(), fb.into.modes)
	if fb.rep.Plan != nil {
		summary = returnGateSummary(t, fb.rep, fb.req.decommissionArgv())
	}
	if _, err := r.gate(GateFailback, gateOpts{Summary: summary}); err != nil {
		return err
	}
	if fb.rep.AuroraPath == AuroraSwitchover {
		if err := r.step("database", "2. Switch the Aurora writer back to "+t.PrimaryRegion+" (RPO 0)", stepOpts{Critical: true}, fb.switchover); err != nil {
			return err
		}
	}
	if fb.rep.Plan == nil || fb.rep.Plan.DNS {
		if err := r.step("dns", "3. Point DNS back to "+t.PrimaryRegion, stepOpts{Critical: true}, fb.into.dns); err != nil {
			return err
		}
	}
	if err := r.step("verify", "4. Verify services in "+t.PrimaryRegion, stepOpts{Critical: true}, fb.into.verify); err != nil {
		return err
	}
	fb.rep.ValidatedAt = workflow.Now(r.ctx)
	if err := r.step("monitor", "4. Monitor the failback", stepOpts{}, fb.into.monitor); err != nil {
		return err
	}
	if rec := r.status.Step("monitor"); rec != nil && rec.Outcome == OutcomeOK {
		fb.rep.ValidatedAt = rec.Ended
	}
	fb.rto = fb.rep.ValidatedAt.Sub(r.status.DetectedAt)
	if p := fb.rep.Plan; p != nil && len(p.Stacks) == 0 && !p.Decommission {
		return r.step("communicate", "Communicate status", stepOpts{}, fb.communicate)
	}
	// Scaling DR down is not critical: the service is back; an operator may skip it and finish by hand.
	if err := r.step("decommission", "5. Decommission DR active resources (replication kept)", stepOpts{}, fb.decommission); err != nil {
		return err
	}
	return r.step("communicate", "Communicate status", stepOpts{}, fb.communicate)
}

func (fb *failback) report(phase string) FailbackReport {
	rep := *fb.rep
	rep.RunSummary = fb.r.summary(phase)
	rep.Actions = append([]string{}, fb.r.actions...)
	rep.Verify, rep.Monitor = fb.into.verified, fb.into.monitored
	rto := fb.rto
	if phase != PhaseCompleted && rep.ValidatedAt.IsZero() {
		rto = 0
	}
	rpoKnown := rpoVouched(rep.AuroraPath)
	rep.Recovery = measure(fb.t.Objectives, rto, 0, rpoKnown, failbackChecklist(fb.t, rep.AuroraPath, rep.Verify, rep.Monitor))
	fb.r.metricRPO(rep.Recovery)
	return rep
}

var _ json.Unmarshaler = (*FailbackRequest)(nil)
