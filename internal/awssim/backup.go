package awssim

import (
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// AWS Backup speaks rest-json. Vaults and recovery points are read-only: the backups are seeded, and the
// stale-backups fault hides the recent ones.
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

func backupFindVault(s *Server, c *Call) (*Vault, error) {
	name := c.Path["backupVaultName"]
	v := s.world.Regions[c.Region].Vaults[name]
	if v == nil {
		return nil, Errf(400, "ResourceNotFoundException", "Backup vault with name '%s' does not exist in %s", name, c.Region)
	}
	return v, nil
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
		points = append(points, backupRecoveryPointOut(v, rp))
	}
	out := map[string]any{"RecoveryPoints": points}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
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
