// Package identity proves who an approver or initiator is with their own AWS credentials, the way EKS's
// aws-iam-authenticator and Vault's AWS auth method do: the client presigns an sts:GetCallerIdentity request
// (a Token) whose signed headers bind it to one workflow run, gate and decision, and the verifier sends that
// request to STS itself and reads the caller's ARN from the answer. No secret ever leaves the client, and
// STS, not the verifier, judges the signature.
package identity

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// The binding headers. Their names are outside X-Amz-* on purpose: the SDK's presigner hoists X-Amz-*
// headers into the query string, and these must stay headers listed in X-Amz-SignedHeaders.
const (
	HeaderWorkflowID = "X-Roadcall-Workflow-Id"
	HeaderRunID      = "X-Roadcall-Run-Id"
	HeaderGate       = "X-Roadcall-Gate"
	HeaderDecision   = "X-Roadcall-Decision"
)

const (
	// DefaultTTL is short because a token is a bearer proof until it expires; the replay key (ID) is what
	// stops a second use inside that window.
	DefaultTTL = 5 * time.Minute
	// MaxTTL is STS's own window: STS accepts a presigned request for 15 minutes after X-Amz-Date whatever
	// X-Amz-Expires says (it ignores X-Amz-Expires; aws/aws-sdk-go#2167, aws-iam-authenticator#160), so a
	// longer expiry would be a promise nobody enforces.
	MaxTTL = 15 * time.Minute
	// MaxTokenSize bounds a token's JSON form: a real one is about 1 KiB (a session token makes it longer),
	// and anything far bigger is an attempt to bloat history or the verifier's memory.
	MaxTokenSize = 8 << 10
	// clockSkew tolerates a signer whose clock runs ahead of the verifier's.
	clockSkew = 5 * time.Minute
)

// StartGate and StartDecision bind the initiator's token to starting the workflow.
const (
	StartGate     = "start"
	StartDecision = "start"
)

// Binding is what a token is good for: one decision at one gate of one run.
type Binding struct {
	WorkflowID string `json:"workflowId"`
	RunID      string `json:"runId"`
	Gate       string `json:"gate"`
	Decision   string `json:"decision"`
}

// StartBinding is the initiator's binding: the run ID does not exist before the start.
func StartBinding(workflowID string) Binding {
	return Binding{WorkflowID: workflowID, Gate: StartGate, Decision: StartDecision}
}

func (b Binding) headers() [4][2]string {
	return [4][2]string{{HeaderWorkflowID, b.WorkflowID}, {HeaderRunID, b.RunID}, {HeaderGate, b.Gate}, {HeaderDecision, b.Decision}}
}

func (b Binding) validate() error {
	switch {
	case b.WorkflowID == "":
		return errors.New("binding: workflow ID is empty")
	case b.Gate == "":
		return errors.New("binding: gate is empty")
	case b.Decision == "":
		return errors.New("binding: decision is empty")
	case b.RunID == "" && b.Gate != StartGate:
		return fmt.Errorf("binding: gate %q needs the run ID (only the %q binding has none)", b.Gate, StartGate)
	}
	for _, h := range b.headers() {
		if strings.ContainsAny(h[1], "\r\n") {
			return fmt.Errorf("binding: %s holds a line break", h[0])
		}
	}
	return nil
}

// Token is a presigned sts:GetCallerIdentity GET request: the URL carries the SigV4 query parameters, Headers
// the signed headers other than Host that must be sent with it.
type Token struct {
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers,omitempty"`
}

// UnmarshalJSON refuses an oversized token before decoding it.
func (t *Token) UnmarshalJSON(data []byte) error {
	if len(data) > MaxTokenSize {
		return fmt.Errorf("token: %d bytes, over the %d-byte limit", len(data), MaxTokenSize)
	}
	type plain Token
	var p plain
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	*t = Token(p)
	return nil
}

// ParseToken decodes a token from its JSON form (what `starter approve --print-token` prints).
func ParseToken(data []byte) (Token, error) {
	var t Token
	if err := json.Unmarshal(bytes.TrimSpace(data), &t); err != nil {
		return Token{}, fmt.Errorf("token: %w", err)
	}
	return t, nil
}

// ID is the token's replay key: its SigV4 signature, which no other request shares and which is the same
// however often the token is decoded or sent. Empty when the URL has no signature.
func (t Token) ID() string {
	u, err := url.Parse(t.URL)
	if err != nil {
		return ""
	}
	return u.Query().Get("X-Amz-Signature")
}

func (t Token) size() int {
	n := len(t.URL)
	for k, v := range t.Headers {
		n += len(k) + len(v)
	}
	return n
}

// NewToken presigns sts:GetCallerIdentity with cfg's credentials (the standard chain: env keys, profile, SSO)
// for cfg.Region's STS endpoint, or cfg's custom endpoint (AWS_ENDPOINT_URL) when set. The verifier sends
// it to its own STS endpoint, so cfg.Region must be the verifier's region. ttl 0 means DefaultTTL.
func NewToken(ctx context.Context, cfg aws.Config, b Binding, ttl time.Duration) (Token, error) {
	if err := b.validate(); err != nil {
		return Token{}, err
	}
	if ttl == 0 {
		ttl = DefaultTTL
	}
	if ttl < time.Second || ttl > MaxTTL {
		return Token{}, fmt.Errorf("token: expiry %s is outside 1s..%s", ttl, MaxTTL)
	}
	if cfg.Region == "" {
		return Token{}, errors.New("token: no AWS region: set AWS_REGION to the region whose STS verifies approvals (the DR region)")
	}
	if cfg.Credentials == nil {
		return Token{}, errors.New("token: no AWS credentials: set AWS_PROFILE, run `aws sso login`, or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY")
	}
	apiOpts := []func(*middleware.Stack) error{
		// The presigner hoists an X-Amz-* header into the query, which is how the SDKs set X-Amz-Expires
		// on a presigned request (aws-iam-authenticator does the same).
		smithyhttp.SetHeaderValue("X-Amz-Expires", strconv.Itoa(int(ttl/time.Second))),
	}
	for _, h := range b.headers() {
		apiOpts = append(apiOpts, smithyhttp.SetHeaderValue(h[0], h[1]))
	}
	pc := sts.NewPresignClient(sts.NewFromConfig(cfg), func(po *sts.PresignOptions) {
		po.ClientOptions = append(po.ClientOptions, func(o *sts.Options) { o.APIOptions = append(o.APIOptions, apiOpts...) })
	})
	req, err := pc.PresignGetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return Token{}, fmt.Errorf("token: presign sts:GetCallerIdentity: %w", err)
	}
	if req.Method != http.MethodGet {
		return Token{}, fmt.Errorf("token: the SDK presigned a %s request; only GET can travel as a URL", req.Method)
	}
	t := Token{URL: req.URL, Headers: map[string]string{}}
	for k, v := range req.SignedHeader {
		if strings.EqualFold(k, "Host") {
			continue // the HTTP client sends Host from the URL
		}
		t.Headers[http.CanonicalHeaderKey(k)] = strings.Join(v, ",")
	}
	for _, h := range b.headers() {
		if _, ok := t.Headers[h[0]]; !ok {
			return Token{}, fmt.Errorf("token: the SDK did not sign %s", h[0])
		}
	}
	return t, nil
}

// STSEndpoint is the STS endpoint the SDK resolves from cfg for region: a custom endpoint (AWS_ENDPOINT_URL,
// AWS_ENDPOINT_URL_STS, cfg.BaseEndpoint) when one is set, else https://sts.REGION.amazonaws.com (FIPS and
// dual-stack as configured). The verifier sends tokens only here.
func STSEndpoint(ctx context.Context, cfg aws.Config, region string) (string, error) {
	o := sts.NewFromConfig(cfg, func(o *sts.Options) { o.Region = region }).Options()
	ep, err := o.EndpointResolverV2.ResolveEndpoint(ctx, sts.EndpointParameters{
		Region:       aws.String(o.Region),
		Endpoint:     o.BaseEndpoint,
		UseFIPS:      aws.Bool(o.EndpointOptions.UseFIPSEndpoint == aws.FIPSEndpointStateEnabled),
		UseDualStack: aws.Bool(o.EndpointOptions.UseDualStackEndpoint == aws.DualStackEndpointStateEnabled),
	})
	if err != nil {
		return "", fmt.Errorf("resolve the STS endpoint of %s: %w", region, err)
	}
	return ep.URI.String(), nil
}

// ApproverConfig is the approver's AWS configuration from the standard environment (AWS_PROFILE, SSO,
// AWS_ACCESS_KEY_ID..., AWS_REGION, AWS_ENDPOINT_URL), the same chain the AWS CLI uses.
func ApproverConfig(ctx context.Context) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load the approver's AWS configuration: %w", err)
	}
	return cfg, nil
}
