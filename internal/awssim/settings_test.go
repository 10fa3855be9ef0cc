package awssim

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/stretchr/testify/require"
)

// The rules of UpdateTimeToLive's API reference: a change "can take up to one hour"; "any additional
// UpdateTimeToLive calls for the same table during this one hour duration result in a
// ValidationException"; enabling what is enabled is refused too. A restore starts with TTL off, as
// RestoreTableToPointInTime's reference says TTL settings must be set up again.
func TestUpdateTimeToLiveFollowsAWSRules(t *testing.T) {
	_, east, _, clock := startClocked(t)
	ctx := context.Background()
	src := "roadcall-tracking-sessions-prod"
	ttl := func(table string) *types.TimeToLiveDescription {
		out, err := east.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(table)})
		require.NoError(t, err)
		return out.TimeToLiveDescription
	}
	require.Equal(t, types.TimeToLiveStatusEnabled, ttl(src).TimeToLiveStatus)
	require.Equal(t, "expiresAt", aws.ToString(ttl(src).AttributeName))

	clock.Add(time.Hour)
	_, err := east.RestoreTableToPointInTime(ctx, &dynamodb.RestoreTableToPointInTimeInput{SourceTableName: aws.String(src),
		TargetTableName: aws.String("ttl-restore"), UseLatestRestorableTime: aws.Bool(true)})
	require.NoError(t, err)
	clock.Add(time.Hour)
	require.Equal(t, types.TimeToLiveStatusDisabled, ttl("ttl-restore").TimeToLiveStatus, "a restore drops TTL")

	set := func(enable bool, attr string) error {
		_, err := east.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("ttl-restore"),
			TimeToLiveSpecification: &types.TimeToLiveSpecification{Enabled: aws.Bool(enable), AttributeName: aws.String(attr)}})
		return err
	}
	require.NoError(t, set(true, "expiresAt"))
	require.Equal(t, types.TimeToLiveStatusEnabling, ttl("ttl-restore").TimeToLiveStatus)
	err = set(false, "expiresAt")
	require.Equal(t, "ValidationException", ddbCode(t, err))
	require.Contains(t, err.Error(), "modified multiple times within a fixed interval")
	clock.Add(time.Hour)
	require.Equal(t, types.TimeToLiveStatusEnabled, ttl("ttl-restore").TimeToLiveStatus)
	require.Contains(t, set(true, "other").Error(), "TimeToLive is already enabled")
	require.Contains(t, set(false, "other").Error(), "different AttributeName")
	_, err = east.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("nope"),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{Enabled: aws.Bool(true), AttributeName: aws.String("x")}})
	require.Equal(t, "ResourceNotFoundException", ddbCode(t, err))
}

// UpdateTable's StreamSpecification: "You receive a ValidationException if you try to enable a stream on a
// table that already has a stream, or if you try to disable a stream on a table that doesn't have a
// stream." Deletion protection is UpdateTable's DeletionProtectionEnabled; tags are TagResource's, on an ARN.
func TestStreamsTagsAndDeletionProtection(t *testing.T) {
	sim, f, _ := start(t, Options{TimeScale: 0})
	ctx := context.Background()
	db := f.DynamoDB("us-east-1")
	src := "roadcall-incidents-prod"
	d, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(src)})
	require.NoError(t, err)
	require.Equal(t, types.StreamViewTypeNewAndOldImages, d.Table.StreamSpecification.StreamViewType)
	require.True(t, aws.ToBool(d.Table.DeletionProtectionEnabled))
	_, err = db.RestoreTableToPointInTime(ctx, &dynamodb.RestoreTableToPointInTimeInput{SourceTableName: aws.String(src),
		TargetTableName: aws.String("stream-restore"), UseLatestRestorableTime: aws.Bool(true)})
	require.NoError(t, err)
	r, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("stream-restore")})
	require.NoError(t, err)
	require.Nil(t, r.Table.StreamSpecification, "a restore drops the stream")
	require.Nil(t, r.Table.LatestStreamArn)
	require.False(t, aws.ToBool(r.Table.DeletionProtectionEnabled))

	stream := func(table string, spec types.StreamSpecification) error {
		_, err := db.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String(table), StreamSpecification: &spec})
		return err
	}
	require.Equal(t, "ValidationException", ddbCode(t, stream("stream-restore", types.StreamSpecification{StreamEnabled: aws.Bool(false)})))
	require.NoError(t, stream("stream-restore", types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeKeysOnly}))
	err = stream("stream-restore", types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewAndOldImages})
	require.Contains(t, err.Error(), "already has an enabled stream")
	require.Equal(t, "ValidationException", ddbCode(t, stream(src, types.StreamSpecification{StreamEnabled: aws.Bool(false)})), "a global table replicates through its stream")
	r, err = db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("stream-restore")})
	require.NoError(t, err)
	require.Contains(t, aws.ToString(r.Table.LatestStreamArn), "table/stream-restore/stream/")
	_, err = db.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("stream-restore"), DeletionProtectionEnabled: aws.Bool(true)})
	require.NoError(t, err)

	var tags []types.Tag
	for i := range 15 {
		tags = append(tags, types.Tag{Key: aws.String(fmt.Sprintf("k%02d", i)), Value: aws.String("v")})
	}
	_, err = db.TagResource(ctx, &dynamodb.TagResourceInput{ResourceArn: r.Table.TableArn, Tags: tags})
	require.NoError(t, err)
	_, err = db.TagResource(ctx, &dynamodb.TagResourceInput{ResourceArn: aws.String("stream-restore"), Tags: tags})
	require.Equal(t, "ValidationException", ddbCode(t, err), "TagResource takes an ARN")
	_, err = db.TagResource(ctx, &dynamodb.TagResourceInput{ResourceArn: r.Table.TableArn, Tags: []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("v")}}})
	require.Equal(t, "ValidationException", ddbCode(t, err), "aws: keys are AWS's")
	n, pages := 0, 0
	for next := (*string)(nil); pages == 0 || next != nil; {
		out, err := db.ListTagsOfResource(ctx, &dynamodb.ListTagsOfResourceInput{ResourceArn: r.Table.TableArn, NextToken: next})
		require.NoError(t, err)
		n, pages, next = n+len(out.Tags), pages+1, out.NextToken
	}
	require.Equal(t, 15, n)
	require.Equal(t, 2, pages)
	require.Len(t, journalOf(sim, "TagResource"), 3, "refused calls are journaled too")
}

// RestoreDBClusterToPointInTime takes parameter group, subnet group, security groups and tags from its
// request; without them RDS uses the engine's default parameter group and the default VPC (its API
// reference). Names that do not exist are refused with RDS's codes (botocore's rds model).
func TestClusterRestoreTakesSettingsFromTheRequest(t *testing.T) {
	_, f, url := start(t, Options{TimeScale: 0})
	ctx := context.Background()
	db := f.RDS("us-east-1")
	restore := func(id string, mod func(*rds.RestoreDBClusterToPointInTimeInput)) (*rds.RestoreDBClusterToPointInTimeOutput, error) {
		in := &rds.RestoreDBClusterToPointInTimeInput{DBClusterIdentifier: aws.String(id), SourceDBClusterIdentifier: aws.String("roadcall-aurora-prod"), UseLatestRestorableTime: aws.Bool(true)}
		if mod != nil {
			mod(in)
		}
		return db.RestoreDBClusterToPointInTime(ctx, in)
	}
	out, err := restore("bare", nil)
	require.NoError(t, err)
	require.Equal(t, "default.aurora-postgresql15", aws.ToString(out.DBCluster.DBClusterParameterGroup))
	require.Equal(t, "default", aws.ToString(out.DBCluster.DBSubnetGroup))
	require.Len(t, out.DBCluster.VpcSecurityGroups, 1)
	require.Empty(t, out.DBCluster.TagList)

	for code, mod := range map[string]func(*rds.RestoreDBClusterToPointInTimeInput){
		"DBClusterParameterGroupNotFound": func(in *rds.RestoreDBClusterToPointInTimeInput) { in.DBClusterParameterGroupName = aws.String("nope") },
		"DBSubnetGroupNotFoundFault":      func(in *rds.RestoreDBClusterToPointInTimeInput) { in.DBSubnetGroupName = aws.String("nope") },
		"InvalidParameterValue":           func(in *rds.RestoreDBClusterToPointInTimeInput) { in.VpcSecurityGroupIds = []string{"sg-nope"} },
	} {
		_, err := restore("refused", mod)
		require.Equal(t, code, ddbCode(t, err))
	}

	src := awsCLI(t, url, "rds", "describe-db-clusters", "--db-cluster-identifier", "roadcall-aurora-prod", "--region", "us-east-1")["DBClusters"].([]any)[0].(map[string]any)
	require.Equal(t, "roadcall-aurora-prod-cluster-params", src["DBClusterParameterGroup"])
	require.Equal(t, "roadcall-aurora-prod-subnets", src["DBSubnetGroup"])
	require.Len(t, src["VpcSecurityGroups"], 2)
	require.NotEmpty(t, src["TagList"])

	_, err = db.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String("bare-1"), DBClusterIdentifier: aws.String("bare"),
		DBInstanceClass: aws.String("db.r6g.large"), Engine: aws.String("aurora-postgresql"), DBParameterGroupName: aws.String("nope")})
	require.Equal(t, "DBParameterGroupNotFound", ddbCode(t, err))
	inst, err := db.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String("bare-1"), DBClusterIdentifier: aws.String("bare"),
		DBInstanceClass: aws.String("db.r6g.large"), Engine: aws.String("aurora-postgresql")})
	require.NoError(t, err)
	require.Equal(t, "default.aurora-postgresql15", aws.ToString(inst.DBInstance.DBParameterGroups[0].DBParameterGroupName))
}
