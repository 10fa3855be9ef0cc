// Package render turns workflow results and status into text for people: terminal reports, Markdown and
// the post-incident review. It lives outside package workflows because none of it has to be deterministic,
// and the workflow package is checked for determinism as a whole.
package render

import (
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/roadcall/dr/workflows"
)

// Steps prints the timeline as one table: every report and status view uses it, so a step reads the same
// wherever it is shown. A step over its runbook budget is flagged OVER.
func Steps(b *strings.Builder, steps []workflows.StepRecord) { StepsWith(b, steps, Columns{}) }

// Columns are what the status view adds to the step table while a run is going on: each step's name (what
// an operator names to retry, skip or abort it), when it started and how many attempts it has taken.
type Columns struct{ Name, Started, Attempts bool }

// StepsWith is Steps with the extra columns c asks for. A step still running has taken "-" so far.
func StepsWith(b *strings.Builder, steps []workflows.StepRecord, c Columns) {
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	row := func(name, title, outcome, started, took, budget, attempts, detail string) {
		var cells []string
		if c.Name {
			cells = append(cells, name)
		}
		cells = append(cells, title, outcome)
		if c.Started {
			cells = append(cells, started)
		}
		cells = append(cells, took, budget)
		if c.Attempts {
			cells = append(cells, attempts)
		}
		fmt.Fprintln(tw, strings.Join(append(cells, detail), "\t"))
	}
	row("NAME", "STEP", "OUTCOME", "STARTED", "TOOK", "BUDGET", "ATTEMPTS", "DETAIL")
	for _, s := range steps {
		took := "-"
		if !s.Ended.IsZero() {
			took = s.Duration().Round(time.Millisecond).String()
		}
		budget := "-"
		if s.Budget > 0 {
			budget = s.Budget.String()
			if s.Duration() > s.Budget {
				budget += " OVER"
			}
		}
		line := s.Detail
		if s.Error != "" {
			line = s.Error
		}
		if s.Retries > 0 {
			// Retries that rode out a storm are evidence for the review: AWS was unwell here.
			line = strings.TrimSpace(fmt.Sprintf("%s (%d retries of AWS's transient errors)", line, s.Retries))
		}
		row(s.Name, s.Title, s.Outcome, s.Started.Local().Format("15:04:05"), took, budget, strconv.Itoa(s.Attempts), line)
	}
	_ = tw.Flush()
}

// Actions lists the changes a run made in AWS.
func Actions(b *strings.Builder, actions []string) {
	if len(actions) == 0 {
		return
	}
	b.WriteString("\nChanges made in AWS:\n")
	for _, a := range actions {
		fmt.Fprintf(b, "  - %s\n", a)
	}
}

// Notes prints a run's notes, leaving out the "AWS: " ones that Actions already listed.
func Notes(b *strings.Builder, notes []string) {
	for _, n := range notes {
		if !strings.HasPrefix(n, "AWS: ") {
			fmt.Fprintf(b, "note: %s\n", n)
		}
	}
}

// Met says whether an objective was met, loud when it was not.
func Met(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

// Recovery prints RTO and RPO against their objectives; rtoLabel names what the RTO measured.
func Recovery(b *strings.Builder, rtoLabel string, r workflows.Recovery, rpoSource string) {
	rto := "not reached"
	if r.RTO > 0 {
		rto = fmt.Sprintf("%s (objective %s, %s)", r.RTO.Round(time.Second), r.RTOObjective, Met(r.RTOMet))
	}
	rpo := "unknown"
	if r.RPOKnown {
		rpo = fmt.Sprintf("%s %s(objective %s, %s)", r.RPO.Round(time.Millisecond), rpoSource, r.RPOObjective, Met(r.RPOMet))
	}
	fmt.Fprintf(b, "%s %s\nRPO %s\n\n", rtoLabel, rto, rpo)
}

// Checklist prints the Recovery Validation Checklist items software checked.
func Checklist(b *strings.Builder, items []workflows.ChecklistItem) {
	if len(items) == 0 {
		return
	}
	b.WriteString("\nRecovery Validation Checklist (items software can check):\n")
	for _, c := range items {
		fmt.Fprintf(b, "  [%s] %s / %s — %s\n", c.Status, c.Section, c.Item, c.Evidence)
	}
}

// Approvals lists who decided at each gate, and who started the run under which policy: the audit.
func Approvals(b *strings.Builder, s workflows.RunSummary) {
	if au := s.Authority; au != nil {
		who := au.Initiator
		if who == "" {
			who = "nobody named"
		}
		if !au.InitiatorProven {
			who += " (unproven)"
		}
		fmt.Fprintf(b, "\nStarted by %s; identity %s; policy %s\n", who, au.Identity, au.Policy)
	}
	refused(b, s)
	if len(s.Approvals) == 0 {
		return
	}
	b.WriteString("\nApprovals:\n")
	for _, ap := range s.Approvals {
		fmt.Fprintf(b, "- %s\n", ApprovalLine(ap))
	}
}

// refused lists the signals the run refused, with why: a refused approve signal otherwise reads as if it
// had been obeyed.
func refused(b *strings.Builder, s workflows.RunSummary) {
	if len(s.Ignored) == 0 {
		return
	}
	fmt.Fprintf(b, "\nRefused signals (%d, changing nothing", len(s.Ignored)+s.IgnoredDropped)
	if s.IgnoredDropped > 0 {
		fmt.Fprintf(b, "; the oldest %d not kept", s.IgnoredDropped)
	}
	b.WriteString("):\n")
	for _, r := range s.Ignored {
		fmt.Fprintf(b, "- %s\n", r)
	}
}

// ApprovalLine is one decision: gate, decision, who (proven or typed) and when.
func ApprovalLine(ap workflows.Approval) string {
	how := ""
	if ap.Proven {
		how = " (proven by STS)"
	}
	s := fmt.Sprintf("Gate `%s` %sd by %s%s at %s", ap.Gate, ap.Decision, ap.Approver, how, ap.At.UTC().Format(time.RFC3339))
	if ap.Comment != "" {
		s += ": " + ap.Comment
	}
	return s
}
