package awssim

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"
)

// lambdaClock is a settable clock so a test can step over a modeled duration without sleeping.
type lambdaClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *lambdaClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *lambdaClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// lambdaJournal returns the journal entries of one Lambda operation.
func lambdaJournal(sim *Server, op string) []JournalEntry {
	var out []JournalEntry
	for _, e := range sim.Journal() {
		if e.Service == "lambda" && e.Operation == op {
			out = append(out, e)
		}
	}
	return out
}

func TestLambdaListAndGetThroughSDK(t *testing.T) {
	_, f, _ := start(t, Options{})
	ctx := context.Background()
	lc := f.Lambda("us-west-2")

	var names []string
	pages := 0
	p := lambda.NewListFunctionsPaginator(lc, &lambda.ListFunctionsInput{MaxItems: aws.Int32(2)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		require.NoError(t, err)
		pages++
		for _, fn := range out.Functions {
			names = append(names, *fn.FunctionName)
			require.Empty(t, fn.State, "ListFunctions leaves State out, as AWS does")
			require.Empty(t, fn.LastUpdateStatus)
			require.NotEmpty(t, *fn.RevisionId)
			require.Equal(t, "us-west-2", fn.Environment.Variables["REGION"])
		}
	}
	require.Equal(t, 3, pages, "5 functions in pages of 2")
	require.Len(t, names, 5)
	require.True(t, sort.StringsAreSorted(names), "%v", names)

	cfg, err := lc.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{
		FunctionName: aws.String("arn:aws:lambda:us-west-2:123456789012:function:roadcall-incident-svc-prod")})
	require.NoError(t, err)
	require.Equal(t, types.StateActive, cfg.State)
	require.Equal(t, types.LastUpdateStatusSuccessful, cfg.LastUpdateStatus)
	require.Equal(t, "roadcall-incident-svc-prod", *cfg.FunctionName)
	require.Equal(t, "roadcall-aurora-prod-replica", cfg.Environment.Variables["AURORA_CLUSTER"])

	fn, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("123456789012:function:roadcall-user-svc-prod")})
	require.NoError(t, err)
	require.Equal(t, "arn:aws:lambda:us-west-2:123456789012:function:roadcall-user-svc-prod", *fn.Configuration.FunctionArn)
	require.Nil(t, fn.Concurrency, "no reserved concurrency is seeded")

	for _, ref := range []string{"roadcall-missing", "roadcall-user-svc-prod:7", "arn:aws:lambda:us-east-1:123456789012:function:roadcall-user-svc-prod"} {
		_, err = lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(ref)})
		var nf *types.ResourceNotFoundException
		require.True(t, errors.As(err, &nf), "%s: %v", ref, err)
		require.Contains(t, nf.ErrorMessage(), "Function not found: arn:aws:lambda:")
	}
}

func TestLambdaUpdateConfigurationRevisionAndStatus(t *testing.T) {
	clock := &lambdaClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	sim, f, _ := start(t, Options{TimeScale: 0.5, Now: clock.Now})
	ctx := context.Background()
	lc := f.Lambda("us-east-1")
	name := aws.String("roadcall-incident-svc-prod")

	before, err := lc.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: name})
	require.NoError(t, err)
	merged := maps.Clone(before.Environment.Variables)
	merged["READ_ONLY_MODE"] = "true"
	up, err := lc.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: name, RevisionId: before.RevisionId, Environment: &types.Environment{Variables: merged}})
	require.NoError(t, err)
	require.Equal(t, types.LastUpdateStatusInProgress, up.LastUpdateStatus)
	require.NotEqual(t, *before.RevisionId, *up.RevisionId)

	_, err = lc.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: name, Description: aws.String("x")})
	var conflict *types.ResourceConflictException
	require.True(t, errors.As(err, &conflict), "%v", err)
	require.Contains(t, conflict.ErrorMessage(), "An update is in progress for resource: arn:aws:lambda:us-east-1:123456789012:function:roadcall-incident-svc-prod")

	_, err = lc.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: name, RevisionId: before.RevisionId, Environment: &types.Environment{Variables: map[string]string{"A": "b"}}})
	var ae smithy.APIError
	require.True(t, errors.As(err, &ae), "%v", err)
	require.Equal(t, "PreconditionFailedException", ae.ErrorCode())
	var pf *types.PreconditionFailedException
	require.True(t, errors.As(err, &pf))

	// FunctionUpdate is 3 s; at time scale 0.5 the update finishes 1.5 s later.
	clock.Add(1400 * time.Millisecond)
	cfg, err := lc.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: name})
	require.NoError(t, err)
	require.Equal(t, types.LastUpdateStatusInProgress, cfg.LastUpdateStatus)
	clock.Add(200 * time.Millisecond)
	cfg, err = lc.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: name})
	require.NoError(t, err)
	require.Equal(t, types.LastUpdateStatusSuccessful, cfg.LastUpdateStatus)
	require.Equal(t, merged, cfg.Environment.Variables, "the merged write keeps every other variable")
	require.Equal(t, *up.RevisionId, *cfg.RevisionId)

	again, err := lc.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: name, RevisionId: cfg.RevisionId, Environment: &types.Environment{Variables: merged}})
	require.NoError(t, err)
	require.Equal(t, types.LastUpdateStatusSuccessful, again.LastUpdateStatus, "an identical update starts nothing")
	require.Equal(t, *cfg.RevisionId, *again.RevisionId)

	j := lambdaJournal(sim, "UpdateFunctionConfiguration")
	require.Len(t, j, 4, "refused updates are journaled as changing nothing, with the code the client got")
	require.True(t, j[0].Changed)
	require.Equal(t, "environment +READ_ONLY_MODE", j[0].Detail)
	require.Equal(t, []string{"refused: ResourceConflictException", "refused: PreconditionFailedException"}, []string{j[1].Detail, j[2].Detail})
	for _, e := range j[1:] {
		require.False(t, e.Changed)
	}

	_, err = lc.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: name, Environment: &types.Environment{Variables: map[string]string{"AWS_REGION": "x"}}})
	require.True(t, errors.As(err, &ae))
	require.Equal(t, "InvalidParameterValueException", ae.ErrorCode())
	require.Contains(t, ae.ErrorMessage(), "reserved keys")
}

func TestLambdaConcurrencyLimits(t *testing.T) {
	sim, f, _ := start(t, Options{})
	ctx := context.Background()
	lc := f.Lambda("us-east-1")
	incident, user := aws.String("roadcall-incident-svc-prod"), aws.String("roadcall-user-svc-prod")

	for range 2 {
		out, err := lc.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: incident, ReservedConcurrentExecutions: aws.Int32(500)})
		require.NoError(t, err)
		require.EqualValues(t, 500, *out.ReservedConcurrentExecutions)
	}
	got, err := lc.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: incident})
	require.NoError(t, err)
	require.EqualValues(t, 500, *got.ReservedConcurrentExecutions)
	acct, err := lc.GetAccountSettings(ctx, &lambda.GetAccountSettingsInput{})
	require.NoError(t, err)
	require.EqualValues(t, 1000, acct.AccountLimit.ConcurrentExecutions)
	require.EqualValues(t, 500, *acct.AccountLimit.UnreservedConcurrentExecutions)

	_, err = lc.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: user, ReservedConcurrentExecutions: aws.Int32(450)})
	var ipv *types.InvalidParameterValueException
	require.True(t, errors.As(err, &ipv), "%v", err)
	require.Equal(t, "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [100].", ipv.ErrorMessage())

	_, err = lc.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: user, ReservedConcurrentExecutions: aws.Int32(400)})
	require.NoError(t, err)
	fn, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: user})
	require.NoError(t, err)
	require.EqualValues(t, 400, *fn.Concurrency.ReservedConcurrentExecutions)
	dr, err := f.Lambda("us-west-2").GetAccountSettings(ctx, &lambda.GetAccountSettingsInput{})
	require.NoError(t, err)
	require.EqualValues(t, 1000, *dr.AccountLimit.UnreservedConcurrentExecutions, "the limit is per region")

	for range 2 {
		_, err = lc.DeleteFunctionConcurrency(ctx, &lambda.DeleteFunctionConcurrencyInput{FunctionName: incident})
		require.NoError(t, err)
	}
	got, err = lc.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: incident})
	require.NoError(t, err)
	require.Nil(t, got.ReservedConcurrentExecutions)
	sim.With(func(w *World) {
		fn := w.Regions["us-east-1"].Functions["roadcall-incident-svc-prod"]
		require.Nil(t, fn.ReservedConcurrency)
		require.False(t, fn.ConcurrencyChangedAt.IsZero())
	})

	var changed []bool
	for _, e := range append(lambdaJournal(sim, "PutFunctionConcurrency"), lambdaJournal(sim, "DeleteFunctionConcurrency")...) {
		changed = append(changed, e.Changed)
	}
	// The refused 450 is journaled too, as changing nothing.
	require.Equal(t, []bool{true, false, false, true, true, false}, changed)
}

func TestLambdaRunbookCommandsThroughCLI(t *testing.T) {
	sim, _, url := start(t, Options{})
	out, err := awsCLIRaw(t, url, "lambda", "list-functions", "--region", "us-west-2",
		"--query", "Functions[?starts_with(FunctionName, `roadcall`)].FunctionName")
	require.NoError(t, err, "%s", out)
	var names []string
	require.NoError(t, json.Unmarshal(out, &names), "%s", out)
	require.Len(t, names, 5)

	put := awsCLI(t, url, "lambda", "put-function-concurrency", "--function-name", "roadcall-incident-svc-prod",
		"--reserved-concurrent-executions", "500", "--region", "us-east-1")
	require.EqualValues(t, 500, put["ReservedConcurrentExecutions"])

	// The runbook's read-only switch: AWS replaces the whole map, so every other variable is gone.
	cfg := awsCLI(t, url, "lambda", "update-function-configuration", "--function-name", "roadcall-incident-svc-prod",
		"--environment", "Variables={READ_ONLY_MODE=true}", "--region", "us-east-1")
	require.Equal(t, map[string]any{"READ_ONLY_MODE": "true"}, cfg["Environment"].(map[string]any)["Variables"])
	sim.With(func(w *World) {
		require.Equal(t, map[string]string{"READ_ONLY_MODE": "true"}, w.Regions["us-east-1"].Functions["roadcall-incident-svc-prod"].Env)
	})
	got := awsCLI(t, url, "lambda", "get-function-configuration", "--function-name", "roadcall-incident-svc-prod", "--region", "us-east-1")
	require.Equal(t, "Successful", got["LastUpdateStatus"], "time scale 0 finishes on the next read")

	out, err = awsCLIRaw(t, url, "lambda", "get-function", "--function-name", "roadcall-nope", "--region", "us-east-1")
	require.Error(t, err)
	require.Contains(t, string(out), "ResourceNotFoundException")
}
