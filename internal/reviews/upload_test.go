package reviews

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/roadcall/dr/internal/awsclient"
	"github.com/roadcall/dr/internal/awssim"
	"github.com/roadcall/dr/internal/topology"
	"github.com/roadcall/dr/workflows"
)

// The upload through the real SDK against awssim: the page lands at its key in the DR region's bucket with
// the RTO in it, and a second run of the activity (a retry) puts the same bytes, which changes nothing.
func TestUploadReviewPutsThePageOnceAtItsKey(t *testing.T) {
	topo, err := topology.Load("../../examples/roadcall-local.json")
	require.NoError(t, err)
	topo.Reports.Bucket = "roadcall-dr-reports-local"
	sim := awssim.New(topo, awssim.Options{})
	hs := httptest.NewServer(sim)
	t.Cleanup(hs.Close)
	f, err := awsclient.New(context.Background(), awsclient.Static(hs.URL))
	require.NoError(t, err)
	u := &Uploader{AWS: f}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(u.UploadReview)

	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	rep := workflows.FailoverReport{PrimaryRegion: topo.PrimaryRegion, DRRegion: topo.DRRegion,
		RunSummary: workflows.RunSummary{Outcome: workflows.PhaseCompleted, StartedAt: t0, DetectedAt: t0, EndedAt: t0.Add(20 * time.Minute)},
		Recovery:   workflows.Recovery{RTO: 14*time.Minute + 23*time.Second, RTOObjective: time.Hour, RTOMet: true}}
	in := workflows.ReviewUpload{Region: topo.DRRegion, Bucket: topo.Reports.Bucket, Key: "failover-roadcall-local/run-1.html",
		WorkflowType: "RegionFailover", WorkflowID: "failover-roadcall-local", RunID: "run-1", Platform: topo.ID(), Failover: &rep}
	var first, second workflows.ReviewUploaded
	for _, out := range []*workflows.ReviewUploaded{&first, &second} {
		v, err := env.ExecuteActivity(u.UploadReview, in)
		require.NoError(t, err)
		require.NoError(t, v.Get(out))
	}
	require.Equal(t, "s3://roadcall-dr-reports-local/failover-roadcall-local/run-1.html", first.URI)
	require.Equal(t, first, second)

	got, err := f.S3(topo.DRRegion).GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(in.Bucket), Key: aws.String(in.Key)})
	require.NoError(t, err)
	b, err := io.ReadAll(got.Body)
	require.NoError(t, err)
	require.Contains(t, string(b), `<td id="rto">14m23s</td>`)
	require.Equal(t, "text/html; charset=utf-8", aws.ToString(got.ContentType))

	var changed []bool
	for _, e := range sim.Journal() {
		if e.Operation == "PutObject" {
			changed = append(changed, e.Changed)
		}
	}
	require.Equal(t, []bool{true, false}, changed, "the retry put the same object")

	// Signed for the wrong region S3 redirects; the activity reports it non-retryably with the region.
	in.Region = topo.PrimaryRegion
	_, err = env.ExecuteActivity(u.UploadReview, in)
	require.Error(t, err)
	require.True(t, strings.Contains(err.Error(), "s3:PutObject"), err.Error())
}
