package activities

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53recoverycluster"
	"github.com/aws/smithy-go"

	"github.com/roadcall/dr/internal/awsclient"
	"github.com/roadcall/dr/internal/topology"
)

// RoutingControlsInput names an ARC cluster's regional endpoints and the routing control of each region.
type RoutingControlsInput struct {
	// Endpoints are tried in turn: ARC serves the same states from each of the cluster's five regions, so
	// any one that answers will do.
	Endpoints []topology.ClusterEndpoint `json:"endpoints"`
	// Controls maps a region to the ARN of its routing control.
	Controls map[string]string `json:"controls"`
	// Timeout bounds each endpoint's attempt (default 5s): an endpoint in a dead region must not hold the
	// read for the SDK's default timeouts when the next one would answer.
	Timeout time.Duration `json:"timeout,omitempty"`
}

// RoutingControlStates is what one endpoint of the cluster answered.
type RoutingControlStates struct {
	// Endpoint is the region of the endpoint that answered.
	Endpoint string `json:"endpoint"`
	// States maps a region to its routing control's state: On or Off.
	States map[string]string `json:"states"`
	// Skipped lists the endpoints tried before it, each with why it did not answer.
	Skipped []string `json:"skipped,omitempty"`
}

// ReadRoutingControlStates reads every routing control through the cluster's data plane
// (GetRoutingControlState), trying the endpoints in turn until one answers all the reads. An endpoint that
// answers with an AWS error other than throttling or a server fault has answered: the error is returned,
// since the other endpoints serve the same cluster and would refuse alike.
func (a *Activities) ReadRoutingControlStates(ctx context.Context, in RoutingControlsInput) (RoutingControlStates, error) {
	if len(in.Endpoints) == 0 {
		return RoutingControlStates{}, refuse("ValidationException", "route53-recovery-cluster:GetRoutingControlState: the cluster has no endpoints; list them in dns.routingControls.endpoints")
	}
	timeout := in.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	regions := make([]string, 0, len(in.Controls))
	for r := range in.Controls {
		regions = append(regions, r)
	}
	sort.Strings(regions)
	var res RoutingControlStates
	for _, ep := range in.Endpoints {
		c := a.arcClient(ep)
		states := map[string]string{}
		var epErr error
		for _, r := range regions {
			cc, cancel := context.WithTimeout(ctx, timeout)
			out, err := c.GetRoutingControlState(cc, &route53recoverycluster.GetRoutingControlStateInput{RoutingControlArn: aws.String(in.Controls[r])})
			cancel()
			if err != nil {
				epErr = err
				break
			}
			states[r] = string(out.RoutingControlState)
		}
		if epErr == nil {
			res.Endpoint, res.States = ep.Region, states
			return res, nil
		}
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		if answeredRefusal(epErr) {
			return res, classify(epErr, "route53-recovery-cluster:GetRoutingControlState", strings.Join(regions, ", ")+" controls", ep.Region)
		}
		res.Skipped = append(res.Skipped, fmt.Sprintf("%s: %v", ep.Region, epErr))
	}
	return res, classify(fmt.Errorf("no endpoint of the cluster answered: %s", strings.Join(res.Skipped, "; ")),
		"route53-recovery-cluster:GetRoutingControlState", "routing controls", "any of "+endpointRegions(in.Endpoints))
}

// arcClient is a route53-recovery-cluster client signed for the endpoint's region and sent to its URL; an
// endpoint without a URL uses the worker's endpoint setting (a simulator answering every region at one
// address). One attempt each: the next endpoint is the retry.
func (a *Activities) arcClient(ep topology.ClusterEndpoint) *route53recoverycluster.Client {
	cfg := a.AWS.Base.Copy()
	cfg.Region = ep.Region
	return route53recoverycluster.NewFromConfig(cfg, func(o *route53recoverycluster.Options) {
		if ep.Endpoint != "" {
			o.BaseEndpoint = aws.String(ep.Endpoint)
		}
		o.Retryer = awsclient.SingleAttempt()
	})
}

// answeredRefusal: the endpoint answered with an error that another endpoint of the same cluster would
// give too (a wrong ARN, no permission). Throttling and server faults are worth the next endpoint.
func answeredRefusal(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "ThrottlingException", "InternalServerException", "EndpointTemporarilyUnavailableException", "ServiceUnavailable":
		return false
	}
	return true
}

func endpointRegions(eps []topology.ClusterEndpoint) string {
	rs := make([]string, len(eps))
	for i, ep := range eps {
		rs[i] = ep.Region
	}
	return strings.Join(rs, ", ")
}
