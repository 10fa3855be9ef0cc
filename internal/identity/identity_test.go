package identity_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/stretchr/testify/require"

	"github.com/roadcall/dr/internal/awssim"
	"github.com/roadcall/dr/internal/identity"
	"github.com/roadcall/dr/internal/topology"
)

const endpoint = "https://sts.us-west-2.amazonaws.com"

var gate = identity.Binding{WorkflowID: "region-failover-1", RunID: "run-1", Gate: "failover", Decision: "approve"}

// cfg signs with fake keys; nothing here reaches AWS: Check is offline and Verify goes to an awssim.
func cfg(endpointURL string) aws.Config {
	c := aws.Config{Region: "us-west-2", Credentials: credentials.NewStaticCredentialsProvider("AKIAAWSSIMALICE00001", "awssim-alice-fake-secret-not-a-real-key", "")}
	if endpointURL != "" {
		c.BaseEndpoint = aws.String(endpointURL)
	}
	return c
}

func token(t *testing.T, b identity.Binding, ttl time.Duration) identity.Token {
	t.Helper()
	tok, err := identity.NewToken(context.Background(), cfg(""), b, ttl)
	require.NoError(t, err)
	return tok
}

func query(t *testing.T, tok identity.Token) url.Values {
	u, err := url.Parse(tok.URL)
	require.NoError(t, err)
	return u.Query()
}

// The presigned request has the shape aws-iam-authenticator and Vault's AWS auth expect: a GET to the
// regional STS endpoint, Action=GetCallerIdentity, query-string SigV4 (the SigV4 reference's "Add the
// signature to the query string"), the binding headers among X-Amz-SignedHeaders.
func TestNewToken(t *testing.T) {
	tok := token(t, gate, 0)
	require.True(t, strings.HasPrefix(tok.URL, endpoint+"/?"), tok.URL)
	q := query(t, tok)
	require.Equal(t, "GetCallerIdentity", q.Get("Action"))
	require.Equal(t, "AWS4-HMAC-SHA256", q.Get("X-Amz-Algorithm"))
	require.Equal(t, "300", q.Get("X-Amz-Expires"), "default expiry is 5 minutes")
	require.Contains(t, q.Get("X-Amz-Credential"), "/us-west-2/sts/aws4_request")
	require.Equal(t, "host;x-roadcall-decision;x-roadcall-gate;x-roadcall-run-id;x-roadcall-workflow-id", q.Get("X-Amz-SignedHeaders"))
	require.Equal(t, map[string]string{
		identity.HeaderWorkflowID: "region-failover-1", identity.HeaderRunID: "run-1",
		identity.HeaderGate: "failover", identity.HeaderDecision: "approve",
	}, tok.Headers)
	require.NoError(t, tok.Check(gate, time.Now(), endpoint))

	require.Equal(t, "900", query(t, token(t, gate, identity.MaxTTL)).Get("X-Amz-Expires"))
	ctx := context.Background()
	_, err := identity.NewToken(ctx, cfg(""), gate, 16*time.Minute)
	require.ErrorContains(t, err, "outside")
	noRegion := cfg("")
	noRegion.Region = ""
	_, err = identity.NewToken(ctx, noRegion, gate, 0)
	require.ErrorContains(t, err, "AWS_REGION")
	noCreds := cfg("")
	noCreds.Credentials = nil
	_, err = identity.NewToken(ctx, noCreds, gate, 0)
	require.ErrorContains(t, err, "no AWS credentials")
	_, err = identity.NewToken(ctx, cfg(""), identity.Binding{WorkflowID: "w", Gate: "failover", Decision: "approve"}, 0)
	require.ErrorContains(t, err, "needs the run ID")
	_, err = identity.NewToken(ctx, cfg(""), identity.Binding{WorkflowID: "w", RunID: "r", Gate: "failover"}, 0)
	require.ErrorContains(t, err, "decision is empty")

	start := identity.StartBinding("region-failover-1")
	st := token(t, start, 0)
	require.Equal(t, "", st.Headers[identity.HeaderRunID])
	require.NoError(t, st.Check(start, time.Now(), endpoint))
}

// A token is good for its own binding only: every field of the binding the verifier expects, changed, is
// refused with what differs.
func TestCheckBinding(t *testing.T) {
	tok := token(t, gate, 0)
	now := time.Now()
	for _, tc := range []struct {
		change func(*identity.Binding)
		want   string
	}{
		{func(b *identity.Binding) { b.WorkflowID = "region-failover-2" }, `token: bound to workflow "region-failover-1", not "region-failover-2"`},
		{func(b *identity.Binding) { b.RunID = "run-2" }, `token: bound to run "run-1", not "run-2"`},
		{func(b *identity.Binding) { b.Gate = "cutover" }, `token: bound to gate "failover", not "cutover"`},
		{func(b *identity.Binding) { b.Decision = "reject" }, `token: bound to decision "approve", not "reject"`},
	} {
		b := gate
		tc.change(&b)
		err := tok.Check(b, now, endpoint)
		require.EqualError(t, err, tc.want)
		require.True(t, identity.Final(err))
	}

	// Tampering with the token's own headers is the same mismatch (and STS would refuse the signature).
	tampered := clone(tok)
	tampered.Headers[identity.HeaderGate] = "cutover"
	require.ErrorContains(t, tampered.Check(gate, now, endpoint), "bound to gate")

	missing := clone(tok)
	delete(missing.Headers, identity.HeaderDecision)
	require.ErrorContains(t, missing.Check(gate, now, endpoint), "X-Roadcall-Decision is not a signed header")

	unsigned := clone(tok)
	unsigned.URL = strings.Replace(unsigned.URL, "%3Bx-roadcall-gate", "", 1)
	require.ErrorContains(t, unsigned.Check(gate, now, endpoint), "X-Roadcall-Gate is not one of its signed headers")

	extra := clone(tok)
	extra.Headers["Host"] = "evil.example"
	require.ErrorContains(t, extra.Check(gate, now, endpoint), "Host is not one of its signed headers")
}

func clone(t identity.Token) identity.Token {
	h := map[string]string{}
	for k, v := range t.Headers {
		h[k] = v
	}
	return identity.Token{URL: t.URL, Headers: h}
}

// Expiry is X-Amz-Date + X-Amz-Expires, checked by the verifier because STS does not (it honours any
// presigned GetCallerIdentity for 15 minutes: aws/aws-sdk-go#2167).
func TestCheckExpiry(t *testing.T) {
	tok := token(t, gate, time.Minute)
	signedAt, err := time.Parse("20060102T150405Z", query(t, tok).Get("X-Amz-Date"))
	require.NoError(t, err)
	require.NoError(t, tok.Check(gate, signedAt.Add(59*time.Second), endpoint))
	err = tok.Check(gate, signedAt.Add(time.Minute), endpoint)
	require.ErrorContains(t, err, "token: expired at "+signedAt.Add(time.Minute).UTC().Format(time.RFC3339))
	require.ErrorContains(t, tok.Check(gate, signedAt.Add(-10*time.Minute), endpoint), "in the future")

	long := clone(tok)
	long.URL = strings.Replace(long.URL, "X-Amz-Expires=60", "X-Amz-Expires=3600", 1)
	require.ErrorContains(t, long.Check(gate, signedAt, endpoint), "expiry 1h0m0s is longer than 15m0s")
}

// The verifier sends a token only to its own STS endpoint: a token naming another host (an internal
// service, a server of the attacker's) is refused before any request, as is anything but GetCallerIdentity.
func TestCheckHost(t *testing.T) {
	tok := token(t, gate, 0)
	now := time.Now()
	require.ErrorContains(t, tok.Check(gate, now, "https://sts.us-east-1.amazonaws.com"),
		"token: signed for https://sts.us-west-2.amazonaws.com, not this verifier's STS https://sts.us-east-1.amazonaws.com")
	require.ErrorContains(t, tok.Check(gate, now, "http://sts.us-west-2.amazonaws.com"), "not this verifier's STS")

	for _, tc := range []struct{ from, to, want string }{
		{"https://sts.us-west-2.amazonaws.com/", "https://169.254.169.254/", "signed for https://169.254.169.254"},
		{"https://sts.us-west-2.amazonaws.com/", "https://sts.us-west-2.amazonaws.com.evil.example/", "signed for"},
		{"https://sts.us-west-2.amazonaws.com/", "https://sts.us-west-2.amazonaws.com/admin", "not the STS endpoint's root"},
		{"Action=GetCallerIdentity", "Action=AssumeRole", `action "AssumeRole"`},
		{"Action=GetCallerIdentity", "Action=GetCallerIdentity&Action=GetCallerIdentity", "appears 2 times"},
	} {
		bad := clone(tok)
		bad.URL = strings.Replace(bad.URL, tc.from, tc.to, 1)
		err := bad.Check(gate, now, endpoint)
		require.ErrorContains(t, err, tc.want, tc.to)
		require.True(t, identity.Final(err))
	}
}

func TestOversizedToken(t *testing.T) {
	tok := token(t, gate, 0)
	big := clone(tok)
	big.Headers["X-Padding"] = strings.Repeat("a", identity.MaxTokenSize)
	require.ErrorContains(t, big.Check(gate, time.Now(), endpoint), "over the 8192-byte limit")

	raw, err := json.Marshal(big)
	require.NoError(t, err)
	_, err = identity.ParseToken(raw)
	require.ErrorContains(t, err, "over the 8192-byte limit")
	var approval struct {
		Gate  string         `json:"gate"`
		Token identity.Token `json:"token"`
	}
	require.ErrorContains(t, json.Unmarshal([]byte(`{"gate":"failover","token":`+string(raw)+`}`), &approval), "over the 8192-byte limit")

	raw, err = json.Marshal(tok)
	require.NoError(t, err)
	back, err := identity.ParseToken(raw)
	require.NoError(t, err)
	require.Equal(t, tok, back)
}

// The replay key is the signature: the same however the token travels, different for another binding.
func TestReplayKey(t *testing.T) {
	tok := token(t, gate, 0)
	id := tok.ID()
	require.Len(t, id, 64)
	require.Equal(t, query(t, tok).Get("X-Amz-Signature"), id)
	raw, err := json.Marshal(tok)
	require.NoError(t, err)
	back, err := identity.ParseToken(raw)
	require.NoError(t, err)
	require.Equal(t, id, back.ID())
	other := gate
	other.Decision = "reject"
	require.NotEqual(t, id, token(t, other, 0).ID())
	require.Equal(t, "", identity.Token{URL: "https://sts.us-west-2.amazonaws.com/"}.ID())
}

func sim(t *testing.T) string {
	t.Helper()
	topo, err := topology.Load("../../examples/roadcall-local.json")
	require.NoError(t, err)
	ids, err := awssim.LoadIdentities("../../examples/sim-identities.json")
	require.NoError(t, err)
	hs := httptest.NewServer(awssim.New(topo, awssim.Options{Identities: ids}))
	t.Cleanup(hs.Close)
	return hs.URL
}

// Verify against awssim's STS, which checks SigV4 as STS does: the signer's ARN for a good token (the
// initiator's, with no run ID, too); STS's refusal as *Refused, final.
func TestVerify(t *testing.T) {
	url := sim(t)
	ctx := context.Background()
	ep, err := identity.STSEndpoint(ctx, cfg(url), "us-west-2")
	require.NoError(t, err)
	require.Equal(t, url, ep)

	for _, b := range []identity.Binding{gate, identity.StartBinding("region-failover-1")} {
		tok, err := identity.NewToken(ctx, cfg(url), b, 0)
		require.NoError(t, err)
		arn, err := identity.Verify(ctx, nil, ep, tok, b, time.Now())
		require.NoError(t, err)
		require.Equal(t, "arn:aws:iam::123456789012:user/alice", arn)
	}

	forged := cfg(url)
	forged.Credentials = credentials.NewStaticCredentialsProvider("AKIAAWSSIMALICE00001", "guessed", "")
	tok, err := identity.NewToken(ctx, forged, gate, 0)
	require.NoError(t, err)
	_, err = identity.Verify(ctx, nil, ep, tok, gate, time.Now())
	var ref *identity.Refused
	require.True(t, errors.As(err, &ref), "%v", err)
	require.Equal(t, "SignatureDoesNotMatch", ref.Code)
	require.True(t, identity.Final(err))

	// Check runs first: a token for another endpoint is never sent.
	_, err = identity.Verify(ctx, nil, "https://sts.us-west-2.amazonaws.com", tok, gate, time.Now())
	require.ErrorContains(t, err, "not this verifier's STS")
}

// A failure to get STS's verdict (connection refused, 5xx, throttling, a redirect) is not a verdict: it is
// retryable, and a redirect is not followed to the host it names.
func TestVerifyTransportErrors(t *testing.T) {
	ctx := context.Background()
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
	defer other.Close()
	answers := []func(w http.ResponseWriter){
		func(w http.ResponseWriter) {
			w.WriteHeader(503)
			_, _ = w.Write([]byte(`<ErrorResponse><Error><Code>ServiceUnavailable</Code><Message>down</Message></Error></ErrorResponse>`))
		},
		func(w http.ResponseWriter) {
			w.WriteHeader(400)
			_, _ = w.Write([]byte(`<ErrorResponse><Error><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>`))
		},
		func(w http.ResponseWriter) {
			w.Header().Set("Location", other.URL+"/")
			w.WriteHeader(307)
		},
	}
	for i, answer := range answers {
		hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { answer(w) }))
		tok, err := identity.NewToken(ctx, cfg(hs.URL), gate, 0)
		require.NoError(t, err)
		_, err = identity.Verify(ctx, hs.Client(), hs.URL, tok, gate, time.Now())
		require.Error(t, err, i)
		require.False(t, identity.Final(err), "%d: %v", i, err)
		hs.Close()
		_, err = identity.Verify(ctx, nil, hs.URL, tok, gate, time.Now())
		require.Error(t, err)
		require.False(t, identity.Final(err), "connection refused is retryable: %v", err)
	}
	require.Zero(t, elsewhere.Load(), "a redirect must not be followed")
}
