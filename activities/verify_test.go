package activities

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roadcall/dr/internal/awssim"
)

func TestCheckHealthURL(t *testing.T) {
	sim, acts, topo := foSim(t, 0)
	res, err := acts.CheckHealthURL(context.Background(), URLCheckInput{Region: topo.DRRegion, URL: topo.API.HealthURLs[topo.DRRegion]})
	require.NoError(t, err)
	require.Equal(t, 200, res.Status)

	_, err = sim.AddFault(awssim.Fault{Kind: awssim.FaultRegionOutage, Region: topo.DRRegion})
	require.NoError(t, err)
	_, err = acts.CheckHealthURL(context.Background(), URLCheckInput{Region: topo.DRRegion, URL: topo.API.HealthURLs[topo.DRRegion]})
	require.Error(t, err)
	ae := appErrorOf(t, err)
	require.Equal(t, "HealthCheckFailed", ae.Type())
	require.False(t, ae.NonRetryable(), "a region just activated may need a moment")
	require.Contains(t, err.Error(), "HTTP 503")
}

func TestListFunctionsByPrefixAndScanOne(t *testing.T) {
	_, acts, topo := foSim(t, 0)
	ctx := context.Background()
	res, err := acts.ListFunctionsByPrefix(ctx, FunctionsInput{Region: topo.DRRegion, Prefix: "roadcall", Expect: topo.FunctionNames()})
	require.NoError(t, err)
	require.Len(t, res.Found, len(topo.Functions))

	_, err = acts.ListFunctionsByPrefix(ctx, FunctionsInput{Region: topo.DRRegion, Prefix: "roadcall", Expect: append(topo.FunctionNames(), "roadcall-payments-svc-prod")})
	require.Error(t, err)
	require.Equal(t, "FunctionsMissing", appErrorOf(t, err).Type())
	require.Contains(t, err.Error(), "roadcall-payments-svc-prod")

	for _, tb := range topo.Tables {
		s, err := acts.ScanOne(ctx, TableRef{Region: topo.DRRegion, Table: tb.Name})
		require.NoError(t, err)
		require.Equal(t, int32(1), s.Count, tb.Name)
	}
	_, err = acts.ScanOne(ctx, TableRef{Region: topo.DRRegion, Table: "roadcall-nope"})
	require.Error(t, err)
	require.Equal(t, "ResourceNotFoundException", appErrorOf(t, err).Type())
}

func TestCheckDatabaseWriterWithoutDSNIsSkipped(t *testing.T) {
	acts := &Activities{Getenv: func(string) string { return "" }}
	res, err := acts.CheckDatabaseWriter(context.Background(), DBCheckInput{Region: "us-west-2", ClusterID: "c"})
	require.NoError(t, err)
	require.True(t, res.Skipped)
	res, err = acts.CheckDatabaseWriter(context.Background(), DBCheckInput{Region: "us-west-2", ClusterID: "c", DSNEnv: "RODCALL_DR_DSN"})
	require.NoError(t, err)
	require.True(t, res.Skipped)
	require.Contains(t, res.Reason, "RODCALL_DR_DSN")
}

// The DSN holds a password: no error may repeat it.
func TestCheckDatabaseWriterErrorsDoNotLeakThePassword(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close()) // nothing listens there now
	env := map[string]string{
		"GOOD_SHAPE": fmt.Sprintf("postgres://app:s3cr3t-pw@127.0.0.1:%d/roadcall?sslmode=disable&connect_timeout=2", port),
		"BAD_SHAPE":  "postgres://app:s3cr3t-pw@127.0.0.1:notaport/roadcall",
	}
	acts := &Activities{Getenv: func(k string) string { return env[k] }}
	_, err = acts.CheckDatabaseWriter(context.Background(), DBCheckInput{Region: "us-west-2", ClusterID: "roadcall-aurora-prod-replica", DSNEnv: "GOOD_SHAPE"})
	require.Error(t, err)
	require.Equal(t, "DatabaseUnreachable", appErrorOf(t, err).Type())
	require.Contains(t, err.Error(), "roadcall-aurora-prod-replica")
	require.NotContains(t, err.Error(), "s3cr3t-pw")
	_, err = acts.CheckDatabaseWriter(context.Background(), DBCheckInput{Region: "us-west-2", ClusterID: "c", DSNEnv: "BAD_SHAPE"})
	require.Error(t, err)
	require.Equal(t, "InvalidDSN", appErrorOf(t, err).Type())
	require.NotContains(t, err.Error(), "s3cr3t-pw")
}

// TestCheckDatabaseWriterAgainstPostgres starts a real PostgreSQL as a standby (in recovery, as the DR
// replica is before its failover), sees the check refuse it, promotes it, and sees the check pass.
func TestCheckDatabaseWriterAgainstPostgres(t *testing.T) {
	pg := startPostgres(t)
	acts := &Activities{Getenv: func(k string) string {
		if k == "DR_DSN" {
			return pg.dsn
		}
		return ""
	}}
	in := DBCheckInput{Region: "us-west-2", ClusterID: "roadcall-aurora-prod-replica", DSNEnv: "DR_DSN", Timeout: 5 * time.Second}
	_, err := acts.CheckDatabaseWriter(context.Background(), in)
	require.Error(t, err)
	require.Equal(t, "DatabaseInRecovery", appErrorOf(t, err).Type())

	pg.ctl(t, "promote", "-w")
	res, err := acts.CheckDatabaseWriter(context.Background(), in)
	require.NoError(t, err)
	require.Equal(t, 1, res.Selected)
	require.False(t, res.InRecovery)
	require.False(t, res.Skipped)
}

type postgres struct {
	bin, data, dsn string
	cred           *syscall.Credential
}

// startPostgres runs initdb and a server on a free port in a temporary directory, as the postgres user
// when the tests run as root (PostgreSQL refuses to run as root). It skips when PostgreSQL is not installed.
func startPostgres(t *testing.T) *postgres {
	t.Helper()
	initdb, err := exec.LookPath("initdb")
	if err != nil {
		for _, g := range []string{"/usr/lib/postgresql/*/bin/initdb"} {
			if m, _ := filepath.Glob(g); len(m) > 0 {
				initdb = m[len(m)-1]
			}
		}
	}
	if initdb == "" {
		t.Skip("PostgreSQL (initdb) is not installed; the no-DSN and error paths are tested without it")
	}
	pg := &postgres{bin: filepath.Dir(mustEval(t, initdb))}
	dir, err := os.MkdirTemp("", "roadcall-pg-")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skip("running as root and there is no postgres user to run PostgreSQL as")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		pg.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		require.NoError(t, os.Chown(dir, uid, gid))
	}
	pg.data = filepath.Join(dir, "data")
	pg.run(t, filepath.Join(pg.bin, "initdb"), "-D", pg.data, "-A", "trust", "-U", "postgres", "--no-sync")
	// A standby.signal makes the server start in recovery, like an Aurora secondary before failover.
	require.NoError(t, os.WriteFile(filepath.Join(pg.data, "standby.signal"), nil, 0o600))
	if pg.cred != nil {
		require.NoError(t, os.Chown(filepath.Join(pg.data, "standby.signal"), int(pg.cred.Uid), int(pg.cred.Gid)))
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", port, dir)
	pg.ctl(t, "start", "-w", "-t", "30", "-l", filepath.Join(dir, "log"), "-o", opts)
	t.Cleanup(func() { _ = pg.cmd(filepath.Join(pg.bin, "pg_ctl"), "stop", "-D", pg.data, "-m", "immediate").Run() })
	pg.dsn = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	return pg
}

func mustEval(t *testing.T, p string) string {
	r, err := filepath.EvalSymlinks(p)
	require.NoError(t, err)
	return r
}

func (pg *postgres) cmd(name string, args ...string) *exec.Cmd {
	c := exec.Command(name, args...)
	c.Dir = os.TempDir()
	if pg.cred != nil {
		c.SysProcAttr = &syscall.SysProcAttr{Credential: pg.cred}
	}
	return c
}

func (pg *postgres) run(t *testing.T, name string, args ...string) {
	t.Helper()
	out, err := pg.cmd(name, args...).CombinedOutput()
	if err != nil {
		t.Skipf("cannot run PostgreSQL here (%s: %v): %s", filepath.Base(name), err, strings.TrimSpace(string(out)))
	}
}

func (pg *postgres) ctl(t *testing.T, args ...string) {
	t.Helper()
	full := append([]string{args[0], "-D", pg.data}, args[1:]...)
	out, err := pg.cmd(filepath.Join(pg.bin, "pg_ctl"), full...).CombinedOutput()
	require.NoError(t, err, "pg_ctl %s: %s", args[0], out)
}
