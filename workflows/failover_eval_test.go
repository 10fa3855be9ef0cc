package workflows

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/topology"
)

func TestReplicaObservation(t *testing.T) {
	for name, tc := range map[string]struct {
		info     activities.TableInfo
		err      error
		ok       bool
		observed string
	}{
		"active":         {activities.TableInfo{Status: "ACTIVE", Replicas: map[string]string{"us-west-2": "ACTIVE"}}, nil, true, "replica ACTIVE, table ACTIVE"},
		"replica behind": {activities.TableInfo{Status: "ACTIVE", Replicas: map[string]string{"us-west-2": "UPDATING"}}, nil, false, "replica UPDATING, table ACTIVE"},
		"table only":     {activities.TableInfo{Status: "ACTIVE"}, nil, true, "replica ACTIVE, table ACTIVE"},
		"unreadable":     {activities.TableInfo{}, errors.New("AccessDenied"), false, "unreadable: AccessDenied"},
	} {
		o, finding := replicaObservation("users", "us-west-2", tc.info, tc.err)
		require.Equal(t, Observation{Resource: "DynamoDB replica users", Region: "us-west-2", OK: tc.ok, Observed: tc.observed}, o, name)
		if tc.ok {
			require.Empty(t, finding, name)
		} else {
			require.Equal(t, "users in us-west-2 is not ACTIVE ("+tc.observed+"): its data may be incomplete after the failover", finding, name)
		}
	}
}

func TestReadObservation(t *testing.T) {
	o, finding := readObservation("users", "us-west-2", activities.ScanResult{Count: 1}, nil)
	require.Equal(t, Observation{Resource: "DynamoDB table users", Region: "us-west-2", OK: true, Observed: "Scan --limit 1 read 1 item(s)"}, o)
	require.Empty(t, finding)
	o, finding = readObservation("users", "us-west-2", activities.ScanResult{}, errors.New("denied"))
	require.False(t, o.OK)
	require.Equal(t, "Scan --limit 1 failed: denied", o.Observed)
	require.Equal(t, "users does not answer reads in us-west-2 (denied)", finding)
}

func TestRPOFromLag(t *testing.T) {
	for name, tc := range map[string]struct {
		lag     activities.MetricResult
		err     error
		rpo     time.Duration
		known   bool
		finding string
	}{
		"read":       {activities.MetricResult{Points: []activities.Point{{V: 40}}, Max: 40}, nil, 40 * time.Millisecond, true, ""},
		"no points":  {activities.MetricResult{}, nil, 0, false, "no AuroraGlobalDBReplicationLag datapoints in the last 15 minutes: RPO unknown"},
		"unreadable": {activities.MetricResult{}, errors.New("throttled"), 0, false, "Aurora replication lag unreadable (throttled): RPO unknown"},
	} {
		rpo, known, findings := rpoFromLag(tc.lag, tc.err, []string{"earlier"})
		require.Equal(t, tc.rpo, rpo, name)
		require.Equal(t, tc.known, known, name)
		want := []string{"earlier"}
		if tc.finding != "" {
			want = append(want, tc.finding)
		}
		require.Equal(t, want, findings, name)
	}
}

func TestPrimaryUpFindingAndAck(t *testing.T) {
	up := &Assessment{Primary: activities.Reachability{Reachable: true, Healthy: true}}
	require.Contains(t, primaryUpFinding(up, 0, "us-east-1"), "make sure a failover is needed")
	require.Empty(t, primaryUpFinding(up, 1, "us-east-1"), "a failing primary health check")
	require.Empty(t, primaryUpFinding(&Assessment{}, 0, "us-east-1"), "an unreachable primary")

	o := topology.Objectives{RPO: topology.Duration(15 * time.Minute)}
	for name, tc := range map[string]struct {
		as   Assessment
		want bool
	}{
		"under the RPO": {Assessment{RPOKnown: true, RPOEstimate: time.Minute}, false},
		"at the RPO":    {Assessment{RPOKnown: true, RPOEstimate: 15 * time.Minute}, false},
		"over the RPO":  {Assessment{RPOKnown: true, RPOEstimate: 16 * time.Minute}, true},
		"unknown":       {Assessment{}, true},
	} {
		require.Equal(t, tc.want, needsDataLossAck(&tc.as, o), name)
	}
}

func TestFailoverGateSummary(t *testing.T) {
	base := localTopology(t)
	as := &Assessment{RPOKnown: true, RPOEstimate: 40 * time.Millisecond, Replicas: []Observation{{OK: true}, {}}, Findings: []string{"a finding"}}
	for name, tc := range map[string]struct {
		change func(*topology.Topology)
		ack    bool
		want   []string
	}{
		"global":  {func(*topology.Topology) {}, false, []string{"(FailoverGlobalCluster)", "=true on 4 stacks", "DynamoDB replicas ACTIVE in us-west-2: 1/2", "! a finding", "RPO estimate 40ms"}},
		"detach":  {func(t *topology.Topology) { t.Aurora.FailoverMode = topology.FailoverDetachAndPromote }, false, []string{"(RemoveFromGlobalCluster)"}},
		"promote": {func(t *topology.Topology) { t.Aurora.FailoverMode = topology.FailoverPromoteReplica }, false, []string{"(PromoteReadReplicaDBCluster)"}},
		"command": {func(t *topology.Topology) {
			t.Stacks.Activation, t.Stacks.DeployCommand = topology.ActivationCommand, []string{"pnpm", "cdk", "deploy"}
		}, false, []string{`run "pnpm cdk deploy"`}},
		"ack": {func(*topology.Topology) {}, true, []string{"approve with acceptDataLoss=true"}},
	} {
		topo := base
		tc.change(&topo)
		s := failoverGateSummary(topo, as, tc.ack, false)
		require.True(t, strings.HasPrefix(s, "Fail roadcall-prod over from us-east-1 to us-west-2.\n"), s)
		for _, w := range tc.want {
			require.Contains(t, s, w, name)
		}
		require.Equal(t, tc.ack, strings.Contains(s, "acceptDataLoss"), name)
		require.Equal(t, len(as.Reads) > 0, strings.Contains(s, "readable"), name)
	}
}

// The checklist keeps the runbook's order: what verification answered, then the RPO, then monitoring.
func TestFailoverChecklist(t *testing.T) {
	topo := localTopology(t)
	v := &VerifyResult{Health: &activities.URLCheckResult{URL: "u", Status: 200}, Database: &activities.DBCheckResult{Skipped: true, Reason: "no DSN"}}
	for _, tb := range topo.Tables {
		v.Scans = append(v.Scans, activities.ScanResult{Table: tb.Name})
	}
	m := &MonitorResult{Requests: 10, LatencyP95: 500 * time.Millisecond}
	as := &Assessment{RPOKnown: true, RPOEstimate: 20 * time.Minute}
	var got []string
	for _, c := range failoverChecklist(topo, as, v, m) {
		got = append(got, c.Item+"="+c.Status)
	}
	require.Equal(t, []string{"API endpoints respond correctly=pass", "User accounts are accessible=pass", "Database queries perform normally=not-checked",
		"No data loss beyond RPO=fail", "API latency is within SLA (P95 < 300ms)=fail", "CloudWatch metrics are being collected=pass"}, got)
	require.Nil(t, failoverChecklist(topo, nil, nil, nil), "nothing observed, nothing checked")
	require.Equal(t, "not-checked", failoverChecklist(topo, &Assessment{}, nil, nil)[0].Status, "an unknown RPO")
}

// TestHealthObservationEighteenPercentRule: the assessment and readiness take Route 53's verdict as
// GetHealthCheckStatus's activity computes it (more than 18 % of checkers healthy, Route 53 Developer Guide,
// "How Amazon Route 53 determines whether a health check is healthy") and say so when a minority is enough.
func TestHealthObservationEighteenPercentRule(t *testing.T) {
	hc := topology.HealthCheck{ID: "hc-roadcall-api-us-east-1", Region: "us-east-1"}
	info := func(success int) activities.HealthCheckInfo {
		return activities.HealthCheckInfo{ID: hc.ID, Success: success, Checkers: 16, Healthy: activities.CheckersHealthy(success, 16),
			Failures: []string{"us-east-1: Failure: Connection timed out"}}
	}
	three := healthObservation(hc, info(3), nil)
	require.True(t, three.OK)
	require.Equal(t, "3/16 checkers healthy (healthy: Route 53 needs more than 18 % of its checkers)", three.Observed)
	two := healthObservation(hc, info(2), nil)
	require.False(t, two.OK)
	require.Equal(t, "2/16 checkers healthy (us-east-1: Failure: Connection timed out)", two.Observed)
	require.Equal(t, "16/16 checkers healthy", healthObservation(hc, info(16), nil).Observed)

	row := healthStatusRow(hc.ID, hc.Region, healthRead{Info: info(3)})
	require.Equal(t, Pass, row.Status, row.Observed)
	require.Equal(t, Fail, healthStatusRow(hc.ID, hc.Region, healthRead{Info: info(2)}).Status)
}
