package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/roadcall/dr/internal/awssim"
	"github.com/roadcall/dr/internal/testenv"
	"github.com/roadcall/dr/internal/topology"
	"github.com/roadcall/dr/workflows"
)

// BenchmarkFailoverPrepareBeforeGate measures what prepareBeforeGate takes off the RTO when people need a
// modeled 10 minutes to approve: with it, the 20-minute stack activation runs during the wait, so the
// critical path is max(approval + Aurora failover + DNS, stack activation) + the monitoring window; without
// it, approval + activation + DNS + the window. Both run at time scale 0.03, as BenchmarkFailoverModeledRTO,
// and report modeled minutes side by side.
//
//	go test ./e2e -run '^$' -bench BenchmarkFailoverPrepareBeforeGate -benchtime 1x
func BenchmarkFailoverPrepareBeforeGate(b *testing.B) {
	const scale = 0.03
	d := awssim.DefaultDurations()
	monitor, approval := 5*time.Minute, 10*time.Minute
	env := benchEnv(b, scale)
	dns := dnsWait(env.Topology.DNS.Mode, d)
	for _, prepare := range []bool{true, false} {
		name, bound := "without-prepare", approval+max(d.AuroraFailover, d.StackUpdate)+dns+monitor
		if prepare {
			name, bound = "with-prepare", max(approval+d.AuroraFailover+dns, d.StackUpdate)+monitor
		}
		b.Run(name, func(b *testing.B) {
			var modeled time.Duration
			var rep workflows.FailoverReport
			for i := 0; i < b.N; i++ {
				rep = runApprovedFailover(b, env, prepare, time.Duration(float64(approval)*scale), time.Duration(float64(monitor)*scale))
				modeled = time.Duration(float64(rep.RTO) / scale)
			}
			for _, s := range rep.Steps {
				b.Logf("%-12s %8s  %s", s.Name, (time.Duration(float64(s.Ended.Sub(s.Started)) / scale)).Round(time.Second), s.Detail)
			}
			if p := rep.Preparation; p != nil {
				b.ReportMetric(time.Duration(float64(p.Overlap)/scale).Minutes(), "overlap-min")
			}
			b.ReportMetric(modeled.Minutes(), "modeled-RTO-min")
			b.ReportMetric(bound.Minutes(), "critical-path-min")
			b.ReportMetric(float64(modeled)/float64(bound), "x-critical-path")
			if prepare && float64(modeled) > 1.05*float64(bound) {
				b.Errorf("modeled RTO %s with prepareBeforeGate is more than 1.05× the critical path's %s", modeled.Round(time.Second), bound)
			}
		})
	}
}

// runApprovedFailover is runFailover with the gate approved by alice after approveAfter (real time).
func runApprovedFailover(b *testing.B, env *testenv.Env, prepare bool, approveAfter, monitor time.Duration) workflows.FailoverReport {
	b.Helper()
	req := workflows.FailoverRequest{Common: workflows.Common{Topology: env.Topology, Initiator: "bench"},
		MonitorWindow: topology.Duration(monitor), PrepareBeforeGate: &prepare}
	rep, _ := runFailoverWith(b, env, req, func(ctx context.Context, id string) {
		// The approval comes approveAfter once the gate is pending: the modeled time people take to decide.
		for {
			v, err := env.Temporal.Client.QueryWorkflow(ctx, id, "", workflows.QueryStatus)
			var st workflows.Status
			if err == nil && v.Get(&st) == nil && st.PendingGate != nil {
				break
			}
			if err == nil && st.Phase != workflows.PhaseRunning && st.Phase != "" {
				b.Fatalf("the run ended %s before its gate: %s", st.Phase, st.LastError)
			}
			if ctx.Err() != nil {
				b.Fatal("the gate never opened")
			}
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(approveAfter)
		if err := env.Temporal.Client.SignalWorkflow(ctx, id, "", workflows.SignalApprove, workflows.Approval{Gate: workflows.GateFailover, Decision: "approve", Approver: "alice"}); err != nil {
			b.Fatal(err)
		}
	})
	return rep
}
