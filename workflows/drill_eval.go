package workflows

import (
	"fmt"
	"strings"
	"time"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/topology"
)

// The drill's pure decisions: the mode of an auto drill, the checklist's read-backs, and the report
// (recovery, rows against budgets, lessons) from what the steps recorded.

// autoMode picks an auto drill's mode: inject when the AWS endpoint is an awssim, planned anywhere else,
// since only awssim can take a region down and bring it back.
func autoMode(info activities.SimulatorInfo) (mode, reason string) {
	if info.Simulator {
		return DrillInject, "awssim at " + info.Endpoint
	}
	return DrillPlanned, "not an awssim: " + info.Reason
}

// failingChecks says which readiness checks failed, for the note that aborts (or forces on) the drill.
func failingChecks(rows []CheckRow) string {
	var why []string
	for _, row := range rows {
		why = append(why, fmt.Sprintf("%s %s (%s)", row.Check, row.Resource, row.Observed))
	}
	return strings.Join(why, "; ")
}

// readBack is one of the checklist items the drill reads back from AWS after the failover; a read that
// failed fails the item, since nothing then vouches for the failover's word.
func readBack(name string, err error, ok bool, evidence string) ChecklistItem {
	if err != nil {
		return ChecklistItem{Section: "Drill", Item: name, Status: Fail, Evidence: "unreadable: " + errMessage(err)}
	}
	return checkItem("Drill", name, true, ok, evidence)
}

func countChecklist(items []ChecklistItem) (pass, fail int) {
	for _, it := range items {
		switch it.Status {
		case Pass:
			pass++
		case Fail:
			fail++
		}
	}
	return pass, fail
}

// StepRows lists a run's steps as report rows of one phase, each against its runbook budget. The drill's
// report and the post-incident review of any run build their timelines with it.
func StepRows(phase string, steps []StepRecord) []DrillRow {
	rows := make([]DrillRow, 0, len(steps))
	for _, s := range steps {
		rows = append(rows, DrillRow{Phase: phase, Name: s.Name, Title: s.Title, Outcome: s.Outcome, Started: s.Started, Took: s.Duration(),
			Budget: s.Budget, OverBudget: s.Budget > 0 && s.Duration() > s.Budget, Attempts: s.Attempts})
	}
	return rows
}

// drillResult completes the report from what the steps recorded: the recovery the failover achieved, one
// row per drill, failover and failback step, and the lessons.
func drillResult(rep DrillReport, t topology.Topology, steps []StepRecord, phase string) DrillReport {
	rto, rpo, rpoKnown := drillRecovery(rep, t)
	rep.Recovery = measure(t.Objectives, rto, rpo, rpoKnown, rep.Checklist)
	rep.Rows = StepRows("drill", steps)
	if rep.Failover != nil {
		rep.Rows = append(rep.Rows, StepRows("failover", rep.Failover.Steps)...)
	}
	if rep.Failback != nil {
		rep.Rows = append(rep.Rows, StepRows("failback", rep.Failback.Steps)...)
	}
	for _, row := range rep.Rows {
		if row.OverBudget {
			rep.OverBudget++
		}
	}
	rep.Lessons = drillLessons(phase, rep)
	return rep
}

// drillRecovery is the failover's RTO and RPO, when it completed. A planned drill on a global database
// moved the writer by switchover, which waits for every secondary to catch up: nothing written is lost.
func drillRecovery(rep DrillReport, t topology.Topology) (rto, rpo time.Duration, rpoKnown bool) {
	fo := rep.Failover
	if fo == nil || fo.Outcome != PhaseCompleted {
		return 0, 0, false
	}
	if rep.Mode == DrillPlanned && t.Aurora.FailoverMode == topology.FailoverGlobal {
		return fo.RTO, 0, true
	}
	return fo.RTO, fo.RPO, fo.RPOKnown
}

// drillLessons turns what the drill measured into the review's "Lessons Learned" list.
func drillLessons(phase string, rep DrillReport) []string {
	var out []string
	if phase != PhaseCompleted {
		out = append(out, fmt.Sprintf("The drill ended %s: see the notes for where it stopped and what was left to restore.", phase))
	}
	if rs := rep.Readiness; rs != nil {
		for _, row := range rs.Failing {
			out = append(out, fmt.Sprintf("Readiness: %s %s failed (%s): %s", row.Check, row.Resource, row.Observed, row.Reason))
		}
		if rs.Warn > 0 {
			out = append(out, fmt.Sprintf("Readiness: %d warning(s) to look at before a real outage.", rs.Warn))
		}
	}
	if rep.Failover != nil {
		switch {
		case rep.RTO > 0 && !rep.RTOMet:
			out = append(out, fmt.Sprintf("RTO %s missed the objective of %s.", rep.RTO.Round(time.Second), rep.RTOObjective))
		case rep.RTO > 0:
			out = append(out, fmt.Sprintf("RTO %s met the objective of %s (%.0f%% of it).", rep.RTO.Round(time.Millisecond), rep.RTOObjective, 100*float64(rep.RTO)/float64(rep.RTOObjective)))
		}
		if rep.RPOKnown && !rep.RPOMet {
			out = append(out, fmt.Sprintf("RPO %s exceeded the objective of %s.", rep.RPO, rep.RPOObjective))
		} else if !rep.RPOKnown {
			out = append(out, "RPO could not be measured (no replication lag datapoints): check the lag metric and alarm.")
		}
		if as := rep.Failover.Assessment; as != nil {
			for _, f := range as.Findings {
				out = append(out, "Assessment: "+f)
			}
		}
	}
	for _, row := range rep.Rows {
		if row.OverBudget {
			out = append(out, fmt.Sprintf("%s step %q took %s, over its runbook budget of %s.", row.Phase, row.Title, row.Took.Round(time.Second), row.Budget))
		}
		if row.Attempts > 1 {
			out = append(out, fmt.Sprintf("%s step %q needed %d attempts (an operator retried it).", row.Phase, row.Title, row.Attempts))
		}
		if row.Outcome == OutcomeSkipped {
			out = append(out, fmt.Sprintf("%s step %q was skipped by an operator.", row.Phase, row.Title))
		}
	}
	nc := 0
	for _, c := range rep.Checklist {
		switch c.Status {
		case Fail:
			out = append(out, fmt.Sprintf("Checklist: %s / %s failed: %s", c.Section, c.Item, c.Evidence))
		case "not-checked":
			nc++
		}
	}
	if nc > 0 {
		out = append(out, fmt.Sprintf("%d checklist item(s) need a person: software could not check them.", nc))
	}
	if len(out) == 0 {
		out = append(out, "Nothing to improve was measured: every step within budget, RTO and RPO met.")
	}
	return out
}
