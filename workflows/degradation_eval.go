package workflows

import (
	"fmt"
	"strings"
	"time"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/topology"
)

// PartialDegradation's pure logic: which metrics are read for which resource, how readings become
// evidence and severities, the plan from the affected resources, how the run's result is concluded, and
// the texts of its gates and pages. Nothing here calls AWS or waits.

// degResource is one resource examined: a function, a table, the API, or the region's DynamoDB account.
type degResource struct{ kind, name string }

// degResources is everything identification examines, in the order the report lists it.
func degResources(fns, tables []string, api string) []degResource {
	var rs []degResource
	for _, f := range fns {
		rs = append(rs, degResource{"function", f})
	}
	for _, tb := range tables {
		rs = append(rs, degResource{"table", tb})
	}
	return append(rs, degResource{"api", api}, degResource{"dynamodb", "account"})
}

// degProbe is one metric of one resource with its threshold.
type degProbe struct {
	kind, name  string
	q           activities.MetricQuery
	threshold   float64
	unit, label string
	// throttledTable reads the table's ThrottledRequests summed over operations instead of q.
	throttledTable bool
}

// degProbes are the metrics read for one resource over window, in region, against th.
func degProbes(kind, name, region string, th topology.Thresholds, window time.Duration) []degProbe {
	q := func(ns, metric, stat string, dims ...activities.Dimension) activities.MetricQuery {
		return activities.MetricQuery{Region: region, Namespace: ns, Metric: metric, Stat: stat, Dimensions: dims, Period: time.Minute, Window: window}
	}
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

// degProbesOf lists every resource's probes, with owner[i] the index in rs of probe i's resource.
func degProbesOf(rs []degResource, region string, th topology.Thresholds, window time.Duration) (ps []degProbe, owner []int) {
	for i, res := range rs {
		for _, p := range degProbes(res.kind, res.name, region, th, window) {
			ps = append(ps, p)
			owner = append(owner, i)
		}
	}
	return ps, owner
}

// degEvidence compares a reading with its probe's threshold. peak takes the worst minute of the window
// (identification); otherwise the latest minute counts (watching a recovery).
func degEvidence(p degProbe, m activities.MetricResult, peak bool) Evidence {
	v := m.Last
	if peak {
		v = m.Max
	}
	return Evidence{Metric: p.label, Stat: p.q.Stat, Value: v, Threshold: p.threshold, Unit: p.unit, Breached: v > p.threshold, NoData: len(m.Points) == 0}
}

// degGroup groups the evidence by resource, in resource order, each with the severity of its worst breach.
func degGroup(rs []degResource, owner []int, ev []Evidence, region string) []AffectedResource {
	out := make([]AffectedResource, len(rs))
	for i, res := range rs {
		out[i] = AffectedResource{Kind: res.kind, Name: res.name, Region: region}
	}
	for i, e := range ev {
		ar := &out[owner[i]]
		ar.Evidence = append(ar.Evidence, e)
		if e.Breached {
			ar.Severity = degWorse(ar.Severity, degSeverity(e.Value, e.Threshold))
		}
	}
	return out
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

// degClassify splits the resources over a threshold into the affected ones (functions and tables, which
// scaling acts on) and symptoms (the API and the region's DynamoDB UserErrors, which it does not fix).
// Affected is never nil, so the report always lists it.
func degClassify(all []AffectedResource) (affected, symptoms []AffectedResource) {
	affected = []AffectedResource{}
	for _, ar := range all {
		switch {
		case ar.Severity == "":
		case ar.Kind == "api" || ar.Kind == "dynamodb":
			symptoms = append(symptoms, ar)
		default:
			affected = append(affected, ar)
		}
	}
	return affected, symptoms
}

// degUnhealthy lists every breached reading of a watch poll, naming its resource.
func degUnhealthy(state []AffectedResource) []string {
	var out []string
	for _, ar := range state {
		for _, e := range ar.Evidence {
			if e.Breached {
				out = append(out, fmt.Sprintf("%s %s: %s", ar.Kind, ar.Name, e))
			}
		}
	}
	return out
}

// degPlan proposes reserved concurrency for every function over its Errors or Throttles threshold and
// provisioned capacity for every table over its ThrottledRequests threshold, in dg.Region. Symptoms (API
// errors and latency, DynamoDB UserErrors, which are client-side errors) are reported and watched, not
// acted on.
//
// With autoScaled (degAutoScaling) the table setting is degAutoScaledCapacity: a global table may be
// PROVISIONED only with write auto scaling, so the plan's capacity becomes the auto scaling minimum.
func degPlan(affected []AffectedResource, dg topology.Degradation, autoScaled bool) []ScalingAction {
	var out []ScalingAction
	for _, ar := range affected {
		switch ar.Kind {
		case "function":
			n := dg.ReservedConcurrency
			out = append(out, ScalingAction{Kind: ActionLambdaConcurrency, Resource: ar.Name, Region: dg.Region, Reserved: &n})
		case "table":
			capa := activities.TableCapacity{BillingMode: activities.BillingProvisioned, ReadCapacity: dg.ReadCapacity, WriteCapacity: dg.WriteCapacity}
			if autoScaled {
				capa = degAutoScaledCapacity(dg)
			}
			out = append(out, ScalingAction{Kind: ActionDynamoCapacity, Resource: ar.Name, Region: dg.Region, Capacity: &capa})
		}
	}
	return out
}

// Auto scaling of the plan's tables: the ceiling is autoScaleHeadroom times the plan's capacity (within
// DynamoDB's default per-table quota of 40,000 units), and target tracking holds utilization at
// autoScaleTarget percent, the DynamoDB console's default.
const (
	autoScaleHeadroom = 4
	autoScaleMaxUnits = 40000
	autoScaleTarget   = 70
)

// degAutoScaledCapacity is the plan's table setting under degAutoScaling: PROVISIONED at the plan's capacity,
// which is also each dimension's auto scaling minimum, in every replica region (Region ""), so the capacity
// never drops below what the runbook asks while auto scaling may raise it.
func degAutoScaledCapacity(dg topology.Degradation) activities.TableCapacity {
	target := func(dim, name string, lo int64) activities.ScalingTarget {
		return activities.ScalingTarget{Dimension: dim, Min: lo, Max: max(lo, min(lo*autoScaleHeadroom, autoScaleMaxUnits)),
			Policies: []activities.ScalingPolicy{{Name: name, TargetValue: autoScaleTarget}}}
	}
	return activities.TableCapacity{BillingMode: activities.BillingProvisioned, ReadCapacity: dg.ReadCapacity, WriteCapacity: dg.WriteCapacity,
		AutoScaled: true, AutoScaling: []activities.ScalingTarget{
			target(activities.DimensionWrite, "roadcall-dr-degradation-write", dg.WriteCapacity),
			target(activities.DimensionRead, "roadcall-dr-degradation-read", dg.ReadCapacity)}}
}

// degRecordedCapacity is the table setting a revert restores: on-demand has no capacity to restore.
func degRecordedCapacity(info activities.TableInfo) activities.TableCapacity {
	capa := activities.TableCapacity{BillingMode: info.BillingMode}
	if capa.BillingMode != activities.BillingPayPerRequest {
		capa.ReadCapacity, capa.WriteCapacity = info.ReadCapacity, info.WriteCapacity
	}
	return capa
}

// degLastApproval is the latest decision recorded at gate, or nil.
func degLastApproval(approvals []Approval, gate string) *Approval {
	for i := len(approvals) - 1; i >= 0; i-- {
		if approvals[i].Gate == gate {
			return &approvals[i]
		}
	}
	return nil
}

// degConclude settles the result once the run has stopped: a run stopped before any result is "stopped";
// anything applied and neither restored nor deliberately kept is "revert-incomplete"; whenever scaled
// settings stay in AWS the report carries the commands that restore them by hand.
func degConclude(rep *DegradationReport, applied bool) {
	if rep.Result == "" {
		rep.Result = DegStopped
	}
	if applied && !rep.Reverted && !rep.KeptScaled {
		rep.Result = DegRevertIncomplete
	}
	if rep.KeptScaled || rep.Result == DegRevertIncomplete {
		for _, p := range rep.Previous {
			rep.RestoreCommands = append(rep.RestoreCommands, p.Command())
		}
	}
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

func degNoneOver(s []string) string {
	if len(s) == 0 {
		return "none over threshold"
	}
	return strings.Join(s, "; ")
}

// degAffectedList names the affected resources and symptoms with their severities, for details and pages.
func degAffectedList(rep *DegradationReport) string {
	var s []string
	for _, ar := range append(append([]AffectedResource{}, rep.Affected...), rep.Symptoms...) {
		s = append(s, fmt.Sprintf("%s %s (%s)", ar.Kind, ar.Name, ar.Severity))
	}
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// degPlanSummary is the "plan" gate's summary: the evidence, the fallback's state and the exact actions
// with their AWS CLI equivalents.
func degPlanSummary(rep *DegradationReport, dg topology.Degradation) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Degraded in %s:\n", rep.Region)
	for _, ar := range append(append([]AffectedResource{}, rep.Affected...), rep.Symptoms...) {
		fmt.Fprintf(&b, "- %s\n", ar)
	}
	if fb := rep.Fallback; fb != nil {
		fmt.Fprintf(&b, "Fallback: %s\n", fb.State)
	}
	b.WriteString("\nPlan (current settings are recorded first and restored after recovery):\n")
	for _, p := range rep.Plan {
		fmt.Fprintf(&b, "- %s\n    %s\n", p, p.Command())
	}
	fmt.Fprintf(&b, "\nThen watch until healthy for %d periods of %s (deadline %s) and revert after a stable period of %s.",
		dg.HealthyPeriods, dg.Period, dg.WatchDeadline, dg.StablePeriod)
	return b.String()
}

// degRevertSummary is the "revert" gate's summary: what restoring means and the commands it runs.
func degRevertSummary(rep *DegradationReport, stable topology.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Recovered in %s: healthy for %d periods. The recorded settings are restored automatically after the stable period of %s; approve to restore them now, reject to keep the scaled settings.\n",
		rep.Region, rep.Watch.HealthyStreak, stable)
	for _, p := range rep.Previous {
		fmt.Fprintf(&b, "- %s\n    %s\n", p, p.Command())
	}
	return b.String()
}

// degStory is the plain-text account for SNS.
func degStory(rep *DegradationReport, applied bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Result: %s\nAffected: %s\n", rep.Result, degAffectedList(rep))
	if len(rep.Applied) > 0 {
		fmt.Fprintf(&b, "Applied: %s\n", strings.Join(rep.Applied, "; "))
	}
	if rep.Reverted {
		fmt.Fprintf(&b, "Restored (%s): %s\n", rep.RevertedBy, degNoneOver(rep.RevertedActions))
	}
	if rep.KeptScaled || (applied && !rep.Reverted) {
		b.WriteString("The scaled settings are still in place. To restore the recorded settings:\n")
		for _, p := range rep.Previous {
			fmt.Fprintf(&b, "  %s\n", p.Command())
		}
	}
	return b.String()
}
