package workflows

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/topology"
)

// healthyReadinessMocks answers every readiness activity with a steady-state platform.
func healthyReadinessMocks(env *testsuite.TestWorkflowEnvironment, topo topology.Topology, lagMs float64) {
	env.OnActivity(a.DescribeTable, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.TableRef) (activities.TableInfo, error) {
		return activities.TableInfo{Table: in.Table, Region: in.Region, Status: "ACTIVE", Replicas: map[string]string{topo.DRRegion: "ACTIVE"}}, nil
	})
	env.OnActivity(a.DescribeContinuousBackups, mock.Anything, mock.Anything).Return(activities.PITRInfo{Enabled: true}, nil)
	env.OnActivity(a.GetMetric, mock.Anything, mock.Anything).Return(func(_ context.Context, q activities.MetricQuery) (activities.MetricResult, error) {
		v := 40.0
		if q.Metric == "AuroraGlobalDBReplicationLag" {
			v = lagMs
		}
		if q.Namespace == "AWS/S3" {
			v = 30
		}
		return activities.MetricResult{Points: []activities.Point{{V: v}}, Max: v, Avg: v, Last: v}, nil
	})
	env.OnActivity(a.DescribeGlobalCluster, mock.Anything, mock.Anything).Return(activities.GlobalClusterInfo{ID: topo.Aurora.GlobalClusterID, Members: []activities.GlobalMember{
		{ClusterID: topo.Aurora.PrimaryClusterID, Region: topo.PrimaryRegion, IsWriter: true},
		{ClusterID: topo.Aurora.DRClusterID, Region: topo.DRRegion},
	}}, nil)
	env.OnActivity(a.GetBucketReplication, mock.Anything, mock.Anything).Return(activities.BucketReplicationInfo{Rules: []activities.ReplicationRuleInfo{
		{ID: "r1", Status: "Enabled", Destination: topo.Buckets[0].Destination}}}, nil)
	env.OnActivity(a.ListRecoveryPoints, mock.Anything, mock.Anything).Return(activities.RecoveryPoints{Points: []activities.RecoveryPointInfo{{Status: "COMPLETED"}}}, nil)
	// A RECOVERY_CONTROL check follows its routing control: in the steady state the DR region's is Off.
	drControlled := map[string]bool{}
	for _, hc := range topo.HealthChecks {
		drControlled[hc.ID] = hc.Type == topology.HealthCheckRecoveryControl && hc.Region == topo.DRRegion
	}
	env.OnActivity(a.GetHealthCheckStatus, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.HealthCheckRef) (activities.HealthCheckInfo, error) {
		if drControlled[in.ID] {
			return activities.HealthCheckInfo{ID: in.ID, Success: 0, Checkers: 3, Failures: []string{"routing control Off"}}, nil
		}
		return activities.HealthCheckInfo{Healthy: true, Success: 3, Checkers: 3}, nil
	})
	env.OnActivity(a.DescribeStack, mock.Anything, mock.Anything).Return(activities.StackInfo{Exists: true, Status: "CREATE_COMPLETE"}, nil)
	// The steady state of the routing controls: traffic to the primary, DR standing by.
	env.OnActivity(a.GetRoutingControlStates, mock.Anything, mock.Anything).Return(activities.RoutingControlStates{
		Endpoint: activities.ClusterEndpoint{Region: topo.DRRegion},
		States:   []activities.ControlState{{Region: topo.PrimaryRegion, State: "On"}, {Region: topo.DRRegion, State: "Off"}}}, nil).Maybe()
}

// beforeStaticStability runs ReadinessCheck as recorded before the static-stability rows: the checks this
// file's row counts and verdicts describe. TestReadinessStaticStability* cover version 1.
func beforeStaticStability(env *testsuite.TestWorkflowEnvironment) {
	env.OnGetVersion(string(readinessStaticStability), workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
}

func TestReadinessAllPass(t *testing.T) {
	topo := localTopology(t)
	env := newEnv(t)
	beforeStaticStability(env)
	healthyReadinessMocks(env, topo, 30)
	published := 0
	env.OnActivity(a.Publish, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.PublishInput) (activities.PublishResult, error) {
		published++
		return activities.PublishResult{}, nil
	})
	env.ExecuteWorkflow(ReadinessCheck, ReadinessRequest{Common: Common{Topology: topo}})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var rep ReadinessReport
	require.NoError(t, env.GetWorkflowResult(&rep))
	require.Equal(t, Pass, rep.Overall, rep.Rows)
	// 5 tables × 3 checks, Aurora 2, S3 2, backups 1, health checks 4 (HTTPS and RECOVERY_CONTROL per
	// region, the local example in dns.mode routing-control), stacks 4.
	require.Len(t, topo.HealthChecks, 4)
	require.Len(t, rep.Rows, 15+2+2+1+4+4)
	require.Contains(t, rep.Rows, CheckRow{Check: "route53-health-check", Resource: "hc-roadcall-rc-us-west-2 (us-west-2)", Status: Pass,
		Observed: "0/3 checkers healthy", Threshold: "unhealthy (routing control Off until a failover)"}, "the standby's control is OFF by design")
	require.Zero(t, published, "a passing check must not page anyone")
	require.False(t, rep.Alarmed)
}

func TestReadinessLagOverRPOFailsAndAlarmsOnce(t *testing.T) {
	topo := localTopology(t)
	env := newEnv(t)
	healthyReadinessMocks(env, topo, float64((20 * time.Minute).Milliseconds()))
	var subjects []string
	env.OnActivity(a.Publish, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.PublishInput) (activities.PublishResult, error) {
		subjects = append(subjects, in.Subject)
		return activities.PublishResult{}, nil
	})
	env.ExecuteWorkflow(ReadinessCheck, ReadinessRequest{Common: Common{Topology: topo}})
	require.NoError(t, env.GetWorkflowError())
	var rep ReadinessReport
	require.NoError(t, env.GetWorkflowResult(&rep))
	require.Equal(t, Fail, rep.Overall)
	failing := rep.Failing()
	require.Len(t, failing, 1)
	require.Equal(t, "aurora-replication-lag", failing[0].Check)
	require.Contains(t, failing[0].Reason, "exceeds the RPO")
	require.Len(t, subjects, 1, "one message to the alarm topic")
	require.True(t, rep.Alarmed)
}

// A RECOVERY_CONTROL check follows its routing control: the primary's failing means traffic is off the
// primary, and the DR's passing means its control is On while it should stand by; both fail the row.
func TestReadinessRecoveryControlChecksFollowTheControls(t *testing.T) {
	topo := localTopology(t)
	env := newEnv(t)
	env.OnActivity(a.GetHealthCheckStatus, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.HealthCheckRef) (activities.HealthCheckInfo, error) {
		if in.ID == "hc-roadcall-rc-us-east-1" {
			return activities.HealthCheckInfo{ID: in.ID, Checkers: 3, Failures: []string{"us-east-1: Failure: routing control roadcall-primary OFF"}}, nil
		}
		return activities.HealthCheckInfo{ID: in.ID, Healthy: true, Success: 3, Checkers: 3}, nil
	})
	healthyReadinessMocks(env, topo, 30)
	env.OnActivity(a.Publish, mock.Anything, mock.Anything).Return(activities.PublishResult{}, nil)
	env.ExecuteWorkflow(ReadinessCheck, ReadinessRequest{Common: Common{Topology: topo}})
	var rep ReadinessReport
	require.NoError(t, env.GetWorkflowResult(&rep))
	require.Equal(t, Fail, rep.Overall)
	failing := rep.Failing()
	require.Len(t, failing, 2, rep.Rows)
	require.Equal(t, "hc-roadcall-rc-us-east-1 (us-east-1)", failing[0].Resource)
	require.Contains(t, failing[0].Reason, "the primary's routing control is Off")
	require.Equal(t, "hc-roadcall-rc-us-west-2 (us-west-2)", failing[1].Resource)
	require.Contains(t, failing[1].Reason, "the DR region's routing control is On")
}

func TestReadinessUnreadableCheckFailsRow(t *testing.T) {
	topo := localTopology(t)
	env := newEnv(t)
	env.OnActivity(a.ListRecoveryPoints, mock.Anything, mock.Anything).Return(activities.RecoveryPoints{},
		temporal.NewNonRetryableApplicationError("backup:ListRecoveryPointsByBackupVault roadcall-backup-vault-prod in us-east-1: AccessDeniedException: denied", "AccessDeniedException", nil))
	healthyReadinessMocks(env, topo, 30)
	env.OnActivity(a.Publish, mock.Anything, mock.Anything).Return(activities.PublishResult{}, nil)
	env.ExecuteWorkflow(ReadinessCheck, ReadinessRequest{Common: Common{Topology: topo}})
	var rep ReadinessReport
	require.NoError(t, env.GetWorkflowResult(&rep))
	require.Equal(t, Fail, rep.Overall)
	require.Equal(t, "backup-recovery-points", rep.Failing()[0].Check)
	require.Contains(t, rep.Failing()[0].Reason, "AccessDeniedException")
}

func TestReadinessInvalidRequestCallsNothing(t *testing.T) {
	cases := map[string]func(*topology.Topology){
		"drRegion":       func(t *topology.Topology) { t.DRRegion = t.PrimaryRegion },
		"tables":         func(t *topology.Topology) { t.Tables = nil },
		"objectives.rto": func(t *topology.Topology) { t.Objectives.RTO = topology.Duration(-time.Minute) },
	}
	for field, mutate := range cases {
		t.Run(field, func(t *testing.T) {
			topo := localTopology(t)
			mutate(&topo)
			env := newEnv(t)
			env.ExecuteWorkflow(ReadinessCheck, ReadinessRequest{Common: Common{Topology: topo}})
			err := env.GetWorkflowError()
			require.Error(t, err)
			require.True(t, IsInvalidRequest(err), "%v", err)
			require.Contains(t, err.Error(), `"`+field+`"`)
			var ae *temporal.ApplicationError
			require.True(t, errors.As(err, &ae))
			require.True(t, ae.NonRetryable())
		})
	}
}

func TestRequestUnknownFieldIsRefusedByName(t *testing.T) {
	topo := localTopology(t)
	b := strings.Replace(mustJSON(t, ReadinessRequest{Common: Common{Topology: topo}}), `"topology":{`, `"topology":{"colour":"blue",`, 1)
	var req ReadinessRequest
	require.NoError(t, req.UnmarshalJSON([]byte(b)))
	err := req.Prepare()
	require.Error(t, err)
	require.Contains(t, err.Error(), `"colour"`)
}
