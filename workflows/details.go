package workflows

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// detailsRefusals is how many refused signals current details show; status and the report keep more.
const detailsRefusals = 3

// Details is the markdown of the Temporal UI's current details for the run with this ID, as of now: a
// short head (what, phase, elapsed against the RTO with the time and zone it was computed at), how to
// answer what waits, the latest refusals, then the step table in runbook order. Only Temporal's panel reads
// it; setting it adds no command, so it may change freely without breaking replay.
func Details(id string, s Status, now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** %s: %s", s.Workflow, codeSpan(id), s.Phase)
	if s.CurrentStep != "" && !ended(s.Phase) {
		fmt.Fprintf(&b, ", step %s", codeSpan(s.CurrentStep))
	}
	b.WriteString("\n\n")
	since := now.Sub(s.DetectedAt).Round(time.Second)
	fmt.Fprintf(&b, "Elapsed %s since detection", since)
	if s.RTO > 0 {
		fmt.Fprintf(&b, " of RTO %s (%.0f%%)", s.RTO, s.RTOUsed*100)
	}
	fmt.Fprintf(&b, ", as of %s", clockUTC(now))
	if g := s.PendingGate; g != nil {
		fmt.Fprintf(&b, "; gate %s deadline %s (%s left, %d escalations)", codeSpan(g.Name), clockUTC(g.Deadline), max(0, g.Deadline.Sub(now)).Round(time.Second), g.Escalations)
	}
	b.WriteString("\n")
	if s.LastError != "" && ended(s.Phase) {
		fmt.Fprintf(&b, "\nLast error: %s\n", md(bounded(s.LastError, 400)))
	}
	for _, a := range Answers(id, s) {
		fmt.Fprintf(&b, "\n#### To %s\n\n", fact(a.Title))
		for _, f := range a.Facts {
			fmt.Fprintf(&b, "- %s\n", fact(f))
		}
		lines := make([]string, 0, 2*len(a.Commands))
		for _, c := range a.Commands {
			lines = append(lines, "# "+c.Label, c.Command)
		}
		b.WriteString("\n" + fence("sh", lines))
	}
	if refused, older := RecentRefusals(s, detailsRefusals); len(refused) > 0 {
		fmt.Fprintf(&b, "\n**Refused signals** (latest %d", len(refused))
		if older > 0 {
			fmt.Fprintf(&b, ", %d older in status", older)
		}
		b.WriteString("; they changed nothing):\n\n")
		for _, msg := range refused {
			fmt.Fprintf(&b, "- %s\n", md(msg))
		}
	}
	if len(s.Steps) > 0 {
		b.WriteString("\n| step | outcome | took | detail |\n|---|---|---|---|\n")
		for _, st := range RunbookOrder(s.Steps) {
			took := st.Duration().Round(time.Second).String()
			if st.Ended.IsZero() {
				took = now.Sub(st.Started).Round(time.Second).String() + " so far"
			}
			if st.Budget > 0 {
				took += " of " + st.Budget.String()
			}
			detail := st.Detail
			if st.Error != "" {
				detail = "error: " + st.Error
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", cell(st.Title, 120), st.Outcome, took, cell(detail, 120))
		}
	}
	// What the gate or pause says in full comes last: it can be long (the assessment, one line per check),
	// and the commands and the steps must show in the panel without scrolling.
	for _, a := range Answers(id, s) {
		if len(a.Context) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n**In full, %s:**\n\n", fact(a.ContextTitle))
		for _, l := range a.Context {
			fmt.Fprintf(&b, "- %s\n", md(bounded(l, 400)))
		}
	}
	if len(s.Approvals) > 0 {
		b.WriteString("\n**Decisions:**\n\n")
		for _, ap := range s.Approvals {
			fmt.Fprintf(&b, "- gate %s %sd by %s at %s\n", codeSpan(ap.Gate), ap.Decision, codeSpan(ap.Approver), clockUTC(ap.At))
		}
	}
	if au := s.Authority; au != nil {
		who := codeSpan(au.Initiator)
		if au.Initiator == "" {
			who = "nobody named"
		}
		if !au.InitiatorProven {
			who += " (unproven)"
		}
		fmt.Fprintf(&b, "\nStarted by %s; identity %s; policy %s\n", who, codeSpan(au.Identity), codeSpan(au.Policy))
	}
	return b.String()
}

// fact renders an Answer fact or title: `marked` parts as code spans, the rest as machine-safe text.
func fact(f string) string {
	parts := strings.Split(f, "`")
	for i, p := range parts {
		if i%2 == 1 {
			parts[i] = codeSpan(p)
		} else if strings.TrimSpace(p) != "" {
			lead, trail := p[:len(p)-len(strings.TrimLeft(p, " "))], p[len(strings.TrimRight(p, " ")):]
			parts[i] = lead + md(p) + trail
		}
	}
	return strings.Join(parts, "")
}

// clockUTC is a time of day with its zone: the UI's reader may be anywhere.
func clockUTC(t time.Time) string { return t.UTC().Format("15:04:05") + " UTC" }

func ended(phase string) bool {
	switch phase {
	case PhaseCompleted, PhaseRejected, PhaseAborted, PhaseCancelled, PhaseFailed, PhaseRefused:
		return true
	}
	return false
}

var runbookNumber = regexp.MustCompile(`^(\d+)\.\s`)

// RunbookOrder returns steps with the runbook-numbered ones ("3. Fail Aurora over") in the runbook's
// order and every other row where it was. The timeline records steps as they start, so parallel steps
// read 3, 5, 4 (database and activation start together; DNS waits for the database); people read the
// runbook 3, 4, 5.
func RunbookOrder(steps []StepRecord) []StepRecord {
	out := slices.Clone(steps)
	var slots []int
	var numbered []StepRecord
	for i, st := range out {
		if runbookNumber.MatchString(st.Title) {
			slots = append(slots, i)
			numbered = append(numbered, st)
		}
	}
	slices.SortStableFunc(numbered, func(a, b StepRecord) int { return stepNumber(a.Title) - stepNumber(b.Title) })
	for k, i := range slots {
		out[i] = numbered[k]
	}
	return out
}

func stepNumber(title string) int {
	m := runbookNumber.FindStringSubmatch(title)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}
