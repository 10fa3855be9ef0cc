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

func TestRecordRow(t *testing.T) {
	topo := localTopology(t)
	primary, dr := topo.DNS.Targets[topo.PrimaryRegion].DNSName, topo.DNS.Targets[topo.DRRegion].DNSName
	for name, tc := range map[string]struct {
		st     activities.RecordState
		status string
		reason string
	}{
		"failed over":       {activities.RecordState{Exists: true, AliasDNSName: dr}, Pass, ""},
		"failed over, FQDN": {activities.RecordState{Exists: true, AliasDNSName: strings.ToUpper(dr) + "."}, Pass, ""},
		"no failover":       {activities.RecordState{Exists: true, AliasDNSName: primary}, Fail, "no failover has happened"},
		"no record":         {activities.RecordState{}, Fail, "does not exist in zone"},
		"somewhere else":    {activities.RecordState{Exists: true, AliasDNSName: "elsewhere.example"}, Fail, "neither region's endpoint"},
	} {
		row := recordRow(topo, tc.st, "aliases "+dr)
		require.Equal(t, tc.status, row.Status, name)
		require.Equal(t, checkRecord, row.Check)
		if tc.reason == "" {
			require.Empty(t, row.Reason, name)
		} else {
			require.Contains(t, row.Reason, tc.reason, name)
		}
	}
}

func TestReachableRow(t *testing.T) {
	up := activities.Reachability{Region: "us-east-1", Reachable: true, Healthy: true}
	require.Equal(t, Pass, reachableRow("us-east-1", up, true, "th").Status)
	noURL := activities.Reachability{Region: "us-east-1", Reachable: true}
	require.Equal(t, Pass, reachableRow("us-east-1", noURL, false, "th").Status, "without a health URL only the control plane counts")
	row := reachableRow("us-east-1", noURL, true, "th")
	require.Equal(t, Fail, row.Status)
	require.Contains(t, row.Reason, "still unhealthy")
	require.Equal(t, Fail, reachableRow("us-east-1", activities.Reachability{}, false, "th").Status)
}

func TestRefusal(t *testing.T) {
	topo := localTopology(t)
	ok := CheckRow{Check: checkReachable, Status: Pass}
	noFailover := CheckRow{Check: checkRecord, Status: Fail, Reason: "no failover has happened"}
	stack := CheckRow{Check: checkStackName, Resource: "s", Status: Fail, Observed: "UPDATE_ROLLBACK_IN_PROGRESS"}
	require.False(t, refused([]CheckRow{ok}))
	require.True(t, refused([]CheckRow{ok, stack}))
	require.Equal(t, "failback of roadcall-prod refused, nothing was changed: no failover has happened; and the primary region us-east-1 is not ready to take traffic back (primary-stack s: UPDATE_ROLLBACK_IN_PROGRESS)",
		refusal(topo, []CheckRow{stack, ok, noFailover}), "no failover comes first; a row without reason shows what was observed")
}

func TestTableInSync(t *testing.T) {
	active := activities.TableInfo{Status: "ACTIVE", Replicas: map[string]string{"us-east-1": "ACTIVE", "us-west-2": "ACTIVE"}}
	lat := func(ms float64) activities.MetricResult {
		return activities.MetricResult{Points: []activities.Point{{V: ms}}, Max: ms}
	}
	read := func(p, d activities.TableInfo, descErr error, toP, toD activities.MetricResult, latErr error) tableRead {
		return tableRead{Name: "users", Primary: p, DR: d, DescribeErr: descErr,
			Latency: [2]latencyRead{{From: "us-west-2", To: "us-east-1", M: toP, Err: latErr}, {From: "us-east-1", To: "us-west-2", M: toD}}}
	}
	for name, tc := range map[string]struct {
		read     tableRead
		ok       bool
		observed string
	}{
		"in sync": {read(active, active, nil, lat(800), lat(40), nil), true,
			"replica us-west-2 ACTIVE, replica us-east-1 ACTIVE; latency us-west-2→us-east-1 800ms; latency us-east-1→us-west-2 40ms"},
		"no recent writes": {read(active, active, nil, activities.MetricResult{}, lat(40), nil), true,
			"replica us-west-2 ACTIVE, replica us-east-1 ACTIVE; latency us-west-2→us-east-1: no recent writes; latency us-east-1→us-west-2 40ms"},
		"slow": {read(active, active, nil, lat(60000), lat(40), nil), false,
			"replica us-west-2 ACTIVE, replica us-east-1 ACTIVE; latency us-west-2→us-east-1 1m0s; latency us-east-1→us-west-2 40ms"},
		"replica missing": {read(activities.TableInfo{Status: "ACTIVE"}, active, nil, lat(1), lat(1), nil), false,
			"replica us-west-2 missing, replica us-east-1 ACTIVE; latency us-west-2→us-east-1 1ms; latency us-east-1→us-west-2 1ms"},
		"unreadable": {read(active, active, errors.New("denied"), lat(1), lat(1), errors.New("throttled")), false,
			"unreadable: denied; latency us-west-2→us-east-1 unreadable: throttled; latency us-east-1→us-west-2 1ms"},
	} {
		o, problem := tableInSync(tc.read, "us-east-1", "us-west-2", time.Second)
		require.Equal(t, Observation{Resource: "DynamoDB users", Region: "us-east-1⇄us-west-2", OK: tc.ok, Observed: tc.observed}, o, name)
		if tc.ok {
			require.Empty(t, problem, name)
		} else {
			require.Equal(t, "users not in sync ("+tc.observed+"; want replicas ACTIVE both ways and latency < 1s)", problem, name)
		}
	}
}

func TestAuroraPath(t *testing.T) {
	topo := localTopology(t)
	au := topo.Aurora
	member := func(id string, writer bool) activities.GlobalMember {
		return activities.GlobalMember{ClusterID: id, IsWriter: writer}
	}
	for name, tc := range map[string]struct {
		g    activities.GlobalClusterInfo
		path string
		text string
	}{
		"DR writes":         {activities.GlobalClusterInfo{Members: []activities.GlobalMember{member(au.PrimaryClusterID, false), member(au.DRClusterID, true)}}, AuroraSwitchover, "writer " + au.DRClusterID},
		"primary writes":    {activities.GlobalClusterInfo{Members: []activities.GlobalMember{member(au.PrimaryClusterID, true), member(au.DRClusterID, false)}}, AuroraAlreadyPrimary, "already writes"},
		"switching":         {activities.GlobalClusterInfo{FailoverStatus: "switching-over", Members: []activities.GlobalMember{member(au.PrimaryClusterID, true), member(au.DRClusterID, false)}}, AuroraSwitchover, "planned switchover"},
		"DR detached":       {activities.GlobalClusterInfo{Members: []activities.GlobalMember{member(au.PrimaryClusterID, false)}}, AuroraRebuild, au.DRClusterID + " is not a member"},
		"primary not there": {activities.GlobalClusterInfo{Members: []activities.GlobalMember{member(au.DRClusterID, true)}}, AuroraRebuild, au.PrimaryClusterID + " is not a member"},
	} {
		path, text := auroraPath(topo, tc.g)
		require.Equal(t, tc.path, path, name)
		require.Contains(t, text, tc.text, name)
	}
	require.True(t, rpoVouched(AuroraSwitchover))
	require.True(t, rpoVouched(AuroraAlreadyPrimary))
	require.False(t, rpoVouched(AuroraRebuild))
	require.False(t, rpoVouched(""), "a run that never read the global database")
}

func TestFailbackRequestStandbyValues(t *testing.T) {
	req := FailbackRequest{RestoreDRMode: map[string]string{"api": "warm"}}
	require.Equal(t, "warm", req.standbyValue("api"))
	require.Equal(t, "false", req.standbyValue("auth"))
}

func TestFailbackGateSummary(t *testing.T) {
	topo := localTopology(t)
	rep := &FailbackReport{Precheck: []CheckRow{{Check: checkRecord, Resource: "api", Observed: "alias x"}},
		Sync: &SyncResult{Tables: []Observation{{OK: true}, {OK: true}}, Aurora: "intact"}, AuroraPath: AuroraSwitchover}
	s := failbackGateSummary(topo, rep, nil, false)
	for _, w := range []string{"Fail roadcall-prod back from us-west-2 to us-east-1.\n", "dns-record api: alias x\n", "in sync both ways: 2/2\nAurora: intact\n",
		"(SwitchoverGlobalCluster, no data loss", "back to standby on 4 stacks in us-west-2. Replication stays on."} {
		require.Contains(t, s, w)
	}
	rep.AuroraPath = AuroraAlreadyPrimary
	topo.Stacks.Activation = topology.ActivationCommand
	s = failbackGateSummary(topo, rep, []string{"deploy", "drMode=false"}, false)
	require.NotContains(t, s, "SwitchoverGlobalCluster")
	require.Contains(t, s, `run "deploy drMode=false". `)
	require.Contains(t, rebuildSummary(topo, "detached", "snap-1"), "detached. Approving takes snapshot snap-1 of "+topo.Aurora.DRClusterID)
}

func TestFailbackChecklist(t *testing.T) {
	topo := localTopology(t)
	items := failbackChecklist(topo, AuroraSwitchover, nil, &MonitorResult{Requests: 1})
	require.Len(t, items, 3)
	require.Equal(t, ChecklistItem{Section: "Data Integrity", Item: "No data loss beyond RPO", Status: Pass, Evidence: "Aurora switchover: RPO 0 against 15m0s"}, items[2])
	require.Contains(t, items[0].Evidence, "in us-east-1", "the primary is what was watched")
	require.Empty(t, failbackChecklist(topo, AuroraRebuild, nil, nil))
}

func TestPlanReturnMovesOnlyWhatIsAway(t *testing.T) {
	topo := localTopology(t) // routing-control mode
	p, d := topo.PrimaryRegion, topo.DRRegion
	controls := func(primaryOn bool) *activities.RoutingControlStates {
		on := map[bool]string{true: "On", false: "Off"}
		return &activities.RoutingControlStates{States: []activities.ControlState{{Region: p, State: on[primaryOn]}, {Region: d, State: on[!primaryOn]}}}
	}
	global := func(primaryWrites, drMember bool, inFlight string) *activities.GlobalClusterInfo {
		g := &activities.GlobalClusterInfo{Members: []activities.GlobalMember{{ClusterID: topo.Aurora.PrimaryClusterID, Region: p, IsWriter: primaryWrites}}, FailoverStatus: inFlight}
		if drMember {
			g.Members = append(g.Members, activities.GlobalMember{ClusterID: topo.Aurora.DRClusterID, Region: d, IsWriter: !primaryWrites})
		}
		return g
	}
	stacks := func(v string) []activities.StackInfo {
		var out []activities.StackInfo
		for _, n := range topo.Stacks.Names {
			out = append(out, activities.StackInfo{Stack: n, Exists: true, Status: "UPDATE_COMPLETE", Parameters: map[string]string{topo.Stacks.DRModeParameter: v}})
		}
		return out
	}
	standby := func(string) string { return "false" }
	for _, tc := range []struct {
		name                 string
		w                    Whereabouts
		dns, writer, nothing bool
		stacks               int
	}{
		{"stopped at the gate: nothing away", Whereabouts{Resolution: &activities.Resolution{Region: p}, Controls: controls(true), Global: global(true, true, ""), Stacks: stacks("false")}, false, false, true, 0},
		{"stopped in the database wait", Whereabouts{Resolution: &activities.Resolution{Region: p}, Controls: controls(true), Global: global(false, true, ""), Stacks: stacks("true")}, false, true, false, 4},
		{"failover still in flight", Whereabouts{Resolution: &activities.Resolution{Region: p}, Controls: controls(true), Global: global(true, true, "failing-over"), Stacks: stacks("false")}, false, true, false, 0},
		{"stopped in activation only", Whereabouts{Resolution: &activities.Resolution{Region: p}, Controls: controls(true), Global: global(true, true, ""), Stacks: stacks("true")}, false, false, false, 4},
		{"stopped at the DNS wait: controls moved, resolution not yet", Whereabouts{Resolution: &activities.Resolution{Region: p}, Controls: controls(false), Global: global(false, true, ""), Stacks: stacks("true")}, true, true, false, 4},
		{"completed failover", Whereabouts{Resolution: &activities.Resolution{Region: d}, Controls: controls(false), Global: global(false, true, ""), Stacks: stacks("true")}, true, true, false, 4},
		{"DR detached", Whereabouts{Resolution: &activities.Resolution{Region: d}, Controls: controls(false), Global: global(true, false, ""), Stacks: stacks("true")}, true, true, false, 4},
		{"reads that failed are planned as moves", Whereabouts{ResolveErr: "timeout", ControlsErr: "no endpoint answered", GlobalErr: "throttled", Stacks: make([]activities.StackInfo, 4), StackErrs: []string{"x", "", "", ""}}, true, true, false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan, rows := planReturn(topo, tc.w, standby)
			require.Equal(t, tc.dns, plan.DNS, "dns")
			require.Equal(t, tc.writer, plan.Writer, "writer")
			require.Len(t, plan.Stacks, tc.stacks)
			require.Equal(t, tc.nothing, plan.Nothing())
			require.Equal(t, tc.nothing, refused(rows), "refused only when nothing is away: %v", rows)
			if tc.nothing {
				require.Contains(t, refusal(topo, rows), "no failover has happened, or none of it is left to undo")
			}
		})
	}
}
