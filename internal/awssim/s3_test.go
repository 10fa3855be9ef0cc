package awssim

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/require"
)

const (
	s3Source = "roadcall-call-recordings-prod-123456789012"
	s3Dest   = "roadcall-call-recordings-prod-us-west-2-123456789012"
)

func TestS3ReplicationThroughSDK(t *testing.T) {
	sim, f, _ := start(t, Options{})
	ctx := context.Background()
	east, west := f.S3("us-east-1"), f.S3("us-west-2")

	rep, err := east.GetBucketReplication(ctx, &s3.GetBucketReplicationInput{Bucket: aws.String(s3Source)})
	require.NoError(t, err)
	cfg := rep.ReplicationConfiguration
	require.Equal(t, "arn:aws:iam::123456789012:role/roadcall-s3-replication", *cfg.Role)
	require.Len(t, cfg.Rules, 1)
	rule := cfg.Rules[0]
	require.Equal(t, types.ReplicationRuleStatusEnabled, rule.Status)
	require.Equal(t, "arn:aws:s3:::"+s3Dest, *rule.Destination.Bucket)
	require.EqualValues(t, 1, *rule.Priority)
	require.NotNil(t, rule.Filter, "a V2 rule carries a Filter")
	require.Equal(t, types.DeleteMarkerReplicationStatusDisabled, rule.DeleteMarkerReplication.Status)

	_, err = west.GetBucketReplication(ctx, &s3.GetBucketReplicationInput{Bucket: aws.String(s3Dest)})
	require.Equal(t, "ReplicationConfigurationNotFoundError", apiErrCode(t, err))
	_, err = east.GetBucketReplication(ctx, &s3.GetBucketReplicationInput{Bucket: aws.String("roadcall-nope")})
	require.Equal(t, "NoSuchBucket", apiErrCode(t, err))
	// Signed for the wrong region, S3 answers with a redirect naming the bucket's region.
	_, err = west.GetBucketReplication(ctx, &s3.GetBucketReplicationInput{Bucket: aws.String(s3Source)})
	require.Equal(t, "PermanentRedirect", apiErrCode(t, err))
	require.Contains(t, err.Error(), "us-east-1")
	_, err = east.GetBucketReplication(ctx, &s3.GetBucketReplicationInput{Bucket: aws.String(s3Source), ExpectedBucketOwner: aws.String("999999999999")})
	require.Equal(t, "AccessDenied", apiErrCode(t, err))

	head, err := west.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(s3Dest)})
	require.NoError(t, err)
	require.Equal(t, "us-west-2", *head.BucketRegion)
	_, err = west.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("roadcall-nope")})
	require.Equal(t, "NotFound", apiErrCode(t, err))

	list, err := west.ListBuckets(ctx, &s3.ListBucketsInput{})
	require.NoError(t, err)
	var names []string
	for _, b := range list.Buckets {
		names = append(names, *b.Name)
	}
	require.Equal(t, []string{s3Source, s3Dest}, names, "ListBuckets is account-wide whatever the region")
	only, err := east.ListBuckets(ctx, &s3.ListBucketsInput{BucketRegion: aws.String("us-west-2")})
	require.NoError(t, err)
	require.Len(t, only.Buckets, 1)
	require.Equal(t, s3Dest, *only.Buckets[0].Name)

	loc, err := west.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(s3Dest)})
	require.NoError(t, err)
	require.Equal(t, types.BucketLocationConstraintUsWest2, loc.LocationConstraint)
	loc, err = west.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(s3Source)})
	require.NoError(t, err)
	require.Empty(t, loc.LocationConstraint, "S3 reports us-east-1 as an empty constraint")

	_, err = sim.AddFault(Fault{Kind: FaultThrottle, Service: "s3", Rate: 1})
	require.NoError(t, err)
	_, err = east.GetBucketReplication(ctx, &s3.GetBucketReplicationInput{Bucket: aws.String(s3Source)}, func(o *s3.Options) { o.RetryMaxAttempts = 1 })
	require.Equal(t, "SlowDown", apiErrCode(t, err))
}

// TestS3VirtualHostedStyle addresses the bucket in the Host header, as SDKs do by default against AWS.
func TestS3VirtualHostedStyle(t *testing.T) {
	_, f, endpoint := start(t, Options{})
	u, err := url.Parse(endpoint)
	require.NoError(t, err)
	// Every bucket.localhost name dials the test server, as wildcard DNS would.
	dialer := &net.Dialer{}
	var hosts []string
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		hosts = append(hosts, addr)
		return dialer.DialContext(ctx, network, u.Host)
	}}}
	cfg := f.Base.Copy()
	cfg.Region = "us-east-1"
	c := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String("http://localhost:" + u.Port())
		o.UsePathStyle = false
		o.HTTPClient = hc
	})
	rep, err := c.GetBucketReplication(context.Background(), &s3.GetBucketReplicationInput{Bucket: aws.String(s3Source)})
	require.NoError(t, err)
	require.Equal(t, "arn:aws:s3:::"+s3Dest, *rep.ReplicationConfiguration.Rules[0].Destination.Bucket)
	require.True(t, strings.HasPrefix(hosts[0], s3Source+".localhost"), "the request was virtual-hosted: %v", hosts)
	_, err = c.GetBucketReplication(context.Background(), &s3.GetBucketReplicationInput{Bucket: aws.String("roadcall-nope")})
	require.Equal(t, "NoSuchBucket", apiErrCode(t, err))
}

func TestS3ThroughCLI(t *testing.T) {
	_, _, url := start(t, Options{})
	out := awsCLI(t, url, "s3api", "get-bucket-replication", "--bucket", s3Source)
	rules := out["ReplicationConfiguration"].(map[string]any)["Rules"].([]any)
	require.Len(t, rules, 1)
	rule := rules[0].(map[string]any)
	require.Equal(t, "Enabled", rule["Status"])
	require.Equal(t, "arn:aws:s3:::"+s3Dest, rule["Destination"].(map[string]any)["Bucket"])

	// botocore follows the region redirect that a wrong --region earns.
	out = awsCLI(t, url, "s3api", "get-bucket-replication", "--bucket", s3Source, "--region", "us-west-2")
	require.Len(t, out["ReplicationConfiguration"].(map[string]any)["Rules"], 1)

	raw, err := awsCLIRaw(t, url, "s3api", "get-bucket-replication", "--bucket", s3Dest, "--region", "us-west-2")
	require.Error(t, err)
	require.Contains(t, string(raw), "ReplicationConfigurationNotFoundError")
	raw, err = awsCLIRaw(t, url, "s3api", "get-bucket-replication", "--bucket", "roadcall-nope")
	require.Error(t, err)
	require.Contains(t, string(raw), "NoSuchBucket")
	require.Len(t, awsCLI(t, url, "s3api", "list-buckets")["Buckets"], 2)
}

// PutObject and GetObject as botocore's s3 model shapes them: the ETag header on the put, the bytes back as
// the payload with Content-Type and ETag, NoSuchKey (404) for a missing key; a repeated identical put is
// journaled as no change.
func TestS3PutGetObjectThroughSDK(t *testing.T) {
	sim, f, _ := start(t, Options{})
	ctx := context.Background()
	west := f.S3("us-west-2")
	key := "drill-roadcall-prod/run-1.html"
	body := "<html>RTO 14m23s</html>"
	for range 2 {
		out, err := west.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(s3Dest), Key: aws.String(key), Body: strings.NewReader(body), ContentType: aws.String("text/html; charset=utf-8")})
		require.NoError(t, err)
		require.Equal(t, `"bf482cdda8db2997d39a917ef0830e83"`, aws.ToString(out.ETag)) // md5 of body
	}
	got, err := west.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s3Dest), Key: aws.String(key)})
	require.NoError(t, err)
	b, err := io.ReadAll(got.Body)
	require.NoError(t, err)
	require.Equal(t, body, string(b))
	require.Equal(t, "text/html; charset=utf-8", aws.ToString(got.ContentType))
	require.EqualValues(t, len(body), aws.ToInt64(got.ContentLength))

	var puts []JournalEntry
	for _, e := range sim.Journal() {
		if e.Operation == "PutObject" {
			puts = append(puts, e)
		}
	}
	require.Len(t, puts, 2)
	require.True(t, puts[0].Changed)
	require.False(t, puts[1].Changed, "the same bytes again change nothing")

	_, err = west.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s3Dest), Key: aws.String("nope.html")})
	require.Equal(t, "NoSuchKey", apiErrCode(t, err))
	_, err = west.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("roadcall-nope"), Key: aws.String(key), Body: strings.NewReader(body)})
	require.Equal(t, "NoSuchBucket", apiErrCode(t, err))
}

// HeadObject answers GetObject's headers (botocore: HeadObjectOutput's Content-Length, ETag, Content-Type
// headers, no payload) and a bare 404 for a missing key, which the SDK reports as NotFound.
func TestS3HeadObjectThroughSDK(t *testing.T) {
	_, f, _ := start(t, Options{})
	ctx := context.Background()
	west := f.S3("us-west-2")
	_, err := west.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(s3Dest), Key: aws.String("a/b.html"), Body: strings.NewReader("12345"), ContentType: aws.String("text/html")})
	require.NoError(t, err)
	h, err := west.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s3Dest), Key: aws.String("a/b.html")})
	require.NoError(t, err)
	require.EqualValues(t, 5, aws.ToInt64(h.ContentLength))
	require.Equal(t, "text/html", aws.ToString(h.ContentType))
	require.Equal(t, `"827ccb0eea8a706c4c34a16891f84e7b"`, aws.ToString(h.ETag))
	_, err = west.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s3Dest), Key: aws.String("nope")})
	require.Equal(t, "NotFound", apiErrCode(t, err))
}

// The AWS CLI, a client we did not write, puts an object (however botocore frames the body: plain or
// aws-chunked with a checksum trailer) and reads back the same bytes.
func TestS3ObjectsThroughCLI(t *testing.T) {
	_, _, url := start(t, Options{})
	src := filepath.Join(t.TempDir(), "review.html")
	body := "<html><td id=\"rto\">14m23s</td></html>\n"
	require.NoError(t, os.WriteFile(src, []byte(body), 0o644))
	raw, err := awsCLIRaw(t, url, "s3", "cp", src, "s3://"+s3Dest+"/drill/run.html", "--region", "us-west-2", "--content-type", "text/html")
	require.NoError(t, err, "%s", raw)
	dst := filepath.Join(t.TempDir(), "back.html")
	raw, err = awsCLIRaw(t, url, "s3", "cp", "s3://"+s3Dest+"/drill/run.html", dst, "--region", "us-west-2")
	require.NoError(t, err, "%s", raw)
	got, err := os.ReadFile(dst)
	require.NoError(t, err)
	require.Equal(t, body, string(got))
	head := awsCLI(t, url, "s3api", "head-object", "--bucket", s3Dest, "--key", "drill/run.html", "--region", "us-west-2")
	require.Equal(t, "text/html", head["ContentType"])
	require.EqualValues(t, len(body), head["ContentLength"])
	raw, err = awsCLIRaw(t, url, "s3api", "get-object", "--bucket", s3Dest, "--key", "nope", "--region", "us-west-2", filepath.Join(t.TempDir(), "x"))
	require.Error(t, err)
	require.Contains(t, string(raw), "NoSuchKey")
}
