package e2e

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"

	"github.com/roadcall/dr/internal/awssim"
	"github.com/roadcall/dr/internal/iam"
	"github.com/roadcall/dr/internal/starter"
	"github.com/roadcall/dr/internal/testenv"
	"github.com/roadcall/dr/workflows"
)

// TestDrillUnderPrintedIAMPolicy: the policy starter iam-policy prints is enough for a whole drill with
// awssim enforcing it; every statement is needed by some call of the drill (or by another scenario, named),
// judged by replaying the drill's request log through awssim's evaluation without that statement; and a
// drill under the policy minus FailoverAurora, for real, pauses at the failover's database step with RDS's
// AccessDenied message.
func TestDrillUnderPrintedIAMPolicy(t *testing.T) {
	topoFile := "examples/roadcall-local.json"
	printed := runStarterNoEnv(t, "iam-policy", "--topology", testenv.ModuleRoot(t)+"/"+topoFile)
	doc, err := iam.Parse([]byte(printed))
	if err != nil {
		t.Fatalf("starter iam-policy printed something that is not an IAM policy: %v\n%s", err, printed)
	}
	env := testenv.New(t, testenv.Options{TimeScale: 0.002, EnforcePolicy: &doc})
	r := runStarter(ctxT(t, 75*time.Second), env, "drill", "--topology", env.TopologyFile, "--auto-approve", "--monitor-window", "1s")
	reqs := env.Sim.Requests(0)
	for _, q := range reqs {
		if strings.HasPrefix(q.Error, "AccessDenied") || q.Error == "AuthorizationError" || q.Error == "UnauthorizedOperation" {
			t.Errorf("denied under the printed policy: %s %s %s on %v", q.Service, q.Operation, q.Action, q.Resources)
		}
	}
	if r.code != starter.ExitOK || !strings.Contains(r.output(), "COMPLETED") {
		t.Fatalf("drill under the printed policy: exit %d\n%s", r.code, r.output())
	}

	// Which statements the drill needs: a statement is needed when some call of the drill is allowed with
	// it and denied without it (replayed from the request log through the same evaluation awssim enforces).
	otherScenarios := map[string]string{
		"ScaleFunctions": "partial degradation", "ScaleTables": "partial degradation", "ScaleAutoScaling": "partial degradation",
		"ReadAutoScaling": "partial degradation", "StopWritesAndCutover": "data corruption", "RestoreTables": "data corruption",
		"RestoreAurora": "data corruption", "UpsertRecords": "dns.mode upsert", "ListFunctions": "readiness of functions missing from the account",
	}
	var needed []string
	for _, st := range doc.Statement {
		without := doc.Without(st.Sid)
		var breaks []string
		for _, q := range reqs {
			if q.Action == "" || q.Action == "sts:GetCallerIdentity" {
				continue
			}
			if allowedAll(doc, q) && !allowedAll(without, q) {
				breaks = append(breaks, q.Service+":"+q.Operation)
			}
		}
		switch {
		case len(breaks) > 0:
			needed = append(needed, st.Sid)
			t.Logf("without %s the drill is denied %s", st.Sid, strings.Join(uniqSorted(breaks), ", "))
		case otherScenarios[st.Sid] != "":
			t.Logf("%s is not used by the drill: it is %s's (covered by the activity tests' table check)", st.Sid, otherScenarios[st.Sid])
		case st.Sid == "AssessReachability":
			// ec2:DescribeRegions is only sent to a region being probed; sts:GetCallerIdentity AWS never denies.
			t.Logf("%s: %v", st.Sid, st.Action)
		default:
			// Verification reads (Scan, Lambda configuration, API stage) the local drill's verify step does
			// not reach; the activity tests' table check covers their calls.
			t.Logf("statement %s (%v) is not exercised by this drill", st.Sid, st.Action)
		}
	}
	if len(needed) < 8 {
		t.Errorf("only %d statements are needed by the drill: %v", len(needed), needed)
	}

	// One statement away, for real: the drill pauses at the failover's database step with RDS's AccessDenied.
	// (RoutingControls would stop it earlier: readiness reads the routing controls.)
	env2 := testenv.New(t, testenv.Options{TimeScale: 0.002})
	less := doc.Without("FailoverAurora")
	env2.Sim.Server.SetEnforcePolicy(&less)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	done := make(chan starterResult, 1)
	go func() {
		done <- runStarter(ctx, env2, "drill", "--topology", env2.TopologyFile, "--auto-approve", "--monitor-window", "1s")
	}()
	st, id := waitPausedChild(t, env2, "RegionFailover")
	if len(st.PausedSteps) != 1 {
		t.Errorf("failover %s paused at %v, want the database step alone", id, st.PausedSteps)
	}
	want := "not authorized to perform: rds:FailoverGlobalCluster"
	if !strings.Contains(st.LastError, "AccessDenied") || !strings.Contains(st.LastError, want) {
		t.Errorf("paused with %q, want RDS's AccessDenied saying %q", st.LastError, want)
	}
	out := runStarter(ctxT(t, 30*time.Second), env2, "status", "--workflow-id", id).output()
	if !strings.Contains(out, want) {
		t.Errorf("starter status does not show the AccessDenied message:\n%s", out)
	}
	t.Logf("without FailoverAurora: %s paused at %v: %s", id, st.PausedSteps, st.LastError)
	cancel()
	<-done
}

func allowedAll(d iam.Document, q awssim.RequestEntry) bool {
	if len(q.Resources) == 0 {
		return d.Allows(q.Action, "")
	}
	for _, r := range q.Resources {
		if !d.Allows(q.Action, r) {
			return false
		}
	}
	return true
}

func uniqSorted(in []string) []string {
	m := map[string]bool{}
	for _, s := range in {
		m[s] = true
	}
	out := make([]string, 0, len(m))
	for s := range m {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// waitPausedChild finds the running workflow of a type and waits until it pauses for an operator.
func waitPausedChild(t *testing.T, env *testenv.Env, wfType string) (workflows.Status, string) {
	t.Helper()
	var st workflows.Status
	var id string
	waitFor(t, 90*time.Second, wfType+" paused in awaiting-operator", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		resp, err := env.Temporal.Client.ListWorkflow(ctx, listReq(wfType))
		if err != nil || len(resp.Executions) == 0 {
			return false
		}
		id = resp.Executions[0].Execution.WorkflowId
		v, err := env.Temporal.Client.QueryWorkflow(ctx, id, "", workflows.QueryStatus)
		if err != nil || v.Get(&st) != nil {
			return false
		}
		t.Logf("%s: %s %v %s", id, st.Phase, st.PausedSteps, st.LastError)
		return st.Phase == workflows.PhaseAwaitingOperator
	})
	return st, id
}

func listReq(wfType string) *workflowservice.ListWorkflowExecutionsRequest {
	return &workflowservice.ListWorkflowExecutionsRequest{Query: fmt.Sprintf("WorkflowType = '%s' AND ExecutionStatus = 'Running'", wfType)}
}

// runStarterNoEnv runs a starter command that needs neither Temporal nor AWS.
func runStarterNoEnv(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb strings.Builder
	e := starter.DefaultEnv()
	e.Out, e.Err = &out, &errb
	if code := starter.Main(context.Background(), args, e); code != starter.ExitOK {
		t.Fatalf("starter %v: exit %d\n%s", args, code, errb.String())
	}
	return out.String()
}
