package activities

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/roadcall/dr/internal/awsclient"
	"github.com/roadcall/dr/internal/awssim"
	"github.com/roadcall/dr/internal/topology"
)

func tableNames(sim *awssim.Server) []string {
	var out []string
	for _, tb := range sim.Topology().Tables {
		out = append(out, tb.Name)
	}
	return out
}

// Every check over the local topology's tables, against awssim through the SDK: all pass in the steady
// state; a table without PITR and one missing in DR are named, with counts; running it twice changes
// nothing in AWS (read-only: the journal of mutating calls stays empty) and answers the same.
func TestCheckTablesSummarizesAndIsReadOnly(t *testing.T) {
	sim, acts, topo := capacitySim(t)
	tables := tableNames(sim)
	in := TableBatch{Tables: tables, Checks: []TableCheck{
		{Kind: CheckReplica, Region: topo.DRRegion, Replica: topo.DRRegion},
		{Kind: CheckScan, Region: topo.DRRegion},
		{Kind: CheckPITR, Region: topo.PrimaryRegion},
		{Kind: CheckLatency, Region: topo.PrimaryRegion, Replica: topo.DRRegion, WarnNoData: true},
	}}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(acts)
	run := func() TableBatchResult {
		v, err := env.ExecuteActivity(acts.CheckTables, in)
		require.NoError(t, err)
		var res TableBatchResult
		require.NoError(t, v.Get(&res))
		return res
	}
	res := run()
	require.Equal(t, len(tables), res.Tables)
	for _, c := range res.Checks[:3] {
		require.Equal(t, len(tables), c.OK, "%+v", c)
		require.Zero(t, c.Failed+c.Warned, "%+v", c)
	}

	noPITR, gone := tables[1], tables[3]
	sim.With(func(w *awssim.World) {
		w.Regions[topo.PrimaryRegion].Tables[noPITR].PITR = false
		delete(w.Regions[topo.DRRegion].Tables, gone)
	})
	journal := len(sim.Journal())
	res = run()
	require.Equal(t, journal, len(sim.Journal()), "CheckTables made a mutating call")
	again := run()
	require.Equal(t, res, again, "twice answers as once")
	require.Equal(t, journal, len(sim.Journal()))

	replica, scan, pitr := res.Checks[0], res.Checks[1], res.Checks[2]
	require.Equal(t, len(tables)-1, replica.OK)
	require.Equal(t, 1, replica.Failed)
	require.Equal(t, gone, replica.Problems[0].Table)
	require.Contains(t, replica.Problems[0].Observed, "ResourceNotFoundException", "a table's own refusal is its failure, not a retry")
	require.Equal(t, 1, scan.Failed)
	require.Equal(t, TableProblem{Table: noPITR, Status: TableFail, Observed: "point-in-time recovery DISABLED"}, pitr.Problems[0])
}

// A transient error (InternalFailure after the SDK's retries) fails the attempt, so Temporal retries it;
// the retried attempt resumes after the heartbeat's tables: the counts it carried are kept and those
// tables are not read again.
func TestCheckTablesRetriesTransientErrorsAndResumesFromItsHeartbeat(t *testing.T) {
	sim, acts, topo, scans := countingSim(t)
	tables := tableNames(sim)
	in := TableBatch{Tables: tables, Checks: []TableCheck{{Kind: CheckScan, Region: topo.DRRegion}}}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(acts)

	id, err := sim.AddFault(awssim.Fault{Kind: awssim.FaultError, Service: "dynamodb", Operation: "Scan", Code: "InternalServerError", Status: 500})
	require.NoError(t, err)
	_, err = env.ExecuteActivity(acts.CheckTables, in)
	require.Error(t, err)
	require.True(t, retryable(err), "a 5xx is retried by Temporal, not counted as a failing table: %v", err)
	require.True(t, sim.RemoveFault(id))

	// The first attempt had counted the first three tables (one of them failing) when it heartbeat.
	prior := TableBatchResult{Tables: 3, Checks: []CheckSummary{{Kind: CheckScan, Region: topo.DRRegion, OK: 2, Failed: 1,
		Problems: []TableProblem{{Table: tables[0], Status: TableFail, Observed: "from the first attempt"}}}}}
	env.SetHeartbeatDetails(tableBatchProgress{Next: 3, Result: prior})
	before := scans.Load()
	v, err := env.ExecuteActivity(acts.CheckTables, in)
	require.NoError(t, err)
	var res TableBatchResult
	require.NoError(t, v.Get(&res))
	require.Equal(t, len(tables), res.Tables)
	require.Equal(t, len(tables)-1, res.Checks[0].OK)
	require.Equal(t, "from the first attempt", res.Checks[0].Problems[0].Observed)
	require.Equal(t, len(tables)-3, int(scans.Load()-before), "only the tables after the heartbeat were read")
}

// The summary names at most MaxNamedProblems tables however many fail, and counts them all.
func TestCheckSummaryCapsNamedTables(t *testing.T) {
	var s CheckSummary
	for i := range 2000 {
		s.Add(TableProblem{Table: string(rune('a' + i%26)), Status: TableFail, Observed: "x"})
	}
	var m CheckSummary
	m.Merge(s)
	m.Merge(s)
	require.Equal(t, 4000, m.Failed)
	require.Len(t, m.Problems, MaxNamedProblems)
}

// countingSim is capacitySim whose server counts the DynamoDB Scan requests it answers.
func countingSim(t *testing.T) (*awssim.Server, *Activities, topology.Topology, *atomic.Int64) {
	t.Helper()
	topo, err := topology.Load("../examples/roadcall-local.json")
	require.NoError(t, err)
	sim := awssim.New(topo, awssim.Options{TimeScale: 0})
	var n atomic.Int64
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".Scan") {
			n.Add(1)
		}
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	f, err := awsclient.New(context.Background(), awsclient.Static(hs.URL))
	require.NoError(t, err)
	return sim, New(f), topo, &n
}
