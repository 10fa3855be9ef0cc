package workflows

import (
	"time"

	"github.com/roadcall/dr/internal/topology"
)

// Recovery is what a recovery achieved against the platform's objectives. Every report that restores
// service embeds it, so RTO and RPO read the same in a failover, a failback and a drill.
type Recovery struct {
	// RTO runs from detection to the moment service was validated; zero when it was never reached.
	RTO          time.Duration `json:"rto"`
	RTOSeconds   float64       `json:"rtoSeconds"`
	RTOObjective time.Duration `json:"rtoObjective"`
	RTOMet       bool          `json:"rtoMet"`
	// RPO is the data at risk: the Aurora replication lag at failover (an estimate), or 0 for a planned
	// switchover. RPOKnown is false when nothing could vouch for it.
	RPO          time.Duration   `json:"rpo"`
	RPOKnown     bool            `json:"rpoKnown"`
	RPOObjective time.Duration   `json:"rpoObjective"`
	RPOMet       bool            `json:"rpoMet"`
	Checklist    []ChecklistItem `json:"checklist"`
	// The same durations as people read them ("14m23s"); results_json.go says why both.
	RTOText          string `json:"rtoText"`
	RTOObjectiveText string `json:"rtoObjectiveText"`
	RPOText          string `json:"rpoText"`
	RPOObjectiveText string `json:"rpoObjectiveText"`
}

// ChecklistItem is one line of the runbook's Recovery Validation Checklist that software can check.
type ChecklistItem struct {
	Section  string `json:"section"`
	Item     string `json:"item"`
	Status   string `json:"status"` // pass, fail, not-checked
	Evidence string `json:"evidence"`
}

// measure is the one place RTO and RPO are judged against the objectives. An RTO of zero means service was
// never validated, which never meets the objective; an unknown RPO never meets its objective either.
func measure(o topology.Objectives, rto, rpo time.Duration, rpoKnown bool, checklist []ChecklistItem) Recovery {
	return Recovery{
		RTO: rto, RTOSeconds: rto.Seconds(), RTOObjective: o.RTO.D(), RTOMet: rto > 0 && rto <= o.RTO.D(),
		RPO: rpo, RPOKnown: rpoKnown, RPOObjective: o.RPO.D(), RPOMet: rpoKnown && rpo <= o.RPO.D(),
		Checklist: checklist,
		RTOText:   durText(rto), RTOObjectiveText: durText(o.RTO.D()), RPOText: durText(rpo), RPOObjectiveText: durText(o.RPO.D()),
	}
}

// checkItem is a checklist line: not-checked when nothing observed it, else pass or fail.
func checkItem(section, name string, checked, ok bool, evidence string) ChecklistItem {
	st := "not-checked"
	if checked {
		st = Fail
		if ok {
			st = Pass
		}
	}
	return ChecklistItem{Section: section, Item: name, Status: st, Evidence: evidence}
}
