package awssim

import (
	"fmt"
	"strings"
	"time"
)

// The Application Auto Scaling model, for DynamoDB tables only: each region's scalable targets with their
// target-tracking policies. DynamoDB's UpdateTable reads it, because AWS lets a global table be
// PROVISIONED only while its write capacity is auto scaled.

// Dimensions of a DynamoDB table that Application Auto Scaling scales.
const (
	dimTableRead  = "dynamodb:table:ReadCapacityUnits"
	dimTableWrite = "dynamodb:table:WriteCapacityUnits"
)

// ScalableTarget is one registered dimension of one resource, e.g. a table's write capacity.
type ScalableTarget struct {
	Namespace    string                    `json:"namespace"`
	ResourceID   string                    `json:"resourceId"` // table/<name>
	Dimension    string                    `json:"dimension"`
	Min          int64                     `json:"min"`
	Max          int64                     `json:"max"`
	RoleARN      string                    `json:"roleArn"`
	CreatedAt    time.Time                 `json:"createdAt"`
	Policies     map[string]*ScalingPolicy `json:"policies"`
	ARN          string                    `json:"arn"`
	Registration int                       `json:"registration"` // counts registrations, for the ARN's id
}

// ScalingPolicy is a target-tracking policy: the one kind DynamoDB auto scaling uses.
type ScalingPolicy struct {
	Name             string    `json:"name"`
	ARN              string    `json:"arn"`
	TargetValue      float64   `json:"targetValue"`
	PredefinedMetric string    `json:"predefinedMetric"`
	ScaleInCooldown  *int64    `json:"scaleInCooldown,omitempty"`
	ScaleOutCooldown *int64    `json:"scaleOutCooldown,omitempty"`
	DisableScaleIn   bool      `json:"disableScaleIn"`
	CreatedAt        time.Time `json:"createdAt"`
}

func targetKey(resource, dim string) string { return resource + "|" + dim }

// scalableTargets is a region's targets, created on first use.
func (r *Region) scalableTargets() map[string]*ScalableTarget {
	if r.ScalableTargets == nil {
		r.ScalableTargets = map[string]*ScalableTarget{}
	}
	return r.ScalableTargets
}

// tableWriteAutoScaled reports whether the table's write capacity has a scalable target in region: what AWS
// asks of a PROVISIONED global table.
func (s *Server) tableWriteAutoScaled(region, table string) bool {
	return s.world.Regions[region].ScalableTargets[targetKey("table/"+table, dimTableWrite)] != nil
}

// clampTableCapacity is RegisterScalableTarget's effect on an ACTIVE PROVISIONED table: "it changes the
// resource's current capacity to a value that is inside of this range" (Application Auto Scaling API
// Reference, RegisterScalableTarget). An on-demand table has no capacity to change: AWS accepts a target on
// it and the target is dormant until the table is provisioned (the API reference names no refusal, "If the
// specified resource is not active in the target service, this operation does not change the resource's
// current capacity"; the DynamoDB Developer Guide's "Considerations when switching capacity modes" keeps
// CLI- or SDK-made auto scaling across a switch to on-demand), so awssim refuses nothing here either; a
// global table's switch to PROVISIONED needs the write target first. Only this region's replica changes:
// auto scaling works per replica.
func (s *Server) clampTableCapacity(t *Table, dim string, lo, hi int64) bool {
	if t.BillingMode != "PROVISIONED" || t.Status != "ACTIVE" {
		return false
	}
	cur := &t.WriteCap
	if dim == dimTableRead {
		cur = &t.ReadCap
	}
	v := min(max(*cur, lo), hi)
	if v == *cur {
		return false
	}
	*cur = v
	ready := s.after(s.durations.TableUpdate)
	t.Status, t.ReadyAt, t.CapacityChangedAt = "UPDATING", ready, ready
	return true
}

func noTarget(ns, res, dim string) error {
	return Errf(400, "ObjectNotFoundException", "No scalable target registered for service namespace: %s, resource ID: %s, scalable dimension: %s", ns, res, dim)
}

func (s *Server) targetARN(region string, t *ScalableTarget) string {
	return targetARN(s.world.AccountID, region, t)
}

func targetARN(account, region string, t *ScalableTarget) string {
	return fmt.Sprintf("arn:aws:application-autoscaling:%s:%s:scalable-target/%s", region, account, stableID(t.ResourceID+t.Dimension+fmt.Sprint(t.Registration)))
}

func (s *Server) policyARN(region string, t *ScalableTarget, name string) string {
	return policyARN(s.world.AccountID, region, t, name)
}

func policyARN(account, region string, t *ScalableTarget, name string) string {
	return fmt.Sprintf("arn:aws:autoscaling:%s:%s:scalingPolicy:%s:resource/%s/%s:policyName/%s", region, account,
		stableID(t.ARN+name), t.Namespace, t.ResourceID, name)
}

func serviceLinkedRole(account string) string {
	return fmt.Sprintf("arn:aws:iam::%s:role/aws-service-role/dynamodb.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_DynamoDBTable", account)
}

// Seeded auto scaling: the users table is PROVISIONED with read and write auto scaling in every replica
// region, as a global table must be ("provisioned capacity mode with auto scaling", DynamoDB Developer Guide,
// "Best practices and requirements for managing global tables"); the other tables stay on-demand. It is the
// auto scaling a point-in-time restore drops, so DataCorruptionRecovery's carry has something to carry.
const (
	seedAutoScaledTable          = "users"
	seedReadCapacity             = 50
	seedWriteCapacity            = 25
	seedReadMax, seedWriteMax    = 1000, 500
	seedTargetUtilization        = 70
	seedReadPolicy, seedWritePol = "roadcall-read-utilization", "roadcall-write-utilization"
)

// seedAutoScaling makes the seeded auto-scaled table PROVISIONED at its minimums and registers its targets
// and target-tracking policies in each region.
func seedAutoScaling(w *World, born time.Time) {
	for _, r := range SortedKeys(w.Regions) {
		reg := w.Regions[r]
		for _, name := range SortedKeys(reg.Tables) {
			tb := reg.Tables[name]
			if !strings.Contains(name, "-"+seedAutoScaledTable+"-") {
				continue
			}
			tb.BillingMode, tb.ReadCap, tb.WriteCap = "PROVISIONED", seedReadCapacity, seedWriteCapacity
			for _, d := range []struct {
				dim, policy string
				lo, hi      int64
			}{{dimTableWrite, seedWritePol, seedWriteCapacity, seedWriteMax}, {dimTableRead, seedReadPolicy, seedReadCapacity, seedReadMax}} {
				t := &ScalableTarget{Namespace: "dynamodb", ResourceID: "table/" + name, Dimension: d.dim, Min: d.lo, Max: d.hi,
					RoleARN: serviceLinkedRole(w.AccountID), CreatedAt: born, Policies: map[string]*ScalingPolicy{}}
				t.ARN = targetARN(w.AccountID, r, t)
				metric := map[string]string{dimTableRead: "DynamoDBReadCapacityUtilization", dimTableWrite: "DynamoDBWriteCapacityUtilization"}[d.dim]
				t.Policies[d.policy] = &ScalingPolicy{Name: d.policy, ARN: policyARN(w.AccountID, r, t, d.policy), TargetValue: seedTargetUtilization,
					PredefinedMetric: metric, CreatedAt: born}
				reg.scalableTargets()[targetKey(t.ResourceID, t.Dimension)] = t
			}
		}
	}
}
