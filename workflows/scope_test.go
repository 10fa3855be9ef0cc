package workflows

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A platform too large to examine whole is refused with the bound and how to narrow it, before anything
// runs; named suspects are examined; a run recorded before the bound replays without it.
func TestDegradationScopeIsBounded(t *testing.T) {
	topo := withTables(upsertTopology(t), 300)
	req := DegradationRequest{Common: Common{Topology: topo}}
	err := req.Validate()
	require.ErrorContains(t, err, `field "tables"`)
	require.ErrorContains(t, err, "over the supported 250")
	require.ErrorContains(t, err, "name the suspect resources")

	req = DegradationRequest{Common: Common{Topology: topo}, Tables: []string{topo.Tables[0].Name, topo.Tables[299].Name}}
	require.NoError(t, req.Validate())

	env := newEnv(t)
	env.RegisterWorkflow(PartialDegradation)
	env.ExecuteWorkflow(PartialDegradation, DegradationRequest{Common: Common{Topology: topo}})
	require.True(t, env.IsWorkflowCompleted())
	require.True(t, IsInvalidRequest(env.GetWorkflowError()), "%v", env.GetWorkflowError())

	old := DegradationRequest{Common: Common{Topology: topo}, withoutScopeLimit: true}
	require.NoError(t, old.Validate())
}

func TestCorruptionRestoreScopeIsBounded(t *testing.T) {
	topo := withTables(upsertTopology(t), 300)
	at := time.Now().Add(-time.Hour)
	req := CorruptionRequest{Common: Common{Topology: topo}, CorruptionStartedAt: &at}
	err := req.PrepareAt(time.Now())
	require.ErrorContains(t, err, `field "tables": 300 tables to restore, over the supported 100`)
	req = CorruptionRequest{Common: Common{Topology: topo}, CorruptionStartedAt: &at, Tables: []string{topo.Tables[0].Name, topo.Tables[299].Name}}
	require.NoError(t, req.PrepareAt(time.Now()))
	old := CorruptionRequest{Common: Common{Topology: topo}, CorruptionStartedAt: &at, withoutScopeLimit: true}
	require.NoError(t, old.PrepareAt(time.Now()))
}

// A refusal of thousands of bad entries, in a topology of 2,000 tables, stays small: a refusal too large
// for Temporal's message limits would end the run instead of refusing it.
func TestRefusalOfManyBadNamesStaysSmall(t *testing.T) {
	topo := withTables(upsertTopology(t), 2000)
	bad := make([]string, 2000)
	for i := range bad {
		bad[i] = fmt.Sprintf("no-such-table-%04d-%s", i, strings.Repeat("x", 200))
	}
	at := time.Now().Add(-time.Hour)
	err := (&CorruptionRequest{Common: Common{Topology: topo}, CorruptionStartedAt: &at, Tables: bad}).PrepareAt(time.Now())
	require.Error(t, err)
	require.Less(t, len(err.Error()), 16<<10, "refusal of %d bytes", len(err.Error()))
	require.Contains(t, err.Error(), "and 1990 more")
	err = (&DegradationRequest{Common: Common{Topology: topo}, Tables: bad[:3]}).Validate()
	require.Less(t, len(err.Error()), 16<<10)
	require.Contains(t, err.Error(), "and 1990 more", "the topology's names are listed in part")
}
