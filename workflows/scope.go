package workflows

import (
	"fmt"

	"github.com/roadcall/dr/internal/topology"
)

// MaxDegradationResources bounds what one PartialDegradation examines. Its identification reads two or
// three metrics per function and table as one activity each, all scheduled in one workflow task; the
// failover's per-table reads wedged that task above 500 tables (about 1,000 activities), so a scope of at
// most 250 resources keeps the degradation's first task within what was measured. A platform of 2,000
// tables is examined by naming the suspects in tables and functions.
const MaxDegradationResources = 250

func (q *DegradationRequest) scopeProblems() topology.Errors {
	if q.withoutScopeLimit {
		return nil
	}
	_, fns, tables, _, _ := q.resolved()
	if n := len(fns) + len(tables); n > MaxDegradationResources {
		return topology.Errors{{Field: "tables", Problem: fmt.Sprintf("the examination covers %d resources (%d functions, %d tables), over the supported %d", n, len(fns), len(tables), MaxDegradationResources),
			Fix: fmt.Sprintf("name the suspect resources in functions and tables (at most %d together); left out, every one in the topology is examined", MaxDegradationResources)}}
	}
	return nil
}

// MaxRestoreTables bounds what one DataCorruptionRecovery restores: each table is a timeline row and a
// chain of restore, wait, settings and validation activities, and a corruption hits few tables; 100 keeps
// the run's status and first task well inside what the failover measured.
const MaxRestoreTables = 100

func (r *CorruptionRequest) scopeProblems() topology.Errors {
	if r.withoutScopeLimit || len(r.Tables) <= MaxRestoreTables {
		return nil
	}
	return topology.Errors{{Field: "tables", Problem: fmt.Sprintf("%d tables to restore, over the supported %d", len(r.Tables), MaxRestoreTables),
		Fix: fmt.Sprintf("name the corrupted tables in tables (at most %d); left out, every table of the topology is restored", MaxRestoreTables)}}
}
