package awssim

import (
	"crypto/sha256"
	"fmt"
	"net"
	"regexp"
	"strings"
)

const s3NS = "http://s3.amazonaws.com/doc/2006-03-01/"

// S3 speaks rest-xml, with the bucket in the host or the path and sub-resources in the query string.
// Bucket-level reads are modeled (listing, location and replication configuration), and PutObject and
// GetObject (s3_objects.go).
func init() {
	register(&service{
		name: "s3", protocol: restXML{unwrapped: true, resolve: s3Resolve}, xmlns: s3NS,
		throttleCode: "SlowDown", throttleStatus: 503,
		ops: map[string]opFunc{
			"ListBuckets":          s3ListBuckets,
			"HeadBucket":           s3HeadBucket,
			"GetBucketLocation":    s3GetBucketLocation,
			"GetBucketReplication": s3GetBucketReplication,
			"PutObject":            journaled(s3ObjectResource, s3PutObject),
			"GetObject":            s3GetObject,
			"HeadObject":           s3HeadObject,
		},
	})
}

// s3VirtualHost matches a virtual-hosted-style Host: the bucket, then an S3 endpoint (AWS's own, LocalStack's,
// or localhost as test clients use). Other host names are taken as path style, since a host such as
// "awssim.internal" must not be read as bucket "awssim".
var s3VirtualHost = regexp.MustCompile(`^(.+?)\.(localhost|localhost\.localstack\.cloud|s3[.-][a-z0-9.-]*amazonaws\.com(\.cn)?|s3\.amazonaws\.com)$`)

// s3Bucket returns the bucket a request addresses and the object key path after it, for both addressing styles.
func s3Bucket(c *Call) (bucket, rest string) {
	host := c.Req.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	path := strings.TrimPrefix(c.Req.URL.Path, "/")
	if m := s3VirtualHost.FindStringSubmatch(strings.ToLower(host)); m != nil && net.ParseIP(host) == nil {
		return m[1], path
	}
	bucket, rest, _ = strings.Cut(path, "/")
	return bucket, rest
}

// s3Resolve names the operation: S3 sub-resources are query parameters, not paths.
func s3Resolve(c *Call) {
	bucket, key := s3Bucket(c)
	q := c.Req.URL.Query()
	c.Path = map[string]string{"Bucket": bucket, "Key": key}
	c.Operation = ""
	switch {
	case bucket == "" && c.Req.Method == "GET":
		c.Operation = "ListBuckets"
	case key != "" && bucket != "":
		c.Operation = s3ObjectOperation(c)
	case bucket == "":
	case c.Req.Method == "HEAD":
		c.Operation = "HeadBucket"
	case c.Req.Method == "GET" && q.Has("replication"):
		c.Operation = "GetBucketReplication"
	case c.Req.Method == "GET" && q.Has("location"):
		c.Operation = "GetBucketLocation"
	}
}

// s3FindBucket returns the bucket, or the response AWS gives instead: NoSuchBucket, AccessDenied for a wrong
// expected owner, or a 301 with the bucket's region when the request was signed for another region (the
// AWS CLI follows that redirect; the Go SDK reports it).
func s3FindBucket(s *Server, c *Call) (*Bucket, any, error) {
	name := c.Path["Bucket"]
	b := s.world.Buckets[name]
	if b == nil {
		return nil, nil, Errf(404, "NoSuchBucket", "The specified bucket does not exist: %s (request signed for %s)", name, c.Region)
	}
	if owner := c.Req.Header.Get("X-Amz-Expected-Bucket-Owner"); owner != "" && owner != s.world.AccountID {
		return nil, nil, Errf(403, "AccessDenied", "Access Denied: bucket %s is not owned by account %s", name, owner)
	}
	if b.Region != c.Region {
		return nil, &RestResponse{Status: 301, Headers: map[string]string{"X-Amz-Bucket-Region": b.Region}, Body: s3Error{
			Code:       "PermanentRedirect",
			Message:    fmt.Sprintf("The bucket you are attempting to access must be addressed using the specified endpoint. Bucket %s is in %s, not %s.", name, b.Region, c.Region),
			BucketName: name, Endpoint: fmt.Sprintf("s3.%s.amazonaws.com", b.Region), RequestID: c.ReqID,
		}}, nil
	}
	return b, nil, nil
}

// s3ListBuckets lists every bucket of the account whatever region the call was signed for, as AWS does.
func s3ListBuckets(s *Server, c *Call) (any, error) {
	q := c.Req.URL.Query()
	out := s3ListBucketsResult{Xmlns: s3NS, Prefix: q.Get("prefix")}
	out.Owner.ID = fmt.Sprintf("%x", sha256.Sum256([]byte(s.world.AccountID)))
	out.Owner.DisplayName = "roadcall-" + s.world.AccountID
	for _, n := range SortedKeys(s.world.Buckets) {
		b := s.world.Buckets[n]
		if !strings.HasPrefix(n, q.Get("prefix")) || (q.Get("bucket-region") != "" && q.Get("bucket-region") != b.Region) {
			continue
		}
		out.Buckets = append(out.Buckets, s3BucketEntry{Name: n, CreationDate: r53Time(s.world.Seeded.Add(-seedAge)),
			BucketRegion: b.Region, BucketArn: "arn:aws:s3:::" + n})
	}
	return out, nil
}

// s3HeadBucket answers with headers only; a wrong-region HEAD gets the 301 and its region header, no body.
func s3HeadBucket(s *Server, c *Call) (any, error) {
	b, redirect, err := s3FindBucket(s, c)
	if err != nil || redirect != nil {
		if rr, ok := redirect.(*RestResponse); ok {
			rr.Body = nil
		}
		return redirect, err
	}
	return &RestResponse{Status: 200, Headers: map[string]string{
		"X-Amz-Bucket-Region": b.Region, "X-Amz-Bucket-Arn": "arn:aws:s3:::" + b.Name, "X-Amz-Access-Point-Alias": "false",
	}}, nil
}

// s3GetBucketLocation answers from any region, and with an empty constraint for us-east-1, as S3 does.
func s3GetBucketLocation(s *Server, c *Call) (any, error) {
	b := s.world.Buckets[c.Path["Bucket"]]
	if b == nil {
		return nil, Errf(404, "NoSuchBucket", "The specified bucket does not exist: %s", c.Path["Bucket"])
	}
	out := s3LocationConstraint{Xmlns: s3NS, Region: b.Region}
	if b.Region == "us-east-1" {
		out.Region = ""
	}
	return out, nil
}

func s3GetBucketReplication(s *Server, c *Call) (any, error) {
	b, redirect, err := s3FindBucket(s, c)
	if err != nil || redirect != nil {
		return redirect, err
	}
	if b.Replication == nil {
		return nil, Errf(404, "ReplicationConfigurationNotFoundError", "The replication configuration was not found for bucket %s in %s", b.Name, b.Region)
	}
	return s3ReplicationOut(b.Replication), nil
}
