package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
)

// A global table must be on-demand or provisioned with write auto scaling: "A global table must have
// throughput capacity configured one of two ways: on-demand capacity mode ... provisioned capacity mode
// with auto scaling" (DynamoDB Developer Guide, "Best practices and requirements for managing global
// tables"); AWS refuses a bare PROVISIONED UpdateTable with ValidationException "Table write capacity
// should either be Pay-Per-Request or AutoScaled". So the degradation plan's provisioned capacity comes
// with Application Auto Scaling: a scalable target per dimension whose minimum is the plan's capacity and
// a target-tracking policy, registered in every replica region, as that guide says of RegisterScalableTarget
// and PutScalingPolicy ("apply the change to each replica table ... individually"). This was chosen over
// raising an on-demand table's WarmThroughput or OnDemandThroughput: warm throughput cannot be decreased,
// so a revert could not restore the previous setting, and an on-demand maximum only lifts a cap the tables
// do not have.
//
// Registering a scalable target on an on-demand (PAY_PER_REQUEST) table: AWS accepts it and it scales
// nothing until the table is PROVISIONED. RegisterScalableTarget's API reference (botocore's
// application-autoscaling 2016-02-06 model) lists no error for it and says a resource "not active in the
// target service" keeps its capacity; DynamoDB auto scaling adjusts provisioned throughput only (DynamoDB
// Developer Guide, "Managing throughput capacity automatically with DynamoDB auto scaling"); and "Considerations
// when switching capacity modes" says CLI- and SDK-made auto scaling is kept across a switch to on-demand,
// to apply again when the table is provisioned again. It is not meaningless here: a global table is refused
// PROVISIONED until its write target exists, so setAutoScaledCapacity registers the targets on the on-demand
// table and switches it to PROVISIONED in the same attempt, and never leaves an on-demand table with targets
// it did not have (going on-demand, UpdateTable comes first and the targets are deregistered after).
// CarryTableSettings gives an on-demand restore targets only when its on-demand source has them.

// Application Auto Scaling's dimensions of a DynamoDB table.
const (
	DimensionRead  = "dynamodb:table:ReadCapacityUnits"
	DimensionWrite = "dynamodb:table:WriteCapacityUnits"
)

// ScalingTarget is one dimension's scalable target in one region with its target-tracking policies.
type ScalingTarget struct {
	// Region is the replica region; "" in a plan means every replica region of the table.
	Region    string          `json:"region,omitempty"`
	Dimension string          `json:"dimension"`
	Min       int64           `json:"min"`
	Max       int64           `json:"max"`
	Policies  []ScalingPolicy `json:"policies,omitempty"`
}

// ScalingPolicy is a target-tracking policy on the dimension's predefined utilization metric.
type ScalingPolicy struct {
	Name             string  `json:"name"`
	TargetValue      float64 `json:"targetValue"`
	ScaleInCooldown  *int32  `json:"scaleInCooldown,omitempty"`
	ScaleOutCooldown *int32  `json:"scaleOutCooldown,omitempty"`
	DisableScaleIn   bool    `json:"disableScaleIn,omitempty"`
}

func (p ScalingPolicy) same(o ScalingPolicy) bool {
	eq := func(a, b *int32) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
	return p.Name == o.Name && p.TargetValue == o.TargetValue && p.DisableScaleIn == o.DisableScaleIn &&
		eq(p.ScaleInCooldown, o.ScaleInCooldown) && eq(p.ScaleOutCooldown, o.ScaleOutCooldown)
}

func (t ScalingTarget) same(o ScalingTarget) bool {
	if t.Region != o.Region || t.Dimension != o.Dimension || t.Min != o.Min || t.Max != o.Max || len(t.Policies) != len(o.Policies) {
		return false
	}
	for i := range t.Policies {
		if !t.Policies[i].same(o.Policies[i]) {
			return false
		}
	}
	return true
}

func (t ScalingTarget) String() string {
	dim := "write"
	if t.Dimension == DimensionRead {
		dim = "read"
	}
	s := fmt.Sprintf("%s auto scaling %d-%d", dim, t.Min, t.Max)
	for _, p := range t.Policies {
		s += fmt.Sprintf(" at %g%%", p.TargetValue)
	}
	if t.Region != "" {
		s += " in " + t.Region
	}
	return s
}

// metricOf is the predefined metric a DynamoDB table dimension's target tracking follows.
func metricOf(dim string) aastypes.MetricType {
	if dim == DimensionRead {
		return aastypes.MetricTypeDynamoDBReadCapacityUtilization
	}
	return aastypes.MetricTypeDynamoDBWriteCapacityUtilization
}

// replicaRegions are the table's regions: the one asked and its replicas, sorted.
func replicaRegions(info TableInfo) []string {
	rs := []string{info.Region}
	for r := range info.Replicas {
		if r != info.Region {
			rs = append(rs, r)
		}
	}
	sort.Strings(rs)
	return rs
}

// expandTargets gives every target without a region one copy per replica region, sorted by region and
// dimension (write first), the order comparisons and registrations use.
func expandTargets(ts []ScalingTarget, regions []string) []ScalingTarget {
	var out []ScalingTarget
	for _, t := range ts {
		if t.Region != "" {
			out = append(out, t)
			continue
		}
		for _, r := range regions {
			c := t
			c.Region = r
			out = append(out, c)
		}
	}
	sortTargets(out)
	return out
}

func sortTargets(ts []ScalingTarget) {
	sort.SliceStable(ts, func(i, j int) bool {
		if ts[i].Region != ts[j].Region {
			return ts[i].Region < ts[j].Region
		}
		return ts[i].Dimension > ts[j].Dimension // WriteCapacityUnits before ReadCapacityUnits
	})
}

// readAutoScaling reads the table's scalable targets and policies in each region. A policy it could not
// put back exactly (a customized metric, step scaling) is refused: the revert must restore what was there.
func (a *Activities) readAutoScaling(ctx context.Context, table string, regions []string) ([]ScalingTarget, error) {
	res := "table/" + table
	var out []ScalingTarget
	for _, r := range regions {
		c := a.AWS.ApplicationAutoScaling(r)
		ts, err := c.DescribeScalableTargets(ctx, &aas.DescribeScalableTargetsInput{ServiceNamespace: aastypes.ServiceNamespaceDynamodb, ResourceIds: []string{res}})
		if err != nil {
			return nil, classify(err, "application-autoscaling:DescribeScalableTargets", res, r)
		}
		ps, err := c.DescribeScalingPolicies(ctx, &aas.DescribeScalingPoliciesInput{ServiceNamespace: aastypes.ServiceNamespaceDynamodb, ResourceId: aws.String(res)})
		if err != nil {
			return nil, classify(err, "application-autoscaling:DescribeScalingPolicies", res, r)
		}
		for _, t := range ts.ScalableTargets {
			dim := string(t.ScalableDimension)
			if dim != DimensionRead && dim != DimensionWrite {
				continue // an index's dimensions are not the table's capacity
			}
			st := ScalingTarget{Region: r, Dimension: dim, Min: int64(aws.ToInt32(t.MinCapacity)), Max: int64(aws.ToInt32(t.MaxCapacity))}
			for _, p := range ps.ScalingPolicies {
				if string(p.ScalableDimension) != dim {
					continue
				}
				tt := p.TargetTrackingScalingPolicyConfiguration
				if p.PolicyType != aastypes.PolicyTypeTargetTrackingScaling || tt == nil || tt.PredefinedMetricSpecification == nil ||
					tt.PredefinedMetricSpecification.PredefinedMetricType != metricOf(dim) {
					return nil, refuse("ValidationException", "application-autoscaling:DescribeScalingPolicies %s in %s: policy %s (%s) is not a target-tracking policy on %s, which this step could not restore exactly; scale the table by hand",
						res, r, aws.ToString(p.PolicyName), p.PolicyType, metricOf(dim))
				}
				st.Policies = append(st.Policies, ScalingPolicy{Name: aws.ToString(p.PolicyName), TargetValue: aws.ToFloat64(tt.TargetValue),
					ScaleInCooldown: tt.ScaleInCooldown, ScaleOutCooldown: tt.ScaleOutCooldown, DisableScaleIn: aws.ToBool(tt.DisableScaleIn)})
			}
			sort.Slice(st.Policies, func(i, j int) bool { return st.Policies[i].Name < st.Policies[j].Name })
			out = append(out, st)
		}
	}
	sortTargets(out)
	return out, nil
}

func findTarget(ts []ScalingTarget, region, dim string) *ScalingTarget {
	for i := range ts {
		if ts[i].Region == region && ts[i].Dimension == dim {
			return &ts[i]
		}
	}
	return nil
}

// syncAutoScaling makes the table's auto scaling in regions what want says, from cur (read this attempt):
// it registers or updates targets, puts and deletes policies, and deregisters targets want lacks. Write
// comes before read in each region, so a global table is never provisioned without write auto scaling.
func (a *Activities) syncAutoScaling(ctx context.Context, table string, regions []string, cur, want []ScalingTarget) (bool, error) {
	res := "table/" + table
	changed := false
	for _, r := range regions {
		c := a.AWS.ApplicationAutoScaling(r)
		for _, dim := range []string{DimensionWrite, DimensionRead} {
			have, w := findTarget(cur, r, dim), findTarget(want, r, dim)
			sd := aastypes.ScalableDimension(dim)
			if w == nil {
				if have != nil {
					// Deregistering deletes the target's policies too.
					if _, err := c.DeregisterScalableTarget(ctx, &aas.DeregisterScalableTargetInput{ServiceNamespace: aastypes.ServiceNamespaceDynamodb, ResourceId: aws.String(res), ScalableDimension: sd}); err != nil {
						return changed, classify(err, "application-autoscaling:DeregisterScalableTarget", res+" "+dim, r)
					}
					changed = true
				}
				continue
			}
			if have == nil || have.Min != w.Min || have.Max != w.Max {
				if _, err := c.RegisterScalableTarget(ctx, &aas.RegisterScalableTargetInput{ServiceNamespace: aastypes.ServiceNamespaceDynamodb, ResourceId: aws.String(res),
					ScalableDimension: sd, MinCapacity: aws.Int32(int32(w.Min)), MaxCapacity: aws.Int32(int32(w.Max))}); err != nil {
					return changed, classify(err, "application-autoscaling:RegisterScalableTarget", res+" "+dim, r)
				}
				changed = true
			}
			var old []ScalingPolicy
			if have != nil {
				old = have.Policies
			}
			for _, p := range old {
				if !hasPolicy(w.Policies, p.Name) {
					if _, err := c.DeleteScalingPolicy(ctx, &aas.DeleteScalingPolicyInput{PolicyName: aws.String(p.Name), ServiceNamespace: aastypes.ServiceNamespaceDynamodb,
						ResourceId: aws.String(res), ScalableDimension: sd}); err != nil {
						return changed, classify(err, "application-autoscaling:DeleteScalingPolicy", res+" "+p.Name, r)
					}
					changed = true
				}
			}
			for _, p := range w.Policies {
				if i := policyIndex(old, p.Name); i >= 0 && old[i].same(p) {
					continue
				}
				if _, err := c.PutScalingPolicy(ctx, &aas.PutScalingPolicyInput{PolicyName: aws.String(p.Name), ServiceNamespace: aastypes.ServiceNamespaceDynamodb,
					ResourceId: aws.String(res), ScalableDimension: sd, PolicyType: aastypes.PolicyTypeTargetTrackingScaling,
					TargetTrackingScalingPolicyConfiguration: policyConfig(dim, p)}); err != nil {
					return changed, classify(err, "application-autoscaling:PutScalingPolicy", res+" "+p.Name, r)
				}
				changed = true
			}
		}
	}
	return changed, nil
}

// policyConfig is the target-tracking configuration PutScalingPolicy sends.
func policyConfig(dim string, p ScalingPolicy) *aastypes.TargetTrackingScalingPolicyConfiguration {
	return &aastypes.TargetTrackingScalingPolicyConfiguration{TargetValue: aws.Float64(p.TargetValue),
		PredefinedMetricSpecification: &aastypes.PredefinedMetricSpecification{PredefinedMetricType: metricOf(dim)},
		ScaleInCooldown:               p.ScaleInCooldown, ScaleOutCooldown: p.ScaleOutCooldown, DisableScaleIn: aws.Bool(p.DisableScaleIn)}
}

func hasDimension(ts []ScalingTarget, dim string) bool {
	for _, t := range ts {
		if t.Dimension == dim {
			return true
		}
	}
	return false
}

func policyIndex(ps []ScalingPolicy, name string) int {
	for i, p := range ps {
		if p.Name == name {
			return i
		}
	}
	return -1
}

func hasPolicy(ps []ScalingPolicy, name string) bool { return policyIndex(ps, name) >= 0 }

// AutoScalingCommands are the AWS CLI equivalents of bringing a table's auto scaling to c, given what it had
// (prev, nil when unknown), for the gate, the report and anyone finishing by hand.
func AutoScalingCommands(table string, c TableCapacity, prev []ScalingTarget) []string {
	var cmds []string
	res := "table/" + table
	for _, t := range prev {
		if findTarget(c.AutoScaling, t.Region, t.Dimension) == nil && findTarget(c.AutoScaling, "", t.Dimension) == nil {
			cmds = append(cmds, fmt.Sprintf("aws application-autoscaling deregister-scalable-target --service-namespace dynamodb --resource-id %s --scalable-dimension %s --region %s", res, t.Dimension, t.Region))
		}
	}
	if prev == nil {
		// Without what the table has, a dimension the setting lacks is deregistered wherever it is.
		for _, dim := range []string{DimensionWrite, DimensionRead} {
			if !hasDimension(c.AutoScaling, dim) {
				cmds = append(cmds, fmt.Sprintf("aws application-autoscaling deregister-scalable-target --service-namespace dynamodb --resource-id %s --scalable-dimension %s --region <each replica region>", res, dim))
			}
		}
	}
	for _, t := range c.AutoScaling {
		region := t.Region
		if region == "" {
			region = "<each replica region>"
		}
		cmds = append(cmds, fmt.Sprintf("aws application-autoscaling register-scalable-target --service-namespace dynamodb --resource-id %s --scalable-dimension %s --min-capacity %d --max-capacity %d --region %s",
			res, t.Dimension, t.Min, t.Max, region))
		for _, p := range t.Policies {
			cfg := map[string]any{"TargetValue": p.TargetValue, "DisableScaleIn": p.DisableScaleIn,
				"PredefinedMetricSpecification": map[string]any{"PredefinedMetricType": metricOf(t.Dimension)}}
			if p.ScaleInCooldown != nil {
				cfg["ScaleInCooldown"] = *p.ScaleInCooldown
			}
			if p.ScaleOutCooldown != nil {
				cfg["ScaleOutCooldown"] = *p.ScaleOutCooldown
			}
			b, _ := json.Marshal(cfg)
			cmds = append(cmds, fmt.Sprintf("aws application-autoscaling put-scaling-policy --service-namespace dynamodb --resource-id %s --scalable-dimension %s --policy-name %s --policy-type TargetTrackingScaling --target-tracking-scaling-policy-configuration '%s' --region %s",
				res, t.Dimension, p.Name, b, region))
		}
	}
	return cmds
}

// ReadTableCapacity reads a table's billing mode, capacity and auto scaling in every replica region: the
// setting a revert restores exactly.
func (a *Activities) ReadTableCapacity(ctx context.Context, in TableRef) (TableCapacity, error) {
	info, err := a.DescribeTable(ctx, in)
	if err != nil {
		return TableCapacity{}, err
	}
	c := capacityOf(info)
	c.AutoScaled = true
	c.AutoScaling, err = a.readAutoScaling(ctx, in.Table, replicaRegions(info))
	return c, err
}
