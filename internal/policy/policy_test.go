package policy

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/roadcall/dr/internal/topology"
)

// The shipped policies load, and each example topology passes the policy of its stage.
func TestExamplePoliciesLoadAndAllowTheirTopologies(t *testing.T) {
	for pol, topo := range map[string]string{"policy-local.json": "roadcall-local.json", "policy-prod.json": "roadcall-prod.json"} {
		f, err := Load(filepath.Join("../../examples", pol))
		require.NoError(t, err, pol)
		tp, err := topology.Load(filepath.Join("../../examples", topo))
		require.NoError(t, err)
		p, err := f.For(tp.Platform, tp.Stage)
		require.NoError(t, err)
		require.Empty(t, p.Check(Ask{Workflow: "RegionFailover", Topology: tp}), pol)
	}
}

func TestPolicyValidationNamesTheFieldAndTheFix(t *testing.T) {
	cases := map[string]struct{ json, field, fix string }{
		"empty approvers":  {`{"platforms":{"roadcall":{"prod":{"approvers":[],"healthHosts":["h"]}}}}`, "platforms.roadcall.prod.approvers", "list the approvers"},
		"name in sts mode": {`{"platforms":{"roadcall":{"prod":{"approvers":["alice"]}}}}`, "platforms.roadcall.prod.approvers[0]", "IAM principal ARN"},
		"unknown identity": {`{"platforms":{"roadcall":{"prod":{"identity":"trust-me","approvers":["a"]}}}}`, "platforms.roadcall.prod.identity", `use "sts"`},
		"impossible M":     {`{"platforms":{"roadcall":{"prod":{"approvers":["arn:aws:iam::1:user/a"],"gates":{"RegionFailover":{"failover":{"minApprovals":2}}}}}}}`, "platforms.roadcall.prod.gates.RegionFailover.failover.minApprovals", "no more than the number of approvers"},
		"empty argv":       {`{"platforms":{"roadcall":{"prod":{"approvers":["arn:aws:iam::1:user/a"],"deployCommands":{"cdk":{"argv":[]}}}}}}`, "platforms.roadcall.prod.deployCommands.cdk.argv", "argv"},
		"no platforms":     {`{"platforms":{}}`, "platforms", "at least one platform"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(c.json))
			require.Error(t, err)
			require.Contains(t, err.Error(), `"`+c.field)
			require.Contains(t, err.Error(), c.fix)
		})
	}
	_, err := Parse([]byte(`{"platforms":{"roadcall":{"prod":{"approvers":["arn:aws:iam::1:user/a"],"twoPersn":true}}}}`))
	require.ErrorContains(t, err, "twoPersn", "a typo must not silently loosen a rule")
	_, err = Load(filepath.Join(t.TempDir(), "missing.json"))
	require.ErrorContains(t, err, "ROADCALL_POLICY")
}

func TestApproverPatternsAndCase(t *testing.T) {
	p := Policy{Approvers: []string{"arn:aws:iam::123456789012:user/alice", "arn:aws:sts::123456789012:assumed-role/DR-Approver/*"}}
	require.True(t, p.Approver("arn:aws:iam::123456789012:user/alice"))
	require.True(t, p.Approver("arn:aws:iam::123456789012:user/Alice"), "IAM names are unique regardless of case")
	require.True(t, p.Approver("arn:aws:sts::123456789012:assumed-role/DR-Approver/bob-session"))
	require.False(t, p.Approver("arn:aws:sts::123456789012:assumed-role/DR-Approver/a/b"), "* does not cross /")
	require.False(t, p.Approver("arn:aws:sts::123456789012:assumed-role/Other/bob"))
	require.False(t, p.Approver("arn:aws:iam::999999999999:user/alice"))
	require.True(t, Same("alice", "Alice "))
	require.Equal(t, 1, p.Required("RegionFailover", "failover"))
	p.Gates = map[string]map[string]GateRule{"Failback": {"failback": {MinApprovals: 2}}}
	require.Equal(t, 2, p.Required("Failback", "failback"))
}

func TestCheckRefusesWhatTheRequestAsksBeyondThePolicy(t *testing.T) {
	tp, err := topology.Load("../../examples/roadcall-local.json")
	require.NoError(t, err)
	f, err := Load("../../examples/policy-local.json")
	require.NoError(t, err)
	p, err := f.For("roadcall", "prod")
	require.NoError(t, err)
	fields := func(a Ask) []string {
		var out []string
		for _, e := range p.Check(a) {
			out = append(out, e.Field)
		}
		return out
	}
	require.Equal(t, []string{"autoApprove"}, fields(Ask{Workflow: "RegionFailover", AutoApprove: true, Topology: tp}))
	require.Empty(t, fields(Ask{Workflow: "DRDrill", AutoApprove: true, Topology: tp}))
	require.Empty(t, fields(Ask{Workflow: "RegionFailover", AutoApprove: true, DrillParent: true, Topology: tp}))

	bad := tp
	bad.Approvals.Approvers = []string{"mallory"}
	bad.Stacks.DeployCommand = []string{"sh", "-c", "id"}
	bad.API.HealthURLs = map[string]string{"us-east-1": "http://169.254.169.254/latest/meta-data/", "us-west-2": tp.API.HealthURLs["us-west-2"]}
	bad.Aurora.DSNEnv = "AWS_SECRET_ACCESS_KEY"
	require.Equal(t, []string{"topology.approvals.approvers", "topology.stacks.deployCommand", "topology.api.healthUrls.us-east-1", "topology.aurora.dsnEnv"},
		fields(Ask{Workflow: "RegionFailover", Topology: bad}))
	require.ErrorContains(t, p.HostAllowed("http://user:pw@127.0.0.1/x"), "credentials")

	// An ARC endpoint is where the worker sends signed requests: a request may not choose it.
	arc := tp
	arc.DNS.RoutingControls.Endpoints = append(slices.Clone(tp.DNS.RoutingControls.Endpoints),
		topology.ClusterEndpoint{Region: "eu-west-1", Endpoint: "https://collector.attacker.example/v1"})
	es := p.Check(Ask{Workflow: "RegionFailover", Topology: arc})
	require.Len(t, es, 1)
	require.Equal(t, fmt.Sprintf("topology.dns.routingControls.endpoints[%d].endpoint", len(arc.DNS.RoutingControls.Endpoints)-1), es[0].Field)
	require.Contains(t, es[0].Error(), "clusterEndpointHosts")
	p.ClusterEndpointHosts = []string{"collector.attacker.example"}
	require.Empty(t, p.Check(Ask{Workflow: "RegionFailover", Topology: arc}), "listed by the worker, it is allowed")
	arc.DNS.RoutingControls = nil
	require.Empty(t, p.Check(Ask{Workflow: "RegionFailover", Topology: arc}), "a topology without routing controls names no endpoint")
}
