package workflows

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/topology"
)

// withTables is topo with n tables, the first ones its own.
func withTables(topo topology.Topology, n int) topology.Topology {
	tables := append([]topology.Table{}, topo.Tables...)
	for i := len(tables); i < n; i++ {
		tables = append(tables, topology.Table{Name: fmt.Sprintf("roadcall-t-%04d-prod", i)})
	}
	topo.Tables = tables[:n]
	return topo
}

// batchFake answers CheckTables as awssim would with every table healthy except those in failing (table →
// check kind → what is seen), and records every batch asked for.
type batchFake struct {
	mu      sync.Mutex
	batches []activities.TableBatch
	failing map[string]map[string]string
}

func (b *batchFake) register(env *testsuite.TestWorkflowEnvironment) {
	env.OnActivity(a.CheckTables, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.TableBatch) (activities.TableBatchResult, error) {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.batches = append(b.batches, in)
		res := activities.TableBatchResult{Tables: len(in.Tables), Checks: make([]activities.CheckSummary, len(in.Checks))}
		for i, c := range in.Checks {
			res.Checks[i] = activities.CheckSummary{Kind: c.Kind, Region: c.Region, Replica: c.Replica}
			for _, tb := range in.Tables {
				p := activities.TableProblem{Table: tb}
				if seen, ok := b.failing[tb][c.Kind]; ok {
					p.Status, p.Observed = activities.TableFail, seen
				}
				res.Checks[i].Add(p)
			}
		}
		return res, nil
	})
}

// tablesAsked is how often each table was asked for with checks of that kind.
func (b *batchFake) tablesAsked(kind string) map[string]int {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := map[string]int{}
	for _, in := range b.batches {
		if in.Checks[0].Kind != kind {
			continue
		}
		for _, tb := range in.Tables {
			out[tb]++
		}
	}
	return out
}

// A failover of 250 tables reads them in batches of at most 100 (3 for the assessment, 3 for verify),
// never one activity per table, and its report summarizes them: counts and the failing table by name.
func TestFailoverReadsManyTablesInBatches(t *testing.T) {
	s := newFailoverFake(t)
	s.topo = withTables(s.topo, 250)
	bad := s.topo.Tables[42].Name
	b := &batchFake{failing: map[string]map[string]string{bad: {activities.CheckReplica: "replica us-west-2 CREATING"}}}
	b.register(s.env)
	var atGate Status
	s.env.RegisterDelayedCallback(func() { atGate = s.status() }, time.Minute)
	s.signal(2*time.Minute, SignalApprove, approve("alice"))
	rep := s.run(FailoverRequest{Common: Common{Initiator: "bob"}, MonitorWindow: topology.Duration(time.Minute)})

	require.Equal(t, PhaseCompleted, rep.Outcome, rep.Steps)
	require.Len(t, b.batches, 6)
	for _, in := range b.batches {
		require.LessOrEqual(t, len(in.Tables), tableBatchSize)
	}
	for _, kind := range []string{activities.CheckReplica, activities.CheckScan} {
		asked := b.tablesAsked(kind)
		require.Len(t, asked, 250, kind)
		for tb, n := range asked {
			require.Equal(t, 1, n, "%s asked %d times for %s", tb, n, kind)
		}
	}
	require.Zero(t, s.count("ScanOne "+s.topo.Tables[0].Name), "no per-table Scan")

	as := rep.Assessment
	require.Empty(t, as.Replicas)
	require.Empty(t, as.Reads)
	require.Equal(t, 250, as.Tables.Tables)
	require.Equal(t, 249, as.Tables.Check(0).OK)
	require.Equal(t, 250, as.Tables.Check(1).OK)
	require.Contains(t, strings.Join(as.Findings, "\n"), "1 of 250 DynamoDB replicas in us-west-2 are not ACTIVE: "+bad+" (replica us-west-2 CREATING)")
	require.Contains(t, atGate.PendingGate.Summary, "DynamoDB replicas ACTIVE in us-west-2: 249/250")
	require.Equal(t, 250, rep.Verify.TableReads.Check(0).OK)
	require.Empty(t, rep.Verify.Scans)
	require.Contains(t, stepDetail(rep.Steps, "verify"), "250/250 tables readable")
}

func stepDetail(steps []StepRecord, name string) string {
	for _, s := range steps {
		if s.Name == name {
			return s.Detail
		}
	}
	return ""
}

// A table verify cannot read holds the step, named in the problem.
func TestFailoverBatchedVerifyNamesUnreadableTables(t *testing.T) {
	s := newFailoverFake(t)
	s.topo = withTables(s.topo, 120)
	bad := s.topo.Tables[110].Name
	b := &batchFake{failing: map[string]map[string]string{bad: {activities.CheckScan: "unreadable: AccessDeniedException"}}}
	b.register(s.env)
	s.signal(time.Minute, SignalApprove, approve("alice"))
	var st Status
	s.env.RegisterDelayedCallback(func() { st = s.status() }, 30*time.Minute)
	s.signal(31*time.Minute, SignalOperator, OperatorAction{Action: "abort", Step: "verify", Operator: "carol"})
	s.run(FailoverRequest{Common: Common{Initiator: "bob"}, MonitorWindow: topology.Duration(time.Minute)})
	require.Equal(t, PhaseAwaitingOperator, st.Phase)
	require.Equal(t, []string{"verify"}, st.PausedSteps)
	require.Contains(t, st.LastError, "1 of 120 tables do not answer reads in us-west-2: "+bad+" (unreadable: AccessDeniedException)")
}

// Runs recorded before batchedReads replay the per-table reads, and a topology of batchAbove tables or
// fewer asks for no version at all.
func TestFailoverBatchedReadsDefaultVersionReadsEachTable(t *testing.T) {
	s := newFailoverFake(t)
	s.topo = withTables(s.topo, 40)
	s.env.OnGetVersion(string(batchedReads), workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	b := &batchFake{}
	b.register(s.env)
	s.signal(time.Minute, SignalApprove, approve("alice"))
	rep := s.run(FailoverRequest{Common: Common{Initiator: "bob"}, MonitorWindow: topology.Duration(time.Minute)})
	require.Equal(t, PhaseCompleted, rep.Outcome)
	require.Empty(t, b.batches)
	require.Len(t, rep.Assessment.Replicas, 40)
	require.Len(t, rep.Verify.Scans, 40)
	require.Equal(t, 2, s.count("ScanOne "+s.topo.Tables[39].Name), "assessment and verify")
	require.Nil(t, rep.Assessment.Tables)
}

// Failback's data sync reads replicas and latency both ways in batches; a table out of sync holds the
// step with its name.
func TestFailbackSyncsManyTablesInBatches(t *testing.T) {
	s := newFailbackFake(t)
	s.topo = withTables(s.topo, 150)
	b := &batchFake{}
	b.register(s.env)
	s.signal(6*time.Minute, SignalApprove, Approval{Gate: GateFailback, Decision: "approve", Approver: "alice"})
	var atGate Status
	s.env.RegisterDelayedCallback(func() { atGate = s.status() }, 5*time.Minute)
	rep := s.run(FailbackRequest{MonitorWindow: topology.Duration(5 * time.Minute)})
	require.Equal(t, PhaseCompleted, rep.Outcome, rep.Steps)
	require.Len(t, b.batches, 4, "sync 2, verify 2")
	require.Equal(t, []string{activities.CheckReplica, activities.CheckReplica, activities.CheckLatency, activities.CheckLatency},
		[]string{b.batches[0].Checks[0].Kind, b.batches[0].Checks[1].Kind, b.batches[0].Checks[2].Kind, b.batches[0].Checks[3].Kind})
	require.Empty(t, rep.Sync.Tables)
	require.Equal(t, 150, rep.Sync.TableReads.Tables)
	require.Contains(t, atGate.PendingGate.Summary, "DynamoDB tables in sync both ways: 150/150")
	require.Equal(t, 150, rep.Verify.TableReads.Check(0).OK)
}

// ReadinessCheck of many tables reports one row per per-table check, over all of them, failing with the
// tables named.
func TestReadinessSummarizesManyTables(t *testing.T) {
	topo := withTables(localTopology(t), 300)
	env := newEnv(t)
	healthyReadinessMocks(env, topo, 30)
	env.OnActivity(a.Publish, mock.Anything, mock.Anything).Return(activities.PublishResult{}, nil)
	bad := topo.Tables[299].Name
	b := &batchFake{failing: map[string]map[string]string{bad: {activities.CheckPITR: "point-in-time recovery DISABLED"}}}
	b.register(env)
	env.ExecuteWorkflow(ReadinessCheck, ReadinessRequest{Common: Common{Topology: topo}})
	require.NoError(t, env.GetWorkflowError())
	var rep ReadinessReport
	require.NoError(t, env.GetWorkflowResult(&rep))
	require.Len(t, b.batches, 3)
	rows := map[string]CheckRow{}
	for _, r := range rep.Rows {
		if strings.HasPrefix(r.Check, "dynamodb-") {
			require.NotContains(t, rows, r.Check, "one row per check")
			rows[r.Check] = r
		}
	}
	require.Len(t, rows, 3)
	require.Equal(t, Pass, rows["dynamodb-replica"].Status)
	require.Equal(t, Fail, rows["dynamodb-pitr"].Status)
	require.Contains(t, rows["dynamodb-pitr"].Observed, "299/300 pass, 0 warn, 1 fail: "+bad+" (point-in-time recovery DISABLED)")
	require.True(t, rep.Alarmed)
}

// The drill's "user accounts are accessible" item reads the batched summary: a user table it names as
// unreadable fails the item, and so does a summary that could not name every failure.
func TestTableReadableFromTheSummary(t *testing.T) {
	sum := func(failed int, named ...string) *VerifyResult {
		s := activities.CheckSummary{Kind: activities.CheckScan, Failed: failed}
		for _, n := range named {
			s.Problems = append(s.Problems, activities.TableProblem{Table: n, Status: activities.TableFail})
		}
		return &VerifyResult{TableReads: &TableReads{Tables: 2000, Checks: []activities.CheckSummary{s}}}
	}
	require.True(t, tableReadable(sum(0), "users"))
	require.True(t, tableReadable(sum(1, "other"), "users"))
	require.False(t, tableReadable(sum(1, "users"), "users"))
	require.False(t, tableReadable(sum(30, "a", "b"), "users"), "unnamed failures may include it")
	require.False(t, tableReadable(sum(100, "a … z"), "users"), "a whole batch failed")
	require.True(t, tableReadable(&VerifyResult{Scans: []activities.ScanResult{{Table: "users"}}}, "users"))
}
