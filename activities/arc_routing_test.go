package activities

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/roadcall/dr/internal/awsclient"
	"github.com/roadcall/dr/internal/policy"
)

const (
	arnEast = "arn:aws:route53-recovery-control::123456789012:controlpanel/cp/routingcontrol/east"
	arnWest = "arn:aws:route53-recovery-control::123456789012:controlpanel/cp/routingcontrol/west"
)

// fakeCluster answers ARC's routing-control data plane as the SDK sends it (awsJson1_0, X-Amz-Target
// ToggleCustomerAPI.*), with an "at least one ON" safety rule.
type fakeCluster struct {
	mu      sync.Mutex
	states  map[string]string
	updates [][]map[string]string
	// conflict refuses every update as a safety rule would.
	conflict bool
}

func newFakeCluster(t *testing.T, east, west string) (*fakeCluster, *httptest.Server) {
	c := &fakeCluster{states: map[string]string{arnEast: east, arnWest: west}}
	srv := httptest.NewServer(http.HandlerFunc(c.serve))
	t.Cleanup(srv.Close)
	return c, srv
}

func (c *fakeCluster) serve(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	fail := func(status int, code, msg string) {
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
	}
	var body struct {
		RoutingControlArn                string
		UpdateRoutingControlStateEntries []map[string]string
	}
	_ = json.NewDecoder(r.Body).Decode(&body)
	switch r.Header.Get("X-Amz-Target") {
	case "ToggleCustomerAPI.GetRoutingControlState":
		st, ok := c.states[body.RoutingControlArn]
		if !ok {
			fail(404, "ResourceNotFoundException", "no routing control "+body.RoutingControlArn)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"RoutingControlArn": body.RoutingControlArn, "RoutingControlName": "rc-" + body.RoutingControlArn[len(body.RoutingControlArn)-4:], "RoutingControlState": st})
	case "ToggleCustomerAPI.UpdateRoutingControlStates":
		next := map[string]string{arnEast: c.states[arnEast], arnWest: c.states[arnWest]}
		for _, e := range body.UpdateRoutingControlStateEntries {
			next[e["RoutingControlArn"]] = e["RoutingControlState"]
		}
		if c.conflict || (next[arnEast] != "On" && next[arnWest] != "On") {
			fail(409, "ConflictException", "safety rule at-least-one-on would be violated")
			return
		}
		c.states = next
		c.updates = append(c.updates, body.UpdateRoutingControlStateEntries)
		_, _ = w.Write([]byte("{}"))
	default:
		fail(400, "UnknownOperationException", r.Header.Get("X-Amz-Target"))
	}
}

func (c *fakeCluster) snapshot() (map[string]string, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return map[string]string{arnEast: c.states[arnEast], arnWest: c.states[arnWest]}, len(c.updates)
}

func arcActivities(t *testing.T) *Activities {
	t.Helper()
	f, err := awsclient.New(context.Background(), awsclient.Options{StaticCredentials: &aws.Credentials{AccessKeyID: "k", SecretAccessKey: "s"}})
	require.NoError(t, err)
	acts := New(f)
	acts.EndpointTimeout = 300 * time.Millisecond
	return acts
}

// deadEndpoint is a URL nothing listens on any more: connections are refused, as in a region that is out.
func deadEndpoint(t *testing.T) string {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	return srv.URL
}

func moveWest() SetRoutingControlsInput {
	return SetRoutingControlsInput{On: RoutingControl{Region: "us-west-2", ARN: arnWest}, Off: RoutingControl{Region: "us-east-1", ARN: arnEast}}
}

func TestSetRoutingControlsSkipsAnEndpointThatIsOutAndSetsBothInOneCall(t *testing.T) {
	cluster, live := newFakeCluster(t, "On", "Off")
	acts := arcActivities(t)
	in := moveWest()
	in.Endpoints = []ClusterEndpoint{{Region: "us-east-1", Endpoint: deadEndpoint(t)}, {Region: "us-west-2", Endpoint: live.URL}}
	res, err := acts.SetRoutingControls(context.Background(), in)
	require.NoError(t, err)
	require.Equal(t, "us-west-2", res.Endpoint.Region)
	require.False(t, res.AlreadyInPlace)
	require.Len(t, res.Unanswered, 1)
	require.Contains(t, res.Unanswered[0], "us-east-1")
	require.Equal(t, "Off", res.Before[0].State, "DR was OFF before")
	require.Equal(t, "On", res.Before[1].State, "the primary was ON before")
	states, updates := cluster.snapshot()
	require.Equal(t, map[string]string{arnEast: "Off", arnWest: "On"}, states)
	require.Equal(t, 1, updates, "DR ON and the primary OFF went in one UpdateRoutingControlStates, so the safety rule held")

	again, err := acts.SetRoutingControls(context.Background(), in)
	require.NoError(t, err)
	require.True(t, again.AlreadyInPlace)
	_, updates = cluster.snapshot()
	require.Equal(t, 1, updates, "the repeat read the states and changed nothing")
}

func TestSetRoutingControlsSkipsAnUnavailableOrHangingEndpoint(t *testing.T) {
	unavailable := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.WriteHeader(503)
		_, _ = w.Write([]byte(`{"__type":"EndpointTemporarilyUnavailableException","message":"try another endpoint"}`))
	}))
	defer unavailable.Close()
	hang := make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	defer hanging.Close()
	defer close(hang)
	_, live := newFakeCluster(t, "On", "Off")
	in := moveWest()
	in.Endpoints = []ClusterEndpoint{{Region: "us-east-1", Endpoint: hanging.URL}, {Region: "eu-west-1", Endpoint: unavailable.URL}, {Region: "us-west-2", Endpoint: live.URL}}
	start := time.Now()
	res, err := arcActivities(t).SetRoutingControls(context.Background(), in)
	require.NoError(t, err)
	require.Equal(t, "us-west-2", res.Endpoint.Region)
	require.Len(t, res.Unanswered, 2)
	require.Contains(t, res.Unanswered[0], "timed out")
	require.Contains(t, res.Unanswered[1], "EndpointTemporarilyUnavailableException")
	require.Less(t, time.Since(start), 5*time.Second, "the per-endpoint timeout moved on from the hanging region")
}

// A refusal the cluster answered (safety rule, unknown control) is final: the next endpoint would answer
// the same, so it is not tried, and retrying cannot help.
func TestSetRoutingControlsRefusalIsFinal(t *testing.T) {
	cluster, live := newFakeCluster(t, "On", "Off")
	cluster.conflict = true
	second, other := newFakeCluster(t, "On", "Off")
	in := moveWest()
	in.Endpoints = []ClusterEndpoint{{Region: "us-west-2", Endpoint: live.URL}, {Region: "eu-west-1", Endpoint: other.URL}}
	_, err := arcActivities(t).SetRoutingControls(context.Background(), in)
	var ae *temporal.ApplicationError
	require.True(t, errors.As(err, &ae))
	require.Equal(t, "ConflictException", ae.Type())
	require.True(t, ae.NonRetryable())
	require.Contains(t, ae.Message(), arnWest)
	require.Contains(t, ae.Message(), "via endpoint us-west-2")
	_, updates := second.snapshot()
	require.Zero(t, updates, "the next endpoint was not tried")

	in = moveWest()
	in.On.ARN = "arn:missing"
	in.Endpoints = []ClusterEndpoint{{Region: "eu-west-1", Endpoint: other.URL}}
	_, err = arcActivities(t).SetRoutingControls(context.Background(), in)
	require.True(t, errors.As(err, &ae))
	require.Equal(t, "ResourceNotFoundException", ae.Type())
	require.True(t, ae.NonRetryable())
	require.Contains(t, ae.Message(), "arn:missing")
}

func TestSetRoutingControlsWithNoEndpointAnsweringIsRetryable(t *testing.T) {
	in := moveWest()
	in.Endpoints = []ClusterEndpoint{{Region: "us-east-1", Endpoint: deadEndpoint(t)}, {Region: "us-west-2", Endpoint: deadEndpoint(t)}}
	_, err := arcActivities(t).SetRoutingControls(context.Background(), in)
	var ae *temporal.ApplicationError
	require.True(t, errors.As(err, &ae))
	require.Equal(t, ErrClusterUnavailable, ae.Type())
	require.False(t, ae.NonRetryable())
	require.Contains(t, ae.Message(), "us-east-1")
	require.Contains(t, ae.Message(), "us-west-2")
}

func TestGetRoutingControlStatesReadsThroughTheFirstEndpointThatAnswers(t *testing.T) {
	_, live := newFakeCluster(t, "Off", "On")
	in := RoutingControlsInput{Endpoints: []ClusterEndpoint{{Region: "us-east-1", Endpoint: deadEndpoint(t)}, {Region: "us-west-2", Endpoint: live.URL}},
		Controls: []RoutingControl{{Region: "us-east-1", ARN: arnEast}, {Region: "us-west-2", ARN: arnWest}}}
	st, err := arcActivities(t).GetRoutingControlStates(context.Background(), in)
	require.NoError(t, err)
	require.Equal(t, "us-west-2", st.Endpoint.Region)
	require.False(t, st.On("us-east-1"))
	require.True(t, st.On("us-west-2"))
	require.Len(t, st.Unanswered, 1)
}

// The worker signs ARC requests with its own credentials, so with a policy loaded an endpoint named by the
// request goes nowhere unless the policy lists its host: refused before any request, even to allowed ones.
func TestClusterEndpointOutsideThePolicyIsRefusedBeforeAnyRequest(t *testing.T) {
	cluster, live := newFakeCluster(t, "On", "Off")
	stray := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("a request reached the endpoint the policy does not list")
	}))
	defer stray.Close()
	acts := arcActivities(t)
	liveHost := live.Listener.Addr().String()
	acts.Policy = &policy.File{Platforms: map[string]map[string]policy.Policy{"roadcall": {"test": {ClusterEndpointHosts: []string{liveHost}}}}}
	in := moveWest()
	in.Endpoints = []ClusterEndpoint{{Region: "us-west-2", Endpoint: live.URL}, {Region: "eu-west-1", Endpoint: stray.URL}}
	_, err := acts.SetRoutingControls(context.Background(), in)
	require.ErrorContains(t, err, "not in the worker's policy clusterEndpointHosts")
	require.Equal(t, "HostNotAllowed", appErrorOf(t, err).Type())
	_, updates := cluster.snapshot()
	require.Zero(t, updates)

	in.Endpoints = in.Endpoints[:1]
	_, err = acts.SetRoutingControls(context.Background(), in)
	require.NoError(t, err, "a listed host is used")
}
