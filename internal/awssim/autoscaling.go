package awssim

import (
	"fmt"
	"strings"
)

// Application Auto Scaling speaks awsJson 1.1 under the target prefix AnyScaleFrontendService and signs as
// application-autoscaling (botocore's application-autoscaling model). Only the DynamoDB table dimensions
// are modeled: the degradation scenario's provisioned capacity on a global table must be auto scaled.
func init() {
	register(&service{
		name: "application-autoscaling", target: "AnyScaleFrontendService", throttleCode: "ThrottlingException",
		protocol: awsJSON{contentType: "application/x-amz-json-1.1"},
		ops: map[string]opFunc{
			"RegisterScalableTarget":   journaled(inputParam("ResourceId"), aasRegisterScalableTarget),
			"DescribeScalableTargets":  aasDescribeScalableTargets,
			"DeregisterScalableTarget": journaled(inputParam("ResourceId"), aasDeregisterScalableTarget),
			"PutScalingPolicy":         journaled(inputParam("ResourceId"), aasPutScalingPolicy),
			"DescribeScalingPolicies":  aasDescribeScalingPolicies,
			"DeleteScalingPolicy":      journaled(inputParam("ResourceId"), aasDeleteScalingPolicy),
		},
	})
}

// aasTarget reads and checks the namespace, resource and dimension that name a scalable target.
func aasTarget(s *Server, c *Call) (ns, res, dim string, t *Table, err error) {
	ns, res, dim = c.Input.Str("ServiceNamespace"), c.Input.Str("ResourceId"), c.Input.Str("ScalableDimension")
	for _, f := range []struct{ field, v string }{{"serviceNamespace", ns}, {"resourceId", res}, {"scalableDimension", dim}} {
		if f.v == "" {
			return "", "", "", nil, Errf(400, "ValidationException", "1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", f.field)
		}
	}
	if ns != "dynamodb" {
		return "", "", "", nil, Errf(400, "ValidationException", "awssim models Application Auto Scaling for the dynamodb namespace only, not %s", ns)
	}
	if dim != dimTableRead && dim != dimTableWrite {
		return "", "", "", nil, Errf(400, "ValidationException", "awssim models the table dimensions %s and %s only, not %s", dimTableRead, dimTableWrite, dim)
	}
	name, ok := strings.CutPrefix(res, "table/")
	if !ok || name == "" || strings.Contains(name, "/") {
		return "", "", "", nil, Errf(400, "ValidationException", "Unsupported resource ID %s for scalable dimension %s: a table's resource ID is table/<table-name>", res, dim)
	}
	return ns, res, dim, s.world.Regions[c.Region].Tables[name], nil
}

func aasRegisterScalableTarget(s *Server, c *Call) (any, error) {
	ns, res, dim, tb, err := aasTarget(s, c)
	if err != nil {
		return nil, err
	}
	if tb == nil {
		return nil, Errf(400, "ValidationException", "DynamoDB table %s does not exist in %s", strings.TrimPrefix(res, "table/"), c.Region)
	}
	targets := s.world.Regions[c.Region].scalableTargets()
	t := targets[targetKey(res, dim)]
	lo, hasLo := c.Input.Int("MinCapacity")
	hi, hasHi := c.Input.Int("MaxCapacity")
	if t == nil && (!hasLo || !hasHi) {
		return nil, Errf(400, "ValidationException", "Minimum and maximum capacity are required when registering a new scalable target (%s %s)", res, dim)
	}
	if t != nil {
		// An update changes only what it names.
		if !hasLo {
			lo = t.Min
		}
		if !hasHi {
			hi = t.Max
		}
	}
	if lo < 1 {
		return nil, Errf(400, "ValidationException", "Minimum capacity for %s must be at least 1, got %d", dim, lo)
	}
	if lo > hi {
		return nil, Errf(400, "ValidationException", "Minimum capacity cannot be greater than maximum capacity (%d > %d)", lo, hi)
	}
	changed := t == nil || t.Min != lo || t.Max != hi
	if t == nil {
		t = &ScalableTarget{Namespace: ns, ResourceID: res, Dimension: dim, CreatedAt: c.Now, Policies: map[string]*ScalingPolicy{},
			RoleARN: serviceLinkedRole(s.world.AccountID)}
		t.Registration = len(s.journal)
		t.ARN = s.targetARN(c.Region, t)
		targets[targetKey(res, dim)] = t
	}
	t.Min, t.Max = lo, hi
	clamped := s.clampTableCapacity(tb, dim, lo, hi)
	s.record(c, res, changed, fmt.Sprintf("%s min=%d max=%d%s", dim, lo, hi, map[bool]string{true: " (capacity moved into range)"}[clamped]))
	return map[string]any{"ScalableTargetARN": t.ARN}, nil
}

func aasDescribeScalableTargets(s *Server, c *Call) (any, error) {
	if c.Input.Str("ServiceNamespace") == "" {
		return nil, Errf(400, "ValidationException", "1 validation error detected: Value null at 'serviceNamespace' failed to satisfy constraint: Member must not be null")
	}
	if c.Input.Str("NextToken") != "" {
		return nil, Errf(400, "InvalidNextTokenException", "Invalid token: %s", c.Input.Str("NextToken"))
	}
	ids := map[string]bool{}
	for _, id := range c.Input.Strings("ResourceIds") {
		ids[id] = true
	}
	dim := c.Input.Str("ScalableDimension")
	out := []any{}
	targets := s.world.Regions[c.Region].ScalableTargets
	for _, k := range SortedKeys(targets) {
		t := targets[k]
		if t.Namespace != c.Input.Str("ServiceNamespace") || (len(ids) > 0 && !ids[t.ResourceID]) || (dim != "" && t.Dimension != dim) {
			continue
		}
		out = append(out, scalableTargetWire(t))
	}
	return map[string]any{"ScalableTargets": out}, nil
}

func aasDeregisterScalableTarget(s *Server, c *Call) (any, error) {
	ns, res, dim, _, err := aasTarget(s, c)
	if err != nil {
		return nil, err
	}
	targets := s.world.Regions[c.Region].ScalableTargets
	if targets[targetKey(res, dim)] == nil {
		return nil, noTarget(ns, res, dim)
	}
	// Deregistering a target deletes its scaling policies with it.
	delete(targets, targetKey(res, dim))
	s.record(c, res, true, dim+" deregistered")
	return map[string]any{}, nil
}

func aasPutScalingPolicy(s *Server, c *Call) (any, error) {
	ns, res, dim, _, err := aasTarget(s, c)
	if err != nil {
		return nil, err
	}
	name := c.Input.Str("PolicyName")
	if name == "" || len(name) > 256 {
		return nil, Errf(400, "ValidationException", "1 validation error detected: Value at 'policyName' failed to satisfy constraint: Member must have length between 1 and 256")
	}
	t := s.world.Regions[c.Region].ScalableTargets[targetKey(res, dim)]
	if t == nil {
		return nil, noTarget(ns, res, dim)
	}
	if pt := c.Input.Str("PolicyType"); pt != "" && pt != "TargetTrackingScaling" {
		return nil, Errf(400, "ValidationException", "awssim models TargetTrackingScaling policies only, not %s (DynamoDB auto scaling uses target tracking)", pt)
	}
	cfg := c.Input.Map("TargetTrackingScalingPolicyConfiguration")
	tv, ok := cfg.Float("TargetValue")
	if cfg == nil || !ok {
		return nil, Errf(400, "ValidationException", "TargetTrackingScalingPolicyConfiguration with a TargetValue is required for a TargetTrackingScaling policy")
	}
	// DynamoDB's target utilization is a percentage between 20 and 90 (DynamoDB Developer Guide, auto scaling).
	if tv < 20 || tv > 90 {
		return nil, Errf(400, "ValidationException", "The target value for DynamoDB must be between 20 and 90, got %g", tv)
	}
	metric := cfg.Map("PredefinedMetricSpecification").Str("PredefinedMetricType")
	want := map[string]string{dimTableRead: "DynamoDBReadCapacityUtilization", dimTableWrite: "DynamoDBWriteCapacityUtilization"}[dim]
	if metric != want {
		return nil, Errf(400, "ValidationException", "The predefined metric type for %s must be %s, got %q", dim, want, metric)
	}
	p := &ScalingPolicy{Name: name, TargetValue: tv, PredefinedMetric: metric, CreatedAt: c.Now}
	if v, ok := cfg.Int("ScaleInCooldown"); ok {
		p.ScaleInCooldown = &v
	}
	if v, ok := cfg.Int("ScaleOutCooldown"); ok {
		p.ScaleOutCooldown = &v
	}
	p.DisableScaleIn, _ = cfg.Bool("DisableScaleIn")
	old := t.Policies[name]
	if old != nil {
		p.CreatedAt = old.CreatedAt
	}
	p.ARN = s.policyARN(c.Region, t, name)
	changed := old == nil || old.TargetValue != p.TargetValue || old.PredefinedMetric != p.PredefinedMetric || old.DisableScaleIn != p.DisableScaleIn ||
		ptrDiffers(old.ScaleInCooldown, p.ScaleInCooldown) || ptrDiffers(old.ScaleOutCooldown, p.ScaleOutCooldown)
	t.Policies[name] = p
	s.record(c, res, changed, fmt.Sprintf("%s policy %s target %g%% %s", dim, name, tv, metric))
	return map[string]any{"PolicyARN": p.ARN, "Alarms": policyAlarms(s, c.Region, t, p)}, nil
}

func ptrDiffers(a, b *int64) bool { return (a == nil) != (b == nil) || (a != nil && *a != *b) }

func aasDescribeScalingPolicies(s *Server, c *Call) (any, error) {
	ns := c.Input.Str("ServiceNamespace")
	if ns == "" {
		return nil, Errf(400, "ValidationException", "1 validation error detected: Value null at 'serviceNamespace' failed to satisfy constraint: Member must not be null")
	}
	if c.Input.Str("NextToken") != "" {
		return nil, Errf(400, "InvalidNextTokenException", "Invalid token: %s", c.Input.Str("NextToken"))
	}
	names := map[string]bool{}
	for _, n := range c.Input.Strings("PolicyNames") {
		names[n] = true
	}
	res, dim := c.Input.Str("ResourceId"), c.Input.Str("ScalableDimension")
	out := []any{}
	targets := s.world.Regions[c.Region].ScalableTargets
	for _, k := range SortedKeys(targets) {
		t := targets[k]
		if t.Namespace != ns || (res != "" && t.ResourceID != res) || (dim != "" && t.Dimension != dim) {
			continue
		}
		for _, n := range SortedKeys(t.Policies) {
			if len(names) == 0 || names[n] {
				out = append(out, scalingPolicyWire(s, c.Region, t, t.Policies[n]))
			}
		}
	}
	return map[string]any{"ScalingPolicies": out}, nil
}

func aasDeleteScalingPolicy(s *Server, c *Call) (any, error) {
	ns, res, dim, _, err := aasTarget(s, c)
	if err != nil {
		return nil, err
	}
	name := c.Input.Str("PolicyName")
	t := s.world.Regions[c.Region].ScalableTargets[targetKey(res, dim)]
	if t == nil || t.Policies[name] == nil {
		return nil, Errf(400, "ObjectNotFoundException", "No scaling policy found for service namespace: %s, resource ID: %s, scalable dimension: %s, policy name: %s", ns, res, dim, name)
	}
	delete(t.Policies, name)
	s.record(c, res, true, fmt.Sprintf("%s policy %s deleted", dim, name))
	return map[string]any{}, nil
}
