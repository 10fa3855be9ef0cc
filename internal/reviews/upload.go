// Package reviews uploads a run's post-incident review to S3. It is an activity outside activities/
// because it renders with internal/render, which imports workflows and activities: workflows name it by
// string (workflows.ActivityUploadReview) and the worker registers it (internal/drworker).
package reviews

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"go.temporal.io/sdk/temporal"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/awsclient"
	"github.com/roadcall/dr/internal/render"
	"github.com/roadcall/dr/workflows"
)

// Uploader holds the S3 clients of the worker.
type Uploader struct {
	AWS *awsclient.Factory
}

// UploadReview renders the review as the HTML page of `starter report --format html` and puts it at its
// key. Idempotent: the page is a pure function of the report, so a retry puts the same bytes at the same
// key (S3 keeps one object; its ETag, the MD5 of a single-part upload, is the same).
func (u *Uploader) UploadReview(ctx context.Context, in workflows.ReviewUpload) (workflows.ReviewUploaded, error) {
	meta := render.ReviewMeta{WorkflowType: in.WorkflowType, WorkflowID: in.WorkflowID, RunID: in.RunID, Platform: in.Platform}
	var page string
	var err error
	switch {
	case in.Drill != nil:
		page, err = render.DrillReviewHTML(meta, *in.Drill)
	case in.Failover != nil:
		page, err = render.FailoverReviewHTML(meta, *in.Failover)
	default:
		err = errors.New("no report to render (neither drill nor failover)")
	}
	if err != nil {
		return workflows.ReviewUploaded{}, temporal.NewNonRetryableApplicationError("render the review of "+in.WorkflowID+": "+err.Error(), "RenderFailed", nil)
	}
	body := []byte(page)
	sum := md5.Sum(body)
	out, err := u.AWS.S3(in.Region).PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(in.Bucket), Key: aws.String(in.Key), Body: bytes.NewReader(body),
		ContentType: aws.String("text/html; charset=utf-8"), ContentLength: aws.Int64(int64(len(body))),
	})
	if err != nil {
		return workflows.ReviewUploaded{}, activities.Classify(err, "s3:PutObject", in.Bucket+"/"+in.Key, in.Region)
	}
	etag := aws.ToString(out.ETag)
	if want := `"` + hex.EncodeToString(sum[:]) + `"`; etag != "" && etag != want && out.ServerSideEncryption != "aws:kms" {
		// S3 answers the MD5 of what it stored for an SSE-S3 or unencrypted single-part put.
		return workflows.ReviewUploaded{}, temporal.NewApplicationError(fmt.Sprintf("s3:PutObject %s/%s in %s: stored ETag %s, sent %s", in.Bucket, in.Key, in.Region, etag, want), "ChecksumMismatch")
	}
	return workflows.ReviewUploaded{URI: "s3://" + in.Bucket + "/" + in.Key, ETag: etag, Bytes: len(body)}, nil
}
