package activities

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

type BucketRef struct {
	Region string `json:"region"`
	Bucket string `json:"bucket"`
}

type ReplicationRuleInfo struct {
	ID          string `json:"id"`
	Status      string `json:"status"`
	Destination string `json:"destination"` // bucket name
}

type BucketReplicationInfo struct {
	Bucket string                `json:"bucket"`
	Rules  []ReplicationRuleInfo `json:"rules"`
}

// GetBucketReplication reads a bucket's replication rules; a bucket without replication has no rules.
func (a *Activities) GetBucketReplication(ctx context.Context, in BucketRef) (BucketReplicationInfo, error) {
	out, err := a.AWS.S3(in.Region).GetBucketReplication(ctx, &s3.GetBucketReplicationInput{Bucket: aws.String(in.Bucket)})
	info := BucketReplicationInfo{Bucket: in.Bucket}
	if err != nil {
		if strings.Contains(err.Error(), "ReplicationConfigurationNotFoundError") {
			return info, nil
		}
		return info, classify(err, "s3:GetBucketReplication", in.Bucket, in.Region)
	}
	if out.ReplicationConfiguration != nil {
		for _, r := range out.ReplicationConfiguration.Rules {
			dest := ""
			if r.Destination != nil {
				dest = strings.TrimPrefix(aws.ToString(r.Destination.Bucket), "arn:aws:s3:::")
			}
			info.Rules = append(info.Rules, ReplicationRuleInfo{ID: aws.ToString(r.ID), Status: string(r.Status), Destination: dest})
		}
	}
	return info, nil
}
