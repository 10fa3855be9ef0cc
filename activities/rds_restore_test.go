package activities

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roadcall/dr/internal/awssim"
)

func TestClusterRestoreWithWriterIsIdempotent(t *testing.T) {
	sim, acts, topo := restoreSim(t, true)
	ctx := context.Background()
	region, src := topo.PrimaryRegion, topo.Aurora.PrimaryClusterID

	win, err := acts.DescribeClusterWindow(ctx, ClusterRef{Region: region, Cluster: src})
	require.NoError(t, err)
	require.Equal(t, "available", win.Status)
	require.True(t, win.Earliest.Before(win.Latest))
	at := win.Latest.Add(-time.Hour)

	in := ClusterRestoreInput{Region: region, Source: src, Target: src + "-restored-test", At: at}
	res, err := acts.RestoreCluster(ctx, in)
	require.NoError(t, err)
	require.True(t, res.Created)
	res, err = acts.RestoreCluster(ctx, in)
	require.NoError(t, err)
	require.False(t, res.Created, "an existing target is waited on, not created again")
	require.Len(t, journalOf(sim, "RestoreDBClusterToPointInTime"), 1)

	st, err := acts.WaitClusterAvailable(ctx, ClusterRef{Region: region, Cluster: in.Target})
	require.NoError(t, err)
	require.Equal(t, "available", st.Status)
	require.Greater(t, st.Progress.Polls, 1)
	require.Empty(t, st.Writer, "a restored cluster has no instance yet")

	w := ClusterWriterInput{Region: region, Cluster: in.Target, Instance: in.Target + "-writer", Class: topo.Aurora.InstanceClass}
	wr, err := acts.CreateClusterWriter(ctx, w)
	require.NoError(t, err)
	require.True(t, wr.Created)
	wr, err = acts.CreateClusterWriter(ctx, w)
	require.NoError(t, err)
	require.False(t, wr.Created)
	require.Len(t, journalOf(sim, "CreateDBInstance"), 1)

	ws, err := acts.WaitClusterWriter(ctx, w)
	require.NoError(t, err)
	require.Equal(t, w.Instance, ws.Writer)
	var restoredTo time.Time
	sim.With(func(wd *awssim.World) { restoredTo = wd.Regions[region].Clusters[in.Target].RestoredTo })
	require.True(t, restoredTo.Equal(at), "restored to %s, want %s", restoredTo, at)
}

func TestClusterRestoreOutsideWindow(t *testing.T) {
	_, acts, topo := restoreSim(t, false)
	ctx := context.Background()
	win, err := acts.DescribeClusterWindow(ctx, ClusterRef{Region: topo.PrimaryRegion, Cluster: topo.Aurora.PrimaryClusterID})
	require.NoError(t, err)
	_, err = acts.RestoreCluster(ctx, ClusterRestoreInput{Region: topo.PrimaryRegion, Source: topo.Aurora.PrimaryClusterID, Target: "late", At: win.Latest.Add(time.Hour)})
	require.Equal(t, "InvalidRestoreFault", appErrType(t, err))
	require.ErrorContains(t, err, topo.PrimaryRegion)
}

func TestCreateClusterWriterRefusesInstanceOfAnotherCluster(t *testing.T) {
	_, acts, topo := restoreSim(t, false)
	existing := topo.Aurora.PrimaryClusterID + "-instance-1"
	_, err := acts.CreateClusterWriter(context.Background(), ClusterWriterInput{Region: topo.PrimaryRegion, Cluster: "other", Instance: existing, Class: "db.r6g.large"})
	require.Equal(t, "DBInstanceAlreadyExists", appErrType(t, err))
	require.ErrorContains(t, err, existing)
}
