package awssim

import (
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"

	"github.com/roadcall/dr/internal/awsclient"
	"github.com/roadcall/dr/internal/identity"
)

func simIdentities(t *testing.T) []Identity {
	t.Helper()
	ids, err := LoadIdentities("../../examples/sim-identities.json")
	require.NoError(t, err)
	return ids
}

func identityNamed(t *testing.T, ids []Identity, name string) Identity {
	for _, id := range ids {
		if id.Name == name {
			return id
		}
	}
	t.Fatalf("no identity %s", name)
	return Identity{}
}

// cfgAs is an SDK configuration for the simulator at url signing with the given keys.
func cfgAs(url, region, key, secret string) aws.Config {
	return aws.Config{
		Region: region, BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider(key, secret, ""), RetryMaxAttempts: 1,
	}
}

var gate = identity.Binding{WorkflowID: "region-failover-1", RunID: "run-1", Gate: "failover", Decision: "approve"}

// The examples file is what --identities loads: four IAM users of the local account.
func TestLoadIdentitiesExample(t *testing.T) {
	ids := simIdentities(t)
	var names []string
	for _, id := range ids {
		names = append(names, id.Name)
		require.Equal(t, "arn:aws:iam::123456789012:user/"+id.Name, id.ARN)
		require.Equal(t, "123456789012", id.account())
		require.True(t, strings.HasPrefix(id.userID(), "AIDA"), id.userID())
	}
	require.Equal(t, []string{"alice", "bob", "carol", "incident-commander"}, names)

	require.ErrorContains(t, validateIdentities(nil), "empty")
	dup := []Identity{ids[0], ids[1]}
	dup[1].AccessKeyID = dup[0].AccessKeyID
	require.ErrorContains(t, validateIdentities(dup), "also alice's")
	bad := []Identity{ids[0]}
	bad[0].ARN = "alice"
	require.ErrorContains(t, validateIdentities(bad), "not an IAM user or role ARN")
}

// A token presigned by the Go SDK's STS presign client (as aws-iam-authenticator's token generator does) and
// sent to STS answers the signer's ARN: the GetCallerIdentity API reference's GetCallerIdentityResult for an
// IAM user (Arn arn:aws:iam::ACCOUNT:user/NAME, UserId AIDA..., Account).
func TestPresignedGetCallerIdentityProvesTheSigner(t *testing.T) {
	ids := simIdentities(t)
	_, _, url := start(t, Options{Identities: ids})
	ctx := context.Background()
	for _, name := range []string{"alice", "bob"} {
		id := identityNamed(t, ids, name)
		tok, err := identity.NewToken(ctx, cfgAs(url, "us-west-2", id.AccessKeyID, id.SecretAccessKey), gate, 0)
		require.NoError(t, err)
		arn, err := identity.Verify(ctx, http.DefaultClient, url, tok, gate, time.Now())
		require.NoError(t, err)
		require.Equal(t, "arn:aws:iam::123456789012:user/"+name, arn)
	}
}

// STS refuses what SigV4 verification refuses. Codes and statuses: SignatureDoesNotMatch 403 (IAM User Guide,
// "Troubleshoot Signature Version 4 signing"), InvalidClientTokenId 403 and RequestExpired 400 (STS API
// Reference, Common Errors: "more than 15 minutes after the date stamp on the request").
func TestPresignedGetCallerIdentityRefusals(t *testing.T) {
	ids := simIdentities(t)
	alice := identityNamed(t, ids, "alice")
	ctx := context.Background()
	later := time.Now()
	sim, _, url := start(t, Options{Identities: ids, Now: func() time.Time { return later }})

	refused := func(t *testing.T, tok identity.Token, b identity.Binding, code string, status int) {
		t.Helper()
		_, err := identity.Verify(ctx, http.DefaultClient, url, tok, b, time.Now())
		var ref *identity.Refused
		require.True(t, errors.As(err, &ref), "%v", err)
		require.Equal(t, code, ref.Code, ref.Message)
		// The status is what the SDKs and the CLI see.
		resp := send(t, url, tok)
		require.Equal(t, status, resp.StatusCode)
	}
	fresh := func(t *testing.T, key, secret string) identity.Token {
		tok, err := identity.NewToken(ctx, cfgAs(url, "us-west-2", key, secret), gate, 0)
		require.NoError(t, err)
		return tok
	}

	t.Run("tampered signed header", func(t *testing.T) {
		// The verifier's own Check would refuse a header that differs from the binding it expects; here the
		// attacker also presents the binding they want, so only the signature stands in the way.
		for _, h := range []string{identity.HeaderWorkflowID, identity.HeaderRunID, identity.HeaderGate, identity.HeaderDecision} {
			tok := fresh(t, alice.AccessKeyID, alice.SecretAccessKey)
			tok.Headers[h] = "other"
			b := identity.Binding{WorkflowID: tok.Headers[identity.HeaderWorkflowID], RunID: tok.Headers[identity.HeaderRunID],
				Gate: tok.Headers[identity.HeaderGate], Decision: tok.Headers[identity.HeaderDecision]}
			refused(t, tok, b, "SignatureDoesNotMatch", 403)
		}
	})
	t.Run("tampered query", func(t *testing.T) {
		tok := fresh(t, alice.AccessKeyID, alice.SecretAccessKey)
		tok.URL = strings.Replace(tok.URL, "X-Amz-Expires=300", "X-Amz-Expires=900", 1)
		refused(t, tok, gate, "SignatureDoesNotMatch", 403)
	})
	t.Run("wrong secret", func(t *testing.T) {
		refused(t, fresh(t, alice.AccessKeyID, "not-alices-secret"), gate, "SignatureDoesNotMatch", 403)
	})
	t.Run("unknown key", func(t *testing.T) {
		refused(t, fresh(t, "AKIAAWSSIMNOBODY0001", "whatever"), gate, "InvalidClientTokenId", 403)
	})
	t.Run("expired", func(t *testing.T) {
		tok := fresh(t, alice.AccessKeyID, alice.SecretAccessKey)
		sim.mu.Lock()
		later = time.Now().Add(16 * time.Minute)
		sim.mu.Unlock()
		defer func() { sim.mu.Lock(); later = time.Now(); sim.mu.Unlock() }()
		refused(t, tok, gate, "RequestExpired", 400)
	})
	t.Run("X-Amz-Expires is not STS's business", func(t *testing.T) {
		// STS honours a presigned GetCallerIdentity for 15 minutes whatever X-Amz-Expires says
		// (aws/aws-sdk-go#2167; aws-iam-authenticator#160 "STS presigned urls expire after 15 minutes"), which
		// is why identity.Check enforces the token's own expiry before anything is sent.
		tok, err := identity.NewToken(ctx, cfgAs(url, "us-west-2", alice.AccessKeyID, alice.SecretAccessKey), gate, time.Minute)
		require.NoError(t, err)
		sim.mu.Lock()
		later = time.Now().Add(10 * time.Minute)
		sim.mu.Unlock()
		defer func() { sim.mu.Lock(); later = time.Now(); sim.mu.Unlock() }()
		require.Equal(t, 200, send(t, url, tok).StatusCode)
		_, err = identity.Verify(ctx, http.DefaultClient, url, tok, gate, time.Now().Add(10*time.Minute))
		var inv *identity.Invalid
		require.True(t, errors.As(err, &inv), "%v", err)
		require.Contains(t, inv.Reason, "expired at")
	})
}

// send is the token's request exactly as Verify sends it, without Verify's own checks.
func send(t *testing.T, url string, tok identity.Token) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, tok.URL, nil)
	require.NoError(t, err)
	for k, v := range tok.Headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp
}

// Header-signed calls (the SDK's ordinary client, not a presigned URL) are verified too when the key is an
// identity's, because AWS verifies every request; the worker's awssim key stays the operator role. Other
// services keep ignoring signatures.
func TestHeaderSignedGetCallerIdentity(t *testing.T) {
	ids := simIdentities(t)
	alice := identityNamed(t, ids, "alice")
	_, f, url := start(t, Options{Identities: ids})
	ctx := context.Background()

	out, err := f.STS("us-west-2").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	require.NoError(t, err)
	require.Equal(t, "arn:aws:sts::123456789012:assumed-role/roadcall-dr-operator/awssim", *out.Arn)

	as := func(secret string) *awsclient.Factory {
		af, err := awsclient.New(ctx, awsclient.Options{Endpoint: url, MaxAttempts: 1,
			StaticCredentials: &aws.Credentials{AccessKeyID: alice.AccessKeyID, SecretAccessKey: secret}})
		require.NoError(t, err)
		return af
	}
	out, err = as(alice.SecretAccessKey).STS("us-east-1").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	require.NoError(t, err)
	require.Equal(t, alice.ARN, *out.Arn)
	require.Equal(t, "123456789012", *out.Account)

	forged := as("not-alices-secret")
	_, err = forged.STS("us-east-1").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	var ae smithy.APIError
	require.True(t, errors.As(err, &ae), "%v", err)
	require.Equal(t, "SignatureDoesNotMatch", ae.ErrorCode())

	_, err = forged.SNS("us-east-1").ListTopics(ctx, &sns.ListTopicsInput{})
	require.NoError(t, err, "services other than STS do not check signatures")
}

// The AWS CLI (botocore signs in the Authorization header, not the query) with alice's keys in the
// environment: `aws sts get-caller-identity` answers alice's ARN as it would against AWS; a wrong secret
// gets botocore's "An error occurred (SignatureDoesNotMatch)".
func TestHeaderSignedGetCallerIdentityThroughCLI(t *testing.T) {
	ids := simIdentities(t)
	alice := identityNamed(t, ids, "alice")
	_, _, url := start(t, Options{Identities: ids})

	out, err := awsCLIAs(t, url, alice.AccessKeyID, alice.SecretAccessKey, "sts", "get-caller-identity")
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), `"Arn": "arn:aws:iam::123456789012:user/alice"`)

	out, err = awsCLIAs(t, url, alice.AccessKeyID, "not-alices-secret", "sts", "get-caller-identity")
	require.Error(t, err)
	require.Contains(t, string(out), "SignatureDoesNotMatch")

	out, err = awsCLIAs(t, url, "AKIAAWSSIMNOBODY0001", "x", "sts", "get-caller-identity")
	require.NoError(t, err, "a key outside the table is the worker's own and answers as the operator: %s", out)
	require.Contains(t, string(out), "roadcall-dr-operator")
}

func awsCLIAs(t *testing.T, url, key, secret string, args ...string) ([]byte, error) {
	t.Helper()
	bin, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the AWS CLI is not installed (pip install awscli); skipping the independent-client check")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"--endpoint-url", url, "--output", "json"}, args...)...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+key, "AWS_SECRET_ACCESS_KEY="+secret, "AWS_SESSION_TOKEN=",
		"AWS_DEFAULT_REGION=us-east-1", "AWS_PAGER=", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_MAX_ATTEMPTS=1")
	return cmd.CombinedOutput()
}
