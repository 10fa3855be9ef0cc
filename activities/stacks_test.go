package activities

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roadcall/dr/internal/awssim"
	"github.com/roadcall/dr/internal/policy"
	"github.com/roadcall/dr/internal/topology"
)

func drModeInput(topo topology.Topology, stack string) StackParamInput {
	return StackParamInput{Region: topo.DRRegion, Stack: stack, Parameter: topo.Stacks.DRModeParameter, Value: "true"}
}

func TestSetStackParameterOnceAndWaitForUpdateComplete(t *testing.T) {
	// 0.001 turns the modeled 20 minutes into 1.2 s.
	sim, acts, topo := foSim(t, 0.001)
	ctx := context.Background()
	in := drModeInput(topo, topo.Stacks.Names[0])
	res, err := acts.SetStackParameter(ctx, in)
	require.NoError(t, err)
	require.Equal(t, ActionStarted, res.Action)
	res, err = acts.SetStackParameter(ctx, in)
	require.NoError(t, err)
	require.Equal(t, ActionInProgress, res.Action, "a retry during the update waits for it instead of updating again")

	st, err := acts.WaitStackParameter(ctx, in)
	require.NoError(t, err)
	require.Equal(t, "UPDATE_COMPLETE", st.Status)
	require.Greater(t, st.Progress.Polls, 1)
	res, err = acts.SetStackParameter(ctx, in)
	require.NoError(t, err)
	require.Equal(t, ActionAlreadyDone, res.Action)

	j := foJournal(sim, "UpdateStack")
	require.Len(t, j, 1)
	require.True(t, j[0].Changed)
	require.Contains(t, j[0].Detail, topo.Stacks.DRModeParameter+"=true")
	require.Contains(t, j[0].Detail, "Stage="+topo.Stage, "the other parameters keep their previous values")
}

func TestWaitStackParameterFailsOnRollbackAndARetryUpdatesAgain(t *testing.T) {
	sim, acts, topo := foSim(t, 0)
	ctx := context.Background()
	stack := topo.Stacks.Names[1]
	sim.With(func(w *awssim.World) { w.Regions[topo.DRRegion].Stacks[stack].FailNextUpdate = true })
	in := drModeInput(topo, stack)
	_, err := acts.SetStackParameter(ctx, in)
	require.NoError(t, err)
	_, err = acts.WaitStackParameter(ctx, in)
	require.Error(t, err)
	ae := appErrorOf(t, err)
	require.Equal(t, "StackRollback", ae.Type())
	require.True(t, ae.NonRetryable())
	require.Contains(t, err.Error(), stack)

	// The operator's retry: the stack is UPDATE_ROLLBACK_COMPLETE with DrMode=false, so it is updated again.
	res, err := acts.SetStackParameter(ctx, in)
	require.NoError(t, err)
	require.Equal(t, ActionStarted, res.Action)
	st, err := acts.WaitStackParameter(ctx, in)
	require.NoError(t, err)
	require.Equal(t, "UPDATE_COMPLETE", st.Status)
	require.Len(t, foJournal(sim, "UpdateStack"), 2)
}

func TestSetStackParameterRefusesUnknownParameterAndMissingStack(t *testing.T) {
	sim, acts, topo := foSim(t, 0)
	in := drModeInput(topo, topo.Stacks.Names[0])
	in.Parameter = "DisasterMode"
	_, err := acts.SetStackParameter(context.Background(), in)
	require.ErrorContains(t, err, "has no parameter DisasterMode")
	_, err = acts.SetStackParameter(context.Background(), drModeInput(topo, "roadcall-nope"))
	require.ErrorContains(t, err, "does not exist")
	require.Empty(t, foJournal(sim, "UpdateStack"))
}

// CloudFormation answers UpdateStack with a ValidationError "No updates are to be performed." when the stack
// already has the values (e.g. someone set DrMode=true between our read and our update): that is done, not
// a failure. Any other ValidationError stays a non-retryable failure naming the stack and region.
func TestSetStackParameterNoUpdatesToPerformIsDone(t *testing.T) {
	sim, acts, topo := foSim(t, 0)
	in := drModeInput(topo, topo.Stacks.Names[0])
	_, err := sim.AddFault(awssim.Fault{Kind: awssim.FaultError, Service: "cloudformation", Operation: "UpdateStack",
		Code: "ValidationError", Status: 400, Message: "No updates are to be performed.", Count: 1})
	require.NoError(t, err)
	res, err := acts.SetStackParameter(context.Background(), in)
	require.NoError(t, err)
	require.Equal(t, ActionAlreadyDone, res.Action)

	_, err = sim.AddFault(awssim.Fault{Kind: awssim.FaultError, Service: "cloudformation", Operation: "UpdateStack",
		Code: "ValidationError", Status: 400, Message: "Parameters: [DrMode] must have values", Count: 1})
	require.NoError(t, err)
	_, err = acts.SetStackParameter(context.Background(), in)
	require.Error(t, err)
	ae := appErrorOf(t, err)
	require.Equal(t, "ValidationError", ae.Type())
	require.True(t, ae.NonRetryable())
	require.Contains(t, err.Error(), in.Stack)
	require.Contains(t, err.Error(), in.Region)
	require.Empty(t, foJournal(sim, "UpdateStack"), "neither call changed the stack")
}

// deployActs has a policy with the named commands, for platform roadcall stage test.
func deployActs(t *testing.T, cmds map[string]policy.Command, env map[string]string) *Activities {
	t.Helper()
	f := policy.File{Platforms: map[string]map[string]policy.Policy{"roadcall": {"test": {
		Approvers: []string{"arn:aws:iam::123456789012:user/alice"}, HealthHosts: []string{"127.0.0.1"}, DeployCommands: cmds}}}}
	require.NoError(t, f.Validate())
	return &Activities{PollInterval: 10 * time.Millisecond, Policy: &f, Getenv: func(k string) string { return env[k] }}
}

func named(name string, env map[string]string) DeployCommandInput {
	return DeployCommandInput{Platform: "roadcall", Stage: "test", Name: name, Env: env}
}

func TestRunDeployCommandKeepsTheTailAndTheEnvironment(t *testing.T) {
	acts := deployActs(t, map[string]policy.Command{
		"long": {Argv: []string{"sh", "-c", `for i in $(seq 1 2000); do echo "line $i"; done; echo "deployed to $AWS_REGION drMode=${DR_MODE}"`}},
		"fail": {Argv: []string{"sh", "-c", "echo 'stack roadcall-api failed' >&2; exit 3"}},
	}, nil)
	res, err := acts.RunDeployCommand(context.Background(), named("long", map[string]string{"AWS_REGION": "us-west-2", "DR_MODE": "true"}))
	require.NoError(t, err)
	require.Zero(t, res.ExitCode)
	require.True(t, strings.HasSuffix(strings.TrimSpace(res.Tail), "deployed to us-west-2 drMode=true"))
	require.LessOrEqual(t, len(res.Tail), tailBytes)

	_, err = acts.RunDeployCommand(context.Background(), named("fail", nil))
	require.Error(t, err)
	ae := appErrorOf(t, err)
	require.Equal(t, "DeployCommandFailed", ae.Type())
	require.True(t, ae.NonRetryable())
	require.Contains(t, err.Error(), "exited with 3")
	require.Contains(t, err.Error(), "stack roadcall-api failed")
}

// The child gets only the worker variables the policy lists: the worker's AWS secret key stays with the
// worker unless the policy names it.
func TestRunDeployCommandGetsOnlyThePolicysEnvironment(t *testing.T) {
	workerEnv := map[string]string{"AWS_SECRET_ACCESS_KEY": "worker-secret", "AWS_PROFILE": "deployer", "ROADCALL_DSN": "postgres://secret"}
	acts := deployActs(t, map[string]policy.Command{"env": {Argv: []string{"env"}, Env: []string{"AWS_PROFILE"}}}, workerEnv)
	res, err := acts.RunDeployCommand(context.Background(), named("env", map[string]string{"STAGE": "test"}))
	require.NoError(t, err)
	require.Contains(t, res.Tail, "AWS_PROFILE=deployer")
	require.Contains(t, res.Tail, "STAGE=test")
	require.NotContains(t, res.Tail, "worker-secret")
	require.NotContains(t, res.Tail, "postgres://")
}

// A command line carried in the request, or a name the policy does not hold, never runs.
func TestRunDeployCommandRefusesArgvAndUnknownNames(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "ran")
	acts := deployActs(t, map[string]policy.Command{"ok": {Argv: []string{"true"}}}, nil)
	for _, in := range []DeployCommandInput{
		{Platform: "roadcall", Stage: "test", Argv: []string{"sh", "-c", "touch " + marker}},
		named("touch", nil),
		{Platform: "roadcall", Stage: "prod", Name: "ok"},
	} {
		_, err := acts.RunDeployCommand(context.Background(), in)
		require.Error(t, err)
		require.Equal(t, "DeployCommandRefused", appErrorOf(t, err).Type())
	}
	_, err := (&Activities{}).RunDeployCommand(context.Background(), named("ok", nil))
	require.ErrorContains(t, err, "no policy")
	require.NoFileExists(t, marker)
}

// Cancelling the activity kills the whole process group: the deploy's children die with it.
func TestRunDeployCommandCancelKillsTheProcessGroup(t *testing.T) {
	dir := t.TempDir()
	child := filepath.Join(dir, "child.pid")
	acts := deployActs(t, map[string]policy.Command{"sleep": {Argv: []string{"sh", "-c", "sleep 60 & echo $! > " + child + "; wait"}}}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for {
			if _, err := os.Stat(child); err == nil {
				cancel()
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	start := time.Now()
	_, err := acts.RunDeployCommand(ctx, named("sleep", nil))
	require.ErrorIs(t, err, context.Canceled)
	require.Less(t, time.Since(start), 10*time.Second)
	b, err := os.ReadFile(child)
	require.NoError(t, err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return syscall.Kill(pid, 0) != nil }, 5*time.Second, 20*time.Millisecond, "the deploy's child process survived the cancel")
}

// A revert must wait out the update in flight: UpdateStack is refused while one runs, so the settled state
// comes first. A stack already settled answers at once; a missing one is an error, not a wait.
func TestWaitStackSettledWaitsOutTheUpdateInFlight(t *testing.T) {
	sim, acts, topo := foSim(t, 0.001)
	ctx := context.Background()
	in := drModeInput(topo, topo.Stacks.Names[0])
	_, err := acts.SetStackParameter(ctx, in)
	require.NoError(t, err)
	ref := StackRef{Region: topo.DRRegion, Stack: in.Stack}
	st, err := acts.WaitStackSettled(ctx, ref)
	require.NoError(t, err)
	require.Equal(t, "UPDATE_COMPLETE", st.Status)
	require.Greater(t, st.Progress.Polls, 1, "it polled through UPDATE_IN_PROGRESS")
	again, err := acts.WaitStackSettled(ctx, ref)
	require.NoError(t, err)
	require.Equal(t, 1, again.Progress.Polls)
	require.Len(t, foJournal(sim, "UpdateStack"), 1, "waiting changes nothing")

	_, err = acts.WaitStackSettled(ctx, StackRef{Region: topo.DRRegion, Stack: "no-such-stack"})
	require.Equal(t, "ValidationError", appErrorOf(t, err).Type())
}
