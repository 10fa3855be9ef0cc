package e2e

import (
	"testing"
	"time"

	"github.com/roadcall/dr/internal/awssim"
	"github.com/roadcall/dr/internal/render"
	"github.com/roadcall/dr/internal/testenv"
	"github.com/roadcall/dr/workflows"
)

// awsLambda runs `aws lambda ARGS` (the machine's AWS CLI, a client we did not write) against env's awssim
// and decodes its JSON answer.
func awsLambda(t *testing.T, env *testenv.Env, args ...string) map[string]any {
	t.Helper()
	return awsCLI(t, env, env.Topology.PrimaryRegion, append([]string{"lambda"}, args...)...)
}

// aliasView is what the AWS CLI says the alias serves: its version and that version's READ_ONLY_MODE.
func aliasView(t *testing.T, env *testenv.Env, fn, alias string) (version, readOnly string) {
	t.Helper()
	a := awsLambda(t, env, "get-alias", "--function-name", fn, "--name", alias)
	cfg := awsLambda(t, env, "get-function-configuration", "--function-name", fn, "--qualifier", alias)
	if cfg["Version"] != a["FunctionVersion"] {
		t.Fatalf("get-function-configuration --qualifier %s answers version %v, get-alias %v", alias, cfg["Version"], a["FunctionVersion"])
	}
	vars, _ := cfg["Environment"].(map[string]any)["Variables"].(map[string]any)
	ro, _ := vars[workflows.ReadOnlyVar].(string)
	return a["FunctionVersion"].(string), ro
}

// servesWrites is awssim's own word on whether the API's requests to fn (through whatever its integration
// invokes) can write.
func servesWrites(env *testenv.Env, region, fn string) bool {
	for _, fw := range env.Sim.Server.Writes()[region] {
		if fw.Function == fn {
			return fw.ServesWrites
		}
	}
	return true
}

// TestCorruptionStopsWritesThroughAnAlias: an alias-backed function really stops serving writes. The local
// topology's incident service is invoked through alias live (its API integration URI ends
// ":function:roadcall-incident-svc-prod:live/invocations"). After stop-writes, `aws lambda get-alias` shows
// live on a new version and `get-function-configuration --qualifier live` has READ_ONLY_MODE=true, and
// awssim's application refuses writes through it; after a rejected cutover and an approved resume-writes,
// live is back on its version exactly and writes are served again. (Lambda Developer Guide, "Manage Lambda
// function versions": a version's configuration is immutable, so $LATEST alone would not stop them.)
func TestCorruptionStopsWritesThroughAnAlias(t *testing.T) {
	env := testenv.New(t, testenv.Options{TimeScale: 0.002})
	ctx := ctxT(t, 3*time.Minute)
	region, fn := env.Topology.PrimaryRegion, "roadcall-incident-svc-prod"
	alias := env.Topology.FunctionAlias(fn)
	if alias == "" {
		t.Fatalf("the local topology should invoke %s through an alias", fn)
	}
	v0, ro0 := aliasView(t, env, fn, alias)
	if ro0 != "" || !servesWrites(env, region, fn) {
		t.Fatalf("before: alias %s on version %s with READ_ONLY_MODE=%q; want writes served", alias, v0, ro0)
	}
	startedAt := time.Now().UTC().Add(-10 * time.Minute).Truncate(time.Second)
	env.Sim.AddFault(awssim.Fault{Kind: awssim.FaultCorruptedTable, Table: "roadcall-users-prod", At: startedAt})
	id := "corruption-alias"
	env.StartWorkflowCLI("DataCorruptionRecovery", id, env.RequestFile(map[string]any{
		"corruptionStartedAt": startedAt, "tables": []string{"roadcall-users-prod"}, "skipAurora": true}))

	waitGate(ctx, t, env, id, workflows.GateRestorePoint)
	v1, ro1 := aliasView(t, env, fn, alias)
	if v1 == v0 || ro1 != "true" || servesWrites(env, region, fn) {
		t.Fatalf("after stop-writes: alias %s on version %s (was %s) with READ_ONLY_MODE=%q, serves writes %v; want a new read-only version",
			alias, v1, v0, ro1, servesWrites(env, region, fn))
	}
	env.SignalCLI(id, workflows.SignalApprove, workflows.Approval{Gate: workflows.GateRestorePoint, Decision: "approve", Approver: "alice"})
	waitGate(ctx, t, env, id, workflows.GateCutover)
	env.SignalCLI(id, workflows.SignalApprove, workflows.Approval{Gate: workflows.GateCutover, Decision: "reject", Approver: "alice"})
	waitGate(ctx, t, env, id, workflows.GateResumeWrites)
	if v, ro := aliasView(t, env, fn, alias); v != v1 || ro != "true" {
		t.Fatalf("at the resume-writes gate: alias on %s READ_ONLY_MODE=%q; want writes still stopped on %s", v, ro, v1)
	}
	env.SignalCLI(id, workflows.SignalApprove, workflows.Approval{Gate: workflows.GateResumeWrites, Decision: "approve", Approver: "alice"})
	rep := runResult[workflows.CorruptionReport](ctx, t, env, id)
	t.Logf("report:\n%s", render.CorruptionReport(rep))
	if rep.WritesStopped {
		t.Fatalf("want writes resumed:\n%s", render.CorruptionReport(rep))
	}
	v2, ro2 := aliasView(t, env, fn, alias)
	if v2 != v0 || ro2 != "" || !servesWrites(env, region, fn) {
		t.Fatalf("after resume: alias on version %s READ_ONLY_MODE=%q; want version %s exactly, writes served", v2, ro2, v0)
	}
	latest := awsLambda(t, env, "get-function-configuration", "--function-name", fn)
	if _, ok := latest["Environment"].(map[string]any)["Variables"].(map[string]any)[workflows.ReadOnlyVar]; ok {
		t.Fatalf("$LATEST still has %s after the resume", workflows.ReadOnlyVar)
	}
	j := env.Sim.Journal()
	if n := len(journalCount(j, "UpdateAlias", true)); n != 1 {
		t.Errorf("UpdateAlias changed %d aliases, want 1", n)
	}
	if got := journalCount(j, "UpdateAlias", true)["arn:aws:lambda:"+region+":"+env.Topology.AccountID+":function:"+fn+":"+alias]; got != 2 {
		t.Errorf("alias moved %d times, want 2 (out and back)", got)
	}
	if n := journalCount(j, "PublishVersion", true); len(n) != 1 {
		t.Errorf("published versions %v, want one (the read-only one)", n)
	}
}
