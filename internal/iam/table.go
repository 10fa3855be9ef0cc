// Package iam is the worker's AWS permissions: one table of every operation the activities call, the IAM
// action each needs and the topology resources it touches; the least-privilege policy printed from it
// (starter iam-policy); and the policy evaluation awssim enforces (--enforce-policy). The activities' SDK
// clients look every call up in the same table (internal/awsclient), so a call the table lacks is reported
// by the tests instead of found by an AccessDenied at 3 a.m.
package iam

import (
	"fmt"
	"sort"
	"strings"

	"github.com/roadcall/dr/internal/topology"
)

// Permission is one AWS operation the worker calls.
type Permission struct {
	// Service is the SigV4 signing name, as awssim's request log names it ("monitoring" for CloudWatch).
	Service string
	// Operation is the API operation name.
	Operation string
	// Action is the IAM action that authorizes it.
	Action string
	// Sid is the policy statement that grants it: statements group a step's permissions, so removing one
	// breaks the step that needs it.
	Sid string
	// Resources are the ARNs the call may touch; nil means AWS supports no resource-level permission for
	// the action and the statement must say "*".
	Resources func(t topology.Topology) []string
}

// Table is every AWS operation the activities call. Add a row with every new call: the activity tests fail
// on an operation they saw that the table lacks (TestEveryCallIsInTheIAMTable).
var Table = []Permission{
	// Assessment and readiness.
	// ec2:DescribeRegions supports no resource-level permissions: AWS requires "*".
	{"ec2", "DescribeRegions", "ec2:DescribeRegions", "AssessReachability", nil},
	// sts:GetCallerIdentity needs no permission at all (AWS answers it even under an explicit deny); it is
	// listed so the reachability probe's call is visible in the policy, with "*" as the action has no resource.
	{"sts", "GetCallerIdentity", "sts:GetCallerIdentity", "AssessReachability", nil},
	{"route53", "GetHealthCheckStatus", "route53:GetHealthCheckStatus", "AssessHealthChecks", healthChecks},
	{"dynamodb", "DescribeTable", "dynamodb:DescribeTable", "ReadTables", tablesAndRestored},
	{"dynamodb", "DescribeContinuousBackups", "dynamodb:DescribeContinuousBackups", "ReadTables", tablesAndRestored},
	{"dynamodb", "DescribeTimeToLive", "dynamodb:DescribeTimeToLive", "ReadTables", tablesAndRestored},
	{"dynamodb", "ListTagsOfResource", "dynamodb:ListTagsOfResource", "ReadTables", tablesAndRestored},
	{"dynamodb", "Scan", "dynamodb:Scan", "VerifyTables", tablesAndRestored},
	{"dynamodb", "GetItem", "dynamodb:GetItem", "VerifyTables", tablesAndRestored},
	{"rds", "DescribeGlobalClusters", "rds:DescribeGlobalClusters", "ReadAurora", globalCluster},
	{"rds", "DescribeDBClusters", "rds:DescribeDBClusters", "ReadAurora", clustersAndRestored},
	// rds:DescribeDBInstances is called with a db-cluster-id filter, which names no instance: the topology
	// knows no instance IDs, so the statement is scoped to the account's instances in the two regions.
	{"rds", "DescribeDBInstances", "rds:DescribeDBInstances", "ReadAurora", instances},
	{"rds", "DescribeDBClusterSnapshots", "rds:DescribeDBClusterSnapshots", "ReadAurora", clusterSnapshotsAndClusters},
	// cloudwatch:GetMetricData supports no resource-level permissions: AWS requires "*".
	{"monitoring", "GetMetricData", "cloudwatch:GetMetricData", "ReadMetrics", nil},
	// OutageWatch reads the topology's watchAlarms in the DR region (cloudwatch:DescribeAlarms, resource type alarm).
	{"monitoring", "DescribeAlarms", "cloudwatch:DescribeAlarms", "WatchAlarms", watchAlarms},
	{"s3", "GetBucketReplication", "s3:GetReplicationConfiguration", "ReadBucketReplication", sourceBuckets},
	{"backup", "ListRecoveryPointsByBackupVault", "backup:ListRecoveryPointsByBackupVault", "ReadBackups", backupVaults},
	{"cloudformation", "DescribeStacks", "cloudformation:DescribeStacks", "ReadStacks", stacks},
	{"lambda", "GetFunctionConfiguration", "lambda:GetFunctionConfiguration", "ReadFunctions", functions},
	{"lambda", "GetFunctionConcurrency", "lambda:GetFunctionConcurrency", "ReadFunctions", functions},
	{"lambda", "GetAlias", "lambda:GetAlias", "ReadFunctions", functions},
	// lambda:ListFunctions supports no resource-level permissions: AWS requires "*".
	{"lambda", "ListFunctions", "lambda:ListFunctions", "ListFunctions", nil},
	// lambda:GetAccountSettings supports no resource-level permissions: AWS requires "*".
	{"lambda", "GetAccountSettings", "lambda:GetAccountSettings", "ListFunctions", nil},
	{"apigateway", "GetStage", "apigateway:GET", "ReadAPIStages", stages},

	{"sns", "Publish", "sns:Publish", "Notify", topics},

	// Plan evaluation: the worker simulates its own policy over every action above (IAM's control plane,
	// in us-east-1: a pre-disaster check). The resource is the principal simulated, the worker's role or user.
	{"iam", "SimulatePrincipalPolicy", "iam:SimulatePrincipalPolicy", "EvaluatePlan", iamPrincipals},

	// Database failover, switchover and detach.
	{"rds", "FailoverGlobalCluster", "rds:FailoverGlobalCluster", "FailoverAurora", globalAndClusters},
	{"rds", "SwitchoverGlobalCluster", "rds:SwitchoverGlobalCluster", "FailoverAurora", globalAndClusters},
	{"rds", "RemoveFromGlobalCluster", "rds:RemoveFromGlobalCluster", "FailoverAurora", globalAndClusters},
	{"rds", "PromoteReadReplicaDBCluster", "rds:PromoteReadReplicaDBCluster", "FailoverAurora", drCluster},

	// Service activation in DR.
	{"cloudformation", "UpdateStack", "cloudformation:UpdateStack", "ActivateStacks", stacks},

	// DNS cutover.
	{"route53-recovery-cluster", "GetRoutingControlState", "route53-recovery-cluster:GetRoutingControlState", "RoutingControls", routingControls},
	{"route53-recovery-cluster", "UpdateRoutingControlStates", "route53-recovery-cluster:UpdateRoutingControlStates", "RoutingControls", routingControls},
	{"route53", "ChangeResourceRecordSets", "route53:ChangeResourceRecordSets", "UpsertRecords", hostedZone},
	{"route53", "ListResourceRecordSets", "route53:ListResourceRecordSets", "UpsertRecords", hostedZone},
	{"route53", "GetChange", "route53:GetChange", "UpsertRecords", changes},

	// Partial degradation: scale and revert.
	{"lambda", "PutFunctionConcurrency", "lambda:PutFunctionConcurrency", "ScaleFunctions", functions},
	{"lambda", "DeleteFunctionConcurrency", "lambda:DeleteFunctionConcurrency", "ScaleFunctions", functions},
	{"dynamodb", "UpdateTable", "dynamodb:UpdateTable", "ScaleTables", tables},
	// application-autoscaling's Describe* actions support no resource-level permissions: AWS requires "*".
	{"application-autoscaling", "DescribeScalableTargets", "application-autoscaling:DescribeScalableTargets", "ReadAutoScaling", nil},
	{"application-autoscaling", "DescribeScalingPolicies", "application-autoscaling:DescribeScalingPolicies", "ReadAutoScaling", nil},
	{"application-autoscaling", "RegisterScalableTarget", "application-autoscaling:RegisterScalableTarget", "ScaleAutoScaling", scalableTargets},
	{"application-autoscaling", "DeregisterScalableTarget", "application-autoscaling:DeregisterScalableTarget", "ScaleAutoScaling", scalableTargets},
	{"application-autoscaling", "PutScalingPolicy", "application-autoscaling:PutScalingPolicy", "ScaleAutoScaling", scalableTargets},
	{"application-autoscaling", "DeleteScalingPolicy", "application-autoscaling:DeleteScalingPolicy", "ScaleAutoScaling", scalableTargets},

	// Data corruption: stop writes, restore, cut over, resume.
	{"lambda", "UpdateFunctionConfiguration", "lambda:UpdateFunctionConfiguration", "StopWritesAndCutover", functions},
	{"lambda", "PublishVersion", "lambda:PublishVersion", "StopWritesAndCutover", functions},
	{"lambda", "UpdateAlias", "lambda:UpdateAlias", "StopWritesAndCutover", functions},
	{"apigateway", "UpdateStage", "apigateway:PATCH", "StopWritesAndCutover", stages},
	{"ssm", "GetParameter", "ssm:GetParameter", "StopWritesAndCutover", ssmParameter},
	{"ssm", "PutParameter", "ssm:PutParameter", "StopWritesAndCutover", ssmParameter},
	{"dynamodb", "RestoreTableToPointInTime", "dynamodb:RestoreTableToPointInTime", "RestoreTables", tablesAndRestored},
	// The restore writes the target table, so the target needs the item-level writes RestoreTableToPointInTime
	// lists as dependent actions, and the restored table's settings are put back by the worker.
	{"dynamodb", "UpdateContinuousBackups", "dynamodb:UpdateContinuousBackups", "RestoreTables", restoredTables},
	{"dynamodb", "UpdateTimeToLive", "dynamodb:UpdateTimeToLive", "RestoreTables", restoredTables},
	{"dynamodb", "TagResource", "dynamodb:TagResource", "RestoreTables", restoredTables},
	{"rds", "RestoreDBClusterToPointInTime", "rds:RestoreDBClusterToPointInTime", "RestoreAurora", clustersAndRestored},
	{"rds", "CreateDBInstance", "rds:CreateDBInstance", "RestoreAurora", restoredInstances},
	{"rds", "CreateDBClusterSnapshot", "rds:CreateDBClusterSnapshot", "RestoreAurora", clusterSnapshotsAndClusters},
}

// dependent are the actions AWS checks besides the operation's own (the reference's "Dependent actions"):
// printed into the operation's statement, not enforced by awssim, which models no such checks.
var dependent = map[string][]string{
	"dynamodb:RestoreTableToPointInTime": {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:BatchWriteItem"},
}

// Lookup finds the row of a service's operation.
func Lookup(service, op string) (Permission, bool) {
	for _, p := range Table {
		if p.Service == service && p.Operation == op {
			return p, true
		}
	}
	return Permission{}, false
}

// sdkServices maps aws-sdk-go-v2's ServiceID to the signing name the table uses.
var sdkServices = map[string]string{
	"API Gateway": "apigateway", "Application Auto Scaling": "application-autoscaling", "Backup": "backup",
	"CloudFormation": "cloudformation", "CloudWatch": "monitoring", "DynamoDB": "dynamodb", "EC2": "ec2",
	"Lambda": "lambda", "RDS": "rds", "Route 53": "route53", "Route53 Recovery Cluster": "route53-recovery-cluster",
	"IAM": "iam", "S3": "s3", "SNS": "sns", "SSM": "ssm", "STS": "sts",
}

// SigningName is the table's service name for an SDK ServiceID, or the ID lowercased when unknown.
func SigningName(sdkServiceID string) string {
	if n, ok := sdkServices[sdkServiceID]; ok {
		return n
	}
	return strings.ToLower(sdkServiceID)
}

func each(t topology.Topology, f func(region string) []string) []string {
	var out []string
	for _, r := range t.Regions() {
		out = append(out, f(r)...)
	}
	return out
}

func tableARNs(t topology.Topology, suffix string) []string {
	return each(t, func(r string) []string {
		var out []string
		for _, n := range t.TableNames() {
			out = append(out, "arn:aws:dynamodb:"+r+":"+t.AccountID+":table/"+n+suffix)
		}
		return out
	})
}

// restoredSuffix is how the corruption workflow names what it restores (workflows.restoredName).
const restoredSuffix = "-restored-*"

func tables(t topology.Topology) []string         { return tableARNs(t, "") }
func restoredTables(t topology.Topology) []string { return tableARNs(t, restoredSuffix) }
func tablesAndRestored(t topology.Topology) []string {
	return append(tables(t), restoredTables(t)...)
}

func globalCluster(t topology.Topology) []string {
	if t.Aurora.GlobalClusterID == "" {
		return nil
	}
	return []string{"arn:aws:rds::" + t.AccountID + ":global-cluster:" + t.Aurora.GlobalClusterID}
}

func clusterARN(t topology.Topology, region, id string) string {
	return "arn:aws:rds:" + region + ":" + t.AccountID + ":cluster:" + id
}

func clusters(t topology.Topology) []string {
	return []string{clusterARN(t, t.PrimaryRegion, t.Aurora.PrimaryClusterID), clusterARN(t, t.DRRegion, t.Aurora.DRClusterID)}
}

func drCluster(t topology.Topology) []string {
	return []string{clusterARN(t, t.DRRegion, t.Aurora.DRClusterID)}
}

func clustersAndRestored(t topology.Topology) []string {
	return append(clusters(t), clusterARN(t, t.PrimaryRegion, t.Aurora.PrimaryClusterID+restoredSuffix),
		clusterARN(t, t.DRRegion, t.Aurora.DRClusterID+restoredSuffix))
}

func globalAndClusters(t topology.Topology) []string { return append(globalCluster(t), clusters(t)...) }

func instances(t topology.Topology) []string {
	return each(t, func(r string) []string { return []string{"arn:aws:rds:" + r + ":" + t.AccountID + ":db:*"} })
}

func restoredInstances(t topology.Topology) []string {
	return append([]string{"arn:aws:rds:" + t.PrimaryRegion + ":" + t.AccountID + ":db:" + t.Aurora.PrimaryClusterID + restoredSuffix,
		"arn:aws:rds:" + t.DRRegion + ":" + t.AccountID + ":db:" + t.Aurora.DRClusterID + restoredSuffix}, clustersAndRestored(t)...)
}

func clusterSnapshotsAndClusters(t topology.Topology) []string {
	return append(each(t, func(r string) []string {
		return []string{"arn:aws:rds:" + r + ":" + t.AccountID + ":cluster-snapshot:*"}
	}), clusters(t)...)
}

func sourceBuckets(t topology.Topology) []string {
	var out []string
	for _, b := range t.Buckets {
		out = append(out, "arn:aws:s3:::"+b.Source)
	}
	return out
}

func backupVaults(t topology.Topology) []string {
	if t.BackupVault == "" {
		return nil
	}
	return each(t, func(r string) []string {
		return []string{"arn:aws:backup:" + r + ":" + t.AccountID + ":backup-vault:" + t.BackupVault}
	})
}

func stacks(t topology.Topology) []string {
	// Both regions: failback checks the primary's stacks too (enforcement found the DR-only scope short).
	return each(t, func(r string) []string {
		var out []string
		for _, n := range t.Stacks.Names {
			// A stack ARN ends in a generated ID.
			out = append(out, "arn:aws:cloudformation:"+r+":"+t.AccountID+":stack/"+n+"/*")
		}
		return out
	})
}

func functions(t topology.Topology) []string {
	return each(t, func(r string) []string {
		var out []string
		for _, n := range t.FunctionNames() {
			base := "arn:aws:lambda:" + r + ":" + t.AccountID + ":function:" + n
			// Aliases and versions are qualified ARNs: FUNCTION:QUALIFIER.
			out = append(out, base, base+":*")
		}
		return out
	})
}

func stages(t topology.Topology) []string {
	var out []string
	for _, r := range t.Regions() {
		if id := t.API.RestAPIIDs[r]; id != "" {
			out = append(out, "arn:aws:apigateway:"+r+"::/restapis/"+id+"/stages/"+t.API.Stage)
		}
	}
	return out
}

func topics(t topology.Topology) []string {
	if t.AlarmTopic == "" {
		return nil
	}
	return each(t, func(r string) []string { return []string{t.TopicARN(r)} })
}

func healthChecks(t topology.Topology) []string {
	seen := map[string]bool{}
	for _, h := range t.HealthChecks {
		seen[h.ID] = true
	}
	for _, r := range t.DNS.Records {
		if r.HealthCheckID != "" {
			seen[r.HealthCheckID] = true
		}
	}
	var out []string
	for id := range seen {
		out = append(out, "arn:aws:route53:::healthcheck/"+id)
	}
	sort.Strings(out)
	return out
}

func hostedZone(t topology.Topology) []string {
	return []string{"arn:aws:route53:::hostedzone/" + t.DNS.HostedZoneID}
}

// changes: a change ID is Route 53's to generate.
func changes(topology.Topology) []string { return []string{"arn:aws:route53:::change/*"} }

func routingControls(t topology.Topology) []string {
	rc := t.DNS.RoutingControls
	if rc == nil {
		return nil
	}
	var out []string
	for _, arn := range rc.Controls {
		out = append(out, arn)
	}
	sort.Strings(out)
	return out
}

// scalableTargets: a scalable target's ARN ends in an ID Application Auto Scaling generates, so the
// statement is scoped to the account's targets in the two regions.
func scalableTargets(t topology.Topology) []string {
	return each(t, func(r string) []string {
		return []string{"arn:aws:application-autoscaling:" + r + ":" + t.AccountID + ":scalable-target/*"}
	})
}

func ssmParameter(t topology.Topology) []string {
	p := t.Corruption.SSMParameter
	if p == "" {
		return nil
	}
	return each(t, func(r string) []string {
		return []string{"arn:aws:ssm:" + r + ":" + t.AccountID + ":parameter/" + strings.TrimPrefix(p, "/")}
	})
}

// watchAlarms are the DR region's alarms OutageWatch reads; none listed, none allowed.
func watchAlarms(t topology.Topology) []string {
	out := []string{}
	for _, n := range t.WatchAlarms {
		out = append(out, fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", t.DRRegion, t.AccountID, n))
	}
	return out
}

// iamPrincipals are the entities the worker may simulate: the account's roles and users (the topology does
// not name the worker's own role, which GetCallerIdentity finds at run time).
func iamPrincipals(t topology.Topology) []string {
	return []string{"arn:aws:iam::" + t.AccountID + ":role/*", "arn:aws:iam::" + t.AccountID + ":user/*"}
}
