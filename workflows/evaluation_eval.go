package workflows

import (
	"fmt"
	"strings"
	"time"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/topology"
)

// PlanEvaluation's pure decisions: what changed since the previous evaluation, the page it sends, and how
// each of its reads is graded. Table-tested in evaluation_eval_test.go.

// Check names of the plan evaluation (the readiness checks it reuses keep their own).
const (
	checkIAM            = "iam-permissions"
	checkLambdaAccount  = "lambda-account-concurrency"
	checkLambdaReserved = "lambda-reserved-concurrency"
	checkLambdaPresent  = "lambda-function-present"
	checkTableCapacity  = "dynamodb-capacity-parity"
	checkStackPresent   = "cloudformation-stack"
	checkStackParameter = "cloudformation-stack-parameter"
	checkGlobalMembers  = "aurora-global-members"
	checkDrillStaleness = "drill-staleness"
)

// lambdaUnreservedFloor is the concurrency AWS keeps unreserved in every account and region (Lambda
// Developer Guide, "Configuring reserved concurrency": at least 100 unreserved).
const lambdaUnreservedFloor = 100

// RowChange is a check that went to fail, or came back from it, since the previous evaluation.
type RowChange struct {
	Check    string `json:"check"`
	Resource string `json:"resource"`
	// From is the previous status ("" when the check was not in the previous evaluation); To the current.
	From   string `json:"from"`
	To     string `json:"to"`
	Reason string `json:"reason,omitempty"`
}

// Recovered: the change is a failure going away.
func (c RowChange) Recovered() bool { return c.From == Fail }

func rowKey(r CheckRow) string { return r.Check + "\x00" + r.Resource }

// rowChanges is what pages: a row failing now that did not fail before (a first evaluation's failures
// included), and a row that failed before and does not now. Warnings coming and going do not page; nor does
// a failure that persists. Changes keep the current rows' order, so the page and the history are stable.
func rowChanges(prev, cur []CheckRow) []RowChange {
	before := make(map[string]string, len(prev))
	for _, p := range prev {
		before[rowKey(p)] = p.Status
	}
	out := []RowChange{}
	for _, c := range cur {
		was, now := before[rowKey(c)], c.Status
		if (now == Fail) != (was == Fail) {
			out = append(out, RowChange{Check: c.Check, Resource: c.Resource, From: was, To: now, Reason: c.Reason})
		}
	}
	return out
}

// changeMessage is the one alarm of an evaluation: the new failures first, then the recoveries.
func changeMessage(platform string, changes []RowChange) (subject, body string) {
	var failing, recovered []RowChange
	for _, c := range changes {
		if c.Recovered() {
			recovered = append(recovered, c)
		} else {
			failing = append(failing, c)
		}
	}
	var parts []string
	if n := len(failing); n > 0 {
		parts = append(parts, fmt.Sprintf("%d newly failing", n))
	}
	if n := len(recovered); n > 0 {
		parts = append(parts, fmt.Sprintf("%d recovered", n))
	}
	subject = fmt.Sprintf("DR plan evaluation for %s: %s", platform, strings.Join(parts, ", "))
	var b strings.Builder
	for _, c := range failing {
		from := c.From
		if from == "" {
			from = "not evaluated"
		}
		fmt.Fprintf(&b, "FAILING %s %s (was %s): %s\n", c.Check, c.Resource, from, c.Reason)
	}
	for _, c := range recovered {
		fmt.Fprintf(&b, "RECOVERED %s %s (now %s)\n", c.Check, c.Resource, c.To)
	}
	return subject, b.String()
}

// iamRows grades the simulation: one row per statement of the worker's policy.
func iamRows(res activities.SimulateResult) []CheckRow {
	var rows []CheckRow
	for _, g := range res.Groups {
		row := CheckRow{Check: checkIAM, Resource: "statement " + g.Sid, Status: Pass, Threshold: "every action allowed for " + res.Principal,
			Observed: fmt.Sprintf("%d action/resource pairs allowed", g.Evaluated)}
		if n := len(g.Denied); n > 0 {
			var ds []string
			for i, d := range g.Denied {
				if i == 5 {
					ds = append(ds, fmt.Sprintf("and %d more", n-5))
					break
				}
				ds = append(ds, fmt.Sprintf("%s on %s (%s)", d.Action, d.Resource, d.Decision))
			}
			row.Status, row.Observed = Fail, fmt.Sprintf("%d of %d denied", n, g.Evaluated)
			row.Reason = "the worker's policy does not allow " + strings.Join(ds, "; ") + ": the step that needs statement " + g.Sid + " would stop with AccessDenied"
		}
		rows = append(rows, row)
	}
	return rows
}

// iamErrRow is the IAM row when the simulation could not run: a warning when IAM's control plane did not
// answer (in us-east-1, as this check says of itself), a failure when IAM refused.
func iamErrRow(err error) CheckRow {
	row := errRow(checkIAM, "iam:SimulatePrincipalPolicy", "every action allowed", err)
	if controlPlaneUnreachable(err) {
		row.Status = Warn
		row.Reason = "IAM's control plane (us-east-1) did not answer; the permissions were not evaluated: " + row.Reason
	}
	return row
}

// lambdaAccountRow compares the regions' account concurrency: the DR region must hold what the primary's
// functions reserve above AWS's unreserved floor (fail), and should have the primary's whole quota (warn).
func lambdaAccountRow(primary, dr activities.AccountConcurrency, primaryReserved int32) CheckRow {
	res := fmt.Sprintf("account concurrency %s vs %s", dr.Region, primary.Region)
	need := primaryReserved + lambdaUnreservedFloor
	row := CheckRow{Check: checkLambdaAccount, Resource: res, Status: Pass,
		Observed:  fmt.Sprintf("%s limit %d (%d unreserved), %s limit %d, functions reserve %d in %s", dr.Region, dr.Limit, dr.Unreserved, primary.Region, primary.Limit, primaryReserved, primary.Region),
		Threshold: fmt.Sprintf("%s limit >= %d (reserved + %d unreserved), ideally >= %d", dr.Region, need, lambdaUnreservedFloor, primary.Limit)}
	switch {
	case dr.Limit < need:
		row.Status, row.Reason = Fail, fmt.Sprintf("the DR region's Lambda quota cannot hold the primary's reservations: raise concurrent executions in %s (Service Quotas L-B99A9384)", dr.Region)
	case dr.Limit < primary.Limit:
		row.Status, row.Reason = Warn, fmt.Sprintf("the DR region's Lambda quota is below the primary's: at full load DR would throttle; request %d in %s", primary.Limit, dr.Region)
	}
	return row
}

// functionPresentRow says whether a function exists in a region, from its concurrency read.
func functionPresentRow(fn, region string, err error) CheckRow {
	res := fmt.Sprintf("%s (%s)", fn, region)
	switch {
	case err == nil:
		return CheckRow{Check: checkLambdaPresent, Resource: res, Status: Pass, Observed: "exists", Threshold: "exists in both regions"}
	case errType(err) == "ResourceNotFoundException":
		return CheckRow{checkLambdaPresent, res, Fail, "missing", "exists in both regions", "the function does not exist in " + region + ": the failover would route traffic to nothing"}
	}
	return errRow(checkLambdaPresent, res, "exists in both regions", err)
}

// reservedRow compares a function's reserved concurrency in DR with the primary's.
func reservedRow(fn string, primary, dr activities.Concurrency) CheckRow {
	res := fmt.Sprintf("%s (%s vs %s)", fn, dr.Region, primary.Region)
	row := CheckRow{Check: checkLambdaReserved, Resource: res, Status: Pass,
		Observed:  fmt.Sprintf("%s %s, %s %s", dr.Region, dr.String(), primary.Region, primary.String()),
		Threshold: "DR reserves at least what the primary does"}
	switch p, d := primary.Reserved, dr.Reserved; {
	case d != nil && *d == 0 && (p == nil || *p > 0):
		row.Status, row.Reason = Fail, "the function is switched off in DR (reserved concurrency 0): every request after the failover would be throttled"
	case p != nil && d != nil && *d < *p:
		row.Status, row.Reason = Warn, fmt.Sprintf("DR reserves %d, the primary %d: under the primary's load DR would throttle", *d, *p)
	case p != nil && d == nil:
		row.Status, row.Reason = Warn, "DR has no reservation: the function draws from the account's unreserved pool, which other functions share"
	}
	return row
}

// tableCapacityRow compares a table's DR replica with the primary: billing mode, provisioned capacity and
// each primary auto scaling target's counterpart in DR.
func tableCapacityRow(table, primary, dr string, p activities.TableCapacity, d activities.TableInfo) CheckRow {
	res := fmt.Sprintf("%s (%s vs %s)", table, dr, primary)
	row := CheckRow{Check: checkTableCapacity, Resource: res, Status: Pass, Threshold: "DR replica's throughput and auto scaling >= the primary's"}
	obs := []string{fmt.Sprintf("%s %s", primary, p.String())}
	dc := activities.TableCapacity{BillingMode: d.BillingMode, ReadCapacity: d.ReadCapacity, WriteCapacity: d.WriteCapacity}
	obs = append(obs, fmt.Sprintf("%s %s", dr, dc.String()))
	var fails, warns []string
	if p.BillingMode != d.BillingMode {
		fails = append(fails, fmt.Sprintf("billing mode %s in DR, %s in the primary", d.BillingMode, p.BillingMode))
	} else if p.BillingMode == activities.BillingProvisioned && (d.ReadCapacity < p.ReadCapacity || d.WriteCapacity < p.WriteCapacity) {
		warns = append(warns, fmt.Sprintf("provisioned %d/%d in DR below %d/%d", d.ReadCapacity, d.WriteCapacity, p.ReadCapacity, p.WriteCapacity))
	}
	for _, t := range p.AutoScaling {
		if t.Region != primary {
			continue
		}
		var twin *activities.ScalingTarget
		for i := range p.AutoScaling {
			if p.AutoScaling[i].Region == dr && p.AutoScaling[i].Dimension == t.Dimension {
				twin = &p.AutoScaling[i]
			}
		}
		switch {
		case twin == nil:
			fails = append(fails, "no "+t.Dimension+" auto scaling in DR")
		case twin.Max < t.Max:
			warns = append(warns, fmt.Sprintf("%s max %d in DR below %d", t.Dimension, twin.Max, t.Max))
		}
	}
	row.Observed = strings.Join(obs, "; ")
	switch {
	case len(fails) > 0:
		row.Status, row.Reason = Fail, strings.Join(append(fails, warns...), "; ")+": the DR replica could not take the primary's traffic"
	case len(warns) > 0:
		row.Status, row.Reason = Warn, strings.Join(warns, "; ")
	}
	return row
}

// stackParameterRow checks that a stack carries the DR mode parameter, and that it is in its steady
// state: off (a DR stack left on after a failover or an abandoned preparation warns).
func stackParameterRow(param, region, stack string, st activities.StackInfo) CheckRow {
	res := fmt.Sprintf("%s (%s) %s", stack, region, param)
	const threshold = "present, false in the steady state"
	v, ok := st.Parameters[param]
	switch {
	case !st.Exists:
		return CheckRow{checkStackParameter, res, Fail, "no stack", threshold, "the stack does not exist"}
	case !ok:
		return CheckRow{checkStackParameter, res, Fail, "absent", threshold, "the stack has no " + param + " parameter: activation would have nothing to flip"}
	case !strings.EqualFold(v, "false"):
		return CheckRow{checkStackParameter, res, Warn, v, threshold, "the stack is in DR mode outside a failover: was a failover or a preparation not reverted?"}
	}
	return CheckRow{Check: checkStackParameter, Resource: res, Status: Pass, Observed: v, Threshold: threshold}
}

// globalMembersRow checks the global cluster's members as the topology describes them.
func globalMembersRow(a topology.Aurora, primary, dr string, g activities.GlobalClusterInfo) CheckRow {
	threshold := fmt.Sprintf("%s writer in %s, %s reader in %s", a.PrimaryClusterID, primary, a.DRClusterID, dr)
	row := CheckRow{Check: checkGlobalMembers, Resource: a.GlobalClusterID, Status: Pass, Threshold: threshold}
	var obs, missing []string
	seen := map[string]activities.GlobalMember{}
	for _, m := range g.Members {
		role := "reader"
		if m.IsWriter {
			role = "writer"
		}
		obs = append(obs, fmt.Sprintf("%s %s in %s", m.ClusterID, role, m.Region))
		seen[m.ClusterID] = m
	}
	row.Observed = strings.Join(obs, ", ")
	if row.Observed == "" {
		row.Observed = "no members"
	}
	if m, ok := seen[a.PrimaryClusterID]; !ok || m.Region != primary {
		missing = append(missing, a.PrimaryClusterID+" is not a member in "+primary)
	}
	if m, ok := seen[a.DRClusterID]; !ok || m.Region != dr {
		missing = append(missing, a.DRClusterID+" is not a member in "+dr)
	}
	if len(missing) > 0 {
		row.Status, row.Reason = Fail, strings.Join(missing, "; ")+": the database failover has no secondary to promote"
	}
	return row
}

// drillRow grades the last completed drill's age against objectives.maxDrillAge.
func drillRow(platform string, last activities.LastRun, now time.Time, maxAge time.Duration) CheckRow {
	threshold := "a completed DRDrill within " + humanDays(maxAge)
	res := "DRDrill " + platform
	if !last.Found {
		return CheckRow{checkDrillStaleness, res, Fail, "no completed drill on record", threshold, "the plan has never been drilled (or its runs are past retention): run starter drill"}
	}
	age := now.Sub(last.CloseTime)
	row := CheckRow{Check: checkDrillStaleness, Resource: res, Status: Pass, Threshold: threshold,
		Observed: fmt.Sprintf("%s completed %s ago (%s)", last.WorkflowID, humanDays(age), last.CloseTime.UTC().Format(time.RFC3339))}
	if age > maxAge {
		row.Status, row.Reason = Fail, "the last drill is older than objectives.maxDrillAge: the runbook's quarterly drill is overdue"
	}
	return row
}

// humanDays renders an age in days when it is a day or more.
func humanDays(d time.Duration) string {
	if d >= 24*time.Hour {
		return fmt.Sprintf("%.0fd", d.Hours()/24)
	}
	return d.Round(time.Second).String()
}
