package workflows

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/temporalclient"
	"github.com/roadcall/dr/internal/topology"
)

// newMetricsEnv is newEnvWithPolicy with the worker's real metrics pipeline (OpenTelemetry handler into a
// Prometheus registry) as the suite's metrics handler, so the test reads what /metrics would serve.
func newMetricsEnv(t *testing.T) (*testsuite.TestWorkflowEnvironment, *temporalclient.Metrics) {
	m, err := temporalclient.NewMetrics(func(err error) { t.Errorf("metrics: %v", err) })
	require.NoError(t, err)
	t.Cleanup(func() { _ = m.Close() })
	var s testsuite.WorkflowTestSuite
	s.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	s.SetMetricsHandler(m.Handler())
	env := s.NewTestWorkflowEnvironment()
	env.RegisterActivity(&activities.Activities{})
	env.OnActivity(a.LoadPolicy, mock.Anything, mock.Anything).Return(activities.PolicyResult{Loaded: true, Source: "workflows test policy", Policy: testPolicy()}, nil).Maybe()
	return env, m
}

// series sums the matching series of a family: a counter's or gauge's value, a histogram's count (sum
// with sum=true). Labels must all match; others are ignored. found is false when no series matched.
func series(t *testing.T, m *temporalclient.Metrics, name string, labels map[string]string, sum bool) (v float64, found bool) {
	t.Helper()
	fams, err := m.Registry.Gather()
	require.NoError(t, err)
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, s := range f.GetMetric() {
			if !labelsMatch(s.GetLabel(), labels) {
				continue
			}
			found = true
			switch {
			case s.Counter != nil:
				v += s.GetCounter().GetValue()
			case s.Gauge != nil:
				v += s.GetGauge().GetValue()
			case s.Histogram != nil && sum:
				v += s.GetHistogram().GetSampleSum()
			case s.Histogram != nil:
				v += float64(s.GetHistogram().GetSampleCount())
			}
		}
	}
	return v, found
}

func labelsMatch(have []*dto.LabelPair, want map[string]string) bool {
	n := 0
	for _, l := range have {
		if w, ok := want[l.GetName()]; ok {
			if w != l.GetValue() {
				return false
			}
			n++
		}
	}
	return n == len(want)
}

func mustSeries(t *testing.T, m *temporalclient.Metrics, name string, labels map[string]string) float64 {
	t.Helper()
	v, ok := series(t, m, name, labels, false)
	require.True(t, ok, "no series %s%v", name, labels)
	return v
}

// TestMetricsFailover runs the gated failover of TestFailoverWaitsAtGateThenCompletesOnApproval with the
// metrics pipeline and checks the values the run produced: one start, one completion, one histogram sample
// per timeline row with the row's duration, the two minutes at the gate, and the RTO and RPO the report
// measured.
func TestMetricsFailover(t *testing.T) {
	env, m := newMetricsEnv(t)
	pol := &activities.PolicyResult{Loaded: true, Source: "workflows test policy", Policy: testPolicy()}
	s := &failoverFake{fakeEnv: fakeEnv{t: t, env: env, policy: pol, topo: upsertTopology(t), calls: map[string]int{}, fail: map[string]int{}, transient: map[string]int{}},
		lagMs: 40, p95ms: 45}
	s.env.RegisterWorkflow(RegionFailover)
	s.signal(2*time.Minute, SignalApprove, approve("alice"))
	rep := s.run(FailoverRequest{MonitorWindow: topology.Duration(5 * time.Minute)})
	require.Equal(t, PhaseCompleted, rep.Outcome, rep.Steps)

	sc := map[string]string{TagScenario: WorkflowRegionFailover}
	require.Equal(t, 1.0, mustSeries(t, m, MetricRunsStarted+"_total", sc))
	require.Equal(t, 1.0, mustSeries(t, m, MetricRunsFinished+"_total", map[string]string{TagScenario: WorkflowRegionFailover, TagOutcome: PhaseCompleted}))
	_, other := series(t, m, MetricRunsFinished+"_total", map[string]string{TagScenario: WorkflowRegionFailover, TagOutcome: PhaseFailed}, false)
	require.False(t, other, "a completed run is counted under completed only")

	stepHist := MetricStepDuration + "_seconds"
	require.Equal(t, float64(len(rep.Steps)), mustSeries(t, m, stepHist, sc), "one sample per timeline row")
	for _, st := range rep.Steps {
		labels := map[string]string{TagScenario: WorkflowRegionFailover, TagStep: st.Name, TagOutcome: OutcomeOK}
		require.Equal(t, 1.0, mustSeries(t, m, stepHist, labels), st.Name)
		got, _ := series(t, m, stepHist, labels, true)
		require.InDelta(t, st.Duration().Seconds(), got, 0.001, st.Name)
	}

	gate := map[string]string{TagScenario: WorkflowRegionFailover, TagGate: GateFailover, TagDecision: "approve"}
	require.Equal(t, 1.0, mustSeries(t, m, MetricGateWait+"_seconds", gate))
	wait, _ := series(t, m, MetricGateWait+"_seconds", gate, true)
	// Approved by a signal two minutes in; the gate opened after the assessment and the page.
	require.Greater(t, wait, 60.0)
	require.LessOrEqual(t, wait, 120.0)

	plat := map[string]string{TagPlatform: s.topo.Platform, TagStage: s.topo.Stage, TagScenario: WorkflowRegionFailover}
	require.Equal(t, rep.RTO.Seconds(), mustSeries(t, m, MetricLastRTO, plat))
	require.Equal(t, 28*60.0, rep.RTO.Seconds())
	require.InDelta(t, 0.040, mustSeries(t, m, MetricLastRPO, plat), 1e-9)
}

// TestMetricsReadiness: a failing readiness check sets its check's gauge to the failing rows and every
// other check's to zero; the run and its two steps (checks, alarm) are counted.
func TestMetricsReadiness(t *testing.T) {
	env, m := newMetricsEnv(t)
	topo := localTopology(t)
	healthyReadinessMocks(env, topo, float64((20 * time.Minute).Milliseconds()))
	env.OnActivity(a.Publish, mock.Anything, mock.Anything).Return(func(context.Context, activities.PublishInput) (activities.PublishResult, error) {
		return activities.PublishResult{}, nil
	})
	env.ExecuteWorkflow(ReadinessCheck, ReadinessRequest{Common: Common{Topology: topo}})
	var rep ReadinessReport
	require.NoError(t, env.GetWorkflowResult(&rep))
	require.Equal(t, Fail, rep.Overall)

	check := func(name string) map[string]string {
		return map[string]string{TagPlatform: topo.Platform, TagStage: topo.Stage, TagCheck: name}
	}
	require.Equal(t, 1.0, mustSeries(t, m, MetricReadinessFailing, check("aurora-replication-lag")))
	require.Equal(t, 0.0, mustSeries(t, m, MetricReadinessFailing, check("dynamodb-replica")), "a passing check reads zero, not absent")
	total, _ := series(t, m, MetricReadinessFailing, map[string]string{TagPlatform: topo.Platform}, false)
	require.Equal(t, float64(rep.Fail), total)

	sc := map[string]string{TagScenario: WorkflowReadiness}
	require.Equal(t, 1.0, mustSeries(t, m, MetricRunsStarted+"_total", sc))
	require.Equal(t, 1.0, mustSeries(t, m, MetricRunsFinished+"_total", map[string]string{TagScenario: WorkflowReadiness, TagOutcome: PhaseCompleted}))
	require.Equal(t, float64(len(rep.Steps)), mustSeries(t, m, MetricStepDuration+"_seconds", sc))
	require.Len(t, rep.Steps, 2)
	_, rto := series(t, m, MetricLastRTO, nil, false)
	require.False(t, rto, "a readiness check restores nothing: no RTO")
}
