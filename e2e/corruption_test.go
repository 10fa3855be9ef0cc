package e2e

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/roadcall/dr/internal/awssim"
	"github.com/roadcall/dr/internal/render"
	"github.com/roadcall/dr/internal/starter"
	"github.com/roadcall/dr/internal/testenv"
	"github.com/roadcall/dr/workflows"
)

// simWorld is awssim's whole world as GET /_sim/state shows it: the corruption tests check what the run did
// there (environments, restores, SSM, API stages) rather than what its report says it did.
func simWorld(t *testing.T, env *testenv.Env) awssim.World {
	t.Helper()
	var st struct {
		World awssim.World `json:"world"`
	}
	readSimState(t, env, &st)
	return st.World
}

// functionEnvs is every function's environment in a region.
func functionEnvs(w awssim.World, region string) map[string]map[string]string {
	out := map[string]map[string]string{}
	for name, fn := range w.Regions[region].Functions {
		out[name] = maps.Clone(fn.Env)
	}
	return out
}

// checkRestoredTable asserts the restored table exists, is ACTIVE with PITR on, and holds the clean item.
func checkRestoredTable(t *testing.T, w awssim.World, region, name string) {
	t.Helper()
	tb := w.Regions[region].Tables[name]
	if tb == nil {
		t.Fatalf("restored table %s does not exist in %s", name, region)
	}
	if tb.Status != "ACTIVE" || !tb.PITR {
		t.Fatalf("restored table %s: status %s, PITR %v; want ACTIVE with PITR on", name, tb.Status, tb.PITR)
	}
}

// checkRestoredCluster asserts the restored cluster is available with an available writer instance.
func checkRestoredCluster(t *testing.T, w awssim.World, region, name string) {
	t.Helper()
	cl := w.Regions[region].Clusters[name]
	if cl == nil || cl.Status != "available" || len(cl.Members) == 0 {
		t.Fatalf("restored cluster %s in %s: %+v; want available with a writer instance", name, region, cl)
	}
	if in := w.Regions[region].Instances[cl.Members[0]]; in == nil || in.Status != "available" || !cl.Writer {
		t.Fatalf("restored cluster %s: writer instance %+v not available", name, in)
	}
}

// tableSettings are the settings of a table a point-in-time restore drops and DataCorruptionRecovery carries
// (RestoreTableToPointInTime's API reference: auto scaling policies, tags, stream settings, TTL, PITR), plus
// deletion protection, billing mode and capacity, as awssim's world holds them; targets are keyed by dimension.
type tableSettings struct {
	Stream, TTL        string
	Tags               map[string]string
	DeletionProtection bool
	Billing            string
	Read, Write        int64
	AutoScaling        map[string]string
}

func settingsOf(w awssim.World, region, table string) tableSettings {
	tb := w.Regions[region].Tables[table]
	s := tableSettings{Stream: tb.StreamViewType, TTL: tb.TTL.AttributeName, Tags: tb.Tags, DeletionProtection: tb.DeletionProtection,
		Billing: tb.BillingMode, Read: tb.ReadCap, Write: tb.WriteCap, AutoScaling: map[string]string{}}
	if !tb.TTL.Enabled {
		s.TTL = "disabled"
	}
	for _, tg := range w.Regions[region].ScalableTargets {
		if tg.ResourceID != "table/"+table {
			continue
		}
		d := fmt.Sprintf("min=%d max=%d", tg.Min, tg.Max)
		for _, name := range awssim.SortedKeys(tg.Policies) {
			p := tg.Policies[name]
			d += fmt.Sprintf(" policy %s %s %g%% disableScaleIn=%v in=%v out=%v", name, p.PredefinedMetric, p.TargetValue, p.DisableScaleIn, deref(p.ScaleInCooldown), deref(p.ScaleOutCooldown))
		}
		s.AutoScaling[tg.Dimension] = d
	}
	return s
}

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestCorruptionRecoveryFromTemporalCLI: a corrupted users table, the example request started with
// `temporal workflow start`, the gates answered by `temporal workflow signal` and `update execute` (which
// refuses a restore time outside the window). Checked in awssim: writes
// stopped by a merge that kept every other variable, the restores (PITR on, a writer in the cluster, each
// restored table with its source's settings field by field, the users table's auto scaling included), the
// cutover to them, and writes resumed with the environment otherwise exactly as before.
func TestCorruptionRecoveryFromTemporalCLI(t *testing.T) {
	env := testenv.New(t, testenv.Options{TimeScale: 0.002, WorkerProcess: true})
	ctx := ctxT(t, 3*time.Minute)
	topo := env.Topology
	region, users, incidents, cluster := topo.PrimaryRegion, "roadcall-users-prod", "roadcall-incidents-prod", topo.Aurora.PrimaryClusterID
	startedAt := time.Now().UTC().Add(-10 * time.Minute).Truncate(time.Second)
	env.Sim.AddFault(awssim.Fault{Kind: awssim.FaultCorruptedTable, Table: users, At: startedAt})
	before := functionEnvs(simWorld(t, env), region)

	// The README's recipe: the example request with the corruption time filled in.
	req := requestExample(t, "corruption")
	req["corruptionStartedAt"] = startedAt.Format(time.RFC3339)
	reqFile := tempFile(t, "corruption.json", mustJSON(t, req))
	id := "corruption-from-cli"
	t0 := time.Now()
	env.StartWorkflowCLI("DataCorruptionRecovery", id, reqFile)

	st := waitGate(ctx, t, env, id, workflows.GateRestorePoint)
	proposed := startedAt.Add(-topo.Corruption.RestoreMargin.D())
	if !strings.Contains(st.PendingGate.Summary, proposed.Format(time.RFC3339)) {
		t.Fatalf("restore-point gate should propose %s: %s", proposed.Format(time.RFC3339), st.PendingGate.Summary)
	}
	stopped := functionEnvs(simWorld(t, env), region)
	for fn, env0 := range before {
		want := maps.Clone(env0)
		want[workflows.ReadOnlyVar] = "true"
		if !maps.Equal(stopped[fn], want) {
			t.Fatalf("after the read-only switch %s's environment is %v, want %v (every other variable kept)", fn, stopped[fn], want)
		}
	}
	// The update refuses a time outside the window and says which window; the signal approves.
	tooOld := `{"gate":"restore-point","decision":"approve","approver":"alice","value":"2020-01-01T00:00:00Z"}`
	if out, err := env.CLI("workflow", "update", "execute", "--workflow-id", id, "--name", workflows.UpdateApprove, "--input", tooOld); err == nil ||
		!strings.Contains(out, "outside the window every resource can be restored to") {
		t.Fatalf("temporal workflow update execute with a restore time before the window: err %v\n%s", err, out)
	}
	env.SignalCLI(id, workflows.SignalApprove, workflows.Approval{Gate: workflows.GateRestorePoint, Decision: "approve", Approver: "alice"})
	st = waitGate(ctx, t, env, id, workflows.GateCutover)
	if !strings.Contains(st.PendingGate.Summary, "USERS_TABLE") {
		t.Errorf("the cutover gate should say which variables change: %s", st.PendingGate.Summary)
	}
	if out, err := env.CLI("workflow", "update", "execute", "--workflow-id", id, "--name", workflows.UpdateApprove,
		"--input", `{"gate":"cutover","decision":"approve","approver":"alice"}`); err != nil {
		t.Fatalf("approve cutover with temporal workflow update execute: %v\n%s", err, out)
	}

	rep := runResult[workflows.CorruptionReport](ctx, t, env, id)
	t.Logf("DataCorruptionRecovery completed in %s wall time (awssim scale 0.002):\n%s", time.Since(t0).Round(time.Millisecond), render.CorruptionReport(rep))
	if rep.Outcome != workflows.PhaseCompleted || rep.WritesStopped || !rep.CutoverDone {
		t.Fatalf("want completed with writes resumed:\n%s", render.CorruptionReport(rep))
	}

	stamp := proposed.UTC().Format("200601021504")
	rUsers, rIncidents, rCluster := users+"-restored-"+stamp, incidents+"-restored-"+stamp, cluster+"-restored-"+stamp
	w := simWorld(t, env)
	checkRestoredTable(t, w, region, rUsers)
	checkRestoredTable(t, w, region, rIncidents)
	checkRestoredCluster(t, w, region, rCluster)
	for src, restored := range map[string]string{users: rUsers, incidents: rIncidents} {
		want, got := settingsOf(w, region, src), settingsOf(w, region, restored)
		if !reflect.DeepEqual(want, got) {
			t.Errorf("restored %s's settings differ from its source %s:\n got %+v\nwant %+v", restored, src, got, want)
		}
	}
	if as := settingsOf(w, region, rUsers).AutoScaling; len(as) != 2 {
		t.Errorf("the users table's read and write auto scaling should be carried to %s: %v", rUsers, as)
	}
	// The restore really predates the corruption: USER#0001 is corrupted in the source, clean in the restore.
	status := func(table string) string {
		for _, it := range w.Regions[region].Tables[table].Items {
			if it.Key == "USER#0001" {
				s, _ := it.Latest()["status"].(map[string]any)
				return s["S"].(string)
			}
		}
		return "missing"
	}
	if status(users) != "corrupted" || status(rUsers) != "ok" {
		t.Fatalf("USER#0001: source %q, restore %q; want corrupted and ok", status(users), status(rUsers))
	}
	// and validation reported it, while the uncorrupted incidents table compared clean.
	if d := strings.Join(rep.Differences, "\n"); !strings.Contains(d, "roadcall-users-prod: integrity key pk=USER#0001 differs") || strings.Contains(d, incidents) {
		t.Fatalf("validation differences should name USER#0001 and nothing in %s:\n%s", incidents, d)
	}
	after := functionEnvs(w, region)
	for fn, env0 := range before {
		want := maps.Clone(env0)
		want["USERS_TABLE"], want["AURORA_CLUSTER"] = rUsers, rCluster
		if !maps.Equal(after[fn], want) {
			t.Fatalf("after cutover and resume %s's environment is %v, want %v", fn, after[fn], want)
		}
	}
	j := env.Sim.Journal()
	for _, name := range []string{rUsers, rIncidents} {
		if n := journalCount(j, "RestoreTableToPointInTime", true)[name]; n != 1 {
			t.Errorf("%s restored %d times, want 1", name, n)
		}
	}
	for fn := range before {
		arn := "arn:aws:lambda:" + region + ":" + topo.AccountID + ":function:" + fn
		if n := journalCount(j, "UpdateFunctionConfiguration", true)[arn]; n != 3 {
			t.Errorf("%s: %d environment updates, want 3 (stop, cutover, resume)", fn, n)
		}
	}
	for _, op := range []string{"RegisterScalableTarget", "PutScalingPolicy"} {
		if n := journalCount(j, op, true)["table/"+rUsers]; n != 2 {
			t.Errorf("%s on %s: %d, want 2 (read and write, once each)", op, rUsers, n)
		}
	}
	if len(journalCount(j, "UpdateFunctionConfiguration", false)) != 0 {
		t.Errorf("an environment merge that changed nothing still called AWS")
	}
}

// TestCorruptionRefusalsAndRejectAtCutover: started by the starter; an approval with a restore time outside
// the window is refused naming the window; a reject at cutover, and then at resume-writes, leaves writes
// stopped and the restores in place, in awssim and in the report.
func TestCorruptionRefusalsAndRejectAtCutover(t *testing.T) {
	env := testenv.New(t, testenv.Options{TimeScale: 0.002})
	ctx := ctxT(t, 3*time.Minute)
	topo := env.Topology
	region, users := topo.PrimaryRegion, "roadcall-users-prod"
	startedAt := time.Now().UTC().Add(-10 * time.Minute).Truncate(time.Second)
	env.Sim.AddFault(awssim.Fault{Kind: awssim.FaultCorruptedTable, Table: users, At: startedAt})
	before := functionEnvs(simWorld(t, env), region)

	r := runStarter(ctx, env, "corruption", "--topology", env.TopologyFile, "--corruption-started-at", time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	if r.code != starter.ExitBadInput || !strings.Contains(r.stderr, "in the future") {
		t.Fatalf("a corruption start in the future: exit %d, want %d naming it\n%s", r.code, starter.ExitBadInput, r.output())
	}
	r = runStarter(ctx, env, "corruption", "--topology", env.TopologyFile, "--corruption-started-at", startedAt.Format(time.RFC3339), "--tables", users+",nope")
	if r.code != starter.ExitBadInput || !strings.Contains(r.stderr, `"nope" is not a table`) {
		t.Fatalf("an unknown table: exit %d\n%s", r.code, r.output())
	}
	if j := env.Sim.Journal(); len(j) != 0 {
		t.Fatalf("refused requests reached AWS: %+v", j)
	}

	r = runStarter(ctx, env, "corruption", "--topology", env.TopologyFile, "--corruption-started-at", startedAt.Format(time.RFC3339), "--tables", users)
	if r.code != starter.ExitOK {
		t.Fatalf("starter corruption: exit %d\n%s", r.code, r.output())
	}
	id := workflows.WorkflowID("corruption", topo)
	waitGate(ctx, t, env, id, workflows.GateRestorePoint)
	approve := func(gate string, extra ...string) (int, string) {
		r := runStarter(ctx, env, append([]string{"approve", "--workflow-id", id, "--gate", gate, "--approver", "alice"}, extra...)...)
		return r.code, r.output()
	}
	if code, msg := approve(workflows.GateRestorePoint, "--value", "2020-01-01T00:00:00Z"); code != starter.ExitRefused || !strings.Contains(msg, "outside the window every resource can be restored to") {
		t.Fatalf("a restore time before the window: exit %d, want %d naming the window:\n%s", code, starter.ExitRefused, msg)
	}
	if code, msg := approve(workflows.GateRestorePoint); code != starter.ExitOK {
		t.Fatalf("approve restore-point: exit %d\n%s", code, msg)
	}
	waitGate(ctx, t, env, id, workflows.GateCutover)
	if code, msg := approve(workflows.GateCutover, "--reject", "--comment", "counts look wrong"); code != starter.ExitOK {
		t.Fatalf("reject cutover: exit %d\n%s", code, msg)
	}
	st := waitGate(ctx, t, env, id, workflows.GateResumeWrites)
	if !strings.Contains(st.PendingGate.Summary, "ORIGINAL resources") {
		t.Errorf("resume-writes should warn that writes would go to the corrupted resources: %s", st.PendingGate.Summary)
	}
	if code, msg := approve(workflows.GateResumeWrites, "--reject", "--comment", "keep stopped until the data team looks"); code != starter.ExitOK {
		t.Fatalf("reject resume-writes: exit %d\n%s", code, msg)
	}
	rep := runResult[workflows.CorruptionReport](ctx, t, env, id)
	if rep.Outcome != workflows.PhaseAborted || !rep.WritesStopped || rep.CutoverDone || len(rep.Kept) != 2 || !strings.Contains(rep.Message, "WRITES ARE STILL STOPPED") {
		t.Fatalf("want aborted with writes stopped and 2 restores kept:\n%s", render.CorruptionReport(rep))
	}
	stamp := rep.RestoreTime.UTC().Format("200601021504")
	w := simWorld(t, env)
	checkRestoredTable(t, w, region, users+"-restored-"+stamp)
	checkRestoredCluster(t, w, region, topo.Aurora.PrimaryClusterID+"-restored-"+stamp)
	for fn, env0 := range functionEnvs(w, region) {
		want := maps.Clone(before[fn])
		want[workflows.ReadOnlyVar] = "true"
		if !maps.Equal(env0, want) {
			t.Fatalf("%s after the reject: %v, want writes still stopped and nothing else changed: %v", fn, env0, want)
		}
	}
}

// TestCorruptionSurvivesWorkerKillDuringTableRestore: the worker process is SIGKILLed while it waits for a
// restored table to become ACTIVE (the cluster restore runs beside it) and a replacement is started. The
// waits resume on the new worker, the journal holds one restore of each, and the run completes.
func TestCorruptionSurvivesWorkerKillDuringTableRestore(t *testing.T) {
	env := testenv.New(t, testenv.Options{TimeScale: 0.01, WorkerProcess: true})
	ctx := ctxT(t, 4*time.Minute)
	topo := env.Topology
	startedAt := time.Now().UTC().Add(-10 * time.Minute).Truncate(time.Second)
	env.Sim.AddFault(awssim.Fault{Kind: awssim.FaultCorruptedTable, Table: "roadcall-users-prod", At: startedAt})
	followed := make(chan starterResult, 1)
	go func() {
		followed <- runStarter(ctx, env, "corruption", "--topology", env.TopologyFile, "--corruption-started-at", startedAt.Format(time.RFC3339),
			"--tables", "roadcall-users-prod", "--auto-approve", "--follow")
	}()
	id := workflows.WorkflowID("corruption", topo)

	// Kill exactly when a table wait is running on the worker (the starter may not have started the run
	// yet: there is no pending activity until it has).
	deadline, _ := ctx.Deadline()
	waitFor(t, time.Until(deadline), "WaitTableActive started", func() bool { return pendingActivity(t, env.Temporal.Client, id, "WaitTableActive") > 0 })
	env.Worker.Kill()
	killedAt := time.Now()
	env.Worker.Start()

	rep := runResult[workflows.CorruptionReport](ctx, t, env, id)
	t.Logf("completed %s after the SIGKILL (the dead attempt is noticed at its 30 s heartbeat timeout)", time.Since(killedAt).Round(time.Millisecond))
	if rep.Outcome != workflows.PhaseCompleted || rep.WritesStopped {
		t.Fatalf("want completed:\n%s", render.CorruptionReport(rep))
	}
	// `starter corruption --follow` watched the whole run, worker kill included, and printed the report.
	if r := <-followed; r.code != starter.ExitOK || !strings.Contains(r.stdout, "DataCorruptionRecovery: COMPLETED") || !strings.Contains(r.stdout, "restore:roadcall-users-prod") {
		t.Fatalf("starter corruption --follow: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	j := env.Sim.Journal()
	restores := 0
	for _, e := range j {
		if e.Operation == "RestoreTableToPointInTime" {
			restores++
		}
	}
	if restores != 1 {
		t.Fatalf("%d RestoreTableToPointInTime calls in the journal, want exactly 1: %+v", restores, journalCount(j, "RestoreTableToPointInTime", true))
	}
	if n := len(journalCount(j, "RestoreDBClusterToPointInTime", true)) + len(journalCount(j, "RestoreDBClusterToPointInTime", false)); n != 1 {
		t.Errorf("%d cluster restores in the journal, want 1", n)
	}
	// The wait that was running when the worker died was retried, not its restore.
	retried := false
	scheduled := map[int64]string{}
	for _, ev := range workflowHistory(ctx, t, env, id, "") {
		if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil {
			scheduled[ev.GetEventId()] = a.GetActivityType().GetName()
		}
		if a := ev.GetActivityTaskStartedEventAttributes(); a != nil && a.GetAttempt() > 1 {
			if name := scheduled[a.GetScheduledEventId()]; name == "WaitTableActive" {
				retried = true
			} else if name == "RestoreTable" {
				t.Errorf("RestoreTable ran a second attempt")
			}
		}
	}
	if !retried {
		t.Fatal("no WaitTableActive attempt after the kill: the kill did not hit the wait")
	}
	w := simWorld(t, env)
	stamp := rep.RestoreTime.UTC().Format("200601021504")
	checkRestoredTable(t, w, topo.PrimaryRegion, "roadcall-users-prod-restored-"+stamp)
	checkRestoredCluster(t, w, topo.PrimaryRegion, topo.Aurora.PrimaryClusterID+"-restored-"+stamp)
}

// TestCorruptionAPIThrottleAndSSMCutover: the other two modes end to end. Writes stop by throttling the API
// stage to 0 for all methods (no function touched), the cutover writes the SSM parameter the application
// reads its resource names from, and resuming puts the stage's previous throttling back exactly; all
// checked in awssim's state and journal.
func TestCorruptionAPIThrottleAndSSMCutover(t *testing.T) {
	env := testenv.New(t, testenv.Options{TimeScale: 0.002})
	ctx := ctxT(t, 2*time.Minute)
	topo := env.Topology
	topo.Corruption.WriteStop, topo.Corruption.Cutover, topo.Corruption.SSMParameter = "api-throttle", "ssm", "/roadcall/prod/data-resources"
	region, users, cluster := topo.PrimaryRegion, "roadcall-users-prod", topo.Aurora.PrimaryClusterID
	apiID, stage := topo.API.RestAPIIDs[region], topo.API.Stage
	startedAt := time.Now().UTC().Add(-10 * time.Minute).Truncate(time.Second)
	env.Sim.AddFault(awssim.Fault{Kind: awssim.FaultCorruptedTable, Table: users, At: startedAt})
	settings := func(w awssim.World) map[string]awssim.MethodSetting {
		out := map[string]awssim.MethodSetting{}
		for k, ms := range w.Regions[region].RestAPIs[apiID].Stages[stage].MethodSettings {
			out[k] = *ms
		}
		return out
	}
	w0 := simWorld(t, env)
	before, envs := settings(w0), functionEnvs(w0, region)
	if ms, ok := before["*/*"]; !ok || ms.ThrottlingRateLimit == 0 || ms.ThrottlingBurstLimit == 0 {
		t.Fatalf("the seeded stage %s/%s should have all-methods throttling to stop and restore: %+v", apiID, stage, before)
	}

	id := "corruption-api-throttle"
	env.StartWorkflowCLI("DataCorruptionRecovery", id, env.RequestFile(map[string]any{"topology": topo,
		"corruptionStartedAt": startedAt, "tables": []string{users}}))
	waitGate(ctx, t, env, id, workflows.GateRestorePoint)
	w := simWorld(t, env)
	stopped := settings(w)["*/*"]
	if stopped.ThrottlingRateLimit != 0 || stopped.ThrottlingBurstLimit != 0 || stopped.MetricsEnabled != before["*/*"].MetricsEnabled {
		t.Fatalf("writes stopped: stage */* is %+v, want rate and burst 0 and nothing else changed (before %+v)", stopped, before["*/*"])
	}
	if !maps.EqualFunc(functionEnvs(w, region), envs, maps.Equal) {
		t.Fatalf("api-throttle changed a function's environment")
	}
	env.SignalCLI(id, workflows.SignalApprove, workflows.Approval{Gate: workflows.GateRestorePoint, Decision: "approve", Approver: "alice"})
	st := waitGate(ctx, t, env, id, workflows.GateCutover)
	if !strings.Contains(st.PendingGate.Summary, "SSM parameter "+topo.Corruption.SSMParameter) {
		t.Errorf("the cutover gate should show the SSM value it will write: %s", st.PendingGate.Summary)
	}
	if p := simWorld(t, env).Regions[region].Parameters[topo.Corruption.SSMParameter]; p != nil {
		t.Fatalf("the SSM parameter was written before the cutover was approved: %+v", p)
	}
	env.SignalCLI(id, workflows.SignalApprove, workflows.Approval{Gate: workflows.GateCutover, Decision: "approve", Approver: "alice"})
	rep := runResult[workflows.CorruptionReport](ctx, t, env, id)
	if rep.Outcome != workflows.PhaseCompleted || rep.WritesStopped || !rep.CutoverDone {
		t.Fatalf("want completed with writes resumed:\n%s", render.CorruptionReport(rep))
	}

	w = simWorld(t, env)
	if after := settings(w); !maps.Equal(after, before) {
		t.Fatalf("resume should put back exactly the previous stage settings: %+v, want %+v", after, before)
	}
	if !maps.EqualFunc(functionEnvs(w, region), envs, maps.Equal) {
		t.Fatalf("api-throttle with the ssm cutover changed a function's environment")
	}
	stamp := rep.RestoreTime.UTC().Format("200601021504")
	rUsers, rCluster := users+"-restored-"+stamp, cluster+"-restored-"+stamp
	checkRestoredTable(t, w, region, rUsers)
	checkRestoredCluster(t, w, region, rCluster)
	p := w.Regions[region].Parameters[topo.Corruption.SSMParameter]
	if p == nil {
		t.Fatalf("SSM parameter %s not written in %s", topo.Corruption.SSMParameter, region)
	}
	var val struct {
		Region         string            `json:"region"`
		Tables         map[string]string `json:"tables"`
		AuroraCluster  string            `json:"auroraCluster"`
		AuroraEndpoint string            `json:"auroraEndpoint"`
	}
	if err := json.Unmarshal([]byte(p.Value), &val); err != nil {
		t.Fatalf("SSM value %q: %v", p.Value, err)
	}
	if val.Region != region || !maps.Equal(val.Tables, map[string]string{users: rUsers}) || val.AuroraCluster != rCluster ||
		val.AuroraEndpoint != w.Regions[region].Clusters[rCluster].Endpoint {
		t.Fatalf("SSM value %s does not name the restored resources %s, %s", p.Value, rUsers, rCluster)
	}
	j := env.Sim.Journal()
	arn := "arn:aws:apigateway:" + region + "::/restapis/" + apiID + "/stages/" + stage
	if n := journalCount(j, "UpdateStage", true)[arn]; n != 2 {
		t.Errorf("%d changing UpdateStage calls on %s, want 2 (stop, resume): %+v", n, arn, journalCount(j, "UpdateStage", true))
	}
	if n := journalCount(j, "PutParameter", true)[topo.Corruption.SSMParameter]; n != 1 {
		t.Errorf("%d PutParameter calls, want 1", n)
	}
	if n := len(journalCount(j, "UpdateFunctionConfiguration", true)); n != 0 {
		t.Errorf("%d functions updated, want none", n)
	}
}
