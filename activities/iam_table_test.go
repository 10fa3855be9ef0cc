package activities

import (
	"fmt"
	"os"
	"sort"
	"sync"
	"testing"

	"github.com/roadcall/dr/internal/awsclient"
	"github.com/roadcall/dr/internal/iam"
)

// seenCalls are the AWS operations the activity tests sent, through every client awsclient built.
var (
	seenMu    sync.Mutex
	seenCalls = map[string]bool{}
)

// TestMain watches every SDK call the tests make and fails the run when one is missing from internal/iam's
// table: the policy starter iam-policy prints would refuse it in production.
func TestMain(m *testing.M) {
	awsclient.Observe = func(service, op string) {
		seenMu.Lock()
		seenCalls[service+" "+op] = true
		seenMu.Unlock()
	}
	code := m.Run()
	if code == 0 {
		if missing := missingFromTable(); len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: the activities call operations internal/iam's Table lacks (the printed IAM policy would deny them):\n")
			for _, c := range missing {
				fmt.Fprintf(os.Stderr, "  %s\n", c)
			}
			code = 1
		}
	}
	os.Exit(code)
}

func missingFromTable() []string {
	seenMu.Lock()
	defer seenMu.Unlock()
	var out []string
	for c := range seenCalls {
		var svc, op string
		fmt.Sscan(c, &svc, &op)
		if _, ok := iam.Lookup(svc, op); !ok {
			out = append(out, c)
		}
	}
	sort.Strings(out)
	return out
}
