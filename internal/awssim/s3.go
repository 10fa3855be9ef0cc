package awssim

import (
	"crypto/sha256"
	"encoding/xml"
	"fmt"
	"net"
	"regexp"
	"strings"
)

const s3NS = "http://s3.amazonaws.com/doc/2006-03-01/"

func init() {
	register(&service{
		name: "s3", protocol: restXML{unwrapped: true, resolve: s3Resolve}, xmlns: s3NS,
		throttleCode: "SlowDown", throttleStatus: 503,
		ops: map[string]opFunc{
			"ListBuckets":          s3ListBuckets,
			"HeadBucket":           s3HeadBucket,
			"GetBucketLocation":    s3GetBucketLocation,
			"GetBucketReplication": s3GetBucketReplication,
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
	case key != "" || bucket == "":
		// Object operations are not modeled.
	case c.Req.Method == "HEAD":
		c.Operation = "HeadBucket"
	case c.Req.Method == "GET" && q.Has("replication"):
		c.Operation = "GetBucketReplication"
	case c.Req.Method == "GET" && q.Has("location"):
		c.Operation = "GetBucketLocation"
	}
}

// s3Error is S3's unwrapped error body with the extra members some errors carry.
type s3Error struct {
	XMLName    xml.Name `xml:"Error"`
	Code       string   `xml:"Code"`
	Message    string   `xml:"Message"`
	BucketName string   `xml:"BucketName,omitempty"`
	Endpoint   string   `xml:"Endpoint,omitempty"`
	RequestID  string   `xml:"RequestId"`
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

type s3BucketEntry struct {
	Name         string `xml:"Name"`
	CreationDate string `xml:"CreationDate"`
	BucketRegion string `xml:"BucketRegion"`
	BucketArn    string `xml:"BucketArn"`
}

type s3ListBucketsResult struct {
	XMLName xml.Name `xml:"ListAllMyBucketsResult"`
	Xmlns   string   `xml:"xmlns,attr"`
	Owner   struct {
		ID          string `xml:"ID"`
		DisplayName string `xml:"DisplayName"`
	} `xml:"Owner"`
	Buckets []s3BucketEntry `xml:"Buckets>Bucket"`
	Prefix  string          `xml:"Prefix,omitempty"`
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

type s3LocationConstraint struct {
	XMLName xml.Name `xml:"LocationConstraint"`
	Xmlns   string   `xml:"xmlns,attr"`
	Region  string   `xml:",chardata"`
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

type s3Status struct {
	Status string `xml:"Status"`
}

type s3ReplicationRule struct {
	ID       string `xml:"ID"`
	Priority int    `xml:"Priority"`
	// An empty Filter is how AWS returns a V2 rule that replicates the whole bucket.
	Filter struct {
		Prefix string `xml:"Prefix"`
	} `xml:"Filter"`
	Status      string `xml:"Status"`
	Destination struct {
		Bucket string `xml:"Bucket"`
	} `xml:"Destination"`
	DeleteMarkerReplication s3Status `xml:"DeleteMarkerReplication"`
}

type s3ReplicationConfiguration struct {
	XMLName xml.Name            `xml:"ReplicationConfiguration"`
	Xmlns   string              `xml:"xmlns,attr"`
	Role    string              `xml:"Role"`
	Rules   []s3ReplicationRule `xml:"Rule"`
}

func s3GetBucketReplication(s *Server, c *Call) (any, error) {
	b, redirect, err := s3FindBucket(s, c)
	if err != nil || redirect != nil {
		return redirect, err
	}
	if b.Replication == nil {
		return nil, Errf(404, "ReplicationConfigurationNotFoundError", "The replication configuration was not found for bucket %s in %s", b.Name, b.Region)
	}
	out := s3ReplicationConfiguration{Xmlns: s3NS, Role: b.Replication.Role}
	for _, r := range b.Replication.Rules {
		rule := s3ReplicationRule{ID: r.ID, Priority: r.Priority, Status: r.Status, DeleteMarkerReplication: s3Status{"Disabled"}}
		rule.Destination.Bucket = r.DestinationBucket
		out.Rules = append(out.Rules, rule)
	}
	return out, nil
}
