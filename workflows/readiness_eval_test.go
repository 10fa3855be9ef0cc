package workflows

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roadcall/dr/activities"
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
