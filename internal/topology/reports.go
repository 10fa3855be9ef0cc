package topology

import (
	"fmt"
	"regexp"
	"strings"
)

// Reports is where the post-incident review goes after a drill or a failover, as ARC Region switch writes
// its execution report to S3: an S3 bucket in the DR region (the primary's S3 may be the outage), one
// object per run, `<workflow-id>/<run-id>.html`.
type Reports struct {
	// Bucket is the S3 bucket in drRegion; empty: no upload.
	Bucket string `json:"bucket,omitempty"`
}

// s3BucketName is S3's general purpose bucket naming rule: 3 to 63 lowercase letters, digits, dots and
// hyphens, beginning and ending with a letter or digit
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
var s3BucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// reportProblems checks reports.bucket when it is set.
func (t Topology) reportProblems() []FieldError {
	b := t.Reports.Bucket
	if b == "" {
		return nil
	}
	fix := fmt.Sprintf("name an S3 bucket in %s (3-63 lowercase letters, digits, dots and hyphens), e.g. \"%s-dr-reports-%s\", or leave reports out", t.DRRegion, orDefault(t.Platform, "roadcall"), orDefault(t.Stage, "prod"))
	switch {
	case !s3BucketName.MatchString(b):
		return []FieldError{{"reports.bucket", fmt.Sprintf("%q is not a valid S3 bucket name", b), fix}}
	case strings.Contains(b, ".."), net4(b):
		return []FieldError{{"reports.bucket", fmt.Sprintf("%q is not a valid S3 bucket name (no adjacent dots, not an IP address)", b), fix}}
	}
	return nil
}

var ipv4 = regexp.MustCompile(`^\d+\.\d+\.\d+\.\d+$`)

func net4(s string) bool { return ipv4.MatchString(s) }

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
