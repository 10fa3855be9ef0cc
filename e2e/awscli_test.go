package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/roadcall/dr/internal/testenv"
)

// awsCLI runs `aws ARGS` (the machine's AWS CLI, a client we did not write) in region against env's awssim
// and decodes its JSON answer.
func awsCLI(t *testing.T, env *testenv.Env, region string, args ...string) map[string]any {
	t.Helper()
	bin, err := exec.LookPath("aws")
	if err != nil {
		t.Fatal("the AWS CLI is not installed (pip install awscli): this test reads AWS through it")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"--endpoint-url", env.Sim.URL, "--output", "json", "--region", region}, args...)...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=awssim", "AWS_SECRET_ACCESS_KEY=awssim",
		"AWS_PAGER=", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	var v map[string]any
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return v
}
