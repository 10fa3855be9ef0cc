package workflows

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/awsclient"
	"github.com/roadcall/dr/internal/awssim"
	"github.com/roadcall/dr/internal/topology"
)

// staticRows are the report's static-stability rows.
func staticRows(rep ReadinessReport) []CheckRow {
	var out []CheckRow
	for _, r := range rep.Rows {
		if r.Check == checkStaticStability {
			out = append(out, r)
		}
	}
	return out
}

func runReadiness(t *testing.T, topo topology.Topology, setup func(env *testsuite.TestWorkflowEnvironment)) ReadinessReport {
	t.Helper()
	env := newEnv(t)
	setup(env)
	env.ExecuteWorkflow(ReadinessCheck, ReadinessRequest{Common: Common{Topology: topo}})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var rep ReadinessReport
	require.NoError(t, env.GetWorkflowResult(&rep))
	return rep
}

// Both branches of readinessStaticStability: runs recorded before it read no routing control and report
// no static-stability row; version 1 reads the controls once and adds the rows.
func TestReadinessStaticStabilityVersionBranches(t *testing.T) {
	topo := rcTopology(t)
	// 5 tables × 3, Aurora 2, S3 2, backups 1, health checks 4, stacks 4.
	const before = 15 + 2 + 2 + 1 + 4 + 4
	for _, tc := range []struct {
		version workflow.Version
		rows    int
		reads   int
	}{
		{workflow.DefaultVersion, before, 0},
		// The mode, the routing controls, the two failover records.
		{1, before + 4, 1},
	} {
		reads := 0
		var mu sync.Mutex
		rep := runReadiness(t, topo, func(env *testsuite.TestWorkflowEnvironment) {
			env.OnGetVersion(string(readinessStaticStability), workflow.DefaultVersion, 1).Return(tc.version)
			env.OnActivity(a.GetRoutingControlStates, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.RoutingControlsInput) (activities.RoutingControlStates, error) {
				mu.Lock()
				defer mu.Unlock()
				reads++
				require.Equal(t, routingControlsInput(topo), in)
				return activities.RoutingControlStates{Endpoint: activities.ClusterEndpoint{Region: "us-east-1"},
					States: []activities.ControlState{{Region: "us-east-1", State: "On"}, {Region: "us-west-2", State: "Off"}}}, nil
			})
			healthyReadinessMocks(env, topo, 30)
		})
		require.Equal(t, Pass, rep.Overall, rep.Rows)
		require.Len(t, rep.Rows, tc.rows, "version %d", tc.version)
		require.Equal(t, tc.reads, reads, "version %d", tc.version)
		require.Len(t, staticRows(rep), tc.rows-before)
	}
}

func TestReadinessStaticStabilityAllPassInRoutingControlMode(t *testing.T) {
	topo := rcTopology(t)
	rep := runReadiness(t, topo, func(env *testsuite.TestWorkflowEnvironment) { healthyReadinessMocks(env, topo, 30) })
	require.Equal(t, Pass, rep.Overall, rep.Rows)
	rows := staticRows(rep)
	require.Len(t, rows, 4)
	require.Equal(t, "dns.mode routing-control", rows[0].Resource)
	require.Equal(t, "us-east-1 On, us-west-2 Off (read through us-west-2)", rows[1].Observed)
	require.Equal(t, "SECONDARY record DR-Region (us-west-2) → hc-roadcall-rc-us-west-2", rows[3].Resource)
	require.False(t, rep.Alarmed)
}

// upsert with a us-east-1 primary warns; with requireStaticStability it fails and pages.
func TestReadinessStaticStabilityUpsert(t *testing.T) {
	for _, required := range []bool{false, true} {
		topo := upsertTopology(t)
		topo.RequireStaticStability = required
		published := 0
		rep := runReadiness(t, topo, func(env *testsuite.TestWorkflowEnvironment) {
			healthyReadinessMocks(env, topo, 30)
			env.OnActivity(a.Publish, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.PublishInput) (activities.PublishResult, error) {
				published++
				require.Contains(t, in.Message, "static-stability dns.mode upsert")
				return activities.PublishResult{}, nil
			})
		})
		rows := staticRows(rep)
		require.Len(t, rows, 1, "no routing controls and no failover records to read")
		require.Contains(t, rows[0].Reason, "Route 53's control plane, which lives in us-east-1")
		if required {
			require.Equal(t, Fail, rep.Overall)
			require.Equal(t, Fail, rows[0].Status)
			require.Equal(t, 1, published)
		} else {
			require.Equal(t, Warn, rep.Overall, rep.Rows)
			require.Equal(t, 1, rep.Warn)
			require.Zero(t, published, "a warning pages no one")
		}
	}
}

// While Route 53's control plane does not answer, the failover records' rows say so as warnings; the
// routing controls, read through ARC's data plane, still answer.
func TestReadinessStaticStabilityRoute53ControlPlaneDown(t *testing.T) {
	topo := rcTopology(t)
	rep := runReadiness(t, topo, func(env *testsuite.TestWorkflowEnvironment) {
		env.OnActivity(a.GetHealthCheckStatus, mock.Anything, mock.Anything).Return(activities.HealthCheckInfo{},
			temporal.NewApplicationError("route53:GetHealthCheckStatus in global: network: connection reset by peer", "NetworkError"))
		healthyReadinessMocks(env, topo, 30)
		env.OnActivity(a.Publish, mock.Anything, mock.Anything).Return(activities.PublishResult{}, nil)
	})
	rows := staticRows(rep)
	require.Len(t, rows, 4)
	require.Equal(t, []string{Pass, Pass, Warn, Warn}, []string{rows[0].Status, rows[1].Status, rows[2].Status, rows[3].Status}, rows)
	for _, r := range rows[2:] {
		require.Equal(t, "not verified", r.Observed)
		require.Contains(t, r.Reason, "Route 53's control plane (us-east-1) did not answer GetHealthCheckStatus")
	}
}

// fakeARC answers GetRoutingControlState as ARC's data plane does (awsJson1_0), with each control's state,
// and records the signing region of every request.
type fakeARC struct {
	mu      sync.Mutex
	states  map[string]string
	code    string
	regions []string
}

func (f *fakeARC) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	auth := r.Header.Get("Authorization")
	if i := strings.Index(auth, "Credential="); i >= 0 {
		f.regions = append(f.regions, strings.Split(auth[i:], "/")[2])
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	if r.Header.Get("X-Amz-Target") != "ToggleCustomerAPI.GetRoutingControlState" {
		w.WriteHeader(400)
		_, _ = io.WriteString(w, `{"__type":"UnknownOperationException"}`)
		return
	}
	var in struct{ RoutingControlArn string }
	_ = json.NewDecoder(r.Body).Decode(&in)
	if f.code != "" {
		w.WriteHeader(404)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": f.code, "message": "no such routing control " + in.RoutingControlArn})
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]string{"RoutingControlArn": in.RoutingControlArn, "RoutingControlState": f.states[in.RoutingControlArn]})
}

// The readiness reads the routing controls through the SDK, endpoint after endpoint: the first is in a
// region that does not answer, the second answers; an endpoint that refuses is an answer, not a reason to
// try the next.
func TestReadinessStaticStabilityReadsARCThroughTheSDK(t *testing.T) {
	topo := rcTopology(t)
	rc := topo.DNS.RoutingControls
	arc := &fakeARC{states: map[string]string{rc.Controls["us-east-1"]: "On", rc.Controls["us-west-2"]: "Off"}}
	live := httptest.NewServer(arc)
	defer live.Close()
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	rc.Endpoints = []topology.ClusterEndpoint{{Region: "us-east-1", Endpoint: dead.URL}, {Region: "us-west-2", Endpoint: live.URL}, {Region: "eu-west-1", Endpoint: live.URL}}
	f, err := awsclient.New(context.Background(), awsclient.Static(dead.URL))
	require.NoError(t, err)
	acts := activities.New(f)
	rep := runReadiness(t, topo, func(env *testsuite.TestWorkflowEnvironment) {
		env.OnActivity(a.GetRoutingControlStates, mock.Anything, mock.Anything).Return(acts.GetRoutingControlStates)
		healthyReadinessMocks(env, topo, 30)
	})
	row := staticRows(rep)[1]
	require.Equal(t, Warn, row.Status, row)
	require.Equal(t, "us-east-1 On, us-west-2 Off (read through us-west-2)", row.Observed)
	require.Contains(t, row.Reason, "1 endpoint(s) did not answer before us-west-2: us-east-1 (")
	require.Contains(t, row.Reason, "connection refused")
	require.Equal(t, []string{"us-west-2", "us-west-2"}, arc.regions, "two controls read through the us-west-2 endpoint, signed for it")

	arc.code, arc.regions = "ResourceNotFoundException", nil
	in := routingControlsInput(topo)
	in.Endpoints = in.Endpoints[1:]
	_, err = acts.GetRoutingControlStates(context.Background(), in)
	require.Error(t, err)
	require.Contains(t, err.Error(), "ResourceNotFoundException")
	require.Equal(t, []string{"us-west-2"}, arc.regions, "a refusal is an answer: eu-west-1 is not asked")
	var ae *temporal.ApplicationError
	require.ErrorAs(t, err, &ae)
	require.True(t, ae.NonRetryable())
}

// Against awssim with the real activities, a failover-records topology passes: the records' health checks
// exist, and the mode moves traffic without any primary-region control plane.
func TestReadinessStaticStabilityAgainstAwssim(t *testing.T) {
	topo := frTopology(t)
	hs := httptest.NewServer(awssim.New(topo, awssim.Options{}))
	defer hs.Close()
	f, err := awsclient.New(context.Background(), awsclient.Static(hs.URL))
	require.NoError(t, err)
	env := newEnv(t)
	env.RegisterActivity(activities.New(f))
	env.ExecuteWorkflow(ReadinessCheck, ReadinessRequest{Common: Common{Topology: topo}})
	require.NoError(t, env.GetWorkflowError())
	var rep ReadinessReport
	require.NoError(t, env.GetWorkflowResult(&rep))
	require.Equal(t, Pass, rep.Overall, rep.Rows)
	rows := staticRows(rep)
	require.Len(t, rows, 3)
	require.Equal(t, "PRIMARY record Primary-Region (us-east-1) → hc-roadcall-api-us-east-1", rows[1].Resource)
	require.Contains(t, rows[1].Observed, "exists, ")
}
