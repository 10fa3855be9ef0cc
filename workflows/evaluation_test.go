package workflows

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/topology"
)

// evaluationMocks answers PlanEvaluation's reads with a platform at parity; denied lists the policy
// statements the simulation denies, drillAge how long ago the last drill completed (0: never).
func evaluationMocks(env *testsuite.TestWorkflowEnvironment, topo topology.Topology, denied map[string]bool, drillAge time.Duration, prev *EvaluationReport) {
	env.OnActivity(a.DescribeTable, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.TableRef) (activities.TableInfo, error) {
		return activities.TableInfo{Table: in.Table, Region: in.Region, Status: "ACTIVE", BillingMode: activities.BillingPayPerRequest,
			Replicas: map[string]string{topo.DRRegion: "ACTIVE", topo.PrimaryRegion: "ACTIVE"}}, nil
	})
	env.OnActivity(a.DescribeStack, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.StackRef) (activities.StackInfo, error) {
		return activities.StackInfo{Stack: in.Stack, Region: in.Region, Exists: true, Status: "CREATE_COMPLETE",
			Parameters: map[string]string{topo.Stacks.DRModeParameter: "false"}}, nil
	})
	healthyReadinessMocks(env, topo, 30)
	env.OnActivity(a.SimulatePermissions, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.SimulateInput) (activities.SimulateResult, error) {
		out := activities.SimulateResult{Principal: "arn:aws:iam::" + topo.AccountID + ":role/roadcall-dr-operator"}
		for _, g := range activities.PolicyGroups(*in.Topology) {
			gr := activities.GroupResult{Sid: g.Sid, Evaluated: len(g.Actions)}
			if denied[g.Sid] {
				gr.Denied = []activities.Denial{{Action: g.Actions[0], Resource: "*", Decision: "implicitDeny"}}
			}
			out.Groups = append(out.Groups, gr)
		}
		return out, nil
	})
	env.OnActivity(a.GetAccountConcurrency, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.RegionRef) (activities.AccountConcurrency, error) {
		return activities.AccountConcurrency{Region: in.Region, Limit: 1000, Unreserved: 900}, nil
	})
	env.OnActivity(a.GetFunctionConcurrency, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.ConcurrencyRef) (activities.Concurrency, error) {
		return activities.Concurrency{Function: in.Function, Region: in.Region}, nil
	})
	env.OnActivity(a.ReadTableCapacity, mock.Anything, mock.Anything).Return(activities.TableCapacity{BillingMode: activities.BillingPayPerRequest, AutoScaled: true}, nil)
	env.OnActivity(a.LastCompletedRun, mock.Anything, mock.Anything).Return(func(ctx context.Context, in activities.LastRunQuery) (activities.LastRun, error) {
		if in.WorkflowType == WorkflowDrill {
			if drillAge == 0 {
				return activities.LastRun{}, nil
			}
			return activities.LastRun{Found: true, WorkflowID: "drill-x", CloseTime: time.Now().Add(-drillAge)}, nil
		}
		if prev == nil {
			return activities.LastRun{}, nil
		}
		b, _ := json.Marshal(prev)
		return activities.LastRun{Found: true, WorkflowID: "evaluation-prev", RunID: "r0", Result: b}, nil
	})
}

func runEvaluation(t *testing.T, req EvaluationRequest, denied map[string]bool, drillAge time.Duration, prev *EvaluationReport) (EvaluationReport, []activities.PublishInput) {
	t.Helper()
	env := newEnv(t)
	topo := req.Topology
	evaluationMocks(env, topo, denied, drillAge, prev)
	var pages []activities.PublishInput
	env.OnActivity(a.Publish, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.PublishInput) (activities.PublishResult, error) {
		pages = append(pages, in)
		return activities.PublishResult{}, nil
	})
	env.ExecuteWorkflow(PlanEvaluation, req)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var rep EvaluationReport
	require.NoError(t, env.GetWorkflowResult(&rep))
	return rep, pages
}

func failingRows(rep EvaluationReport) []string {
	var out []string
	for _, r := range rep.Rows {
		if r.Status == Fail {
			out = append(out, r.Check+" "+r.Resource)
		}
	}
	return out
}

// A healthy plan passes; the first evaluation has nothing to compare with and nothing fails, so no page.
func TestEvaluationAllPassNoPage(t *testing.T) {
	topo := localTopology(t)
	rep, pages := runEvaluation(t, EvaluationRequest{Common: Common{Topology: topo}}, nil, 24*time.Hour, nil)
	require.Empty(t, failingRows(rep), "%+v", rep.Rows)
	require.Equal(t, PreviousNone, rep.PreviousSource)
	require.Empty(t, pages)
	require.False(t, rep.Paged)
	require.Contains(t, strings.Join(rep.Notes, " "), "us-east-1")
	for _, check := range []string{checkIAM, checkLambdaAccount, checkLambdaPresent, checkLambdaReserved, checkTableCapacity, "dynamodb-replica",
		checkGlobalMembers, "route53-health-check", checkStaticStability, checkStackPresent, checkDrillStaleness} {
		require.NotZero(t, countCheck(rep.Rows, check), "no %s row", check)
	}
}

func countCheck(rows []CheckRow, check string) int {
	n := 0
	for _, r := range rows {
		if r.Check == check {
			n++
		}
	}
	return n
}

// pass→fail pages once; the same failure again does not; fail→pass pages the recovery once. The previous
// result comes from the visibility store's last run here, and from the request in the last step.
func TestEvaluationPagesOnlyChanges(t *testing.T) {
	topo := localTopology(t)
	req := EvaluationRequest{Common: Common{Topology: topo}}
	base, _ := runEvaluation(t, req, nil, 24*time.Hour, nil)

	broken, pages := runEvaluation(t, req, map[string]bool{"FailoverAurora": true}, 24*time.Hour, &base)
	require.Equal(t, []string{checkIAM + " statement FailoverAurora"}, failingRows(broken))
	require.Len(t, pages, 1)
	require.Contains(t, pages[0].Subject, "1 newly failing")
	require.Contains(t, pages[0].Message, "rds:")
	require.Equal(t, topo.TopicARN(topo.DRRegion), pages[0].TopicARN)
	require.Equal(t, PreviousFromVisibility, broken.PreviousSource)

	again, pages := runEvaluation(t, req, map[string]bool{"FailoverAurora": true}, 24*time.Hour, &broken)
	require.Len(t, failingRows(again), 1)
	require.Empty(t, pages, "the same failure paged again")
	require.Empty(t, again.Changes)

	fixed, pages := runEvaluation(t, EvaluationRequest{Common: Common{Topology: topo}, Previous: &EvaluationPrevious{Rows: again.Rows}}, nil, 24*time.Hour, nil)
	require.Empty(t, failingRows(fixed))
	require.Len(t, pages, 1)
	require.Contains(t, pages[0].Subject, "1 recovered")
	require.Equal(t, PreviousFromRequest, fixed.PreviousSource)
	require.Len(t, fixed.Changes, 1)
	require.True(t, fixed.Changes[0].Recovered())
}

// A stale drill fails on the first evaluation (a change from nothing) and pages; PageOnChange=false only
// reports.
func TestEvaluationStaleDrill(t *testing.T) {
	topo := localTopology(t)
	rep, pages := runEvaluation(t, EvaluationRequest{Common: Common{Topology: topo}}, nil, 100*24*time.Hour, nil)
	require.Equal(t, []string{checkDrillStaleness + " DRDrill " + topo.ID()}, failingRows(rep))
	require.Len(t, pages, 1)
	off := false
	topo.Objectives.MaxDrillAge = topology.Duration(200 * 24 * time.Hour)
	rep, pages = runEvaluation(t, EvaluationRequest{Common: Common{Topology: topo}, PageOnChange: &off}, nil, 100*24*time.Hour, nil)
	require.Empty(t, failingRows(rep))
	require.Empty(t, pages)
}

// An unreadable previous result pages what fails, with a note; an IAM control plane that does not answer
// is a warning, not a failure.
func TestEvaluationPreviousUnreadableAndIAMUnreachable(t *testing.T) {
	topo := localTopology(t)
	env := newEnv(t)
	env.OnActivity(a.LastCompletedRun, mock.Anything, mock.MatchedBy(func(in activities.LastRunQuery) bool { return in.WorkflowType == WorkflowEvaluation })).
		Return(activities.LastRun{}, temporal.NewNonRetryableApplicationError("visibility down", "Unavailable", nil))
	env.OnActivity(a.SimulatePermissions, mock.Anything, mock.Anything).Return(activities.SimulateResult{},
		temporal.NewNonRetryableApplicationError("iam:SimulatePrincipalPolicy: network", "NetworkError", nil))
	evaluationMocks(env, topo, nil, 0, nil)
	env.OnActivity(a.Publish, mock.Anything, mock.Anything).Return(activities.PublishResult{}, nil)
	env.ExecuteWorkflow(PlanEvaluation, EvaluationRequest{Common: Common{Topology: topo}})
	require.NoError(t, env.GetWorkflowError())
	var rep EvaluationReport
	require.NoError(t, env.GetWorkflowResult(&rep))
	require.Equal(t, PreviousUnavailable, rep.PreviousSource)
	require.Equal(t, []string{checkDrillStaleness + " DRDrill " + topo.ID()}, failingRows(rep), "never drilled fails")
	require.Equal(t, Warn, rep.Rows[0].Status, "%+v", rep.Rows[0])
	require.True(t, rep.Paged)
}

func TestEvaluationRefusesBadPrincipal(t *testing.T) {
	topo := localTopology(t)
	req := EvaluationRequest{Common: Common{Topology: topo}, Principal: "arn:aws:sts::123456789012:assumed-role/r/s"}
	err := req.Validate()
	require.Error(t, err)
	require.Contains(t, err.Error(), "principal")
	env := newEnv(t)
	env.ExecuteWorkflow(PlanEvaluation, req)
	require.Error(t, env.GetWorkflowError())
}
