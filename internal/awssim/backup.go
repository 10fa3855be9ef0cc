package awssim

import (
	"encoding/base64"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

func init() {
	register(&service{
		name: "backup", protocol: restJSON{}, throttleCode: "ThrottlingException",
		routes: []route{
			// botocore and the Go SDK both send the trailing slash; hand-written clients often do not.
			rest("GET", "/backup-vaults/{backupVaultName}/recovery-points/", "ListRecoveryPointsByBackupVault"),
			rest("GET", "/backup-vaults/{backupVaultName}/recovery-points", "ListRecoveryPointsByBackupVault"),
			rest("GET", "/backup-vaults/", "ListBackupVaults"),
			rest("GET", "/backup-vaults", "ListBackupVaults"),
			rest("GET", "/backup-vaults/{backupVaultName}", "DescribeBackupVault"),
		},
		ops: map[string]opFunc{
			"ListRecoveryPointsByBackupVault": backupListRecoveryPoints,
			"ListBackupVaults":                backupListVaults,
			"DescribeBackupVault":             backupDescribeVault,
		},
	})
}

// staleBackupWindow is how far back the stale-backups fault hides recovery points by default: two missed
// daily backups, enough to fail any sane "backup in the last 24 h" check.
const staleBackupWindow = 48 * time.Hour

func backupFindVault(s *Server, c *Call) (*Vault, error) {
	name := c.Path["backupVaultName"]
	v := s.world.Regions[c.Region].Vaults[name]
	if v == nil {
		return nil, Errf(400, "ResourceNotFoundException", "Backup vault with name '%s' does not exist in %s", name, c.Region)
	}
	return v, nil
}

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

// backupTime reads a query timestamp: ISO 8601 as the SDKs send it, or epoch seconds.
func backupTime(q url.Values, k string) (time.Time, bool, error) {
	v := q.Get(k)
	if v == "" {
		return time.Time{}, false, nil
	}
	if t, ok := (M{k: v}).Time(k); ok {
		return t, true, nil
	}
	return time.Time{}, false, Errf(400, "InvalidParameterValueException", "%s %q is not a timestamp", k, v)
}

// backupPage cuts one page of n items from the offset in nextToken and returns the token of the next page.
func backupPage(q url.Values, n int) (from, to int, next string, err error) {
	limit := 1000
	if v := q.Get("maxResults"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 1000 {
			return 0, 0, "", Errf(400, "InvalidParameterValueException", "maxResults %q must be between 1 and 1000", v)
		}
	}
	if tok := q.Get("nextToken"); tok != "" {
		b, derr := base64.RawURLEncoding.DecodeString(tok)
		off, aerr := strconv.Atoi(strings.TrimPrefix(string(b), "offset:"))
		if derr != nil || aerr != nil || off < 0 || off > n {
			return 0, 0, "", Errf(400, "InvalidParameterValueException", "nextToken %q is not a token this API returned", tok)
		}
		from = off
	}
	to = min(from+limit, n)
	if to < n {
		next = base64.RawURLEncoding.EncodeToString([]byte("offset:" + strconv.Itoa(to)))
	}
	return from, to, next, nil
}

func backupListRecoveryPoints(s *Server, c *Call) (any, error) {
	v, err := backupFindVault(s, c)
	if err != nil {
		return nil, err
	}
	q := c.Req.URL.Query()
	after, hasAfter, err := backupTime(q, "createdAfter")
	if err != nil {
		return nil, err
	}
	before, hasBefore, err := backupTime(q, "createdBefore")
	if err != nil {
		return nil, err
	}
	var match []*RecoveryPoint
	for _, rp := range backupVisible(s, c, v) {
		if (hasAfter && rp.CreatedAt.Before(after)) || (hasBefore && rp.CreatedAt.After(before)) ||
			(q.Get("resourceType") != "" && q.Get("resourceType") != rp.ResourceType) ||
			(q.Get("resourceArn") != "" && q.Get("resourceArn") != rp.ResourceARN) {
			continue
		}
		match = append(match, rp)
	}
	from, to, next, err := backupPage(q, len(match))
	if err != nil {
		return nil, err
	}
	points := []map[string]any{}
	for _, rp := range match[from:to] {
		points = append(points, map[string]any{
			"RecoveryPointArn": rp.ARN, "BackupVaultName": v.Name, "BackupVaultArn": v.ARN,
			"ResourceArn": rp.ResourceARN, "ResourceType": rp.ResourceType, "Status": rp.Status,
			"CreationDate": rp.CreatedAt, "CompletionDate": rp.CompletedAt, "BackupSizeInBytes": rp.SizeBytes,
			"IsEncrypted": true, "VaultType": "BACKUP_VAULT",
		})
	}
	out := map[string]any{"RecoveryPoints": points}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}

func backupVaultOut(s *Server, c *Call, v *Vault) map[string]any {
	return map[string]any{
		"BackupVaultName": v.Name, "BackupVaultArn": v.ARN, "VaultType": "BACKUP_VAULT", "VaultState": "AVAILABLE",
		"CreationDate": s.world.Seeded.Add(-seedAge), "NumberOfRecoveryPoints": len(backupVisible(s, c, v)), "Locked": false,
	}
}

func backupDescribeVault(s *Server, c *Call) (any, error) {
	v, err := backupFindVault(s, c)
	if err != nil {
		return nil, err
	}
	return backupVaultOut(s, c, v), nil
}

func backupListVaults(s *Server, c *Call) (any, error) {
	vaults := s.world.Regions[c.Region].Vaults
	names := SortedKeys(vaults)
	from, to, next, err := backupPage(c.Req.URL.Query(), len(names))
	if err != nil {
		return nil, err
	}
	list := []map[string]any{}
	for _, n := range names[from:to] {
		list = append(list, backupVaultOut(s, c, vaults[n]))
	}
	out := map[string]any{"BackupVaultList": list}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}
