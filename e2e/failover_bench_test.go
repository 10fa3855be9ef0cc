package e2e

import (
	"context"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/roadcall/dr/internal/awsclient"
	"github.com/roadcall/dr/internal/awssim"
	"github.com/roadcall/dr/internal/drworker"
	"github.com/roadcall/dr/internal/policy"
	"github.com/roadcall/dr/internal/render"
	"github.com/roadcall/dr/internal/testenv"
	"github.com/roadcall/dr/internal/topology"
	"github.com/roadcall/dr/workflows"
)

// benchEnv is a dev server and an awssim with an in-process worker whose waits poll every 5 ms, so that
// polling adds little to what is measured.
func benchEnv(b *testing.B, scale float64) *testenv.Env {
	b.Helper()
	env := testenv.New(b, testenv.Options{TimeScale: scale, NoWorker: true})
	acts, err := drworker.Activities(context.Background(), awsclient.Static(env.Sim.URL))
	if err != nil {
		b.Fatal(err)
	}
	acts.PollInterval = 5 * time.Millisecond
	p, err := policy.Load(env.PolicyFile)
	if err != nil {
		b.Fatal(err)
	}
	acts.Policy, acts.PolicySource = &p, env.PolicyFile
	w := drworker.New(env.Temporal.Client, acts, 0)
	if err := w.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(w.Stop)
	return env
}

// runFailover resets awssim to the steady state with us-east-1 out, runs an auto-approved RegionFailover
// to its end and returns the report and the number of events in its history.
func runFailover(b *testing.B, env *testenv.Env, monitor time.Duration) (workflows.FailoverReport, int) {
	b.Helper()
	req := workflows.FailoverRequest{Common: workflows.Common{Topology: env.Topology, AutoApprove: true, Initiator: "bench"},
		MonitorWindow: topology.Duration(monitor)}
	return runFailoverWith(b, env, req, nil)
}

// runFailoverWith is runFailover for req, with during (when given) run against the started workflow while
// the timer runs, e.g. to approve its gate.
func runFailoverWith(b *testing.B, env *testenv.Env, req workflows.FailoverRequest, during func(ctx context.Context, id string)) (workflows.FailoverReport, int) {
	b.Helper()
	b.StopTimer()
	env.Sim.Reset()
	env.Sim.AddFault(awssim.Fault{Kind: awssim.FaultRegionOutage, Region: env.Topology.PrimaryRegion})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	id := workflows.WorkflowID("failover", env.Topology)
	b.StartTimer()
	run, err := env.Temporal.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueue}, workflows.RegionFailover, req)
	if err != nil {
		b.Fatal(err)
	}
	if during != nil {
		during(ctx, id)
	}
	var rep workflows.FailoverReport
	if err := run.Get(ctx, &rep); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if rep.Outcome != workflows.PhaseCompleted {
		b.Fatalf("outcome %s\n%s", rep.Outcome, render.FailoverReport(rep))
	}
	events := 0
	it := env.Temporal.Client.GetWorkflowHistory(ctx, id, run.GetRunID(), false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		if _, err := it.Next(); err != nil {
			b.Fatal(err)
		}
		events++
	}
	b.StartTimer()
	return rep, events
}

// BenchmarkFailoverZeroLatency is the orchestration overhead: a full auto-approved failover against awssim
// at time scale 0 (every AWS operation finishes at its next read) with a 1 ms monitoring window. The
// dev server fires timers with about a second's granularity, so about 1 s of the wall time is the
// monitoring timer.
//
//	go test ./e2e -run '^$' -bench BenchmarkFailoverZeroLatency -benchtime 5x
func BenchmarkFailoverZeroLatency(b *testing.B) {
	env := benchEnv(b, 0)
	var events int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, events = runFailover(b, env, time.Millisecond)
	}
	b.ReportMetric(float64(events), "events/op")
}

// BenchmarkFailoverModeledRTO runs the failover with AWS's modeled durations (Aurora failover 90 s, stack
// update 20 min, DNS INSYNC 60 s) and a 5-minute monitoring window, all at time scale 0.03, and converts
// the measured RTO back to modeled time. It reports it against the critical path's lower bound (the
// longer of the Aurora failover and the stack update, then the DNS wait of the topology's dns.mode, then
// the monitoring window: the assessment, paging and verification take no modeled time) and against the
// runbook's serial 65 minutes. The conversion multiplies the orchestration's real time too (each task
// and activity round trip on the dev server), so the scale is no smaller than that overhead allows on a
// loaded machine: at 0.01 its second or so of real time alone came to 5% of the critical path.
//
//	go test ./e2e -run '^$' -bench BenchmarkFailoverModeledRTO -benchtime 1x
func BenchmarkFailoverModeledRTO(b *testing.B) {
	const scale = 0.03
	d := awssim.DefaultDurations()
	monitor := 5 * time.Minute
	env := benchEnv(b, scale)
	dns := dnsWait(env.Topology.DNS.Mode, d)
	bound := max(d.AuroraFailover, d.StackUpdate) + dns + monitor
	var modeled time.Duration
	var rep workflows.FailoverReport
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rep, _ = runFailover(b, env, time.Duration(float64(monitor)*scale))
		modeled = time.Duration(float64(rep.RTO) / scale)
	}
	// Each step in modeled time, so a run over the bound shows which step paid for it.
	for _, s := range rep.Steps {
		b.Logf("%-12s %8s  %s", s.Name, (time.Duration(float64(s.Ended.Sub(s.Started)) / scale)).Round(time.Second), s.Detail)
	}
	b.ReportMetric(modeled.Minutes(), "modeled-RTO-min")
	b.ReportMetric(bound.Minutes(), "critical-path-min")
	b.ReportMetric(dns.Minutes(), "dns-wait-min")
	b.ReportMetric(float64(modeled)/float64(bound), "x-critical-path")
	b.ReportMetric(float64(modeled)/float64(workflows.RunbookSerialBudget), "x-runbook-65min")
	if float64(modeled) > 1.05*float64(bound) {
		b.Errorf("modeled RTO %s is more than 1.05× the critical path's %s", modeled.Round(time.Second), bound)
	}
}

// dnsWait is the DNS cutover's share of the critical path in a mode, as awssim models it: after an UPSERT,
// Route 53's propagation until GetChange answers INSYNC; with routing controls or failover records, none,
// since resolution follows a RECOVERY_CONTROL check as soon as its control flips and an HTTPS check as soon
// as its region goes out.
func dnsWait(mode string, d awssim.Durations) time.Duration {
	if mode == topology.DNSUpsert {
		return d.DNSPropagation
	}
	return 0
}
