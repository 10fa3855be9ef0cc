package workflows

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/topology"
)

// Per-table reads in batches (version batchedReads). One activity per table and check put every table's
// command, summary and result in history: at 1,000 tables the first workflow task's completion passed
// gRPC's 4 MB. A batch is one activity (CheckTables) over up to tableBatchSize tables that heartbeats its
// progress and returns counts and the first few failing tables by name.
const (
	tableBatchSize = 100
	// batchAbove keeps a topology of this many tables or fewer on the per-table reads, whose report lists
	// every table: there they cost a few dozen events, and recorded histories and tests read them.
	batchAbove = 25
)

// readsBatched is whether this run reads t's tables in batches. Only a topology over batchAbove asks
// for the version, so the histories of smaller ones are unchanged.
func readsBatched(ctx workflow.Context, t topology.Topology) bool {
	return len(t.Tables) > batchAbove && version(ctx, batchedReads) >= 1
}

// TableReads is every table read by one or more checks, summarized: counts per check and the first
// failing tables by name (activities.MaxNamedProblems), never one entry per table.
type TableReads struct {
	Tables int                       `json:"tables"`
	Checks []activities.CheckSummary `json:"checks"`
}

// Check is the summary of the i-th check (in the order they were asked for).
func (r *TableReads) Check(i int) activities.CheckSummary {
	if r == nil || i >= len(r.Checks) {
		return activities.CheckSummary{}
	}
	return r.Checks[i]
}

// batchCtx is for CheckTables: reads like describeCtx, but a batch takes longer than one read and
// heartbeats, so a retried attempt resumes after the tables already read.
func batchCtx(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Minute, HeartbeatTimeout: 30 * time.Second, Summary: summary,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 10 * time.Second, MaximumAttempts: 5},
	})
}

// startTableChecks schedules the checks over every table, a batch per activity, all at once, and returns
// what waits for them and merges them. A batch that fails after its retries counts all its tables failed.
func startTableChecks(ctx workflow.Context, what string, tables []string, checks []activities.TableCheck) func(workflow.Context) *TableReads {
	type batch struct {
		tables []string
		f      workflow.Future
	}
	var batches []batch
	for i := 0; i < len(tables); i += tableBatchSize {
		part := tables[i:min(i+tableBatchSize, len(tables))]
		c := batchCtx(ctx, fmt.Sprintf("%s: tables %d-%d of %d (%s … %s)", what, i+1, i+len(part), len(tables), part[0], part[len(part)-1]))
		batches = append(batches, batch{part, workflow.ExecuteActivity(c, a.CheckTables, activities.TableBatch{Tables: part, Checks: checks})})
	}
	return func(ctx workflow.Context) *TableReads {
		out := &TableReads{Tables: len(tables), Checks: make([]activities.CheckSummary, len(checks))}
		for i, c := range checks {
			out.Checks[i] = activities.CheckSummary{Kind: c.Kind, Region: c.Region, Replica: c.Replica}
		}
		for _, b := range batches {
			var res activities.TableBatchResult
			err := b.f.Get(ctx, &res)
			for i := range checks {
				if err != nil {
					out.Checks[i].Failed += len(b.tables)
					if len(out.Checks[i].Problems) < activities.MaxNamedProblems {
						out.Checks[i].Problems = append(out.Checks[i].Problems, activities.TableProblem{Table: b.tables[0] + " … " + b.tables[len(b.tables)-1],
							Status: activities.TableFail, Observed: fmt.Sprintf("%d tables unreadable: %s", len(b.tables), errMessage(err))})
					}
					continue
				}
				if i < len(res.Checks) {
					out.Checks[i].Merge(res.Checks[i])
				}
			}
		}
		return out
	}
}

// namedProblems lists a check's named tables and how many more there are.
func namedProblems(s activities.CheckSummary) string {
	parts := make([]string, 0, len(s.Problems))
	for _, p := range s.Problems {
		parts = append(parts, fmt.Sprintf("%s (%s)", p.Table, p.Observed))
	}
	text := strings.Join(parts, ", ")
	if more := s.Failed + s.Warned - len(s.Problems); more > 0 {
		text += fmt.Sprintf(" and %d more", more)
	}
	return text
}

// ---- RegionFailover's assessment ----

// assessChecks are the assessment's per-table reads in DR: replica ACTIVE, then Scan --limit 1.
func assessChecks(t topology.Topology) []activities.TableCheck {
	return []activities.TableCheck{{Kind: activities.CheckReplica, Region: t.DRRegion, Replica: t.DRRegion}, {Kind: activities.CheckScan, Region: t.DRRegion}}
}

// assessFindings are the batched assessment's findings: one per check that some tables failed.
func assessFindings(t topology.Topology, r *TableReads) []string {
	var out []string
	if s := r.Check(0); s.Failed > 0 {
		out = append(out, fmt.Sprintf("%d of %d DynamoDB replicas in %s are not ACTIVE: %s; their data may be incomplete after the failover", s.Failed, r.Tables, t.DRRegion, namedProblems(s)))
	}
	if s := r.Check(1); s.Failed > 0 {
		out = append(out, fmt.Sprintf("%d of %d tables do not answer reads in %s: %s", s.Failed, r.Tables, t.DRRegion, namedProblems(s)))
	}
	return out
}

// ---- verify (RegionFailover, Failback) ----

// verifyTableProblem is the batched verify's problem, empty when every table answered Scan --limit 1.
func verifyTableProblem(region string, r *TableReads) string {
	s := r.Check(0)
	if s.Failed == 0 {
		return ""
	}
	return fmt.Sprintf("%d of %d tables do not answer reads in %s: %s", s.Failed, r.Tables, region, namedProblems(s))
}

// tablesReadable is how many tables verify read, from the per-table scans or the batched summary.
func tablesReadable(v *VerifyResult) int {
	if v.TableReads != nil {
		return v.TableReads.Check(0).OK
	}
	return len(v.Scans)
}

// tableReadable is whether verify read the named table. A batched summary names its first failures only:
// a table it does not name is readable when every failure is named.
func tableReadable(v *VerifyResult, table string) bool {
	if r := v.TableReads; r != nil {
		s := r.Check(0)
		for _, p := range s.Problems {
			if p.Table == table || strings.Contains(p.Table, " … ") {
				return false
			}
		}
		return s.Failed <= len(s.Problems)
	}
	for _, s := range v.Scans {
		if s.Table == table {
			return true
		}
	}
	return false
}

// ---- Failback's data sync ----

// syncChecks are Failback's per-table reads: both replicas ACTIVE both ways, replication latency under the
// threshold each way (no datapoints is no recent writes, nothing to wait for).
func syncChecks(t topology.Topology) []activities.TableCheck {
	th := t.Thresholds.DynamoReplicationWarn.D()
	lat := func(from, to string) activities.TableCheck {
		return activities.TableCheck{Kind: activities.CheckLatency, Region: from, Replica: to, Fail: th, Period: time.Minute, Window: 5 * time.Minute}
	}
	return []activities.TableCheck{
		{Kind: activities.CheckReplica, Region: t.PrimaryRegion, Replica: t.DRRegion}, {Kind: activities.CheckReplica, Region: t.DRRegion, Replica: t.PrimaryRegion},
		lat(t.DRRegion, t.PrimaryRegion), lat(t.PrimaryRegion, t.DRRegion),
	}
}

// syncProblems are the batched sync's problems: one per check that some tables failed.
func syncProblems(r *TableReads) []string {
	var out []string
	for _, s := range r.Checks {
		if s.Failed == 0 {
			continue
		}
		what := fmt.Sprintf("replicas ACTIVE read in %s", s.Region)
		if s.Kind == activities.CheckLatency {
			what = fmt.Sprintf("replication %s→%s under threshold", s.Region, s.Replica)
		}
		out = append(out, fmt.Sprintf("%d of %d tables not in sync (%s): %s", s.Failed, r.Tables, what, namedProblems(s)))
	}
	return out
}

// tablesInSync is how many tables are in sync both ways, and of how many, per-table or batched.
func tablesInSync(s *SyncResult) (ok, total int) {
	if r := s.TableReads; r != nil {
		failed := 0
		for _, c := range r.Checks {
			failed = max(failed, c.Failed)
		}
		return r.Tables - failed, r.Tables
	}
	return countOK(s.Tables), len(s.Tables)
}

// ---- ReadinessCheck ----

// readinessTableChecks are the readiness report's per-table reads in the primary: the DR replica ACTIVE,
// PITR enabled, replication latency to DR graded against the warning threshold and the RPO.
func readinessTableChecks(t topology.Topology) []activities.TableCheck {
	return []activities.TableCheck{
		{Kind: activities.CheckReplica, Region: t.PrimaryRegion, Replica: t.DRRegion},
		{Kind: activities.CheckPITR, Region: t.PrimaryRegion},
		{Kind: activities.CheckLatency, Region: t.PrimaryRegion, Replica: t.DRRegion, Warn: t.Thresholds.DynamoReplicationWarn.D(), Fail: t.Objectives.RPO.D(),
			WarnNoData: true, Period: 5 * time.Minute, Window: time.Hour},
	}
}

// readinessTableRows turns the batched reads into one row per check, over all tables.
func readinessTableRows(t topology.Topology, r *TableReads) []CheckRow {
	rows := []struct{ check, threshold, reason string }{
		{"dynamodb-replica", "ACTIVE", "DR replicas not ACTIVE"},
		{"dynamodb-pitr", "ENABLED", "point-in-time recovery is off: a corruption could not be rolled back"},
		{"dynamodb-replication-latency", fmt.Sprintf("< %s (fail at RPO %s)", t.Thresholds.DynamoReplicationWarn, t.Objectives.RPO),
			"replication to " + t.DRRegion + " is slow or silent; a failover now would lose that much data"},
	}
	out := make([]CheckRow, 0, len(rows))
	for i, row := range rows {
		s := r.Check(i)
		cr := CheckRow{Check: row.check, Resource: fmt.Sprintf("%d tables (%s replica)", r.Tables, t.DRRegion), Status: Pass,
			Observed: fmt.Sprintf("%d/%d pass", s.OK, r.Tables), Threshold: row.threshold}
		if s.Warned > 0 {
			cr.Status = Warn
		}
		if s.Failed > 0 {
			cr.Status = Fail
		}
		if cr.Status != Pass {
			cr.Observed += fmt.Sprintf(", %d warn, %d fail: %s", s.Warned, s.Failed, namedProblems(s))
			cr.Reason = row.reason
		}
		out = append(out, cr)
	}
	return out
}
