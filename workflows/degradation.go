package workflows

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/topology"
)

// Results of a PartialDegradation run (DegradationReport.Result).
const (
	DegNothingToDo       = "nothing-to-do"      // no function or table over its thresholds; nothing changed
	DegNothingToScale    = "nothing-to-scale"   // symptoms only (API errors or latency, DynamoDB UserErrors) that capacity does not fix
	DegRejected          = "rejected"           // the plan was rejected; nothing changed
	DegNoDecision        = "no-decision"        // nobody decided on the plan before its deadline; nothing changed
	DegRecoveredReverted = "recovered-reverted" // applied, recovered, restored to the recorded settings
	DegRecoveredKept     = "recovered-kept"     // applied, recovered, revert rejected: scaled settings stay
	DegNotRecoveredKept  = "not-recovered-kept" // applied, the operator stopped watching: scaled settings stay
	DegReverted          = "reverted"           // applied, then aborted or cancelled: restored to the recorded settings
	DegRevertIncomplete  = "revert-incomplete"  // a restore failed: see the report's restore commands
	DegStopped           = "stopped"            // aborted or cancelled before anything was applied
)

// Severities of an affected resource, from how far its worst metric is over the threshold.
const (
	SeverityCritical = "critical" // 5× the threshold or more
	SeverityMajor    = "major"    // 2× or more
	SeverityMinor    = "minor"    // over the threshold
)

var degradationScenario = scenario{Workflow: WorkflowDegradation, Key: ScenarioDegradation, Gates: []string{GateDegradationPlan, GateDegradationRevert}}

// identifyWindow is the runbook's "last 15 minutes"; metrics are read as one-minute datapoints.
const identifyWindow = 15 * time.Minute

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
			add(fmt.Sprintf("functions[%d]", i), fmt.Sprintf("%q is not a function of the topology (%s)", f, strings.Join(t.FunctionNames(), ", ")), "name a function listed in topology.functions")
		}
	}
	for i, tb := range q.Tables {
		if !t.HasTable(tb) {
			add(fmt.Sprintf("tables[%d]", i), fmt.Sprintf("%q is not a table of the topology (%s)", tb, strings.Join(t.TableNames(), ", ")), "name a table listed in topology.tables")
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

// Evidence is one metric compared with its threshold.
type Evidence struct {
	Metric    string  `json:"metric"`
	Stat      string  `json:"stat"`
	Value     float64 `json:"value"`
	Threshold float64 `json:"threshold"`
	// Unit says how to read Value: "per minute" for counts, "ms", or "rate" (0..1).
	Unit     string `json:"unit"`
	Breached bool   `json:"breached"`
	// NoData: CloudWatch returned no datapoints (nothing invoked or nothing published), read as healthy.
	NoData bool `json:"noData,omitempty"`
}

func (e Evidence) String() string {
	op := "≤"
	if e.Breached {
		op = ">"
	}
	v := fmt.Sprintf("%s %s %g %s %g %s", e.Metric, e.Stat, degRound(e.Value), op, e.Threshold, e.Unit)
	if e.NoData {
		v += " (no data)"
	}
	return v
}

func degRound(v float64) float64 { return math.Round(v*100) / 100 }

// AffectedResource is a resource over at least one threshold.
type AffectedResource struct {
	Kind     string     `json:"kind"` // function, table or api
	Name     string     `json:"name"`
	Region   string     `json:"region"`
	Severity string     `json:"severity"`
	Evidence []Evidence `json:"evidence"`
}

func (r AffectedResource) String() string {
	var ev []string
	for _, e := range r.Evidence {
		if e.Breached {
			ev = append(ev, e.String())
		}
	}
	return fmt.Sprintf("%s %s %s [%s]: %s", strings.ToUpper(r.Severity), r.Kind, r.Name, r.Region, strings.Join(ev, "; "))
}

// ScalingAction is one change of the plan, or the restore of one recorded setting.
type ScalingAction struct {
	Kind     string `json:"kind"` // lambda-concurrency or dynamodb-capacity
	Resource string `json:"resource"`
	Region   string `json:"region"`
	// Reserved is the function's reserved concurrency; nil means none (restored with a delete).
	Reserved *int32 `json:"reserved,omitempty"`
	// Capacity is the table's billing mode and capacity.
	Capacity *activities.TableCapacity `json:"capacity,omitempty"`
}

// Scaling action kinds.
const (
	ActionLambdaConcurrency = "lambda-concurrency"
	ActionDynamoCapacity    = "dynamodb-capacity"
)

func (s ScalingAction) String() string {
	if s.Kind == ActionLambdaConcurrency {
		if s.Reserved == nil {
			return fmt.Sprintf("Lambda %s in %s: no reserved concurrency", s.Resource, s.Region)
		}
		return fmt.Sprintf("Lambda %s in %s: reserved concurrency %d", s.Resource, s.Region, *s.Reserved)
	}
	return fmt.Sprintf("DynamoDB %s in %s: %s", s.Resource, s.Region, s.Capacity)
}

// Command is the AWS CLI equivalent, for the gate, the report and anyone finishing by hand.
func (s ScalingAction) Command() string {
	if s.Kind == ActionLambdaConcurrency {
		if s.Reserved == nil {
			return fmt.Sprintf("aws lambda delete-function-concurrency --function-name %s --region %s", s.Resource, s.Region)
		}
		return fmt.Sprintf("aws lambda put-function-concurrency --function-name %s --reserved-concurrent-executions %d --region %s", s.Resource, *s.Reserved, s.Region)
	}
	c := fmt.Sprintf("aws dynamodb update-table --table-name %s --billing-mode %s", s.Resource, s.Capacity.BillingMode)
	if s.Capacity.BillingMode == activities.BillingProvisioned {
		c += fmt.Sprintf(" --provisioned-throughput ReadCapacityUnits=%d,WriteCapacityUnits=%d", s.Capacity.ReadCapacity, s.Capacity.WriteCapacity)
	}
	return c + " --region " + s.Region
}

// FallbackCheck is the runbook's "verify fallback mechanisms are working": the degraded-mode health URL.
type FallbackCheck struct {
	URL     string `json:"url,omitempty"`
	Checked bool   `json:"checked"`
	Healthy bool   `json:"healthy"`
	State   string `json:"state"`
}

// WatchSummary is how the recovery watch went.
type WatchSummary struct {
	Polls          int       `json:"polls"`
	HealthyStreak  int       `json:"healthyStreak"`
	HealthyPeriods int       `json:"healthyPeriods"`
	Escalations    int       `json:"escalations"`
	Recovered      bool      `json:"recovered"`
	RecoveredAt    time.Time `json:"recoveredAt,omitzero"`
	// Unhealthy is the last poll's evidence over threshold.
	Unhealthy []string `json:"unhealthy,omitempty"`
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
}

// PartialDegradation is the runbook's Scenario 2: identify the degraded functions and tables from
// CloudWatch, check the fallback path, put the scaling plan to the "plan" gate, record the current
// settings and scale, watch until every affected resource is healthy for healthyPeriods consecutive
// periods (escalating by SNS; at the watch deadline the operator retries = keeps watching, skips = stops
// watching and keeps the scaled settings, or aborts = reverts), then restore the recorded settings after
// the stable period or sooner when the "revert" gate is approved (rejecting it keeps the scaled settings).
// Cancelling or aborting after anything was applied restores the recorded settings.
func PartialDegradation(ctx workflow.Context, req DegradationRequest) (DegradationReport, error) {
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
	if ap := degLastApproval(r, GateDegradationPlan); phase == PhaseAborted && ap != nil && ap.Decision == "reject" {
		phase = PhaseRejected
	}
	if err != nil && d.applied && !d.rep.Reverted && !d.rep.KeptScaled && !d.revertAborted {
		d.compensate("run " + phase)
	}
	if d.rep.Result == "" {
		d.rep.Result = DegStopped
	}
	if d.applied && !d.rep.Reverted && !d.rep.KeptScaled {
		d.rep.Result = DegRevertIncomplete
	}
	if d.rep.KeptScaled || d.rep.Result == DegRevertIncomplete {
		for _, p := range d.rep.Previous {
			d.rep.RestoreCommands = append(d.rep.RestoreCommands, p.Command())
		}
	}
	// Page on every end but a quiet one: anything changed in AWS, or the run did not complete.
	if phase != PhaseCompleted || d.applied {
		r.notify(fmt.Sprintf("PartialDegradation %s in %s %s: %s", t.ID(), d.region, phase, d.rep.Result), d.story())
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

func degLastApproval(r *run, gate string) *Approval {
	for i := len(r.status.Approvals) - 1; i >= 0; i-- {
		if r.status.Approvals[i].Gate == gate {
			return &r.status.Approvals[i]
		}
	}
	return nil
}

func (d *degradation) execute() error {
	r := d.r
	if err := r.step("identify", "1. Identify affected services (CloudWatch, last 15 minutes)", stepOpts{Critical: true, Budget: 5 * time.Minute}, d.identify); err != nil {
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
	d.rep.Plan = d.plan()
	if len(d.rep.Plan) == 0 {
		d.rep.Result = DegNothingToScale
		r.note("the readings over threshold are not ones that reserved concurrency or provisioned capacity fix; nothing changed: investigate " + d.affectedList())
		r.notify(fmt.Sprintf("PartialDegradation %s: degraded in %s, nothing to scale", d.t.ID(), d.region), d.story())
		return nil
	}
	if ap, err := r.gate(GateDegradationPlan, gateOpts{Summary: d.planSummary()}); err != nil {
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

// ---- identify ----

// degProbe is one metric of one resource with its threshold.
type degProbe struct {
	kind, name  string
	q           activities.MetricQuery
	threshold   float64
	unit, label string
	// throttledTable reads the table's ThrottledRequests summed over operations instead of q.
	throttledTable bool
}

func (d *degradation) probes(kind, name string, window time.Duration) []degProbe {
	q := func(ns, metric, stat string, dims ...activities.Dimension) activities.MetricQuery {
		return activities.MetricQuery{Region: d.region, Namespace: ns, Metric: metric, Stat: stat, Dimensions: dims, Period: time.Minute, Window: window}
	}
	th := d.th
	switch kind {
	case "function":
		dim := activities.Dimension{Name: "FunctionName", Value: name}
		return []degProbe{
			{kind, name, q("AWS/Lambda", "Errors", "Sum", dim), th.LambdaErrors, "per minute", "AWS/Lambda Errors", false},
			{kind, name, q("AWS/Lambda", "Throttles", "Sum", dim), th.LambdaThrottles, "per minute", "AWS/Lambda Throttles", false},
		}
	case "table":
		return []degProbe{{kind: kind, name: name, q: q("AWS/DynamoDB", "ThrottledRequests", "Sum"), threshold: th.DynamoThrottledRequest,
			unit: "per minute", label: "AWS/DynamoDB ThrottledRequests", throttledTable: true}}
	case "dynamodb":
		// AWS publishes UserErrors only for the account and region, without a table dimension.
		return []degProbe{{kind, name, q("AWS/DynamoDB", "UserErrors", "Sum"), th.DynamoUserErrors, "per minute", "AWS/DynamoDB UserErrors", false}}
	}
	dim := activities.Dimension{Name: "ApiName", Value: name}
	return []degProbe{
		// 5XXError is published per request as 0 or 1: its Average is the error rate.
		{kind, name, q("AWS/ApiGateway", "5XXError", "Average", dim), th.Error5xxRate, "rate", "AWS/ApiGateway 5XXError", false},
		{kind, name, q("AWS/ApiGateway", "Latency", "p95", dim), float64(th.LatencyP95.D().Milliseconds()), "ms", "AWS/ApiGateway Latency", false},
	}
}

// read runs every probe at once and returns the evidence in probe order. peak takes the worst minute of
// the window (identification); otherwise the latest minute counts (watching a recovery).
func (d *degradation) read(ctx workflow.Context, ps []degProbe, peak bool) ([]Evidence, error) {
	fs := make([]workflow.Future, len(ps))
	for i, p := range ps {
		c := describeCtx(ctx, fmt.Sprintf("CloudWatch %s %s %s", p.label, p.q.Stat, p.name))
		if p.throttledTable {
			fs[i] = workflow.ExecuteActivity(c, a.GetTableThrottledRequests, activities.ThrottleQuery{Region: p.q.Region, Table: p.name, Window: p.q.Window})
		} else {
			fs[i] = workflow.ExecuteActivity(c, a.GetMetric, p.q)
		}
	}
	out := make([]Evidence, len(ps))
	var errs []error
	for i, f := range fs {
		var m activities.MetricResult
		if err := f.Get(ctx, &m); err != nil {
			errs = append(errs, err)
			continue
		}
		v := m.Last
		if peak {
			v = m.Max
		}
		p := ps[i]
		out[i] = Evidence{Metric: p.label, Stat: p.q.Stat, Value: v, Threshold: p.threshold, Unit: p.unit, Breached: v > p.threshold, NoData: len(m.Points) == 0}
	}
	return out, errors.Join(errs...)
}

type degResource struct{ kind, name string }

func (d *degradation) resources() []degResource {
	var rs []degResource
	for _, f := range d.fns {
		rs = append(rs, degResource{"function", f})
	}
	for _, tb := range d.tables {
		rs = append(rs, degResource{"table", tb})
	}
	return append(rs, degResource{"api", d.t.API.Name}, degResource{"dynamodb", "account"})
}

// assess reads every resource's probes and groups the evidence by resource, in resource order.
func (d *degradation) assess(ctx workflow.Context, rs []degResource, window time.Duration, peak bool) ([]AffectedResource, error) {
	var ps []degProbe
	var owner []int
	for i, res := range rs {
		for _, p := range d.probes(res.kind, res.name, window) {
			ps = append(ps, p)
			owner = append(owner, i)
		}
	}
	ev, err := d.read(ctx, ps, peak)
	if err != nil {
		return nil, err
	}
	out := make([]AffectedResource, len(rs))
	for i, res := range rs {
		out[i] = AffectedResource{Kind: res.kind, Name: res.name, Region: d.region}
	}
	for i, e := range ev {
		ar := &out[owner[i]]
		ar.Evidence = append(ar.Evidence, e)
		if e.Breached {
			ar.Severity = degWorse(ar.Severity, degSeverity(e.Value, e.Threshold))
		}
	}
	return out, nil
}

func degSeverity(v, threshold float64) string {
	switch r := v / threshold; {
	case r >= 5:
		return SeverityCritical
	case r >= 2:
		return SeverityMajor
	}
	return SeverityMinor
}

func degWorse(a, b string) string {
	rank := map[string]int{"": 0, SeverityMinor: 1, SeverityMajor: 2, SeverityCritical: 3}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

func (d *degradation) identify(ctx workflow.Context) error {
	all, err := d.assess(ctx, d.resources(), identifyWindow, true)
	if err != nil {
		return err
	}
	d.rep.Affected, d.rep.Symptoms = []AffectedResource{}, nil
	for _, ar := range all {
		switch {
		case ar.Severity == "":
		case ar.Kind == "api" || ar.Kind == "dynamodb":
			d.rep.Symptoms = append(d.rep.Symptoms, ar)
		default:
			d.rep.Affected = append(d.rep.Affected, ar)
		}
	}
	d.detail("identify", "%d affected, %d symptoms in %s: %s", len(d.rep.Affected), len(d.rep.Symptoms), d.region, d.affectedList())
	return nil
}

func (d *degradation) affectedList() string {
	var s []string
	for _, ar := range append(append([]AffectedResource{}, d.rep.Affected...), d.rep.Symptoms...) {
		s = append(s, fmt.Sprintf("%s %s (%s)", ar.Kind, ar.Name, ar.Severity))
	}
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// detail describes the latest row of a step on the timeline.
func (d *degradation) detail(step, format string, args ...any) {
	steps := d.r.status.Steps
	for i := len(steps) - 1; i >= 0; i-- {
		if steps[i].Name == step {
			steps[i].Detail = fmt.Sprintf(format, args...)
			d.r.publish()
			return
		}
	}
}

// ---- circuit breakers ----

func (d *degradation) circuitBreakers(ctx workflow.Context) error {
	url := d.t.API.FallbackHealthURLs[d.region]
	fb := &FallbackCheck{URL: url}
	d.rep.Fallback = fb
	if url == "" {
		fb.State = "no fallback health URL configured for " + d.region + " (api.fallbackHealthUrls)"
		d.detail("circuit-breakers", "%s", fb.State)
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
	d.detail("circuit-breakers", "%s", fb.State)
	return nil
}

// ---- plan ----

// plan proposes reserved concurrency for every function over its Errors or Throttles threshold and
// provisioned capacity for every table over its ThrottledRequests threshold. Symptoms (API errors and
// latency, DynamoDB UserErrors, which are client-side errors) are reported and watched, not acted on.
func (d *degradation) plan() []ScalingAction {
	var out []ScalingAction
	for _, ar := range d.rep.Affected {
		switch ar.Kind {
		case "function":
			n := d.dg.ReservedConcurrency
			out = append(out, ScalingAction{Kind: ActionLambdaConcurrency, Resource: ar.Name, Region: d.region, Reserved: &n})
		case "table":
			out = append(out, ScalingAction{Kind: ActionDynamoCapacity, Resource: ar.Name, Region: d.region,
				Capacity: &activities.TableCapacity{BillingMode: activities.BillingProvisioned, ReadCapacity: d.dg.ReadCapacity, WriteCapacity: d.dg.WriteCapacity}})
		}
	}
	return out
}

func (d *degradation) planSummary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Degraded in %s:\n", d.region)
	for _, ar := range append(append([]AffectedResource{}, d.rep.Affected...), d.rep.Symptoms...) {
		fmt.Fprintf(&b, "- %s\n", ar)
	}
	if fb := d.rep.Fallback; fb != nil {
		fmt.Fprintf(&b, "Fallback: %s\n", fb.State)
	}
	b.WriteString("\nPlan (current settings are recorded first and restored after recovery):\n")
	for _, p := range d.rep.Plan {
		fmt.Fprintf(&b, "- %s\n    %s\n", p, p.Command())
	}
	fmt.Fprintf(&b, "\nThen watch until healthy for %d periods of %s (deadline %s) and revert after a stable period of %s.",
		d.dg.HealthyPeriods, d.dg.Period, d.dg.WatchDeadline, d.dg.StablePeriod)
	return b.String()
}

// ---- record and apply ----

// record reads the setting each planned action will change, so the revert restores exactly it.
func (d *degradation) record(ctx workflow.Context) error {
	fs := make([]workflow.Future, len(d.rep.Plan))
	for i, p := range d.rep.Plan {
		if p.Kind == ActionLambdaConcurrency {
			c := describeCtx(ctx, "Lambda GetFunctionConcurrency "+p.Resource)
			fs[i] = workflow.ExecuteActivity(c, a.GetFunctionConcurrency, activities.ConcurrencyRef{Region: p.Region, Function: p.Resource})
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
		var info activities.TableInfo
		errs = append(errs, f.Get(ctx, &info))
		capa := activities.TableCapacity{BillingMode: info.BillingMode}
		if capa.BillingMode != activities.BillingPayPerRequest {
			capa.ReadCapacity, capa.WriteCapacity = info.ReadCapacity, info.WriteCapacity
		}
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
	d.detail("record", "%s", strings.Join(s, "; "))
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

func degAppendNew(list []string, items ...string) []string {
	for _, it := range items {
		seen := false
		for _, l := range list {
			seen = seen || l == it
		}
		if !seen {
			list = append(list, it)
		}
	}
	return list
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
		w.Unhealthy = nil
		for _, ar := range state {
			for _, e := range ar.Evidence {
				if e.Breached {
					w.Unhealthy = append(w.Unhealthy, fmt.Sprintf("%s %s: %s", ar.Kind, ar.Name, e))
				}
			}
		}
		if len(w.Unhealthy) == 0 {
			w.HealthyStreak++
		} else {
			w.HealthyStreak = 0
		}
		now := workflow.Now(ctx)
		d.detail("watch", "poll %d: healthy %d/%d; %s", w.Polls, w.HealthyStreak, d.dg.HealthyPeriods, degNoneOver(w.Unhealthy))
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
		if err := workflow.Sleep(ctx, min(d.dg.Period.D(), deadline.Sub(now))); err != nil {
			return err
		}
	}
}

func degNoneOver(s []string) string {
	if len(s) == 0 {
		return "none over threshold"
	}
	return strings.Join(s, "; ")
}

// ---- revert ----

// awaitRevert returns who decided to revert: an approver of the "revert" gate, or "stable-period" when the
// stable period passed without a decision. "" means the gate was rejected: keep the scaled settings.
// With autoApprove nobody is asked and the stable period decides.
func (d *degradation) awaitRevert() (string, error) {
	r := d.r
	if r.common.AutoApprove {
		if err := workflow.Sleep(r.ctx, d.dg.StablePeriod.D()); err != nil {
			return "", err
		}
		r.status.Approvals = append(r.status.Approvals, Approval{Gate: GateDegradationRevert, Decision: "approve", Approver: "auto",
			Comment: "stable period " + d.dg.StablePeriod.String() + " passed", At: workflow.Now(r.ctx)})
		return "stable-period", nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Recovered in %s: healthy for %d periods. The recorded settings are restored automatically after the stable period of %s; approve to restore them now, reject to keep the scaled settings.\n",
		d.region, d.rep.Watch.HealthyStreak, d.dg.StablePeriod)
	for _, p := range d.rep.Previous {
		fmt.Fprintf(&b, "- %s\n    %s\n", p, p.Command())
	}
	ap, err := r.gate(GateDegradationRevert, gateOpts{Summary: b.String(), Deadline: d.dg.StablePeriod.D(), ApproveAtDeadline: true})
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
	d.detail("revert", "restored by %s: %s", by, degNoneOver(d.rep.RevertedActions))
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

// story is the plain-text account for SNS.
func (d *degradation) story() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Result: %s\nAffected: %s\n", d.rep.Result, d.affectedList())
	if len(d.rep.Applied) > 0 {
		fmt.Fprintf(&b, "Applied: %s\n", strings.Join(d.rep.Applied, "; "))
	}
	if d.rep.Reverted {
		fmt.Fprintf(&b, "Restored (%s): %s\n", d.rep.RevertedBy, degNoneOver(d.rep.RevertedActions))
	}
	if d.rep.KeptScaled || (d.applied && !d.rep.Reverted) {
		b.WriteString("The scaled settings are still in place. To restore the recorded settings:\n")
		for _, p := range d.rep.Previous {
			fmt.Fprintf(&b, "  %s\n", p.Command())
		}
	}
	return b.String()
}

// String renders the report for terminals.
func (r DegradationReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "PartialDegradation in %s: %s (%s)\n", r.Region, strings.ToUpper(r.Result), r.Outcome)
	if len(r.Affected)+len(r.Symptoms) == 0 {
		b.WriteString("\nNo function, table or API over its thresholds.\n")
	}
	for _, ar := range append(append([]AffectedResource{}, r.Affected...), r.Symptoms...) {
		fmt.Fprintf(&b, "  %s\n", ar)
	}
	if r.Fallback != nil {
		fmt.Fprintf(&b, "Fallback: %s\n", r.Fallback.State)
	}
	section := func(title string, items []string) {
		if len(items) > 0 {
			fmt.Fprintf(&b, "%s:\n  %s\n", title, strings.Join(items, "\n  "))
		}
	}
	var plan, prev []string
	for _, p := range r.Plan {
		plan = append(plan, p.String())
	}
	for _, p := range r.Previous {
		prev = append(prev, p.String())
	}
	section("Plan", plan)
	section("Recorded before scaling", prev)
	section("Applied", r.Applied)
	if r.Watch.Polls > 0 {
		fmt.Fprintf(&b, "Watch: %d polls, healthy streak %d/%d, %d escalations, recovered %v\n", r.Watch.Polls, r.Watch.HealthyStreak, r.Watch.HealthyPeriods, r.Watch.Escalations, r.Watch.Recovered)
	}
	if r.Reverted {
		fmt.Fprintf(&b, "Reverted by %s\n", r.RevertedBy)
		section("Restored", r.RevertedActions)
	}
	section("Restore by hand", r.RestoreCommands)
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	return b.String()
}

var _ json.Unmarshaler = (*DegradationRequest)(nil)
