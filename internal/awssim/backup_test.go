package awssim

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	"github.com/aws/aws-sdk-go-v2/service/backup/types"
	"github.com/stretchr/testify/require"
)

const backupVault = "roadcall-backup-vault-prod"

func recoveryPoints(t *testing.T, c *backup.Client, in *backup.ListRecoveryPointsByBackupVaultInput) []types.RecoveryPointByBackupVault {
	t.Helper()
	var all []types.RecoveryPointByBackupVault
	p := backup.NewListRecoveryPointsByBackupVaultPaginator(c, in)
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		require.NoError(t, err)
		all = append(all, page.RecoveryPoints...)
	}
	return all
}

func TestBackupRecoveryPointsThroughSDK(t *testing.T) {
	sim, f, _ := start(t, Options{})
	ctx := context.Background()
	east := f.Backup("us-east-1")
	now := time.Now()

	all := recoveryPoints(t, east, &backup.ListRecoveryPointsByBackupVaultInput{BackupVaultName: aws.String(backupVault), MaxResults: aws.Int32(4)})
	tables := len(sim.Topology().Tables)
	require.Len(t, all, 7*tables, "a week of daily backups of every table, across pages of 4")
	seen := map[string]bool{}
	for i, rp := range all {
		require.False(t, seen[*rp.RecoveryPointArn], "pages must not repeat %s", *rp.RecoveryPointArn)
		seen[*rp.RecoveryPointArn] = true
		require.Equal(t, backupVault, *rp.BackupVaultName)
		require.Equal(t, "arn:aws:backup:us-east-1:123456789012:backup-vault:"+backupVault, *rp.BackupVaultArn)
		require.Equal(t, types.RecoveryPointStatusCompleted, rp.Status)
		require.Equal(t, "DynamoDB", *rp.ResourceType)
		require.True(t, rp.CompletionDate.After(*rp.CreationDate))
		require.Positive(t, *rp.BackupSizeInBytes)
		if i > 0 {
			require.False(t, rp.CreationDate.After(*all[i-1].CreationDate), "newest first")
		}
	}
	require.WithinDuration(t, now.Add(-3*time.Hour), *all[0].CreationDate, time.Minute)

	recent := recoveryPoints(t, east, &backup.ListRecoveryPointsByBackupVaultInput{BackupVaultName: aws.String(backupVault),
		ByCreatedAfter: aws.Time(now.Add(-24 * time.Hour))})
	require.Len(t, recent, tables, "one backup per table in the last 24 h")
	users := "arn:aws:dynamodb:us-east-1:123456789012:table/roadcall-users-prod"
	one := recoveryPoints(t, east, &backup.ListRecoveryPointsByBackupVaultInput{BackupVaultName: aws.String(backupVault),
		ByResourceArn: aws.String(users), ByCreatedBefore: aws.Time(now.Add(-48 * time.Hour))})
	require.Len(t, one, 5)
	for _, rp := range one {
		require.Equal(t, users, *rp.ResourceArn)
	}
	require.Empty(t, recoveryPoints(t, east, &backup.ListRecoveryPointsByBackupVaultInput{BackupVaultName: aws.String(backupVault), ByResourceType: aws.String("Aurora")}))

	// The backup job "has been failing": nothing newer than 48 h shows, in lists and in the vault's count.
	_, err := sim.AddFault(Fault{Kind: FaultStaleBackups})
	require.NoError(t, err)
	stale := recoveryPoints(t, east, &backup.ListRecoveryPointsByBackupVaultInput{BackupVaultName: aws.String(backupVault)})
	require.Len(t, stale, 5*tables)
	require.True(t, stale[0].CreationDate.Before(now.Add(-48*time.Hour)), "newest visible point %s", stale[0].CreationDate)
	require.Empty(t, recoveryPoints(t, east, &backup.ListRecoveryPointsByBackupVaultInput{BackupVaultName: aws.String(backupVault),
		ByCreatedAfter: aws.Time(now.Add(-24 * time.Hour))}))
	desc, err := east.DescribeBackupVault(ctx, &backup.DescribeBackupVaultInput{BackupVaultName: aws.String(backupVault)})
	require.NoError(t, err)
	require.EqualValues(t, 5*tables, desc.NumberOfRecoveryPoints)
	sim.RemoveFault("")
	require.Len(t, recoveryPoints(t, east, &backup.ListRecoveryPointsByBackupVaultInput{BackupVaultName: aws.String(backupVault)}), 7*tables)

	_, err = east.ListRecoveryPointsByBackupVault(ctx, &backup.ListRecoveryPointsByBackupVaultInput{BackupVaultName: aws.String("roadcall-nope")})
	require.Equal(t, "ResourceNotFoundException", apiErrCode(t, err))
	var nf *types.ResourceNotFoundException
	require.ErrorAs(t, err, &nf)
	_, err = east.DescribeBackupVault(ctx, &backup.DescribeBackupVaultInput{BackupVaultName: aws.String("roadcall-nope")})
	require.Equal(t, "ResourceNotFoundException", apiErrCode(t, err))
	_, err = east.ListRecoveryPointsByBackupVault(ctx, &backup.ListRecoveryPointsByBackupVaultInput{BackupVaultName: aws.String(backupVault), NextToken: aws.String("garbage")})
	require.Equal(t, "InvalidParameterValueException", apiErrCode(t, err))

	vaults, err := f.Backup("us-west-2").ListBackupVaults(ctx, &backup.ListBackupVaultsInput{})
	require.NoError(t, err)
	require.Len(t, vaults.BackupVaultList, 1)
	require.Equal(t, "arn:aws:backup:us-west-2:123456789012:backup-vault:"+backupVault, *vaults.BackupVaultList[0].BackupVaultArn)

	_, err = sim.AddFault(Fault{Kind: FaultThrottle, Service: "backup", Rate: 1})
	require.NoError(t, err)
	_, err = east.DescribeBackupVault(ctx, &backup.DescribeBackupVaultInput{BackupVaultName: aws.String(backupVault)}, func(o *backup.Options) { o.RetryMaxAttempts = 1 })
	require.Equal(t, "ThrottlingException", apiErrCode(t, err))
}

// TestBackupThroughCLI runs the runbook's "List recent backups" command. AWS Backup sends CreationDate as
// epoch seconds and CLI v1 (this machine's) passes that through to --query, so the filter compares numbers;
// the runbook's date-string form only works with CLI v2's ISO 8601 default, against AWS as here.
func TestBackupThroughCLI(t *testing.T) {
	sim, _, url := start(t, Options{})
	since := strconv.FormatInt(time.Now().Add(-24*time.Hour).Unix(), 10)
	recent := func() []any {
		out, err := awsCLIRaw(t, url, "backup", "list-recovery-points-by-backup-vault", "--backup-vault-name", backupVault,
			"--region", "us-east-1", "--query", "RecoveryPoints[?CreationDate>=`"+since+"`]")
		require.NoError(t, err, "%s", out)
		var v []any
		require.NoError(t, json.Unmarshal(out, &v), "%s", out)
		return v
	}
	require.Len(t, recent(), len(sim.Topology().Tables))
	_, err := sim.AddFault(Fault{Kind: FaultStaleBackups})
	require.NoError(t, err)
	require.Empty(t, recent(), "stale backups leave nothing in the last 24 h")

	raw, err := awsCLIRaw(t, url, "backup", "list-recovery-points-by-backup-vault", "--backup-vault-name", "roadcall-nope")
	require.Error(t, err)
	require.Contains(t, string(raw), "ResourceNotFoundException")
}
