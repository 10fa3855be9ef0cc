package activities

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TableRef names a table in a region.
type TableRef struct {
	Region string `json:"region"`
	Table  string `json:"table"`
}

// TableInfo is what the workflows need from DescribeTable.
type TableInfo struct {
	Table         string            `json:"table"`
	Region        string            `json:"region"`
	Status        string            `json:"status"`
	BillingMode   string            `json:"billingMode"`
	ReadCapacity  int64             `json:"readCapacity"`
	WriteCapacity int64             `json:"writeCapacity"`
	ItemCount     int64             `json:"itemCount"`
	Replicas      map[string]string `json:"replicas"` // region → ReplicaStatus
}

// DescribeTable reads a table's status, billing mode, capacity and global-table replicas.
func (a *Activities) DescribeTable(ctx context.Context, in TableRef) (TableInfo, error) {
	out, err := a.AWS.DynamoDB(in.Region).DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(in.Table)})
	if err != nil {
		return TableInfo{}, classify(err, "dynamodb:DescribeTable", in.Table, in.Region)
	}
	return tableInfoOf(in, out), nil
}

func tableInfoOf(in TableRef, out *dynamodb.DescribeTableOutput) TableInfo {
	t := out.Table
	info := TableInfo{Table: in.Table, Region: in.Region, Status: string(t.TableStatus), BillingMode: string(types.BillingModeProvisioned),
		ItemCount: aws.ToInt64(t.ItemCount), Replicas: map[string]string{}}
	if t.BillingModeSummary != nil && t.BillingModeSummary.BillingMode != "" {
		info.BillingMode = string(t.BillingModeSummary.BillingMode)
	}
	if pt := t.ProvisionedThroughput; pt != nil {
		info.ReadCapacity, info.WriteCapacity = aws.ToInt64(pt.ReadCapacityUnits), aws.ToInt64(pt.WriteCapacityUnits)
	}
	for _, r := range t.Replicas {
		info.Replicas[aws.ToString(r.RegionName)] = string(r.ReplicaStatus)
	}
	return info
}

// PITRInfo is a table's point-in-time recovery state and restorable window.
type PITRInfo struct {
	Table    string    `json:"table"`
	Region   string    `json:"region"`
	Enabled  bool      `json:"enabled"`
	Earliest time.Time `json:"earliest,omitzero"`
	Latest   time.Time `json:"latest,omitzero"`
}

// DescribeContinuousBackups reads whether PITR is on and the window a restore may target.
func (a *Activities) DescribeContinuousBackups(ctx context.Context, in TableRef) (PITRInfo, error) {
	out, err := a.AWS.DynamoDB(in.Region).DescribeContinuousBackups(ctx, &dynamodb.DescribeContinuousBackupsInput{TableName: aws.String(in.Table)})
	if err != nil {
		return PITRInfo{}, classify(err, "dynamodb:DescribeContinuousBackups", in.Table, in.Region)
	}
	info := PITRInfo{Table: in.Table, Region: in.Region}
	if d := out.ContinuousBackupsDescription; d != nil && d.PointInTimeRecoveryDescription != nil {
		p := d.PointInTimeRecoveryDescription
		info.Enabled = p.PointInTimeRecoveryStatus == types.PointInTimeRecoveryStatusEnabled
		info.Earliest, info.Latest = aws.ToTime(p.EarliestRestorableDateTime), aws.ToTime(p.LatestRestorableDateTime)
	}
	return info, nil
}
