package render

import (
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/roadcall/dr/workflows"
)

// The review's timeline chart as inline SVG: one row per step, a bar at its place in time (left) and the
// same step against its runbook budget (right); the critical path marked, gate waits and operator pauses
// shaded; RTO and RPO against their objectives at the foot.

const (
	svgWidth   = 980
	svgLabelW  = 250 // step titles
	svgTimeX   = 260 // time axis from here...
	svgTimeW   = 450 // ...this wide
	svgBudgetX = 740 // budget gauges from here...
	svgBudgetW = 220 // ...this wide, 100% of the budget at svgBudgetW/1.5
	svgRowH    = 22
	svgTop     = 40
)

// chartRow is one step row of the chart.
type chartRow struct {
	Y, BarX, BarW          float64
	Label, Tip, Class      string
	Critical, Paused       bool
	HasBudget              bool
	GaugeW, BudgetX        float64
	GaugeClass, GaugeLabel string
}

// chartBand is a shaded stretch of time: a gate waiting for its decision.
type chartBand struct {
	X, W  float64
	Label string
}

type chartTick struct {
	X     float64
	Label string
}

// gauge is a measured value against its objective.
type gauge struct {
	Y                    float64
	Name, Label, Class   string
	W, ObjectiveX, Scale float64
}

type chart struct {
	Width, Height float64
	Rows          []chartRow
	Bands         []chartBand
	Ticks         []chartTick
	Gauges        []gauge
	// RTOLine is the x of the moment the RTO was reached (0: not on the chart).
	RTOLine, ObjectiveLine float64
	AxisY, GaugeTop        float64
	TimeX, TimeEnd         float64
	BudgetX, Budget100     float64
	LabelW                 float64
}

// rowEnd is when a row's step ended.
func rowEnd(r workflows.DrillRow) time.Time { return r.Started.Add(r.Took) }

// criticalPath marks the chain of steps the recovery waited on: walking back from the end (when the RTO
// was reached, else the last step's end), each time the step that ended last before the point, then from
// its start. A step that ran in parallel with a longer one is not on it.
func criticalPath(rows []workflows.DrillRow, from time.Time, end time.Time) map[int]bool {
	on := map[int]bool{}
	cursor := end
	const slack = time.Millisecond // steps that follow one another end and start within a tick
	for {
		best := -1
		for i, r := range rows {
			if on[i] || !r.Started.Before(cursor) || rowEnd(r).After(cursor.Add(slack)) || r.Started.Before(from.Add(-slack)) {
				continue
			}
			if best < 0 || rowEnd(r).After(rowEnd(rows[best])) {
				best = i
			}
		}
		if best < 0 {
			return on
		}
		on[best] = true
		cursor = rows[best].Started
	}
}

// gateWaits are the stretches spent waiting at gates: from the end of the last step before the decision
// to the decision (the report records when a gate was answered; it was asked when the step before ended).
func gateWaits(rows []workflows.DrillRow, aps []workflows.Approval) []struct {
	from, to time.Time
	label    string
} {
	var out []struct {
		from, to time.Time
		label    string
	}
	for _, ap := range aps {
		if ap.At.IsZero() {
			continue
		}
		var from time.Time
		for _, r := range rows {
			if e := rowEnd(r); !e.After(ap.At) && e.After(from) {
				from = e
			}
		}
		if from.IsZero() || !ap.At.After(from) {
			continue
		}
		out = append(out, struct {
			from, to time.Time
			label    string
		}{from, ap.At, fmt.Sprintf("gate %s: %s by %s after %s", ap.Gate, ap.Decision, ap.Approver, ap.At.Sub(from).Round(time.Millisecond))})
	}
	return out
}

func (v review) chart() chart {
	rows := v.rows
	t0, t1 := v.started, v.done
	for _, r := range rows {
		if t0.IsZero() || r.Started.Before(t0) {
			t0 = r.Started
		}
		if e := rowEnd(r); e.After(t1) {
			t1 = e
		}
	}
	if !t1.After(t0) {
		t1 = t0.Add(time.Second)
	}
	span := t1.Sub(t0)
	x := func(t time.Time) float64 {
		return svgTimeX + svgTimeW*float64(t.Sub(t0))/float64(span)
	}
	c := chart{Width: svgWidth, TimeX: svgTimeX, TimeEnd: svgTimeX + svgTimeW, BudgetX: svgBudgetX, Budget100: svgBudgetX + svgBudgetW/1.5, LabelW: svgLabelW}
	end := t1
	if v.rtoKnown && !v.detected.IsZero() {
		end = v.detected.Add(v.rto)
		c.RTOLine = x(end)
		if obj := v.detected.Add(v.rtoObjective); v.rtoObjective > 0 && !obj.After(t1) {
			c.ObjectiveLine = x(obj)
		}
	}
	from := v.detected
	if from.IsZero() {
		from = t0
	}
	crit := criticalPath(rows, from, end)
	for i, r := range rows {
		y := float64(svgTop + i*svgRowH)
		cr := chartRow{Y: y, BarX: x(r.Started), BarW: max(2, x(rowEnd(r))-x(r.Started)), Critical: crit[i], Paused: r.Attempts > 1,
			Label: fmt.Sprintf("%s · %s", r.Phase, r.Title), Class: "ok"}
		switch r.Outcome {
		case workflows.OutcomeOK:
		case workflows.OutcomeSkipped:
			cr.Class = "skipped"
		default:
			cr.Class = "failed"
		}
		cr.Tip = fmt.Sprintf("%s: %s, %s, started %s", r.Title, r.Outcome, r.Took.Round(time.Millisecond), r.Started.UTC().Format("15:04:05.000 UTC"))
		if cr.Paused {
			cr.Tip += fmt.Sprintf("; paused for an operator, %d attempts", r.Attempts)
		}
		if r.Budget > 0 {
			frac := float64(r.Took) / float64(r.Budget)
			cr.HasBudget, cr.BudgetX = true, c.Budget100
			cr.GaugeW = max(1, min(frac, 1.5)*svgBudgetW/1.5)
			cr.GaugeClass = "within"
			if r.OverBudget {
				cr.GaugeClass = "over"
			}
			cr.GaugeLabel = fmt.Sprintf("%.0f%% of %s", frac*100, r.Budget)
		}
		c.Rows = append(c.Rows, cr)
	}
	for _, g := range gateWaits(rows, v.approvals) {
		c.Bands = append(c.Bands, chartBand{X: x(g.from), W: max(2, x(g.to)-x(g.from)), Label: g.label})
	}
	for i := 0; i <= 4; i++ {
		at := t0.Add(span * time.Duration(i) / 4)
		c.Ticks = append(c.Ticks, chartTick{X: x(at), Label: "+" + at.Sub(t0).Round(time.Millisecond).String()})
	}
	c.AxisY = float64(svgTop + len(rows)*svgRowH + 4)
	c.GaugeTop = c.AxisY + 40
	c.Gauges = []gauge{
		objectiveGauge(c.GaugeTop, "RTO", v.rto, v.rtoObjective, v.rtoKnown, v.rtoMet),
		objectiveGauge(c.GaugeTop+28, "RPO", v.rpo, v.rpoObjective, v.rpoKnown, v.rpoMet),
	}
	c.Height = c.GaugeTop + 28*2 + 10
	return c
}

// objectiveGauge draws measured against objective on one scale: the objective at two thirds of the width,
// a measured value over 1.5 times the objective runs to the end.
func objectiveGauge(y float64, name string, measured, objective time.Duration, known, met bool) gauge {
	g := gauge{Y: y, Name: name, Scale: svgTimeW + svgBudgetW}
	g.ObjectiveX = svgTimeX + g.Scale/1.5
	g.Label = fmt.Sprintf("%s %s against the objective %s: %s", name, durOr(measured, known, "not measured"), objective, verdict(known, met))
	g.Class = "within"
	switch {
	case !known:
		g.Class = "unknown"
	case !met:
		g.Class = "over"
	}
	if known && objective > 0 {
		g.W = max(1, min(float64(measured)/float64(objective), 1.5)*g.Scale/1.5)
	}
	return g
}

// timelineSVG is the chart's markup.
func (v review) timelineSVG() (template.HTML, error) {
	var b strings.Builder
	if err := svgTemplate.Execute(&b, v.chart()); err != nil {
		return "", err
	}
	return template.HTML(b.String()), nil //nolint:gosec // produced by html/template, escaped there
}

var svgTemplate = template.Must(template.New("svg").Parse(`<svg xmlns="http://www.w3.org/2000/svg" class="timeline" role="img" aria-label="Timeline of the steps against their runbook budgets" width="{{.Width}}" height="{{.Height}}" viewBox="0 0 {{.Width}} {{.Height}}">
<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="3" height="6" fill="#b45309" fill-opacity="0.55"/></pattern></defs>
<text x="4" y="16" class="head">step (★ critical path)</text><text x="{{.TimeX}}" y="16" class="head">when, from the start of the run</text><text x="{{.BudgetX}}" y="16" class="head">took, against the runbook budget</text>
{{range .Bands}}<g class="gate"><rect x="{{.X}}" y="24" width="{{.W}}" height="{{$.AxisY}}" fill="#fde68a" fill-opacity="0.7"><title>{{.Label}}</title></rect><text x="{{.X}}" y="{{$.AxisY}}" dy="26" class="small gate-label">{{.Label}}</text></g>
{{end}}{{range .Rows}}<g class="row {{.Class}}{{if .Critical}} critical{{end}}" transform="translate(0,{{.Y}})">
<text x="4" y="15" class="label">{{if .Critical}}★ {{end}}{{.Label}}</text>
<rect class="bar" x="{{.BarX}}" y="3" width="{{.BarW}}" height="16" rx="2"><title>{{.Tip}}</title></rect>{{if .Paused}}<rect x="{{.BarX}}" y="3" width="{{.BarW}}" height="16" fill="url(#hatch)"><title>paused for an operator</title></rect>{{end}}
{{if .HasBudget}}<rect class="gauge {{.GaugeClass}}" x="{{$.BudgetX}}" y="3" width="{{.GaugeW}}" height="16" rx="2"/><text x="{{$.BudgetX}}" dx="4" y="15" class="small">{{.GaugeLabel}}</text>{{else}}<text x="{{$.BudgetX}}" dx="4" y="15" class="small muted">no runbook budget</text>{{end}}
</g>
{{end}}<line x1="{{.Budget100}}" x2="{{.Budget100}}" y1="24" y2="{{.AxisY}}" class="budget"><title>100% of the runbook budget</title></line>
<line x1="{{.TimeX}}" x2="{{.TimeEnd}}" y1="{{.AxisY}}" y2="{{.AxisY}}" class="axis"/>
<g transform="translate(0,{{.AxisY}})">{{range .Ticks}}<text x="{{.X}}" y="14" class="small" text-anchor="middle">{{.Label}}</text>{{end}}</g>
{{if .RTOLine}}<line x1="{{.RTOLine}}" x2="{{.RTOLine}}" y1="24" y2="{{.AxisY}}" class="rto"><title>RTO reached</title></line><text x="{{.RTOLine}}" dx="3" y="30" class="small rto-label">RTO reached</text>{{end}}
{{if .ObjectiveLine}}<line x1="{{.ObjectiveLine}}" x2="{{.ObjectiveLine}}" y1="24" y2="{{.AxisY}}" class="objective"><title>RTO objective</title></line>{{end}}
{{range .Gauges}}<g class="objective-gauge" transform="translate(0,{{.Y}})"><text x="4" y="14" class="label">{{.Name}}</text><rect x="{{$.TimeX}}" y="0" width="{{.Scale}}" height="18" class="track"/>{{if .W}}<rect x="{{$.TimeX}}" y="0" width="{{.W}}" height="18" class="gauge {{.Class}}"/>{{end}}<line x1="{{.ObjectiveX}}" x2="{{.ObjectiveX}}" y1="-2" y2="20" class="objective"><title>objective</title></line><text x="{{$.TimeX}}" dx="6" y="13" class="small">{{.Label}}</text></g>
{{end}}</svg>`))
