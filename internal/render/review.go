package render

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/roadcall/dr/workflows"
)

// The runbook's "Post-Incident Review" rendered as Markdown from what a run recorded: its report (the
// result in the history) or, for a run that has none (still running, refused, failed), its status.

// ReviewMeta names the run a review is about.
type ReviewMeta struct {
	WorkflowType string
	WorkflowID   string
	RunID        string
	// Platform is the topology's platform-stage, e.g. roadcall-prod.
	Platform string
}

type review struct {
	meta                    ReviewMeta
	title                   string
	drill                   bool
	outcome                 string
	started, detected, done time.Time
	rows                    []workflows.DrillRow
	rto, rtoObjective       time.Duration
	rtoKnown, rtoMet        bool
	rpo, rpoObjective       time.Duration
	rpoKnown, rpoMet        bool
	rootCause, impact       []string
	changes                 []string
	approvals               []workflows.Approval
	notes                   []string
	checklist               []workflows.ChecklistItem
	lessons                 []string
}

// drillReview reads a DRDrill report.
func drillReview(m ReviewMeta, r workflows.DrillReport) review {
	v := review{meta: m, title: "DR drill: region outage of the primary", drill: true, outcome: r.Outcome,
		started: r.StartedAt, detected: r.InjectedAt, done: r.EndedAt, rows: r.Rows, checklist: r.Checklist, lessons: r.Lessons,
		rto: r.RTO, rtoObjective: r.RTOObjective, rtoKnown: r.RTO > 0, rtoMet: r.RTOMet,
		rpo: r.RPO, rpoObjective: r.RPOObjective, rpoKnown: r.RPOKnown, rpoMet: r.RPOMet, notes: r.Notes, approvals: r.Approvals}
	switch r.Mode {
	case workflows.DrillInject:
		v.rootCause = append(v.rootCause, fmt.Sprintf("Planned exercise: the primary region was taken down in awssim at %s (%s).", stamp(r.InjectedAt), r.ModeReason))
		v.impact = append(v.impact, "No customer impact: the outage was simulated.")
	case workflows.DrillPlanned:
		v.rootCause = append(v.rootCause, fmt.Sprintf("Planned exercise in planned mode at %s: nothing was injected; the Aurora writer moved by switchover (%s).", stamp(r.InjectedAt), orText(r.ModeReason, "requested")))
		v.impact = append(v.impact, "Writes paused while the Aurora writer switched regions (twice) and while DNS moved; no data was lost by design (switchover).")
	default:
		v.rootCause = append(v.rootCause, "Planned exercise; it stopped before the disaster was injected.")
	}
	if r.Readiness != nil {
		v.rootCause = append(v.rootCause, fmt.Sprintf("Readiness before the drill: %s (%d pass, %d warn, %d fail), workflow %s.",
			strings.ToUpper(r.Readiness.Overall), r.Readiness.Pass, r.Readiness.Warn, r.Readiness.Fail, r.Readiness.WorkflowID))
	}
	if fo := r.Failover; fo != nil {
		v.changes = append(v.changes, prefixAll("failover ("+r.FailoverID+"): ", fo.Actions)...)
		v.approvals = append(v.approvals, fo.Approvals...)
		v.notes = append(v.notes, prefixAll("failover: ", fo.Notes)...)
		if !fo.ValidatedAt.IsZero() {
			v.impact = append(v.impact, fmt.Sprintf("Service ran from the DR region %s from %s (validated) until the failback.", fo.DRRegion, stamp(fo.ValidatedAt)))
		}
	}
	if fb := r.Failback; fb != nil {
		v.changes = append(v.changes, prefixAll("failback ("+r.FailbackID+"): ", fb.Actions)...)
		v.approvals = append(v.approvals, fb.Approvals...)
		v.notes = append(v.notes, prefixAll("failback: ", fb.Notes)...)
		if !fb.ValidatedAt.IsZero() {
			v.impact = append(v.impact, fmt.Sprintf("Back in %s at %s (Aurora %s).", fb.PrimaryRegion, stamp(fb.ValidatedAt), fb.AuroraPath))
		}
	}
	return v
}

// failoverReview reads a RegionFailover report (a real incident unless the run was a drill's child).
func failoverReview(m ReviewMeta, r workflows.FailoverReport) review {
	v := review{meta: m, title: fmt.Sprintf("Region outage: failover from %s to %s", r.PrimaryRegion, r.DRRegion), outcome: r.Outcome,
		started: r.StartedAt, detected: r.DetectedAt, done: r.EndedAt, rows: workflows.StepRows("failover", r.Steps), checklist: r.Checklist,
		rto: r.RTO, rtoObjective: r.RTOObjective, rtoKnown: r.RTO > 0, rtoMet: r.RTOMet,
		rpo: r.RPO, rpoObjective: r.RPOObjective, rpoKnown: r.RPOKnown, rpoMet: r.RPOMet,
		changes: r.Actions, approvals: r.Approvals, notes: r.Notes}
	if as := r.Assessment; as != nil {
		v.rootCause = append(v.rootCause, "Primary: "+as.Primary.Summary()+".", "DR: "+as.DR.Summary()+".")
		v.rootCause = append(v.rootCause, as.Findings...)
		if as.RPOKnown {
			v.impact = append(v.impact, fmt.Sprintf("Writes not yet replicated when the primary failed (Aurora lag) are estimated at %s.", as.RPOEstimate.Round(time.Millisecond)))
		}
	}
	v.rootCause = append(v.rootCause, "_Root cause of the regional failure: to be completed by the incident owner._")
	if !r.ValidatedAt.IsZero() {
		v.impact = append(v.impact, fmt.Sprintf("Service was degraded or down from detection at %s until validated in %s at %s.", stamp(r.DetectedAt), r.DRRegion, stamp(r.ValidatedAt)))
	}
	v.lessons = deriveLessons(v)
	return v
}

// failbackReview reads a Failback report.
func failbackReview(m ReviewMeta, r workflows.FailbackReport) review {
	v := review{meta: m, title: fmt.Sprintf("Failback from %s to %s", r.DRRegion, r.PrimaryRegion), outcome: r.Outcome,
		started: r.StartedAt, detected: r.DetectedAt, done: r.EndedAt, rows: workflows.StepRows("failback", r.Steps), checklist: r.Checklist,
		rto: r.RTO, rtoObjective: r.RTOObjective, rtoKnown: r.RTO > 0, rtoMet: r.RTOMet,
		rpo: r.RPO, rpoObjective: r.RPOObjective, rpoKnown: r.RPOKnown, rpoMet: r.RPOMet,
		changes: r.Actions, approvals: r.Approvals, notes: r.Notes}
	v.rootCause = append(v.rootCause, fmt.Sprintf("Planned return to the primary region after a failover (Aurora path: %s).", orText(r.AuroraPath, "not reached")))
	if r.Snapshot != "" {
		v.impact = append(v.impact, "The DR cluster was snapshotted before the rebuild: "+r.Snapshot)
	}
	if !r.ValidatedAt.IsZero() {
		v.impact = append(v.impact, fmt.Sprintf("Traffic moved back to %s; validated at %s.", r.PrimaryRegion, stamp(r.ValidatedAt)))
	}
	v.lessons = deriveLessons(v)
	return v
}

// statusReview reads a run that has no report: running, refused or failed. The timeline is what it did.
func statusReview(m ReviewMeta, s workflows.Status) review {
	v := review{meta: m, title: s.Workflow + " (no report: " + s.Phase + ")", outcome: s.Phase, started: s.StartedAt, detected: s.DetectedAt,
		rows: workflows.StepRows(strings.ToLower(s.Workflow), s.Steps), approvals: s.Approvals, notes: s.Notes, rtoObjective: s.RTO}
	if s.LastError != "" {
		v.rootCause = append(v.rootCause, "Last error: "+s.LastError)
	}
	v.lessons = deriveLessons(v)
	return v
}

func deriveLessons(v review) []string {
	var out []string
	if v.outcome != workflows.PhaseCompleted {
		out = append(out, fmt.Sprintf("The run ended %s.", v.outcome))
	}
	if v.rtoKnown && !v.rtoMet {
		out = append(out, fmt.Sprintf("RTO %s missed the objective of %s.", v.rto.Round(time.Second), v.rtoObjective))
	}
	if v.rpoKnown && !v.rpoMet {
		out = append(out, fmt.Sprintf("RPO %s exceeded the objective of %s.", v.rpo, v.rpoObjective))
	}
	for _, r := range v.rows {
		switch {
		case r.OverBudget:
			out = append(out, fmt.Sprintf("Step %q took %s, over its runbook budget of %s.", r.Title, r.Took.Round(time.Second), r.Budget))
		case r.Attempts > 1:
			out = append(out, fmt.Sprintf("Step %q needed %d attempts (an operator retried it).", r.Title, r.Attempts))
		case r.Outcome == workflows.OutcomeSkipped:
			out = append(out, fmt.Sprintf("Step %q was skipped by an operator.", r.Title))
		}
	}
	for _, c := range v.checklist {
		if c.Status == workflows.Fail {
			out = append(out, fmt.Sprintf("Checklist: %s / %s failed: %s", c.Section, c.Item, c.Evidence))
		}
	}
	if len(out) == 0 {
		out = append(out, "Nothing to improve was measured: every step within budget and the objectives met.")
	}
	return out
}

func (v review) markdown() string {
	var b strings.Builder
	kind := "Incident"
	if v.drill {
		kind = "Drill"
	}
	fmt.Fprintf(&b, "# Post-Incident Review: %s\n\n", v.title)
	fmt.Fprintf(&b, "- **%s** on %s, outcome **%s**\n", kind, orText(v.meta.Platform, "the platform"), strings.ToUpper(orText(v.outcome, "unknown")))
	fmt.Fprintf(&b, "- Workflow `%s` (%s), run `%s`\n", v.meta.WorkflowID, v.meta.WorkflowType, orText(v.meta.RunID, "latest"))
	fmt.Fprintf(&b, "- From %s to %s\n", stamp(v.started), orText(stamp(v.done), "still running"))
	b.WriteString("- Generated from the workflow history; replay it with `starter replay --workflow-id " + v.meta.WorkflowID + "`\n\n")

	b.WriteString("## Recovery objectives\n\n| | measured | objective | result |\n|---|---|---|---|\n")
	fmt.Fprintf(&b, "| RTO | %s | %s | %s |\n", durOr(v.rto, v.rtoKnown, "not reached"), v.rtoObjective, verdict(v.rtoKnown, v.rtoMet))
	fmt.Fprintf(&b, "| RPO | %s | %s | %s |\n\n", durOr(v.rpo, v.rpoKnown, "unknown"), v.rpoObjective, verdict(v.rpoKnown, v.rpoMet))

	b.WriteString("## 1. Timeline\n\n| started (UTC) | phase | step | outcome | took | runbook budget |\n|---|---|---|---|---|---|\n")
	for _, r := range v.rows {
		budget := "—"
		if r.Budget > 0 {
			budget = r.Budget.String()
			if r.OverBudget {
				budget += " **OVER**"
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", r.Started.UTC().Format("15:04:05.000"), r.Phase, mdCell(r.Title), r.Outcome, r.Took.Round(time.Millisecond), budget)
	}
	if len(v.rows) == 0 {
		b.WriteString("| — | — | no step ran | — | — | — |\n")
	}
	b.WriteString("\n## 2. Root Cause\n\n")
	bullets(&b, v.rootCause, "_To be completed by the incident owner._")
	b.WriteString("\n## 3. Response\n\n")
	var resp []string
	for _, ap := range v.approvals {
		resp = append(resp, ApprovalLine(ap))
	}
	for _, c := range v.changes {
		resp = append(resp, "AWS change: "+c)
	}
	for _, n := range v.notes {
		if !strings.HasPrefix(n, "AWS: ") && !strings.Contains(n, ": AWS: ") {
			resp = append(resp, "Note: "+n)
		}
	}
	bullets(&b, resp, "No approvals, changes or notes were recorded.")
	b.WriteString("\n## 4. Impact\n\n")
	bullets(&b, v.impact, "_To be quantified by the incident owner (customers, requests, revenue)._")
	b.WriteString("\n## 5. Lessons Learned\n\n")
	bullets(&b, v.lessons, "")
	if len(v.checklist) > 0 {
		b.WriteString("\nRecovery Validation Checklist:\n\n| | section | item | evidence |\n|---|---|---|---|\n")
		for _, c := range v.checklist {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", checkMark(c.Status), c.Section, mdCell(c.Item), mdCell(c.Evidence))
		}
	}
	b.WriteString("\n## 6. Action Items\n\n")
	bullets(&b, v.actionItems(), "None from the measurements.")
	b.WriteString("\n## 7. Runbook Updates\n\n")
	bullets(&b, v.runbookUpdates(), "None proposed by the measurements.")
	return b.String()
}

// actionItems: one per step over budget, objective missed and checklist failure, as checkboxes to assign.
func (v review) actionItems() []string {
	var out []string
	for _, r := range v.rows {
		if r.OverBudget {
			out = append(out, fmt.Sprintf("[ ] %s step %q: took %s against %s — find what waited (AWS operation, approval, operator) and bring it under budget. Owner: ___",
				r.Phase, r.Title, r.Took.Round(time.Second), r.Budget))
		}
	}
	if v.rtoKnown && !v.rtoMet {
		out = append(out, fmt.Sprintf("[ ] Recover within the RTO of %s (took %s): shorten the critical path. Owner: ___", v.rtoObjective, v.rto.Round(time.Second)))
	}
	if v.rpoKnown && !v.rpoMet {
		out = append(out, fmt.Sprintf("[ ] Keep replication lag under the RPO of %s (measured %s). Owner: ___", v.rpoObjective, v.rpo))
	}
	for _, c := range v.checklist {
		switch c.Status {
		case workflows.Fail:
			out = append(out, fmt.Sprintf("[ ] Fix %s / %s: %s. Owner: ___", c.Section, c.Item, c.Evidence))
		case "not-checked":
			out = append(out, fmt.Sprintf("[ ] Check by hand (software could not): %s / %s. Owner: ___", c.Section, c.Item))
		}
	}
	return out
}

func (v review) runbookUpdates() []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range v.rows {
		if r.OverBudget && !seen[r.Title] {
			seen[r.Title] = true
			out = append(out, fmt.Sprintf("Budget of %q: %s in the runbook, %s measured; update one or the other.", r.Title, r.Budget, r.Took.Round(time.Minute)))
		}
	}
	slices.Sort(out)
	return out
}

func bullets(b *strings.Builder, items []string, empty string) {
	if len(items) == 0 {
		if empty != "" {
			fmt.Fprintf(b, "- %s\n", empty)
		}
		return
	}
	for _, it := range items {
		fmt.Fprintf(b, "- %s\n", it)
	}
}

func prefixAll(p string, ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = p + s
	}
	return out
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

func durOr(d time.Duration, known bool, none string) string {
	if !known {
		return none
	}
	return d.Round(time.Millisecond).String()
}

func verdict(known, met bool) string {
	switch {
	case !known:
		return "—"
	case met:
		return "met"
	}
	return "**MISSED**"
}

func checkMark(status string) string {
	switch status {
	case workflows.Pass:
		return "✅"
	case workflows.Fail:
		return "❌"
	}
	return "☐"
}

// mdCell keeps a table cell on one line and its pipes from splitting the row.
func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

// orText is s, or none when s is empty.
func orText(s, none string) string {
	if s == "" {
		return none
	}
	return s
}
