package awssim

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/require"
)

// TestRunbookUpdateTableRefusedOnGlobalTable: the runbook's own command, PROVISIONED 1000/500 on the global
// table roadcall-incidents-prod, is refused as AWS refuses it ("Table write capacity should either be
// Pay-Per-Request or AutoScaled"; DynamoDB Developer Guide, global tables best practices: on-demand, or
// provisioned with auto scaling). With write auto scaling registered through Application Auto Scaling
// (the CLI's application-autoscaling, awsJson1_1 AnyScaleFrontendService) the same command is accepted.
func TestRunbookUpdateTableRefusedOnGlobalTable(t *testing.T) {
	sim, _, url := start(t, Options{TimeScale: 0})
	runbook := []string{"dynamodb", "update-table", "--table-name", "roadcall-incidents-prod", "--billing-mode", "PROVISIONED",
		"--provisioned-throughput", "ReadCapacityUnits=1000,WriteCapacityUnits=500", "--region", "us-east-1"}
	out, err := awsCLIRaw(t, url, runbook...)
	if err == nil || !strings.Contains(string(out), "ValidationException") || !strings.Contains(string(out), "Table write capacity should either be Pay-Per-Request or AutoScaled") {
		t.Fatalf("the runbook's update-table on a global table must be refused with ValidationException, got err=%v:\n%s", err, out)
	}
	sim.With(func(w *World) {
		if tb := w.Regions["us-east-1"].Tables["roadcall-incidents-prod"]; tb.BillingMode != "PAY_PER_REQUEST" {
			t.Fatalf("a refused update changed the table: %s", tb.BillingMode)
		}
	})

	// Application Auto Scaling's own refusals, as its model names them.
	out, err = awsCLIRaw(t, url, "application-autoscaling", "put-scaling-policy", "--service-namespace", "dynamodb", "--resource-id", "table/roadcall-incidents-prod",
		"--scalable-dimension", "dynamodb:table:WriteCapacityUnits", "--policy-name", "p", "--policy-type", "TargetTrackingScaling",
		"--target-tracking-scaling-policy-configuration", `{"TargetValue":70,"PredefinedMetricSpecification":{"PredefinedMetricType":"DynamoDBWriteCapacityUtilization"}}`, "--region", "us-east-1")
	if err == nil || !strings.Contains(string(out), "ObjectNotFoundException") {
		t.Fatalf("a policy without a scalable target: want ObjectNotFoundException, got %v:\n%s", err, out)
	}
	out, err = awsCLIRaw(t, url, "application-autoscaling", "register-scalable-target", "--service-namespace", "dynamodb", "--resource-id", "table/roadcall-incidents-prod",
		"--scalable-dimension", "dynamodb:table:WriteCapacityUnits", "--min-capacity", "600", "--max-capacity", "500", "--region", "us-east-1")
	if err == nil || !strings.Contains(string(out), "ValidationException") {
		t.Fatalf("min above max: want ValidationException, got %v:\n%s", err, out)
	}

	for _, r := range []string{"us-east-1", "us-west-2"} {
		awsCLI(t, url, "application-autoscaling", "register-scalable-target", "--service-namespace", "dynamodb", "--resource-id", "table/roadcall-incidents-prod",
			"--scalable-dimension", "dynamodb:table:WriteCapacityUnits", "--min-capacity", "500", "--max-capacity", "2000", "--region", r)
		awsCLI(t, url, "application-autoscaling", "put-scaling-policy", "--service-namespace", "dynamodb", "--resource-id", "table/roadcall-incidents-prod",
			"--scalable-dimension", "dynamodb:table:WriteCapacityUnits", "--policy-name", "write-70", "--policy-type", "TargetTrackingScaling",
			"--target-tracking-scaling-policy-configuration", `{"TargetValue":70,"PredefinedMetricSpecification":{"PredefinedMetricType":"DynamoDBWriteCapacityUtilization"}}`, "--region", r)
	}
	awsCLI(t, url, runbook...)
	got := awsCLI(t, url, "application-autoscaling", "describe-scalable-targets", "--service-namespace", "dynamodb", "--resource-ids", "table/roadcall-incidents-prod", "--region", "us-west-2")
	ts, _ := got["ScalableTargets"].([]any)
	if len(ts) != 1 || ts[0].(map[string]any)["MinCapacity"] != float64(500) {
		t.Fatalf("describe-scalable-targets: %v", got)
	}
	pol := awsCLI(t, url, "application-autoscaling", "describe-scaling-policies", "--service-namespace", "dynamodb", "--resource-id", "table/roadcall-incidents-prod", "--region", "us-east-1")
	if ps, _ := pol["ScalingPolicies"].([]any); len(ps) != 1 {
		t.Fatalf("describe-scaling-policies: %v", pol)
	}
	awsCLI(t, url, "application-autoscaling", "delete-scaling-policy", "--service-namespace", "dynamodb", "--resource-id", "table/roadcall-incidents-prod",
		"--scalable-dimension", "dynamodb:table:WriteCapacityUnits", "--policy-name", "write-70", "--region", "us-east-1")
	awsCLI(t, url, "application-autoscaling", "deregister-scalable-target", "--service-namespace", "dynamodb", "--resource-id", "table/roadcall-incidents-prod",
		"--scalable-dimension", "dynamodb:table:WriteCapacityUnits", "--region", "us-east-1")
	out, err = awsCLIRaw(t, url, "application-autoscaling", "deregister-scalable-target", "--service-namespace", "dynamodb", "--resource-id", "table/roadcall-incidents-prod",
		"--scalable-dimension", "dynamodb:table:WriteCapacityUnits", "--region", "us-east-1")
	if err == nil || !strings.Contains(string(out), "ObjectNotFoundException") {
		t.Fatalf("deregistering twice: want ObjectNotFoundException, got %v:\n%s", err, out)
	}
	// A single-region table is not a global table: manual provisioned capacity is allowed.
	sim.With(func(w *World) { w.Regions["us-east-1"].Tables["roadcall-users-prod"].Replicas = []string{"us-east-1"} })
	awsCLI(t, url, "dynamodb", "update-table", "--table-name", "roadcall-users-prod", "--billing-mode", "PROVISIONED",
		"--provisioned-throughput", "ReadCapacityUnits=1000,WriteCapacityUnits=500", "--region", "us-east-1")
}

// TestSeededAutoScalingAndWhatARestoreDrops: the users table is seeded PROVISIONED with read and write auto
// scaling in both replica regions (a provisioned global table must be auto scaled, DynamoDB Developer Guide,
// "Best practices and requirements for managing global tables"). A point-in-time restore keeps its billing
// mode and capacity but not its auto scaling ("You must manually set up the following on the restored table:
// auto scaling policies, ...", RestoreTableToPointInTime's API reference).
func TestSeededAutoScalingAndWhatARestoreDrops(t *testing.T) {
	sim, f, _ := start(t, Options{TimeScale: 0})
	ctx := context.Background()
	const table = "roadcall-users-prod"
	for _, r := range []string{"us-east-1", "us-west-2"} {
		c := f.ApplicationAutoScaling(r)
		ts, err := c.DescribeScalableTargets(ctx, &aas.DescribeScalableTargetsInput{ServiceNamespace: aastypes.ServiceNamespaceDynamodb, ResourceIds: []string{"table/" + table}})
		require.NoError(t, err)
		require.Len(t, ts.ScalableTargets, 2, r)
		got := map[string][2]int32{}
		for _, tg := range ts.ScalableTargets {
			got[string(tg.ScalableDimension)] = [2]int32{aws.ToInt32(tg.MinCapacity), aws.ToInt32(tg.MaxCapacity)}
			require.Contains(t, aws.ToString(tg.ScalableTargetARN), "arn:aws:application-autoscaling:"+r+":123456789012:scalable-target/")
		}
		require.Equal(t, map[string][2]int32{dimTableRead: {seedReadCapacity, seedReadMax}, dimTableWrite: {seedWriteCapacity, seedWriteMax}}, got, r)
		ps, err := c.DescribeScalingPolicies(ctx, &aas.DescribeScalingPoliciesInput{ServiceNamespace: aastypes.ServiceNamespaceDynamodb, ResourceId: aws.String("table/" + table)})
		require.NoError(t, err)
		require.Len(t, ps.ScalingPolicies, 2, r)
		for _, p := range ps.ScalingPolicies {
			require.Equal(t, aastypes.PolicyTypeTargetTrackingScaling, p.PolicyType)
			require.Equal(t, float64(seedTargetUtilization), aws.ToFloat64(p.TargetTrackingScalingPolicyConfiguration.TargetValue))
		}
		d, err := f.DynamoDB(r).DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
		require.NoError(t, err)
		require.Equal(t, ddbtypes.BillingModeProvisioned, d.Table.BillingModeSummary.BillingMode)
	}

	east := f.DynamoDB("us-east-1")
	_, err := east.RestoreTableToPointInTime(ctx, &dynamodb.RestoreTableToPointInTimeInput{SourceTableName: aws.String(table),
		TargetTableName: aws.String(table + "-restored"), UseLatestRestorableTime: aws.Bool(true)})
	require.NoError(t, err)
	sim.With(func(w *World) {
		tb := w.Regions["us-east-1"].Tables[table+"-restored"]
		require.Equal(t, []any{"PROVISIONED", int64(seedReadCapacity), int64(seedWriteCapacity)}, []any{tb.BillingMode, tb.ReadCap, tb.WriteCap})
		require.False(t, w.Regions["us-east-1"].ScalableTargets[targetKey("table/"+table+"-restored", dimTableWrite)] != nil, "no auto scaling on the restore")
	})
}

// TestRegisterScalableTargetOnOnDemandTableIsDormant records what AWS does with a scalable target on a
// PAY_PER_REQUEST table: it accepts it and it scales nothing. AWS documents no refusal: RegisterScalableTarget's
// API reference (botocore's application-autoscaling 2016-02-06 model) lists no such error and says "If the
// specified resource is not active in the target service, this operation does not change the resource's
// current capacity"; DynamoDB auto scaling adjusts provisioned throughput only (DynamoDB Developer Guide,
// "Managing throughput capacity automatically with DynamoDB auto scaling"); and settings made with the CLI
// or an SDK survive a switch to on-demand, to apply again when the table is provisioned again ("Considerations
// when switching capacity modes"). A global table needs it: the write target must exist before UpdateTable
// makes the table PROVISIONED, or AWS refuses the switch. So awssim accepts it, leaves the table on-demand
// with no capacity, and the target governs capacity only from the switch.
func TestRegisterScalableTargetOnOnDemandTableIsDormant(t *testing.T) {
	sim, f, _ := start(t, Options{TimeScale: 0})
	ctx := context.Background()
	const table = "roadcall-incidents-prod"
	for _, r := range []string{"us-east-1", "us-west-2"} {
		_, err := f.ApplicationAutoScaling(r).RegisterScalableTarget(ctx, &aas.RegisterScalableTargetInput{ServiceNamespace: aastypes.ServiceNamespaceDynamodb,
			ResourceId: aws.String("table/" + table), ScalableDimension: aastypes.ScalableDimensionDynamoDBTableWriteCapacityUnits,
			MinCapacity: aws.Int32(500), MaxCapacity: aws.Int32(2000)})
		require.NoError(t, err, r)
	}
	sim.With(func(w *World) {
		tb := w.Regions["us-east-1"].Tables[table]
		require.Equal(t, []any{"PAY_PER_REQUEST", "ACTIVE", int64(0), int64(0)}, []any{tb.BillingMode, tb.Status, tb.ReadCap, tb.WriteCap}, "dormant: nothing to scale")
	})
	_, err := f.DynamoDB("us-east-1").UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String(table), BillingMode: ddbtypes.BillingModeProvisioned,
		ProvisionedThroughput: &ddbtypes.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(1000), WriteCapacityUnits: aws.Int64(500)}})
	require.NoError(t, err, "with the write target in place the global table may go PROVISIONED")
}
