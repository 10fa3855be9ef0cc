package e2e

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.temporal.io/sdk/client"

	"github.com/roadcall/dr/internal/awssim"
	"github.com/roadcall/dr/internal/starter"
	"github.com/roadcall/dr/internal/temporalclient"
	"github.com/roadcall/dr/internal/testenv"
	"github.com/roadcall/dr/workflows"
)

// TestMetricsAfterDrillAndReadiness runs the worker binary with --metrics-addr, a whole drill (readiness,
// failover and failback children, auto-approved) and then a readiness check that fails on Aurora lag,
// scrapes /metrics over HTTP, and checks the values against what the runs report: runs started and
// finished per scenario, one step-duration sample per timeline row, the RTO and RPO the reports measured,
// the auto-approved gates, the failing check, and the SDK's own temporal_* counters.
func TestMetricsAfterDrillAndReadiness(t *testing.T) {
	env := testenv.New(t, testenv.Options{TimeScale: 0.002, NoWorker: true})
	addr := freeLocalAddr(t)
	env.Worker = testenv.StartWorkerProcessArgs(t, env.Temporal, env.Sim, env.PolicyFile, "--metrics-addr", addr)

	r := runStarter(ctxT(t, 2*time.Minute), env, "drill", "--topology", env.TopologyFile, "--auto-approve", "--monitor-window", "1s")
	if r.code != starter.ExitOK {
		t.Fatalf("starter drill exited %d\n%s", r.code, r.output())
	}
	ctx := ctxT(t, 2*time.Minute)
	drill := runResult[workflows.DrillReport](ctx, t, env, workflows.WorkflowID("drill", env.Topology))
	if drill.Readiness == nil || drill.Failover == nil || drill.Failback == nil {
		t.Fatalf("drill report without its children: %+v", drill)
	}
	childReady := runResult[workflows.ReadinessReport](ctx, t, env, drill.Readiness.WorkflowID)

	env.Sim.AddFault(awssim.Fault{Kind: "replication-lag", Seconds: 1200})
	run, err := env.Temporal.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "metrics-readiness", TaskQueue: workflows.TaskQueue},
		workflows.WorkflowReadiness, workflows.ReadinessRequest{Common: workflows.Common{Topology: env.Topology}})
	if err != nil {
		t.Fatal(err)
	}
	var ready workflows.ReadinessReport
	if err := run.Get(ctx, &ready); err != nil {
		t.Fatal(err)
	}
	if ready.Overall != workflows.Fail {
		t.Fatalf("with 20 min of Aurora lag the readiness check should fail, got %s", ready.Overall)
	}
	var st workflows.Status
	env.QueryCLI("metrics-readiness", workflows.QueryStatus, &st)

	m := scrape(t, "http://"+addr+temporalclient.MetricsPath)
	topo := env.Topology
	sc := func(s string) map[string]string { return map[string]string{workflows.TagScenario: s} }

	// Runs: the drill, its three children and the readiness check, each counted once and completed.
	for scenario, n := range map[string]float64{workflows.WorkflowDrill: 1, workflows.WorkflowRegionFailover: 1, workflows.WorkflowFailback: 1, workflows.WorkflowReadiness: 2} {
		m.expect(t, workflows.MetricRunsStarted+"_total", sc(scenario), n)
		m.expect(t, workflows.MetricRunsFinished+"_total", map[string]string{workflows.TagScenario: scenario, workflows.TagOutcome: workflows.PhaseCompleted}, n)
	}

	// Steps: one sample per row of each run's timeline, as its report and status query say.
	stepHist := workflows.MetricStepDuration + "_seconds"
	m.expect(t, stepHist, sc(workflows.WorkflowDrill), float64(len(drill.Steps)))
	m.expect(t, stepHist, sc(workflows.WorkflowRegionFailover), float64(len(drill.Failover.Steps)))
	m.expect(t, stepHist, sc(workflows.WorkflowFailback), float64(len(drill.Failback.Steps)))
	m.expect(t, stepHist, sc(workflows.WorkflowReadiness), float64(len(childReady.Steps)+len(st.Steps)))
	if len(st.Steps) != 2 {
		t.Errorf("the failing readiness check has %d steps in its status, want checks and alarm", len(st.Steps))
	}
	m.expect(t, stepHist, map[string]string{workflows.TagScenario: workflows.WorkflowReadiness, workflows.TagStep: "alarm"}, 1)
	for _, s := range drill.Failover.Steps {
		if countSteps(drill.Failover.Steps, s.Name) != 1 {
			continue
		}
		got := m.value(t, stepHist, map[string]string{workflows.TagScenario: workflows.WorkflowRegionFailover, workflows.TagStep: s.Name}, true)
		if math.Abs(got-s.Duration().Seconds()) > 0.001 {
			t.Errorf("failover step %s: histogram sum %.3fs, report says %.3fs", s.Name, got, s.Duration().Seconds())
		}
	}

	// Gates: each auto-approved gate once, under decision auto.
	gates := len(drill.Failover.Approvals) + len(drill.Failback.Approvals)
	if gates == 0 {
		t.Fatal("the drill's failover and failback recorded no approvals")
	}
	m.expect(t, workflows.MetricGateWait+"_seconds", map[string]string{workflows.TagDecision: "auto"}, float64(gates))

	// RTO and RPO as the reports measured them.
	plat := func(s string) map[string]string {
		return map[string]string{workflows.TagPlatform: topo.Platform, workflows.TagStage: topo.Stage, workflows.TagScenario: s}
	}
	m.expectNear(t, workflows.MetricLastRTO, plat(workflows.WorkflowRegionFailover), drill.Failover.RTO.Seconds())
	m.expectNear(t, workflows.MetricLastRTO, plat(workflows.WorkflowDrill), drill.RTO.Seconds())
	if !drill.Failover.RPOKnown {
		t.Fatal("the drill's failover did not measure its RPO")
	}
	m.expectNear(t, workflows.MetricLastRPO, plat(workflows.WorkflowRegionFailover), drill.Failover.RPO.Seconds())

	// Readiness: the lag check failing once, every other check at zero.
	check := func(c string) map[string]string {
		return map[string]string{workflows.TagPlatform: topo.Platform, workflows.TagStage: topo.Stage, workflows.TagCheck: c}
	}
	m.expect(t, workflows.MetricReadinessFailing, check("aurora-replication-lag"), 1)
	m.expect(t, workflows.MetricReadinessFailing, check("dynamodb-replica"), 0)
	m.expect(t, workflows.MetricReadinessFailing, map[string]string{workflows.TagPlatform: topo.Platform}, float64(ready.Fail))

	// The SDK's own metrics, from the same registry: both readiness runs completed, requests made to the
	// server, activities timed.
	if v := m.value(t, "temporal_workflow_completed_total", map[string]string{"workflow_type": workflows.WorkflowReadiness}, false); v != 2 {
		t.Errorf("temporal_workflow_completed_total{workflow_type=ReadinessCheck} = %v, want 2", v)
	}
	if v := m.value(t, "temporal_request_total", nil, false); v <= 0 {
		t.Errorf("temporal_request_total = %v, want > 0", v)
	}
	if v := m.value(t, "temporal_activity_execution_latency_seconds", nil, false); v <= 0 {
		t.Errorf("temporal_activity_execution_latency_seconds count = %v, want > 0", v)
	}
	// No series carries a workflow ID: the labels stay bounded however many runs there are.
	for name, f := range m {
		for _, s := range f.GetMetric() {
			for _, l := range s.GetLabel() {
				if strings.Contains(l.GetValue(), "metrics-readiness") || strings.Contains(l.GetValue(), workflows.WorkflowID("drill", topo)) {
					t.Errorf("%s has label %s=%q: a workflow ID", name, l.GetName(), l.GetValue())
				}
			}
		}
	}
}

// TestMetricsAddrRefusedAtStart: an address already in use and a malformed one are refused before the worker
// dials Temporal (none listens here), exit 2, with a message naming the setting.
func TestMetricsAddrRefusedAtStart(t *testing.T) {
	bin := testenv.WorkerBinary(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	for _, c := range []struct {
		name string
		args []string
		env  string
		want string
	}{
		{"in use by flag", []string{"--metrics-addr", taken.Addr().String()}, "", "address already in use"},
		{"in use by env", nil, taken.Addr().String(), "address already in use"},
		{"malformed", []string{"--metrics-addr", "9464"}, "", "want HOST:PORT"},
		{"bad port", nil, "127.0.0.1:70000", "not a number from 0 to 65535"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(bin, c.args...)
			// TEMPORAL_ADDRESS points at a port nothing listens on: were the worker to dial first, the
			// message would be a connection error, not the setting's.
			cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "TEMPORAL_ADDRESS=" + freeLocalAddr(t), temporalclient.MetricsAddrEnv + "=" + c.env}
			done := make(chan struct{})
			var out []byte
			var runErr error
			go func() { out, runErr = cmd.CombinedOutput(); close(done) }()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				_ = cmd.Process.Kill()
				<-done
				t.Fatalf("worker did not refuse at start:\n%s", out)
			}
			ee, ok := runErr.(*exec.ExitError)
			if !ok || ee.ExitCode() != 2 {
				t.Fatalf("exit %v, want 2:\n%s", runErr, out)
			}
			for _, want := range []string{"--metrics-addr", temporalclient.MetricsAddrEnv, c.want} {
				if !strings.Contains(string(out), want) {
					t.Errorf("message lacks %q:\n%s", want, out)
				}
			}
			if strings.Contains(string(out), "connect to Temporal") {
				t.Errorf("the worker dialed Temporal before refusing:\n%s", out)
			}
		})
	}
}

func countSteps(steps []workflows.StepRecord, name string) int {
	n := 0
	for _, s := range steps {
		if s.Name == name {
			n++
		}
	}
	return n
}

// freeLocalAddr is a 127.0.0.1 port free a moment ago.
func freeLocalAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// families is one scrape of /metrics, parsed as Prometheus parses it.
type families map[string]*dto.MetricFamily

func scrape(t *testing.T, url string) families {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("GET %s: Content-Type %q, want the Prometheus text format", url, ct)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse %s: %v", url, err)
	}
	return fams
}

// value sums the series of name whose labels include want: counter or gauge values, histogram counts (or
// sums with sum=true). A family that is absent fails the test.
func (f families) value(t *testing.T, name string, want map[string]string, sum bool) float64 {
	t.Helper()
	fam, ok := f[name]
	if !ok {
		t.Fatalf("/metrics has no %s", name)
	}
	v, matched := 0.0, false
	for _, s := range fam.GetMetric() {
		if !hasLabels(s.GetLabel(), want) {
			continue
		}
		matched = true
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
	if !matched {
		t.Fatalf("/metrics has no %s series with %v", name, want)
	}
	return v
}

func (f families) expect(t *testing.T, name string, labels map[string]string, want float64) {
	t.Helper()
	if got := f.value(t, name, labels, false); got != want {
		t.Errorf("%s%s = %v, want %v", name, fmtLabels(labels), got, want)
	}
}

func (f families) expectNear(t *testing.T, name string, labels map[string]string, want float64) {
	t.Helper()
	if got := f.value(t, name, labels, false); math.Abs(got-want) > 1e-6 {
		t.Errorf("%s%s = %v, want %v", name, fmtLabels(labels), got, want)
	}
}

func hasLabels(have []*dto.LabelPair, want map[string]string) bool {
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

func fmtLabels(l map[string]string) string {
	var b strings.Builder
	for k, v := range l {
		fmt.Fprintf(&b, "%s=%q,", k, v)
	}
	return "{" + strings.TrimSuffix(b.String(), ",") + "}"
}
