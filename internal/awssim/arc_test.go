package awssim

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	rc "github.com/aws/aws-sdk-go-v2/service/route53recoverycluster"
	rctypes "github.com/aws/aws-sdk-go-v2/service/route53recoverycluster/types"
	"github.com/roadcall/dr/internal/awsclient"
	"github.com/roadcall/dr/internal/topology"
	"github.com/stretchr/testify/require"
)

// arcClient is a routing-control client for one of the cluster's regional endpoints: ARC's code examples
// sign each call for the region of the endpoint they send it to.
func arcClient(f *awsclient.Factory, region string) *rc.Client {
	return rc.NewFromConfig(f.Base, func(o *rc.Options) { o.Region, o.RetryMaxAttempts = region, 1 })
}

// arcFirstAnswer tries the cluster's endpoints in the topology's order until one answers, as the ARC
// Developer Guide's examples do ("API examples": accessing Regional cluster endpoints in sequence).
func arcFirstAnswer[T any](t *testing.T, topo topology.Topology, f *awsclient.Factory, call func(*rc.Client) (T, error)) (T, string) {
	t.Helper()
	var errs []error
	for _, ep := range topo.DNS.RoutingControls.Endpoints {
		out, err := call(arcClient(f, ep.Region))
		if err == nil {
			return out, ep.Region
		}
		errs = append(errs, err)
	}
	t.Fatalf("no endpoint answered: %v", errors.Join(errs...))
	var zero T
	return zero, ""
}

func controls(topo topology.Topology) (primary, dr string) {
	c := topo.DNS.RoutingControls.Controls
	return c[topo.PrimaryRegion], c[topo.DRRegion]
}

// simGet reads one of awssim's control endpoints.
func simGet(t *testing.T, base, path string, v any) int {
	t.Helper()
	resp, err := http.Get(base + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.NoError(t, json.NewDecoder(resp.Body).Decode(v))
	return resp.StatusCode
}

// TestARCRoutingControlsThroughSDK reads and writes routing controls through the Go SDK, with the shapes
// and errors of the route53-recovery-cluster 2019-12-02 model (botocore's service-2.json).
func TestARCRoutingControlsThroughSDK(t *testing.T) {
	sim, f, _ := start(t, Options{})
	ctx := context.Background()
	topo := sim.Topology()
	primary, dr := controls(topo)
	west := arcClient(f, "us-west-2")

	got, err := west.GetRoutingControlState(ctx, &rc.GetRoutingControlStateInput{RoutingControlArn: aws.String(primary)})
	require.NoError(t, err)
	require.Equal(t, rctypes.RoutingControlStateOn, got.RoutingControlState, "the primary serves in steady state")
	require.Equal(t, "roadcall-primary", aws.ToString(got.RoutingControlName))
	got, err = west.GetRoutingControlState(ctx, &rc.GetRoutingControlStateInput{RoutingControlArn: aws.String(dr)})
	require.NoError(t, err)
	require.Equal(t, rctypes.RoutingControlStateOff, got.RoutingControlState)

	list, err := west.ListRoutingControls(ctx, &rc.ListRoutingControlsInput{MaxResults: aws.Int32(1)})
	require.NoError(t, err)
	require.Len(t, list.RoutingControls, 1)
	require.NotNil(t, list.NextToken)
	next, err := west.ListRoutingControls(ctx, &rc.ListRoutingControlsInput{NextToken: list.NextToken})
	require.NoError(t, err)
	require.Len(t, next.RoutingControls, 1)
	require.Nil(t, next.NextToken)
	c := next.RoutingControls[0]
	require.Equal(t, "roadcall", aws.ToString(c.ControlPanelName))
	require.Equal(t, topo.DNS.RoutingControls.ControlPanelARN, aws.ToString(c.ControlPanelArn))
	require.Equal(t, topo.AccountID, aws.ToString(c.Owner))

	_, err = west.GetRoutingControlState(ctx, &rc.GetRoutingControlStateInput{RoutingControlArn: aws.String(primary + "-nope")})
	var nf *rctypes.ResourceNotFoundException
	require.ErrorAs(t, err, &nf)
	_, err = west.ListRoutingControls(ctx, &rc.ListRoutingControlsInput{ControlPanelArn: aws.String(topo.DNS.RoutingControls.ControlPanelARN + "-nope")})
	require.ErrorAs(t, err, &nf)
	_, err = west.UpdateRoutingControlState(ctx, &rc.UpdateRoutingControlStateInput{RoutingControlArn: aws.String(dr), RoutingControlState: "ON"})
	var ve *rctypes.ValidationException
	require.ErrorAs(t, err, &ve, "the enum is On and Off")

	// The assertion rule "at least one On": the primary Off alone would leave none.
	rule := topo.DNS.RoutingControls.SafetyRule.ARN
	_, err = west.UpdateRoutingControlState(ctx, &rc.UpdateRoutingControlStateInput{RoutingControlArn: aws.String(primary), RoutingControlState: rctypes.RoutingControlStateOff})
	var ce *rctypes.ConflictException
	require.ErrorAs(t, err, &ce, "the model lists ConflictException for a refused update")
	require.Contains(t, err.Error(), rule, "ARC Developer Guide: the error message includes the ARN of the rule that blocked the update")
	j := sim.Journal()
	require.Equal(t, "refused: ValidationException", j[0].Detail, "the bad state value was journaled as refused")
	require.Equal(t, JournalEntry{Seq: 2, Time: j[1].Time, Service: "route53-recovery-cluster", Region: "us-west-2", Operation: "UpdateRoutingControlState",
		Resource: primary, Changed: false, Detail: "refused: ConflictException"}, j[1])

	// DR On and the primary Off in one call: the rule holds on the result, so it passes.
	entries := []rctypes.UpdateRoutingControlStateEntry{
		{RoutingControlArn: aws.String(dr), RoutingControlState: rctypes.RoutingControlStateOn},
		{RoutingControlArn: aws.String(primary), RoutingControlState: rctypes.RoutingControlStateOff},
	}
	_, err = west.UpdateRoutingControlStates(ctx, &rc.UpdateRoutingControlStatesInput{UpdateRoutingControlStateEntries: entries})
	require.NoError(t, err)
	_, err = west.UpdateRoutingControlStates(ctx, &rc.UpdateRoutingControlStatesInput{UpdateRoutingControlStateEntries: entries})
	require.NoError(t, err)
	j = sim.Journal()
	require.Len(t, j, 6)
	for i, want := range []struct {
		arn     string
		changed bool
	}{{dr, true}, {primary, true}, {dr, false}, {primary, false}} {
		e := j[i+2]
		require.Equal(t, "route53-recovery-cluster", e.Service)
		require.Equal(t, "UpdateRoutingControlStates", e.Operation)
		require.Equal(t, want.arn, e.Resource)
		require.Equal(t, want.changed, e.Changed, "entry %d: %s", i, e.Detail)
	}
	sim.With(func(w *World) { require.Equal(t, "us-west-2", w.ServingRegion(topo)) })

	// Break glass: both Off only with the rule overridden.
	_, err = west.UpdateRoutingControlState(ctx, &rc.UpdateRoutingControlStateInput{RoutingControlArn: aws.String(dr), RoutingControlState: rctypes.RoutingControlStateOff})
	require.ErrorAs(t, err, &ce)
	_, err = west.UpdateRoutingControlState(ctx, &rc.UpdateRoutingControlStateInput{RoutingControlArn: aws.String(dr), RoutingControlState: rctypes.RoutingControlStateOff,
		SafetyRulesToOverride: []string{rule}})
	require.NoError(t, err)
	require.Contains(t, sim.Journal()[7].Detail, "overridden")
}

// TestARCEndpointsWhenARegionIsOut: an endpoint in a region that is out does not answer; the client moves
// on to the next of the cluster's five and gets its answer there (ARC Developer Guide, "Data and control
// planes for routing control": the cluster's endpoints are redundant, and any one can read or set states).
func TestARCEndpointsWhenARegionIsOut(t *testing.T) {
	sim, f, _ := start(t, Options{})
	ctx := context.Background()
	topo := sim.Topology()
	primary, dr := controls(topo)
	_, err := sim.AddFault(Fault{Kind: FaultRegionOutage, Region: "us-east-1"})
	require.NoError(t, err)
	_, err = arcClient(f, "us-east-1").GetRoutingControlState(ctx, &rc.GetRoutingControlStateInput{RoutingControlArn: aws.String(primary)})
	require.Error(t, err)
	require.False(t, strings.Contains(err.Error(), "api error"), "the us-east-1 endpoint does not answer at all: %v", err)

	_, region := arcFirstAnswer(t, topo, f, func(c *rc.Client) (*rc.UpdateRoutingControlStatesOutput, error) {
		return c.UpdateRoutingControlStates(ctx, &rc.UpdateRoutingControlStatesInput{UpdateRoutingControlStateEntries: []rctypes.UpdateRoutingControlStateEntry{
			{RoutingControlArn: aws.String(dr), RoutingControlState: rctypes.RoutingControlStateOn},
			{RoutingControlArn: aws.String(primary), RoutingControlState: rctypes.RoutingControlStateOff},
		}})
	})
	require.Equal(t, "us-west-2", region, "the second endpoint answered")

	// A live endpoint that cannot serve says so, and the next one answers.
	_, err = sim.AddFault(Fault{Kind: FaultError, Service: "route53-recovery-cluster", Region: "us-west-2", Code: "EndpointTemporarilyUnavailableException"})
	require.NoError(t, err)
	_, err = arcClient(f, "us-west-2").GetRoutingControlState(ctx, &rc.GetRoutingControlStateInput{RoutingControlArn: aws.String(dr)})
	var eu *rctypes.EndpointTemporarilyUnavailableException
	require.ErrorAs(t, err, &eu)
	// Endpoints outside the topology's two regions can be out as well.
	_, err = sim.AddFault(Fault{Kind: FaultRegionOutage, Region: "eu-west-1"})
	require.NoError(t, err)
	got, region := arcFirstAnswer(t, topo, f, func(c *rc.Client) (*rc.GetRoutingControlStateOutput, error) {
		return c.GetRoutingControlState(ctx, &rc.GetRoutingControlStateInput{RoutingControlArn: aws.String(dr)})
	})
	require.Equal(t, "ap-northeast-1", region)
	require.Equal(t, rctypes.RoutingControlStateOn, got.RoutingControlState)

	_, err = arcClient(f, "sa-east-1").GetRoutingControlState(ctx, &rc.GetRoutingControlStateInput{RoutingControlArn: aws.String(dr)})
	require.ErrorAs(t, err, &eu, "the cluster has no endpoint in sa-east-1")
}

// TestARCThroughCLI: the AWS CLI reads and sets routing controls as the API Reference shows it
// (--region us-west-2), and sees the safety rule refuse.
func TestARCThroughCLI(t *testing.T) {
	sim, _, u := start(t, Options{})
	primary, dr := controls(sim.Topology())
	got := awsCLI(t, u, "route53-recovery-cluster", "get-routing-control-state", "--routing-control-arn", primary, "--region", "us-west-2")
	require.Equal(t, map[string]any{"RoutingControlArn": primary, "RoutingControlState": "On", "RoutingControlName": "roadcall-primary"}, got)

	out, err := awsCLIRaw(t, u, "route53-recovery-cluster", "update-routing-control-state", "--routing-control-arn", primary,
		"--routing-control-state", "Off", "--region", "us-west-2")
	require.Error(t, err)
	require.Contains(t, string(out), "ConflictException")

	awsCLI(t, u, "route53-recovery-cluster", "update-routing-control-states", "--region", "us-west-2", "--update-routing-control-state-entries",
		`[{"RoutingControlArn":"`+dr+`","RoutingControlState":"On"},{"RoutingControlArn":"`+primary+`","RoutingControlState":"Off"}]`)
	list := awsCLI(t, u, "route53-recovery-cluster", "list-routing-controls", "--region", "ap-southeast-2")
	states := map[string]any{}
	for _, c := range list["RoutingControls"].([]any) {
		m := c.(map[string]any)
		states[m["RoutingControlName"].(string)] = m["RoutingControlState"]
	}
	require.Equal(t, map[string]any{"roadcall-primary": "Off", "roadcall-dr": "On"}, states)
}

// TestSimStateAndResetRoutingControls: /_sim/state shows the states, /_sim/reset restores the seed, and
// the health URLs say which region DNS sends traffic to.
func TestSimStateAndResetRoutingControls(t *testing.T) {
	sim, f, u := start(t, Options{})
	primary, dr := controls(sim.Topology())
	_, err := arcClient(f, "us-west-2").UpdateRoutingControlStates(context.Background(), &rc.UpdateRoutingControlStatesInput{
		UpdateRoutingControlStateEntries: []rctypes.UpdateRoutingControlStateEntry{
			{RoutingControlArn: aws.String(dr), RoutingControlState: rctypes.RoutingControlStateOn},
			{RoutingControlArn: aws.String(primary), RoutingControlState: rctypes.RoutingControlStateOff},
		}})
	require.NoError(t, err)
	var st struct {
		ServingRegion   string            `json:"servingRegion"`
		RoutingControls map[string]string `json:"routingControls"`
	}
	simGet(t, u, "/_sim/state", &st)
	require.Equal(t, "us-west-2", st.ServingRegion)
	require.Equal(t, map[string]string{primary: "Off", dr: "On"}, st.RoutingControls)
	var health map[string]any
	require.Equal(t, 200, simGet(t, u, "/_sim/health/us-west-2", &health))
	require.Equal(t, true, health["serving"])
	simGet(t, u, "/_sim/health/us-east-1", &health)
	require.Equal(t, false, health["serving"])

	resp, err := http.Post(u+"/_sim/reset", "application/json", nil)
	require.NoError(t, err)
	resp.Body.Close()
	simGet(t, u, "/_sim/state", &st)
	require.Equal(t, "us-east-1", st.ServingRegion)
	require.Equal(t, map[string]string{primary: "On", dr: "Off"}, st.RoutingControls)
}
