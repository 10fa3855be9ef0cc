package awssim

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"
)

const (
	testGlobal     = "roadcall-aurora-global-prod"
	testPrimary    = "roadcall-aurora-prod"
	testDR         = "roadcall-aurora-prod-replica"
	testPrimaryARN = "arn:aws:rds:us-east-1:123456789012:cluster:roadcall-aurora-prod"
	testDRARN      = "arn:aws:rds:us-west-2:123456789012:cluster:roadcall-aurora-prod-replica"
)

// simClock is a settable clock: with TimeScale 1 a test steps through AWS's real durations without sleeping.
type simClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *simClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *simClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func startAt(t *testing.T) (*Server, *simClock, func(region string) *rds.Client) {
	clock := &simClock{t: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)}
	sim, f, _ := start(t, Options{TimeScale: 1, Now: clock.Now})
	return sim, clock, f.RDS
}

// apiCode asserts err is an AWS API error (as the SDK decodes it) and returns its code.
func apiCode(t *testing.T, err error) string {
	t.Helper()
	var ae smithy.APIError
	require.True(t, errors.As(err, &ae), "want an AWS API error, got %v", err)
	return ae.ErrorCode()
}

// calls returns the journal entries of one operation as "resource:changed" strings.
func calls(sim *Server, op string) []string {
	var out []string
	for _, e := range sim.Journal() {
		if e.Operation == op {
			if e.Changed {
				out = append(out, e.Resource+":changed")
			} else {
				out = append(out, e.Resource+":unchanged")
			}
		}
	}
	return out
}

func describeCluster(t *testing.T, c *rds.Client, id string) types.DBCluster {
	t.Helper()
	out, err := c.DescribeDBClusters(context.Background(), &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String(id)})
	require.NoError(t, err)
	require.Len(t, out.DBClusters, 1)
	return out.DBClusters[0]
}

func describeGlobal(t *testing.T, c *rds.Client) types.GlobalCluster {
	t.Helper()
	out, err := c.DescribeGlobalClusters(context.Background(), &rds.DescribeGlobalClustersInput{GlobalClusterIdentifier: aws.String(testGlobal)})
	require.NoError(t, err)
	require.Len(t, out.GlobalClusters, 1)
	return out.GlobalClusters[0]
}

func globalMember(t *testing.T, gc types.GlobalCluster, arn string) types.GlobalClusterMember {
	t.Helper()
	for _, m := range gc.GlobalClusterMembers {
		if aws.ToString(m.DBClusterArn) == arn {
			return m
		}
	}
	t.Fatalf("%s is not a member of %s", arn, aws.ToString(gc.GlobalClusterIdentifier))
	return types.GlobalClusterMember{}
}

func isWriter(cl types.DBCluster) bool {
	return len(cl.DBClusterMembers) > 0 && aws.ToBool(cl.DBClusterMembers[0].IsClusterWriter)
}

// TestRDSRestorableWindowLagIsScaled: Aurora's LatestRestorableTime trails the present by five scaled
// minutes, as DynamoDB's LatestRestorableDateTime does, so at a small scale both can be restored to
// seconds ago and their windows end together.
func TestRDSRestorableWindowLagIsScaled(t *testing.T) {
	clock := &simClock{t: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)}
	_, f, _ := start(t, Options{TimeScale: 0.01, Now: clock.Now})
	ctx := context.Background()
	latest := clock.Now().Add(-3 * time.Second)
	require.Equal(t, latest, aws.ToTime(describeCluster(t, f.RDS("us-east-1"), testPrimary).LatestRestorableTime))
	pitr, err := f.DynamoDB("us-east-1").DescribeContinuousBackups(ctx, &dynamodb.DescribeContinuousBackupsInput{TableName: aws.String("roadcall-users-prod")})
	require.NoError(t, err)
	require.Equal(t, latest, pitr.ContinuousBackupsDescription.PointInTimeRecoveryDescription.LatestRestorableDateTime.UTC())

	_, err = f.RDS("us-east-1").RestoreDBClusterToPointInTime(ctx, &rds.RestoreDBClusterToPointInTimeInput{DBClusterIdentifier: aws.String("too-new"),
		SourceDBClusterIdentifier: aws.String(testPrimary), RestoreToTime: aws.Time(latest.Add(time.Second))})
	require.Equal(t, "InvalidRestoreFault", apiCode(t, err))
	out, err := f.RDS("us-east-1").RestoreDBClusterToPointInTime(ctx, &rds.RestoreDBClusterToPointInTimeInput{DBClusterIdentifier: aws.String("seconds-ago"),
		SourceDBClusterIdentifier: aws.String(testPrimary), RestoreToTime: aws.Time(latest)})
	require.NoError(t, err)
	require.Equal(t, "creating", aws.ToString(out.DBCluster.Status))
}

func TestRDSDescribeThroughSDK(t *testing.T) {
	_, clock, client := startAt(t)
	ctx := context.Background()
	dr := describeCluster(t, client("us-west-2"), testDR)
	require.Equal(t, "available", aws.ToString(dr.Status))
	require.Equal(t, testDRARN, aws.ToString(dr.DBClusterArn))
	require.Equal(t, testGlobal, aws.ToString(dr.GlobalClusterIdentifier))
	require.Equal(t, "aurora-postgresql", aws.ToString(dr.Engine))
	require.False(t, isWriter(dr), "a global secondary has no writer instance")
	require.Equal(t, clock.Now().Add(-rdsRestoreLag), aws.ToTime(dr.LatestRestorableTime))
	require.True(t, aws.ToTime(dr.EarliestRestorableTime).Before(clock.Now().Add(-24*time.Hour)))
	require.True(t, isWriter(describeCluster(t, client("us-east-1"), testPrimary)))

	all, err := client("us-west-2").DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{})
	require.NoError(t, err)
	require.Len(t, all.DBClusters, 1, "clusters are regional")

	gc := describeGlobal(t, client("us-west-2"))
	require.Equal(t, "available", aws.ToString(gc.Status))
	require.Nil(t, gc.FailoverState)
	require.True(t, aws.ToBool(globalMember(t, gc, testPrimaryARN).IsWriter))
	require.Equal(t, []string{testDRARN}, globalMember(t, gc, testPrimaryARN).Readers)
	require.False(t, aws.ToBool(globalMember(t, gc, testDRARN).IsWriter))

	inst, err := client("us-west-2").DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{})
	require.NoError(t, err)
	require.Len(t, inst.DBInstances, 1)
	require.Equal(t, testDR, aws.ToString(inst.DBInstances[0].DBClusterIdentifier))

	_, err = client("us-west-2").DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String("nope")})
	require.Equal(t, "DBClusterNotFoundFault", apiCode(t, err))
	var nf *types.DBClusterNotFoundFault
	require.ErrorAs(t, err, &nf, "the SDK must decode the typed fault")
	_, err = client("us-west-2").DescribeGlobalClusters(ctx, &rds.DescribeGlobalClustersInput{GlobalClusterIdentifier: aws.String("nope")})
	require.Equal(t, "GlobalClusterNotFoundFault", apiCode(t, err))
	_, err = client("us-west-2").DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("nope")})
	require.Equal(t, "DBInstanceNotFound", apiCode(t, err))
}

func TestRDSPromoteReadReplicaRefusesGlobalMember(t *testing.T) {
	sim, _, client := startAt(t)
	_, err := client("us-west-2").PromoteReadReplicaDBCluster(context.Background(), &rds.PromoteReadReplicaDBClusterInput{DBClusterIdentifier: aws.String(testDR)})
	require.Equal(t, "InvalidDBClusterStateFault", apiCode(t, err))
	require.Contains(t, err.Error(), "DB Cluster that is not a read replica")
	require.Contains(t, err.Error(), testGlobal)
	dr := describeCluster(t, client("us-west-2"), testDR)
	require.Equal(t, "available", aws.ToString(dr.Status))
	require.Equal(t, testGlobal, aws.ToString(dr.GlobalClusterIdentifier))
	require.Equal(t, []string{testDR + ":unchanged"}, calls(sim, "PromoteReadReplicaDBCluster"))
}

func TestRDSPromoteBinlogReplica(t *testing.T) {
	sim, clock, client := startAt(t)
	// A cross-region binlog replica: a standalone reader cluster replicating from the primary's ARN.
	sim.With(func(w *World) {
		cl := w.Regions["us-west-2"].Clusters[testDR]
		cl.GlobalClusterID, cl.ReplicationSourceIdentifier = "", testPrimaryARN
		w.GlobalClusters[testGlobal].Members = w.GlobalClusters[testGlobal].Members[:1]
	})
	c := client("us-west-2")
	out, err := c.PromoteReadReplicaDBCluster(context.Background(), &rds.PromoteReadReplicaDBClusterInput{DBClusterIdentifier: aws.String(testDR)})
	require.NoError(t, err)
	require.Equal(t, "promoting", aws.ToString(out.DBCluster.Status))
	clock.Add(sim.durations.AuroraPromote - time.Second)
	require.Equal(t, "promoting", aws.ToString(describeCluster(t, c, testDR).Status))
	require.False(t, isWriter(describeCluster(t, c, testDR)))
	clock.Add(time.Second)
	dr := describeCluster(t, c, testDR)
	require.Equal(t, "available", aws.ToString(dr.Status))
	require.True(t, isWriter(dr))
	require.Empty(t, aws.ToString(dr.ReplicationSourceIdentifier))

	_, err = c.PromoteReadReplicaDBCluster(context.Background(), &rds.PromoteReadReplicaDBClusterInput{DBClusterIdentifier: aws.String(testDR)})
	require.Equal(t, "InvalidDBClusterStateFault", apiCode(t, err), "a promoted cluster is no longer a replica")
	require.Equal(t, []string{testDR + ":changed", testDR + ":unchanged"}, calls(sim, "PromoteReadReplicaDBCluster"))
}

func TestRDSFailoverGlobalClusterDuringOutage(t *testing.T) {
	sim, clock, client := startAt(t)
	ctx := context.Background()
	c := client("us-west-2")
	_, err := sim.AddFault(Fault{Kind: FaultRegionOutage, Region: "us-east-1"})
	require.NoError(t, err)

	// A planned switchover cannot synchronize with a primary that is down.
	_, err = c.SwitchoverGlobalCluster(ctx, &rds.SwitchoverGlobalClusterInput{GlobalClusterIdentifier: aws.String(testGlobal), TargetDbClusterIdentifier: aws.String(testDRARN)})
	require.Equal(t, "InvalidGlobalClusterStateFault", apiCode(t, err))
	require.Contains(t, err.Error(), "AllowDataLoss")

	failover := &rds.FailoverGlobalClusterInput{GlobalClusterIdentifier: aws.String(testGlobal), TargetDbClusterIdentifier: aws.String(testDR), AllowDataLoss: aws.Bool(true)}
	out, err := c.FailoverGlobalCluster(ctx, failover)
	require.NoError(t, err)
	require.Equal(t, "failing-over", aws.ToString(out.GlobalCluster.Status))
	require.Equal(t, &types.FailoverState{Status: types.FailoverStatusFailingOver, FromDbClusterArn: aws.String(testPrimaryARN),
		ToDbClusterArn: aws.String(testDRARN), IsDataLossAllowed: aws.Bool(true)}, out.GlobalCluster.FailoverState)
	require.Equal(t, "failing-over", aws.ToString(describeCluster(t, c, testDR).Status))

	_, err = c.FailoverGlobalCluster(ctx, failover)
	require.Equal(t, "InvalidGlobalClusterStateFault", apiCode(t, err), "a second failover while one runs")

	clock.Add(sim.durations.AuroraFailover)
	dr := describeCluster(t, c, testDR)
	require.Equal(t, "available", aws.ToString(dr.Status))
	require.True(t, isWriter(dr))
	gc := describeGlobal(t, c)
	require.Equal(t, "available", aws.ToString(gc.Status))
	require.Nil(t, gc.FailoverState)
	require.True(t, aws.ToBool(globalMember(t, gc, testDRARN).IsWriter))
	old := globalMember(t, gc, testPrimaryARN)
	require.False(t, aws.ToBool(old.IsWriter))
	require.Equal(t, types.GlobalClusterMemberSynchronizationStatus("pending-resync"), old.SynchronizationStatus)

	// Repeating the failover once it is done: AWS refuses, the journal shows no second change.
	_, err = c.FailoverGlobalCluster(ctx, failover)
	require.Equal(t, "InvalidGlobalClusterStateFault", apiCode(t, err))
	require.Contains(t, err.Error(), "already the primary")
	require.Equal(t, []string{testGlobal + ":changed", testGlobal + ":unchanged", testGlobal + ":unchanged"}, calls(sim, "FailoverGlobalCluster"))

	// The region comes back: the old primary rejoins as a secondary, its unreplicated writes kept in a snapshot.
	sim.RemoveFault("")
	primary := describeCluster(t, client("us-east-1"), testPrimary)
	require.Equal(t, "available", aws.ToString(primary.Status))
	require.False(t, isWriter(primary))
	require.Equal(t, types.GlobalClusterMemberSynchronizationStatus("connected"), globalMember(t, describeGlobal(t, c), testPrimaryARN).SynchronizationStatus)
	snaps, err := client("us-east-1").DescribeDBClusterSnapshots(ctx, &rds.DescribeDBClusterSnapshotsInput{DBClusterIdentifier: aws.String(testPrimary)})
	require.NoError(t, err)
	require.Len(t, snaps.DBClusterSnapshots, 1)
	require.True(t, strings.HasPrefix(aws.ToString(snaps.DBClusterSnapshots[0].DBClusterSnapshotIdentifier), "rds:unplanned-global-failover-"+testPrimary+"-"))
	require.Equal(t, "automated", aws.ToString(snaps.DBClusterSnapshots[0].SnapshotType))
}

func TestRDSSwitchoverAndBack(t *testing.T) {
	sim, clock, client := startAt(t)
	ctx := context.Background()
	out, err := client("us-west-2").SwitchoverGlobalCluster(ctx, &rds.SwitchoverGlobalClusterInput{GlobalClusterIdentifier: aws.String(testGlobal), TargetDbClusterIdentifier: aws.String(testDRARN)})
	require.NoError(t, err)
	require.Equal(t, "switching-over", aws.ToString(out.GlobalCluster.Status))
	require.Equal(t, types.FailoverStatus("switching-over"), out.GlobalCluster.FailoverState.Status)
	require.False(t, aws.ToBool(out.GlobalCluster.FailoverState.IsDataLossAllowed))
	clock.Add(sim.durations.AuroraSwitchover)
	require.True(t, isWriter(describeCluster(t, client("us-west-2"), testDR)))
	require.False(t, isWriter(describeCluster(t, client("us-east-1"), testPrimary)))

	// Failback through FailoverGlobalCluster without AllowDataLoss, which AWS treats as a switchover.
	back, err := client("us-east-1").FailoverGlobalCluster(ctx, &rds.FailoverGlobalClusterInput{GlobalClusterIdentifier: aws.String(testGlobal), TargetDbClusterIdentifier: aws.String(testPrimaryARN)})
	require.NoError(t, err)
	require.Equal(t, "switching-over", aws.ToString(back.GlobalCluster.Status))
	clock.Add(sim.durations.AuroraSwitchover)
	gc := describeGlobal(t, client("us-east-1"))
	require.True(t, aws.ToBool(globalMember(t, gc, testPrimaryARN).IsWriter))
	require.Equal(t, types.GlobalClusterMemberSynchronizationStatus("connected"), globalMember(t, gc, testDRARN).SynchronizationStatus)
	snaps, err := client("us-east-1").DescribeDBClusterSnapshots(ctx, &rds.DescribeDBClusterSnapshotsInput{})
	require.NoError(t, err)
	require.Empty(t, snaps.DBClusterSnapshots, "a switchover loses nothing, so nothing is set aside")

	_, err = client("us-east-1").FailoverGlobalCluster(ctx, &rds.FailoverGlobalClusterInput{GlobalClusterIdentifier: aws.String(testGlobal),
		TargetDbClusterIdentifier: aws.String(testDRARN), AllowDataLoss: aws.Bool(true), Switchover: aws.Bool(true)})
	require.Equal(t, "InvalidParameterCombination", apiCode(t, err))

	_, err = sim.AddFault(Fault{Kind: FaultRegionOutage, Region: "us-west-2"})
	require.NoError(t, err)
	_, err = client("us-east-1").FailoverGlobalCluster(ctx, &rds.FailoverGlobalClusterInput{GlobalClusterIdentifier: aws.String(testGlobal),
		TargetDbClusterIdentifier: aws.String(testDRARN), AllowDataLoss: aws.Bool(true)})
	require.Equal(t, "InvalidDBClusterStateFault", apiCode(t, err), "a target in a dead region cannot take over")
}

func TestRDSRemoveFromGlobalClusterAndSnapshot(t *testing.T) {
	sim, clock, client := startAt(t)
	ctx := context.Background()
	c := client("us-west-2")
	// AWS addresses the member by ARN; an identifier is "not found in global cluster".
	_, err := c.RemoveFromGlobalCluster(ctx, &rds.RemoveFromGlobalClusterInput{GlobalClusterIdentifier: aws.String(testGlobal), DbClusterIdentifier: aws.String(testDR)})
	require.Equal(t, "InvalidParameterValue", apiCode(t, err))
	_, err = c.RemoveFromGlobalCluster(ctx, &rds.RemoveFromGlobalClusterInput{GlobalClusterIdentifier: aws.String(testGlobal), DbClusterIdentifier: aws.String(testPrimaryARN)})
	require.Equal(t, "InvalidGlobalClusterStateFault", apiCode(t, err), "the primary cannot leave while it has secondaries")

	out, err := c.RemoveFromGlobalCluster(ctx, &rds.RemoveFromGlobalClusterInput{GlobalClusterIdentifier: aws.String(testGlobal), DbClusterIdentifier: aws.String(testDRARN)})
	require.NoError(t, err)
	require.Len(t, out.GlobalCluster.GlobalClusterMembers, 1)
	dr := describeCluster(t, c, testDR)
	require.Equal(t, "promoting", aws.ToString(dr.Status))
	require.Empty(t, aws.ToString(dr.GlobalClusterIdentifier))
	clock.Add(sim.durations.AuroraDetach)
	dr = describeCluster(t, c, testDR)
	require.Equal(t, "available", aws.ToString(dr.Status))
	require.True(t, isWriter(dr))
	_, err = c.RemoveFromGlobalCluster(ctx, &rds.RemoveFromGlobalClusterInput{GlobalClusterIdentifier: aws.String(testGlobal), DbClusterIdentifier: aws.String(testDRARN)})
	require.Equal(t, "InvalidParameterValue", apiCode(t, err))
	require.Contains(t, err.Error(), "is not found in global cluster")
	require.Equal(t, []string{testDR + ":unchanged", testPrimaryARN + ":unchanged", testDRARN + ":changed", testDRARN + ":unchanged"}, calls(sim, "RemoveFromGlobalCluster"))

	// The failback rebuild starts from a snapshot of the detached writer.
	snapIn := &rds.CreateDBClusterSnapshotInput{DBClusterIdentifier: aws.String(testDR), DBClusterSnapshotIdentifier: aws.String("failback-seed")}
	snap, err := c.CreateDBClusterSnapshot(ctx, snapIn)
	require.NoError(t, err)
	require.Equal(t, "creating", aws.ToString(snap.DBClusterSnapshot.Status))
	_, err = c.CreateDBClusterSnapshot(ctx, snapIn)
	require.Equal(t, "DBClusterSnapshotAlreadyExistsFault", apiCode(t, err))
	clock.Add(sim.durations.ClusterSnapshot)
	require.NoError(t, rds.NewDBClusterSnapshotAvailableWaiter(c).Wait(ctx,
		&rds.DescribeDBClusterSnapshotsInput{DBClusterSnapshotIdentifier: aws.String("failback-seed")}, time.Minute))
	_, err = c.DescribeDBClusterSnapshots(ctx, &rds.DescribeDBClusterSnapshotsInput{DBClusterSnapshotIdentifier: aws.String("nope")})
	require.Equal(t, "DBClusterSnapshotNotFoundFault", apiCode(t, err))
	require.Equal(t, []string{"failback-seed:changed", "failback-seed:unchanged"}, calls(sim, "CreateDBClusterSnapshot"))
}

func TestRDSRestoreToPointInTimeThenCreateInstance(t *testing.T) {
	sim, clock, client := startAt(t)
	ctx := context.Background()
	c := client("us-east-1")
	restore := &rds.RestoreDBClusterToPointInTimeInput{
		DBClusterIdentifier: aws.String("roadcall-aurora-prod-restored"), SourceDBClusterIdentifier: aws.String(testPrimary),
		RestoreToTime: aws.Time(clock.Now().Add(-time.Hour)),
	}
	tooLate := *restore
	tooLate.RestoreToTime = aws.Time(clock.Now().Add(-time.Minute))
	_, err := c.RestoreDBClusterToPointInTime(ctx, &tooLate)
	require.Equal(t, "InvalidRestoreFault", apiCode(t, err), "later than LatestRestorableTime")
	tooEarly := *restore
	tooEarly.RestoreToTime = aws.Time(clock.Now().Add(-30 * 24 * time.Hour))
	_, err = c.RestoreDBClusterToPointInTime(ctx, &tooEarly)
	require.Equal(t, "InvalidRestoreFault", apiCode(t, err), "before EarliestRestorableTime")

	out, err := c.RestoreDBClusterToPointInTime(ctx, restore)
	require.NoError(t, err)
	require.Equal(t, "creating", aws.ToString(out.DBCluster.Status))
	require.Empty(t, out.DBCluster.DBClusterMembers, "a restore makes a cluster without instances")
	_, err = c.RestoreDBClusterToPointInTime(ctx, restore)
	require.Equal(t, "DBClusterAlreadyExistsFault", apiCode(t, err))

	instance := &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String("roadcall-aurora-prod-restored-1"), DBClusterIdentifier: aws.String("roadcall-aurora-prod-restored"),
		DBInstanceClass: aws.String("db.r6g.large"), Engine: aws.String("aurora-postgresql")}
	_, err = c.CreateDBInstance(ctx, instance)
	require.Equal(t, "InvalidDBClusterStateFault", apiCode(t, err), "the cluster is still being restored")

	clock.Add(sim.durations.ClusterRestore)
	require.NoError(t, rds.NewDBClusterAvailableWaiter(c).Wait(ctx, &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String("roadcall-aurora-prod-restored")}, time.Minute))
	restored := describeCluster(t, c, "roadcall-aurora-prod-restored")
	require.Empty(t, restored.DBClusterMembers)
	require.Empty(t, aws.ToString(restored.GlobalClusterIdentifier), "a restore is a standalone cluster")

	in, err := c.CreateDBInstance(ctx, instance)
	require.NoError(t, err)
	require.Equal(t, "creating", aws.ToString(in.DBInstance.DBInstanceStatus))
	_, err = c.CreateDBInstance(ctx, instance)
	require.Equal(t, "DBInstanceAlreadyExists", apiCode(t, err))
	restored = describeCluster(t, c, "roadcall-aurora-prod-restored")
	require.True(t, isWriter(restored), "the first instance is the writer")
	clock.Add(sim.durations.InstanceCreate)
	require.NoError(t, rds.NewDBInstanceAvailableWaiter(c).Wait(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("roadcall-aurora-prod-restored-1")}, time.Minute))

	require.Equal(t, []string{"roadcall-aurora-prod-restored:unchanged", "roadcall-aurora-prod-restored:unchanged",
		"roadcall-aurora-prod-restored:changed", "roadcall-aurora-prod-restored:unchanged"}, calls(sim, "RestoreDBClusterToPointInTime"))
	require.Equal(t, []string{"roadcall-aurora-prod-restored-1:unchanged", "roadcall-aurora-prod-restored-1:changed", "roadcall-aurora-prod-restored-1:unchanged"},
		calls(sim, "CreateDBInstance"))
	sim.With(func(w *World) {
		cl := w.Regions["us-east-1"].Clusters["roadcall-aurora-prod-restored"]
		require.Equal(t, testPrimary, cl.RestoredFrom)
		require.Equal(t, clock.Now().Add(-time.Hour-sim.durations.ClusterRestore-sim.durations.InstanceCreate), cl.RestoredTo)
	})
}

// TestRDSRunbookThroughCLI runs the runbook's RDS commands with the AWS CLI: its own promote step fails as
// against AWS, and the failover that replaces it works while us-east-1 is down.
func TestRDSRunbookThroughCLI(t *testing.T) {
	sim, _, url := start(t, Options{TimeScale: 0})
	raw, err := awsCLIRaw(t, url, "rds", "describe-db-clusters", "--db-cluster-identifier", testDR, "--region", "us-west-2", "--query", "DBClusters[0].Status")
	require.NoError(t, err, "%s", raw)
	require.Equal(t, `"available"`, strings.TrimSpace(string(raw)))

	raw, err = awsCLIRaw(t, url, "rds", "promote-read-replica-db-cluster", "--db-cluster-identifier", testDR, "--region", "us-west-2")
	require.Error(t, err)
	require.Contains(t, string(raw), "InvalidDBClusterStateFault")

	_, err = sim.AddFault(Fault{Kind: FaultRegionOutage, Region: "us-east-1"})
	require.NoError(t, err)
	out := awsCLI(t, url, "rds", "failover-global-cluster", "--global-cluster-identifier", testGlobal,
		"--target-db-cluster-identifier", testDRARN, "--allow-data-loss", "--region", "us-west-2")
	require.Equal(t, "failing-over", out["GlobalCluster"].(map[string]any)["Status"])
	raw, err = awsCLIRaw(t, url, "rds", "wait", "db-cluster-available", "--db-cluster-identifier", testDR, "--region", "us-west-2")
	require.NoError(t, err, "%s", raw)

	out = awsCLI(t, url, "rds", "describe-global-clusters", "--region", "us-west-2")
	var got struct {
		GlobalClusters []struct {
			GlobalClusterMembers []struct {
				DBClusterArn string
				IsWriter     bool
			}
		}
	}
	b, _ := json.Marshal(out)
	require.NoError(t, json.Unmarshal(b, &got))
	require.Len(t, got.GlobalClusters, 1, "%s", b)
	writers := map[string]bool{}
	for _, m := range got.GlobalClusters[0].GlobalClusterMembers {
		writers[m.DBClusterArn] = m.IsWriter
	}
	require.Equal(t, map[string]bool{testPrimaryARN: false, testDRARN: true}, writers)

	out = awsCLI(t, url, "rds", "describe-db-clusters", "--region", "us-west-2")
	members := out["DBClusters"].([]any)[0].(map[string]any)["DBClusterMembers"].([]any)
	require.Equal(t, true, members[0].(map[string]any)["IsClusterWriter"])

	sim.RemoveFault("")
	restoreTo := time.Now().Add(-time.Hour).UTC().Format("2006-01-02T15:04:05")
	out = awsCLI(t, url, "rds", "restore-db-cluster-to-point-in-time", "--db-cluster-identifier", "roadcall-aurora-prod-restored",
		"--source-db-cluster-identifier", testPrimary, "--restore-to-time", restoreTo, "--region", "us-east-1")
	require.Equal(t, "creating", out["DBCluster"].(map[string]any)["Status"])
	raw, err = awsCLIRaw(t, url, "rds", "restore-db-cluster-to-point-in-time", "--db-cluster-identifier", "roadcall-aurora-prod-restored",
		"--source-db-cluster-identifier", testPrimary, "--restore-to-time", restoreTo, "--region", "us-east-1")
	require.Error(t, err)
	require.Contains(t, string(raw), "DBClusterAlreadyExistsFault")
}
