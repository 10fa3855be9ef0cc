package awssim

import (
	"fmt"
	"sort"
	"time"

	"github.com/roadcall/dr/internal/topology"
)

// The AWS Backup model: vaults and their recovery points.

type Vault struct {
	Name           string           `json:"name"`
	ARN            string           `json:"arn"`
	RecoveryPoints []*RecoveryPoint `json:"recoveryPoints"`
}

type RecoveryPoint struct {
	ARN          string    `json:"arn"`
	ResourceARN  string    `json:"resourceArn"`
	ResourceType string    `json:"resourceType"`
	Status       string    `json:"status"`
	CreatedAt    time.Time `json:"createdAt"`
	CompletedAt  time.Time `json:"completedAt"`
	SizeBytes    int64     `json:"sizeBytes"`
}

// seedBackup gives every region the backup vault with a daily backup of every table for the last week, the
// newest a few hours old.
func seedBackup(w *World, t topology.Topology, now time.Time) {
	acct := t.AccountID
	for _, r := range t.Regions() {
		vault := &Vault{Name: t.BackupVault, ARN: fmt.Sprintf("arn:aws:backup:%s:%s:backup-vault:%s", r, acct, t.BackupVault)}
		for day := 6; day >= 0; day-- {
			at := now.Add(-time.Duration(day)*24*time.Hour - 3*time.Hour)
			for _, tb := range t.Tables {
				vault.RecoveryPoints = append(vault.RecoveryPoints, &RecoveryPoint{
					ARN:          fmt.Sprintf("arn:aws:backup:%s:%s:recovery-point:%s-%s", r, acct, tb.Name, at.UTC().Format("20060102")),
					ResourceARN:  fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", r, acct, tb.Name),
					ResourceType: "DynamoDB", Status: "COMPLETED", CreatedAt: at, CompletedAt: at.Add(4 * time.Minute), SizeBytes: 1 << 20,
				})
			}
		}
		w.Regions[r].Vaults[t.BackupVault] = vault
	}
}

// staleBackupWindow is how far back the stale-backups fault hides recovery points by default: two missed
// daily backups, enough to fail any sane "backup in the last 24 h" check.
const staleBackupWindow = 48 * time.Hour

// backupVisible is the vault's recovery points, newest first, without those a stale-backups fault hides
// (as if the backup job had been failing since then). A fault's Seconds overrides the window; its Region,
// when set, limits it to that region.
func backupVisible(s *Server, c *Call, v *Vault) []*RecoveryPoint {
	cutoff := time.Time{}
	for _, f := range s.faultsOf(FaultStaleBackups) {
		if f.Region != "" && f.Region != c.Region {
			continue
		}
		window := staleBackupWindow
		if f.Seconds > 0 {
			window = time.Duration(f.Seconds * float64(time.Second))
		}
		if t := c.Now.Add(-window); cutoff.IsZero() || t.Before(cutoff) {
			cutoff = t
		}
	}
	var out []*RecoveryPoint
	for _, rp := range v.RecoveryPoints {
		if cutoff.IsZero() || !rp.CreatedAt.After(cutoff) {
			out = append(out, rp)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out
}
