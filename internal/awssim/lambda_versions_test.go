package awssim

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"
)

func apiErrorCode(t *testing.T, err error) string {
	t.Helper()
	var ae smithy.APIError
	require.True(t, errors.As(err, &ae), "%v", err)
	return ae.ErrorCode()
}

// writesOf is whether the API's requests to fn in region can write, by awssim's application model.
func writesOf(sim *Server, region, fn string) FunctionWrites {
	for _, fw := range sim.Writes()[region] {
		if fw.Function == fn {
			return fw
		}
	}
	return FunctionWrites{}
}

// Lambda Developer Guide, "Manage Lambda function versions": a version is an immutable snapshot of $LATEST;
// UpdateFunctionConfiguration changes only $LATEST. PublishVersion's API reference (botocore lambda
// 2015-03-31, PublishVersion): "Lambda doesn't publish a version if the function's configuration and code
// haven't changed since the last version"; CodeSha256 and RevisionId are preconditions; 201 Created.
func TestLambdaPublishVersionSnapshotsLatest(t *testing.T) {
	clock := &lambdaClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	sim, f, _ := start(t, Options{TimeScale: 1, Now: clock.Now})
	ctx := context.Background()
	lc := f.Lambda("us-east-1")
	name := aws.String("roadcall-incident-svc-prod")

	// Seeded from the topology: alias live on version 1, the same as $LATEST.
	live, err := lc.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: name, Name: aws.String("live")})
	require.NoError(t, err)
	require.Equal(t, "1", *live.FunctionVersion)
	require.Equal(t, "arn:aws:lambda:us-east-1:123456789012:function:roadcall-incident-svc-prod:live", *live.AliasArn)

	latest, err := lc.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: name})
	require.NoError(t, err)
	again, err := lc.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: name})
	require.NoError(t, err)
	require.Equal(t, "1", *again.Version, "nothing changed since version 1: AWS answers version 1")

	merged := maps.Clone(latest.Environment.Variables)
	merged["READ_ONLY_MODE"] = "true"
	up, err := lc.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: name,
		RevisionId: latest.RevisionId, Environment: &types.Environment{Variables: merged}})
	require.NoError(t, err)

	_, err = lc.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: name})
	require.Equal(t, "ResourceConflictException", apiErrorCode(t, err), "an update in progress blocks publishing")
	var rc *types.ResourceConflictException
	require.True(t, errors.As(err, &rc))
	clock.Add(3 * time.Second)

	_, err = lc.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: name, RevisionId: latest.RevisionId})
	var pf *types.PreconditionFailedException
	require.True(t, errors.As(err, &pf), "a stale RevisionId: %v", err)
	_, err = lc.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: name, CodeSha256: aws.String("c29tZXRoaW5nIGVsc2U=")})
	var ipv *types.InvalidParameterValueException
	require.True(t, errors.As(err, &ipv), "%v", err)
	require.Contains(t, ipv.ErrorMessage(), "is different from current CodeSHA256 in $LATEST")

	v2, err := lc.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: name, RevisionId: up.RevisionId, CodeSha256: latest.CodeSha256})
	require.NoError(t, err)
	require.Equal(t, "2", *v2.Version)
	require.Equal(t, "arn:aws:lambda:us-east-1:123456789012:function:roadcall-incident-svc-prod:2", *v2.FunctionArn)
	require.Equal(t, types.StatePending, v2.State, "PublishedVersionActive's retry state")
	require.Equal(t, merged, v2.Environment.Variables)
	clock.Add(2 * time.Second)
	got, err := lc.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: name, Qualifier: aws.String("2")})
	require.NoError(t, err)
	require.Equal(t, types.StateActive, got.State)

	v2again, err := lc.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: name})
	require.NoError(t, err)
	require.Equal(t, "2", *v2again.Version, "publishing twice publishes once")

	// Version 1 is immutable and the alias still serves it: $LATEST's change has not reached the traffic.
	v1, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: name, Qualifier: aws.String("1")})
	require.NoError(t, err)
	require.NotContains(t, v1.Configuration.Environment.Variables, "READ_ONLY_MODE")
	viaAlias, err := lc.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("roadcall-incident-svc-prod:live")})
	require.NoError(t, err)
	require.Equal(t, "1", *viaAlias.Version)
	require.Equal(t, *live.AliasArn, *viaAlias.FunctionArn)
	require.True(t, writesOf(sim, "us-east-1", *name).ServesWrites, "the alias still invokes version 1")

	vs, err := lc.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: name})
	require.NoError(t, err)
	var nums []string
	for _, v := range vs.Versions {
		nums = append(nums, *v.Version)
	}
	require.Equal(t, []string{"$LATEST", "1", "2"}, nums)

	_, err = lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: name, Qualifier: aws.String("9")})
	var nf *types.ResourceNotFoundException
	require.True(t, errors.As(err, &nf), "%v", err)
	require.Equal(t, "Function not found: arn:aws:lambda:us-east-1:123456789012:function:roadcall-incident-svc-prod:9", nf.ErrorMessage())

	var changed []bool
	for _, e := range lambdaJournal(sim, "PublishVersion") {
		changed = append(changed, e.Changed)
	}
	require.Equal(t, []bool{false, false, false, false, true, false}, changed, "every publish journaled, refusals and no-change included")
}

// Lambda Developer Guide, "Create an alias for a Lambda function" and "Implement Lambda canary deployments
// using a weighted alias"; botocore lambda 2015-03-31 CreateAlias (201, ResourceConflictException 409 on an
// existing alias), UpdateAlias (RevisionId, PreconditionFailedException 412), GetAlias (ResourceNotFound
// 404), ListAliases (FunctionVersion filter).
func TestLambdaAliasesThroughSDK(t *testing.T) {
	sim, f, _ := start(t, Options{})
	ctx := context.Background()
	lc := f.Lambda("us-east-1")
	name := aws.String("roadcall-incident-svc-prod")
	cfg, err := lc.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: name})
	require.NoError(t, err)
	env := maps.Clone(cfg.Environment.Variables)
	env["READ_ONLY_MODE"] = "true"
	_, err = lc.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: name, Environment: &types.Environment{Variables: env}})
	require.NoError(t, err)
	v2, err := lc.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: name})
	require.NoError(t, err)

	_, err = lc.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: name, Name: aws.String("live"), FunctionVersion: aws.String("2")})
	require.Equal(t, "ResourceConflictException", apiErrorCode(t, err))
	for _, bad := range []struct{ name, version, code string }{
		{"123", "1", "ValidationException"}, {"canary", "7", "ResourceNotFoundException"}, {"canary", "latest", "ValidationException"},
	} {
		_, err = lc.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: name, Name: aws.String(bad.name), FunctionVersion: aws.String(bad.version)})
		require.Equal(t, bad.code, apiErrorCode(t, err), "%+v", bad)
	}
	_, err = lc.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: name, Name: aws.String("weighted"), FunctionVersion: aws.String("$LATEST"),
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"1": 0.1}}})
	require.Equal(t, "InvalidParameterValueException", apiErrorCode(t, err), "a weighted alias cannot involve $LATEST")
	canary, err := lc.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: name, Name: aws.String("canary"), FunctionVersion: aws.String("1"),
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 0.25}}})
	require.NoError(t, err)
	require.Equal(t, map[string]float64{"2": 0.25}, canary.RoutingConfig.AdditionalVersionWeights)

	live, err := lc.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: name, Name: aws.String("live")})
	require.NoError(t, err)
	require.True(t, writesOf(sim, "us-east-1", *name).ServesWrites)
	moved, err := lc.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: name, Name: aws.String("live"), FunctionVersion: v2.Version, RevisionId: live.RevisionId})
	require.NoError(t, err)
	require.Equal(t, "2", *moved.FunctionVersion)
	require.NotEqual(t, *live.RevisionId, *moved.RevisionId)
	fw := writesOf(sim, "us-east-1", *name)
	require.Equal(t, FunctionWrites{Function: *name, Invokes: "live", Versions: map[string]float64{"2": 1}}, fw,
		"the API invokes live, now version 2 with READ_ONLY_MODE=true: writes stop")

	_, err = lc.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: name, Name: aws.String("live"), FunctionVersion: aws.String("1"), RevisionId: live.RevisionId})
	require.Equal(t, "PreconditionFailedException", apiErrorCode(t, err), "a stale alias RevisionId")
	same, err := lc.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: name, Name: aws.String("live"), FunctionVersion: aws.String("2")})
	require.NoError(t, err)
	require.Equal(t, *moved.RevisionId, *same.RevisionId, "an update that changes nothing keeps the revision")
	_, err = lc.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: name, Name: aws.String("nope")})
	var nf *types.ResourceNotFoundException
	require.True(t, errors.As(err, &nf))
	require.Equal(t, "Alias not found: arn:aws:lambda:us-east-1:123456789012:function:roadcall-incident-svc-prod:nope", nf.ErrorMessage())

	on2, err := lc.ListAliases(ctx, &lambda.ListAliasesInput{FunctionName: name, FunctionVersion: aws.String("2")})
	require.NoError(t, err)
	require.Len(t, on2.Aliases, 1)
	require.Equal(t, "live", *on2.Aliases[0].Name)
	all, err := lc.ListAliases(ctx, &lambda.ListAliasesInput{FunctionName: name, MaxItems: aws.Int32(1)})
	require.NoError(t, err)
	require.Len(t, all.Aliases, 1)
	require.NotNil(t, all.NextMarker)

	var details []string
	for _, e := range append(lambdaJournal(sim, "CreateAlias"), lambdaJournal(sim, "UpdateAlias")...) {
		details = append(details, e.Detail)
	}
	require.Equal(t, []string{"refused: ResourceConflictException", "refused: ValidationException", "refused: ResourceNotFoundException",
		"refused: ValidationException", "refused: InvalidParameterValueException", "alias -> version 1 + version 2 at 0.25",
		"alias version 1 -> version 2", "refused: PreconditionFailedException", "alias already -> version 2"}, details)
}

// API Gateway Developer Guide, "Set up Lambda proxy integrations": the integration URI names the function
// ARN, qualified with an alias when the API invokes through one (…:function:NAME:ALIAS/invocations).
func TestAPIIntegrationInvokesTheAlias(t *testing.T) {
	_, f, _ := start(t, Options{})
	ctx := context.Background()
	res, err := f.APIGateway("us-east-1").GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: aws.String("a1b2c3d4e5"), Embed: []string{"methods"}})
	require.NoError(t, err)
	uris := map[string]string{}
	for _, r := range res.Items {
		if m, ok := r.ResourceMethods["ANY"]; ok {
			uris[*r.Path] = *m.MethodIntegration.Uri
			in, err := f.APIGateway("us-east-1").GetIntegration(ctx, &apigateway.GetIntegrationInput{RestApiId: aws.String("a1b2c3d4e5"), ResourceId: r.Id, HttpMethod: aws.String("ANY")})
			require.NoError(t, err)
			require.Equal(t, *m.MethodIntegration.Uri, *in.Uri)
			require.EqualValues(t, "AWS_PROXY", in.Type)
		}
	}
	require.Len(t, uris, 5)
	require.Equal(t, "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:roadcall-incident-svc-prod:live/invocations", uris["/incident-svc/{proxy+}"])
	require.True(t, strings.HasSuffix(uris["/user-svc/{proxy+}"], ":function:roadcall-user-svc-prod/invocations"))
}

// The same through the AWS CLI, a client we did not write: `aws lambda publish-version`, `get-alias`,
// `update-alias`, `get-function-configuration --qualifier`, `list-versions-by-function`.
func TestLambdaVersionsAndAliasesThroughCLI(t *testing.T) {
	sim, _, url := start(t, Options{})
	fn, region := "roadcall-incident-svc-prod", "--region=us-east-1"
	cfg := awsCLI(t, url, "lambda", "get-function-configuration", "--function-name", fn, region)
	vars := cfg["Environment"].(map[string]any)["Variables"].(map[string]any)
	var pairs []string
	for _, k := range SortedKeys(vars) {
		pairs = append(pairs, k+"="+vars[k].(string))
	}
	awsCLI(t, url, "lambda", "update-function-configuration", "--function-name", fn, region,
		"--environment", "Variables={"+strings.Join(append(pairs, "READ_ONLY_MODE=true"), ",")+"}")
	// Time scale 0: the update has finished by the next call.
	pub := awsCLI(t, url, "lambda", "publish-version", "--function-name", fn, region, "--code-sha-256", cfg["CodeSha256"].(string))
	require.Equal(t, "2", pub["Version"])
	out, err := awsCLIRaw(t, url, "lambda", "publish-version", "--function-name", fn, region, "--revision-id", cfg["RevisionId"].(string))
	require.Error(t, err)
	require.Contains(t, string(out), "PreconditionFailedException")

	alias := awsCLI(t, url, "lambda", "get-alias", "--function-name", fn, "--name", "live", region)
	require.Equal(t, "1", alias["FunctionVersion"])
	awsCLI(t, url, "lambda", "update-alias", "--function-name", fn, "--name", "live", "--function-version", "2", "--revision-id", alias["RevisionId"].(string), region)
	got := awsCLI(t, url, "lambda", "get-function-configuration", "--function-name", fn, "--qualifier", "live", region)
	require.Equal(t, "2", got["Version"])
	require.Equal(t, "true", got["Environment"].(map[string]any)["Variables"].(map[string]any)["READ_ONLY_MODE"])
	require.False(t, writesOf(sim, "us-east-1", fn).ServesWrites)

	vs := awsCLI(t, url, "lambda", "list-versions-by-function", "--function-name", fn, region)
	require.Len(t, vs["Versions"], 3)
	out, err = awsCLIRaw(t, url, "lambda", "get-alias", "--function-name", fn, "--name", "blue", region)
	require.Error(t, err)
	require.Contains(t, string(out), "ResourceNotFoundException")
	out, err = awsCLIRaw(t, url, "lambda", "create-alias", "--function-name", fn, "--name", "live", "--function-version", "1", region)
	require.Error(t, err)
	require.Contains(t, string(out), "ResourceConflictException")
}
