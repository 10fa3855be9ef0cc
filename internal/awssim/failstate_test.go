package awssim

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/stretchr/testify/require"
)

func TestFailureStateFaultIsValidated(t *testing.T) {
	sim, _, _ := start(t, Options{})
	for _, f := range []Fault{
		{Kind: FaultFailureState, Service: "sns", Resource: "x", State: "failed"},
		{Kind: FaultFailureState, Service: "rds", State: "failed"},
		{Kind: FaultFailureState, Service: "rds", Resource: "x", State: "available"},
		{Kind: FaultFailureState, Service: "dynamodb", Resource: "x", State: "failed"},
		{Kind: FaultFailureState, Service: "cloudformation", Resource: "x", State: "UPDATE_COMPLETE"},
		{Kind: FaultFailureState, Service: "rds", Resource: "x", State: "failed", Region: "eu-west-9"},
	} {
		_, err := sim.AddFault(f)
		require.Error(t, err, "%+v", f)
	}
	_, err := sim.AddFault(Fault{Kind: FaultFailureState, Service: "dynamo", Resource: "x", State: "DELETING"})
	require.NoError(t, err, "service aliases apply")
}

// TestFailureStateFailsAClusterRestore: the restored cluster goes to incompatible-restore (one of the failure
// states of botocore's DBClusterAvailable waiter) at the next read, even at time scale 0, and stays there.
func TestFailureStateFailsAClusterRestore(t *testing.T) {
	sim, f, _ := start(t, Options{TimeScale: 0})
	ctx := context.Background()
	db := f.RDS("us-east-1")
	var src string
	var at time.Time
	sim.With(func(w *World) {
		for id, cl := range w.Regions["us-east-1"].Clusters {
			src = id
			_, at = sim.rdsRestorableWindow(cl, sim.now())
		}
	})
	_, err := sim.AddFault(Fault{Kind: FaultFailureState, Service: "rds", Resource: "restored", State: "incompatible-restore"})
	require.NoError(t, err)
	out, err := db.RestoreDBClusterToPointInTime(ctx, &rds.RestoreDBClusterToPointInTimeInput{
		DBClusterIdentifier: aws.String("restored"), SourceDBClusterIdentifier: aws.String(src), RestoreToTime: aws.Time(at.Add(-time.Minute))})
	require.NoError(t, err)
	require.Equal(t, "creating", aws.ToString(out.DBCluster.Status))
	for range 2 {
		got, err := db.DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String("restored")})
		require.NoError(t, err)
		require.Equal(t, "incompatible-restore", aws.ToString(got.DBClusters[0].Status))
	}
	require.Equal(t, 1, sim.Faults()[0].Fired)
}

// TestFailureStateFailsAStackUpdate: botocore's StackUpdateComplete waiter fails on UPDATE_ROLLBACK_FAILED;
// the update ends there through UPDATE_ROLLBACK_IN_PROGRESS, with the parameters it started from.
func TestFailureStateFailsAStackUpdate(t *testing.T) {
	sim, f, _ := start(t, Options{TimeScale: 0})
	ctx := context.Background()
	cfn := f.CloudFormation("us-west-2")
	var name string
	var before map[string]string
	sim.With(func(w *World) {
		for n, st := range w.Regions["us-west-2"].Stacks {
			name, before = n, st.Parameters
		}
	})
	_, err := sim.AddFault(Fault{Kind: FaultFailureState, Service: "cloudformation", Resource: name, State: "UPDATE_ROLLBACK_FAILED"})
	require.NoError(t, err)
	var params []cfntypes.Parameter
	for k := range before {
		if k == "DrMode" {
			params = append(params, cfntypes.Parameter{ParameterKey: aws.String(k), ParameterValue: aws.String("true")})
		} else {
			params = append(params, cfntypes.Parameter{ParameterKey: aws.String(k), UsePreviousValue: aws.Bool(true)})
		}
	}
	_, err = cfn.UpdateStack(ctx, &cloudformation.UpdateStackInput{StackName: aws.String(name), UsePreviousTemplate: aws.Bool(true), Parameters: params})
	require.NoError(t, err)
	out, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	require.NoError(t, err)
	st := out.Stacks[0]
	require.Equal(t, cfntypes.StackStatusUpdateRollbackFailed, st.StackStatus)
	for _, p := range st.Parameters {
		require.Equal(t, before[aws.ToString(p.ParameterKey)], aws.ToString(p.ParameterValue), "a failed update leaves the parameters it started from")
	}
	ev, err := cfn.DescribeStackEvents(ctx, &cloudformation.DescribeStackEventsInput{StackName: aws.String(name)})
	require.NoError(t, err)
	require.Equal(t, cfntypes.ResourceStatus("UPDATE_ROLLBACK_FAILED"), ev.StackEvents[0].ResourceStatus)
	require.Equal(t, cfntypes.ResourceStatus("UPDATE_ROLLBACK_IN_PROGRESS"), ev.StackEvents[1].ResourceStatus)
}

// TestDescribeTableIsEventuallyConsistentAfterARestore: DescribeTable answers ResourceNotFoundException for
// Durations.TableVisible after RestoreTableToPointInTime (DynamoDB's DescribeTable reference, in botocore's
// service-2.json: right after CreateTable it "might return a ResourceNotFoundException ... Wait for a few
// seconds"); at time scale 0 the window is 0.
func TestDescribeTableIsEventuallyConsistentAfterARestore(t *testing.T) {
	sim, east, _, clock := startClocked(t)
	ctx := context.Background()
	src := "roadcall-incidents-prod"
	restore := func(target string) {
		_, err := east.RestoreTableToPointInTime(ctx, &dynamodb.RestoreTableToPointInTimeInput{
			SourceTableName: aws.String(src), TargetTableName: aws.String(target), UseLatestRestorableTime: aws.Bool(true)})
		require.NoError(t, err)
	}
	describe := func(target string) error {
		_, err := east.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(target)})
		return err
	}
	restore("window")
	require.Equal(t, "ResourceNotFoundException", ddbCode(t, describe("window")))
	clock.Add(DefaultDurations().TableVisible)
	require.NoError(t, describe("window"))

	sim.SetTimeScale(0)
	restore("immediate")
	require.NoError(t, describe("immediate"), "time scale 0 keeps tests that rely on immediacy")
}
