package starter

import "github.com/roadcall/dr/workflows"

// A scheduled drill has nobody at the keyboard: its gates are approved as "auto" (the drill's purpose is
// to measure the runbook end to end), and a failing readiness check still aborts it before any change.
func init() {
	schedulable["drill"] = func(c workflows.Common) (any, any) {
		c.AutoApprove, c.Drill = true, true
		return workflows.DRDrill, workflows.DrillRequest{Common: c, Mode: workflows.DrillAuto}
	}
}
