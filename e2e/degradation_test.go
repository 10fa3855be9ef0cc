package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/awssim"
	"github.com/roadcall/dr/internal/starter"
	"github.com/roadcall/dr/internal/testenv"
	"github.com/roadcall/dr/internal/topology"
	"github.com/roadcall/dr/workflows"
)

// degTopology is the environment's topology with degradation timings a test can wait for: a one-second
// watch period (awssim's datapoint for the current minute shows a scale-up at once) and the given
// stable period; the primary region's fallback health URL is awssim's health URL for it.
func degTopology(env *testenv.Env, stable time.Duration) topology.Topology {
	t := env.Topology
	t.API.FallbackHealthURLs = map[string]string{t.PrimaryRegion: env.Sim.URL + "/_sim/health/" + t.PrimaryRegion}
	t.Degradation.Period = topology.Duration(time.Second)
	t.Degradation.HealthyPeriods = 3
	t.Degradation.WatchDeadline = topology.Duration(time.Minute)
	t.Degradation.StablePeriod = topology.Duration(stable)
	return t
}

// injectDegradation makes one function degraded and one table throttled in the primary region.
func injectDegradation(env *testenv.Env) (fn, table string) {
	fn, table = env.Topology.Functions[0].Name, env.Topology.Tables[1].Name
	env.Sim.AddFault(awssim.Fault{Kind: awssim.FaultDegradedFunction, Function: fn})
	env.Sim.AddFault(awssim.Fault{Kind: awssim.FaultThrottledTable, Table: table})
	return fn, table
}

// simScaling is what GET /_sim/state says about reserved concurrency and table capacity in a region.
type simScaling struct {
	Functions map[string]struct {
		Reserved *int32 `json:"reservedConcurrency"`
	} `json:"functions"`
	Tables map[string]struct {
		Status      string `json:"status"`
		BillingMode string `json:"billingMode"`
		Read        int64  `json:"readCapacity"`
		Write       int64  `json:"writeCapacity"`
	} `json:"tables"`
}

func scalingIn(t *testing.T, env *testenv.Env, region string) simScaling {
	t.Helper()
	var st struct {
		World struct {
			Regions map[string]simScaling `json:"regions"`
		} `json:"world"`
	}
	readSimState(t, env, &st)
	return st.World.Regions[region]
}

// assertSeeded checks that every function has no reserved concurrency and every table is ACTIVE, on-demand
// but for the users table, which the seed provisions with auto scaling, in both regions: the state the world
// was seeded with.
func assertSeeded(t *testing.T, env *testenv.Env) {
	t.Helper()
	for _, r := range env.Topology.Regions() {
		s := scalingIn(t, env, r)
		for name, f := range s.Functions {
			require.Nil(t, f.Reserved, "%s in %s has reserved concurrency", name, r)
		}
		for name, tb := range s.Tables {
			mode := "PAY_PER_REQUEST"
			if name == "roadcall-users-prod" {
				mode = "PROVISIONED"
			}
			require.Equal(t, []string{mode, "ACTIVE"}, []string{tb.BillingMode, tb.Status}, "table %s in %s", name, r)
		}
	}
}

// assertAppliedAndRevertedOnce: the journal holds the scale-up and the restore once each, and no other
// change than SNS messages.
func assertAppliedAndRevertedOnce(t *testing.T, env *testenv.Env, fn, table string) {
	t.Helper()
	counts := journalCounts(env.Sim.Journal())
	require.Equal(t, [2]int{1, 0}, counts["PutFunctionConcurrency"], "reserved concurrency set once")
	require.Equal(t, [2]int{1, 0}, counts["DeleteFunctionConcurrency"], "and removed once")
	require.Equal(t, [2]int{2, 0}, counts["UpdateTable"], "PROVISIONED once, back to PAY_PER_REQUEST once")
	// A global table goes PROVISIONED only with write auto scaling (DynamoDB Developer Guide, global tables
	// best practices): a scalable target and a target-tracking policy per capacity dimension in each of the
	// two replica regions, deregistered (policies with them) on the way back.
	for _, op := range []string{"RegisterScalableTarget", "PutScalingPolicy", "DeregisterScalableTarget"} {
		require.Equal(t, [2]int{4, 0}, counts[op], "%s: 2 dimensions × 2 replica regions, once each", op)
	}
	for op := range counts {
		switch op {
		case "PutFunctionConcurrency", "DeleteFunctionConcurrency", "UpdateTable", "Publish",
			"RegisterScalableTarget", "PutScalingPolicy", "DeregisterScalableTarget":
		default:
			t.Errorf("unexpected mutating call %s: %v", op, counts[op])
		}
	}
	for _, j := range env.Sim.Journal() {
		switch j.Operation {
		case "PutFunctionConcurrency", "DeleteFunctionConcurrency":
			require.Contains(t, j.Resource, fn)
		case "UpdateTable":
			require.Equal(t, table, j.Resource)
		case "RegisterScalableTarget", "PutScalingPolicy", "DeregisterScalableTarget":
			require.Equal(t, "table/"+table, j.Resource)
		}
	}
}

// degReport waits up to d for a PartialDegradation's report.
func degReport(t *testing.T, env *testenv.Env, id string, d time.Duration) workflows.DegradationReport {
	t.Helper()
	return runResult[workflows.DegradationReport](ctxT(t, d), t, env, id)
}

func affectedNames(rs []workflows.AffectedResource) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Kind+" "+r.Name)
	}
	return out
}

// TestDegradationFromTemporalCLI is the happy path an operator follows with the temporal CLI: one degraded
// function and one throttled table injected; the run identifies exactly those, shows the plan at the gate,
// applies it once approved (awssim's state shows it), watches the metrics recover, and on the revert gate's
// approval restores the seeded settings; the journal has the apply and the revert once each.
func TestDegradationFromTemporalCLI(t *testing.T) {
	start := time.Now()
	env := testenv.New(t, testenv.Options{TimeScale: 0.01})
	fn, table := injectDegradation(env)
	id := "degradation-cli"
	env.StartWorkflowCLI("PartialDegradation", id, env.RequestFile(map[string]any{"topology": degTopology(env, 10*time.Minute), "initiator": "alice"}))

	waitStatus(t, env, id, time.Minute, "plan gate", func(s workflows.Status) bool { return s.PendingGate != nil })
	atGate := time.Since(start)
	var st workflows.Status
	env.QueryCLI(id, workflows.QueryStatus, &st)
	require.Equal(t, workflows.GateDegradationPlan, st.PendingGate.Name)
	require.Contains(t, st.PendingGate.Summary, "aws lambda put-function-concurrency --function-name "+fn+" --reserved-concurrent-executions 500 --region us-east-1")
	require.Contains(t, st.PendingGate.Summary, "aws dynamodb update-table --table-name "+table+" --billing-mode PROVISIONED --provisioned-throughput ReadCapacityUnits=1000,WriteCapacityUnits=500 --region us-east-1")
	assertSeeded(t, env)
	require.Empty(t, journalCounts(env.Sim.Journal())["UpdateTable"], "nothing changes before the gate")

	approved := time.Now()
	env.SignalCLI(id, workflows.SignalApprove, workflows.Approval{Gate: workflows.GateDegradationPlan, Decision: "approve", Approver: "alice"})
	st = waitStatus(t, env, id, time.Minute, "revert gate", func(s workflows.Status) bool {
		return s.PendingGate != nil && s.PendingGate.Name == workflows.GateDegradationRevert
	})
	recovered := time.Since(approved)
	require.Contains(t, st.PendingGate.Summary, "aws lambda delete-function-concurrency --function-name "+fn)

	// The plan, as awssim sees it, in both replicas of the global table.
	east := scalingIn(t, env, "us-east-1")
	require.EqualValues(t, 500, *east.Functions[fn].Reserved)
	for _, r := range env.Topology.Regions() {
		tb := scalingIn(t, env, r).Tables[table]
		require.Equal(t, []any{"PROVISIONED", int64(1000), int64(500), "ACTIVE"}, []any{tb.BillingMode, tb.Read, tb.Write, tb.Status}, r)
	}

	env.SignalCLI(id, workflows.SignalApprove, workflows.Approval{Gate: workflows.GateDegradationRevert, Decision: "approve", Approver: "alice"})
	rep := degReport(t, env, id, time.Minute)
	require.Equal(t, workflows.PhaseCompleted, rep.Outcome, rep.Notes)
	require.Equal(t, workflows.DegRecoveredReverted, rep.Result)
	require.Equal(t, []string{"function " + fn, "table " + table}, affectedNames(rep.Affected), "exactly the injected resources")
	require.True(t, rep.Watch.Recovered)
	require.Equal(t, "alice", rep.RevertedBy)
	require.True(t, rep.Fallback.Checked && rep.Fallback.Healthy, "%+v", rep.Fallback)
	assertSeeded(t, env)
	assertAppliedAndRevertedOnce(t, env, fn, table)
	t.Logf("identify to plan gate %s; approve to recovery confirmed (3 healthy 1 s periods) %s; whole run %s; %d watch polls",
		atGate.Round(time.Millisecond), recovered.Round(time.Millisecond), time.Since(start).Round(time.Millisecond), rep.Watch.Polls)
}

// TestDegradationCancelAfterApplyReverts: started by the starter with --auto-approve, cancelled with the
// temporal CLI while the run waits out the stable period; the compensation restores the seeded settings.
func TestDegradationCancelAfterApplyReverts(t *testing.T) {
	env := testenv.New(t, testenv.Options{TimeScale: 0.01})
	fn, table := injectDegradation(env)
	path := tempFile(t, "topology.json", mustJSON(t, degTopology(env, 10*time.Minute)))
	r := runStarter(ctxT(t, time.Minute), env, "degradation", "--topology", path, "--auto-approve")
	require.Equal(t, starter.ExitOK, r.code, r.output())
	id := workflows.WorkflowID("degradation", env.Topology) + "-us-east-1"
	require.Contains(t, r.stdout, id)

	waitStatus(t, env, id, time.Minute, "recovered", func(s workflows.Status) bool {
		w := s.Step("watch")
		return w != nil && w.Outcome == workflows.OutcomeOK
	})
	require.EqualValues(t, 500, *scalingIn(t, env, "us-east-1").Functions[fn].Reserved)
	_, err := env.CLI("workflow", "cancel", "--workflow-id", id)
	require.NoError(t, err)
	rep := degReport(t, env, id, time.Minute)
	require.Equal(t, workflows.PhaseCancelled, rep.Outcome)
	require.Equal(t, workflows.DegReverted, rep.Result)
	require.Equal(t, "run cancelled", rep.RevertedBy)
	assertSeeded(t, env)
	assertAppliedAndRevertedOnce(t, env, fn, table)
	pub := env.Sim.Published()
	require.Contains(t, pub[len(pub)-1].Subject, "cancelled")
}

// degAwaitOperator approves the plan of a run started with the temporal CLI and waits until the step
// pauses for the operator.
func degAwaitOperator(t *testing.T, env *testenv.Env, id string, topo topology.Topology, extra map[string]any) workflows.Status {
	t.Helper()
	req := map[string]any{"topology": topo, "initiator": "alice"}
	for k, v := range extra {
		req[k] = v
	}
	env.StartWorkflowCLI("PartialDegradation", id, env.RequestFile(req))
	waitStatus(t, env, id, time.Minute, "plan gate", func(s workflows.Status) bool { return s.PendingGate != nil })
	env.SignalCLI(id, workflows.SignalApprove, workflows.Approval{Gate: workflows.GateDegradationPlan, Decision: "approve", Approver: "alice"})
	return waitStatus(t, env, id, time.Minute, "awaiting-operator", func(s workflows.Status) bool { return s.Phase == workflows.PhaseAwaitingOperator })
}

// TestDegradationWatchDeadlineAbortReverts: the plan's reserved concurrency (50) is under what lifts
// awssim's degraded-function fault (100), so the function never recovers. The watch pages by SNS at
// each escalation interval, pauses for the operator at its deadline, and the operator's abort restores
// the recorded settings: the journal has the apply and the restore once each.
func TestDegradationWatchDeadlineAbortReverts(t *testing.T) {
	start := time.Now()
	env := testenv.New(t, testenv.Options{TimeScale: 0.01})
	fn, table := injectDegradation(env)
	topo := degTopology(env, 10*time.Minute)
	topo.Degradation.WatchDeadline = topology.Duration(35 * time.Second)
	topo.Approvals.EscalationInterval = topology.Duration(topology.MinEscalationInterval) // the shortest the limits allow
	id := "degradation-watch-deadline"
	st := degAwaitOperator(t, env, id, topo, map[string]any{"reservedConcurrency": 50})
	paused := time.Since(start)

	require.Equal(t, []string{"watch"}, st.PausedSteps)
	for _, want := range []string{"not recovered within the watch deadline of 35s", "function " + fn, "AWS/Lambda"} {
		require.Contains(t, st.LastError, want)
	}
	require.NotContains(t, st.LastError, "table "+table, "the table recovered once PROVISIONED")
	require.EqualValues(t, 50, *scalingIn(t, env, "us-east-1").Functions[fn].Reserved)
	require.Equal(t, "PROVISIONED", scalingIn(t, env, "us-east-1").Tables[table].BillingMode)
	escalations := 0
	for _, p := range env.Sim.Published() {
		if strings.Contains(p.Subject, "still degraded") {
			escalations++
		}
	}
	require.GreaterOrEqual(t, escalations, 1, "paged while degraded")

	env.SignalCLI(id, workflows.SignalOperator, workflows.OperatorAction{Action: "abort", Step: "watch", Operator: "alice"})
	rep := degReport(t, env, id, time.Minute)
	require.Equal(t, workflows.PhaseAborted, rep.Outcome, rep.Notes)
	require.Equal(t, workflows.DegReverted, rep.Result)
	require.False(t, rep.Watch.Recovered)
	require.True(t, rep.Reverted)
	require.Empty(t, rep.RestoreCommands)
	assertSeeded(t, env)
	assertAppliedAndRevertedOnce(t, env, fn, table)
	t.Logf("start to watch deadline pause %s; %d polls, %d escalations; whole run %s",
		paused.Round(time.Millisecond), rep.Watch.Polls, escalations, time.Since(start).Round(time.Millisecond))
}

// TestDegradationAWSRefusalSurfacedAndAbortReverts: a reserved concurrency of 950 would leave the
// account's unreserved pool (1000 in awssim as in AWS, 100 kept back) under its floor. AWS's refusal pauses
// the scale step with what AWS said and the most this function can have; the table was scaled meanwhile,
// and the operator's abort restores it while the function, never changed, gets no call.
func TestDegradationAWSRefusalSurfacedAndAbortReverts(t *testing.T) {
	env := testenv.New(t, testenv.Options{TimeScale: 0.01})
	fn, table := injectDegradation(env)
	id := "degradation-refused"
	st := degAwaitOperator(t, env, id, degTopology(env, 10*time.Minute), map[string]any{"reservedConcurrency": 950})
	require.Equal(t, []string{"scale"}, st.PausedSteps)
	for _, want := range []string{"InvalidParameterValueException", fn, "us-east-1", "refused reserved concurrency 950",
		"can reserve at most 900", "degradation.reservedConcurrency"} {
		require.Contains(t, st.LastError, want)
	}
	require.Nil(t, scalingIn(t, env, "us-east-1").Functions[fn].Reserved)

	env.SignalCLI(id, workflows.SignalOperator, workflows.OperatorAction{Action: "abort", Step: "scale", Operator: "alice"})
	rep := degReport(t, env, id, time.Minute)
	require.Equal(t, workflows.PhaseAborted, rep.Outcome, rep.Notes)
	require.Equal(t, workflows.DegReverted, rep.Result)
	require.Equal(t, []string{"DynamoDB " + table + " in us-east-1: PROVISIONED 1000 read / 500 write, write auto scaling 500-2000 at 70%, read auto scaling 1000-4000 at 70%"}, rep.Applied)
	var scaleErr string
	for _, s := range rep.Steps {
		if s.Name == "scale" {
			scaleErr = s.Error
		}
	}
	require.Contains(t, scaleErr, "can reserve at most 900", "the report keeps AWS's refusal")
	assertSeeded(t, env)
	counts := journalCounts(env.Sim.Journal())
	require.Equal(t, [2]int{2, 0}, counts["UpdateTable"], "the table scaled and restored once each")
	require.Equal(t, [2]int{0, 1}, counts["PutFunctionConcurrency"], "AWS refused: journaled once, nothing changed")
	require.Zero(t, counts["DeleteFunctionConcurrency"], "the restore read 'none' and made no call")
}

// TestDegradationRevertRefusedBySwitchLimit: the throttled table has already switched to on-demand four
// times today, so AWS refuses the revert's fifth switch. The revert step pauses with AWS's limit explained;
// the operator's abort ends the run revert-incomplete with the command that finishes it by hand, the
// function restored and the table left PROVISIONED (safe), as awssim's state shows.
func TestDegradationRevertRefusedBySwitchLimit(t *testing.T) {
	env := testenv.New(t, testenv.Options{TimeScale: 0.01})
	fn, table := injectDegradation(env)
	acts := activities.New(env.Sim.Clients())
	acts.PollInterval = 10 * time.Millisecond
	ctx := ctxT(t, time.Minute)
	// A global table may only go PROVISIONED with write auto scaling (DynamoDB Developer Guide, global tables
	// best practices), so each switch carries its auto scaling: targets on the way in, none on the way out.
	auto := []activities.ScalingTarget{
		{Dimension: "dynamodb:table:WriteCapacityUnits", Min: 5, Max: 20, Policies: []activities.ScalingPolicy{{Name: "w", TargetValue: 70}}},
		{Dimension: "dynamodb:table:ReadCapacityUnits", Min: 5, Max: 20, Policies: []activities.ScalingPolicy{{Name: "r", TargetValue: 70}}},
	}
	for _, mode := range []string{"PROVISIONED", "PAY_PER_REQUEST", "PROVISIONED", "PAY_PER_REQUEST", "PROVISIONED", "PAY_PER_REQUEST", "PROVISIONED", "PAY_PER_REQUEST"} {
		c := activities.TableCapacity{BillingMode: mode, AutoScaled: true}
		if mode == "PROVISIONED" {
			c.ReadCapacity, c.WriteCapacity, c.AutoScaling = 5, 5, auto
		}
		_, err := acts.SetTableCapacity(ctx, activities.CapacityChange{Region: "us-east-1", Table: table, Target: c})
		require.NoError(t, err)
	}
	before := len(env.Sim.Journal())

	id := "degradation-switch-limit"
	env.StartWorkflowCLI("PartialDegradation", id, env.RequestFile(map[string]any{"topology": degTopology(env, time.Second), "autoApprove": true}))
	st := waitStatus(t, env, id, time.Minute, "awaiting-operator", func(s workflows.Status) bool { return s.Phase == workflows.PhaseAwaitingOperator })
	require.Equal(t, []string{"revert"}, st.PausedSteps)
	for _, want := range []string{"LimitExceededException", table, "us-east-1", "switch to on-demand in 24 hours",
		"aws dynamodb update-table --table-name " + table + " --billing-mode PAY_PER_REQUEST"} {
		require.Contains(t, st.LastError, want)
	}

	env.SignalCLI(id, workflows.SignalOperator, workflows.OperatorAction{Action: "abort", Step: "revert", Operator: "alice"})
	rep := degReport(t, env, id, time.Minute)
	require.Equal(t, workflows.PhaseAborted, rep.Outcome, rep.Notes)
	require.Equal(t, workflows.DegRevertIncomplete, rep.Result)
	restore := strings.Join(rep.RestoreCommands, "\n")
	require.Contains(t, restore, "aws dynamodb update-table --table-name "+table+" --billing-mode PAY_PER_REQUEST --region us-east-1")
	require.Contains(t, restore, "aws application-autoscaling deregister-scalable-target --service-namespace dynamodb --resource-id table/"+table)
	east := scalingIn(t, env, "us-east-1")
	require.Nil(t, east.Functions[fn].Reserved, "the function's restore went through")
	require.Equal(t, "PROVISIONED", east.Tables[table].BillingMode, "AWS kept the scaled table")
	counts := journalCounts(env.Sim.Journal()[before:])
	require.Equal(t, [2]int{1, 1}, counts["UpdateTable"], "scaled once; the restore refused once (not retried) and changed nothing")
	require.Equal(t, [2]int{1, 0}, counts["PutFunctionConcurrency"])
	require.Equal(t, [2]int{1, 0}, counts["DeleteFunctionConcurrency"])
	pub := env.Sim.Published()
	require.Contains(t, pub[len(pub)-1].Body, "aws dynamodb update-table --table-name "+table+" --billing-mode PAY_PER_REQUEST")
}

// TestDegradationNothingToDo: a healthy platform, followed by the starter: "nothing to do", no change.
func TestDegradationNothingToDo(t *testing.T) {
	env := testenv.New(t, testenv.Options{TimeScale: 0.01})
	r := runStarter(ctxT(t, time.Minute), env, "degradation", "--topology", env.TopologyFile, "--follow")
	require.Equal(t, starter.ExitOK, r.code, r.output())
	require.Contains(t, r.stdout, "NOTHING-TO-DO")
	require.Empty(t, env.Sim.Journal(), "no mutating call at all")
	assertSeeded(t, env)
}

// TestDegradationBadInputRefused: each bad input is refused before any AWS call, with the field named —
// by the starter before anything starts (exit 2), and by the workflow itself, whose history then holds no
// activity.
func TestDegradationBadInputRefused(t *testing.T) {
	env := testenv.New(t, testenv.Options{TimeScale: 0.01})
	injectDegradation(env)
	run := func(args ...string) (int, string) {
		r := runStarter(ctxT(t, time.Minute), env, append([]string{"degradation"}, args...)...)
		return r.code, r.output()
	}
	zeroThreshold := tempFile(t, "zero.json", []byte(strings.Replace(string(mustJSON(t, env.Topology)), `"lambdaErrors":10`, `"lambdaErrors":0`, 1)))
	for field, args := range map[string][]string{
		"thresholds.lambdaErrors": {"--topology", zeroThreshold},
		"reservedConcurrency":     {"--topology", env.TopologyFile, "--reserved-concurrency", "0"},
		"readCapacity":            {"--topology", env.TopologyFile, "--read-capacity", "-10"},
		"region":                  {"--topology", env.TopologyFile, "--region", "eu-west-1"},
	} {
		code, msg := run(args...)
		require.Equal(t, starter.ExitBadInput, code, "%s: %s", field, msg)
		require.Contains(t, msg, `"`+field+`"`)
	}

	for field, extra := range map[string]map[string]any{
		"thresholds.lambdaThrottles": {"thresholds": map[string]any{"lambdaThrottles": -1}},
		"functions[0]":               {"functions": []string{"roadcall-nope-svc-prod"}},
		"writeCapacity":              {"writeCapacity": 0},
	} {
		id := "degradation-bad-" + strings.NewReplacer("[", "", "]", "", ".", "-").Replace(field)
		env.StartWorkflowCLI("PartialDegradation", id, env.RequestFile(extra))
		ctx := ctxT(t, time.Minute)
		err := env.Temporal.Client.GetWorkflow(ctx, id, "").Get(ctx, nil)
		require.Error(t, err)
		require.True(t, workflows.IsInvalidRequest(err), "%v", err)
		require.Contains(t, err.Error(), `"`+field+`"`)
		require.Empty(t, scheduledActivities(ctx, t, env, id, ""), "%s: an activity ran", field)
	}
	require.Empty(t, env.Sim.Journal())
	assertSeeded(t, env)
}
