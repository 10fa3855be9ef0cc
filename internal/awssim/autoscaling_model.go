package awssim

import (
	"fmt"
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
// Reference, RegisterScalableTarget). An on-demand table has no capacity to change. Only this region's
// replica changes: auto scaling works per replica.
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
	return fmt.Sprintf("arn:aws:application-autoscaling:%s:%s:scalable-target/%s", region, s.world.AccountID, stableID(t.ResourceID+t.Dimension+fmt.Sprint(t.Registration)))
}

func (s *Server) policyARN(region string, t *ScalableTarget, name string) string {
	return fmt.Sprintf("arn:aws:autoscaling:%s:%s:scalingPolicy:%s:resource/%s/%s:policyName/%s", region, s.world.AccountID,
		stableID(t.ARN+name), t.Namespace, t.ResourceID, name)
}
