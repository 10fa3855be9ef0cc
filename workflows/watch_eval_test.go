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

func TestJudge(t *testing.T) {
	up := activities.Reachability{Region: "us-east-1", HealthURL: "http://h/health", HealthStatus: 200, Healthy: true, Reachable: true, EC2: true, STS: true}
	down := activities.Reachability{Region: "us-east-1", HealthURL: "http://h/health", HealthStatus: 503, EC2Error: "ec2 closed", STSError: "sts closed"}
	sick := up
	sick.Healthy, sick.HealthStatus = false, 500
	blip := up
	blip.Reachable, blip.EC2 = false, false
	noURL := down
	noURL.HealthURL = ""
	rcOn := &activities.RoutingControlStates{States: []activities.ControlState{{Region: "us-east-1", State: "On"}, {Region: "us-west-2", State: "Off"}}}
	rcOff := &activities.RoutingControlStates{States: []activities.ControlState{{Region: "us-east-1", State: "Off"}, {Region: "us-west-2", State: "On"}}}
	alarm := []activities.AlarmState{{Name: "canary", State: "ALARM"}}
	for _, c := range []struct {
		name             string
		rd               watchReadings
		failing, trafOff bool
	}{
		{"healthy", watchReadings{Probe: up, Routing: rcOn}, false, false},
		{"region down", watchReadings{Probe: down, Routing: rcOn}, true, false},
		{"health URL alone is the application's problem", watchReadings{Probe: sick}, false, false},
		{"health URL and an alarm agree", watchReadings{Probe: sick, Alarms: alarm}, true, false},
		{"control plane alone, customers still served", watchReadings{Probe: blip}, false, false},
		{"no health URL: the control plane decides", watchReadings{Probe: noURL}, true, false},
		{"traffic already off the primary", watchReadings{Probe: down, Routing: rcOff}, true, true},
		{"probe did not run proves nothing", watchReadings{ProbeErr: errors.New("timeout")}, false, false},
		{"unreadable routing controls do not decide", watchReadings{Probe: down, RoutingErr: errors.New("no endpoint")}, true, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			ev := judge("us-east-1", c.rd)
			require.Equal(t, c.failing, ev.Failing, "%+v", ev.Signals)
			require.Equal(t, c.trafOff, ev.TrafficOff)
			require.NotEmpty(t, ev.Signals)
		})
	}
}

func TestAdvance(t *testing.T) {
	t0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	cfg := watchSettings{Every: 2 * time.Second, Threshold: 2, Cooldown: time.Hour}
	fail := func(at time.Duration) *Evaluation { return &Evaluation{At: t0.Add(at), Failing: true} }
	ok := func(at time.Duration) *Evaluation { return &Evaluation{At: t0.Add(at)} }

	st := &WatchState{}
	require.Equal(t, actNone, advance(st, fail(0), cfg))
	require.Equal(t, 1, st.Streak)
	require.Equal(t, t0, st.FirstFailingAt)
	ev := ok(2 * time.Second)
	require.Equal(t, actNone, advance(st, ev, cfg))
	require.Contains(t, ev.Decision, "streak of 1 broken")
	require.Zero(t, st.Streak)
	require.True(t, st.FirstFailingAt.IsZero())

	advance(st, fail(4*time.Second), cfg)
	require.Equal(t, actCheck, advance(st, fail(6*time.Second), cfg))
	require.Equal(t, t0.Add(4*time.Second), st.FirstFailingAt, "detectedAt is the first failing evaluation of the streak")

	st = &WatchState{LastStart: &WatchStart{WorkflowID: "failover-roadcall-prod", At: t0}}
	advance(st, fail(time.Minute), cfg)
	ev = fail(time.Minute + 2*time.Second)
	require.Equal(t, actPage, advance(st, ev, cfg))
	require.Contains(t, ev.Decision, "within the cooldown")
	require.Contains(t, ev.Decision, "2025-06-01T13:00:00Z")
	require.Equal(t, actCheck, advance(st, fail(time.Hour+time.Second), cfg), "after the cooldown the streak starts one")

	st = &WatchState{Paused: true, Streak: 5}
	ev = fail(0)
	require.Equal(t, actNone, advance(st, ev, cfg))
	require.Zero(t, st.Streak)
	require.Contains(t, ev.Decision, "paused")

	st = &WatchState{Streak: 1}
	ev = &Evaluation{At: t0, Failing: true, TrafficOff: true}
	require.Equal(t, actNone, advance(st, ev, cfg))
	require.Contains(t, ev.Decision, "already off the primary")
}

func TestBlockedBy(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	const fo = "failover-roadcall-prod"
	for _, c := range []struct {
		name string
		runs []activities.RunState
		want string
	}{
		{"nothing ever ran", []activities.RunState{{WorkflowID: fo}, {WorkflowID: "failback-roadcall-prod"}}, ""},
		{"failover running", []activities.RunState{{WorkflowID: fo, Exists: true, Running: true, WorkflowType: "RegionFailover", StartTime: now.Add(-48 * time.Hour)}}, "is running"},
		{"failback running", []activities.RunState{{WorkflowID: fo}, {WorkflowID: "failback-roadcall-prod", Exists: true, Running: true, WorkflowType: "Failback"}}, "failback-roadcall-prod (Failback) is running"},
		{"failover began within the cooldown", []activities.RunState{{WorkflowID: fo, Exists: true, Status: "WORKFLOW_EXECUTION_STATUS_COMPLETED", StartTime: now.Add(-10 * time.Minute), CloseTime: now.Add(-time.Minute)}}, "within the cooldown"},
		{"failover long ago", []activities.RunState{{WorkflowID: fo, Exists: true, StartTime: now.Add(-2 * time.Hour)}}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := blockedBy(c.runs, fo, now, time.Hour)
			if c.want == "" {
				require.Empty(t, got)
				return
			}
			require.Contains(t, got, c.want)
		})
	}
}

func TestKeepRecentAndDetails(t *testing.T) {
	var r []Evaluation
	for i := range 30 {
		r = keepRecent(r, Evaluation{Streak: i}, 20)
	}
	require.Len(t, r, 20)
	require.Equal(t, 29, r[19].Streak)
	d := watchDetails(WatchStatus{Platform: "roadcall-prod", Streak: 2, Threshold: 3, Recent: r})
	require.True(t, strings.Contains(d, "Streak: 2 of 3"), d)
}

func TestWatchRequestValidate(t *testing.T) {
	topo := upsertTopology(t)
	d := func(s string) *topology.Duration {
		v, err := time.ParseDuration(s)
		require.NoError(t, err)
		td := topology.Duration(v)
		return &td
	}
	n := func(i int) *int { return &i }
	for _, c := range []struct {
		name  string
		req   WatchRequest
		field string
	}{
		{"defaults", WatchRequest{}, ""},
		{"every under 1s", WatchRequest{Every: d("500ms")}, "every"},
		{"threshold 0", WatchRequest{Threshold: n(0)}, "threshold"},
		{"cooldown shorter than every", WatchRequest{Every: d("2s"), Cooldown: d("1s")}, "cooldown"},
		{"probe timeout not under every", WatchRequest{Every: d("2s"), ProbeTimeout: *d("2s")}, "probeTimeout"},
		{"acceptance settings", WatchRequest{Every: d("2s"), Threshold: n(2), Cooldown: d("1h")}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.req.Topology = topo
			err := c.req.Validate()
			if c.field == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			require.Contains(t, err.Error(), `field "`+c.field+`"`)
		})
	}
}
