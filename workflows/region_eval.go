package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/topology"
)

// verifyDetail is the verify step's timeline line.
func verifyDetail(v *VerifyResult, healthStatus, functions, tables int, db activities.DBCheckResult) string {
	dbText := "SELECT 1 skipped (" + db.Reason + ")"
	if v.Database != nil && !db.Skipped {
		dbText = "SELECT 1 ok, not in recovery"
	}
	return fmt.Sprintf("health %d, %d functions, %d/%d tables readable, %s", healthStatus, functions, tablesReadable(v), tables, dbText)
}

// judgeTraffic reads the monitoring window's API metrics in a region against the thresholds.
func judgeTraffic(window time.Duration, count, e5, lat activities.MetricResult, region string, th topology.Thresholds) *MonitorResult {
	m := &MonitorResult{Window: window, Requests: count.Sum, Errors5xx: e5.Sum, LatencyP95: time.Duration(lat.Max * float64(time.Millisecond))}
	if m.Requests > 0 {
		m.ErrorRate = m.Errors5xx / m.Requests
	}
	if m.Requests == 0 {
		m.Problems = append(m.Problems, fmt.Sprintf("no API requests counted in %s: is traffic reaching the DR region?", region))
	}
	if len(lat.Points) == 0 {
		m.Problems = append(m.Problems, "no Latency datapoints in "+region)
	} else if m.LatencyP95 >= th.LatencyP95.D() {
		m.Problems = append(m.Problems, fmt.Sprintf("API latency p95 %s is not under %s", m.LatencyP95.Round(time.Millisecond), th.LatencyP95))
	}
	if m.ErrorRate >= th.Error5xxRate {
		m.Problems = append(m.Problems, fmt.Sprintf("5XX rate %.2f%% is not under %.2f%%", m.ErrorRate*100, th.Error5xxRate*100))
	}
	m.Pass = len(m.Problems) == 0
	return m
}

// verifyItems are the Recovery Validation Checklist items that verifying region answers.
func verifyItems(t topology.Topology, region string, v *VerifyResult) []ChecklistItem {
	if v == nil {
		return nil
	}
	h := "health URL did not answer 2xx"
	if v.Health != nil {
		h = fmt.Sprintf("GET %s → %d in %s", v.Health.URL, v.Health.Status, v.Health.Latency.Round(time.Millisecond))
	}
	out := []ChecklistItem{checkItem("Functional Tests", "API endpoints respond correctly", true, v.Health != nil, h)}
	var users []string
	for _, tb := range t.Tables {
		if strings.Contains(tb.Name, "user") {
			users = append(users, tb.Name)
		}
	}
	allUsers := len(users) > 0
	for _, u := range users {
		allUsers = allUsers && tableReadable(v, u)
	}
	out = append(out, checkItem("Data Integrity", "User accounts are accessible", len(users) > 0, allUsers,
		fmt.Sprintf("Scan --limit 1 in %s on %s", region, strings.Join(users, ", "))))
	dbOK := v.Database != nil && !v.Database.Skipped
	var ev string
	switch {
	case v.Database != nil && v.Database.Skipped:
		ev = v.Database.Reason
	case dbOK:
		ev = "SELECT 1 on " + v.Database.Server + ", pg_is_in_recovery() = false"
	default:
		ev = "SELECT 1 failed"
	}
	return append(out, checkItem("Performance", "Database queries perform normally", v.Database == nil || !v.Database.Skipped, dbOK, ev))
}

// monitorItems are the checklist items that watching region's traffic answers.
func monitorItems(t topology.Topology, region string, m *MonitorResult) []ChecklistItem {
	if m == nil {
		return nil
	}
	return []ChecklistItem{
		checkItem("Performance", fmt.Sprintf("API latency is within SLA (P95 < %s)", t.Thresholds.LatencyP95), true, m.LatencyP95 < t.Thresholds.LatencyP95.D(),
			fmt.Sprintf("p95 %s in %s", m.LatencyP95.Round(time.Millisecond), region)),
		checkItem("Monitoring", "CloudWatch metrics are being collected", true, m.Requests > 0,
			fmt.Sprintf("%.0f API requests counted in %s over %s", m.Requests, region, m.Window)),
	}
}

// stackErrors names each stack whose update failed, or is nil when none did.
func stackErrors(names []string, errs []error) error {
	var msgs []string
	for i, e := range errs {
		if e != nil {
			msgs = append(msgs, names[i]+": "+errMessage(e))
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return errors.New(strings.Join(msgs, "; "))
}

func commonPrefix(names []string) string {
	if len(names) == 0 {
		return ""
	}
	p := names[0]
	for _, n := range names[1:] {
		for !strings.HasPrefix(n, p) {
			p = p[:len(p)-1]
		}
	}
	return p
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndex(s, "\n"); i >= 0 {
		return s[i+1:]
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "no record"
	}
	return s
}
