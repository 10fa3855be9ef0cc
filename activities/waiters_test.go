package activities

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/stretchr/testify/require"

	"github.com/roadcall/dr/internal/awsclient"
	"github.com/roadcall/dr/internal/awssim"
	"github.com/roadcall/dr/internal/topology"
)

var verdictOfState = map[string]verdict{"success": pollSuccess, "failure": pollFailure, "retry": pollAgain}

// TestWaitStatesFollowBotocoreWaiters checks every status acceptor of the SDK waiters our waits follow, as
// botocore's waiters-2.json defines them (rds DBClusterAvailable, DBInstanceAvailable,
// DBClusterSnapshotAvailable; dynamodb TableExists; cloudformation StackUpdateComplete; lambda
// FunctionUpdated, FunctionUpdatedV2, PublishedVersionActive; route53 ResourceRecordSetsChanged), against how our waits judge that status. The waits
// call the Go SDK's acceptors, so this also proves the SDK matches botocore and our plumbing reaches them.
func TestWaitStatesFollowBotocoreWaiters(t *testing.T) {
	ctx := context.Background()
	judges := []struct {
		service, waiter string
		judge           func(status string) verdict
	}{
		{"rds", "DBClusterAvailable", func(s string) verdict { return clusterVerdict(ctx, rdstypes.DBCluster{Status: &s}) }},
		{"rds", "DBInstanceAvailable", func(s string) verdict { return instanceVerdict(ctx, rdstypes.DBInstance{DBInstanceStatus: &s}) }},
		{"rds", "DBClusterSnapshotAvailable", func(s string) verdict { return snapshotVerdict(ctx, s) }},
		{"dynamodb", "TableExists", func(s string) verdict {
			v, err := tableVerdict(ctx, &dynamodb.DescribeTableOutput{Table: &dtypes.TableDescription{TableStatus: dtypes.TableStatus(s)}}, nil)
			require.NoError(t, err)
			return v
		}},
		{"cloudformation", "StackUpdateComplete", func(s string) verdict {
			// The state a wait that started an update meets: the parameter is not at its value yet.
			if stackFailed(ctx, s, false) {
				return pollFailure
			}
			if s == "UPDATE_COMPLETE" {
				return pollSuccess
			}
			return pollAgain
		}},
		{"lambda", "FunctionUpdated", func(s string) verdict { return functionUpdatedVerdict(ctx, lambdatypes.LastUpdateStatus(s)) }},
		// FunctionUpdatedV2 judges the same LastUpdateStatus, read through GetFunction.
		{"lambda", "FunctionUpdatedV2", func(s string) verdict { return functionUpdatedVerdict(ctx, lambdatypes.LastUpdateStatus(s)) }},
		{"lambda", "PublishedVersionActive", func(s string) verdict { return versionActiveVerdict(ctx, lambdatypes.State(s)) }},
	}
	for _, j := range judges {
		t.Run(j.service+"/"+j.waiter, func(t *testing.T) {
			w := botocoreWaiterOf(t, j.service, j.waiter)
			checked := 0
			for _, a := range w.Acceptors {
				if a.Matcher == "error" {
					continue // checked by the tests of each error acceptor below
				}
				s := fmt.Sprint(a.Expected)
				require.Equal(t, verdictOfState[a.State], j.judge(s), "%s %s: status %q is %s in botocore", j.service, j.waiter, s, a.State)
				checked++
			}
			require.Positive(t, checked)
		})
	}
	t.Run("dynamodb/TableExists/ResourceNotFoundException", func(t *testing.T) {
		w := botocoreWaiterOf(t, "dynamodb", "TableExists")
		found := false
		for _, a := range w.Acceptors {
			found = found || (a.Matcher == "error" && a.Expected == "ResourceNotFoundException" && a.State == "retry")
		}
		require.True(t, found, "botocore's TableExists retries ResourceNotFoundException")
		v, err := tableVerdict(ctx, nil, &dtypes.ResourceNotFoundException{Message: aws.String("Requested resource not found")})
		require.NoError(t, err)
		require.Equal(t, pollAgain, v)
	})
	t.Run("route53/ResourceRecordSetsChanged", func(t *testing.T) {
		// WaitDNSChange succeeds on INSYNC and has no failure state to mirror: the waiter has none.
		w := botocoreWaiterOf(t, "route53", "ResourceRecordSetsChanged")
		require.Len(t, w.Acceptors, 1)
		require.Equal(t, "success", w.Acceptors[0].State)
		require.Equal(t, "INSYNC", w.Acceptors[0].Expected)
	})
}

// TestTableFailureStatesAreTableStatuses: the failure states our table waits add to the SDK's TableExists
// waiter (which has none) are TableStatus values of DynamoDB's model, and ACTIVE is not one of them.
func TestTableFailureStatesAreTableStatuses(t *testing.T) {
	known := map[string]bool{}
	for _, s := range dtypes.TableStatus("").Values() {
		known[string(s)] = true
	}
	for s := range tableFailureStates {
		require.True(t, known[s], "%s is not a DynamoDB TableStatus", s)
	}
	require.False(t, tableFailureStates["ACTIVE"])
}

// waitSim is restoreSim's ticking clock (a minute a read) with durations a test chooses.
func waitSim(t *testing.T, tune func(d *awssim.Durations)) (*awssim.Server, *Activities, topology.Topology) {
	t.Helper()
	topo, err := topology.Load("../examples/roadcall-local.json")
	require.NoError(t, err)
	d := awssim.DefaultDurations()
	tune(&d)
	c := &tickingClock{t: time.Now().UTC()}
	sim := awssim.New(topo, awssim.Options{TimeScale: 1, Now: c.now, Durations: &d})
	hs := httptest.NewServer(sim)
	t.Cleanup(hs.Close)
	f, err := awsclient.New(context.Background(), awsclient.Static(hs.URL))
	require.NoError(t, err)
	acts := New(f)
	acts.PollInterval = time.Millisecond
	return sim, acts, topo
}

// TestWaitClusterAvailableStopsAtOnceOnAFailedRestore: botocore's DBClusterAvailable waiter fails on
// failed and incompatible-restore; a restore that awssim fails ends the wait within one poll, non-retryably,
// naming the cluster and the state, instead of polling until the 4 h timeout.
func TestWaitClusterAvailableStopsAtOnceOnAFailedRestore(t *testing.T) {
	for _, state := range []string{"failed", "incompatible-restore"} {
		t.Run(state, func(t *testing.T) {
			sim, acts, topo := restoreSim(t, true)
			ctx := context.Background()
			region, src := topo.PrimaryRegion, topo.Aurora.PrimaryClusterID
			win, err := acts.DescribeClusterWindow(ctx, ClusterRef{Region: region, Cluster: src})
			require.NoError(t, err)
			target := src + "-restored-test"
			_, err = sim.AddFault(awssim.Fault{Kind: awssim.FaultFailureState, Service: "rds", Resource: target, State: state})
			require.NoError(t, err)
			_, err = acts.RestoreCluster(ctx, ClusterRestoreInput{Region: region, Source: src, Target: target, At: win.Latest.Add(-time.Hour)})
			require.NoError(t, err)
			st, err := acts.WaitClusterAvailable(ctx, ClusterRef{Region: region, Cluster: target})
			ae := appErrorOf(t, err)
			require.Equal(t, ErrFailureState, ae.Type())
			require.True(t, ae.NonRetryable())
			require.ErrorContains(t, err, target)
			require.ErrorContains(t, err, "is "+state)
			require.Equal(t, 1, st.Progress.Polls, "the first poll that sees the failure state ends the wait")
			require.Equal(t, state, st.Progress.LastSeen)
		})
	}
}

// TestWaitClusterWriterStopsOnAFailedInstance: botocore's DBInstanceAvailable waiter fails on failed.
func TestWaitClusterWriterStopsOnAFailedInstance(t *testing.T) {
	sim, acts, topo := restoreSim(t, false)
	ctx := context.Background()
	w := ClusterWriterInput{Region: topo.PrimaryRegion, Cluster: topo.Aurora.PrimaryClusterID, Instance: "writer-that-fails", Class: topo.Aurora.InstanceClass}
	_, err := sim.AddFault(awssim.Fault{Kind: awssim.FaultFailureState, Service: "rds", Resource: w.Instance, State: "failed"})
	require.NoError(t, err)
	_, err = acts.CreateClusterWriter(ctx, w)
	require.NoError(t, err)
	_, err = acts.WaitClusterWriter(ctx, w)
	require.Equal(t, ErrFailureState, appErrType(t, err))
	require.ErrorContains(t, err, "rds instance writer-that-fails")
	require.ErrorContains(t, err, "is failed")
}

// TestWaitTableActiveRetriesNotFoundDuringTheConsistencyWindow: DescribeTable is eventually consistent
// after a restore (DynamoDB API reference, DescribeTable) and botocore's TableExists waiter retries
// ResourceNotFoundException; our wait keeps waiting through awssim's window and completes.
func TestWaitTableActiveRetriesNotFoundDuringTheConsistencyWindow(t *testing.T) {
	sim, acts, topo := waitSim(t, func(d *awssim.Durations) { d.TableVisible = 10 * time.Minute })
	ctx := context.Background()
	src := topo.Tables[0].Name
	var at time.Time
	sim.With(func(w *awssim.World) { at = w.Seeded.Add(-time.Hour) })
	in := TableRestoreInput{Region: topo.PrimaryRegion, Source: src, Target: src + "-restored-test", At: at}
	_, err := acts.RestoreTable(ctx, in)
	require.NoError(t, err)
	_, err = acts.AWS.DynamoDB(in.Region).DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(in.Target)})
	require.Equal(t, "ResourceNotFoundException", apiCode(err), "awssim hides a just-restored table for the window")

	st, err := acts.WaitTableActive(ctx, TableRef{Region: in.Region, Table: in.Target})
	require.NoError(t, err)
	require.Equal(t, "ACTIVE", st.Status)
	require.Greater(t, st.Progress.Polls, 1)
}

// TestWaitTableActiveGivesUpOnATableThatNeverAppears: the retry of ResourceNotFoundException is bounded by
// botocore's TableExists maxAttempts (25), then it is the non-retryable not-found it is.
func TestWaitTableActiveGivesUpOnATableThatNeverAppears(t *testing.T) {
	_, acts, topo := restoreSim(t, false)
	st, err := acts.WaitTableActive(context.Background(), TableRef{Region: topo.PrimaryRegion, Table: "no-such-table"})
	ae := appErrorOf(t, err)
	require.Equal(t, "ResourceNotFoundException", ae.Type())
	require.True(t, ae.NonRetryable())
	require.Equal(t, tableNotFoundPolls, st.Progress.Polls)
	require.Equal(t, "not found", st.Progress.LastSeen)
}

// TestWaitTableActiveStopsOnAFailedRestore: a restore awssim puts in DELETING (a TableStatus from which a
// table never becomes ACTIVE) ends the wait within one poll, naming table and state.
func TestWaitTableActiveStopsOnAFailedRestore(t *testing.T) {
	sim, acts, topo := restoreSim(t, true)
	ctx := context.Background()
	src := topo.Tables[0].Name
	var at time.Time
	sim.With(func(w *awssim.World) { at = w.Seeded.Add(-time.Hour) })
	in := TableRestoreInput{Region: topo.PrimaryRegion, Source: src, Target: src + "-restored-test", At: at}
	_, err := sim.AddFault(awssim.Fault{Kind: awssim.FaultFailureState, Service: "dynamodb", Resource: in.Target, State: "DELETING"})
	require.NoError(t, err)
	_, err = acts.RestoreTable(ctx, in)
	require.NoError(t, err)
	st, err := acts.WaitTableActive(ctx, TableRef{Region: in.Region, Table: in.Target})
	require.Equal(t, ErrFailureState, appErrType(t, err))
	require.ErrorContains(t, err, in.Target)
	require.ErrorContains(t, err, "is DELETING")
	require.Equal(t, 1, st.Progress.Polls)
}

// TestWaitStackParameterStopsOnUpdateRollbackFailed: botocore's StackUpdateComplete waiter fails on
// UPDATE_ROLLBACK_FAILED and UPDATE_FAILED; an update awssim fails that way ends the wait naming the state.
func TestWaitStackParameterStopsOnUpdateRollbackFailed(t *testing.T) {
	for _, state := range []string{"UPDATE_ROLLBACK_FAILED", "UPDATE_FAILED"} {
		t.Run(state, func(t *testing.T) {
			sim, acts, topo := foSim(t, 0)
			ctx := context.Background()
			in := drModeInput(topo, topo.Stacks.Names[0])
			_, err := sim.AddFault(awssim.Fault{Kind: awssim.FaultFailureState, Service: "cloudformation", Resource: in.Stack, State: state})
			require.NoError(t, err)
			_, err = acts.SetStackParameter(ctx, in)
			require.NoError(t, err)
			st, err := acts.WaitStackParameter(ctx, in)
			ae := appErrorOf(t, err)
			require.Equal(t, "StackRollback", ae.Type())
			require.True(t, ae.NonRetryable())
			require.ErrorContains(t, err, "went to "+state)
			require.Equal(t, state, st.Status)
		})
	}
}
