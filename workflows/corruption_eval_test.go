package workflows

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/topology"
)

func corrTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestCorruptionChosenTime(t *testing.T) {
	proposed := corrTime("2025-06-01T14:25:00Z")
	cases := []struct {
		name, value string
		want        time.Time
		wantErr     string
	}{
		{"no value takes the proposed time", "", proposed, ""},
		{"blank value too", "   ", proposed, ""},
		{"a value is taken, in UTC, to the second", " 2025-06-01T15:07:30.9+02:00 ", corrTime("2025-06-01T13:07:30Z"), ""},
		{"no time", "yesterday", time.Time{}, `value: "yesterday" is not an RFC 3339 time`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := chosenTime(Approval{Value: tc.value}, proposed)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.True(t, got.Equal(tc.want), got.String())
			require.Equal(t, time.UTC, got.Location())
		})
	}
}

func TestCorruptionProposedRestoreTimeAndRestoredName(t *testing.T) {
	require.Equal(t, corrTime("2025-06-01T14:25:00Z"), proposedRestoreTime(corrTime("2025-06-01T14:30:00.75Z"), 5*time.Minute), "to the second")
	require.Equal(t, "roadcall-users-prod-restored-202506011307", restoredName("roadcall-users-prod", corrTime("2025-06-01T15:07:59+02:00")))
}

func TestCorruptionCommonWindowAndWindowProblem(t *testing.T) {
	a := RestoreWindow{Resource: "a", Enabled: true, Earliest: corrTime("2025-05-25T00:00:00Z"), Latest: corrTime("2025-06-01T14:55:00Z")}
	b := RestoreWindow{Resource: "b", Enabled: true, Earliest: corrTime("2025-05-26T00:00:00Z"), Latest: corrTime("2025-06-01T14:56:00Z")}
	off := RestoreWindow{Resource: "c"}
	late := RestoreWindow{Resource: "d", Enabled: true, Earliest: corrTime("2025-06-01T15:00:00Z"), Latest: corrTime("2025-06-01T15:30:00Z")}
	cases := []struct {
		name       string
		wins       []RestoreWindow
		e, l       time.Time
		ok         bool
		off        []string
		wantType   string
		wantErrMsg string
	}{
		{"one window", []RestoreWindow{a}, a.Earliest, a.Latest, true, nil, "", ""},
		{"latest start and earliest end", []RestoreWindow{a, b}, b.Earliest, a.Latest, true, nil, "", ""},
		{"order does not matter", []RestoreWindow{b, a}, b.Earliest, a.Latest, true, nil, "", ""},
		{"PITR off is named", []RestoreWindow{a, off}, a.Earliest, a.Latest, true, []string{"c"}, "PointInTimeRecoveryUnavailableException", "point-in-time recovery is off for c in us-east-1"},
		{"none enabled", []RestoreWindow{off}, time.Time{}, time.Time{}, false, []string{"c"}, "PointInTimeRecoveryUnavailableException", "off for c"},
		{"no overlap", []RestoreWindow{a, late}, late.Earliest, a.Latest, true, nil, "InvalidRestoreTimeException", "the latest common start 2025-06-01T15:00:00Z is after the earliest end 2025-06-01T14:55:00Z"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, l, ok, off := commonWindow(tc.wins)
			require.Equal(t, tc.ok, ok)
			require.True(t, e.Equal(tc.e), e.String())
			require.True(t, l.Equal(tc.l), l.String())
			require.Equal(t, tc.off, off)
			err := windowProblem(e, l, off, "us-east-1")
			if tc.wantType == "" {
				require.NoError(t, err)
				return
			}
			var ae *temporal.ApplicationError
			require.ErrorAs(t, err, &ae)
			require.Equal(t, tc.wantType, ae.Type())
			require.True(t, ae.NonRetryable())
			require.ErrorContains(t, err, tc.wantErrMsg)
		})
	}
}

func TestCorruptionCompletedPoints(t *testing.T) {
	n, newest := completedPoints(nil)
	require.Zero(t, n)
	require.True(t, newest.IsZero())
	n, newest = completedPoints([]activities.RecoveryPointInfo{
		{Status: "COMPLETED", Created: corrTime("2025-06-01T10:00:00Z")},
		{Status: "RUNNING", Created: corrTime("2025-06-01T14:00:00Z")},
		{Status: "COMPLETED", Created: corrTime("2025-06-01T14:00:00+02:00")},
		{Status: "COMPLETED", Created: corrTime("2025-06-01T09:00:00Z")},
	})
	require.Equal(t, 3, n)
	require.Equal(t, corrTime("2025-06-01T12:00:00Z"), newest, "the newest completed one, in UTC")
}

func TestCorruptionWindowMovesWithTheClock(t *testing.T) {
	assessed := corrTime("2025-06-01T15:00:00Z")
	rep := CorruptionReport{AssessedAt: assessed, WindowEarliest: corrTime("2025-05-25T15:00:00Z"), WindowLatest: corrTime("2025-06-01T14:55:00Z"),
		ProposedRestoreTime: corrTime("2025-06-01T14:25:00Z"),
		Windows:             []RestoreWindow{{Resource: "roadcall-users-prod", Earliest: corrTime("2025-05-25T15:00:00Z"), Latest: corrTime("2025-06-01T14:55:00Z")}}}
	cases := []struct {
		name    string
		at, now time.Time
		wantErr string
	}{
		{"inside", corrTime("2025-06-01T14:00:00Z"), assessed, ""},
		{"the start itself", corrTime("2025-05-25T15:00:00Z"), assessed, ""},
		{"before the start", corrTime("2025-05-25T14:59:59Z"), assessed, "outside the window every resource can be restored to, 2025-05-25T15:00:00Z to 2025-06-01T14:55:00Z (roadcall-users-prod 2025-05-25T15:00:00Z to 2025-06-01T14:55:00Z)"},
		{"after the end at the assessment", corrTime("2025-06-01T14:58:00Z"), assessed, "to 2025-06-01T14:55:00Z"},
		{"inside once the end has moved on", corrTime("2025-06-01T14:58:00Z"), assessed.Add(5 * time.Minute), ""},
		{"a clock before the assessment does not shrink it", corrTime("2025-06-01T14:55:00Z"), assessed.Add(-time.Hour), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := rep.inWindow(tc.at, tc.now)
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.wantErr)
		})
	}

	at, err := rep.restorePoint(Approval{}, assessed)
	require.NoError(t, err)
	require.Equal(t, rep.ProposedRestoreTime, at, "no value: the proposed time")
	_, err = rep.restorePoint(Approval{Value: "soon"}, assessed)
	require.ErrorContains(t, err, "RFC 3339")
	_, err = rep.restorePoint(Approval{Value: "2025-04-01T00:00:00Z"}, assessed)
	require.ErrorContains(t, err, "outside the window")
}

func TestCorruptionProbeRowsAndDifferences(t *testing.T) {
	src := []activities.ItemProbe{{Key: "pk=1", Found: true, Digest: "x"}, {Key: "pk=2", Found: true, Digest: "x"}, {Key: "pk=3", Found: false}, {Key: "pk=4", Found: true, Digest: "x"}}
	dst := []activities.ItemProbe{{Key: "pk=1", Found: true, Digest: "x"}, {Key: "pk=2", Found: false}, {Key: "pk=3", Found: true, Digest: "y"}, {Key: "pk=4", Found: true, Digest: "y"}}
	rows := probeRows(src, dst)
	require.Equal(t, []ProbeRow{
		{Key: "pk=1", InSource: true, InRestored: true, Same: true},
		{Key: "pk=2", InSource: true},
		{Key: "pk=3", InRestored: true},
		{Key: "pk=4", InSource: true, InRestored: true},
	}, rows)
	require.Len(t, probeRows(src, dst[:1]), 1, "only keys both sides answered")
	require.Nil(t, probeRows(nil, dst))

	cases := []struct {
		name string
		v    TableValidation
		want []string
	}{
		{"same", TableValidation{Table: "t", SourceCount: 20, RestoredCount: 20, Complete: true}, nil},
		{"fewer", TableValidation{Table: "t", SourceCount: 20, RestoredCount: 18, Complete: true},
			[]string{"t: the restore has 18 items, the source 20 (2 fewer: written after the restore point)"}},
		{"more", TableValidation{Table: "t", SourceCount: 18, RestoredCount: 20, Complete: true},
			[]string{"t: the restore has 20 items, the source 18 (2 more: deleted after the restore point)"}},
		{"incomplete count says the limit", TableValidation{Table: "t", SourceCount: 100, RestoredCount: 100},
			[]string{"t: counted only up to 100 items (corruption.scanLimit): source 100, restored 100"}},
		{"probes", TableValidation{Table: "t", Restored: "t-r", SourceCount: 1, RestoredCount: 1, Complete: true, Probes: rows}, []string{
			"t: integrity key pk=2 is MISSING from the restore t-r",
			"t: integrity key pk=3 exists in the restore but not in the source (deleted after the restore point)",
			"t: integrity key pk=4 differs between source and restore (changed after the restore point)",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, tc.v.differences(100))
		})
	}
}

// corrRestored is a run's restored resources after the restore: two tables and the cluster.
func corrRestored() []RestoredResource {
	return []RestoredResource{
		{Kind: "dynamodb-table", Source: "users", Target: "users-restored-202506011425", Requested: true, Status: "ACTIVE"},
		{Kind: "dynamodb-table", Source: "incidents", Target: "incidents-restored-202506011425"},
		{Kind: "aurora-cluster", Source: "aurora", Target: "aurora-restored-202506011425", Requested: true,
			SourceEndpoint: "aurora.cluster-x.rds", Endpoint: "aurora-restored-202506011425.cluster-x.rds"},
	}
}

func TestCorruptionCutoverPlanAndReplacements(t *testing.T) {
	rep := CorruptionReport{Region: "us-east-1", RestoreTime: corrTime("2025-06-01T14:25:00Z"), Restored: corrRestored()}
	require.Equal(t, map[string]string{
		"users": "users-restored-202506011425", "incidents": "incidents-restored-202506011425", "aurora": "aurora-restored-202506011425",
		"aurora.cluster-x.rds": "aurora-restored-202506011425.cluster-x.rds",
	}, rep.replacements())
	require.Equal(t, []string{"users", "users-restored-202506011425", "incidents", "incidents-restored-202506011425",
		"aurora", "aurora-restored-202506011425", "aurora.cluster-x.rds", "aurora-restored-202506011425.cluster-x.rds"}, rep.cutoverValues())

	noEndpoint := CorruptionReport{Restored: []RestoredResource{{Source: "aurora", Target: "aurora-r", SourceEndpoint: "aurora.x"}}}
	require.Equal(t, map[string]string{"aurora": "aurora-r"}, noEndpoint.replacements(), "an endpoint is replaced only when both are known")
	require.Equal(t, []string{"aurora", "aurora-r"}, noEndpoint.cutoverValues())

	fns := []string{"svc-a", "svc-b"}
	envs := []activities.FunctionEnv{
		{Holders: map[string][]string{"users": {"USERS_TABLE"}, "aurora": {"AURORA_CLUSTER"}}},
		{Holders: map[string][]string{"users": {"TABLE"}, "aurora-restored-202506011425": {"DB"}}},
	}
	require.Equal(t, []string{
		"users → users-restored-202506011425: svc-a.USERS_TABLE, svc-b.TABLE",
		"incidents → incidents-restored-202506011425: NO function variable names it; the application will not use this restore",
		"aurora → aurora-restored-202506011425: svc-a.AURORA_CLUSTER, svc-b.DB (already)",
	}, cutoverPlan(rep.Restored, fns, envs))

	var ssm map[string]any
	require.NoError(t, json.Unmarshal([]byte(rep.ssmValue()), &ssm))
	require.Equal(t, map[string]any{"region": "us-east-1", "restoreTime": "2025-06-01T14:25:00Z",
		"tables":        map[string]any{"users": "users-restored-202506011425", "incidents": "incidents-restored-202506011425"},
		"auroraCluster": "aurora-restored-202506011425", "auroraEndpoint": "aurora-restored-202506011425.cluster-x.rds"}, ssm)
	tablesOnly := CorruptionReport{Region: "us-west-2", RestoreTime: rep.RestoreTime, Restored: rep.Restored[:1]}
	require.JSONEq(t, `{"region":"us-west-2","restoreTime":"2025-06-01T14:25:00Z","tables":{"users":"users-restored-202506011425"}}`, tablesOnly.ssmValue())
}

func TestCorruptionResumeChangePutsBackExactlyThePrior(t *testing.T) {
	was := "false"
	require.Equal(t, activities.EnvChange{Region: "us-east-1", Function: "fn", Unset: []string{ReadOnlyVar}},
		resumeChange(WriteStop{Resource: "fn", Recorded: true}, "us-east-1"), "not set before: removed")
	require.Equal(t, activities.EnvChange{Region: "us-east-1", Function: "fn", Set: map[string]string{ReadOnlyVar: "false"}},
		resumeChange(WriteStop{Resource: "fn", Recorded: true, PriorValue: &was}, "us-east-1"), "set before: its value again")
}

func TestCorruptionWriteStopPrevious(t *testing.T) {
	was := "maybe"
	cases := []struct {
		ws   WriteStop
		want string
	}{
		{WriteStop{}, ReadOnlyVar + " not set"},
		{WriteStop{PriorValue: &was}, ReadOnlyVar + "=maybe"},
		{WriteStop{PriorThrottle: &activities.StageThrottle{Set: true, RateLimit: 10000, BurstLimit: 5000}}, "rate 10000/s burst 5000"},
	}
	for _, tc := range cases {
		require.Equal(t, tc.want, tc.ws.Previous())
	}
}

func TestCorruptionWritesStoppedKeptAndMessage(t *testing.T) {
	cases := []struct {
		name    string
		stops   []WriteStop
		phase   string
		stopped bool
		want    string
	}{
		{"completed", []WriteStop{{Recorded: true, Resumed: true}}, PhaseCompleted, false,
			"Restored to 2025-06-01T14:25:00Z and cut over to users-restored-202506011425, aurora-restored-202506011425; writes resumed."},
		{"aborted with one stop not undone", []WriteStop{{Recorded: true, Resumed: true}, {Recorded: true}}, PhaseAborted, true,
			"Run aborted. WRITES ARE STILL STOPPED (lambda-flag). Restored resources kept: users-restored-202506011425, aurora-restored-202506011425."},
		{"a stop never recorded changed nothing", []WriteStop{{}}, PhaseCancelled, false,
			"Run cancelled; writes are not stopped. Restored resources kept: users-restored-202506011425, aurora-restored-202506011425."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep := CorruptionReport{WriteStopMode: topology.WriteStopLambdaFlag, RestoreTime: corrTime("2025-06-01T14:25:00Z"), Restored: corrRestored(), WriteStops: tc.stops}
			require.Equal(t, tc.stopped, rep.writesStopped())
			rep.WritesStopped = rep.writesStopped()
			require.Equal(t, tc.want, rep.message(tc.phase))
		})
	}
	rep := CorruptionReport{Restored: corrRestored()}
	require.Equal(t, []string{"dynamodb-table users-restored-202506011425 (restore of users, ACTIVE)",
		"aurora-cluster aurora-restored-202506011425 (restore of aurora, an operator)"}, rep.kept(), "only restores that were started")
	nothing := CorruptionReport{WriteStopMode: topology.WriteStopAPIThrottle, WriteStops: []WriteStop{{Recorded: true}}, WritesStopped: true}
	require.Nil(t, nothing.kept())
	require.Equal(t, "Run aborted. WRITES ARE STILL STOPPED (api-throttle).", nothing.message(PhaseAborted))
	var empty CorruptionReport
	require.Equal(t, "Run failed; writes are not stopped.", empty.message(PhaseFailed))
}

func TestCorruptionGateSummaries(t *testing.T) {
	rep := CorruptionReport{RestoreTime: corrTime("2025-06-01T14:25:00Z"), CutoverPlan: []string{"a → b: fn.TABLE", "c → d: fn.DB"}}
	base := "Point the application at the data restored to 2025-06-01T14:25:00Z, then resume writes. Cutover: a → b: fn.TABLE; c → d: fn.DB."
	tail := " Reject to keep writes stopped and the restored resources in place."
	require.Equal(t, base+" Validation found no differences."+tail, rep.cutoverSummary(false))
	require.Equal(t, base+" Validation was SKIPPED: the restored data was NOT compared with the source; check it before approving."+tail, rep.cutoverSummary(true))
	rep.Differences = []string{"x", "y"}
	require.Equal(t, base+" Validation found 2 difference(s): x; y."+tail, rep.cutoverSummary(false))
	require.Contains(t, rep.cutoverSummary(true), "SKIPPED", "SKIPPED is said whatever Differences holds")

	resume := CorruptionReport{WriteStops: make([]WriteStop, 3)}
	require.Equal(t, "The run aborted while writes were stopped on 3 resource(s). Approve to restore exactly the previous settings, so the application writes again to the ORIGINAL resources, which may hold corrupted data; reject, or let the deadline pass, to keep writes stopped.",
		resume.resumeSummary(PhaseAborted))
	resume.CutoverDone = true
	require.Contains(t, resume.resumeSummary(PhaseCancelled), "The run cancelled while writes were stopped on 3 resource(s).")
	require.Contains(t, resume.resumeSummary(PhaseCancelled), "writes again to the restored resources (the cutover was done);")

	assessed := corrTime("2025-06-01T15:00:00Z")
	rp := CorruptionReport{Restored: corrRestored(), CorruptionStartedAt: corrTime("2025-06-01T14:30:00Z"), ProposedRestoreTime: corrTime("2025-06-01T14:25:00Z"),
		AssessedAt: assessed, WindowEarliest: corrTime("2025-05-25T15:00:00Z"), WindowLatest: corrTime("2025-06-01T14:55:00Z")}
	want := "Restore 3 resource(s) to 2025-06-01T14:25:00Z: the corruption started at 2025-06-01T14:30:00Z, minus the margin of 5m0s. Every resource can be restored to any time from 2025-05-25T15:00:00Z to 2025-06-01T14:55:00Z (the end moves with the clock)." +
		" Approve as proposed, or approve with value=<RFC 3339 time> to choose another time. Writes stay stopped meanwhile."
	require.Equal(t, want, rp.restorePointSummary(topology.Duration(5*time.Minute)))
	rp.RecoveryPoints, rp.NewestRecoveryPoint = 2, corrTime("2025-06-01T12:00:00Z")
	require.Equal(t, want+" The vault also holds 2 recent recovery point(s), the newest from 2025-06-01T12:00:00Z.", rp.restorePointSummary(topology.Duration(5*time.Minute)))
	rp.ProposedRestoreTime = corrTime("2025-05-20T00:00:00Z")
	require.Contains(t, rp.restorePointSummary(topology.Duration(5*time.Minute)), " The proposed time is OUTSIDE that window: approve with value set to a time inside it.")
}

func TestCorruptionTexts(t *testing.T) {
	require.Equal(t, "Stop writes: READ_ONLY_MODE=true merged into every function's environment", stopTitle(topology.WriteStopLambdaFlag))
	require.Equal(t, "Stop writes: throttle the API stage to 0 for all methods", stopTitle(topology.WriteStopAPIThrottle))

	topo := topology.Topology{PrimaryRegion: "us-east-1", DRRegion: "us-west-2"}
	topo.Aurora.GlobalClusterID = "roadcall-global"
	require.Equal(t, "the restored tables are single-region tables and the restored cluster is outside global cluster roadcall-global: re-establish replication to us-west-2 to get DR protection back",
		replicationNote(topo, "us-east-1", false))
	require.Equal(t, "the restored tables are single-region tables: re-establish replication to us-east-1 to get DR protection back",
		replicationNote(topo, "us-west-2", true), "served from the DR region: replicate back to the primary")

	topo.Corruption.WriteStop = topology.WriteStopAPIThrottle
	subject, message := stoppedPage(topo, corrTime("2025-06-01T14:30:00Z"))
	require.Equal(t, "Writes stopped on "+topo.ID()+": data corruption recovery under way", subject)
	require.Equal(t, "Corruption reported from 2025-06-01T14:30:00Z. Writes are stopped (api-throttle) until the restored data is cut over.", message)
}
