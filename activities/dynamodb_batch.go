package activities

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
)

// Table check kinds of CheckTables.
const (
	// CheckReplica is DescribeTable in Region: the table ACTIVE and its replica in Replica ACTIVE.
	CheckReplica = "replica"
	// CheckScan is Scan --limit 1 in Region: the table answers reads.
	CheckScan = "scan"
	// CheckPITR is DescribeContinuousBackups in Region: point-in-time recovery ENABLED.
	CheckPITR = "pitr"
	// CheckLatency is CloudWatch ReplicationLatency from Region to Replica, Maximum over Window.
	CheckLatency = "latency"
)

// MaxNamedProblems caps the tables a check's summary names: the rest are counted, never echoed, so a batch's
// result stays a few kilobytes however many tables fail.
const MaxNamedProblems = 10

// batchParallel bounds the reads a batch has in flight, well under DynamoDB's and CloudWatch's control-plane
// rates; the SDK's retryer absorbs throttling.
const batchParallel = 8

// TableCheck is one read applied to every table of a batch.
type TableCheck struct {
	Kind   string `json:"kind"`
	Region string `json:"region"`
	// Replica is the region whose replica must be ACTIVE (CheckReplica; Region itself means the table's own
	// status when DescribeTable does not list it) or that receives replication (CheckLatency).
	Replica string `json:"replica,omitempty"`
	// Warn and Fail grade CheckLatency's maximum: at or over Warn warns, at or over Fail fails.
	Warn time.Duration `json:"warn,omitempty"`
	Fail time.Duration `json:"fail,omitempty"`
	// WarnNoData warns on a latency check with no datapoints (readiness: is the replica receiving writes?);
	// otherwise silence is no recent writes, nothing waiting to replicate.
	WarnNoData bool          `json:"warnNoData,omitempty"`
	Period     time.Duration `json:"period,omitempty"`
	Window     time.Duration `json:"window,omitempty"`
}

// TableBatch is a batch of tables and the checks each gets.
type TableBatch struct {
	Tables []string     `json:"tables"`
	Checks []TableCheck `json:"checks"`
}

// Table check statuses in a TableProblem.
const (
	TableWarn = "warn"
	TableFail = "fail"
)

// TableProblem is one table a check did not pass, with what it saw.
type TableProblem struct {
	Table    string `json:"table"`
	Status   string `json:"status"`
	Observed string `json:"observed"`
}

// CheckSummary is one check over many tables: counts, and the first MaxNamedProblems tables that did not pass.
type CheckSummary struct {
	Kind    string `json:"kind"`
	Region  string `json:"region"`
	Replica string `json:"replica,omitempty"`
	OK      int    `json:"ok"`
	Warned  int    `json:"warned,omitempty"`
	Failed  int    `json:"failed,omitempty"`
	// NoData counts latency checks with no datapoints (no recent writes); they are also counted OK or warned.
	NoData   int            `json:"noData,omitempty"`
	Problems []TableProblem `json:"problems,omitempty"`
}

// Add counts one table's outcome, naming it while under the cap.
func (s *CheckSummary) Add(p TableProblem) {
	switch p.Status {
	case TableFail:
		s.Failed++
	case TableWarn:
		s.Warned++
	default:
		s.OK++
		return
	}
	if len(s.Problems) < MaxNamedProblems {
		s.Problems = append(s.Problems, p)
	}
}

// Merge adds another summary of the same check, keeping the cap on named tables.
func (s *CheckSummary) Merge(o CheckSummary) {
	s.OK, s.Warned, s.Failed, s.NoData = s.OK+o.OK, s.Warned+o.Warned, s.Failed+o.Failed, s.NoData+o.NoData
	for _, p := range o.Problems {
		if len(s.Problems) < MaxNamedProblems {
			s.Problems = append(s.Problems, p)
		}
	}
}

// TableBatchResult is what CheckTables read: one summary per check, in the checks' order.
type TableBatchResult struct {
	Tables int            `json:"tables"`
	Checks []CheckSummary `json:"checks"`
}

// tableBatchProgress is CheckTables' heartbeat: the tables before Next are counted in Result.
type tableBatchProgress struct {
	Next   int              `json:"next"`
	Result TableBatchResult `json:"result"`
}

// CheckTables applies every check to every table of the batch, a few at a time, and summarizes. It is
// read-only, so running it twice reads twice and changes nothing. A table's own refusal (not found, access
// denied) is that table's failure; a transient error after the SDK's retries fails the attempt, and the
// retried attempt resumes after the last heartbeat's tables instead of reading them again.
func (a *Activities) CheckTables(ctx context.Context, in TableBatch) (TableBatchResult, error) {
	if len(in.Tables) == 0 || len(in.Checks) == 0 {
		return TableBatchResult{}, temporal.NewNonRetryableApplicationError("CheckTables needs tables and checks", "ValidationException", nil)
	}
	p := tableBatchProgress{Result: TableBatchResult{Checks: make([]CheckSummary, len(in.Checks))}}
	for i, c := range in.Checks {
		p.Result.Checks[i] = CheckSummary{Kind: c.Kind, Region: c.Region, Replica: c.Replica}
	}
	if activity.IsActivity(ctx) && activity.HasHeartbeatDetails(ctx) {
		var prev tableBatchProgress
		if err := activity.GetHeartbeatDetails(ctx, &prev); err == nil && len(prev.Result.Checks) == len(in.Checks) && prev.Next <= len(in.Tables) {
			p = prev
		}
	}
	for p.Next < len(in.Tables) {
		end := min(p.Next+batchParallel, len(in.Tables))
		chunk := in.Tables[p.Next:end]
		outcomes := make([][]TableProblem, len(chunk))
		errs := make([]error, len(chunk))
		var wg sync.WaitGroup
		for i, table := range chunk {
			wg.Add(1)
			go func() {
				defer wg.Done()
				outcomes[i], errs[i] = a.checkTable(ctx, table, in.Checks)
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				// The first is enough to retry on; the counts so far are in the last heartbeat.
				return TableBatchResult{}, err
			}
		}
		for _, o := range outcomes {
			for j, pr := range o {
				p.Result.Checks[j].Add(pr)
				if in.Checks[j].Kind == CheckLatency && pr.Observed == noDatapoints {
					p.Result.Checks[j].NoData++
				}
			}
		}
		p.Result.Tables += len(chunk)
		p.Next = end
		if activity.IsActivity(ctx) {
			activity.RecordHeartbeat(ctx, p)
		}
	}
	return p.Result, nil
}

const noDatapoints = "no datapoints"

// checkTable runs each check on one table. It returns an error only for what a retry may cure.
func (a *Activities) checkTable(ctx context.Context, table string, checks []TableCheck) ([]TableProblem, error) {
	out := make([]TableProblem, len(checks))
	for i, c := range checks {
		pr, err := a.checkOne(ctx, table, c)
		if err != nil {
			if retryable(err) {
				return nil, err
			}
			pr = TableProblem{Table: table, Status: TableFail, Observed: "unreadable: " + boundedErr(err)}
		}
		out[i] = pr
	}
	return out, nil
}

func (a *Activities) checkOne(ctx context.Context, table string, c TableCheck) (TableProblem, error) {
	ref := TableRef{Region: c.Region, Table: table}
	ok := TableProblem{Table: table}
	fail := func(format string, args ...any) (TableProblem, error) {
		return TableProblem{Table: table, Status: TableFail, Observed: fmt.Sprintf(format, args...)}, nil
	}
	switch c.Kind {
	case CheckReplica:
		info, err := a.DescribeTable(ctx, ref)
		if err != nil {
			return TableProblem{}, err
		}
		st, found := info.Replicas[c.Replica]
		if !found && c.Replica == c.Region {
			st, found = info.Status, true
		}
		switch {
		case info.Status != "ACTIVE":
			return fail("table %s", info.Status)
		case !found:
			return fail("no replica in %s", c.Replica)
		case st != "ACTIVE":
			return fail("replica %s %s", c.Replica, st)
		}
		return ok, nil
	case CheckScan:
		_, err := a.ScanOne(ctx, ref)
		return ok, err
	case CheckPITR:
		info, err := a.DescribeContinuousBackups(ctx, ref)
		if err != nil {
			return TableProblem{}, err
		}
		if !info.Enabled {
			return fail("point-in-time recovery DISABLED")
		}
		return ok, nil
	case CheckLatency:
		q := MetricQuery{Region: c.Region, Namespace: "AWS/DynamoDB", Metric: "ReplicationLatency", Stat: "Maximum", Period: c.Period, Window: c.Window,
			Dimensions: []Dimension{{Name: "TableName", Value: table}, {Name: "ReceivingRegion", Value: c.Replica}}}
		m, err := a.GetMetric(ctx, q)
		if err != nil {
			return TableProblem{}, err
		}
		if len(m.Points) == 0 {
			ok.Observed = noDatapoints
			if c.WarnNoData {
				ok.Status = TableWarn
			}
			return ok, nil
		}
		lat := time.Duration(m.Max * float64(time.Millisecond))
		switch {
		case c.Fail > 0 && lat >= c.Fail:
			return fail("latency %s→%s %s", c.Region, c.Replica, lat.Round(time.Millisecond))
		case c.Warn > 0 && lat >= c.Warn:
			return TableProblem{Table: table, Status: TableWarn, Observed: fmt.Sprintf("latency %s→%s %s", c.Region, c.Replica, lat.Round(time.Millisecond))}, nil
		}
		return ok, nil
	}
	return TableProblem{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf("unknown table check kind %q", c.Kind), "ValidationException", nil)
}

// retryable is whether a classified error may succeed on another attempt.
func retryable(err error) bool {
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) {
		return !ae.NonRetryable()
	}
	return true
}

// boundedErr is an error's message, bounded: a summary names many tables.
func boundedErr(err error) string {
	s := errText(err)
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
