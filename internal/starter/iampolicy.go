package starter

import (
	"context"

	"github.com/roadcall/dr/internal/iam"
)

// iamPolicyCmd: starter iam-policy --topology FILE. Like plan it reads only the topology, so the policy can
// be reviewed and attached before the worker first runs.
func iamPolicyCmd(_ context.Context, e *Env, args []string) error {
	f := newFlags(e, "iam-policy")
	path := f.String("topology", "", "topology file (JSON), e.g. examples/roadcall-local.json")
	if err := f.parse(args); err != nil {
		return err
	}
	t, err := loadTopology(*path)
	if err != nil {
		return err
	}
	_, err = e.Out.Write(iam.PolicyFor(t).JSON())
	return err
}
