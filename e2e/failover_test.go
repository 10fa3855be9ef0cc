package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/roadcall/dr/internal/awssim"
	"github.com/roadcall/dr/internal/render"
	"github.com/roadcall/dr/internal/starter"
	"github.com/roadcall/dr/internal/testenv"
	"github.com/roadcall/dr/internal/topology"
	"github.com/roadcall/dr/workflows"
)

// assertFailedOver checks awssim's own state (GET /_sim/state): the Aurora writer and DNS in the DR region,
// every DR stack updated with DrMode=true.
func assertFailedOver(t *testing.T, env *testenv.Env) {
	t.Helper()
	topo := env.Topology
	st := readState(t, env)
	if st.ServingRegion != topo.DRRegion {
		t.Errorf("DNS serves %q, want %s", st.ServingRegion, topo.DRRegion)
	}
	if got := resolveDNS(t, env); got != topo.DRRegion {
		t.Errorf("GET /_sim/dns answers %q, want %s", got, topo.DRRegion)
	}
	if topo.DNS.Mode == topology.DNSRoutingControl {
		assertRoutingControls(t, env, topo.DRRegion)
	}
	writer := ""
	for _, m := range st.World.GlobalClusters[topo.Aurora.GlobalClusterID].Members {
		if m.IsWriter {
			writer = m.Region
		}
	}
	if writer != topo.DRRegion {
		t.Errorf("Aurora writer in %q, want %s", writer, topo.DRRegion)
	}
	for _, name := range topo.Stacks.Names {
		s := st.World.Regions[topo.DRRegion].Stacks[name]
		if s.Status != "UPDATE_COMPLETE" || s.Parameters[topo.Stacks.DRModeParameter] != "true" {
			t.Errorf("DR stack %s: %s with %s=%q, want UPDATE_COMPLETE with true", name, s.Status, topo.Stacks.DRModeParameter, s.Parameters[topo.Stacks.DRModeParameter])
		}
	}
}

// assertExactlyOnce: each mutating call of the failover changed state once and was never repeated.
func assertExactlyOnce(t *testing.T, env *testenv.Env) {
	t.Helper()
	counts := journalCounts(env.Sim.Journal())
	want := map[string][2]int{"FailoverGlobalCluster": {1, 0}, "UpdateStack": {len(env.Topology.Stacks.Names), 0}}
	for op, w := range dnsCutoverOps(t, env.Topology, 1) {
		want[op] = w
	}
	for op, w := range want {
		if counts[op] != w {
			t.Errorf("journal %s: %d changed, %d unchanged; want %d and %d", op, counts[op][0], counts[op][1], w[0], w[1])
		}
	}
	for op := range counts {
		if _, ok := want[op]; !ok && op != "Publish" {
			t.Errorf("unexpected mutating call %s: %v", op, counts[op])
		}
	}
}

// resolveDNS is the region GET /_sim/dns answers for the topology's record: Route 53's data plane.
func resolveDNS(t testing.TB, env *testenv.Env) string {
	t.Helper()
	q := url.Values{"name": {env.Topology.DNS.RecordName}, "type": {env.Topology.DNS.RecordType}}
	resp, err := http.Get(env.Sim.URL + "/_sim/dns?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Region string `json:"region"`
		Reason string `json:"reason"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /_sim/dns: %d, %v", resp.StatusCode, err)
	}
	t.Logf("/_sim/dns: %s (%s)", r.Region, r.Reason)
	return r.Region
}

// dnsCutoverOps is what the journal shows of n DNS cutovers in the topology's dns.mode: in routing-control
// mode (the examples) one UpdateRoutingControlStates per cutover through the ARC cluster's data plane,
// journaled once per routing control it changes (service route53-recovery-cluster), and no record change,
// Route 53's control plane being out with us-east-1; in upsert mode one ChangeResourceRecordSets each.
func dnsCutoverOps(t testing.TB, topo topology.Topology, n int) map[string][2]int {
	t.Helper()
	switch topo.DNS.Mode {
	case topology.DNSRoutingControl:
		return map[string][2]int{"UpdateRoutingControlStates": {n * len(topo.DNS.RoutingControls.Controls), 0}}
	case topology.DNSUpsert:
		return map[string][2]int{"ChangeResourceRecordSets": {n, 0}}
	}
	t.Fatalf("dns.mode %q: no cutover ops expected", topo.DNS.Mode)
	return nil
}

// assertRoutingControls checks the routing controls' states in awssim: ON for the region traffic should
// go to, OFF for the other, and every change journaled by the route53-recovery-cluster service.
func assertRoutingControls(t testing.TB, env *testenv.Env, serving string) {
	t.Helper()
	rc := env.Topology.DNS.RoutingControls
	if rc == nil {
		t.Fatalf("dns.mode %s has no routing controls", env.Topology.DNS.Mode)
	}
	env.Sim.Server.With(func(w *awssim.World) {
		for region, arn := range rc.Controls {
			want := "Off"
			if region == serving {
				want = "On"
			}
			if c := w.RoutingControls[arn]; c == nil || c.State != want {
				t.Errorf("routing control of %s (%s): %+v, want %s", region, arn, c, want)
			}
		}
	})
	for _, j := range env.Sim.Journal() {
		if j.Operation == "UpdateRoutingControlStates" && j.Service != "route53-recovery-cluster" {
			t.Errorf("journal: %s by service %q, want route53-recovery-cluster", j.Operation, j.Service)
		}
		if j.Operation == "ChangeResourceRecordSets" && j.Changed {
			t.Errorf("journal: a record change (%s) with Route 53's control plane out", j.Resource)
		}
	}
}

// getReport waits up to d for a RegionFailover's report.
func getReport(t *testing.T, env *testenv.Env, id string, d time.Duration) workflows.FailoverReport {
	t.Helper()
	return runResult[workflows.FailoverReport](ctxT(t, d), t, env, id)
}

// TestFailoverFromTemporalCLI is the happy path an operator follows with nothing but the temporal CLI: us-east-1 out, a
// run started with `workflow start --input-file`, seen waiting at the gate through `workflow query`,
// refused approvals through `workflow update execute`, approved with `workflow signal`; then awssim's
// state shows the platform in us-west-2 and the report has RTO and RPO.
func TestFailoverFromTemporalCLI(t *testing.T) {
	start := time.Now()
	env := testenv.New(t, testenv.Options{TimeScale: 0.002})
	env.Sim.AddFault(awssim.Fault{Kind: awssim.FaultRegionOutage, Region: env.Topology.PrimaryRegion})
	id := workflows.WorkflowID("failover", env.Topology)
	req := env.RequestFile(failoverExtra(t, map[string]any{"monitorWindow": "1s"}))
	env.StartWorkflowCLI("RegionFailover", id, req)

	waitStatus(t, env, id, time.Minute, "gate failover pending", func(s workflows.Status) bool { return s.Phase == workflows.PhaseAwaitingApproval })
	atGate := time.Now()
	var st map[string]any
	env.QueryCLI(id, workflows.QueryStatus, &st)
	if st["phase"] != workflows.PhaseAwaitingApproval || !reflect.DeepEqual(st["pendingGates"], []any{workflows.GateFailover}) {
		t.Fatalf("temporal workflow query: phase %v, pendingGates %v", st["phase"], st["pendingGates"])
	}
	if _, ok := st["rtoElapsedSeconds"].(float64); !ok {
		t.Fatalf("status lacks rtoElapsedSeconds: %v", st)
	}
	if j := journalCounts(env.Sim.Journal()); len(j) != 1 || j["Publish"][0] == 0 {
		t.Fatalf("before the gate only SNS may be written: %v", j)
	}
	// What the Temporal UI shows as the run's current details.
	if md, err := env.CLI("workflow", "metadata", "--workflow-id", id, "--output", "json"); err != nil || !strings.Contains(md, "To approve gate") {
		t.Fatalf("temporal workflow metadata at the gate: %v\n%s", err, md)
	}

	// The update validator refuses what the signal would have to ignore.
	for approver, want := range map[string]string{"mallory": "not an approver in the worker's policy"} {
		b, _ := json.Marshal(workflows.Approval{Gate: workflows.GateFailover, Decision: "approve", Approver: approver})
		out, err := env.CLI("workflow", "update", "execute", "--workflow-id", id, "--name", workflows.UpdateApprove, "--input", string(b))
		if err == nil || !strings.Contains(out, want) {
			t.Fatalf("update approve by %s: want refusal %q, got %v\n%s", approver, want, err, out)
		}
	}
	b, _ := json.Marshal(workflows.Approval{Gate: "cutover", Decision: "approve", Approver: "alice"})
	if out, err := env.CLI("workflow", "update", "execute", "--workflow-id", id, "--name", workflows.UpdateApprove, "--input", string(b)); err == nil || !strings.Contains(out, "is not a gate") {
		t.Fatalf("update approve of an unknown gate: want refusal, got %v\n%s", err, out)
	}
	// One failover per platform and stage: a second start while this one runs gets the running execution
	// back (the CLI says "Running execution"), not a new run.
	first, err := env.Temporal.Client.DescribeWorkflowExecution(ctxT(t, 10*time.Second), id, "")
	if err != nil {
		t.Fatal(err)
	}
	out, err := env.CLI("workflow", "start", "--type", "RegionFailover", "--task-queue", workflows.TaskQueue, "--workflow-id", id, "--input-file", req)
	runID := first.GetWorkflowExecutionInfo().GetExecution().GetRunId()
	if err == nil && (!strings.Contains(out, "Running execution") || !strings.Contains(out, runID)) {
		t.Fatalf("a second failover started while one runs (first run %s):\n%s", runID, out)
	}

	env.SignalCLI(id, workflows.SignalApprove, workflows.Approval{Gate: workflows.GateFailover, Decision: "approve", Approver: "alice", Comment: "us-east-1 is down"})
	rep := getReport(t, env, id, 2*time.Minute)
	t.Logf("gate reached in %s, approval to report in %s\n%s", atGate.Sub(start).Round(time.Millisecond), time.Since(atGate).Round(time.Millisecond), render.FailoverReport(rep))
	if rep.Outcome != workflows.PhaseCompleted {
		t.Fatalf("outcome %s\n%s", rep.Outcome, render.FailoverReport(rep))
	}
	if rep.RTO <= 0 || !rep.RTOMet || !rep.RPOKnown || rep.RPO <= 0 {
		t.Fatalf("report RTO %s (met %v), RPO %s (known %v)", rep.RTO, rep.RTOMet, rep.RPO, rep.RPOKnown)
	}
	if len(rep.Approvals) != 1 || rep.Approvals[0].Approver != "alice" {
		t.Fatalf("approvals %+v", rep.Approvals)
	}
	for _, c := range rep.Checklist {
		if c.Status == workflows.Fail {
			t.Errorf("checklist item failed: %+v", c)
		}
	}
	assertFailedOver(t, env)
	assertExactlyOnce(t, env)
	var final workflows.Status
	env.QueryCLI(id, workflows.QueryStatus, &final)
	if final.Phase != workflows.PhaseCompleted {
		t.Fatalf("final phase %s", final.Phase)
	}
	assertSummariesAndSearchAttributes(t, env, id, runID, rep)
}

// assertSummariesAndSearchAttributes reads the finished run as an operator would with the temporal CLI:
// every activity carries a runbook-like summary (the UI timeline), the assessment read each DR table
// (version assess-dr-scan) besides verification, and the run is found by its DR search attributes.
func assertSummariesAndSearchAttributes(t *testing.T, env *testenv.Env, id, runID string, rep workflows.FailoverReport) {
	t.Helper()
	out, err := env.CLI("workflow", "show", "--workflow-id", id, "--output", "json")
	if err != nil {
		t.Fatal(err)
	}
	var hist struct {
		Events []struct {
			EventType    string `json:"eventType"`
			UserMetadata struct {
				Summary struct {
					Data []byte `json:"data"`
				} `json:"summary"`
			} `json:"userMetadata"`
		} `json:"events"`
	}
	if err := json.Unmarshal([]byte(out), &hist); err != nil {
		t.Fatalf("temporal workflow show: %v", err)
	}
	var summaries []string
	for _, e := range hist.Events {
		if e.EventType != "EVENT_TYPE_ACTIVITY_TASK_SCHEDULED" {
			continue
		}
		var s string
		if err := json.Unmarshal(e.UserMetadata.Summary.Data, &s); err != nil || s == "" {
			t.Errorf("an activity without a summary: %q (%v)", e.UserMetadata.Summary.Data, err)
		}
		summaries = append(summaries, s)
	}
	all := strings.Join(summaries, "\n")
	topo := env.Topology
	dns := []string{"Route 53 UPSERT", "Wait until Route 53 change"}
	if topo.DNS.Mode == topology.DNSRoutingControl {
		// The DNS step in routing-control mode: the ARC cluster's data plane, then resolution.
		dns = []string{fmt.Sprintf("ARC: turn %s ON, %s OFF via cluster endpoint", topo.DRRegion, topo.PrimaryRegion),
			fmt.Sprintf("Wait until %s %s resolves to %s", topo.DNS.RecordName, topo.DNS.RecordType, topo.DRRegion)}
	}
	for _, want := range append([]string{"Probe " + topo.PrimaryRegion, "RDS global-failover", "CloudFormation UpdateStack", "SNS: failover complete"}, dns...) {
		if !strings.Contains(all, want) {
			t.Errorf("no activity summary with %q:\n%s", want, all)
		}
	}
	if n, want := strings.Count(all, "DynamoDB Scan --limit 1"), 2*len(env.Topology.Tables); n != want {
		t.Errorf("%d Scan --limit 1 activities, want %d (assessment and verification)", n, want)
	}
	q := fmt.Sprintf("WorkflowId = '%s' AND DRScenario = 'failover' AND DRStage = '%s' AND DROutcome = '%s' AND DRDrill = false AND DRRTOSeconds = %d",
		id, env.Topology.Stage, workflows.PhaseCompleted, int64(rep.RTO.Seconds()))
	waitFor(t, 15*time.Second, "the run listed by "+q, func() bool {
		list, _ := env.CLI("workflow", "list", "--query", q, "--output", "json")
		return strings.Contains(list, runID)
	})
}

// TestFailoverRejectedChangesNothing: started by the starter, rejected through the update, the run ends
// aborted and the journal holds nothing but SNS messages.
func TestFailoverRejectedChangesNothing(t *testing.T) {
	env := testenv.New(t, testenv.Options{TimeScale: 0.002})
	env.Sim.AddFault(awssim.Fault{Kind: awssim.FaultRegionOutage, Region: env.Topology.PrimaryRegion})
	ctx := ctxT(t, 2*time.Minute)
	if r := runStarter(ctx, env, "failover", "--topology", env.TopologyFile, "--initiator", "bob"); r.code != starter.ExitOK {
		t.Fatalf("starter failover: exit %d\n%s", r.code, r.output())
	}
	id := workflows.WorkflowID("failover", env.Topology)
	waitStatus(t, env, id, time.Minute, "gate", func(s workflows.Status) bool { return s.Phase == workflows.PhaseAwaitingApproval })
	r := runStarter(ctx, env, "status", "--workflow-id", id)
	if r.code != starter.ExitOK {
		t.Fatalf("starter status: exit %d\n%s", r.code, r.output())
	}
	for _, want := range []string{"RegionFailover  " + id, workflows.PhaseAwaitingApproval, "WAITING  gate failover", "starter approve --workflow-id " + id, "assess", "notify"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("starter status at the gate lacks %q:\n%s", want, r.stdout)
		}
	}
	b, _ := json.Marshal(workflows.Approval{Gate: workflows.GateFailover, Decision: "reject", Approver: "alice", Comment: "the primary is coming back"})
	if o, err := env.CLI("workflow", "update", "execute", "--workflow-id", id, "--name", workflows.UpdateApprove, "--input", string(b)); err != nil {
		t.Fatalf("reject: %v\n%s", err, o)
	}
	rep := getReport(t, env, id, time.Minute)
	if rep.Outcome != workflows.PhaseAborted || len(rep.Actions) != 0 || rep.RTO != 0 {
		t.Fatalf("after a rejection: outcome %s, actions %v, RTO %s", rep.Outcome, rep.Actions, rep.RTO)
	}
	for _, j := range env.Sim.Journal() {
		if j.Operation != "Publish" {
			t.Errorf("a rejected failover changed AWS: %+v", j)
		}
	}
	last := env.Sim.Published()
	if len(last) == 0 || !strings.Contains(last[len(last)-1].Body, "Nothing was changed") {
		t.Errorf("the last message should say nothing was changed: %+v", last)
	}
}

// TestFailoverSurvivesWorkerKills SIGKILLs the worker process during the Aurora failover wait and again
// during the DNS wait (in routing-control mode, which has none, during the DR stacks' wait). awssim runs at real time (scale 1: Aurora 90 s, stacks 20 min, DNS 60 s) and the
// test finishes each operation only once a new worker has resumed the wait. The run completes and the
// journal shows each mutating call changing state exactly once.
func TestFailoverSurvivesWorkerKills(t *testing.T) {
	start := time.Now()
	env := testenv.New(t, testenv.Options{TimeScale: 1, WorkerProcess: true})
	env.Sim.AddFault(awssim.Fault{Kind: awssim.FaultRegionOutage, Region: env.Topology.PrimaryRegion})
	ctx := ctxT(t, 3*time.Minute)
	c := env.Temporal.Client
	id := workflows.WorkflowID("failover", env.Topology)
	req := workflows.FailoverRequest{Common: workflows.Common{Topology: env.Topology, AutoApprove: true, Initiator: "drill"},
		MonitorWindow: topology.Duration(time.Second), WaitHeartbeat: topology.Duration(2 * time.Second)}
	if _, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueue}, workflows.RegionFailover, req); err != nil {
		t.Fatal(err)
	}

	waits := []struct{ op, wait string }{{"FailoverGlobalCluster", "WaitAuroraWriter"}, {"ChangeResourceRecordSets", "WaitDNSChange"}}
	if env.Topology.DNS.Mode == topology.DNSRoutingControl {
		// Routing controls move traffic at once (no change to wait INSYNC for): the second kill lands in
		// the other long wait, the DR stacks' update, and the journal still shows one routing-control change.
		waits[1] = struct{ op, wait string }{"UpdateStack", "WaitStackParameter"}
	}
	for _, w := range waits {
		waitFor(t, time.Minute, w.wait+" running after "+w.op, func() bool { return journaled(env, w.op) && pendingActivity(t, c, id, w.wait) > 0 })
		env.Worker.Kill()
		killed := time.Now()
		env.Worker.Start()
		waitFor(t, time.Minute, w.wait+" resumed by the new worker", func() bool { return pendingActivity(t, c, id, w.wait) >= 2 })
		t.Logf("killed during %s; a new worker resumed it %s later", w.wait, time.Since(killed).Round(time.Millisecond))
		finishAWS(env)
	}
	rep := getReport(t, env, id, time.Minute)
	if rep.Outcome != workflows.PhaseCompleted {
		t.Fatalf("outcome %s\n%s", rep.Outcome, render.FailoverReport(rep))
	}
	assertFailedOver(t, env)
	assertExactlyOnce(t, env)
	t.Logf("completed in %s wall time with two worker kills", time.Since(start).Round(time.Millisecond))
}

// TestFailoverUnderThrottling: 30% of every AWS call throttled, the run still completes (SDK and activity
// retries), with each change made once.
func TestFailoverUnderThrottling(t *testing.T) {
	env := testenv.New(t, testenv.Options{TimeScale: 0.002})
	env.Sim.AddFault(awssim.Fault{Kind: awssim.FaultRegionOutage, Region: env.Topology.PrimaryRegion})
	env.Sim.AddFault(awssim.Fault{Kind: awssim.FaultThrottle, Service: "*", Rate: 0.3})
	r := runStarter(ctxT(t, 3*time.Minute), env, "failover", "--topology", env.TopologyFile, "--auto-approve", "--follow", "--monitor-window", "1s")
	if r.code != starter.ExitOK {
		t.Fatalf("starter failover --follow: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"started region failover of roadcall-prod", "database", "dns", "RTO ", "COMPLETED"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("--follow output lacks %q:\n%s", want, r.stdout)
		}
	}
	fired := 0
	for _, f := range env.Sim.Server.Faults() {
		if f.Kind == awssim.FaultThrottle {
			fired = f.Fired
		}
	}
	if fired == 0 {
		t.Fatal("the throttling fault never fired")
	}
	t.Logf("%d calls throttled", fired)
	assertFailedOver(t, env)
	assertExactlyOnce(t, env)
}

// TestFailoverAccessDeniedOnDNS: AccessDenied on the DNS write (UpdateRoutingControlStates in routing-control
// mode, ChangeResourceRecordSets in upsert mode) pauses the run in
// awaiting-operator with the AWS error in its status. Retry after the fault is lifted completes it; in a
// second run, abort ends it cleanly with the report of what was done.
func TestFailoverAccessDeniedOnDNS(t *testing.T) {
	env := testenv.New(t, testenv.Options{TimeScale: 0.002})
	id := workflows.WorkflowID("failover", env.Topology)
	// The DNS step's write: in routing-control mode (the examples) the ARC cluster's UpdateRoutingControlStates,
	// Route 53's control plane being out with us-east-1; in upsert mode ChangeResourceRecordSets.
	service, op, code := "route53", "ChangeResourceRecordSets", "AccessDenied"
	if env.Topology.DNS.Mode == topology.DNSRoutingControl {
		service, op, code = "route53-recovery-cluster", "UpdateRoutingControlStates", "AccessDeniedException"
	}
	denied := awssim.Fault{Kind: awssim.FaultError, Service: service, Operation: op, Code: code,
		Message: "User: arn:aws:sts::123456789012:assumed-role/dr-worker is not authorized to perform: " + service + ":" + op}
	startRun := func() {
		env.Sim.AddFault(awssim.Fault{Kind: awssim.FaultRegionOutage, Region: env.Topology.PrimaryRegion})
		env.StartWorkflowCLI("RegionFailover", id, env.RequestFile(failoverExtra(t, map[string]any{"monitorWindow": "1s"})))
		// Approved through the update, as the README shows: the CLI answers with the validator's verdict.
		waitStatus(t, env, id, time.Minute, "gate", func(s workflows.Status) bool { return s.Phase == workflows.PhaseAwaitingApproval })
		b, _ := json.Marshal(workflows.Approval{Gate: workflows.GateFailover, Decision: "approve", Approver: "alice"})
		if out, err := env.CLI("workflow", "update", "execute", "--workflow-id", id, "--name", workflows.UpdateApprove, "--input", string(b)); err != nil {
			t.Fatalf("approve by update through the temporal CLI: %v\n%s", err, out)
		}
	}
	paused := func() workflows.Status {
		st := waitStatus(t, env, id, time.Minute, "paused at dns", func(s workflows.Status) bool { return s.Phase == workflows.PhaseAwaitingOperator })
		if len(st.PausedSteps) != 1 || st.PausedSteps[0] != "dns" || !strings.Contains(st.LastError, "AccessDenied") || !strings.Contains(st.LastError, "not authorized") {
			t.Fatalf("want dns paused with the AWS error, got paused %v, lastError %q", st.PausedSteps, st.LastError)
		}
		return st
	}

	faultID := env.Sim.AddFault(denied)
	startRun()
	paused()
	if err := env.Sim.Server.RemoveFault(faultID); !err {
		t.Fatal("fault not removed")
	}
	// The operator signal's payload written out as the README's command types it, not marshalled from the
	// Go type: step, action and operator are the field names operators rely on.
	env.SignalCLI(id, workflows.SignalOperator, map[string]string{"step": "dns", "action": "retry", "operator": "alice"})
	rep := getReport(t, env, id, time.Minute)
	if rep.Outcome != workflows.PhaseCompleted {
		t.Fatalf("after retry: %s\n%s", rep.Outcome, render.FailoverReport(rep))
	}
	if notes := strings.Join(rep.Notes, "\n"); !strings.Contains(notes, "step dns retried by alice") {
		t.Errorf("the report does not name who retried:\n%s", notes)
	}
	assertFailedOver(t, env)

	env.Sim.Reset()
	env.Sim.AddFault(denied)
	startRun()
	paused()
	if r := runStarter(ctxT(t, time.Minute), env, "operator", "--workflow-id", id, "--step", "dns", "--action", "abort", "--operator", "alice"); r.code != starter.ExitOK {
		t.Fatalf("starter operator abort: exit %d\n%s", r.code, r.output())
	}
	rep = getReport(t, env, id, time.Minute)
	if rep.Outcome != workflows.PhaseAborted || rep.RTO != 0 {
		t.Fatalf("after abort: %s, RTO %s\n%s", rep.Outcome, rep.RTO, render.FailoverReport(rep))
	}
	counts := journalCounts(env.Sim.Journal())
	if counts[op][0] != 0 || counts["ChangeResourceRecordSets"][0] != 0 || counts["FailoverGlobalCluster"][0] != 1 {
		t.Fatalf("abort at DNS: journal %v", counts)
	}
	if !strings.Contains(strings.Join(rep.Actions, "\n"), "FailoverGlobalCluster") {
		t.Fatalf("the report must say the database was failed over: %v", rep.Actions)
	}
	if notes := strings.Join(rep.Notes, "\n"); !strings.Contains(notes, "step dns aborted by alice") {
		t.Errorf("the report does not name who aborted:\n%s", notes)
	}
}

// TestFailoverBadInputRefused: the starter refuses bad requests before starting anything (exit 2), and
// the update validator refuses bad approvals (exit 3), with AWS untouched by any of them.
func TestFailoverBadInputRefused(t *testing.T) {
	// Typed names under the two-person rule: the proven-identity rules have their own tests (trust_test.go).
	local, err := topology.Load(filepath.Join(testenv.ModuleRoot(t), "examples", "roadcall-local.json"))
	if err != nil {
		t.Fatal(err)
	}
	pol := testenv.PermissivePolicy(local)
	p := pol.Platforms[local.Platform][local.Stage]
	p.TwoPerson = true
	pol.Platforms[local.Platform][local.Stage] = p
	env := testenv.New(t, testenv.Options{TimeScale: 0.002, Policy: tempFile(t, "two-person-policy.json", mustJSON(t, pol))})
	ctx := ctxT(t, 2*time.Minute)
	run := func(args ...string) (int, string) {
		r := runStarter(ctx, env, args...)
		return r.code, r.output()
	}
	write := func(name string, edit func(m map[string]any)) string {
		return tempFile(t, name+".json", editTopology(t, env.Topology, edit))
	}
	for name, tc := range map[string]struct {
		edit func(m map[string]any)
		want string
	}{
		"same region twice":     {func(m map[string]any) { m["drRegion"] = m["primaryRegion"] }, `"drRegion"`},
		"unknown failover mode": {func(m map[string]any) { m["aurora"].(map[string]any)["failoverMode"] = "promote-everything" }, "unknown failover mode"},
		"zero RTO":              {func(m map[string]any) { m["objectives"].(map[string]any)["rto"] = "0s" }, `"objectives.rto"`},
		"negative RTO":          {func(m map[string]any) { m["objectives"].(map[string]any)["rto"] = "-1h" }, `"objectives.rto"`},
	} {
		code, out := run("failover", "--topology", write(strings.ReplaceAll(name, " ", "-"), tc.edit))
		if code != starter.ExitBadInput || !strings.Contains(out, tc.want) {
			t.Errorf("%s: exit %d, want %d naming %s\n%s", name, code, starter.ExitBadInput, tc.want, out)
		}
	}
	if j := env.Sim.Journal(); len(j) != 0 {
		t.Fatalf("refused requests touched AWS: %+v", j)
	}

	// Two-person rule: the initiator may not approve their own failover.
	twoPerson := env.TopologyFile
	if code, out := run("failover", "--topology", twoPerson, "--initiator", "alice", "--monitor-window", "3s"); code != starter.ExitOK {
		t.Fatalf("start: exit %d\n%s", code, out)
	}
	id := workflows.WorkflowID("failover", env.Topology)
	waitStatus(t, env, id, time.Minute, "gate", func(s workflows.Status) bool { return s.Phase == workflows.PhaseAwaitingApproval })
	if code, out := run("failover", "--topology", twoPerson, "--initiator", "bob"); code != starter.ExitBadInput || !strings.Contains(out, "already running") {
		t.Errorf("second failover while one runs: exit %d\n%s", code, out)
	}
	for who, want := range map[string]string{"mallory": "not an approver in the worker's policy", "Alice": "two-person rule"} {
		if code, out := run("approve", "--workflow-id", id, "--gate", workflows.GateFailover, "--approver", who); code != starter.ExitRefused || !strings.Contains(out, want) {
			t.Errorf("approve by %s: exit %d, want %d with %q\n%s", who, code, starter.ExitRefused, want, out)
		}
	}
	if j := journalCounts(env.Sim.Journal()); len(j) != 1 {
		t.Fatalf("refused approvals must change nothing: %v", j)
	}
	if code, out := run("approve", "--workflow-id", id, "--gate", workflows.GateFailover, "--approver", "bob"); code != starter.ExitOK {
		t.Fatalf("approve by another person: exit %d\n%s", code, out)
	}
	// The gate has passed; the run is still going (monitoring for 3 s): a second approval is refused.
	if code, out := run("approve", "--workflow-id", id, "--gate", workflows.GateFailover, "--approver", "bob"); code != starter.ExitRefused || !strings.Contains(out, "not pending") {
		t.Errorf("approval for a gate not pending: exit %d\n%s", code, out)
	}
	rep := getReport(t, env, id, time.Minute)
	if rep.Outcome != workflows.PhaseCompleted {
		t.Fatalf("two-person run: %s\n%s", rep.Outcome, render.FailoverReport(rep))
	}
}

// TestFailoverRequestExampleMatchesLocalTopology keeps examples/requests/failover.json runnable as-is
// against `awssim --topology examples/roadcall-local.json` and the workflow's validation.
// Regenerate: python3 -c 'import json;print(json.dumps({"initiator":"incident-commander","topology":json.load(open("examples/roadcall-local.json"))},indent=2))' > examples/requests/failover.json
func TestFailoverRequestExampleMatchesLocalTopology(t *testing.T) {
	root := testenv.ModuleRoot(t)
	reqBytes, err := os.ReadFile(filepath.Join(root, "examples", "requests", "failover.json"))
	if err != nil {
		t.Fatal(err)
	}
	topoBytes, err := os.ReadFile(filepath.Join(root, "examples", "roadcall-local.json"))
	if err != nil {
		t.Fatal(err)
	}
	var req map[string]any
	var topo any
	if err := json.Unmarshal(reqBytes, &req); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(topoBytes, &topo); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(req["topology"], topo) {
		t.Fatal("examples/requests/failover.json's topology differs from examples/roadcall-local.json; regenerate it (see this test's comment)")
	}
	if req["autoApprove"] == true {
		t.Fatal("the example must need an approval")
	}
	var r workflows.FailoverRequest
	if err := json.Unmarshal(reqBytes, &r); err != nil {
		t.Fatal(err)
	}
	if err := r.Validate(); err != nil {
		t.Fatalf("examples/requests/failover.json is refused: %v", err)
	}
	// The worker's policy names the approvers (examples/policy-local.json): a topology that named its own
	// would be refused by it.
	if ap := r.Topology.Approvals; len(ap.Approvers) > 0 || ap.TwoPerson {
		t.Fatalf("examples/roadcall-local.json approvals: %v two-person %v; leave both to the worker's policy", ap.Approvers, ap.TwoPerson)
	}
}
