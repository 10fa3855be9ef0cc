package workflows

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roadcall/dr/activities"
)

func TestJudgeTraffic(t *testing.T) {
	th := localTopology(t).Thresholds
	metric := func(v float64) activities.MetricResult {
		return activities.MetricResult{Points: []activities.Point{{V: v}}, Max: v, Sum: v}
	}
	for name, tc := range map[string]struct {
		count, e5, lat activities.MetricResult
		problems       []string
	}{
		"healthy":    {metric(3000), metric(1), metric(45), nil},
		"no traffic": {metric(0), metric(0), metric(45), []string{"no API requests counted in us-west-2: is traffic reaching the DR region?"}},
		"no latency": {metric(3000), metric(0), activities.MetricResult{}, []string{"no Latency datapoints in us-west-2"}},
		"slow":       {metric(3000), metric(0), metric(900), []string{"API latency p95 900ms is not under 300ms"}},
		"errors":     {metric(100), metric(50), metric(45), []string{"5XX rate 50.00% is not under 1.00%"}},
	} {
		m := judgeTraffic(time.Minute, tc.count, tc.e5, tc.lat, "us-west-2", th)
		require.Equal(t, tc.problems, m.Problems, name)
		require.Equal(t, len(tc.problems) == 0, m.Pass, name)
		require.Equal(t, time.Minute, m.Window)
	}
}

func TestVerifyItemsDatabase(t *testing.T) {
	topo := localTopology(t)
	for name, tc := range map[string]struct {
		db       *activities.DBCheckResult
		status   string
		evidence string
	}{
		"skipped": {&activities.DBCheckResult{Skipped: true, Reason: "no aurora.dsnEnv"}, "not-checked", "no aurora.dsnEnv"},
		"checked": {&activities.DBCheckResult{Server: "db:5432"}, Pass, "SELECT 1 on db:5432, pg_is_in_recovery() = false"},
		"failed":  {nil, Fail, "SELECT 1 failed"},
	} {
		items := verifyItems(topo, "us-west-2", &VerifyResult{Database: tc.db})
		require.Len(t, items, 3, name)
		require.Equal(t, ChecklistItem{Section: "Performance", Item: "Database queries perform normally", Status: tc.status, Evidence: tc.evidence}, items[2], name)
		require.Equal(t, Fail, items[0].Status, "no health answer")
		require.Equal(t, Fail, items[1].Status, "no user table read")
	}
	require.Nil(t, verifyItems(topo, "us-west-2", nil))
	require.Nil(t, monitorItems(topo, "us-west-2", nil))
}

func TestMonitorItems(t *testing.T) {
	topo := localTopology(t)
	items := monitorItems(topo, "us-east-1", &MonitorResult{Window: time.Minute, Requests: 0, LatencyP95: 40 * time.Millisecond})
	require.Equal(t, []ChecklistItem{
		{Section: "Performance", Item: "API latency is within SLA (P95 < 300ms)", Status: Pass, Evidence: "p95 40ms in us-east-1"},
		{Section: "Monitoring", Item: "CloudWatch metrics are being collected", Status: Fail, Evidence: "0 API requests counted in us-east-1 over 1m0s"},
	}, items)
}

func TestStackErrors(t *testing.T) {
	require.NoError(t, stackErrors([]string{"a", "b"}, []error{nil, nil}))
	require.EqualError(t, stackErrors([]string{"a", "b", "c"}, []error{errors.New("x"), nil, errors.New("y")}), "a: x; c: y")
}

func TestTextHelpers(t *testing.T) {
	require.Equal(t, "roadcall-", commonPrefix([]string{"roadcall-api", "roadcall-auth", "roadcall-"}))
	require.Equal(t, "", commonPrefix(nil))
	require.Equal(t, "done", lastLine("a\nb\ndone\n"))
	require.Equal(t, "no record", orNone(""))
	v := &VerifyResult{Scans: make([]activities.ScanResult, 4), Database: &activities.DBCheckResult{}}
	require.Equal(t, "health 200, 3 functions, 4/5 tables readable, SELECT 1 ok, not in recovery", verifyDetail(v, 200, 3, 5, activities.DBCheckResult{}))
	require.Equal(t, "health 0, 0 functions, 0/5 tables readable, SELECT 1 skipped (no DSN)", verifyDetail(&VerifyResult{}, 0, 0, 5, activities.DBCheckResult{Skipped: true, Reason: "no DSN"}))
}
