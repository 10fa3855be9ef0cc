package activities

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/roadcall/dr/internal/awssim"
	"github.com/roadcall/dr/internal/topology"
)

func foFailoverInput(topo topology.Topology, mode string) AuroraFailoverInput {
	return AuroraFailoverInput{Mode: mode, Region: topo.DRRegion, GlobalClusterID: topo.Aurora.GlobalClusterID, DRClusterID: topo.Aurora.DRClusterID}
}

func drCluster(sim *awssim.Server, topo topology.Topology) awssim.DBCluster {
	var cl awssim.DBCluster
	sim.With(func(w *awssim.World) { cl = *w.Regions[topo.DRRegion].Clusters[topo.Aurora.DRClusterID] })
	return cl
}

func TestFailoverAuroraGlobalIsIdempotentAndWaitsForTheWriter(t *testing.T) {
	// 0.01 turns the modeled 90 s into 0.9 s: the repeat below meets the failover in flight.
	sim, acts, topo := foSim(t, 0.01)
	ctx := context.Background()
	_, err := sim.AddFault(awssim.Fault{Kind: awssim.FaultRegionOutage, Region: topo.PrimaryRegion})
	require.NoError(t, err)
	in := foFailoverInput(topo, topology.FailoverGlobal)

	res, err := acts.FailoverAurora(ctx, in)
	require.NoError(t, err)
	require.Equal(t, ActionStarted, res.Action, res.Detail)
	res, err = acts.FailoverAurora(ctx, in)
	require.NoError(t, err)
	require.Equal(t, ActionInProgress, res.Action, "a retry while the failover runs must not start another")

	st, err := acts.WaitAuroraWriter(ctx, in)
	require.NoError(t, err)
	require.True(t, st.Writer)
	require.Equal(t, "available", st.Status)
	require.Greater(t, st.Progress.Polls, 1, "the wait saw the failover in progress")
	require.True(t, drCluster(sim, topo).Writer)

	res, err = acts.FailoverAurora(ctx, in)
	require.NoError(t, err)
	require.Equal(t, ActionAlreadyDone, res.Action)
	j := foJournal(sim, "FailoverGlobalCluster")
	require.Len(t, j, 1, "exactly one FailoverGlobalCluster reached AWS")
	require.True(t, j[0].Changed)
	require.Contains(t, j[0].Detail, "failover to")
}

func TestFailoverAuroraDetachAndPromote(t *testing.T) {
	sim, acts, topo := foSim(t, 0)
	ctx := context.Background()
	in := foFailoverInput(topo, topology.FailoverDetachAndPromote)
	res, err := acts.FailoverAurora(ctx, in)
	require.NoError(t, err)
	require.Equal(t, ActionStarted, res.Action)
	st, err := acts.WaitAuroraWriter(ctx, in)
	require.NoError(t, err)
	require.True(t, st.Writer)
	cl := drCluster(sim, topo)
	require.Empty(t, cl.GlobalClusterID, "detached")
	require.True(t, cl.Writer)
	res, err = acts.FailoverAurora(ctx, in)
	require.NoError(t, err)
	require.Equal(t, ActionAlreadyDone, res.Action)
	require.Len(t, foJournal(sim, "RemoveFromGlobalCluster"), 1)

	// Global-failover mode now finds the cluster detached and says so instead of guessing.
	_, err = acts.FailoverAurora(ctx, foFailoverInput(topo, topology.FailoverGlobal))
	require.ErrorContains(t, err, "not a member of the global cluster")
}

// The runbook's promote-read-replica-db-cluster fails against a global-database secondary, as in AWS; the
// error is non-retryable and carries AWS's code, so the run pauses for an operator instead of retrying.
func TestPromoteReadReplicaOnGlobalSecondaryFailsTheAWSWay(t *testing.T) {
	sim, acts, topo := foSim(t, 0)
	_, err := acts.FailoverAurora(context.Background(), foFailoverInput(topo, topology.FailoverPromoteReplica))
	require.Error(t, err)
	require.Equal(t, "InvalidDBClusterStateFault", appErrorOf(t, err).Type())
	require.True(t, appErrorOf(t, err).NonRetryable())
	require.Contains(t, err.Error(), "not a read replica")
	require.Contains(t, err.Error(), topo.Aurora.DRClusterID)
	require.Contains(t, err.Error(), topo.DRRegion)
	j := foJournal(sim, "PromoteReadReplicaDBCluster")
	require.Len(t, j, 1)
	require.False(t, j[0].Changed)
}
