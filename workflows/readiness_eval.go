package workflows

import (
	"fmt"
	"strings"
	"time"

	"github.com/roadcall/dr/activities"
)

// How ReadinessCheck grades what it read: thresholds, stack states, the overall verdict and the alarm.
// Failback's pre-check grades the primary's stacks by the same rule.

// grade compares an observed duration with a warning threshold and the RPO.
func grade(observed, warn, rpo time.Duration) string {
	switch {
	case observed >= rpo:
		return Fail
	case observed >= warn:
		return Warn
	}
	return Pass
}

// stackUsable is whether a CloudFormation stack status is one a failover or a failback can build on: a
// completed create or update, not a rollback and not a deletion.
func stackUsable(status string) bool {
	return strings.HasSuffix(status, "_COMPLETE") && !strings.Contains(status, "ROLLBACK") && !strings.Contains(status, "DELETE")
}

// stackRow grades a stack by stackUsable; missing and unusable say why in the check's own words.
func stackRow(check, resource string, st activities.StackInfo, missing, unusable string) CheckRow {
	switch {
	case !st.Exists:
		return CheckRow{check, resource, Fail, "missing", "*_COMPLETE", missing}
	case !stackUsable(st.Status):
		return CheckRow{check, resource, Fail, st.Status, "*_COMPLETE", unusable}
	}
	return CheckRow{Check: check, Resource: resource, Status: Pass, Observed: st.Status, Threshold: "*_COMPLETE"}
}

// countStatus counts the rows with status.
func countStatus(rows []CheckRow, status string) int {
	n := 0
	for _, row := range rows {
		if row.Status == status {
			n++
		}
	}
	return n
}

// tally counts the rows by status, any status that is neither pass nor warn counting as a failure, and
// grades the whole: fail when one row fails, else warn when one warns.
func tally(rows []CheckRow) (pass, warn, fail int, overall string) {
	for _, row := range rows {
		switch row.Status {
		case Pass:
			pass++
		case Warn:
			warn++
		default:
			fail++
		}
	}
	overall = Pass
	if warn > 0 {
		overall = Warn
	}
	if fail > 0 {
		overall = Fail
	}
	return pass, warn, fail, overall
}

// alarmText is the alarm's message: one line per failing row with what to look at.
func alarmText(failing []CheckRow) string {
	var b strings.Builder
	for _, row := range failing {
		fmt.Fprintf(&b, "- %s %s: observed %s, threshold %s. %s\n", row.Check, row.Resource, row.Observed, row.Threshold, row.Reason)
	}
	return b.String()
}
