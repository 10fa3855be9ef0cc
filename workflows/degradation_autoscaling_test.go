package workflows

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/require"

	"github.com/roadcall/dr/activities"
)

// The degAutoScaling branch (OnGetVersion 1): a global table may be PROVISIONED only with write auto scaling
// (DynamoDB Developer Guide, "Best practices and requirements for managing global tables"), so the plan's
// table action carries Application Auto Scaling and the record step reads the auto scaling it restores.
// The other degradation tests pin the default version: the branch the golden histories replay.

func TestDegradationAutoScaledPlanAppliesAndRevertsToNoAutoScaling(t *testing.T) {
	s := newDegradationFake(t)
	s.autoScaled = true
	fn, table := s.inject()
	rep := s.run(DegradationRequest{Common: Common{AutoApprove: true}})
	require.Equal(t, DegRecoveredReverted, rep.Result, rep.Notes)
	require.Equal(t, degAutoScaledCapacity(s.topo.Degradation), *rep.Plan[1].Capacity)
	require.Equal(t, []ScalingAction{
		{Kind: ActionLambdaConcurrency, Resource: fn, Region: "us-east-1"},
		{Kind: ActionDynamoCapacity, Resource: table, Region: "us-east-1", Capacity: &activities.TableCapacity{BillingMode: activities.BillingPayPerRequest, AutoScaled: true}},
	}, rep.Previous, "recorded with its (absent) auto scaling")
	require.Equal(t, 1, s.count("ReadTableCapacity"))
	require.Zero(t, s.count("DescribeTable"), "the record step reads through ReadTableCapacity")
	require.ElementsMatch(t, []string{"lambda " + fn + " 500",
		"table " + table + " PROVISIONED 1000 read / 500 write, write auto scaling 500-2000 at 70%, read auto scaling 1000-4000 at 70%"}, s.changes[:2])
	require.ElementsMatch(t, []string{"lambda " + fn + " none", "table " + table + " PAY_PER_REQUEST (on-demand), no auto scaling"}, s.changes[2:])
	s.original()
}

// TestDegradationAutoScaledRevertRestoresPreviousAutoScaling: a table that was PROVISIONED 25/10 with its own
// auto scaling in both regions gets exactly that back, auto scaling included (issue 11's revert rule).
func TestDegradationAutoScaledRevertRestoresPreviousAutoScaling(t *testing.T) {
	s := newDegradationFake(t)
	s.autoScaled = true
	_, table := s.inject()
	prev := activities.TableCapacity{BillingMode: activities.BillingProvisioned, ReadCapacity: 25, WriteCapacity: 10, AutoScaled: true,
		AutoScaling: []activities.ScalingTarget{
			{Region: "us-east-1", Dimension: activities.DimensionWrite, Min: 10, Max: 50, Policies: []activities.ScalingPolicy{{Name: "team", TargetValue: 50, ScaleInCooldown: aws.Int32(60)}}},
			{Region: "us-west-2", Dimension: activities.DimensionWrite, Min: 10, Max: 50, Policies: []activities.ScalingPolicy{{Name: "team", TargetValue: 50, ScaleInCooldown: aws.Int32(60)}}},
		}}
	s.capacity[table] = prev
	rep := s.run(DegradationRequest{Common: Common{AutoApprove: true}})
	require.Equal(t, DegRecoveredReverted, rep.Result, rep.Notes)
	require.Equal(t, &prev, rep.Previous[1].Capacity)
	require.Equal(t, prev, s.capacity[table], "restored exactly, auto scaling included")
	require.Contains(t, rep.Previous[1].Command(), "aws application-autoscaling register-scalable-target --service-namespace dynamodb --resource-id table/"+table+
		" --scalable-dimension dynamodb:table:WriteCapacityUnits --min-capacity 10 --max-capacity 50 --region us-west-2")
	require.Contains(t, rep.Previous[1].Command(), "--scalable-dimension dynamodb:table:ReadCapacityUnits --region <each replica region>", "the plan's read target goes")
}

// TestDegradationDefaultVersionKeepsBarePlan: runs recorded before degAutoScaling keep the bare PROVISIONED
// action and DescribeTable, so their histories replay (the golden PartialDegradation-*.json).
func TestDegradationDefaultVersionKeepsBarePlan(t *testing.T) {
	s := newDegradationFake(t)
	_, table := s.inject()
	rep := s.run(DegradationRequest{Common: Common{AutoApprove: true}})
	require.Equal(t, DegRecoveredReverted, rep.Result, rep.Notes)
	require.Equal(t, activities.TableCapacity{BillingMode: activities.BillingProvisioned, ReadCapacity: 1000, WriteCapacity: 500}, *rep.Plan[1].Capacity)
	require.Zero(t, s.count("ReadTableCapacity"))
	require.Equal(t, 1, s.count("DescribeTable"))
	require.Equal(t, "aws dynamodb update-table --table-name "+table+" --billing-mode PAY_PER_REQUEST --region us-east-1", rep.Previous[1].Command())
}
