package topology

import (
	"strings"
	"testing"
)

// reports.bucket is optional; when set it must be an S3 bucket name, refused with the field and the fix.
func TestReportsBucketIsOptionalAndANameS3Accepts(t *testing.T) {
	base, err := Load("../../examples/roadcall-local.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		bucket string
		ok     bool
	}{
		{"", true}, {"roadcall-dr-reports-prod", true}, {"a.b-c", true},
		{"Roadcall-Reports", false}, {"ab", false}, {"-reports", false}, {"reports..prod", false}, {"192.168.1.1", false},
		{strings.Repeat("a", 64), false}, {"s3://roadcall-reports", false},
	} {
		topo := base
		topo.Reports.Bucket = c.bucket
		err := topo.Validate()
		if c.ok && err != nil {
			t.Errorf("bucket %q refused: %v", c.bucket, err)
		}
		if !c.ok && (err == nil || !strings.Contains(err.Error(), "reports.bucket") || !strings.Contains(err.Error(), "us-west-2")) {
			t.Errorf("bucket %q: %v; want a reports.bucket error naming the DR region", c.bucket, err)
		}
	}
}
