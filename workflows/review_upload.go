package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"
)

// The post-incident review uploaded to the topology's report bucket at the end of a drill or a failover, as
// ARC Region switch writes its execution report to S3. The rendering needs internal/render, which imports
// this package, so the activity lives in internal/reviews (registered by the worker) and is named here by
// string; its input is the finished report, so the page is the one `starter report --format html` prints.

// ActivityUploadReview is the registered name of internal/reviews' Uploader.UploadReview.
const ActivityUploadReview = "UploadReview"

// ReviewUpload asks for one run's review in one bucket. Key is `<workflow-id>/<run-id>.html`: a retry of
// the activity, or of the upload, writes the same object.
type ReviewUpload struct {
	Region       string          `json:"region"`
	Bucket       string          `json:"bucket"`
	Key          string          `json:"key"`
	WorkflowType string          `json:"workflowType"`
	WorkflowID   string          `json:"workflowId"`
	RunID        string          `json:"runId"`
	Platform     string          `json:"platform"`
	Drill        *DrillReport    `json:"drill,omitempty"`
	Failover     *FailoverReport `json:"failover,omitempty"`
}

// ReviewUploaded is where the review went.
type ReviewUploaded struct {
	URI   string `json:"uri"` // s3://bucket/key
	ETag  string `json:"etag"`
	Bytes int    `json:"bytes"`
}

// uploadReview puts the review of the run into reports.bucket in the DR region (version uiNames, and only
// when the bucket is set) and returns its s3:// URI. A failed upload is a note, never a failed recovery.
func (r *run) uploadReview(drill *DrillReport, fo *FailoverReport) (uri, problem string) {
	t := r.common.Topology
	if !r.names || t.Reports.Bucket == "" {
		return "", ""
	}
	exec := workflow.GetInfo(r.ctx).WorkflowExecution
	in := ReviewUpload{Region: t.DRRegion, Bucket: t.Reports.Bucket, Key: exec.ID + "/" + exec.RunID + ".html",
		WorkflowType: r.status.Workflow, WorkflowID: exec.ID, RunID: exec.RunID, Platform: t.ID(), Drill: drill, Failover: fo}
	ctx := mutateCtx(r.ctx, fmt.Sprintf("S3 PutObject s3://%s/%s in %s (the post-incident review)", in.Bucket, in.Key, in.Region))
	var out ReviewUploaded
	if err := workflow.ExecuteActivity(ctx, ActivityUploadReview, in).Get(ctx, &out); err != nil {
		msg := fmt.Sprintf("the post-incident review was not uploaded to s3://%s/%s: %s (render it with starter report --format html)", in.Bucket, in.Key, errMessage(err))
		r.addNote(msg)
		return "", msg
	}
	return out.URI, ""
}

// withReview uploads the finished report's review and returns its URI and the notes, with the upload's
// problem added when it failed.
func (r *run) withReview(drill *DrillReport, fo *FailoverReport, notes []string) (string, []string) {
	uri, problem := r.uploadReview(drill, fo)
	if problem != "" {
		notes = append(notes, problem)
	}
	return uri, notes
}
