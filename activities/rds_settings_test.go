package activities

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/stretchr/testify/require"

	"github.com/roadcall/dr/internal/awssim"
)

func describeCluster(t *testing.T, acts *Activities, region, id string) types.DBCluster {
	t.Helper()
	c, err := acts.clusterOf(context.Background(), ClusterRef{Region: region, Cluster: id})
	require.NoError(t, err)
	return c
}

func describeInstance(t *testing.T, acts *Activities, region, id string) types.DBInstance {
	t.Helper()
	out, err := acts.AWS.RDS(region).DescribeDBInstances(context.Background(), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
	require.NoError(t, err)
	require.Len(t, out.DBInstances, 1)
	return out.DBInstances[0]
}

// RestoreDBClusterToPointInTime's API reference: without DBClusterParameterGroupName "the default DB
// cluster parameter group for the specified engine is used"; CreateDBInstance's: without
// DBParameterGroupName RDS "uses the default DB parameter group for the specified DB engine and version".
// The restored cluster and its writer must therefore be given the source's, which the comparison below
// checks field by field, with each call made once however often the activities run.
func TestClusterRestoreCarriesSourceSettings(t *testing.T) {
	sim, acts, topo := restoreSim(t, false)
	ctx := context.Background()
	region, src := topo.PrimaryRegion, topo.Aurora.PrimaryClusterID
	// The source writer is bigger than the topology says, so the writer's class visibly comes from it.
	sim.With(func(w *awssim.World) {
		for _, in := range w.Regions[region].Instances {
			if in.ClusterID == src {
				in.Class = "db.r6g.2xlarge"
			}
		}
	})
	source := describeCluster(t, acts, region, src)
	require.NotEmpty(t, aws.ToString(source.DBClusterParameterGroup))
	require.NotContains(t, aws.ToString(source.DBClusterParameterGroup), "default.", "the seed has a custom cluster parameter group")
	require.Len(t, source.VpcSecurityGroups, 2)

	win, err := acts.DescribeClusterWindow(ctx, ClusterRef{Region: region, Cluster: src})
	require.NoError(t, err)
	in := ClusterRestoreInput{Region: region, Source: src, Target: src + "-restored-settings", At: win.Latest.Add(-time.Minute)}
	first, err := acts.RestoreCluster(ctx, in)
	require.NoError(t, err)
	again, err := acts.RestoreCluster(ctx, in)
	require.NoError(t, err)
	require.Equal(t, first.Settings[:4], clusterSettings(source, true), "the report names the source's values")
	for _, s := range again.Settings {
		require.False(t, s.Changed, s.Name)
	}
	require.Len(t, journalOf(sim, "RestoreDBClusterToPointInTime"), 1)
	_, err = acts.WaitClusterAvailable(ctx, ClusterRef{Region: region, Cluster: in.Target})
	require.NoError(t, err)

	restored := describeCluster(t, acts, region, in.Target)
	require.Equal(t, source.DBClusterParameterGroup, restored.DBClusterParameterGroup, "cluster parameter group")
	require.Equal(t, source.DBSubnetGroup, restored.DBSubnetGroup, "subnet group")
	require.Equal(t, source.VpcSecurityGroups, restored.VpcSecurityGroups, "security groups")
	require.Equal(t, source.TagList, restored.TagList, "tags")

	w := ClusterWriterInput{Region: region, Cluster: in.Target, Instance: in.Target + "-writer", Class: topo.Aurora.InstanceClass, SourceCluster: src}
	wr, err := acts.CreateClusterWriter(ctx, w)
	require.NoError(t, err)
	require.True(t, wr.Created)
	_, err = acts.CreateClusterWriter(ctx, w)
	require.NoError(t, err)
	require.Len(t, journalOf(sim, "CreateDBInstance"), 1)
	_, err = acts.WaitClusterWriter(ctx, w)
	require.NoError(t, err)

	srcWriter := describeInstance(t, acts, region, win.Writer)
	newWriter := describeInstance(t, acts, region, w.Instance)
	require.Equal(t, "db.r6g.2xlarge", aws.ToString(newWriter.DBInstanceClass), "instance class")
	require.Equal(t, srcWriter.DBInstanceClass, newWriter.DBInstanceClass)
	require.Equal(t, srcWriter.DBParameterGroups, newWriter.DBParameterGroups, "DB parameter group")
	require.NotContains(t, aws.ToString(newWriter.DBParameterGroups[0].DBParameterGroupName), "default.")
	require.Equal(t, []CarriedSetting{{Name: "DBInstanceClass", Value: "db.r6g.2xlarge", Changed: true},
		{Name: "DBParameterGroupName", Value: aws.ToString(srcWriter.DBParameterGroups[0].DBParameterGroupName), Changed: true}}, wr.Settings)
}
