package activities

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/roadcall/dr/internal/iam"
)

// The worker's own identity is simulated as its role: the SDK's SimulatePrincipalPolicy against awssim's
// enforced policy, one statement removed. Read-only: twice gives the same answer and journals nothing.
func TestSimulatePermissionsFindsTheRemovedStatement(t *testing.T) {
	sim, acts, topo := capacitySim(t)
	doc := iam.PolicyFor(topo)
	less := doc.Without("FailoverAurora")
	sim.SetEnforcePolicy(&less)
	ctx := context.Background()
	in := SimulateInput{Region: topo.DRRegion, Topology: &topo}
	res, err := acts.SimulatePermissions(ctx, in)
	require.NoError(t, err)
	require.Equal(t, "arn:aws:iam::"+topo.AccountID+":role/roadcall-dr-operator", res.Principal)
	require.Contains(t, res.Caller, ":assumed-role/roadcall-dr-operator/")
	denied := map[string]int{}
	for _, g := range res.Groups {
		require.NotZero(t, g.Evaluated, g.Sid)
		denied[g.Sid] = len(g.Denied)
	}
	require.Len(t, res.Groups, len(doc.Statement), "every statement of the printed policy is simulated")
	require.NotZero(t, denied["FailoverAurora"])
	for sid, n := range denied {
		if sid != "FailoverAurora" {
			require.Zero(t, n, sid)
		}
	}
	again, err := acts.SimulatePermissions(ctx, in)
	require.NoError(t, err)
	require.Equal(t, res, again)
	require.Empty(t, sim.Journal())

	// The whole policy back: nothing denied.
	sim.SetEnforcePolicy(&doc)
	res, err = acts.SimulatePermissions(ctx, in)
	require.NoError(t, err)
	for _, g := range res.Groups {
		require.Empty(t, g.Denied, g.Sid)
	}
}

// A session ARN given as the principal is IAM's InvalidInput, which retrying cannot fix.
func TestSimulatePermissionsRefusesASessionARN(t *testing.T) {
	_, acts, topo := capacitySim(t)
	_, err := acts.SimulatePermissions(context.Background(), SimulateInput{Region: topo.DRRegion,
		Principal: "arn:aws:sts::" + topo.AccountID + ":assumed-role/r/s", Groups: []PermissionGroup{{Sid: "x", Actions: []string{"s3:GetObject"}}}})
	require.Equal(t, "InvalidInput", nonRetryable(t, err).Type())
}

func TestPrincipalOf(t *testing.T) {
	require.Equal(t, "arn:aws:iam::123456789012:role/ops", PrincipalOf("arn:aws:sts::123456789012:assumed-role/ops/alice"))
	require.Equal(t, "arn:aws:iam::123456789012:user/bob", PrincipalOf("arn:aws:iam::123456789012:user/bob"))
}

// GetAccountConcurrency reads each region's quota and unreserved pool.
func TestGetAccountConcurrency(t *testing.T) {
	_, acts, topo := capacitySim(t)
	for _, r := range []string{topo.PrimaryRegion, topo.DRRegion} {
		got, err := acts.GetAccountConcurrency(context.Background(), RegionRef{Region: r})
		require.NoError(t, err)
		require.Equal(t, r, got.Region)
		require.Positive(t, got.Limit)
		require.LessOrEqual(t, got.Unreserved, got.Limit)
	}
}
