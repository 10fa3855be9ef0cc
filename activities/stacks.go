package activities

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"
	"go.temporal.io/sdk/activity"
)

// StackParamInput sets one parameter of a stack, keeping its template and every other parameter.
type StackParamInput struct {
	Region    string `json:"region"`
	Stack     string `json:"stack"`
	Parameter string `json:"parameter"`
	Value     string `json:"value"`
}

// StackParamResult says whether an update was started.
type StackParamResult struct {
	Stack  string `json:"stack"`
	Region string `json:"region"`
	Action string `json:"action"` // started, in-progress, already-done
	Status string `json:"status"`
}

// SetStackParameter runs UpdateStack with UsePreviousTemplate and the parameter changed (DrMode=true to
// activate the DR standby stacks). It reads the stack first: already at the value is done, an update in
// flight is waited for, not doubled; "No updates are to be performed" also counts as done.
func (a *Activities) SetStackParameter(ctx context.Context, in StackParamInput) (StackParamResult, error) {
	res := StackParamResult{Stack: in.Stack, Region: in.Region}
	st, err := a.DescribeStack(ctx, StackRef{Region: in.Region, Stack: in.Stack})
	if err != nil {
		return res, err
	}
	res.Status = st.Status
	switch {
	case !st.Exists:
		return res, refuse("ValidationError", "cloudformation:UpdateStack %s in %s: the stack does not exist; deploy the DR standby stack first", in.Stack, in.Region)
	case strings.Contains(st.Status, "ROLLBACK_IN_PROGRESS") || strings.HasSuffix(st.Status, "_FAILED"):
		return res, refuse("StackRollback", "cloudformation:UpdateStack %s in %s: the stack is %s; retry once it has settled", in.Stack, in.Region, st.Status)
	case strings.HasSuffix(st.Status, "_IN_PROGRESS"):
		res.Action = ActionInProgress
		return res, nil
	case st.Parameters[in.Parameter] == in.Value:
		res.Action = ActionAlreadyDone
		return res, nil
	}
	if _, known := st.Parameters[in.Parameter]; !known {
		return res, refuse("ValidationError", "cloudformation:UpdateStack %s in %s: the stack has no parameter %s (it has %s)", in.Stack, in.Region, in.Parameter, strings.Join(sortedKeys(st.Parameters), ", "))
	}
	params := []types.Parameter{{ParameterKey: aws.String(in.Parameter), ParameterValue: aws.String(in.Value)}}
	for _, k := range sortedKeys(st.Parameters) {
		if k != in.Parameter {
			params = append(params, types.Parameter{ParameterKey: aws.String(k), UsePreviousValue: aws.Bool(true)})
		}
	}
	_, err = a.AWS.CloudFormation(in.Region).UpdateStack(ctx, &cloudformation.UpdateStackInput{
		StackName: aws.String(in.Stack), UsePreviousTemplate: aws.Bool(true), Parameters: params,
		Capabilities: []types.Capability{types.CapabilityCapabilityIam, types.CapabilityCapabilityNamedIam, types.CapabilityCapabilityAutoExpand},
	})
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "ValidationError" && strings.Contains(ae.ErrorMessage(), "No updates are to be performed") {
		res.Action = ActionAlreadyDone
		return res, nil
	}
	if err != nil {
		return res, classify(err, "cloudformation:UpdateStack", fmt.Sprintf("%s (%s=%s)", in.Stack, in.Parameter, in.Value), in.Region)
	}
	res.Action, res.Status = ActionStarted, "UPDATE_IN_PROGRESS"
	return res, nil
}

// StackState is the stack as the wait last saw it.
type StackState struct {
	Stack    string   `json:"stack"`
	Region   string   `json:"region"`
	Status   string   `json:"status"`
	Progress Progress `json:"progress"`
}

// WaitStackParameter polls until the stack is settled in a *_COMPLETE state with the parameter at its
// value. A rollback fails at once, without retries: the update did not take and an operator must look.
func (a *Activities) WaitStackParameter(ctx context.Context, in StackParamInput) (StackState, error) {
	st := StackState{Stack: in.Stack, Region: in.Region}
	p, err := a.waitFor(ctx, func(ctx context.Context) (bool, string, error) {
		info, err := a.DescribeStack(ctx, StackRef{Region: in.Region, Stack: in.Stack})
		if err != nil {
			return false, "", err
		}
		if !info.Exists {
			return false, "", refuse("ValidationError", "stack %s in %s disappeared while it was updating", in.Stack, in.Region)
		}
		st.Status = info.Status
		atValue := info.Parameters[in.Parameter] == in.Value
		switch {
		case stackFailed(ctx, info.Status, atValue):
			return false, info.Status, refuse("StackRollback", "stack %s in %s went to %s while setting %s=%s, a failure state of the SDK's StackUpdateComplete waiter: the update failed; see its events",
				in.Stack, in.Region, info.Status, in.Parameter, in.Value)
		case strings.HasSuffix(info.Status, "_IN_PROGRESS"):
			return false, info.Status, nil
		case !atValue:
			return false, info.Status, refuse("StackParameterMismatch", "stack %s in %s is %s with %s=%s, not %s: another update changed it",
				in.Stack, in.Region, info.Status, in.Parameter, info.Parameters[in.Parameter], in.Value)
		}
		return true, info.Status, nil
	})
	st.Progress = p
	return st, err
}

// stackFailed applies the SDK's StackUpdateComplete waiter's failure states (UPDATE_FAILED,
// UPDATE_ROLLBACK_FAILED, UPDATE_ROLLBACK_COMPLETE) and two earlier signs of the same end: any *_FAILED,
// and a rollback in progress, which only ends in UPDATE_ROLLBACK_COMPLETE or UPDATE_ROLLBACK_FAILED. The
// one exception is a stack settled in a rollback with the parameter already at its value: a rollback
// restores the previous parameters, so what rolled back was not our change (SetStackParameter found it
// done and started nothing), and the SDK waiter, which assumes it follows our own UpdateStack, does not
// apply. For the same reason success is any settled state with the value, not only UPDATE_COMPLETE.
func stackFailed(ctx context.Context, status string, atValue bool) bool {
	switch {
	case strings.HasSuffix(status, "_FAILED") || strings.Contains(status, "ROLLBACK_IN_PROGRESS"):
		return true
	case strings.Contains(status, "ROLLBACK"):
		return !atValue
	}
	return stackUpdateVerdict(ctx, status) == pollFailure
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// DeployCommandInput runs the operator's deploy command (e.g. the runbook's pnpm cdk deploy).
type DeployCommandInput struct {
	// Platform, Stage and Name pick the command from the worker's policy: requests name a command, the
	// worker holds its argv, directory and the environment it may see.
	Platform string `json:"platform,omitempty"`
	Stage    string `json:"stage,omitempty"`
	Name     string `json:"name,omitempty"`
	// Argv is the command line runs recorded before the policy carried; it is refused now.
	Argv []string `json:"argv,omitempty"`
	Dir  string   `json:"dir,omitempty"`
	// Env adds non-secret variables (AWS_REGION, STAGE, DR_MODE); ${DR_MODE} in the policy's argv is replaced.
	Env map[string]string `json:"env,omitempty"`
}

// deployCommand resolves a named command from the policy: its argv with ${VAR} taken from in.Env, and an
// environment of PATH, the worker variables the policy lists and in.Env. The worker's own credentials
// never reach the child unless the policy names them.
func (a *Activities) deployCommand(in DeployCommandInput) (*exec.Cmd, string, error) {
	if len(in.Argv) > 0 {
		return nil, "", refuse("DeployCommandRefused", "the request carries a command line (%q); the worker runs only the deploy commands its policy names (stacks.deploy)", strings.Join(in.Argv, " "))
	}
	if a.Policy == nil {
		return nil, "", refuse("DeployCommandRefused", "the worker has no policy, so no deploy command; start it with --policy FILE")
	}
	p, err := a.Policy.For(in.Platform, in.Stage)
	if err != nil {
		return nil, "", refuse("DeployCommandRefused", "%v", err)
	}
	pc, ok := p.DeployCommands[in.Name]
	if !ok {
		return nil, "", refuse("DeployCommandRefused", "deploy command %q is not in the worker's policy for %s-%s", in.Name, in.Platform, in.Stage)
	}
	// Only ${NAME} of in.Env is replaced: os.Expand would also eat a shell's own $! or $1 in the argv.
	var pairs []string
	for _, k := range sortedKeys(in.Env) {
		pairs = append(pairs, "${"+k+"}", in.Env[k])
	}
	rep := strings.NewReplacer(pairs...)
	argv := make([]string, len(pc.Argv))
	for i, s := range pc.Argv {
		argv[i] = rep.Replace(s)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = pc.Dir
	// PATH is no secret and every deploy tool needs it to find its own tools.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	getenv := a.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	for _, k := range pc.Env {
		if v := getenv(k); v != "" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	for _, k := range sortedKeys(in.Env) {
		cmd.Env = append(cmd.Env, k+"="+in.Env[k])
	}
	return cmd, in.Name + ": " + strings.Join(argv, " "), nil
}

// DeployCommandResult keeps the end of the output: it is what an operator reads first when a deploy fails.
type DeployCommandResult struct {
	ExitCode int           `json:"exitCode"`
	Tail     string        `json:"tail"`
	Took     time.Duration `json:"took"`
}

// tailBytes is how much of a deploy's output the result and heartbeats keep.
const tailBytes = 4096

// tailBuffer keeps the last tailBytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > tailBytes {
		t.buf = append([]byte(nil), t.buf[len(t.buf)-tailBytes:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// RunDeployCommand runs the command in its own process group, heartbeating the output's tail. Cancelling the
// activity (workflow cancelled, heartbeat lost, timeout) kills the whole group, so no orphaned deploy
// keeps changing stacks behind the workflow's back. A non-zero exit is not retried automatically: a
// deploy that failed needs an operator's eyes, and the workflow pauses for one.
func (a *Activities) RunDeployCommand(ctx context.Context, in DeployCommandInput) (DeployCommandResult, error) {
	cmd, label, err := a.deployCommand(in)
	if err != nil {
		return DeployCommandResult{}, err
	}
	var out tailBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return DeployCommandResult{}, refuse("DeployCommandFailed", "deploy command %q could not start: %v", label, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	tick := time.NewTicker(a.poll())
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			res := DeployCommandResult{ExitCode: cmd.ProcessState.ExitCode(), Tail: out.String(), Took: time.Since(start)}
			if err != nil {
				return res, refuse("DeployCommandFailed", "deploy command %q exited with %d after %s; last output:\n%s", label, res.ExitCode, res.Took.Round(time.Second), lastLines(res.Tail, 15))
			}
			return res, nil
		case <-ctx.Done():
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
			return DeployCommandResult{ExitCode: -1, Tail: out.String(), Took: time.Since(start)}, ctx.Err()
		case <-tick.C:
			if activity.IsActivity(ctx) {
				activity.RecordHeartbeat(ctx, lastLines(out.String(), 5))
			}
		}
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
