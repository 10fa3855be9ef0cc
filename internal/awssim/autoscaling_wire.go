package awssim

import "fmt"

// Application Auto Scaling wire shapes (awsJson 1.1), as botocore's ScalableTarget and ScalingPolicy.

func scalableTargetWire(t *ScalableTarget) map[string]any {
	return map[string]any{
		"ServiceNamespace": t.Namespace, "ResourceId": t.ResourceID, "ScalableDimension": t.Dimension,
		"MinCapacity": t.Min, "MaxCapacity": t.Max, "RoleARN": t.RoleARN, "CreationTime": t.CreatedAt,
		"ScalableTargetARN": t.ARN,
		"SuspendedState":    map[string]any{"DynamicScalingInSuspended": false, "DynamicScalingOutSuspended": false, "ScheduledScalingSuspended": false},
	}
}

func scalingPolicyWire(s *Server, region string, t *ScalableTarget, p *ScalingPolicy) map[string]any {
	cfg := map[string]any{"TargetValue": p.TargetValue, "DisableScaleIn": p.DisableScaleIn,
		"PredefinedMetricSpecification": map[string]any{"PredefinedMetricType": p.PredefinedMetric}}
	if p.ScaleInCooldown != nil {
		cfg["ScaleInCooldown"] = *p.ScaleInCooldown
	}
	if p.ScaleOutCooldown != nil {
		cfg["ScaleOutCooldown"] = *p.ScaleOutCooldown
	}
	return map[string]any{
		"PolicyARN": p.ARN, "PolicyName": p.Name, "ServiceNamespace": t.Namespace, "ResourceId": t.ResourceID,
		"ScalableDimension": t.Dimension, "PolicyType": "TargetTrackingScaling", "CreationTime": p.CreatedAt,
		"TargetTrackingScalingPolicyConfiguration": cfg, "Alarms": policyAlarms(s, region, t, p),
	}
}

// policyAlarms are the two CloudWatch alarms Application Auto Scaling creates for a target-tracking policy.
func policyAlarms(s *Server, region string, t *ScalableTarget, p *ScalingPolicy) []any {
	var out []any
	for _, k := range []string{"AlarmHigh", "AlarmLow"} {
		name := fmt.Sprintf("TargetTracking-%s-%s-%s", t.ResourceID, k, stableID(p.ARN+k))
		out = append(out, map[string]any{"AlarmName": name,
			"AlarmARN": fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", region, s.world.AccountID, name)})
	}
	return out
}
