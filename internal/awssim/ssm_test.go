package awssim

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/stretchr/testify/require"
)

func TestSSMParametersThroughSDK(t *testing.T) {
	sim, f, _ := start(t, Options{})
	ctx := context.Background()
	east := f.SSM("us-east-1")
	name := "/roadcall/prod/users-table"
	put := func(value string, overwrite bool) (*ssm.PutParameterOutput, error) {
		return east.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String(value),
			Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(overwrite)})
	}

	_, err := east.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
	var nf *ssmtypes.ParameterNotFound
	require.ErrorAs(t, err, &nf)
	require.Equal(t, "ParameterNotFound", ddbCode(t, err))

	out, err := put("roadcall-users-prod", false)
	require.NoError(t, err)
	require.Equal(t, int64(1), out.Version)
	require.Equal(t, ssmtypes.ParameterTierStandard, out.Tier)

	_, err = put("roadcall-users-prod-restored", false)
	var exists *ssmtypes.ParameterAlreadyExists
	require.ErrorAs(t, err, &exists, "without Overwrite an existing parameter is refused")

	out, err = put("roadcall-users-prod", true)
	require.NoError(t, err)
	require.Equal(t, int64(2), out.Version, "AWS makes a version on every overwrite")
	out, err = put("roadcall-users-prod-restored", true)
	require.NoError(t, err)
	require.Equal(t, int64(3), out.Version)

	got, err := east.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
	require.NoError(t, err)
	p := got.Parameter
	require.Equal(t, "roadcall-users-prod-restored", *p.Value)
	require.Equal(t, int64(3), p.Version)
	require.Equal(t, ssmtypes.ParameterTypeString, p.Type)
	require.Equal(t, "arn:aws:ssm:us-east-1:123456789012:parameter/roadcall/prod/users-table", *p.ARN)
	require.NotNil(t, p.LastModifiedDate)

	_, err = east.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name + ":3")})
	require.NoError(t, err)
	_, err = east.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name + ":1")})
	require.Equal(t, "ParameterVersionNotFound", ddbCode(t, err))

	_, err = f.SSM("us-west-2").GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
	require.ErrorAs(t, err, &nf, "parameters are regional")

	_, err = east.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/roadcall/new"), Value: aws.String("v")})
	require.Equal(t, "ValidationException", ddbCode(t, err), "a new parameter needs a type")

	var changed []bool
	for _, e := range journalOf(sim, "PutParameter") {
		changed = append(changed, e.Changed)
	}
	require.Equal(t, []bool{true, false, false, true, false}, changed,
		"create, refused, same-value overwrite, new value, refused")

	_, err = east.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/roadcall/secret"), Value: aws.String("s3cr3t"),
		Type: ssmtypes.ParameterTypeSecureString})
	require.NoError(t, err)
	enc, err := east.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/roadcall/secret")})
	require.NoError(t, err)
	require.NotEqual(t, "s3cr3t", *enc.Parameter.Value, "a SecureString is not returned in clear without decryption")
	dec, err := east.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/roadcall/secret"), WithDecryption: aws.Bool(true)})
	require.NoError(t, err)
	require.Equal(t, "s3cr3t", *dec.Parameter.Value)
}

func TestSSMSpeaksAWSJSON11(t *testing.T) {
	_, _, url := start(t, Options{})
	req, err := http.NewRequest(http.MethodPost, url+"/", strings.NewReader(`{"Name":"/missing"}`))
	require.NoError(t, err)
	req.Header.Set("X-Amz-Target", "AmazonSSM.GetParameter")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=awssim/20260101/us-east-1/ssm/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 400, resp.StatusCode)
	require.Equal(t, "application/x-amz-json-1.1", resp.Header.Get("Content-Type"))
}

func TestSSMThroughCLI(t *testing.T) {
	_, _, url := start(t, Options{})
	out := awsCLI(t, url, "ssm", "put-parameter", "--name", "/roadcall/prod/active-region", "--value", "us-west-2",
		"--type", "String", "--region", "us-east-1")
	require.EqualValues(t, 1, out["Version"])
	out = awsCLI(t, url, "ssm", "get-parameter", "--name", "/roadcall/prod/active-region", "--region", "us-east-1")
	require.Equal(t, "us-west-2", out["Parameter"].(map[string]any)["Value"])
	raw, err := awsCLIRaw(t, url, "ssm", "put-parameter", "--name", "/roadcall/prod/active-region", "--value", "us-east-1",
		"--type", "String", "--region", "us-east-1")
	require.Error(t, err)
	require.Contains(t, string(raw), "ParameterAlreadyExists")
	out = awsCLI(t, url, "ssm", "put-parameter", "--name", "/roadcall/prod/active-region", "--value", "us-east-1",
		"--overwrite", "--region", "us-east-1")
	require.EqualValues(t, 2, out["Version"])
}
