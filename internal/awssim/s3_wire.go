package awssim

import "encoding/xml"

// S3 wire shapes: the REST-XML documents of the bucket operations awssim models.

// s3Error is S3's unwrapped error body with the extra members some errors carry.
type s3Error struct {
	XMLName    xml.Name `xml:"Error"`
	Code       string   `xml:"Code"`
	Message    string   `xml:"Message"`
	BucketName string   `xml:"BucketName,omitempty"`
	Endpoint   string   `xml:"Endpoint,omitempty"`
	RequestID  string   `xml:"RequestId"`
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

type s3LocationConstraint struct {
	XMLName xml.Name `xml:"LocationConstraint"`
	Xmlns   string   `xml:"xmlns,attr"`
	Region  string   `xml:",chardata"`
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

func s3ReplicationOut(r *BucketReplication) s3ReplicationConfiguration {
	out := s3ReplicationConfiguration{Xmlns: s3NS, Role: r.Role}
	for _, rr := range r.Rules {
		rule := s3ReplicationRule{ID: rr.ID, Priority: rr.Priority, Status: rr.Status, DeleteMarkerReplication: s3Status{"Disabled"}}
		rule.Destination.Bucket = rr.DestinationBucket
		out.Rules = append(out.Rules, rule)
	}
	return out
}
