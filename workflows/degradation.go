package workflows

import (
	"encoding/json"
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/roadcall/dr/internal/topology"
)

// degradationBudgets are the runbook's time budgets of Scenario 2: only "Identify Affected Services"
// has a figure (5 minutes); the other steps have none to be measured against.
var degradationBudgets = map[string]time.Duration{"identify": 5 * time.Minute}

var degradationScenario = scenario{Workflow: WorkflowDegradation, Key: ScenarioDegradation,
	Gates: []string{GateDegradationPlan, GateDegradationRevert}, Budgets: degradationBudgets}

// DegradationRequest starts PartialDegradation, the runbook's Scenario 2. Everything but the topology is an
// optional override of the topology's degradation settings and thresholds for this run.
type DegradationRequest struct {
	Common
	// Region to examine and scale (default: topology degradation.region, else the primary region).
	Region string `json:"region,omitempty"`
	// Functions and Tables narrow the examination to these (default: every one in the topology).
	Functions []string `json:"functions,omitempty"`
	Tables    []string `json:"tables,omitempty"`
	// Thresholds override the topology's, per minute for counts.
	Thresholds *DegradationThresholds `json:"thresholds,omitempty"`
	// ReservedConcurrency, ReadCapacity and WriteCapacity override degradation's scaling targets.
	ReservedConcurrency *int32 `json:"reservedConcurrency,omitempty"`
	ReadCapacity        *int64 `json:"readCapacity,omitempty"`
	WriteCapacity       *int64 `json:"writeCapacity,omitempty"`
	// withoutScopeLimit: a run recorded before scopeBounds, replayed as it ran.
	withoutScopeLimit bool
}

// DegradationThresholds override topology thresholds; nil fields keep the topology's.
type DegradationThresholds struct {
	LambdaErrors            *float64           `json:"lambdaErrors,omitempty"`
	LambdaThrottles         *float64           `json:"lambdaThrottles,omitempty"`
	DynamoThrottledRequests *float64           `json:"dynamoThrottledRequests,omitempty"`
	DynamoUserErrors        *float64           `json:"dynamoUserErrors,omitempty"`
	Error5xxRate            *float64           `json:"error5xxRate,omitempty"`
	LatencyP95              *topology.Duration `json:"latencyP95,omitempty"`
}

func (q *DegradationRequest) UnmarshalJSON(b []byte) error {
	type plain DegradationRequest
	return decodeStrict(b, (*plain)(q), &q.decodeProblem)
}

// Validate is everything the workflow checks before any AWS call; the starter runs it before starting.
func (q *DegradationRequest) Validate() error {
	if es := q.longStrings(q); len(es) > 0 {
		return es
	}
	if err := q.Prepare(); err != nil {
		return err
	}
	t := q.Topology
	var es topology.Errors
	add := func(field, problem, fix string) {
		es = append(es, topology.FieldError{Field: field, Problem: problem, Fix: fix})
	}
	if q.Region != "" && q.Region != t.PrimaryRegion && q.Region != t.DRRegion {
		add("region", fmt.Sprintf("%q is neither primaryRegion (%s) nor drRegion (%s)", q.Region, t.PrimaryRegion, t.DRRegion), "name one of the platform's regions")
	}
	for i, f := range q.Functions {
		if !t.HasFunction(f) {
			add(fmt.Sprintf("functions[%d]", i), fmt.Sprintf("%q is not a function of the topology (%s)", f, topology.NameList(t.FunctionNames())), "name a function listed in topology.functions")
		}
	}
	for i, tb := range q.Tables {
		if !t.HasTable(tb) {
			add(fmt.Sprintf("tables[%d]", i), fmt.Sprintf("%q is not a table of the topology (%s)", tb, topology.NameList(t.TableNames())), "name a table listed in topology.tables")
		}
	}
	if th := q.Thresholds; th != nil {
		for _, f := range []struct {
			name string
			v    *float64
		}{{"lambdaErrors", th.LambdaErrors}, {"lambdaThrottles", th.LambdaThrottles}, {"dynamoThrottledRequests", th.DynamoThrottledRequests},
			{"dynamoUserErrors", th.DynamoUserErrors}, {"error5xxRate", th.Error5xxRate}} {
			if f.v != nil && *f.v <= 0 {
				add("thresholds."+f.name, fmt.Sprintf("must be positive, got %v", *f.v), "give a threshold above zero, or leave it out for the topology's")
			}
		}
		if th.LatencyP95 != nil && *th.LatencyP95 <= 0 {
			add("thresholds.latencyP95", fmt.Sprintf("must be positive, got %s", *th.LatencyP95), "give a duration such as \"300ms\"")
		}
	}
	if q.ReservedConcurrency != nil && *q.ReservedConcurrency <= 0 {
		add("reservedConcurrency", fmt.Sprintf("must be positive, got %d", *q.ReservedConcurrency), "give the reserved concurrency to set, e.g. 500")
	}
	if q.ReadCapacity != nil && *q.ReadCapacity <= 0 {
		add("readCapacity", fmt.Sprintf("must be positive, got %d", *q.ReadCapacity), "give the read capacity units to provision, e.g. 1000")
	}
	if q.WriteCapacity != nil && *q.WriteCapacity <= 0 {
		add("writeCapacity", fmt.Sprintf("must be positive, got %d", *q.WriteCapacity), "give the write capacity units to provision, e.g. 500")
	}
	es = append(es, q.initiatorProblems()...)
	es = append(es, q.scopeProblems()...)
	if len(es) > 0 {
		return es
	}
	return nil
}

// resolved returns the request's effective region, scope, thresholds and targets: overrides folded into
// the topology's degradation settings.
func (q DegradationRequest) resolved() (region string, fns, tables []string, th topology.Thresholds, dg topology.Degradation) {
	t := q.Topology
	th, dg = t.Thresholds, t.Degradation
	region = t.PrimaryRegion
	if dg.Region != "" {
		region = dg.Region
	}
	if q.Region != "" {
		region = q.Region
	}
	fns, tables = q.Functions, q.Tables
	if len(fns) == 0 {
		fns = t.FunctionNames()
	}
	if len(tables) == 0 {
		tables = t.TableNames()
	}
	if o := q.Thresholds; o != nil {
		set := func(dst *float64, v *float64) {
			if v != nil {
				*dst = *v
			}
		}
		set(&th.LambdaErrors, o.LambdaErrors)
		set(&th.LambdaThrottles, o.LambdaThrottles)
		set(&th.DynamoThrottledRequest, o.DynamoThrottledRequests)
		set(&th.DynamoUserErrors, o.DynamoUserErrors)
		set(&th.Error5xxRate, o.Error5xxRate)
		if o.LatencyP95 != nil {
			th.LatencyP95 = *o.LatencyP95
		}
	}
	if q.ReservedConcurrency != nil {
		dg.ReservedConcurrency = *q.ReservedConcurrency
	}
	if q.ReadCapacity != nil {
		dg.ReadCapacity = *q.ReadCapacity
	}
	if q.WriteCapacity != nil {
		dg.WriteCapacity = *q.WriteCapacity
	}
	dg.Region = region
	return region, fns, tables, th, dg
}

// DegradationReport is PartialDegradation's result.
type DegradationReport struct {
	RunSummary
	Result string `json:"result"`
	Region string `json:"region"`
	// Affected are the functions and tables over a threshold: what the plan acts on.
	Affected []AffectedResource `json:"affected"`
	// Symptoms are over-threshold readings that capacity does not fix (API 5XX and latency, the region's
	// DynamoDB UserErrors) and that the watch waits to see recover too.
	Symptoms []AffectedResource `json:"symptoms,omitempty"`
	Fallback *FallbackCheck     `json:"fallback,omitempty"`
	Plan     []ScalingAction    `json:"plan,omitempty"`
	// Previous are the settings recorded before applying, as the actions that restore them.
	Previous []ScalingAction `json:"previous,omitempty"`
	// Applied and RevertedActions list what changed in AWS (an idempotent repeat that found the target in
	// place is not listed).
	Applied         []string     `json:"applied,omitempty"`
	RevertedActions []string     `json:"revertedActions,omitempty"`
	Watch           WatchSummary `json:"watch"`
	Reverted        bool         `json:"reverted"`
	RevertedBy      string       `json:"revertedBy,omitempty"`
	// KeptScaled is set when the scaled settings were left in place; RestoreCommands then restore by hand.
	KeptScaled      bool     `json:"keptScaled"`
	RestoreCommands []string `json:"restoreCommands,omitempty"`
}

// PartialDegradation is the runbook's Scenario 2: identify the degraded functions and tables from
// CloudWatch, check the fallback path, put the scaling plan to the "plan" gate, record the current
// settings and scale, watch until every affected resource is healthy for healthyPeriods consecutive
// periods (escalating by SNS; at the watch deadline the operator retries = keeps watching, skips = stops
// watching and keeps the scaled settings, or aborts = reverts), then restore the recorded settings after
// the stable period or sooner when the "revert" gate is approved (rejecting it keeps the scaled settings).
// Cancelling or aborting after anything was applied restores the recorded settings.
func PartialDegradation(ctx workflow.Context, req DegradationRequest) (DegradationReport, error) {
	req.adoptLimits(ctx)
	req.withoutScopeLimit = version(ctx, scopeBounds) == workflow.DefaultVersion
	if err := req.Validate(); err != nil {
		return DegradationReport{}, invalid(err)
	}
	r, err := start(ctx, degradationScenario, &req.Common)
	if err != nil {
		return DegradationReport{}, err
	}
	t := req.Topology
	d := &degradation{r: r, t: t, rep: &DegradationReport{Affected: []AffectedResource{}}}
	d.region, d.fns, d.tables, d.th, d.dg = req.resolved()
	d.rep.Region = d.region
	d.rep.Watch.HealthyPeriods = d.dg.HealthyPeriods

	err = d.execute()
	phase := r.settle(ctx, err)
	if ap := degLastApproval(r.status.Approvals, GateDegradationPlan); phase == PhaseAborted && ap != nil && ap.Decision == "reject" {
		phase = PhaseRejected
	}
	if err != nil && d.applied && !d.rep.Reverted && !d.rep.KeptScaled && !d.revertAborted {
		d.compensate("run " + phase)
	}
	degConclude(d.rep, d.applied)
	// Page on every end but a quiet one: anything changed in AWS, or the run did not complete.
	if phase != PhaseCompleted || d.applied {
		r.notify(fmt.Sprintf("PartialDegradation %s in %s %s: %s", t.ID(), d.region, phase, d.rep.Result), degStory(d.rep, d.applied))
	}
	var ttr time.Duration
	if d.rep.Watch.Recovered {
		ttr = d.rep.Watch.RecoveredAt.Sub(r.status.DetectedAt)
	}
	r.finish(phase, ttr)
	r.upsert(SAOutcome.ValueSet(d.rep.Result))
	d.rep.RunSummary = r.summary(phase)
	return *d.rep, nil
}

func (d *degradation) execute() error {
	r := d.r
	if err := r.step("identify", "1. Identify affected services (CloudWatch, last 15 minutes)", stepOpts{Critical: true}, d.identify); err != nil {
		return err
	}
	if len(d.rep.Affected) == 0 && len(d.rep.Symptoms) == 0 {
		d.rep.Result = DegNothingToDo
		r.note(fmt.Sprintf("no function or table in %s is over its thresholds: nothing to do, nothing changed", d.region))
		return nil
	}
	if err := r.step("circuit-breakers", "2. Verify fallback mechanisms (circuit breakers)", stepOpts{}, d.circuitBreakers); err != nil {
		return err
	}
	d.autoScaled = degAutoScaled(r.ctx)
	d.rep.Plan = degPlan(d.rep.Affected, d.dg, d.autoScaled)
	if len(d.rep.Plan) == 0 {
		d.rep.Result = DegNothingToScale
		r.note("the readings over threshold are not ones that reserved concurrency or provisioned capacity fix; nothing changed: investigate " + degAffectedList(d.rep))
		r.notify(fmt.Sprintf("PartialDegradation %s: degraded in %s, nothing to scale", d.t.ID(), d.region), degStory(d.rep, d.applied))
		return nil
	}
	if ap, err := r.gate(GateDegradationPlan, gateOpts{Summary: degPlanSummary(d.rep, d.dg)}); err != nil {
		switch {
		case ap.Decision == "reject":
			d.rep.Result = DegRejected
		case ap.Decision == "timeout":
			d.rep.Result = DegNoDecision
		}
		return err
	}
	if err := r.step("record", "Record the current settings before scaling", stepOpts{Critical: true}, d.record); err != nil {
		return err
	}
	if err := r.step("scale", "3. Scale resources (reserved concurrency, provisioned capacity)", stepOpts{Critical: true}, d.apply); err != nil {
		return err
	}
	title := fmt.Sprintf("4. Monitor recovery until healthy for %d periods of %s", d.dg.HealthyPeriods, d.dg.Period)
	if err := r.step("watch", title, stepOpts{}, d.watch); err != nil {
		return err
	}
	if !d.rep.Watch.Recovered {
		d.rep.KeptScaled, d.rep.Result = true, DegNotRecoveredKept
		r.note("watch stopped by the operator before recovery: the scaled settings stay in place")
		return nil
	}
	by, err := d.awaitRevert()
	if err != nil {
		return err
	}
	if by == "" {
		d.rep.KeptScaled, d.rep.Result = true, DegRecoveredKept
		return nil
	}
	if err := d.revert(r.ctx, by); err != nil {
		return err
	}
	d.rep.Result = DegRecoveredReverted
	return nil
}

var _ json.Unmarshaler = (*DegradationRequest)(nil)
