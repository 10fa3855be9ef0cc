package workflows

import (
	"testing"

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
