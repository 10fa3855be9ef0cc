package activities

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/require"

	"github.com/roadcall/dr/internal/awssim"
)

// autoScaledPlan is the degradation plan's setting: PROVISIONED 1000/500 with target tracking at 70 %,
// minimum the plan's capacity, in every replica region.
var autoScaledPlan = TableCapacity{BillingMode: BillingProvisioned, ReadCapacity: 1000, WriteCapacity: 500, AutoScaled: true,
	AutoScaling: []ScalingTarget{
		{Dimension: DimensionWrite, Min: 500, Max: 2000, Policies: []ScalingPolicy{{Name: "roadcall-dr-write", TargetValue: 70}}},
		{Dimension: DimensionRead, Min: 1000, Max: 4000, Policies: []ScalingPolicy{{Name: "roadcall-dr-read", TargetValue: 70}}},
	}}

func targetsIn(sim *awssim.Server, region, table string) (out []string) {
	sim.With(func(w *awssim.World) {
		for _, k := range awssim.SortedKeys(w.Regions[region].ScalableTargets) {
			t := w.Regions[region].ScalableTargets[k]
			if t.ResourceID == "table/"+table {
				out = append(out, t.Dimension)
			}
		}
	})
	return out
}

func tableJournal(sim *awssim.Server, table string) []string {
	var out []string
	for _, e := range sim.Journal() {
		if e.Resource == table || e.Resource == "table/"+table {
			out = append(out, e.Region+" "+e.Operation+" "+e.Detail)
		}
	}
	return out
}

// TestGlobalTableAutoScaledApplyAndExactRevert: a global table goes PROVISIONED only with write auto
// scaling (DynamoDB Developer Guide, "Best practices and requirements for managing global tables"), which
// is registered in each replica region (same guide: RegisterScalableTarget and PutScalingPolicy apply per
// replica). Applying twice changes once; the revert to the recorded setting restores on-demand and removes
// every target; the journal shows each change.
func TestGlobalTableAutoScaledApplyAndExactRevert(t *testing.T) {
	sim, acts, topo := capacitySim(t)
	ctx := context.Background()
	region, dr, table := topo.PrimaryRegion, topo.DRRegion, "roadcall-incidents-prod"

	res, err := acts.SetTableCapacity(ctx, CapacityChange{Region: region, Table: table, Target: autoScaledPlan})
	require.NoError(t, err)
	require.True(t, res.Changed)
	require.Equal(t, TableCapacity{BillingMode: BillingPayPerRequest, AutoScaled: true}, res.Previous, "recorded: on-demand, no auto scaling")
	require.Equal(t, "PROVISIONED 1000 read / 500 write, write auto scaling 500-2000 at 70% in us-east-1, read auto scaling 1000-4000 at 70% in us-east-1, "+
		"write auto scaling 500-2000 at 70% in us-west-2, read auto scaling 1000-4000 at 70% in us-west-2", res.Current.String())
	for _, r := range []string{region, dr} {
		mode, rc, wc, _ := tableCapacity(sim, r, table)
		require.Equal(t, []any{"PROVISIONED", int64(1000), int64(500)}, []any{mode, rc, wc}, "replica %s", r)
		require.Equal(t, []string{DimensionRead, DimensionWrite}, targetsIn(sim, r, table), "targets in %s", r)
	}
	applied := tableJournal(sim, table)
	require.Equal(t, []string{
		"us-east-1 RegisterScalableTarget dynamodb:table:WriteCapacityUnits min=500 max=2000",
		"us-east-1 PutScalingPolicy dynamodb:table:WriteCapacityUnits policy roadcall-dr-write target 70% DynamoDBWriteCapacityUtilization",
		"us-east-1 RegisterScalableTarget dynamodb:table:ReadCapacityUnits min=1000 max=4000",
		"us-east-1 PutScalingPolicy dynamodb:table:ReadCapacityUnits policy roadcall-dr-read target 70% DynamoDBReadCapacityUtilization",
		"us-west-2 RegisterScalableTarget dynamodb:table:WriteCapacityUnits min=500 max=2000",
		"us-west-2 PutScalingPolicy dynamodb:table:WriteCapacityUnits policy roadcall-dr-write target 70% DynamoDBWriteCapacityUtilization",
		"us-west-2 RegisterScalableTarget dynamodb:table:ReadCapacityUnits min=1000 max=4000",
		"us-west-2 PutScalingPolicy dynamodb:table:ReadCapacityUnits policy roadcall-dr-read target 70% DynamoDBReadCapacityUtilization",
		"us-east-1 UpdateTable billing=PROVISIONED read=1000 write=500",
	}, applied, "write auto scaling is in place before UpdateTable")

	again, err := acts.SetTableCapacity(ctx, CapacityChange{Region: region, Table: table, Target: autoScaledPlan})
	require.NoError(t, err)
	require.False(t, again.Changed, "applying twice = once")
	require.Equal(t, applied, tableJournal(sim, table), "no call the second time")

	for i, want := range []bool{true, false} {
		back, err := acts.SetTableCapacity(ctx, CapacityChange{Region: region, Table: table, Target: res.Previous})
		require.NoError(t, err, "revert %d", i)
		require.Equal(t, want, back.Changed, "revert %d", i)
		require.Equal(t, res.Previous, back.Current)
	}
	for _, r := range []string{region, dr} {
		mode, _, _, _ := tableCapacity(sim, r, table)
		require.Equal(t, "PAY_PER_REQUEST", mode, "replica %s", r)
		require.Empty(t, targetsIn(sim, r, table), "no auto scaling left in %s", r)
	}
	require.Equal(t, []string{
		"us-east-1 UpdateTable billing=PAY_PER_REQUEST read=0 write=0",
		"us-east-1 DeregisterScalableTarget dynamodb:table:WriteCapacityUnits deregistered",
		"us-east-1 DeregisterScalableTarget dynamodb:table:ReadCapacityUnits deregistered",
		"us-west-2 DeregisterScalableTarget dynamodb:table:WriteCapacityUnits deregistered",
		"us-west-2 DeregisterScalableTarget dynamodb:table:ReadCapacityUnits deregistered",
	}, tableJournal(sim, table)[len(applied):], "on-demand first, then the targets go")
}

// TestAutoScaledRevertRestoresPreviousAutoScaling: a table already PROVISIONED with its own auto scaling
// (other bounds, cooldowns, policy names) gets exactly that back, per region, after the plan's setting:
// "The revert restores the exact previous settings, auto scaling included" (issue 11), checked against what
// Application Auto Scaling's DescribeScalableTargets and DescribeScalingPolicies answer.
func TestAutoScaledRevertRestoresPreviousAutoScaling(t *testing.T) {
	sim, acts, topo := capacitySim(t)
	ctx := context.Background()
	region, table := topo.PrimaryRegion, "roadcall-vendors-prod"
	orig := TableCapacity{BillingMode: BillingProvisioned, ReadCapacity: 40, WriteCapacity: 20, AutoScaled: true, AutoScaling: []ScalingTarget{
		{Region: topo.PrimaryRegion, Dimension: DimensionWrite, Min: 20, Max: 200, Policies: []ScalingPolicy{{Name: "team-write", TargetValue: 50, ScaleInCooldown: aws.Int32(300), ScaleOutCooldown: aws.Int32(30)}}},
		{Region: topo.PrimaryRegion, Dimension: DimensionRead, Min: 40, Max: 400, Policies: []ScalingPolicy{{Name: "team-read", TargetValue: 60, DisableScaleIn: true}}},
		{Region: topo.DRRegion, Dimension: DimensionWrite, Min: 20, Max: 200, Policies: []ScalingPolicy{{Name: "team-write", TargetValue: 50, ScaleInCooldown: aws.Int32(300), ScaleOutCooldown: aws.Int32(30)}}},
	}}
	_, err := acts.SetTableCapacity(ctx, CapacityChange{Region: region, Table: table, Target: orig})
	require.NoError(t, err)

	res, err := acts.SetTableCapacity(ctx, CapacityChange{Region: region, Table: table, Target: autoScaledPlan})
	require.NoError(t, err)
	require.True(t, res.Changed)
	require.Equal(t, orig, res.Previous, "recorded exactly as it was")
	back, err := acts.SetTableCapacity(ctx, CapacityChange{Region: region, Table: table, Target: res.Previous})
	require.NoError(t, err)
	require.True(t, back.Changed)
	require.Equal(t, orig, back.Current)
	read, err := acts.readAutoScaling(ctx, table, []string{topo.PrimaryRegion, topo.DRRegion})
	require.NoError(t, err)
	require.Equal(t, orig.AutoScaling, read, "targets and policies as before, the plan's policies gone")
	mode, r, w, _ := tableCapacity(sim, region, table)
	require.Equal(t, []any{"PROVISIONED", int64(40), int64(20)}, []any{mode, r, w})
}

// TestSingleRegionTableAutoScaledRevert: a single-region table provisioned by hand (no auto scaling) is
// allowed by AWS; the plan adds auto scaling and the revert removes it and restores the capacity.
func TestSingleRegionTableAutoScaledRevert(t *testing.T) {
	sim, acts, topo := capacitySim(t)
	ctx := context.Background()
	// Not the users table: the seed auto scales it.
	region, table := topo.PrimaryRegion, "roadcall-call-records-prod"
	singleRegion(sim, region, table)
	_, err := acts.SetTableCapacity(ctx, CapacityChange{Region: region, Table: table, Target: TableCapacity{BillingMode: BillingProvisioned, ReadCapacity: 25, WriteCapacity: 10}})
	require.NoError(t, err)
	res, err := acts.SetTableCapacity(ctx, CapacityChange{Region: region, Table: table, Target: autoScaledPlan})
	require.NoError(t, err)
	require.Equal(t, TableCapacity{BillingMode: BillingProvisioned, ReadCapacity: 25, WriteCapacity: 10, AutoScaled: true}, res.Previous)
	require.Len(t, res.Current.AutoScaling, 2, "one region: two targets")
	_, err = acts.SetTableCapacity(ctx, CapacityChange{Region: region, Table: table, Target: res.Previous})
	require.NoError(t, err)
	require.Empty(t, targetsIn(sim, region, table))
	mode, r, w, _ := tableCapacity(sim, region, table)
	require.Equal(t, []any{"PROVISIONED", int64(25), int64(10)}, []any{mode, r, w})
}

// TestBareProvisionedOnGlobalTableIsRefused: the old plan (PROVISIONED without auto scaling) on a global
// table is refused, non-retryably, with AWS's ValidationException.
func TestBareProvisionedOnGlobalTableIsRefused(t *testing.T) {
	sim, acts, topo := capacitySim(t)
	_, err := acts.SetTableCapacity(context.Background(), CapacityChange{Region: topo.PrimaryRegion, Table: "roadcall-incidents-prod", Target: provisioned})
	ae := nonRetryable(t, err)
	require.Equal(t, "ValidationException", ae.Type())
	require.Contains(t, ae.Message(), "Table write capacity should either be Pay-Per-Request or AutoScaled")
	mode, _, _, _ := tableCapacity(sim, topo.PrimaryRegion, "roadcall-incidents-prod")
	require.Equal(t, "PAY_PER_REQUEST", mode)
}

func TestAutoScalingCommands(t *testing.T) {
	cmds := AutoScalingCommands("t", TableCapacity{BillingMode: BillingPayPerRequest, AutoScaled: true},
		[]ScalingTarget{{Region: "us-east-1", Dimension: DimensionWrite, Min: 1, Max: 2}})
	require.Equal(t, []string{"aws application-autoscaling deregister-scalable-target --service-namespace dynamodb --resource-id table/t --scalable-dimension dynamodb:table:WriteCapacityUnits --region us-east-1"}, cmds)
	cmds = AutoScalingCommands("t", autoScaledPlan, nil)
	require.Len(t, cmds, 4)
	require.True(t, strings.Contains(cmds[1], `'{"DisableScaleIn":false,"PredefinedMetricSpecification":{"PredefinedMetricType":"DynamoDBWriteCapacityUtilization"},"TargetValue":70}'`), cmds[1])
}
