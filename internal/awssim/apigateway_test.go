package awssim

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"
)

func apigwJournal(sim *Server) []JournalEntry {
	var out []JournalEntry
	for _, e := range sim.Journal() {
		if e.Service == "apigateway" {
			out = append(out, e)
		}
	}
	return out
}

func TestAPIGatewayStageThrottlingThroughSDK(t *testing.T) {
	sim, f, _ := start(t, Options{})
	ctx := context.Background()
	ag := f.APIGateway("us-east-1")

	apis, err := ag.GetRestApis(ctx, &apigateway.GetRestApisInput{})
	require.NoError(t, err)
	require.Len(t, apis.Items, 1)
	require.Equal(t, "a1b2c3d4e5", *apis.Items[0].Id)
	require.Equal(t, "roadcall-api-prod", *apis.Items[0].Name)

	id, stage := aws.String("a1b2c3d4e5"), aws.String("prod")
	before, err := ag.GetStage(ctx, &apigateway.GetStageInput{RestApiId: id, StageName: stage})
	require.NoError(t, err)
	require.Equal(t, 10000.0, before.MethodSettings["*/*"].ThrottlingRateLimit)
	require.EqualValues(t, 5000, before.MethodSettings["*/*"].ThrottlingBurstLimit)
	require.True(t, before.MethodSettings["*/*"].MetricsEnabled)

	stop := []types.PatchOperation{
		{Op: types.OpReplace, Path: aws.String("/*/*/throttling/rateLimit"), Value: aws.String("0")},
		{Op: types.OpReplace, Path: aws.String("/*/*/throttling/burstLimit"), Value: aws.String("0")},
	}
	up, err := ag.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: id, StageName: stage, PatchOperations: stop})
	require.NoError(t, err)
	require.Equal(t, 0.0, up.MethodSettings["*/*"].ThrottlingRateLimit)
	require.EqualValues(t, 0, up.MethodSettings["*/*"].ThrottlingBurstLimit)
	require.True(t, up.LastUpdatedDate.After(*before.LastUpdatedDate))
	again, err := ag.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: id, StageName: stage, PatchOperations: stop})
	require.NoError(t, err)
	require.Equal(t, *up.LastUpdatedDate, *again.LastUpdatedDate, "a repeat changes nothing")

	// The runbook's path is not one AWS accepts; a list with it is refused whole.
	_, err = ag.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: id, StageName: stage, PatchOperations: []types.PatchOperation{
		{Op: types.OpReplace, Path: aws.String("/*/*/throttling/rateLimit"), Value: aws.String("50")},
		{Op: types.OpReplace, Path: aws.String("/throttle/rateLimit"), Value: aws.String("0")},
	}})
	var bad *types.BadRequestException
	require.True(t, errors.As(err, &bad), "%v", err)
	require.Contains(t, bad.ErrorMessage(), "Invalid method setting path: /throttle/rateLimit. Must be one of: [/deploymentId, ")
	require.Contains(t, bad.ErrorMessage(), "/*/*/throttling/burstLimit /*/*/throttling/rateLimit /*/*/caching/ttlInSeconds")

	// A per-method override starts from the stage-wide values.
	m, err := ag.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: id, StageName: stage, PatchOperations: []types.PatchOperation{
		{Op: types.OpReplace, Path: aws.String("/~1incidents/POST/throttling/rateLimit"), Value: aws.String("25.5")},
	}})
	require.NoError(t, err)
	require.Equal(t, 25.5, m.MethodSettings["incidents/POST"].ThrottlingRateLimit)
	require.EqualValues(t, 0, m.MethodSettings["incidents/POST"].ThrottlingBurstLimit)
	require.Equal(t, 0.0, m.MethodSettings["*/*"].ThrottlingRateLimit, "the failed list above left the stage as it was")

	removeOverride := &apigateway.UpdateStageInput{RestApiId: id, StageName: stage, PatchOperations: []types.PatchOperation{
		{Op: types.OpRemove, Path: aws.String("/~1incidents/POST")},
	}}
	rm, err := ag.UpdateStage(ctx, removeOverride)
	require.NoError(t, err)
	require.NotContains(t, rm.MethodSettings, "incidents/POST")
	_, err = ag.UpdateStage(ctx, removeOverride)
	require.True(t, errors.As(err, &bad), "%v", err)
	require.Contains(t, bad.ErrorMessage(), "Cannot remove method setting incidents/POST")

	j := apigwJournal(sim)
	require.Len(t, j, 4)
	require.Equal(t, []bool{true, false, true, true}, []bool{j[0].Changed, j[1].Changed, j[2].Changed, j[3].Changed})
	require.Equal(t, "arn:aws:apigateway:us-east-1::/restapis/a1b2c3d4e5/stages/prod", j[0].Resource)

	_, err = ag.GetStage(ctx, &apigateway.GetStageInput{RestApiId: aws.String("zzzzzzzzzz"), StageName: stage})
	var nf *types.NotFoundException
	require.True(t, errors.As(err, &nf), "%v", err)
	require.Equal(t, "Invalid API identifier specified 123456789012:zzzzzzzzzz", nf.ErrorMessage())
	_, err = ag.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: id, StageName: aws.String("beta"), PatchOperations: stop})
	var ae smithy.APIError
	require.True(t, errors.As(err, &ae), "%v", err)
	require.Equal(t, "NotFoundException", ae.ErrorCode())

	dr, err := f.APIGateway("us-west-2").GetStages(ctx, &apigateway.GetStagesInput{RestApiId: aws.String("f6g7h8i9j0")})
	require.NoError(t, err)
	require.Len(t, dr.Item, 1)
	require.Equal(t, 10000.0, dr.Item[0].MethodSettings["*/*"].ThrottlingRateLimit, "the DR stage is its own")
}

func TestAPIGatewayRunbookCommandsThroughCLI(t *testing.T) {
	sim, _, url := start(t, Options{})
	apis := awsCLI(t, url, "apigateway", "get-rest-apis", "--region", "us-east-1")
	require.Len(t, apis["items"], 1)

	out := awsCLI(t, url, "apigateway", "update-stage", "--rest-api-id", "a1b2c3d4e5", "--stage-name", "prod",
		"--patch-operations", "op=replace,path=/*/*/throttling/rateLimit,value=0", "--region", "us-east-1")
	all := out["methodSettings"].(map[string]any)["*/*"].(map[string]any)
	require.EqualValues(t, 0, all["throttlingRateLimit"])
	require.EqualValues(t, 5000, all["throttlingBurstLimit"])
	sim.With(func(w *World) {
		require.Equal(t, 0.0, w.Regions["us-east-1"].RestAPIs["a1b2c3d4e5"].Stages["prod"].MethodSettings["*/*"].ThrottlingRateLimit)
	})

	// The runbook's own command, as written, fails against AWS.
	raw, err := awsCLIRaw(t, url, "apigateway", "update-stage", "--rest-api-id", "a1b2c3d4e5", "--stage-name", "prod",
		"--patch-operations", "op=replace,path=/throttle/rateLimit,value=0", "--region", "us-east-1")
	require.Error(t, err)
	require.Contains(t, string(raw), "BadRequestException")
	require.Contains(t, string(raw), "Invalid method setting path: /throttle/rateLimit")

	st := awsCLI(t, url, "apigateway", "get-stage", "--rest-api-id", "a1b2c3d4e5", "--stage-name", "prod", "--region", "us-east-1")
	require.Equal(t, "prod", st["stageName"])
}
