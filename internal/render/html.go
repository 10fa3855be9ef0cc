package render

import (
	"html/template"
	"strings"
	"time"

	"github.com/roadcall/dr/workflows"
)

// The post-incident review as one self-contained HTML page (no script, no fetched asset): what the
// Markdown review says, with the timeline drawn (timeline_svg.go). html/template escapes every value that
// came from the run: step details and AWS messages are data, never markup.

type htmlRow struct {
	Started, Phase, Title, Outcome, Took, Budget string
	Over, Critical                               bool
}

type htmlApproval struct {
	Gate, Decision, Approver, At, Comment string
	Proven, AcceptDataLoss                bool
}

type htmlPage struct {
	Title, Kind, Platform, Outcome, WorkflowID, WorkflowType, RunID, From, To string
	RTO, RTOObjective, RTOVerdict, RPO, RPOObjective, RPOVerdict              string
	RTOMet, RPOMet                                                            bool
	Chart                                                                     template.HTML
	Rows                                                                      []htmlRow
	Checklist                                                                 []workflows.ChecklistItem
	Approvals                                                                 []htmlApproval
	Actions, RootCause, Impact, Lessons, ActionItems, Notes                   []string
}

func (v review) html() (string, error) {
	svg, err := v.timelineSVG()
	if err != nil {
		return "", err
	}
	kind := "Incident"
	if v.drill {
		kind = "Drill"
	}
	p := htmlPage{Title: v.title, Kind: kind, Platform: orText(v.meta.Platform, "the platform"), Outcome: strings.ToUpper(orText(v.outcome, "unknown")),
		WorkflowID: v.meta.WorkflowID, WorkflowType: v.meta.WorkflowType, RunID: orText(v.meta.RunID, "latest"),
		From: stamp(v.started), To: orText(stamp(v.done), "still running"),
		RTO: durOr(v.rto, v.rtoKnown, "not reached"), RTOObjective: v.rtoObjective.String(), RTOVerdict: verdict(v.rtoKnown, v.rtoMet), RTOMet: v.rtoKnown && v.rtoMet,
		RPO: durOr(v.rpo, v.rpoKnown, "unknown"), RPOObjective: v.rpoObjective.String(), RPOVerdict: verdict(v.rpoKnown, v.rpoMet), RPOMet: v.rpoKnown && v.rpoMet,
		Chart: svg, Checklist: v.checklist, Actions: v.changes, RootCause: v.rootCause, Impact: v.impact, Lessons: v.lessons, ActionItems: v.actionItems()}
	crit := v.chart().Rows
	for i, r := range v.rows {
		row := htmlRow{Started: r.Started.UTC().Format("15:04:05.000"), Phase: r.Phase, Title: r.Title, Outcome: r.Outcome,
			Took: r.Took.Round(time.Millisecond).String(), Budget: "—", Over: r.OverBudget, Critical: crit[i].Critical}
		if r.Budget > 0 {
			row.Budget = r.Budget.String()
		}
		p.Rows = append(p.Rows, row)
	}
	for _, ap := range v.approvals {
		p.Approvals = append(p.Approvals, htmlApproval{Gate: ap.Gate, Decision: ap.Decision, Approver: ap.Approver, At: stamp(ap.At),
			Comment: ap.Comment, Proven: ap.Proven, AcceptDataLoss: ap.AcceptDataLoss})
	}
	for _, n := range v.notes {
		if !strings.HasPrefix(n, "AWS: ") && !strings.Contains(n, ": AWS: ") {
			p.Notes = append(p.Notes, n)
		}
	}
	var b strings.Builder
	if err := pageTemplate.Execute(&b, p); err != nil {
		return "", err
	}
	return b.String(), nil
}

var pageTemplate = template.Must(template.New("review").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Post-Incident Review: {{.Title}}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#111827;margin:24px auto;max-width:1020px;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #e5e7eb;padding-bottom:4px}
.meta{color:#4b5563;margin:0 0 16px;padding:0;list-style:none}.meta li{margin:2px 0}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;background:#f3f4f6;padding:1px 4px;border-radius:3px}
table{border-collapse:collapse;width:100%;margin:6px 0}th,td{border:1px solid #e5e7eb;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f9fafb}
.met{color:#047857;font-weight:600}.missed{color:#b91c1c;font-weight:600}.over{color:#b91c1c;font-weight:600}
.outcome{font-weight:700}.legend span{display:inline-block;margin-right:16px}.sw{display:inline-block;width:14px;height:10px;margin-right:4px;vertical-align:middle}
svg.timeline{max-width:100%;height:auto;border:1px solid #e5e7eb;border-radius:4px;background:#fff}
svg .head{font-weight:600;font-size:12px;fill:#374151}svg .label{font-size:12px;fill:#111827}svg .small{font-size:11px;fill:#374151}svg .muted{fill:#9ca3af}
svg .bar{fill:#60a5fa}svg .critical .bar{fill:#1d4ed8}svg .critical .label{font-weight:700}svg .failed .bar{fill:#dc2626}svg .skipped .bar{fill:#9ca3af}
svg .gauge.within{fill:#86efac}svg .gauge.over{fill:#fca5a5}svg .gauge.unknown{fill:#e5e7eb}svg .track{fill:#f3f4f6}
svg .budget,svg .objective{stroke:#111827;stroke-width:1.5;stroke-dasharray:4 3}svg .rto{stroke:#7c3aed;stroke-width:2}svg .rto-label{fill:#7c3aed;font-weight:600}svg .axis{stroke:#9ca3af}
</style></head><body>
<h1>Post-Incident Review: {{.Title}}</h1>
<ul class="meta">
<li><strong>{{.Kind}}</strong> on {{.Platform}}, outcome <span class="outcome">{{.Outcome}}</span></li>
<li>Workflow <code>{{.WorkflowID}}</code> ({{.WorkflowType}}), run <code>{{.RunID}}</code></li>
<li>From {{.From}} to {{.To}}</li>
<li>Generated from the workflow history; replay it with <code>starter replay --workflow-id {{.WorkflowID}}</code></li>
</ul>
<h2>Recovery objectives</h2>
<table id="objectives"><tr><th></th><th>measured</th><th>objective</th><th>result</th></tr>
<tr><td>RTO</td><td id="rto">{{.RTO}}</td><td>{{.RTOObjective}}</td><td class="{{if .RTOMet}}met{{else}}missed{{end}}">{{.RTOVerdict}}</td></tr>
<tr><td>RPO</td><td id="rpo">{{.RPO}}</td><td>{{.RPOObjective}}</td><td class="{{if .RPOMet}}met{{else}}missed{{end}}">{{.RPOVerdict}}</td></tr></table>
<h2>Timeline</h2>
<p class="legend"><span><i class="sw" style="background:#1d4ed8"></i>critical path (★)</span><span><i class="sw" style="background:#60a5fa"></i>other step</span><span><i class="sw" style="background:#fde68a"></i>waiting at a gate</span><span><i class="sw" style="background:repeating-linear-gradient(45deg,#b45309 0 3px,#fff 3px 6px)"></i>paused for an operator</span><span><i class="sw" style="background:#fca5a5"></i>over its runbook budget</span></p>
<figure id="chart" style="margin:0">{{.Chart}}</figure>
<table id="steps"><tr><th>started (UTC)</th><th>phase</th><th>step</th><th>outcome</th><th>took</th><th>runbook budget</th></tr>
{{range .Rows}}<tr><td>{{.Started}}</td><td>{{.Phase}}</td><td>{{if .Critical}}★ {{end}}{{.Title}}</td><td>{{.Outcome}}</td><td>{{.Took}}</td><td{{if .Over}} class="over"{{end}}>{{.Budget}}{{if .Over}} OVER{{end}}</td></tr>
{{else}}<tr><td colspan="6">no step ran</td></tr>{{end}}</table>
<h2>Root cause</h2>
<ul>{{range .RootCause}}<li>{{.}}</li>{{else}}<li><em>To be completed by the incident owner.</em></li>{{end}}</ul>
<h2>Approvals</h2>
<table id="approvals"><tr><th>gate</th><th>decision</th><th>approver</th><th>proven</th><th>at</th><th>comment</th></tr>
{{range .Approvals}}<tr><td><code>{{.Gate}}</code></td><td>{{.Decision}}{{if .AcceptDataLoss}} (accepting data loss){{end}}</td><td>{{.Approver}}</td><td>{{if .Proven}}proven by STS{{else}}not proven{{end}}</td><td>{{.At}}</td><td>{{.Comment}}</td></tr>
{{else}}<tr><td colspan="6">no approvals recorded</td></tr>{{end}}</table>
<h2>AWS actions</h2>
<ol id="actions">{{range .Actions}}<li>{{.}}</li>{{else}}<li>No change was made to AWS.</li>{{end}}</ol>
{{if .Notes}}<h2>Notes</h2><ul>{{range .Notes}}<li>{{.}}</li>{{end}}</ul>{{end}}
<h2>Impact</h2>
<ul>{{range .Impact}}<li>{{.}}</li>{{else}}<li><em>To be quantified by the incident owner.</em></li>{{end}}</ul>
<h2>Recovery Validation Checklist</h2>
<table id="checklist"><tr><th></th><th>section</th><th>item</th><th>evidence</th></tr>
{{range .Checklist}}<tr><td>{{.Status}}</td><td>{{.Section}}</td><td>{{.Item}}</td><td>{{.Evidence}}</td></tr>
{{else}}<tr><td colspan="4">no checklist for this run</td></tr>{{end}}</table>
<h2>Lessons learned</h2>
<ul>{{range .Lessons}}<li>{{.}}</li>{{end}}</ul>
<h2>Action items</h2>
<ul>{{range .ActionItems}}<li>{{.}}</li>{{else}}<li>None from the measurements.</li>{{end}}</ul>
</body></html>
`))
