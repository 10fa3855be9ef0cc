package activities

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// botocore's service models and waiter definitions are the reference these tests check the activities
// against: the Go SDK is generated from the same Smithy models, and botocore ships them as JSON with the
// Python that the machine image installs.
var botocoreDir = sync.OnceValues(func() (string, error) {
	out, err := exec.Command("python3", "-c", "import botocore,os;print(os.path.dirname(botocore.__file__))").Output()
	if err != nil {
		return "", err
	}
	return filepath.Join(strings.TrimSpace(string(out)), "data"), nil
})

// botocoreJSON decodes data/<service>/<newest version>/<name>(.gz), skipping the test with a clear message
// when botocore is not installed.
func botocoreJSON(t *testing.T, service, name string, v any) {
	t.Helper()
	dir, err := botocoreDir()
	if err != nil {
		t.Skipf("botocore's models are not available (python3 -c 'import botocore' failed: %v); install botocore to check against AWS's service models", err)
	}
	versions, _ := filepath.Glob(filepath.Join(dir, service, "*"))
	sort.Strings(versions)
	for i := len(versions) - 1; i >= 0; i-- {
		for _, p := range []string{filepath.Join(versions[i], name), filepath.Join(versions[i], name+".gz")} {
			b, err := os.ReadFile(p)
			if err != nil {
				continue
			}
			if strings.HasSuffix(p, ".gz") {
				zr, err := gzip.NewReader(bytes.NewReader(b))
				require.NoError(t, err)
				b, err = io.ReadAll(zr)
				require.NoError(t, err)
			}
			require.NoError(t, json.Unmarshal(b, v), p)
			return
		}
	}
	t.Skipf("botocore has no %s for %s under %s", name, service, dir)
}

// botocoreWaiter is one waiter of a waiters-2.json.
type botocoreWaiter struct {
	Operation string `json:"operation"`
	Acceptors []struct {
		Matcher  string `json:"matcher"`
		Argument string `json:"argument"`
		State    string `json:"state"`
		Expected any    `json:"expected"`
	} `json:"acceptors"`
}

func botocoreWaiterOf(t *testing.T, service, waiter string) botocoreWaiter {
	t.Helper()
	var doc struct {
		Waiters map[string]botocoreWaiter `json:"waiters"`
	}
	botocoreJSON(t, service, "waiters-2.json", &doc)
	w, ok := doc.Waiters[waiter]
	require.True(t, ok, "botocore's %s waiters have no %s", service, waiter)
	return w
}
