package workflows

import "slices"

// sortedKeys lists a map's keys in order: ranging over a map is random, and a workflow must do the same
// thing on every replay.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
