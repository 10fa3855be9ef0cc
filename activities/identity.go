package activities

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/roadcall/dr/internal/identity"
)

// Error types of VerifyIdentity: a verdict on the token (never retried), or no verdict yet (retried).
const (
	ErrIdentityRefused = "IdentityRefused"
	ErrSTSUnavailable  = "STSUnavailable"
)

// stsHTTP is its own client, not Activities.HTTP: health-URL rules (hosts, redirects) are not STS's, and
// identity.Verify already refuses redirects.
var stsHTTP = &http.Client{Timeout: 10 * time.Second}

type VerifyIdentityInput struct {
	// Region is the region whose STS judges the token (the DR region: it must answer in a primary outage).
	Region  string           `json:"region"`
	Token   identity.Token   `json:"token"`
	Binding identity.Binding `json:"binding"`
}

type VerifyIdentityResult struct {
	// ARN is the principal STS says signed the token.
	ARN string `json:"arn"`
	// TokenID is the token's replay key, for the workflow to refuse a second use.
	TokenID string `json:"tokenId"`
}

// VerifyIdentity proves who signed an approval or start token: it checks the token offline, sends it to the
// STS endpoint of in.Region as the worker's own AWS configuration resolves it (never to a host the token
// names), and returns the caller's ARN. It changes nothing, so running it twice answers the same.
func (a *Activities) VerifyIdentity(ctx context.Context, in VerifyIdentityInput) (VerifyIdentityResult, error) {
	if in.Region == "" {
		return VerifyIdentityResult{}, refuse("InvalidRequest", "VerifyIdentity: no region to verify in")
	}
	endpoint, err := identity.STSEndpoint(ctx, a.AWS.Base, in.Region)
	if err != nil {
		return VerifyIdentityResult{}, refuse("InvalidRequest", "VerifyIdentity: %v", err)
	}
	arn, err := identity.Verify(ctx, stsHTTP, endpoint, in.Token, in.Binding, time.Now())
	switch {
	case err == nil:
		return VerifyIdentityResult{ARN: arn, TokenID: in.Token.ID()}, nil
	case identity.Final(err):
		return VerifyIdentityResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrIdentityRefused, nil)
	case ctx.Err() != nil:
		return VerifyIdentityResult{}, ctx.Err()
	default:
		return VerifyIdentityResult{}, temporal.NewApplicationError(fmt.Sprintf("verify identity with STS in %s: %v", in.Region, err), ErrSTSUnavailable)
	}
}
