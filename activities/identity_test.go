package activities

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/roadcall/dr/internal/awsclient"
	"github.com/roadcall/dr/internal/awssim"
	"github.com/roadcall/dr/internal/identity"
	"github.com/roadcall/dr/internal/topology"
)

// identitySim is an awssim whose STS knows examples/sim-identities.json, and Activities whose worker
// configuration points at it, as AWS_ENDPOINT_URL does for the local stack.
func identitySim(t *testing.T) (*Activities, string) {
	t.Helper()
	topo, err := topology.Load("../examples/roadcall-local.json")
	require.NoError(t, err)
	ids, err := awssim.LoadIdentities("../examples/sim-identities.json")
	require.NoError(t, err)
	hs := httptest.NewServer(awssim.New(topo, awssim.Options{Identities: ids}))
	t.Cleanup(hs.Close)
	f, err := awsclient.New(context.Background(), awsclient.Static(hs.URL))
	require.NoError(t, err)
	return New(f), hs.URL
}

// approver is the approver's side: their own keys, signing for the DR region's STS.
func approverToken(t *testing.T, url, key, secret string, b identity.Binding) identity.Token {
	t.Helper()
	cfg := aws.Config{Region: "us-west-2", BaseEndpoint: aws.String(url), Credentials: credentials.NewStaticCredentialsProvider(key, secret, "")}
	tok, err := identity.NewToken(context.Background(), cfg, b, 0)
	require.NoError(t, err)
	return tok
}

func appError(t *testing.T, err error) *temporal.ApplicationError {
	t.Helper()
	var ae *temporal.ApplicationError
	require.True(t, errors.As(err, &ae), "%v", err)
	return ae
}

// sts:GetCallerIdentity changes nothing, so verifying twice proves the same principal with the same
// replay key; the workflow, not the activity, refuses the second use.
func TestVerifyIdentityProvesThePrincipalIdempotently(t *testing.T) {
	acts, url := identitySim(t)
	b := identity.Binding{WorkflowID: "region-failover-1", RunID: "run-1", Gate: "failover", Decision: "approve"}
	in := VerifyIdentityInput{Region: "us-west-2", Token: approverToken(t, url, "AKIAAWSSIMBOB0000001", "awssim-bob-fake-secret-not-a-real-key", b), Binding: b}
	first, err := acts.VerifyIdentity(context.Background(), in)
	require.NoError(t, err)
	require.Equal(t, "arn:aws:iam::123456789012:user/bob", first.ARN)
	require.Equal(t, in.Token.ID(), first.TokenID)
	second, err := acts.VerifyIdentity(context.Background(), in)
	require.NoError(t, err)
	require.Equal(t, first, second)
}

// A forged signature (STS's SignatureDoesNotMatch), a token bound to another gate, and one signed for
// another region's STS are each a final IdentityRefused naming the reason; STS not answering is retryable.
func TestVerifyIdentityRefusals(t *testing.T) {
	acts, url := identitySim(t)
	ctx := context.Background()
	b := identity.Binding{WorkflowID: "region-failover-1", RunID: "run-1", Gate: "failover", Decision: "approve"}

	forged := approverToken(t, url, "AKIAAWSSIMALICE00001", "guessed", b)
	_, err := acts.VerifyIdentity(ctx, VerifyIdentityInput{Region: "us-west-2", Token: forged, Binding: b})
	ae := appError(t, err)
	require.Equal(t, ErrIdentityRefused, ae.Type())
	require.True(t, ae.NonRetryable())
	require.Contains(t, ae.Error(), "SignatureDoesNotMatch")

	good := approverToken(t, url, "AKIAAWSSIMALICE00001", "awssim-alice-fake-secret-not-a-real-key", b)
	other := b
	other.Gate = "cutover"
	_, err = acts.VerifyIdentity(ctx, VerifyIdentityInput{Region: "us-west-2", Token: good, Binding: other})
	ae = appError(t, err)
	require.Equal(t, ErrIdentityRefused, ae.Type())
	require.True(t, ae.NonRetryable())
	require.Contains(t, ae.Error(), `token: bound to gate "failover", not "cutover"`)

	// Against real AWS, us-east-1's STS is another host than us-west-2's: the token goes nowhere.
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_ENDPOINT_URL_STS", "")
	real, err := awsclient.New(ctx, awsclient.Options{StaticCredentials: &aws.Credentials{AccessKeyID: "awssim", SecretAccessKey: "awssim"}})
	require.NoError(t, err)
	realActs := New(real)
	_, err = realActs.VerifyIdentity(ctx, VerifyIdentityInput{Region: "us-east-1", Token: good, Binding: b})
	ae = appError(t, err)
	require.Equal(t, ErrIdentityRefused, ae.Type())
	require.Contains(t, ae.Error(), "not this verifier's STS")

	_, err = acts.VerifyIdentity(ctx, VerifyIdentityInput{Token: good, Binding: b})
	require.Equal(t, "InvalidRequest", appError(t, err).Type())
}

func TestVerifyIdentityRetriesWhenSTSDoesNotAnswer(t *testing.T) {
	acts, url := identitySim(t)
	b := identity.StartBinding("region-failover-1")
	tok := approverToken(t, url, "AKIAAWSSIMALICE00001", "awssim-alice-fake-secret-not-a-real-key", b)
	// The same endpoint with nothing listening: connection refused.
	hs := httptest.NewServer(nil)
	down := hs.URL
	hs.Close()
	acts.AWS.Base.BaseEndpoint = aws.String(down)
	tok.URL = down + tok.URL[len(url):]
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := acts.VerifyIdentity(ctx, VerifyIdentityInput{Region: "us-west-2", Token: tok, Binding: b})
	ae := appError(t, err)
	require.Equal(t, ErrSTSUnavailable, ae.Type())
	require.False(t, ae.NonRetryable())
}
