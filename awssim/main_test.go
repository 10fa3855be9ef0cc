package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestEnforcePolicyRefusedAtStart runs the built binary: a --enforce-policy file that is not an IAM policy
// stops awssim before it listens, with exit status 2 and a message naming the flag and what is wrong.
func TestEnforcePolicyRefusedAtStart(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "awssim")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for name, tc := range map[string]struct{ body, want string }{
		"not json":        {`Version: 2012-10-17`, "not a JSON object"},
		"topology":        {`{"platform":"roadcall","stage":"prod"}`, "unknown element"},
		"no statement":    {`{"Version":"2012-10-17"}`, "Statement"},
		"bad effect":      {`{"Version":"2012-10-17","Statement":[{"Effect":"Permit","Action":"s3:*","Resource":"*"}]}`, "Effect must be Allow or Deny"},
		"version missing": {`{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`, `Version must be "2012-10-17"`},
		"version wrong":   {`{"Version":"2020-01-01","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`, `Version must be "2012-10-17"`},
		"no prefix":       {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"GetItem","Resource":"*"}]}`, `action "GetItem" is not service:Action`},
		"unreadable":      {"", "no such file"},
	} {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".json")
			if tc.body != "" {
				if err := os.WriteFile(file, []byte(tc.body), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "--listen", "127.0.0.1:0", "--topology", "../examples/roadcall-local.json", "--enforce-policy", file)
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 2 {
				t.Fatalf("want exit status 2, got %v\n%s", err, out)
			}
			if !strings.Contains(string(out), "--enforce-policy "+file) || !strings.Contains(string(out), tc.want) {
				t.Errorf("message should name --enforce-policy %s and %q:\n%s", file, tc.want, out)
			}
			if strings.Contains(string(out), "listening") {
				t.Errorf("awssim started listening with a bad policy:\n%s", out)
			}
		})
	}
}
