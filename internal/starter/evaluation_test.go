package starter

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// Bad evaluation input is refused naming the flag or field, before Temporal is dialed.
func TestEvaluationBadInput(t *testing.T) {
	good := filepath.Join("..", "..", "examples", "roadcall-local.json")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"evaluation"}, "--topology is required"},
		{[]string{"evaluation", "--topology", good, "--principal", "arn:aws:sts::123456789012:assumed-role/ops/alice"}, `"principal"`},
		{[]string{"evaluation", "--topology", good, "--principal", "ops"}, "not an IAM user, group or role ARN"},
		{[]string{"schedule", "evaluation", "--topology", good, "--every", "30s"}, "--every 30s: use at least 1m"},
		{[]string{"schedule", "evaluation", "--topology", good, "--every", "0"}, "--every 0s"},
	} {
		e, out, errOut := offline(t)
		code := Main(context.Background(), tc.args, e)
		if code != ExitBadInput || !strings.Contains(out.String()+errOut.String(), tc.want) {
			t.Errorf("starter %s: exit %d (want %d), output lacks %q:\n%s%s", strings.Join(tc.args, " "), code, ExitBadInput, tc.want, out, errOut)
		}
	}
}
