package workflows

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/topology"
)

func TestGrade(t *testing.T) {
	for _, tc := range []struct {
		observed time.Duration
		want     string
	}{
		{0, Pass}, {999 * time.Millisecond, Pass}, {time.Second, Warn}, {14 * time.Minute, Warn}, {15 * time.Minute, Fail}, {time.Hour, Fail},
	} {
		require.Equal(t, tc.want, grade(tc.observed, time.Second, 15*time.Minute), tc.observed.String())
	}
}

func TestStackUsable(t *testing.T) {
	for status, want := range map[string]bool{
		"CREATE_COMPLETE": true, "UPDATE_COMPLETE": true, "IMPORT_COMPLETE": true,
		"UPDATE_IN_PROGRESS": false, "UPDATE_ROLLBACK_COMPLETE": false, "ROLLBACK_COMPLETE": false,
		"DELETE_COMPLETE": false, "CREATE_FAILED": false, "": false,
	} {
		require.Equal(t, want, stackUsable(status), status)
	}
}

func TestStackRow(t *testing.T) {
	for name, tc := range map[string]struct {
		st           activities.StackInfo
		status, why  string
		observedWant string
	}{
		"complete":    {activities.StackInfo{Exists: true, Status: "UPDATE_COMPLETE"}, Pass, "", "UPDATE_COMPLETE"},
		"missing":     {activities.StackInfo{}, Fail, "gone", "missing"},
		"rolled back": {activities.StackInfo{Exists: true, Status: "UPDATE_ROLLBACK_COMPLETE"}, Fail, "unusable", "UPDATE_ROLLBACK_COMPLETE"},
	} {
		row := stackRow("c", "s (r)", tc.st, "gone", "unusable")
		require.Equal(t, CheckRow{Check: "c", Resource: "s (r)", Status: tc.status, Observed: tc.observedWant, Threshold: "*_COMPLETE", Reason: tc.why}, row, name)
	}
}

func TestTally(t *testing.T) {
	rows := func(statuses ...string) []CheckRow {
		var out []CheckRow
		for _, s := range statuses {
			out = append(out, CheckRow{Status: s})
		}
		return out
	}
	for name, tc := range map[string]struct {
		rows             []CheckRow
		pass, warn, fail int
		overall          string
	}{
		"none":                   {nil, 0, 0, 0, Pass},
		"all pass":               {rows(Pass, Pass), 2, 0, 0, Pass},
		"a warning":              {rows(Pass, Warn), 1, 1, 0, Warn},
		"a failure wins":         {rows(Warn, Fail, Pass), 1, 1, 1, Fail},
		"unknown counts as fail": {rows(Pass, "odd"), 1, 0, 1, Fail},
	} {
		p, w, f, o := tally(tc.rows)
		require.Equal(t, []any{tc.pass, tc.warn, tc.fail, tc.overall}, []any{p, w, f, o}, name)
	}
}

func TestAlarmText(t *testing.T) {
	got := alarmText([]CheckRow{{Check: "aurora-replication-lag", Resource: "c", Observed: "max 20m0s", Threshold: "< 1s", Reason: "exceeds the RPO"}, {Check: "b", Resource: "v"}})
	require.Equal(t, "- aurora-replication-lag c: observed max 20m0s, threshold < 1s. exceeds the RPO\n- b v: observed , threshold . \n", got)
	require.Empty(t, alarmText(nil))
	require.Equal(t, 2, strings.Count(got, "\n"))
}

// rcTopology is the local topology in routing-control mode: an ARC cluster with five regional endpoints,
// failover records bound to RECOVERY_CONTROL health checks, as examples/ describe it once awssim models ARC.
func rcTopology(t *testing.T) topology.Topology {
	t.Helper()
	topo := upsertTopology(t)
	arn := func(name string) string {
		return "arn:aws:route53-recovery-control::123456789012:controlpanel/roadcall/routingcontrol/" + name
	}
	topo.DNS.Mode = topology.DNSRoutingControl
	topo.DNS.RoutingControls = &topology.RoutingControls{
		ClusterARN: "arn:aws:route53-recovery-control::123456789012:cluster/roadcall-prod",
		Endpoints: []topology.ClusterEndpoint{{Region: "us-east-1"}, {Region: "us-west-2"}, {Region: "eu-west-1"},
			{Region: "ap-northeast-1"}, {Region: "ap-southeast-2"}},
		Controls:   map[string]string{"us-east-1": arn("roadcall-primary"), "us-west-2": arn("roadcall-dr")},
		SafetyRule: &topology.SafetyRule{ARN: "arn:aws:route53-recovery-control::123456789012:controlpanel/roadcall/safetyrule/one-on", MinOn: 1},
	}
	topo.HealthChecks = append(topo.HealthChecks,
		topology.HealthCheck{ID: "hc-roadcall-rc-us-east-1", Region: "us-east-1", Type: topology.HealthCheckRecoveryControl, RoutingControlARN: arn("roadcall-primary")},
		topology.HealthCheck{ID: "hc-roadcall-rc-us-west-2", Region: "us-west-2", Type: topology.HealthCheckRecoveryControl, RoutingControlARN: arn("roadcall-dr")})
	topo.DNS.Records = map[string]topology.FailoverRecord{
		"us-east-1": {SetIdentifier: "Primary-Region", Failover: "PRIMARY", HealthCheckID: "hc-roadcall-rc-us-east-1"},
		"us-west-2": {SetIdentifier: "DR-Region", Failover: "SECONDARY", HealthCheckID: "hc-roadcall-rc-us-west-2"},
	}
	require.NoError(t, topo.Validate())
	return topo
}

// frTopology is the local topology in failover-records mode: the records follow the HTTPS health checks.
func frTopology(t *testing.T) topology.Topology {
	t.Helper()
	topo := upsertTopology(t)
	topo.DNS.Mode = topology.DNSFailoverRecords
	topo.DNS.Records = map[string]topology.FailoverRecord{
		"us-east-1": {SetIdentifier: "Primary-Region", Failover: "PRIMARY", HealthCheckID: "hc-roadcall-api-us-east-1"},
		"us-west-2": {SetIdentifier: "DR-Region", Failover: "SECONDARY", HealthCheckID: "hc-roadcall-api-us-west-2"},
	}
	require.NoError(t, topo.Validate())
	return topo
}

func TestDNSModeRow(t *testing.T) {
	upsert := func(primary string, require, accelerated bool) topology.Topology {
		topo := upsertTopology(t)
		topo.PrimaryRegion, topo.RequireStaticStability, topo.DNS.AcceleratedRecovery = primary, require, accelerated
		return topo
	}
	primaryOnly := rcTopology(t)
	primaryOnly.DNS.RoutingControls.Endpoints = []topology.ClusterEndpoint{{Region: "us-east-1"}}
	for name, tc := range map[string]struct {
		topo          topology.Topology
		status        string
		observed, why string
		thresholdEnds string
		notWhy        string
	}{
		"routing-control":                   {topo: rcTopology(t), status: Pass, observed: "ARC routing controls (data plane) through any of us-east-1, us-west-2, eu-west-1, ap-northeast-1, ap-southeast-2"},
		"routing-control, primary only":     {topo: primaryOnly, status: Fail, why: "every ARC endpoint listed is in us-east-1"},
		"failover-records":                  {topo: frTopology(t), status: Pass, observed: "follow their health checks (data plane); no write"},
		"upsert from us-east-1 warns":       {topo: upsert("us-east-1", false, false), status: Warn, observed: "control plane, us-east-1", why: "enabled on the zone beforehand, brings record changes back about 60 minutes in"},
		"upsert, accelerated recovery on":   {topo: upsert("us-east-1", false, true), status: Warn, why: "Accelerated recovery is on for the zone", notWhy: "beforehand"},
		"upsert, static stability required": {topo: upsert("us-east-1", true, false), status: Fail, thresholdEnds: "(requireStaticStability)", why: "Choose dns.mode routing-control (ARC) or failover-records"},
		"upsert from another primary":       {topo: upsert("eu-west-1", true, false), status: Pass, observed: "control plane, us-east-1"},
	} {
		row := dnsModeRow(tc.topo)
		require.Equal(t, checkStaticStability, row.Check, name)
		require.Equal(t, "dns.mode "+tc.topo.DNS.Mode, row.Resource, name)
		require.Equal(t, tc.status, row.Status, "%s: %+v", name, row)
		require.Contains(t, row.Observed, tc.observed, name)
		require.Contains(t, row.Reason, tc.why, name)
		require.True(t, strings.HasSuffix(row.Threshold, tc.thresholdEnds), "%s: %q", name, row.Threshold)
		if tc.notWhy != "" {
			require.NotContains(t, row.Reason, tc.notWhy, name)
		}
		require.Equal(t, tc.status == Pass, row.Reason == "", "%s: a reason exactly when the row is not a pass: %q", name, row.Reason)
	}
}

func TestRoutingControlRow(t *testing.T) {
	topo := rcTopology(t)
	read := func(p, d string, skipped ...string) routingControlRead {
		states := map[string]string{}
		if p != "" {
			states["us-east-1"] = p
		}
		if d != "" {
			states["us-west-2"] = d
		}
		return routingControlRead{Endpoint: "us-west-2", States: states, Skipped: skipped}
	}
	for name, tc := range map[string]struct {
		read   routingControlRead
		status string
		why    string
	}{
		"steady state":            {read("On", "Off"), Pass, ""},
		"lower case is the same":  {read("on", "off"), Pass, ""},
		"an endpoint was skipped": {read("On", "Off", "us-east-1: connection refused"), Warn, "1 endpoint(s) did not answer before us-west-2: us-east-1: connection refused"},
		"failed over":             {read("Off", "On"), Fail, "a failover happened and was not failed back"},
		"both On":                 {read("On", "On"), Warn, "not the steady state"},
		"both Off":                {read("Off", "Off"), Fail, "no routing control is On"},
		"a state missing":         {read("On", ""), Fail, "state is missing"},
		"no endpoint answered": {routingControlRead{Err: temporal.NewApplicationError("route53-recovery-cluster:GetRoutingControlState: no endpoint of the cluster answered", "NetworkError")},
			Fail, "no endpoint of the ARC cluster answered, so the failover could not move traffic: NetworkError"},
	} {
		row := routingControlRow(topo, tc.read)
		require.Equal(t, tc.status, row.Status, "%s: %+v", name, row)
		require.Equal(t, "us-east-1 On, us-west-2 Off", row.Threshold, name)
		require.Equal(t, "routing controls (us-east-1, us-west-2, eu-west-1, ap-northeast-1, ap-southeast-2)", row.Resource, name)
		require.Contains(t, row.Reason, tc.why, name)
		if tc.read.Err == nil {
			require.Contains(t, row.Observed, "(read through us-west-2)", name)
		}
	}
	require.Equal(t, "us-east-1 On, us-west-2 Off (read through us-west-2)", routingControlRow(topo, read("On", "Off")).Observed)
}

func TestRecordHealthRow(t *testing.T) {
	rec := topology.FailoverRecord{SetIdentifier: "DR-Region", Failover: "SECONDARY", HealthCheckID: "hc-dr"}
	for name, tc := range map[string]struct {
		h                     healthRead
		status, observed, why string
	}{
		"exists":  {healthRead{Info: activities.HealthCheckInfo{Success: 0, Checkers: 3}}, Pass, "exists, 0/3 checkers healthy", ""},
		"missing": {healthRead{Err: temporal.NewNonRetryableApplicationError("no such", "NoSuchHealthCheck", nil)}, Fail, "missing", "does not exist"},
		"Route 53 control plane down": {healthRead{Err: temporal.NewApplicationError("route53:GetHealthCheckStatus hc-dr in global: network: connection reset", "NetworkError")},
			Warn, "not verified", "Route 53's control plane (us-east-1) did not answer GetHealthCheckStatus: NetworkError: route53:GetHealthCheckStatus hc-dr in global: network: connection reset. Resolution and the health checkers are data plane"},
		"timed out":     {healthRead{Err: temporal.NewTimeoutError(0, nil)}, Warn, "not verified", "did not answer"},
		"access denied": {healthRead{Err: temporal.NewNonRetryableApplicationError("denied", "AccessDenied", nil)}, Fail, "unreadable", "AccessDenied: denied"},
	} {
		row := recordHealthRow("us-west-2", rec, tc.h)
		require.Equal(t, CheckRow{Check: checkStaticStability, Resource: "SECONDARY record DR-Region (us-west-2) → hc-dr", Status: tc.status,
			Observed: tc.observed, Threshold: "health check exists", Reason: row.Reason}, row, name)
		require.Contains(t, row.Reason, tc.why, name)
	}
}

func TestControlPlaneUnreachable(t *testing.T) {
	for err, want := range map[error]bool{
		temporal.NewApplicationError("x", "NetworkError"):                       true,
		temporal.NewApplicationError("x", "ServiceUnavailable"):                 true,
		temporal.NewApplicationError("x", "InternalFailure"):                    true,
		temporal.NewTimeoutError(0, nil):                                        true,
		temporal.NewApplicationError("x", "Throttling"):                         false,
		temporal.NewNonRetryableApplicationError("x", "AccessDenied", nil):      false,
		temporal.NewNonRetryableApplicationError("x", "NoSuchHealthCheck", nil): false,
		errors.New("plain"): false,
	} {
		require.Equal(t, want, controlPlaneUnreachable(err), "%v", err)
	}
}

func TestHealthRowFollowsRoutingControls(t *testing.T) {
	topo := rcTopology(t)
	byID := map[string]topology.HealthCheck{}
	for _, hc := range topo.HealthChecks {
		byID[hc.ID] = hc
	}
	healthy := healthRead{Info: activities.HealthCheckInfo{Healthy: true, Success: 3, Checkers: 3}}
	unhealthy := healthRead{Info: activities.HealthCheckInfo{Success: 0, Checkers: 3, Failures: []string{"Failure"}}}
	for name, tc := range map[string]struct {
		id     string
		h      healthRead
		status string
		why    string
	}{
		"primary control On":      {"hc-roadcall-rc-us-east-1", healthy, Pass, ""},
		"primary control Off":     {"hc-roadcall-rc-us-east-1", unhealthy, Fail, "the primary's routing control is Off"},
		"DR control Off":          {"hc-roadcall-rc-us-west-2", unhealthy, Pass, ""},
		"DR control On":           {"hc-roadcall-rc-us-west-2", healthy, Fail, "the DR region's routing control is On"},
		"an HTTPS check as today": {"hc-roadcall-api-us-west-2", unhealthy, Fail, "Failure"},
	} {
		row := healthRow(byID[tc.id], topo.PrimaryRegion, tc.h)
		require.Equal(t, tc.status, row.Status, "%s: %+v", name, row)
		require.True(t, strings.HasPrefix(row.Reason, tc.why), "%s: %q", name, row.Reason)
		require.Equal(t, tc.why == "", row.Reason == "", name)
	}
	require.Equal(t, "unhealthy (routing control Off until a failover)", healthRow(byID["hc-roadcall-rc-us-west-2"], topo.PrimaryRegion, unhealthy).Threshold)
	require.Equal(t, healthStatusRow("hc-roadcall-api-us-east-1", "us-east-1", healthy), healthRow(byID["hc-roadcall-api-us-east-1"], topo.PrimaryRegion, healthy))
}

func TestStaticStabilityRows(t *testing.T) {
	topo := rcTopology(t)
	health := make([]healthRead, len(topo.HealthChecks))
	for i, hc := range topo.HealthChecks {
		health[i] = healthRead{Info: activities.HealthCheckInfo{ID: hc.ID, Healthy: hc.Region == topo.PrimaryRegion, Success: 1 + i, Checkers: 9}}
	}
	rc := &routingControlRead{Endpoint: "us-east-1", States: map[string]string{"us-east-1": "On", "us-west-2": "Off"}}
	rows := staticStabilityRows(topo, rc, health)
	var got []string
	for _, r := range rows {
		got = append(got, r.Status+" "+r.Resource+": "+r.Observed)
	}
	require.Equal(t, []string{
		"pass dns.mode routing-control: ARC routing controls (data plane) through any of us-east-1, us-west-2, eu-west-1, ap-northeast-1, ap-southeast-2",
		"pass routing controls (us-east-1, us-west-2, eu-west-1, ap-northeast-1, ap-southeast-2): us-east-1 On, us-west-2 Off (read through us-east-1)",
		"pass PRIMARY record Primary-Region (us-east-1) → hc-roadcall-rc-us-east-1: exists, 3/9 checkers healthy",
		"pass SECONDARY record DR-Region (us-west-2) → hc-roadcall-rc-us-west-2: exists, 4/9 checkers healthy",
	}, got, "the records are graded from the health-check reads of their own IDs")
	// upsert without failover records: the mode row alone.
	rows = staticStabilityRows(upsertTopology(t), nil, nil)
	require.Len(t, rows, 1)
	require.Equal(t, Warn, rows[0].Status)
}
