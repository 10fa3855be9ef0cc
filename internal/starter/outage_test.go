package starter

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestWatchBadInput: every refusal names its field and happens before Temporal is dialed.
func TestWatchBadInput(t *testing.T) {
	good := filepath.Join("..", "..", "examples", "roadcall-local.json")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"watch"}, "--topology is required"},
		{[]string{"watch", "--topology", good, "--every", "500ms"}, `field "every": 500ms is under 1s`},
		{[]string{"watch", "--topology", good, "--threshold", "0"}, `field "threshold": 0 is under 1`},
		{[]string{"watch", "--topology", good, "--every", "2s", "--cooldown", "1s"}, `field "cooldown": 1s is shorter than every (2s)`},
		{[]string{"watch", "--topology", good, "--every", "2s", "--probe-timeout", "3s"}, `field "probeTimeout"`},
	} {
		e, out, errOut := offline(t)
		code := Main(context.Background(), tc.args, e)
		if code != ExitBadInput || !strings.Contains(out.String()+errOut.String(), tc.want) {
			t.Errorf("starter %s: exit %d (want %d), output lacks %q:\n%s%s", strings.Join(tc.args, " "), code, ExitBadInput, tc.want, out, errOut)
		}
	}
}
