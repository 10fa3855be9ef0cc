package awssim

import (
	"strings"
	"testing"
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
