package activities

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/route53recoverycluster"
	"github.com/aws/aws-sdk-go-v2/service/route53recoverycluster/types"
	"github.com/aws/smithy-go"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/roadcall/dr/internal/topology"
)

// Route 53 ARC routing controls are read and set through the cluster's data plane: five regional
// endpoints, any one of which can answer while the others' regions are out. The activities try the
// endpoints in turn themselves, so the workflow issues one activity whatever region is down.

// ClusterEndpoint is one regional endpoint of the ARC cluster, as the topology names it.
type ClusterEndpoint = topology.ClusterEndpoint

// RoutingControl is the routing control that lets traffic flow to a region.
type RoutingControl struct {
	Region string `json:"region"`
	ARN    string `json:"arn"`
}

// RoutingControlsInput names the cluster endpoints and the controls to read.
type RoutingControlsInput struct {
	Endpoints []ClusterEndpoint `json:"endpoints"`
	Controls  []RoutingControl  `json:"controls"`
}

// ControlState is one routing control's state as the cluster answered it.
type ControlState struct {
	Region string `json:"region"`
	ARN    string `json:"arn"`
	Name   string `json:"name,omitempty"`
	// State is On or Off.
	State string `json:"state"`
}

// RoutingControlStates is what one endpoint of the cluster answered.
type RoutingControlStates struct {
	// Endpoint is the endpoint that answered.
	Endpoint ClusterEndpoint `json:"endpoint"`
	States   []ControlState  `json:"states"`
	// Unanswered lists the endpoints tried first that did not answer, each with why.
	Unanswered []string `json:"unanswered,omitempty"`
}

// On reports whether the region's control is ON.
func (s RoutingControlStates) On(region string) bool {
	for _, c := range s.States {
		if c.Region == region {
			return c.State == string(types.RoutingControlStateOn)
		}
	}
	return false
}

// SetRoutingControlsInput moves traffic: the control of On turns ON and the control of Off turns OFF.
type SetRoutingControlsInput struct {
	Endpoints []ClusterEndpoint `json:"endpoints"`
	On        RoutingControl    `json:"on"`
	Off       RoutingControl    `json:"off"`
}

// SetRoutingControlsResult says which endpoint answered and what changed.
type SetRoutingControlsResult struct {
	Endpoint ClusterEndpoint `json:"endpoint"`
	// Before is the two controls' states as read first (On's control, then Off's).
	Before []ControlState `json:"before"`
	// AlreadyInPlace: On's region was ON and Off's OFF before this run changed anything.
	AlreadyInPlace bool     `json:"alreadyInPlace"`
	Unanswered     []string `json:"unanswered,omitempty"`
}

// ErrClusterUnavailable is the (retryable) error type when no endpoint of the cluster answered.
const ErrClusterUnavailable = "ClusterUnavailable"

// arcEndpointTimeout bounds one call to one endpoint: a region that hangs must not hold the failover
// for the HTTP client's timeout before the next endpoint is tried.
const arcEndpointTimeout = 5 * time.Second

func (a *Activities) endpointTimeout() time.Duration {
	if a.EndpointTimeout > 0 {
		return a.EndpointTimeout
	}
	return arcEndpointTimeout
}

// GetRoutingControlStates reads the controls through the first cluster endpoint that answers.
func (a *Activities) GetRoutingControlStates(ctx context.Context, in RoutingControlsInput) (RoutingControlStates, error) {
	var res RoutingControlStates
	err := a.acrossCluster(ctx, in.Endpoints, &res.Unanswered, func(ctx context.Context, ep ClusterEndpoint, c *route53recoverycluster.Client) error {
		st, err := readControls(ctx, ep, c, in.Controls)
		res.Endpoint, res.States = ep, st
		return err
	})
	return res, err
}

// SetRoutingControls reads both controls first and changes nothing when On's region is ON and Off's
// OFF; otherwise it sets both in one UpdateRoutingControlStates, so an "at least one ON" safety rule holds
// throughout. A retry after a lost answer reads the new states back and reports the change it made, which
// it heartbeated.
func (a *Activities) SetRoutingControls(ctx context.Context, in SetRoutingControlsInput) (SetRoutingControlsResult, error) {
	var res SetRoutingControlsResult
	var updatedVia string
	if activity.IsActivity(ctx) && activity.HasHeartbeatDetails(ctx) {
		_ = activity.GetHeartbeatDetails(ctx, &updatedVia)
	}
	err := a.acrossCluster(ctx, in.Endpoints, &res.Unanswered, func(ctx context.Context, ep ClusterEndpoint, c *route53recoverycluster.Client) error {
		st, err := readControls(ctx, ep, c, []RoutingControl{in.On, in.Off})
		if err != nil {
			return err
		}
		res.Endpoint = ep
		if res.Before == nil {
			res.Before = st
		}
		if st[0].State == string(types.RoutingControlStateOn) && st[1].State == string(types.RoutingControlStateOff) {
			res.AlreadyInPlace = updatedVia == ""
			return nil
		}
		// A call whose answer was lost may have changed the states; the next endpoint reads them again.
		updatedVia = ep.String()
		_, err = c.UpdateRoutingControlStates(ctx, &route53recoverycluster.UpdateRoutingControlStatesInput{
			UpdateRoutingControlStateEntries: []types.UpdateRoutingControlStateEntry{
				{RoutingControlArn: aws.String(in.On.ARN), RoutingControlState: types.RoutingControlStateOn},
				{RoutingControlArn: aws.String(in.Off.ARN), RoutingControlState: types.RoutingControlStateOff},
			}})
		if err != nil {
			return arcError(err, "UpdateRoutingControlStates", fmt.Sprintf("%s ON (%s), %s OFF (%s)", in.On.Region, in.On.ARN, in.Off.Region, in.Off.ARN), ep)
		}
		if activity.IsActivity(ctx) {
			activity.RecordHeartbeat(ctx, updatedVia)
		}
		return nil
	})
	return res, err
}

func readControls(ctx context.Context, ep ClusterEndpoint, c *route53recoverycluster.Client, controls []RoutingControl) ([]ControlState, error) {
	out := make([]ControlState, 0, len(controls))
	for _, rc := range controls {
		o, err := c.GetRoutingControlState(ctx, &route53recoverycluster.GetRoutingControlStateInput{RoutingControlArn: aws.String(rc.ARN)})
		if err != nil {
			return nil, arcError(err, "GetRoutingControlState", fmt.Sprintf("%s (routing control of %s)", rc.ARN, rc.Region), ep)
		}
		out = append(out, ControlState{Region: rc.Region, ARN: rc.ARN, Name: aws.ToString(o.RoutingControlName), State: string(o.RoutingControlState)})
	}
	return out, nil
}

// endpointOut marks an error of an endpoint whose region is out: the next endpoint is tried.
type endpointOut struct{ err error }

func (e endpointOut) Error() string { return e.err.Error() }

// acrossCluster runs call against each endpoint in turn, each with a short timeout, until one answers. An
// error the cluster answered (a conflict with a safety rule, a validation error, access denied) is final;
// an endpoint that does not answer, answers 5xx or says it is temporarily unavailable is skipped.
func (a *Activities) acrossCluster(ctx context.Context, eps []ClusterEndpoint, unanswered *[]string,
	call func(ctx context.Context, ep ClusterEndpoint, c *route53recoverycluster.Client) error) error {
	if len(eps) == 0 {
		return refuse("InvalidInput", "the ARC cluster has no endpoints: list them in dns.routingControls.endpoints")
	}
	for _, ep := range eps {
		if err := a.clusterEndpointAllowed(ep.Endpoint); err != nil {
			return err
		}
	}
	for _, ep := range eps {
		c := a.AWS.ARCCluster(ep.Region, ep.Endpoint)
		cctx, cancel := context.WithTimeout(ctx, a.endpointTimeout())
		err := call(cctx, ep, c)
		cancel()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var out endpointOut
		if !errors.As(err, &out) {
			return err
		}
		*unanswered = append(*unanswered, out.Error())
	}
	return temporal.NewApplicationError(fmt.Sprintf("no endpoint of the ARC cluster answered: %s", strings.Join(*unanswered, "; ")), ErrClusterUnavailable)
}

// arcError classifies a cluster call's error: endpointOut when the endpoint's region is out, else a
// non-retryable error typed with the AWS code, naming the control and the endpoint.
func arcError(err error, op, what string, ep ClusterEndpoint) error {
	where := fmt.Sprintf("route53-recovery-cluster:%s %s via endpoint %s", op, what, ep)
	var ae smithy.APIError
	if errors.As(err, &ae) && !endpointUnavailable(err, ae.ErrorCode()) {
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf("%s: %s: %s", where, ae.ErrorCode(), ae.ErrorMessage()), ae.ErrorCode(), nil)
	}
	return endpointOut{fmt.Errorf("%s: %s", ep, shortErr(err))}
}

// endpointUnavailable: the endpoint answered that it cannot serve now (throttled, temporarily unavailable,
// or a 5xx), which another endpoint may not.
func endpointUnavailable(err error, code string) bool {
	switch code {
	case "EndpointTemporarilyUnavailableException", "InternalServerException", "ThrottlingException", "ServiceUnavailable", "InternalFailure":
		return true
	}
	var re *awshttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() >= 500
}

// shortErr is the part of a transport error an operator needs: the SDK wraps it several times.
func shortErr(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return "timed out"
	case errors.As(err, &ne):
		return ne.Error()
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	return err.Error()
}
