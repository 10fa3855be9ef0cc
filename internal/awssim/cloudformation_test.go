package awssim

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/stretchr/testify/require"
)

const testStack = "roadcall-services-prod"

func stackOf(t *testing.T, c *cloudformation.Client, name string) types.Stack {
	t.Helper()
	out, err := c.DescribeStacks(context.Background(), &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	require.NoError(t, err)
	require.Len(t, out.Stacks, 1)
	return out.Stacks[0]
}

func paramsOf(st types.Stack) map[string]string {
	out := map[string]string{}
	for _, p := range st.Parameters {
		out[aws.ToString(p.ParameterKey)] = aws.ToString(p.ParameterValue)
	}
	return out
}

func drModeUpdate(value string) *cloudformation.UpdateStackInput {
	return &cloudformation.UpdateStackInput{StackName: aws.String(testStack), UsePreviousTemplate: aws.Bool(true), Parameters: []types.Parameter{
		{ParameterKey: aws.String("DrMode"), ParameterValue: aws.String(value)},
		{ParameterKey: aws.String("Stage"), UsePreviousValue: aws.Bool(true)},
	}}
}

func TestCloudFormationDescribeStacks(t *testing.T) {
	_, f, _ := start(t, Options{})
	c := f.CloudFormation("us-west-2")
	out, err := c.DescribeStacks(context.Background(), &cloudformation.DescribeStacksInput{})
	require.NoError(t, err)
	require.Len(t, out.Stacks, 4)
	st := stackOf(t, c, testStack)
	require.Equal(t, types.StackStatusCreateComplete, st.StackStatus)
	require.Equal(t, map[string]string{"DrMode": "false", "Stage": "prod"}, paramsOf(st))
	require.NotNil(t, st.CreationTime)
	require.Nil(t, st.LastUpdatedTime)
	require.Equal(t, testStack, aws.ToString(stackOf(t, c, aws.ToString(st.StackId)).StackName), "a stack ID names the stack too")

	_, err = c.DescribeStacks(context.Background(), &cloudformation.DescribeStacksInput{StackName: aws.String("nope")})
	require.Equal(t, "ValidationError", apiCode(t, err))
	require.Contains(t, err.Error(), "Stack with id nope does not exist")
}

func TestCloudFormationUpdateStackLifecycle(t *testing.T) {
	clock := &simClock{t: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)}
	sim, f, _ := start(t, Options{TimeScale: 1, Now: clock.Now})
	ctx := context.Background()
	c := f.CloudFormation("us-west-2")
	d := sim.durations.StackUpdate

	// Every parameter the stack has must be given: AWS would fall back to a template default, and these
	// templates have none.
	_, err := c.UpdateStack(ctx, &cloudformation.UpdateStackInput{StackName: aws.String(testStack), UsePreviousTemplate: aws.Bool(true),
		Parameters: []types.Parameter{{ParameterKey: aws.String("DrMode"), ParameterValue: aws.String("true")}}})
	require.Equal(t, "ValidationError", apiCode(t, err))
	require.Contains(t, err.Error(), "Parameters: [Stage] must have values")
	bad := drModeUpdate("true")
	bad.Parameters = append(bad.Parameters, types.Parameter{ParameterKey: aws.String("Nope"), ParameterValue: aws.String("x")})
	_, err = c.UpdateStack(ctx, bad)
	require.Contains(t, err.Error(), "Parameters: [Nope] do not exist in the template")

	out, err := c.UpdateStack(ctx, drModeUpdate("true"))
	require.NoError(t, err)
	st := stackOf(t, c, testStack)
	require.Equal(t, aws.ToString(st.StackId), aws.ToString(out.StackId))
	require.Equal(t, types.StackStatusUpdateInProgress, st.StackStatus)
	require.Equal(t, map[string]string{"DrMode": "true", "Stage": "prod"}, paramsOf(st))
	require.Equal(t, clock.Now(), aws.ToTime(st.LastUpdatedTime))

	_, err = c.UpdateStack(ctx, drModeUpdate("true"))
	require.Equal(t, "ValidationError", apiCode(t, err))
	require.Contains(t, err.Error(), "Stack:"+aws.ToString(st.StackId)+" is in UPDATE_IN_PROGRESS state and can not be updated.")

	clock.Add(time.Duration(0.9 * float64(d)))
	require.Equal(t, types.StackStatusUpdateCompleteCleanupInProgress, stackOf(t, c, testStack).StackStatus)
	clock.Add(time.Duration(0.1 * float64(d)))
	require.NoError(t, cloudformation.NewStackUpdateCompleteWaiter(c).Wait(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(testStack)}, time.Minute))

	_, err = c.UpdateStack(ctx, drModeUpdate("true"))
	require.Equal(t, "ValidationError", apiCode(t, err))
	require.Contains(t, err.Error(), "No updates are to be performed.")
	require.Equal(t, []string{testStack + ":unchanged", testStack + ":unchanged", testStack + ":changed", testStack + ":unchanged", testStack + ":unchanged"},
		calls(sim, "UpdateStack"))

	ev, err := c.DescribeStackEvents(ctx, &cloudformation.DescribeStackEventsInput{StackName: aws.String(testStack)})
	require.NoError(t, err)
	var statuses []types.ResourceStatus
	for _, e := range ev.StackEvents {
		statuses = append(statuses, e.ResourceStatus)
	}
	require.Equal(t, []types.ResourceStatus{"UPDATE_COMPLETE", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_IN_PROGRESS"}, statuses, "newest first")

	// The DR-region stack changed; the primary region's did not.
	require.Equal(t, "false", paramsOf(stackOf(t, f.CloudFormation("us-east-1"), testStack))["DrMode"])
}

func TestCloudFormationFailedUpdateRollsBack(t *testing.T) {
	sim, f, _ := start(t, Options{TimeScale: 0})
	ctx := context.Background()
	c := f.CloudFormation("us-west-2")
	sim.With(func(w *World) { w.Regions["us-west-2"].Stacks[testStack].FailNextUpdate = true })

	_, err := c.UpdateStack(ctx, drModeUpdate("true"))
	require.NoError(t, err, "AWS accepts the update; it fails while running")
	err = cloudformation.NewStackUpdateCompleteWaiter(c).Wait(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(testStack)}, time.Minute)
	require.Error(t, err, "the SDK waiter stops on UPDATE_ROLLBACK_COMPLETE")
	st := stackOf(t, c, testStack)
	require.Equal(t, types.StackStatusUpdateRollbackComplete, st.StackStatus)
	require.Contains(t, aws.ToString(st.StackStatusReason), "failed to update")
	require.Equal(t, "false", paramsOf(st)["DrMode"], "a rolled-back update leaves the parameters as they were")

	ev, err := c.DescribeStackEvents(ctx, &cloudformation.DescribeStackEventsInput{StackName: aws.String(testStack)})
	require.NoError(t, err)
	require.Len(t, ev.StackEvents, 4)
	require.Equal(t, types.ResourceStatus("UPDATE_ROLLBACK_COMPLETE"), ev.StackEvents[0].ResourceStatus)
	require.Equal(t, types.ResourceStatus("UPDATE_ROLLBACK_IN_PROGRESS"), ev.StackEvents[2].ResourceStatus)

	// The fault is one-shot: the retry goes through from UPDATE_ROLLBACK_COMPLETE.
	_, err = c.UpdateStack(ctx, drModeUpdate("true"))
	require.NoError(t, err)
	st = stackOf(t, c, testStack)
	require.Equal(t, types.StackStatusUpdateComplete, st.StackStatus)
	require.Equal(t, "true", paramsOf(st)["DrMode"])
}

func TestCloudFormationRunbookThroughCLI(t *testing.T) {
	_, _, url := start(t, Options{TimeScale: 0})
	out := awsCLI(t, url, "cloudformation", "describe-stacks", "--region", "us-west-2")
	require.Len(t, out["Stacks"], 4)

	update := []string{"cloudformation", "update-stack", "--stack-name", testStack, "--use-previous-template",
		"--parameters", "ParameterKey=DrMode,ParameterValue=true", "ParameterKey=Stage,UsePreviousValue=true", "--region", "us-west-2"}
	out = awsCLI(t, url, update...)
	require.Contains(t, out["StackId"], "arn:aws:cloudformation:us-west-2:123456789012:stack/"+testStack+"/")
	raw, err := awsCLIRaw(t, url, "cloudformation", "wait", "stack-update-complete", "--stack-name", testStack, "--region", "us-west-2")
	require.NoError(t, err, "%s", raw)
	raw, err = awsCLIRaw(t, url, update...)
	require.Error(t, err)
	require.Contains(t, string(raw), "ValidationError")
	require.Contains(t, string(raw), "No updates are to be performed.")

	out = awsCLI(t, url, "cloudformation", "describe-stacks", "--stack-name", testStack, "--region", "us-west-2")
	st := out["Stacks"].([]any)[0].(map[string]any)
	require.Equal(t, "UPDATE_COMPLETE", st["StackStatus"])
	require.Contains(t, st["Parameters"], map[string]any{"ParameterKey": "DrMode", "ParameterValue": "true"})
}
