package testenv

import (
	"github.com/roadcall/dr/internal/policy"
	"github.com/roadcall/dr/internal/topology"
)

// PermissivePolicy lets the scenario tests drive gates by typed name and auto-approve any workflow, on the
// hosts and variables the topology names. It is a test fixture: examples/policy-local.json is the policy
// an operator runs with, and the trust tests run under it.
func PermissivePolicy(t topology.Topology) policy.File {
	p := policy.Policy{Identity: policy.IdentityNames, Approvers: []string{"alice", "bob", "carol", "incident-commander"},
		AutoApprove: policy.AutoApprove{Workflows: []string{"RegionFailover", "Failback", "PartialDegradation", "DataCorruptionRecovery", "DRDrill"}},
		HealthHosts: []string{"127.0.0.1", "localhost"}}
	for _, e := range t.SecretEnvNames() {
		p.SecretEnv = append(p.SecretEnv, e.Name)
	}
	return policy.File{Platforms: map[string]map[string]policy.Policy{t.Platform: {t.Stage: p}}}
}
