package starter

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/roadcall/dr/internal/render"
	"github.com/roadcall/dr/internal/temporalclient"
	"github.com/roadcall/dr/workflows"
)

// reportCmd: starter report --workflow-id ID [--run-id R] [--format md|html] [--out FILE]
func reportCmd(ctx context.Context, e *Env, args []string) error {
	f := newFlags(e, "report")
	id := f.String("workflow-id", "", "workflow ID of a drill, failover or failback (see starter drills)")
	runID := f.String("run-id", "", "run ID (default: the latest run)")
	out := f.String("out", "", "write the review to this file instead of the terminal")
	format := f.String("format", "md", "md (Markdown) or html (a self-contained page with a timeline chart)")
	if err := f.parse(args); err != nil {
		return err
	}
	if err := require("workflow-id", *id); err != nil {
		return err
	}
	if *format != "md" && *format != "html" {
		return badInput("--format %q: use md (Markdown) or html (a page with the timeline chart)", *format)
	}
	c, err := e.dial(ctx, f)
	if err != nil {
		return err
	}
	defer c.Close()
	// The input is read from history directly, so it is decoded with the keys the client has.
	codec, err := f.temporal.Codec()
	if err != nil {
		return badInput("%v", err)
	}
	review := Review
	if *format == "html" {
		review = ReviewHTML
	}
	md, err := review(ctx, c, temporalclient.CodecDataConverter(codec), *id, *runID)
	if err != nil {
		return err
	}
	if *out != "" {
		if err := os.WriteFile(*out, []byte(md), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(e.Out, "wrote the post-incident review of %s to %s\n", *id, *out)
		return nil
	}
	fmt.Fprint(e.Out, md)
	return nil
}

// Review renders the runbook's Post-Incident Review of a run from its history as Markdown.
// dc decodes the run's input (the client's data converter: the payloads may be encrypted).
func Review(ctx context.Context, c client.Client, dc converter.DataConverter, id, runID string) (string, error) {
	return reviewAs(ctx, c, dc, id, runID, markdownReview)
}

// ReviewHTML renders the Post-Incident Review as a self-contained HTML page with its timeline chart.
func ReviewHTML(ctx context.Context, c client.Client, dc converter.DataConverter, id, runID string) (string, error) {
	return reviewAs(ctx, c, dc, id, runID, render.HTMLReview)
}

// markdownReview is render's Markdown review in the shape reviewAs takes.
var markdownReview = render.Formats{
	Drill: func(m render.ReviewMeta, r workflows.DrillReport) (string, error) {
		return render.DrillReview(m, r), nil
	},
	Failover: func(m render.ReviewMeta, r workflows.FailoverReport) (string, error) {
		return render.FailoverReview(m, r), nil
	},
	Failback: func(m render.ReviewMeta, r workflows.FailbackReport) (string, error) {
		return render.FailbackReview(m, r), nil
	},
	Status: func(m render.ReviewMeta, s workflows.Status) (string, error) { return render.StatusReview(m, s), nil },
}

// reviewAs renders a run's review in one format from its history: the report it returned when it
// completed, otherwise what its status query shows.
func reviewAs(ctx context.Context, c client.Client, dc converter.DataConverter, id, runID string, f render.Formats) (string, error) {
	desc, err := c.DescribeWorkflowExecution(ctx, id, runID)
	if err != nil {
		return "", fmt.Errorf("describe workflow %s: %w", id, err)
	}
	info := desc.GetWorkflowExecutionInfo()
	meta := render.ReviewMeta{WorkflowType: info.GetType().GetName(), WorkflowID: id, RunID: info.GetExecution().GetRunId()}
	meta.Platform = platformOf(ctx, c, dc, id, meta.RunID)
	if info.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		var raw json.RawMessage
		if err := c.GetWorkflow(ctx, id, meta.RunID).Get(ctx, &raw); err != nil {
			return "", fmt.Errorf("result of workflow %s: %w", id, err)
		}
		switch meta.WorkflowType {
		case "DRDrill":
			var r workflows.DrillReport
			if err := json.Unmarshal(raw, &r); err != nil {
				return "", fmt.Errorf("decode the drill report of %s: %w", id, err)
			}
			return f.Drill(meta, r)
		case "RegionFailover":
			var r workflows.FailoverReport
			if err := json.Unmarshal(raw, &r); err != nil {
				return "", fmt.Errorf("decode the failover report of %s: %w", id, err)
			}
			return f.Failover(meta, r)
		case "Failback":
			var r workflows.FailbackReport
			if err := json.Unmarshal(raw, &r); err != nil {
				return "", fmt.Errorf("decode the failback report of %s: %w", id, err)
			}
			return f.Failback(meta, r)
		}
	}
	qctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	st, err := queryStatus(qctx, c, id, meta.RunID)
	if err != nil {
		return "", fmt.Errorf("workflow %s (%s, %s) has no report and its status query failed: %v (is a worker running on task queue %s?)",
			id, meta.WorkflowType, info.GetStatus(), rootMessage(err), workflows.TaskQueue)
	}
	return f.Status(meta, st)
}

// platformOf reads the topology's platform-stage from the run's input, the first event of its history.
func platformOf(ctx context.Context, c client.Client, dc converter.DataConverter, id, runID string) string {
	it := c.GetWorkflowHistory(ctx, id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	if !it.HasNext() {
		return ""
	}
	ev, err := it.Next()
	if err != nil {
		return ""
	}
	in := ev.GetWorkflowExecutionStartedEventAttributes().GetInput().GetPayloads()
	if len(in) == 0 {
		return ""
	}
	var req struct {
		Topology struct {
			Platform string `json:"platform"`
			Stage    string `json:"stage"`
		} `json:"topology"`
	}
	if dc.FromPayload(in[0], &req) != nil || req.Topology.Platform == "" {
		return ""
	}
	return req.Topology.Platform + "-" + req.Topology.Stage
}
