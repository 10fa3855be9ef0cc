package workflows

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdkpb "go.temporal.io/api/sdk/v1"
)

// A pause of the wrong type used to be dropped by the SDK with a worker log line: it must show in the
// status and the UI's details, and leave the watch running and not paused.
func TestWatchRecordsMalformedPause(t *testing.T) {
	f := newWatchFake(t)
	f.at(time.Second, func() { f.env.SignalWorkflow(SignalPause, 42) })
	f.at(1500*time.Millisecond, func() {
		f.env.SignalWorkflow(SignalPause, WatchControl{By: "mallory", Reason: strings.Repeat("r", MaxCommentLen+1)})
	})
	var refused WatchStatus
	var details string
	f.at(3*time.Second, func() {
		refused = f.status()
		v, err := f.env.QueryWorkflow("__temporal_workflow_metadata")
		require.NoError(t, err)
		var md sdkpb.WorkflowMetadata
		require.NoError(t, v.Get(&md))
		details = md.GetCurrentDetails()
	})
	f.setOutage(4*time.Second, true)
	st := f.run(WatchRequest{}, 20*time.Second)

	require.False(t, refused.Paused)
	require.Len(t, refused.Ignored, 2, "%q", refused.Ignored)
	require.Contains(t, refused.Ignored[0], "pause signal ignored")
	require.Contains(t, refused.Ignored[0], "want an object")
	require.Contains(t, refused.Ignored[1], "reason: 1025 bytes, over the 1024-byte limit")
	require.Less(t, len(refused.Ignored[1]), 200, "the refusal does not quote the value")
	require.Contains(t, details, "2 signal(s) refused")
	require.Contains(t, details, "over the 1024-byte limit")
	require.False(t, st.Paused)
	require.Len(t, f.started(), 1, "the watch kept watching: the outage after the refused pause started a failover")
}

// Refusals are bounded like a run's: the latest MaxIgnored, older ones counted.
func TestWatchIgnoredBounded(t *testing.T) {
	f := newWatchFake(t)
	f.at(time.Second, func() {
		for range MaxIgnored + 5 {
			f.env.SignalWorkflow(SignalResume, "not an object")
		}
	})
	st := f.run(WatchRequest{}, 5*time.Second)
	require.Len(t, st.Ignored, MaxIgnored)
	require.Equal(t, 5, st.IgnoredDropped)
	require.Contains(t, st.Ignored[0], "resume signal ignored")
}

func TestWatchPauseThenResumeInOneTask(t *testing.T) {
	f := newWatchFake(t)
	f.at(time.Second, func() {
		f.env.SignalWorkflow(SignalPause, WatchControl{By: "alice"})
		f.env.SignalWorkflow(SignalResume, WatchControl{By: "alice"})
	})
	f.setOutage(2*time.Second, true)
	st := f.run(WatchRequest{}, 12*time.Second)
	require.False(t, st.Paused, "pause then resume ends resumed")
	require.Empty(t, st.Ignored)
	require.Len(t, f.started(), 1)
}

func TestWatchRefusesOversizedRequest(t *testing.T) {
	refuse := func(req WatchRequest, field string) {
		t.Helper()
		env := newEnv(t)
		req.Topology = upsertTopology(t)
		env.ExecuteWorkflow(OutageWatch, req)
		err := env.GetWorkflowError()
		require.Error(t, err)
		require.True(t, IsInvalidRequest(err), "%v", err)
		require.Contains(t, err.Error(), `field "`+field+`"`)
		require.Less(t, len(err.Error()), 2000, "the refusal does not quote the value")
	}
	refuse(WatchRequest{Common: Common{Initiator: strings.Repeat("x", 300000)}}, "initiator")
	refuse(WatchRequest{State: &WatchState{PauseReason: strings.Repeat("x", 5000)}}, "state.pauseReason")
	refuse(WatchRequest{State: &WatchState{Recent: make([]Evaluation, watchHistory+1)}}, "state.recent")
	refuse(WatchRequest{State: &WatchState{Ignored: make([]string, MaxIgnored+1)}}, "state.ignored")

	// What the watch carries itself passes: a full history of long evaluations is cut, not refused.
	var recent []Evaluation
	for range watchHistory + 3 {
		recent = keepRecent(recent, Evaluation{Decision: strings.Repeat("d", 5000), Signals: []WatchSignal{{Name: "probe", Detail: strings.Repeat("e", 5000)}}}, watchHistory)
	}
	req := WatchRequest{State: &WatchState{Recent: recent}}
	req.Topology = upsertTopology(t)
	require.NoError(t, req.Validate())
}
