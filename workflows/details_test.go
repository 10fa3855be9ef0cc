package workflows

import (
	"bytes"
	"html"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// The Temporal UI renders current details as markdown. goldmark (CommonMark + GFM tables, with its
// typographer on, which does what SmartyPants does to dashes, ellipses and quotes) stands in for it: what
// goldmark leaves as written, a CommonMark renderer with typography shows as written.

var detailsAt = time.Date(2026, 12, 2, 3, 4, 5, 0, time.UTC)

// machine text a renderer would mangle: a fraction, a CLI flag, quotes, a URL followed by `":`, an ellipsis.
const (
	mangleDetail = "8/8 checkers healthy; Scan --limit 1 on roadcall-users-prod..."
	mangleURL    = "https://status.example.com/health?region=us-west-2"
	mangleError  = `Get "` + mangleURL + `": connection refused -- retry later`
)

func detailsSteps(now time.Time) []StepRecord {
	at := now.Add(-10 * time.Minute)
	return []StepRecord{
		{Name: "assess", Title: "1. Assess the situation", Outcome: OutcomeOK, Started: at, Ended: at.Add(time.Minute), Budget: 5 * time.Minute, Detail: mangleDetail},
		{Name: "notify", Title: "2. Activate the incident response team", Outcome: OutcomeOK, Started: at.Add(time.Minute), Ended: at.Add(2 * time.Minute)},
		{Name: "database", Title: "3. Fail Aurora over to us-west-2", Outcome: OutcomeOK, Started: at.Add(3 * time.Minute), Ended: at.Add(5 * time.Minute)},
		{Name: "activate", Title: "5. Activate services in us-west-2", Outcome: OutcomeOK, Started: at.Add(3 * time.Minute), Ended: at.Add(4 * time.Minute)},
		{Name: "dns", Title: "4. Cut DNS over to us-west-2", Critical: true, Outcome: OutcomeRunning, Started: at.Add(5 * time.Minute), Error: mangleError},
	}
}

func detailsStatus(phase string) Status {
	s := Status{Workflow: WorkflowRegionFailover, Phase: phase, StartedAt: detailsAt.Add(-12 * time.Minute), DetectedAt: detailsAt.Add(-15 * time.Minute),
		RTO: 30 * time.Minute, RTOUsed: 0.5, Steps: detailsSteps(detailsAt),
		Authority: &Authority{Policy: "examples/policy-local.json", Identity: "sts", Initiator: "arn:aws:iam::000000000000:user/carol", InitiatorProven: true},
		Ignored:   []string{"old refusal", `approve signal ignored: token: missing; an approval counts only from a proven identity: run starter approve --print-token`, `operator signal ignored: step: "dns" is not paused in awaiting-operator`, "approve signal ignored: see " + mangleURL + "."},
	}
	switch phase {
	case PhaseAwaitingApproval:
		s.Steps = s.Steps[:2]
		s.CurrentStep = "notify"
		s.PendingGate = &GateStatus{Name: GateFailover, Summary: "Fail roadcall-prod over.\nDynamoDB: 2/2 replicas ACTIVE\nRoute 53: 8/8 checkers healthy\nThe RPO estimate exceeds the objective: approve with acceptDataLoss=true.", Requested: detailsAt.Add(-2 * time.Minute),
			Deadline: detailsAt.Add(28 * time.Minute), RequireDataLossAck: true, Escalations: 2, Required: 2, Approved: 1,
			Approvers: []string{"arn:aws:iam::000000000000:user/alice", "arn:aws:sts::000000000000:assumed-role/DR-Approver/*"}, TwoPerson: true}
	case PhaseAwaitingOperator:
		s.CurrentStep = "dns"
		s.PausedSteps = []string{"dns"}
		s.Steps[4].Outcome = OutcomeFailed
	case PhaseCompleted:
		s.Steps[4].Outcome, s.Steps[4].Ended, s.Steps[4].Error = OutcomeOK, detailsAt.Add(-time.Minute), ""
		s.Approvals = []Approval{{Gate: GateFailover, Decision: "approve", Approver: "arn:aws:iam::000000000000:user/alice", At: detailsAt.Add(-8 * time.Minute), Proven: true}}
	case PhaseAborted:
		s.Steps[4].Outcome, s.Steps[4].Ended = OutcomeAborted, detailsAt.Add(-time.Minute)
		s.LastError = mangleError
	}
	return s
}

func renderMD(t *testing.T, src string) string {
	t.Helper()
	var out bytes.Buffer
	md := goldmark.New(goldmark.WithExtensions(extension.GFM, extension.Typographer))
	if err := md.Convert([]byte(src), &out); err != nil {
		t.Fatalf("goldmark: %v", err)
	}
	return out.String()
}

var (
	tagRE  = regexp.MustCompile(`<[^>]+>`)
	hrefRE = regexp.MustCompile(`<a href="([^"]*)"`)
	liRE   = regexp.MustCompile(`(?s)<li>(.*?)</li>`)
	trRE   = regexp.MustCompile(`(?s)<tr>(.*?)</tr>`)
)

// substituted names the typographic substitutions found in rendered HTML.
func substituted(h string) []string {
	var found []string
	for _, s := range []string{"&ndash;", "&mdash;", "&hellip;", "&ldquo;", "&rdquo;", "&lsquo;", "&rsquo;", "&frac", "–", "—", "…", "“", "”", "’", "⁄", "½"} {
		if strings.Contains(h, s) {
			found = append(found, s)
		}
	}
	return found
}

func text(h string) string { return html.UnescapeString(tagRE.ReplaceAllString(h, "")) }

// The checker must be able to fail: the same text written plainly is mangled.
func TestDetailsCheckerSeesSubstitutions(t *testing.T) {
	h := renderMD(t, "Scan --limit 1... \"quoted\" and "+mangleURL+`":`)
	if len(substituted(h)) == 0 {
		t.Fatalf("goldmark's typographer substituted nothing in plain text: the check below proves nothing\n%s", h)
	}
}

func TestDetailsMarkdownEachPhase(t *testing.T) {
	const id = "failover-roadcall-prod"
	for _, phase := range []string{PhaseAwaitingApproval, PhaseAwaitingOperator, PhaseCompleted, PhaseAborted} {
		t.Run(phase, func(t *testing.T) {
			s := detailsStatus(phase)
			src := Details(id, s, detailsAt)
			h := renderMD(t, src)
			if sub := substituted(h); len(sub) > 0 {
				t.Errorf("typography rewrote the details (%v):\n%s\n---\n%s", sub, src, h)
			}
			txt := text(h)
			if !strings.Contains(txt, "as of 03:04:05 UTC") {
				t.Errorf("no time with its zone in the head:\n%s", src)
			}
			// Links go exactly to the URL, not swallowing the `":` or `.` after it.
			for _, m := range hrefRE.FindAllStringSubmatch(h, -1) {
				if got := html.UnescapeString(m[1]); got != mangleURL {
					t.Errorf("link target %q, want %q", got, mangleURL)
				}
			}
			if n := len(hrefRE.FindAllString(h, -1)); n == 0 {
				t.Errorf("the refusal's URL is no link:\n%s", src)
			}
			// Refusals: the latest three, one list item each, verbatim.
			for _, want := range s.Ignored[1:] {
				if !strings.Contains(txt, want) {
					t.Errorf("refusal %q not shown verbatim:\n%s", want, txt)
				}
			}
			if strings.Contains(txt, "old refusal") {
				t.Errorf("more than %d refusals shown", detailsRefusals)
			}
			// The full step table, in runbook order, one row per step.
			rows := trRE.FindAllStringSubmatch(h, -1)
			if len(rows) != len(s.Steps)+1 {
				t.Fatalf("table has %d rows, want %d steps and a header:\n%s", len(rows), len(s.Steps)+1, h)
			}
			for i, row := range rows[1:] {
				if n := stepNumber(strings.TrimSpace(text(row[1]))); n != i+1 {
					t.Errorf("row %d is step %d (%s): not in runbook order", i+1, n, text(row[1]))
				}
			}
			if phase != PhaseAwaitingApproval {
				if !strings.Contains(txt, mangleError) && phase != PhaseCompleted {
					t.Errorf("the error is not shown verbatim:\n%s", txt)
				}
			} else if !strings.Contains(txt, mangleDetail) {
				t.Errorf("the step detail is not shown verbatim:\n%s", txt)
			}
			checkAnswer(t, id, s, src, h)
		})
	}
}

func checkAnswer(t *testing.T, id string, s Status, src, h string) {
	t.Helper()
	txt := text(h)
	answers := Answers(id, s)
	if len(answers) == 0 {
		if strings.Contains(h, "<h4>") || strings.Contains(txt, "starter operator") || strings.Contains(txt, "--gate") {
			t.Errorf("%s: a how-to-answer block for a run that waits for nobody:\n%s", s.Phase, src)
		}
		return
	}
	items := liRE.FindAllStringSubmatch(h, -1)
	for _, a := range answers {
		for _, l := range a.Context {
			found := false
			for _, it := range items {
				found = found || text(it[1]) == l
			}
			if !found {
				t.Errorf("context line %q is not one list item of its own:\n%s", l, h)
			}
		}
		for _, f := range a.Facts {
			found := false
			for _, it := range items {
				found = found || text(it[1]) == Plain(f)
			}
			if !found {
				t.Errorf("fact %q is not one list item of its own:\n%s", Plain(f), h)
			}
		}
		for _, c := range a.Commands {
			if !strings.Contains(txt, c.Command+"\n") {
				t.Errorf("command %q is not a line of its own:\n%s", c.Command, txt)
			}
		}
	}
	switch s.Phase {
	case PhaseAwaitingApproval:
		for _, want := range []string{
			"starter approve --workflow-id " + id + " --gate failover --accept-data-loss\n",
			`temporal workflow update execute --workflow-id ` + id + ` --name approve --input "$(starter approve --workflow-id ` + id + ` --gate failover --accept-data-loss --print-token)"`,
			`temporal workflow signal --workflow-id ` + id + ` --name approve --input "$(starter approve`,
			"arn:aws:sts::000000000000:assumed-role/DR-Approver/*", "must accept it", "1 of 2 distinct approvers",
			"arn:aws:iam::000000000000:user/carol started the run and may not approve",
		} {
			if !strings.Contains(txt, want) {
				t.Errorf("gate answer lacks %q:\n%s", want, txt)
			}
		}
	case PhaseAwaitingOperator:
		for _, want := range []string{
			"starter operator --workflow-id " + id + " --step dns --action retry|abort --operator NAME\n",
			`temporal workflow update execute --workflow-id ` + id + ` --name operator --input '{"action":"retry","step":"dns","operator":"NAME"}'`,
			`temporal workflow signal --workflow-id ` + id + ` --name operator --input '{"action":"retry","step":"dns","operator":"NAME"}'`,
			"never skip",
		} {
			if !strings.Contains(txt, want) {
				t.Errorf("operator answer lacks %q:\n%s", want, txt)
			}
		}
	}
}

func TestDetailsNamesModeGivesLiteralPayload(t *testing.T) {
	s := detailsStatus(PhaseAwaitingApproval)
	s.Authority.Identity = "names"
	s.PendingGate.RequireDataLossAck = false
	txt := text(renderMD(t, Details("x", s, detailsAt)))
	want := `temporal workflow update execute --workflow-id x --name approve --input '{"gate":"failover","decision":"approve","approver":"NAME"}'`
	if !strings.Contains(txt, want) {
		t.Errorf("no literal payload for a names-mode run; want %q in\n%s", want, txt)
	}
	if !strings.Contains(txt, "not to be accepted") {
		t.Errorf("does not say data loss need not be accepted:\n%s", txt)
	}
}

func TestRunbookOrder(t *testing.T) {
	got := RunbookOrder([]StepRecord{{Title: "policy"}, {Title: "3. a"}, {Title: "5. c"}, {Title: "4. b"}, {Title: "Communicate"}, {Title: "4. d"}})
	var titles []string
	for _, s := range got {
		titles = append(titles, s.Title)
	}
	if want := "policy,3. a,4. b,4. d,Communicate,5. c"; strings.Join(titles, ",") != want {
		t.Errorf("order %q, want %q", strings.Join(titles, ","), want)
	}
}
