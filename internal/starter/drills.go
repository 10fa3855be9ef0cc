package starter

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"
)

// DrillsQuery finds drill runs in visibility. Children of a drill carry DRDrill=true too; the workflow
// type keeps the list to the drills themselves.
const DrillsQuery = "DRDrill = true AND WorkflowType = 'DRDrill'"

// DrillRun is one line of `starter drills`.
type DrillRun struct {
	WorkflowID string
	RunID      string
	Started    time.Time
	Closed     time.Time
	Status     string
	Outcome    string
	RTOSeconds int64
	HasRTO     bool
}

// drillsCmd: starter drills [--limit N] [--query EXTRA]
func drillsCmd(ctx context.Context, e *Env, args []string) error {
	f := newFlags(e, "drills")
	limit := f.Int("limit", 20, "show at most this many drills, newest first")
	extra := f.String("query", "", "narrow the list with more visibility query, e.g. \"DRStage = 'prod'\"")
	if err := f.parse(args); err != nil {
		return err
	}
	if *limit <= 0 {
		return badInput("--limit %d: give a positive number", *limit)
	}
	c, err := e.dial(ctx, f)
	if err != nil {
		return err
	}
	defer c.Close()
	q := DrillsQuery
	if s := strings.TrimSpace(*extra); s != "" {
		q += " AND (" + s + ")"
	}
	var runs []DrillRun
	var token []byte
	for len(runs) < *limit {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: q, PageSize: int32(*limit), NextPageToken: token})
		if err != nil {
			return fmt.Errorf("list drills (%s): %w (are the DR search attributes registered? starter setup)", q, err)
		}
		for _, ex := range resp.Executions {
			r := DrillRun{WorkflowID: ex.GetExecution().GetWorkflowId(), RunID: ex.GetExecution().GetRunId(), Started: ex.GetStartTime().AsTime(),
				Status: strings.ToLower(strings.TrimPrefix(ex.GetStatus().String(), "WORKFLOW_EXECUTION_STATUS_"))}
			if ex.GetCloseTime() != nil {
				r.Closed = ex.GetCloseTime().AsTime()
			}
			fields := ex.GetSearchAttributes().GetIndexedFields()
			decodeSA(fields, "DROutcome", &r.Outcome)
			r.HasRTO = decodeSA(fields, "DRRTOSeconds", &r.RTOSeconds)
			runs = append(runs, r)
		}
		token = resp.NextPageToken
		if len(token) == 0 {
			break
		}
	}
	if len(runs) > *limit {
		runs = runs[:*limit]
	}
	if len(runs) == 0 {
		fmt.Fprintf(e.Out, "no drills found (%s); run one with: starter drill --topology FILE --auto-approve\n", q)
		return nil
	}
	printDrills(e, runs)
	return nil
}

func decodeSA(fields map[string]*commonpb.Payload, name string, out any) bool {
	p, ok := fields[name]
	if !ok || p == nil {
		return false
	}
	return converter.GetDefaultDataConverter().FromPayload(p, out) == nil
}

func printDrills(e *Env, runs []DrillRun) {
	tw := tabwriter.NewWriter(e.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DATE (UTC)\tWORKFLOW ID\tSTATUS\tOUTCOME\tRTO\tTOOK\tRUN ID")
	for _, r := range runs {
		rto, took := "-", "-"
		switch {
		case r.HasRTO && r.RTOSeconds > 0:
			rto = (time.Duration(r.RTOSeconds) * time.Second).String()
		case r.HasRTO && r.Outcome == "completed":
			rto = "<1s" // the attribute holds whole seconds; awssim at a small time scale recovers faster
		}
		if !r.Closed.IsZero() {
			took = r.Closed.Sub(r.Started).Round(time.Second).String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Started.UTC().Format("2006-01-02 15:04:05"), r.WorkflowID, r.Status, orDash(r.Outcome), rto, took, r.RunID)
	}
	_ = tw.Flush()
	fmt.Fprintf(e.Out, "\nreview one: starter report --workflow-id ID --run-id RUN   replay it: starter replay --workflow-id ID --run-id RUN\n")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
