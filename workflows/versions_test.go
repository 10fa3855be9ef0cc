package workflows

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Every change ID is listed once in changeIDs, and every GetVersion in the workflows goes through
// version() with a typed ID: a raw string would slip past the list and its rule.
func TestChangeIDsAreOneTypedList(t *testing.T) {
	seen := map[changeID]bool{}
	for _, id := range changeIDs {
		require.False(t, seen[id], "change ID %q listed twice", id)
		seen[id] = true
	}
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	used := map[string]bool{}
	call := regexp.MustCompile(`version\((?:\w+\.)?ctx, (\w+)\)`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		src := string(b)
		if f == "versions.go" {
			continue
		}
		require.NotContains(t, src, "workflow.GetVersion(", "%s calls workflow.GetVersion directly; use version(ctx, changeID)", f)
		for _, m := range call.FindAllStringSubmatch(src, -1) {
			used[m[1]] = true
		}
	}
	require.Len(t, used, len(changeIDs), "every listed change ID is used, and only listed ones: %v", used)
}
