package workflows

import (
	"encoding/json"
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/topology"
)

// PlanEvaluation's reads. Where ReadinessCheck has the read (replicas, health checks, routing controls,
// stacks), its check is reused; the rest read through one activity each and are graded in
// evaluation_eval.go.

// previousEvaluation reads the last completed PlanEvaluation of this platform from the visibility store
// and its result from its history. Chosen over memo or continue-as-new: a Temporal Schedule starts each run
// fresh with the same arguments, so the state must come from somewhere the runs share, and the previous
// run's own result is the record of what it paged; a memo would duplicate it and could drift from it.
func previousEvaluation(ctx workflow.Context, req EvaluationRequest) (string, *EvaluationPrevious) {
	in := activities.LastRunQuery{WorkflowType: WorkflowEvaluation, IDPrefix: WorkflowID(ScenarioEvaluation, req.Topology),
		ExcludeRunID: workflow.GetInfo(ctx).WorkflowExecution.RunID, WithResult: true}
	var last activities.LastRun
	c := describeCtx(ctx, "Temporal visibility: last completed PlanEvaluation")
	if err := workflow.ExecuteActivity(c, a.LastCompletedRun, in).Get(c, &last); err != nil {
		workflow.GetLogger(ctx).Warn("previous evaluation unreadable", "error", err)
		return PreviousUnavailable, nil
	}
	if !last.Found {
		return PreviousNone, nil
	}
	var rep EvaluationReport
	if err := json.Unmarshal(last.Result, &rep); err != nil {
		return PreviousUnavailable, nil
	}
	return PreviousFromVisibility, &EvaluationPrevious{WorkflowID: last.WorkflowID, RunID: last.RunID, At: last.CloseTime, Rows: rep.Rows}
}

// evaluationChecks starts every read at once and returns the rows in a fixed order, with the principal
// whose IAM policy was simulated.
func evaluationChecks(ctx workflow.Context, req EvaluationRequest) ([]CheckRow, string) {
	t := req.Topology
	rreq := ReadinessRequest{Common: req.Common}
	regions := []string{t.PrimaryRegion, t.DRRegion}
	principal := req.Principal
	var checks []func(ctx workflow.Context) []CheckRow
	checks = append(checks, func(ctx workflow.Context) []CheckRow {
		rows, p := evalIAM(ctx, req)
		principal = p
		return rows
	})
	// Capacity and quota parity.
	checks = append(checks, func(ctx workflow.Context) []CheckRow { return evalLambda(ctx, t) })
	for _, tb := range t.Tables {
		checks = append(checks, func(ctx workflow.Context) []CheckRow { return []CheckRow{evalTableCapacity(ctx, t, tb.Name)} })
	}
	// Drift: every resource as the topology describes it.
	for _, tb := range t.Tables {
		checks = append(checks, func(ctx workflow.Context) []CheckRow { return []CheckRow{checkReplica(ctx, rreq, tb.Name)} })
	}
	if t.Aurora.GlobalClusterID != "" {
		checks = append(checks, func(ctx workflow.Context) []CheckRow { return []CheckRow{evalGlobalMembers(ctx, t)} })
	}
	health := make([]healthRead, len(t.HealthChecks))
	for i, hc := range t.HealthChecks {
		checks = append(checks, func(ctx workflow.Context) []CheckRow {
			health[i] = readHealthCheck(ctx, hc.ID)
			return []CheckRow{healthRow(hc, t.PrimaryRegion, health[i])}
		})
	}
	var rc *routingControlRead
	if t.DNS.Mode == topology.DNSRoutingControl && t.DNS.RoutingControls != nil {
		checks = append(checks, func(ctx workflow.Context) []CheckRow {
			rc = readRoutingControls(ctx, t)
			return nil
		})
	}
	for _, st := range t.Stacks.Names {
		for _, region := range regions {
			checks = append(checks, func(ctx workflow.Context) []CheckRow { return evalStack(ctx, t, region, st) })
		}
	}
	// Drill staleness.
	checks = append(checks, func(ctx workflow.Context) []CheckRow { return []CheckRow{evalDrill(ctx, req)} })

	var rows []CheckRow
	for _, rs := range gather(ctx, checks) {
		rows = append(rows, rs...)
	}
	// The routing controls and the failover records' health checks, graded as readiness grades them.
	for _, row := range staticStabilityRows(t, rc, health) {
		if row.Resource != dnsModeRow(t).Resource {
			rows = append(rows, row)
		}
	}
	return rows, principal
}

func evalIAM(ctx workflow.Context, req EvaluationRequest) ([]CheckRow, string) {
	t := req.Topology
	in := activities.SimulateInput{Principal: req.Principal, Region: t.DRRegion, Topology: &t}
	var res activities.SimulateResult
	c := describeCtx(ctx, "IAM SimulatePrincipalPolicy over the worker's policy (us-east-1 control plane)")
	if err := workflow.ExecuteActivity(c, a.SimulatePermissions, in).Get(c, &res); err != nil {
		return []CheckRow{iamErrRow(err)}, req.Principal
	}
	return iamRows(res), res.Principal
}

// evalLambda reads both regions' account concurrency and every function's reserved concurrency in both.
func evalLambda(ctx workflow.Context, t topology.Topology) []CheckRow {
	regions := []string{t.PrimaryRegion, t.DRRegion}
	accounts := make([]activities.AccountConcurrency, 2)
	accErr := make([]error, 2)
	conc := make([][]activities.Concurrency, 2)
	concErr := make([][]error, 2)
	var reads []func(ctx workflow.Context) struct{}
	for i, region := range regions {
		conc[i], concErr[i] = make([]activities.Concurrency, len(t.Functions)), make([]error, len(t.Functions))
		reads = append(reads, func(ctx workflow.Context) struct{} {
			c := describeCtx(ctx, "Lambda GetAccountSettings "+region)
			accErr[i] = workflow.ExecuteActivity(c, a.GetAccountConcurrency, activities.RegionRef{Region: region}).Get(c, &accounts[i])
			return struct{}{}
		})
		for j, fn := range t.Functions {
			reads = append(reads, func(ctx workflow.Context) struct{} {
				c := describeCtx(ctx, fmt.Sprintf("Lambda GetFunctionConcurrency %s (%s)", fn.Name, region))
				concErr[i][j] = workflow.ExecuteActivity(c, a.GetFunctionConcurrency, activities.ConcurrencyRef{Region: region, Function: fn.Name}).Get(c, &conc[i][j])
				return struct{}{}
			})
		}
	}
	gather(ctx, reads)
	var rows []CheckRow
	var reserved int32
	for j, fn := range t.Functions {
		for i, region := range regions {
			rows = append(rows, functionPresentRow(fn.Name, region, concErr[i][j]))
		}
		if concErr[0][j] == nil && concErr[1][j] == nil {
			rows = append(rows, reservedRow(fn.Name, conc[0][j], conc[1][j]))
		}
		if concErr[0][j] == nil && conc[0][j].Reserved != nil {
			reserved += *conc[0][j].Reserved
		}
	}
	res := fmt.Sprintf("account concurrency %s vs %s", t.DRRegion, t.PrimaryRegion)
	switch {
	case accErr[0] != nil:
		rows = append(rows, errRow(checkLambdaAccount, res, "DR quota >= primary's", accErr[0]))
	case accErr[1] != nil:
		rows = append(rows, errRow(checkLambdaAccount, res, "DR quota >= primary's", accErr[1]))
	default:
		rows = append(rows, lambdaAccountRow(accounts[0], accounts[1], reserved))
	}
	return rows
}

// evalTableCapacity reads the table's capacity and auto scaling (every replica region) from the primary and
// the DR replica's own throughput.
func evalTableCapacity(ctx workflow.Context, t topology.Topology, table string) CheckRow {
	res := fmt.Sprintf("%s (%s vs %s)", table, t.DRRegion, t.PrimaryRegion)
	const threshold = "DR replica's throughput and auto scaling >= the primary's"
	var p activities.TableCapacity
	var d activities.TableInfo
	var pErr, dErr error
	gather(ctx, []func(ctx workflow.Context) struct{}{
		func(ctx workflow.Context) struct{} {
			c := describeCtx(ctx, "DynamoDB capacity and auto scaling "+table)
			pErr = workflow.ExecuteActivity(c, a.ReadTableCapacity, activities.TableRef{Region: t.PrimaryRegion, Table: table}).Get(c, &p)
			return struct{}{}
		},
		func(ctx workflow.Context) struct{} {
			c := describeCtx(ctx, "DynamoDB DescribeTable "+table+" ("+t.DRRegion+")")
			dErr = workflow.ExecuteActivity(c, a.DescribeTable, activities.TableRef{Region: t.DRRegion, Table: table}).Get(c, &d)
			return struct{}{}
		},
	})
	if pErr != nil {
		return errRow(checkTableCapacity, res, threshold, pErr)
	}
	if dErr != nil {
		return errRow(checkTableCapacity, res, threshold, dErr)
	}
	return tableCapacityRow(table, t.PrimaryRegion, t.DRRegion, p, d)
}

func evalGlobalMembers(ctx workflow.Context, t topology.Topology) CheckRow {
	var g activities.GlobalClusterInfo
	c := describeCtx(ctx, "RDS DescribeGlobalClusters "+t.Aurora.GlobalClusterID)
	if err := workflow.ExecuteActivity(c, a.DescribeGlobalCluster, activities.GlobalClusterRef{Region: t.DRRegion, ID: t.Aurora.GlobalClusterID}).Get(c, &g); err != nil {
		return errRow(checkGlobalMembers, t.Aurora.GlobalClusterID, "members as the topology describes", err)
	}
	return globalMembersRow(t.Aurora, t.PrimaryRegion, t.DRRegion, g)
}

// evalStack checks a stack in one region: present and usable, and its DR mode parameter.
func evalStack(ctx workflow.Context, t topology.Topology, region, stack string) []CheckRow {
	res := fmt.Sprintf("%s (%s)", stack, region)
	var st activities.StackInfo
	c := describeCtx(ctx, "CloudFormation DescribeStacks "+stack+" ("+region+")")
	if err := workflow.ExecuteActivity(c, a.DescribeStack, activities.StackRef{Region: region, Stack: stack}).Get(c, &st); err != nil {
		return []CheckRow{errRow(checkStackPresent, res, "*_COMPLETE", err)}
	}
	rows := []CheckRow{stackRow(checkStackPresent, res, st, "the stack does not exist in "+region+": the plan needs it in both regions", "the stack is not in a usable complete state")}
	if p := t.Stacks.DRModeParameter; p != "" && st.Exists {
		rows = append(rows, stackParameterRow(p, region, stack, st))
	}
	return rows
}

func evalDrill(ctx workflow.Context, req EvaluationRequest) CheckRow {
	t := req.Topology
	var last activities.LastRun
	c := describeCtx(ctx, "Temporal visibility: last completed DRDrill")
	in := activities.LastRunQuery{WorkflowType: WorkflowDrill, IDPrefix: WorkflowID(DrillScenario, t), Outcome: PhaseCompleted}
	if err := workflow.ExecuteActivity(c, a.LastCompletedRun, in).Get(c, &last); err != nil {
		return errRow(checkDrillStaleness, "DRDrill "+t.ID(), "a completed DRDrill within "+humanDays(req.maxDrillAge()), err)
	}
	return drillRow(t.ID(), last, workflow.Now(ctx), req.maxDrillAge())
}
