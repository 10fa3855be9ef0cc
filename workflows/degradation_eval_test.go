package workflows

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/topology"
)

func TestDegSeverity(t *testing.T) {
	for _, c := range []struct {
		v, threshold float64
		want         string
	}{
		{11, 10, SeverityMinor},
		{19.9, 10, SeverityMinor},
		{20, 10, SeverityMajor},
		{49, 10, SeverityMajor},
		{50, 10, SeverityCritical},
		{0.08, 0.05, SeverityMinor},
		{900, 300, SeverityMajor},
	} {
		require.Equal(t, c.want, degSeverity(c.v, c.threshold), "%v over %v", c.v, c.threshold)
	}
}

func TestDegWorse(t *testing.T) {
	for _, c := range []struct{ a, b, want string }{
		{"", SeverityMinor, SeverityMinor},
		{SeverityMinor, "", SeverityMinor},
		{SeverityMinor, SeverityMajor, SeverityMajor},
		{SeverityCritical, SeverityMajor, SeverityCritical},
		{SeverityMajor, SeverityMajor, SeverityMajor},
	} {
		require.Equal(t, c.want, degWorse(c.a, c.b), "%q vs %q", c.a, c.b)
	}
}

func TestDegProbes(t *testing.T) {
	th := topology.Thresholds{LambdaErrors: 10, LambdaThrottles: 5, DynamoThrottledRequest: 10, DynamoUserErrors: 50, Error5xxRate: 0.05,
		LatencyP95: topology.Duration(300 * time.Millisecond)}
	for _, c := range []struct {
		kind       string
		labels     []string
		thresholds []float64
		stats      []string
		table      bool
	}{
		{"function", []string{"AWS/Lambda Errors", "AWS/Lambda Throttles"}, []float64{10, 5}, []string{"Sum", "Sum"}, false},
		{"table", []string{"AWS/DynamoDB ThrottledRequests"}, []float64{10}, []string{"Sum"}, true},
		{"dynamodb", []string{"AWS/DynamoDB UserErrors"}, []float64{50}, []string{"Sum"}, false},
		{"api", []string{"AWS/ApiGateway 5XXError", "AWS/ApiGateway Latency"}, []float64{0.05, 300}, []string{"Average", "p95"}, false},
	} {
		ps := degProbes(c.kind, "x", "us-west-2", th, 15*time.Minute)
		var labels, stats []string
		var thresholds []float64
		for _, p := range ps {
			labels, stats, thresholds = append(labels, p.label), append(stats, p.q.Stat), append(thresholds, p.threshold)
			require.Equal(t, "us-west-2", p.q.Region, c.kind)
			require.Equal(t, time.Minute, p.q.Period, c.kind)
			require.Equal(t, 15*time.Minute, p.q.Window, c.kind)
			require.Equal(t, c.table, p.throttledTable, c.kind)
		}
		require.Equal(t, c.labels, labels, c.kind)
		require.Equal(t, c.stats, stats, c.kind)
		require.Equal(t, c.thresholds, thresholds, c.kind)
	}
	// Lambda and API metrics name their resource; DynamoDB's are read for the region (tables by activity).
	require.Equal(t, []activities.Dimension{{Name: "FunctionName", Value: "fn"}}, degProbes("function", "fn", "r", th, time.Minute)[0].q.Dimensions)
	require.Equal(t, []activities.Dimension{{Name: "ApiName", Value: "api"}}, degProbes("api", "api", "r", th, time.Minute)[1].q.Dimensions)
	require.Empty(t, degProbes("dynamodb", "account", "r", th, time.Minute)[0].q.Dimensions)
}

func TestDegProbesOfAndGroup(t *testing.T) {
	rs := degResources([]string{"f1"}, []string{"t1"}, "api")
	require.Equal(t, []degResource{{"function", "f1"}, {"table", "t1"}, {"api", "api"}, {"dynamodb", "account"}}, rs)
	ps, owner := degProbesOf(rs, "r", topology.Thresholds{LambdaErrors: 10, LambdaThrottles: 10, DynamoThrottledRequest: 10, DynamoUserErrors: 50, Error5xxRate: 0.05}, time.Minute)
	require.Len(t, ps, 6)
	require.Equal(t, []int{0, 0, 1, 2, 2, 3}, owner)

	ev := []Evidence{
		{Metric: "AWS/Lambda Errors", Stat: "Sum", Value: 25, Threshold: 10, Unit: "per minute", Breached: true},    // major
		{Metric: "AWS/Lambda Throttles", Stat: "Sum", Value: 55, Threshold: 10, Unit: "per minute", Breached: true}, // critical: the worst counts
		{Metric: "AWS/DynamoDB ThrottledRequests", Value: 3, Threshold: 10},
		{Metric: "AWS/ApiGateway 5XXError", Stat: "Average", Value: 0.06, Threshold: 0.05, Unit: "rate", Breached: true},
		{Metric: "AWS/ApiGateway Latency", Value: 100, Threshold: 300},
		{Metric: "AWS/DynamoDB UserErrors", Value: 0, Threshold: 50, NoData: true},
	}
	got := degGroup(rs, owner, ev, "r")
	require.Len(t, got, 4)
	for i, want := range []struct {
		severity string
		evidence int
	}{{SeverityCritical, 2}, {"", 1}, {SeverityMinor, 2}, {"", 1}} {
		require.Equal(t, want.severity, got[i].Severity, got[i].Name)
		require.Len(t, got[i].Evidence, want.evidence, got[i].Name)
		require.Equal(t, "r", got[i].Region)
	}

	affected, symptoms := degClassify(got)
	require.Equal(t, []string{"function f1"}, names(affected))
	require.Equal(t, []string{"api api"}, names(symptoms))
	affected, symptoms = degClassify(nil)
	require.NotNil(t, affected, "the report always lists affected")
	require.Empty(t, affected)
	require.Nil(t, symptoms)

	require.Equal(t, []string{"function f1: AWS/Lambda Errors Sum 25 > 10 per minute", "function f1: AWS/Lambda Throttles Sum 55 > 10 per minute",
		"api api: AWS/ApiGateway 5XXError Average 0.06 > 0.05 rate"}, degUnhealthy(got), "breached readings only, naming their resource")
	require.Nil(t, degUnhealthy(got[1:2]))
}

func TestDegEvidence(t *testing.T) {
	p := degProbe{kind: "function", name: "f", q: activities.MetricQuery{Stat: "Sum"}, threshold: 10, unit: "per minute", label: "AWS/Lambda Errors"}
	m := activities.MetricResult{Points: []activities.Point{{V: 30}, {V: 4}}, Max: 30, Last: 4}
	for _, c := range []struct {
		name string
		m    activities.MetricResult
		peak bool
		want Evidence
	}{
		{"identification takes the worst minute", m, true, Evidence{Metric: "AWS/Lambda Errors", Stat: "Sum", Value: 30, Threshold: 10, Unit: "per minute", Breached: true}},
		{"the watch takes the latest minute", m, false, Evidence{Metric: "AWS/Lambda Errors", Stat: "Sum", Value: 4, Threshold: 10, Unit: "per minute"}},
		{"no datapoints read as healthy", activities.MetricResult{}, true, Evidence{Metric: "AWS/Lambda Errors", Stat: "Sum", Threshold: 10, Unit: "per minute", NoData: true}},
		{"at the threshold is not over it", activities.MetricResult{Points: []activities.Point{{V: 10}}, Max: 10, Last: 10}, true,
			Evidence{Metric: "AWS/Lambda Errors", Stat: "Sum", Value: 10, Threshold: 10, Unit: "per minute"}},
	} {
		require.Equal(t, c.want, degEvidence(p, c.m, c.peak), c.name)
	}
}

func TestDegPlan(t *testing.T) {
	dg := topology.Degradation{Region: "us-east-1", ReservedConcurrency: 500, ReadCapacity: 1000, WriteCapacity: 500}
	n := int32(500)
	got := degPlan([]AffectedResource{{Kind: "function", Name: "f"}, {Kind: "table", Name: "t"}, {Kind: "api", Name: "a"}}, dg, false)
	require.Equal(t, []ScalingAction{
		{Kind: ActionLambdaConcurrency, Resource: "f", Region: "us-east-1", Reserved: &n},
		{Kind: ActionDynamoCapacity, Resource: "t", Region: "us-east-1", Capacity: &activities.TableCapacity{BillingMode: activities.BillingProvisioned, ReadCapacity: 1000, WriteCapacity: 500}},
	}, got, "symptoms are not acted on")
	require.Empty(t, degPlan([]AffectedResource{}, dg, false))

	// degAutoScaling: a global table is PROVISIONED only with write auto scaling (DynamoDB Developer Guide,
	// global tables best practices), so the plan's capacity is also the auto scaling minimum.
	got = degPlan([]AffectedResource{{Kind: "table", Name: "t"}}, dg, true)
	require.Equal(t, activities.TableCapacity{BillingMode: activities.BillingProvisioned, ReadCapacity: 1000, WriteCapacity: 500, AutoScaled: true,
		AutoScaling: []activities.ScalingTarget{
			{Dimension: activities.DimensionWrite, Min: 500, Max: 2000, Policies: []activities.ScalingPolicy{{Name: "roadcall-dr-degradation-write", TargetValue: 70}}},
			{Dimension: activities.DimensionRead, Min: 1000, Max: 4000, Policies: []activities.ScalingPolicy{{Name: "roadcall-dr-degradation-read", TargetValue: 70}}},
		}}, *got[0].Capacity)
	require.Equal(t, "aws application-autoscaling register-scalable-target --service-namespace dynamodb --resource-id table/t --scalable-dimension dynamodb:table:WriteCapacityUnits --min-capacity 500 --max-capacity 2000 --region <each replica region>",
		strings.Split(got[0].Command(), " && ")[0], "write auto scaling first")
	require.True(t, strings.HasSuffix(got[0].Command(), " && aws dynamodb update-table --table-name t --billing-mode PROVISIONED --provisioned-throughput ReadCapacityUnits=1000,WriteCapacityUnits=500 --region us-east-1"))
}

func TestScalingActionTextAndCommand(t *testing.T) {
	twenty := int32(20)
	for _, c := range []struct {
		a             ScalingAction
		text, command string
	}{
		{ScalingAction{Kind: ActionLambdaConcurrency, Resource: "f", Region: "r", Reserved: &twenty},
			"Lambda f in r: reserved concurrency 20", "aws lambda put-function-concurrency --function-name f --reserved-concurrent-executions 20 --region r"},
		{ScalingAction{Kind: ActionLambdaConcurrency, Resource: "f", Region: "r"},
			"Lambda f in r: no reserved concurrency", "aws lambda delete-function-concurrency --function-name f --region r"},
		{ScalingAction{Kind: ActionDynamoCapacity, Resource: "t", Region: "r", Capacity: &activities.TableCapacity{BillingMode: activities.BillingProvisioned, ReadCapacity: 25, WriteCapacity: 10}},
			"DynamoDB t in r: PROVISIONED 25 read / 10 write", "aws dynamodb update-table --table-name t --billing-mode PROVISIONED --provisioned-throughput ReadCapacityUnits=25,WriteCapacityUnits=10 --region r"},
		{ScalingAction{Kind: ActionDynamoCapacity, Resource: "t", Region: "r", Capacity: &activities.TableCapacity{BillingMode: activities.BillingPayPerRequest}},
			"DynamoDB t in r: PAY_PER_REQUEST (on-demand)", "aws dynamodb update-table --table-name t --billing-mode PAY_PER_REQUEST --region r"},
	} {
		require.Equal(t, c.text, c.a.String())
		require.Equal(t, c.command, c.a.Command())
	}
}

func TestEvidenceAndAffectedText(t *testing.T) {
	over := Evidence{Metric: "AWS/Lambda Errors", Stat: "Sum", Value: 29.126, Threshold: 10, Unit: "per minute", Breached: true}
	under := Evidence{Metric: "AWS/Lambda Throttles", Stat: "Sum", Threshold: 10, Unit: "per minute", NoData: true}
	require.Equal(t, "AWS/Lambda Errors Sum 29.13 > 10 per minute", over.String())
	require.Equal(t, "AWS/Lambda Throttles Sum 0 ≤ 10 per minute (no data)", under.String())
	ar := AffectedResource{Kind: "function", Name: "f", Region: "r", Severity: SeverityMajor, Evidence: []Evidence{over, under}}
	require.Equal(t, "MAJOR function f [r]: AWS/Lambda Errors Sum 29.13 > 10 per minute", ar.String(), "only the breached evidence")
}

func TestDegRecordedCapacity(t *testing.T) {
	require.Equal(t, activities.TableCapacity{BillingMode: activities.BillingPayPerRequest},
		degRecordedCapacity(activities.TableInfo{BillingMode: activities.BillingPayPerRequest, ReadCapacity: 7, WriteCapacity: 3}), "on-demand has no capacity to restore")
	require.Equal(t, activities.TableCapacity{BillingMode: activities.BillingProvisioned, ReadCapacity: 25, WriteCapacity: 10},
		degRecordedCapacity(activities.TableInfo{BillingMode: activities.BillingProvisioned, ReadCapacity: 25, WriteCapacity: 10}))
}

func TestDegLastApproval(t *testing.T) {
	aps := []Approval{{Gate: GateDegradationPlan, Decision: "approve"}, {Gate: GateDegradationRevert, Decision: "reject"}, {Gate: GateDegradationPlan, Decision: "reject"}}
	require.Equal(t, "reject", degLastApproval(aps, GateDegradationPlan).Decision)
	require.Same(t, &aps[2], degLastApproval(aps, GateDegradationPlan))
	require.Equal(t, "reject", degLastApproval(aps[:2], GateDegradationRevert).Decision)
	require.Nil(t, degLastApproval(aps[:1], GateDegradationRevert))
	require.Nil(t, degLastApproval(nil, GateDegradationPlan))
}

func TestDegConclude(t *testing.T) {
	prev := []ScalingAction{{Kind: ActionLambdaConcurrency, Resource: "f", Region: "r"}}
	restore := []string{"aws lambda delete-function-concurrency --function-name f --region r"}
	for _, c := range []struct {
		name     string
		rep      DegradationReport
		applied  bool
		result   string
		commands []string
	}{
		{"stopped before any result", DegradationReport{}, false, DegStopped, nil},
		{"a result before applying stays", DegradationReport{Result: DegRejected}, false, DegRejected, nil},
		{"reverted", DegradationReport{Result: DegRecoveredReverted, Reverted: true, Previous: prev}, true, DegRecoveredReverted, nil},
		{"kept scaled: restore by hand", DegradationReport{Result: DegRecoveredKept, KeptScaled: true, Previous: prev}, true, DegRecoveredKept, restore},
		{"applied, not restored, not kept", DegradationReport{Result: DegReverted, Previous: prev}, true, DegRevertIncomplete, restore},
		{"applied and stopped with no result", DegradationReport{Previous: prev}, true, DegRevertIncomplete, restore},
	} {
		rep := c.rep
		degConclude(&rep, c.applied)
		require.Equal(t, c.result, rep.Result, c.name)
		require.Equal(t, c.commands, rep.RestoreCommands, c.name)
	}
}

func TestDegTextHelpers(t *testing.T) {
	require.Equal(t, []string{"a", "b", "c"}, degAppendNew([]string{"a", "b"}, "b", "c", "a"))
	require.Equal(t, []string{"a"}, degAppendNew(nil, "a", "a"))
	require.Nil(t, degAppendNew(nil))
	require.Equal(t, "none over threshold", degNoneOver(nil))
	require.Equal(t, "x; y", degNoneOver([]string{"x", "y"}))

	rep := &DegradationReport{Region: "r"}
	require.Equal(t, "none", degAffectedList(rep))
	rep.Affected = []AffectedResource{{Kind: "function", Name: "f", Severity: SeverityMajor}}
	rep.Symptoms = []AffectedResource{{Kind: "api", Name: "a", Severity: SeverityMinor}}
	require.Equal(t, "function f (major), api a (minor)", degAffectedList(rep), "affected first, then symptoms")
}

func TestDegGateSummariesAndStory(t *testing.T) {
	n := int32(500)
	dg := topology.Degradation{Region: "r", HealthyPeriods: 3, Period: topology.Duration(time.Minute), WatchDeadline: topology.Duration(30 * time.Minute),
		StablePeriod: topology.Duration(10 * time.Minute)}
	rep := &DegradationReport{Region: "r", Result: DegRecoveredKept, KeptScaled: true,
		Affected: []AffectedResource{{Kind: "function", Name: "f", Region: "r", Severity: SeverityMajor,
			Evidence: []Evidence{{Metric: "AWS/Lambda Errors", Stat: "Sum", Value: 29, Threshold: 10, Unit: "per minute", Breached: true}}}},
		Fallback: &FallbackCheck{State: "fallback NOT healthy: HTTP 503"},
		Plan:     []ScalingAction{{Kind: ActionLambdaConcurrency, Resource: "f", Region: "r", Reserved: &n}},
		Previous: []ScalingAction{{Kind: ActionLambdaConcurrency, Resource: "f", Region: "r"}},
		Applied:  []string{"Lambda f in r: reserved concurrency 500"},
		Watch:    WatchSummary{HealthyStreak: 3}}

	plan := degPlanSummary(rep, dg)
	for _, want := range []string{"Degraded in r:\n- MAJOR function f [r]: AWS/Lambda Errors Sum 29 > 10 per minute\n",
		"Fallback: fallback NOT healthy: HTTP 503\n",
		"- Lambda f in r: reserved concurrency 500\n    aws lambda put-function-concurrency --function-name f --reserved-concurrent-executions 500 --region r\n",
		"healthy for 3 periods of 1m0s (deadline 30m0s) and revert after a stable period of 10m0s."} {
		require.Contains(t, plan, want)
	}

	revert := degRevertSummary(rep, dg.StablePeriod)
	require.Contains(t, revert, "Recovered in r: healthy for 3 periods.")
	require.Contains(t, revert, "after the stable period of 10m0s")
	require.Contains(t, revert, "- Lambda f in r: no reserved concurrency\n    aws lambda delete-function-concurrency --function-name f --region r\n")

	require.Equal(t, "Result: recovered-kept\nAffected: function f (major)\nApplied: Lambda f in r: reserved concurrency 500\n"+
		"The scaled settings are still in place. To restore the recorded settings:\n  aws lambda delete-function-concurrency --function-name f --region r\n", degStory(rep, true))
	reverted := *rep
	reverted.KeptScaled, reverted.Reverted, reverted.RevertedBy, reverted.Result = false, true, "alice", DegRecoveredReverted
	require.Equal(t, "Result: recovered-reverted\nAffected: function f (major)\nApplied: Lambda f in r: reserved concurrency 500\nRestored (alice): none over threshold\n",
		degStory(&reverted, true), "nothing left to restore by hand")
}
