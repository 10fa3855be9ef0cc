package workflows

// All lists every workflow function; the workflow type is the function name.
func All() []any {
	return []any{RegionFailover, ReadinessCheck, DataCorruptionRecovery, PartialDegradation, Failback, DRDrill, OutageWatch, PlanEvaluation}
}
