package workflows

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roadcall/dr/internal/topology"
)

// TestOversizedApprovalsAreRefusedBriefly: a 1 MB gate in the update and three 1 MB signals are refused
// without being quoted, status stays small, and a valid approval still completes the run.
func TestOversizedApprovalsAreRefusedBriefly(t *testing.T) {
	m := newMachinery(t)
	huge := strings.Repeat("g", 1<<20)
	var refused error
	m.update(time.Minute, UpdateApprove, Approval{Gate: huge, Decision: "approve", Approver: "alice"}, &refused)
	m.signal(time.Minute, SignalApprove, Approval{Gate: huge, Decision: "approve", Approver: "alice"})
	m.signal(time.Minute, SignalApprove, Approval{Gate: "go", Decision: "approve", Approver: huge})
	m.signal(time.Minute, SignalApprove, Approval{Gate: "go", Decision: "approve", Approver: "alice", Comment: huge})
	var seen Status
	var size int
	m.env.RegisterDelayedCallback(func() {
		seen = m.query(t)
		b, _ := json.Marshal(seen)
		size = len(b)
	}, 2*time.Minute)
	m.signal(3*time.Minute, SignalApprove, Approval{Gate: "go", Decision: "approve", Approver: "alice"})
	res := m.run(t, gateTestRequest{})

	require.ErrorContains(t, refused, "gate: 1048576 bytes, over the 64-byte limit")
	require.Less(t, len(refused.Error()), 300)
	require.Len(t, seen.Ignored, 3)
	require.Contains(t, seen.Ignored[0], "gate: 1048576 bytes, over the 64-byte limit")
	require.Contains(t, seen.Ignored[1], "approver: 1048576 bytes, over the 2048-byte limit")
	require.Contains(t, seen.Ignored[2], "comment: 1048576 bytes, over the 1024-byte limit")
	require.Less(t, size, 16<<10, "status quotes none of the megabytes")
	require.Equal(t, PhaseCompleted, res.Phase)
	require.Equal(t, []string{"alice"}, res.Values)
}

// TestUndecodableSignalsAreRecorded: the SDK would drop these with a log line; the run records each with
// the field at fault.
func TestUndecodableSignalsAreRecorded(t *testing.T) {
	m := newMachinery(t)
	m.signal(time.Minute, SignalApprove, map[string]any{"gate": 5, "decision": "approve"})
	m.signal(time.Minute, SignalApprove, "approve")
	m.signal(time.Minute, SignalApprove, map[string]any{"gate": "go", "token": map[string]any{"url": 7}})
	m.signal(time.Minute, SignalOperator, map[string]any{"action": []int{1}})
	m.signal(2*time.Minute, SignalApprove, Approval{Gate: "go", Decision: "approve", Approver: "alice"})
	res := m.run(t, gateTestRequest{})
	require.Equal(t, PhaseCompleted, res.Phase)
	require.Len(t, res.Status.Ignored, 4, "%q", res.Status.Ignored)
	require.Contains(t, res.Status.Ignored[0], "approve signal ignored: gate: has JSON type number, want string")
	require.Contains(t, res.Status.Ignored[1], "approve signal ignored: input: is a JSON string, want an object")
	require.Contains(t, res.Status.Ignored[2], "token.url: has JSON type number, want string")
	require.Contains(t, res.Status.Ignored[3], "operator signal ignored: action: has JSON type array")
}

// TestIgnoredKeepsTheLatest: a flood of refused signals keeps the latest MaxIgnored and counts the rest.
func TestIgnoredKeepsTheLatest(t *testing.T) {
	m := newMachinery(t)
	for i := range 100 {
		m.signal(time.Minute+time.Duration(i)*time.Second, SignalApprove, Approval{Gate: "go", Decision: "approve", Approver: "mallory" + strings.Repeat("x", i)})
	}
	m.signal(5*time.Minute, SignalApprove, Approval{Gate: "go", Decision: "approve", Approver: "alice"})
	res := m.run(t, gateTestRequest{})
	require.Equal(t, PhaseCompleted, res.Phase)
	require.Len(t, res.Status.Ignored, MaxIgnored)
	require.Equal(t, 100-MaxIgnored, res.Status.IgnoredDropped)
	require.Contains(t, res.Status.Ignored[MaxIgnored-1], "mallory"+strings.Repeat("x", 99))
}

// TestNotesStayBounded keeps the first notes and the latest, counting those dropped between.
func TestNotesStayBounded(t *testing.T) {
	r := &run{status: &Status{}}
	for i := range MaxNotes + 50 {
		r.addNote(strings.Repeat("n", 5000) + string(rune('a'+i%26)))
	}
	require.Len(t, r.status.Notes, MaxNotes)
	require.Equal(t, 50, r.status.NotesDropped)
	for _, n := range r.status.Notes {
		require.LessOrEqual(t, len(n), maxNoteLen+40)
	}
}

// TestWorstCaseStatusFitsTheBlobLimit builds status with every bounded list full of the longest entries
// the limits allow and checks it stays well under Temporal's 2 MB blob limit (512 KB is where the server
// starts warning).
func TestWorstCaseStatusFitsTheBlobLimit(t *testing.T) {
	long := func(n int) string { return strings.Repeat("é", n) } // multi-byte: the cut must stay on a rune
	r := &run{status: &Status{Workflow: WorkflowRegionFailover}}
	for range MaxNotes * 2 {
		r.addNote(long(maxNoteLen))
	}
	for range MaxIgnored * 3 {
		msg := bounded(long(maxIgnoredLen), maxIgnoredLen)
		r.status.Ignored = append(r.status.Ignored, msg)
	}
	r.status.Ignored = r.status.Ignored[len(r.status.Ignored)-MaxIgnored:]
	// Approvals: every gate of every scenario, M-of-N with a policy's worth of approvers, each at the limits.
	for range 4 * 10 {
		r.status.Approvals = append(r.status.Approvals, Approval{Gate: strings.Repeat("g", MaxGateLen), Decision: "approve",
			Approver: strings.Repeat("a", MaxPrincipalLen), Comment: strings.Repeat("c", MaxCommentLen), Value: strings.Repeat("v", MaxValueLen)})
	}
	for range 40 {
		r.status.Steps = append(r.status.Steps, StepRecord{Name: strings.Repeat("s", MaxStepLen), Title: long(200), Error: long(2000), Detail: long(2000)})
	}
	b, err := json.Marshal(r.status)
	require.NoError(t, err)
	t.Logf("worst-case status: %d bytes", len(b))
	require.Less(t, len(b), 1<<20)
}

// TestHarmfulValuesAreRefusedWithFieldAndLimit: each value the hostile-input review found accepted is
// refused by Validate, which the workflow and the starter both run, naming the field and the limit.
func TestHarmfulValuesAreRefusedWithFieldAndLimit(t *testing.T) {
	cases := map[string]struct {
		edit func(r *FailoverRequest)
		want []string
	}{
		"escalationInterval": {func(r *FailoverRequest) {
			r.Topology.Approvals.EscalationInterval = topology.Duration(time.Millisecond)
		},
			[]string{"approvals.escalationInterval", "1ms is under the minimum of 30s"}},
		"monitorWindow": {func(r *FailoverRequest) { r.MonitorWindow = topology.Duration(2562047 * time.Hour) },
			[]string{"monitorWindow", "over the maximum of 24h0m0s"}},
		"thresholds.monitorWindow": {func(r *FailoverRequest) { r.Topology.Thresholds.MonitorWindow = topology.Duration(25 * time.Hour) },
			[]string{"thresholds.monitorWindow", "over the maximum of 24h0m0s"}},
		"probeTimeout short": {func(r *FailoverRequest) { r.ProbeTimeout = topology.Duration(time.Nanosecond) },
			[]string{"probeTimeout", "1ns is under the minimum of 100ms", "from 100ms to 1m0s"}},
		"probeTimeout long": {func(r *FailoverRequest) { r.ProbeTimeout = topology.Duration(time.Hour) }, []string{"probeTimeout", "over the maximum of 1m0s"}},
		"platform": {func(r *FailoverRequest) { r.Topology.Platform = strings.Repeat("p", 300000) },
			[]string{`"platform"`, "is 300000 bytes, over the 63-byte limit"}},
		"platform label": {func(r *FailoverRequest) { r.Topology.Platform = "Road Call!" }, []string{`"platform"`, "DNS label"}},
		"stage":          {func(r *FailoverRequest) { r.Topology.Stage = "prod_1" }, []string{`"stage"`, "DNS label"}},
		"initiator":      {func(r *FailoverRequest) { r.Initiator = strings.Repeat("i", 1<<20) }, []string{`"initiator"`, "over the 2048-byte limit"}},
		"table":          {func(r *FailoverRequest) { r.Topology.Tables[0].Name = "a b" }, []string{"tables[0].name", "DynamoDB's TableName"}},
		"cluster":        {func(r *FailoverRequest) { r.Topology.Aurora.DRClusterID = "1-bad--id" }, []string{"aurora.drClusterId", "cluster identifier"}},
		"function":       {func(r *FailoverRequest) { r.Topology.Functions[0].Name = strings.Repeat("f", 65) }, []string{"functions[0].name", "FunctionName"}},
		"stack":          {func(r *FailoverRequest) { r.Topology.Stacks.Names[0] = "9stack" }, []string{"stacks.names[0]", "StackName"}},
		"topic":          {func(r *FailoverRequest) { r.Topology.AlarmTopic = "a:b" }, []string{"alarmTopic", "topic name"}},
		"vault":          {func(r *FailoverRequest) { r.Topology.BackupVault = "v" }, []string{"backupVault", "vault name"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r := FailoverRequest{Common: Common{Topology: localTopology(t)}}
			require.NoError(t, r.Validate(), "the local topology is within every limit")
			c.edit(&r)
			err := r.Validate()
			require.Error(t, err)
			for _, w := range c.want {
				require.Contains(t, err.Error(), w)
			}
			require.Less(t, len(err.Error()), 2000, "a refusal quotes at most a prefix")
		})
	}
}

// TestRunsBeforeTheLimitsReplayWithoutThem: a run recorded before inputLimits validates as it did then.
func TestRunsBeforeTheLimitsReplayWithoutThem(t *testing.T) {
	r := FailoverRequest{Common: Common{Topology: localTopology(t), withoutLimits: true}, ProbeTimeout: topology.Duration(time.Nanosecond)}
	r.Topology.Approvals.EscalationInterval = topology.Duration(time.Millisecond)
	require.NoError(t, r.Validate())
}
