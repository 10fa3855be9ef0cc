package activities

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/backup"
)

type RecoveryPointQuery struct {
	Region string    `json:"region"`
	Vault  string    `json:"vault"`
	Since  time.Time `json:"since"`
}

type RecoveryPointInfo struct {
	ARN          string    `json:"arn"`
	ResourceARN  string    `json:"resourceArn"`
	ResourceType string    `json:"resourceType"`
	Status       string    `json:"status"`
	Created      time.Time `json:"created"`
}

type RecoveryPoints struct {
	Vault  string              `json:"vault"`
	Points []RecoveryPointInfo `json:"points"`
}

// ListRecoveryPoints lists the vault's recovery points created since a time (the runbook's last-24h query).
func (a *Activities) ListRecoveryPoints(ctx context.Context, q RecoveryPointQuery) (RecoveryPoints, error) {
	res := RecoveryPoints{Vault: q.Vault}
	in := &backup.ListRecoveryPointsByBackupVaultInput{BackupVaultName: aws.String(q.Vault)}
	if !q.Since.IsZero() {
		in.ByCreatedAfter = aws.Time(q.Since)
	}
	p := backup.NewListRecoveryPointsByBackupVaultPaginator(a.AWS.Backup(q.Region), in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return res, classify(err, "backup:ListRecoveryPointsByBackupVault", q.Vault, q.Region)
		}
		for _, rp := range out.RecoveryPoints {
			res.Points = append(res.Points, RecoveryPointInfo{ARN: aws.ToString(rp.RecoveryPointArn), ResourceARN: aws.ToString(rp.ResourceArn),
				ResourceType: aws.ToString(rp.ResourceType), Status: string(rp.Status), Created: aws.ToTime(rp.CreationDate)})
		}
	}
	return res, nil
}
