package identity

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Invalid is a token the verifier refuses on its own, before or instead of asking STS: it is malformed,
// bound to something else, expired, or aimed at another host. Retrying cannot fix it.
type Invalid struct{ Reason string }

func (e *Invalid) Error() string { return e.Reason }

func invalid(format string, args ...any) error { return &Invalid{Reason: fmt.Sprintf(format, args...)} }

// Refused is STS's own refusal of the token (SignatureDoesNotMatch, InvalidClientTokenId, RequestExpired,
// ExpiredToken, AccessDenied...): the signature or the credentials behind it are not good. Retrying cannot
// fix it, unlike a transport error or an STS 5xx.
type Refused struct {
	Code    string
	Message string
}

func (e *Refused) Error() string { return "sts refused the token: " + e.Code + ": " + e.Message }

// Final reports whether err is a verdict on the token (Invalid or Refused) rather than a failure to reach STS.
func Final(err error) bool {
	var inv *Invalid
	var ref *Refused
	return errors.As(err, &inv) || errors.As(err, &ref)
}

// Check is every test the verifier makes without the network. It never trusts the host the token names:
// the token must be for the verifier's own STS endpoint, so Verify sends it nowhere else.
func (t Token) Check(b Binding, now time.Time, stsEndpoint string) error {
	if n := t.size(); n > MaxTokenSize {
		return invalid("token: %d bytes, over the %d-byte limit", n, MaxTokenSize)
	}
	if t.URL == "" {
		return invalid("token: no URL")
	}
	u, err := url.Parse(t.URL)
	if err != nil {
		return invalid("token: URL does not parse: %v", err)
	}
	want, err := url.Parse(stsEndpoint)
	if err != nil || want.Host == "" {
		return fmt.Errorf("verifier: STS endpoint %q is not a URL", stsEndpoint)
	}
	if !strings.EqualFold(u.Scheme, want.Scheme) || !strings.EqualFold(u.Host, want.Host) {
		return invalid("token: signed for %s://%s, not this verifier's STS %s://%s", u.Scheme, u.Host, want.Scheme, want.Host)
	}
	if path(u) != path(want) || u.User != nil || u.Fragment != "" {
		return invalid("token: URL %q is not the STS endpoint's root", u.Redacted())
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return invalid("token: query does not parse: %v", err)
	}
	for k, v := range q {
		if len(v) != 1 {
			return invalid("token: query parameter %s appears %d times", k, len(v))
		}
	}
	if a := q.Get("Action"); a != "GetCallerIdentity" {
		return invalid("token: action %q, only GetCallerIdentity proves an identity", a)
	}
	if alg := q.Get("X-Amz-Algorithm"); alg != "AWS4-HMAC-SHA256" {
		return invalid("token: X-Amz-Algorithm %q, want AWS4-HMAC-SHA256 (a presigned SigV4 request)", alg)
	}
	if q.Get("X-Amz-Signature") == "" {
		return invalid("token: not signed (no X-Amz-Signature)")
	}
	if cred := strings.Split(q.Get("X-Amz-Credential"), "/"); len(cred) != 5 || cred[3] != "sts" || cred[4] != "aws4_request" {
		return invalid("token: X-Amz-Credential is not an STS credential scope")
	}
	signedAt, err := time.Parse("20060102T150405Z", q.Get("X-Amz-Date"))
	if err != nil {
		return invalid("token: X-Amz-Date %q is not a SigV4 time", q.Get("X-Amz-Date"))
	}
	secs, err := strconv.Atoi(q.Get("X-Amz-Expires"))
	if err != nil || secs <= 0 {
		return invalid("token: X-Amz-Expires %q is not a positive number of seconds", q.Get("X-Amz-Expires"))
	}
	ttl := time.Duration(secs) * time.Second
	if ttl > MaxTTL {
		return invalid("token: expiry %s is longer than %s", ttl, MaxTTL)
	}
	// STS itself ignores X-Amz-Expires and accepts a presigned request for 15 minutes, so the shorter
	// expiry the signer asked for is enforced here or nowhere.
	if expires := signedAt.Add(ttl); !now.Before(expires) {
		return invalid("token: expired at %s (signed %s, valid %s)", expires.UTC().Format(time.RFC3339), signedAt.UTC().Format(time.RFC3339), ttl)
	}
	if signedAt.After(now.Add(clockSkew)) {
		return invalid("token: signed at %s, in the future (the approver's clock is off)", signedAt.UTC().Format(time.RFC3339))
	}
	signed := map[string]bool{}
	for _, h := range strings.Split(q.Get("X-Amz-SignedHeaders"), ";") {
		signed[h] = true
	}
	have := map[string]string{}
	for k, v := range t.Headers {
		ck := http.CanonicalHeaderKey(k)
		if _, dup := have[ck]; dup {
			return invalid("token: header %s appears twice", ck)
		}
		if ck == "Host" || !signed[strings.ToLower(ck)] {
			return invalid("token: header %s is not one of its signed headers", ck)
		}
		have[ck] = v
	}
	for _, h := range b.headers() {
		v, ok := have[h[0]]
		if !ok || !signed[strings.ToLower(h[0])] {
			return invalid("token: %s is not a signed header; it binds nothing", h[0])
		}
		if v != h[1] {
			return invalid("token: bound to %s %q, not %q", bindingName(h[0]), v, h[1])
		}
	}
	return nil
}

func bindingName(header string) string {
	switch header {
	case HeaderWorkflowID:
		return "workflow"
	case HeaderRunID:
		return "run"
	case HeaderGate:
		return "gate"
	}
	return "decision"
}

func path(u *url.URL) string {
	if u.Path == "" {
		return "/"
	}
	return u.Path
}

// maxResponse bounds what is read from STS; a GetCallerIdentity answer is a few hundred bytes.
const maxResponse = 64 << 10

// Verify checks the token and then asks STS who signed it, sending the request to stsEndpoint (the
// verifier's, never the token's) with the token's query and signed headers. It returns the caller's ARN;
// *Invalid and *Refused are final, any other error is a failure to reach STS and worth a retry.
func Verify(ctx context.Context, hc *http.Client, stsEndpoint string, t Token, b Binding, now time.Time) (string, error) {
	if err := t.Check(b, now, stsEndpoint); err != nil {
		return "", err
	}
	tu, _ := url.Parse(t.URL)
	target, _ := url.Parse(stsEndpoint)
	target.Path, target.RawPath, target.RawQuery = tu.Path, tu.RawPath, tu.RawQuery
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target.String(), nil)
	if err != nil {
		return "", err
	}
	for k, v := range t.Headers {
		req.Header.Set(k, v)
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	noRedirect := *hc
	// A redirect would send a bearer proof to a host STS named, not the one the verifier chose.
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := noRedirect.Do(req)
	if err != nil {
		return "", fmt.Errorf("sts:GetCallerIdentity at %s: %w", target.Host, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return "", fmt.Errorf("sts:GetCallerIdentity at %s: reading the answer: %w", target.Host, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", stsError(resp.StatusCode, body, target.Host)
	}
	var out struct {
		Arn string `xml:"GetCallerIdentityResult>Arn"`
	}
	if err := xml.Unmarshal(body, &out); err != nil || out.Arn == "" {
		return "", fmt.Errorf("sts:GetCallerIdentity at %s: answer has no Arn (%d bytes)", target.Host, len(body))
	}
	return out.Arn, nil
}

// retryableCodes are the 4xx answers that say "later", not "no": STS's throttling codes.
var retryableCodes = map[string]bool{"Throttling": true, "ThrottlingException": true, "RequestLimitExceeded": true, "TooManyRequestsException": true}

// stsError reads an awsQuery ErrorResponse. A 4xx is STS judging the request (final) unless it throttles;
// a 5xx or a body that is not STS's is a failure to get a verdict.
func stsError(status int, body []byte, host string) error {
	var e struct {
		Code    string `xml:"Error>Code"`
		Message string `xml:"Error>Message"`
	}
	_ = xml.Unmarshal(body, &e)
	if e.Code == "" {
		return fmt.Errorf("sts:GetCallerIdentity at %s: HTTP %d without an STS error", host, status)
	}
	if status >= 500 || retryableCodes[e.Code] {
		return fmt.Errorf("sts:GetCallerIdentity at %s: HTTP %d %s: %s", host, status, e.Code, e.Message)
	}
	return &Refused{Code: e.Code, Message: e.Message}
}
