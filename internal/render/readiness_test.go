package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/roadcall/dr/workflows"
)

func TestReadinessPutsReasonsUnderTheTable(t *testing.T) {
	rep := workflows.ReadinessReport{Overall: workflows.Fail, Pass: 1, Fail: 1, Alarmed: true, Rows: []workflows.CheckRow{
		{Check: "dynamodb-replica", Resource: "roadcall-users-prod", Status: workflows.Pass, Observed: "ACTIVE", Threshold: "ACTIVE"},
		{Check: "aurora-replication-lag", Resource: "roadcall-aurora-prod-replica", Status: workflows.Fail, Observed: "max 20m0s", Threshold: "< 1s", Reason: "lag exceeds the RPO"},
	}}
	var b bytes.Buffer
	Readiness(&b, "roadcall-prod", "readiness-x", rep)
	s := b.String()
	for _, want := range []string{"DR readiness for roadcall-prod: FAIL  (1 pass, 0 warn, 1 fail)  workflow readiness-x", "FAIL    aurora-replication-lag", "Why:\n  FAIL aurora-replication-lag roadcall-aurora-prod-replica: lag exceeds the RPO", "published to the alarm topic"} {
		if !strings.Contains(s, want) {
			t.Errorf("report lacks %q:\n%s", want, s)
		}
	}
	// Columns line up: every table row starts its CHECK column at the same offset.
	lines := strings.Split(s, "\n")
	col := strings.Index(lines[2], "CHECK")
	for _, l := range lines[3:5] {
		if strings.Index(l, strings.Fields(l)[1]) != col {
			t.Errorf("misaligned row %q (CHECK at %d)", l, col)
		}
	}
	// Without a platform or ID (logs, test messages) the head says only the verdict.
	if got := ReadinessReport(rep); !strings.HasPrefix(got, "DR readiness: FAIL  (1 pass, 0 warn, 1 fail)\n\n") {
		t.Errorf("ReadinessReport head:\n%s", got)
	}
}
