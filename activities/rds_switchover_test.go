package activities

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roadcall/dr/internal/awssim"
	"github.com/roadcall/dr/internal/topology"
)

// failedOver puts the sim where a region-outage failover leaves it: us-east-1 out, the DR cluster writing.
func failedOver(t *testing.T, sim *awssim.Server, acts *Activities, topo topology.Topology) string {
	t.Helper()
	id, err := sim.AddFault(awssim.Fault{Kind: awssim.FaultRegionOutage, Region: topo.PrimaryRegion})
	require.NoError(t, err)
	in := AuroraFailoverInput{Mode: topology.FailoverGlobal, Region: topo.DRRegion, GlobalClusterID: topo.Aurora.GlobalClusterID, DRClusterID: topo.Aurora.DRClusterID}
	_, err = acts.FailoverAurora(context.Background(), in)
	require.NoError(t, err)
	_, err = acts.WaitAuroraWriter(context.Background(), in)
	require.NoError(t, err)
	return id
}

func TestSwitchoverBackAfterOutageIsIdempotent(t *testing.T) {
	sim, acts, topo := restoreSim(t, false)
	ctx := context.Background()
	fault := failedOver(t, sim, acts, topo)
	in := SwitchoverInput{Region: topo.PrimaryRegion, GlobalClusterID: topo.Aurora.GlobalClusterID, TargetClusterID: topo.Aurora.PrimaryClusterID}

	// While the primary region is out, the old primary cannot even be read: the call fails, retryably.
	_, err := acts.SwitchoverAurora(ctx, in)
	require.Error(t, err)
	require.Empty(t, journalOf(sim, "SwitchoverGlobalCluster"), "nothing may be attempted against a region that is down")

	require.True(t, sim.RemoveFault(fault))
	res, err := acts.SwitchoverAurora(ctx, in)
	require.NoError(t, err)
	require.Equal(t, ActionStarted, res.Action, res.Detail)
	res, err = acts.SwitchoverAurora(ctx, in)
	require.NoError(t, err)
	require.Contains(t, []string{ActionInProgress, ActionAlreadyDone}, res.Action, "a repeat must not switch over twice")

	w, err := acts.WaitAuroraWriter(ctx, AuroraFailoverInput{Mode: topology.FailoverGlobal, Region: topo.PrimaryRegion,
		GlobalClusterID: topo.Aurora.GlobalClusterID, DRClusterID: topo.Aurora.PrimaryClusterID})
	require.NoError(t, err)
	require.True(t, w.Writer)
	res, err = acts.SwitchoverAurora(ctx, in)
	require.NoError(t, err)
	require.Equal(t, ActionAlreadyDone, res.Action)

	j := journalOf(sim, "SwitchoverGlobalCluster")
	require.Len(t, j, 1)
	require.True(t, j[0].Changed)
	g, err := acts.DescribeGlobalCluster(ctx, GlobalClusterRef{Region: topo.PrimaryRegion, ID: topo.Aurora.GlobalClusterID})
	require.NoError(t, err)
	wr, _ := g.Writer()
	require.Equal(t, topo.PrimaryRegion, wr.Region)
	require.Len(t, g.Members, 2, "replication to DR is kept")
}

func TestSwitchoverRefusesDetachedCluster(t *testing.T) {
	sim, acts, topo := restoreSim(t, false)
	ctx := context.Background()
	in := AuroraFailoverInput{Mode: topology.FailoverDetachAndPromote, Region: topo.DRRegion, GlobalClusterID: topo.Aurora.GlobalClusterID, DRClusterID: topo.Aurora.DRClusterID}
	_, err := acts.FailoverAurora(ctx, in)
	require.NoError(t, err)
	_, err = acts.WaitAuroraWriter(ctx, in)
	require.NoError(t, err)
	_, err = acts.SwitchoverAurora(ctx, SwitchoverInput{Region: topo.DRRegion, GlobalClusterID: topo.Aurora.GlobalClusterID, TargetClusterID: topo.Aurora.DRClusterID})
	require.Equal(t, "InvalidGlobalClusterStateFault", appErrType(t, err))
	require.ErrorContains(t, err, "rebuild")
	require.Empty(t, journalOf(sim, "SwitchoverGlobalCluster"))
}

func TestWaitAuroraLagWaitsForNearZero(t *testing.T) {
	sim, acts, topo := restoreSim(t, false)
	in := LagInput{Region: topo.DRRegion, ClusterID: topo.Aurora.DRClusterID, Below: time.Second}
	st, err := acts.WaitAuroraLag(context.Background(), in)
	require.NoError(t, err)
	require.Less(t, st.Lag, time.Second)
	require.GreaterOrEqual(t, st.Progress.Polls, 2, "one low datapoint is not enough")

	_, err = sim.AddFault(awssim.Fault{Kind: awssim.FaultReplicationLag, Seconds: 30})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	st, err = acts.WaitAuroraLag(ctx, in)
	require.Error(t, err, "a lag over the threshold never ends the wait")
	require.ErrorIs(t, ctx.Err(), context.DeadlineExceeded)
	require.GreaterOrEqual(t, st.Lag, 30*time.Second)
	require.Contains(t, st.Progress.LastSeen, "want < 1s")
}

func TestSnapshotClusterIsIdempotent(t *testing.T) {
	sim, acts, topo := restoreSim(t, true)
	ctx := context.Background()
	in := ClusterSnapshotInput{Region: topo.DRRegion, ClusterID: topo.Aurora.DRClusterID, SnapshotID: "roadcall-failback-test"}
	st, err := acts.SnapshotCluster(ctx, in)
	require.NoError(t, err)
	require.True(t, st.Created)
	st, err = acts.SnapshotCluster(ctx, in)
	require.NoError(t, err)
	require.False(t, st.Created)
	j := journalOf(sim, "CreateDBClusterSnapshot")
	require.Len(t, j, 1)
	require.True(t, j[0].Changed)

	st, err = acts.WaitClusterSnapshot(ctx, in)
	require.NoError(t, err)
	require.Equal(t, "available", st.Status)
	require.Greater(t, st.Progress.Polls, 1, "a 5-minute snapshot is seen creating first")

	_, err = acts.SnapshotCluster(ctx, ClusterSnapshotInput{Region: topo.DRRegion, ClusterID: "some-other-cluster", SnapshotID: in.SnapshotID})
	require.Equal(t, "DBClusterSnapshotAlreadyExistsFault", appErrType(t, err))
	require.ErrorContains(t, err, topo.Aurora.DRClusterID)
}
