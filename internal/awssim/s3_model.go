package awssim

import (
	"fmt"

	"github.com/roadcall/dr/internal/topology"
)

// The S3 model: buckets and their replication configuration (objects are not modeled).

type Bucket struct {
	Name        string             `json:"name"`
	Region      string             `json:"region"`
	Replication *BucketReplication `json:"replication,omitempty"`
	// Objects are the objects put into the bucket (s3_objects.go), by key.
	Objects map[string]*Object `json:"objects,omitempty"`
}

type BucketReplication struct {
	Role  string            `json:"role"`
	Rules []ReplicationRule `json:"rules"`
}

type ReplicationRule struct {
	ID                string `json:"id"`
	Status            string `json:"status"`
	Priority          int    `json:"priority"`
	DestinationBucket string `json:"destinationBucket"` // ARN
}

// seedS3 creates each topology bucket pair: the source in the primary region replicating to the destination
// in DR.
func seedS3(w *World, t topology.Topology) {
	for i, b := range t.Buckets {
		w.Buckets[b.Source] = &Bucket{Name: b.Source, Region: t.PrimaryRegion, Replication: &BucketReplication{
			Role: fmt.Sprintf("arn:aws:iam::%s:role/roadcall-s3-replication", t.AccountID),
			Rules: []ReplicationRule{{ID: fmt.Sprintf("replicate-to-%s-%d", t.DRRegion, i), Status: "Enabled", Priority: 1,
				DestinationBucket: "arn:aws:s3:::" + b.Destination}},
		}}
		w.Buckets[b.Destination] = &Bucket{Name: b.Destination, Region: t.DRRegion}
	}
	// The review bucket lives in the DR region: the primary's S3 may be the outage being reviewed.
	if rb := t.Reports.Bucket; rb != "" && w.Buckets[rb] == nil {
		w.Buckets[rb] = &Bucket{Name: rb, Region: t.DRRegion}
	}
}
