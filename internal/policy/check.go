package policy

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/roadcall/dr/internal/topology"
)

// Ask is what a request asks of the policy. The workflow builds it at its start and the starter before it
// starts anything, so both refuse the same requests with the same words.
type Ask struct {
	Workflow    string
	AutoApprove bool
	// DrillParent says that a DRDrill, itself allowed to auto-approve, started this run as its child.
	DrillParent bool
	Topology    topology.Topology
}

// Check refuses what a request asks beyond the policy, naming each field and its fix. It is a pure
// function of its arguments: workflows call it.
func (p Policy) Check(a Ask) topology.Errors {
	var es topology.Errors
	add := func(field, problem, fix string) {
		es = append(es, topology.FieldError{Field: field, Problem: problem, Fix: fix})
	}
	t := a.Topology
	if a.AutoApprove && !p.MayAutoApprove(a.Workflow, a.DrillParent) {
		allowed := "no workflow"
		if len(p.AutoApprove.Workflows) > 0 {
			allowed = strings.Join(p.AutoApprove.Workflows, ", ")
		}
		add("autoApprove", fmt.Sprintf("%s may not approve its own gates under the worker's policy for %s (auto-approval allowed for: %s)", a.Workflow, t.ID(), allowed),
			"leave autoApprove out and have an approver approve each gate (starter approve), or run it as a drill")
	}
	if ap := t.Approvals.Approvers; len(ap) > 0 && !sameSet(ap, p.Approvers) {
		add("topology.approvals.approvers", fmt.Sprintf("[%s] disagrees with the worker's policy [%s]", strings.Join(ap, ", "), strings.Join(p.Approvers, ", ")),
			"leave approvals.approvers out of the topology: the worker's policy names the approvers")
	}
	if t.Approvals.TwoPerson && !p.TwoPerson {
		add("topology.approvals.twoPerson", "is true while the worker's policy has the two-person rule off",
			"leave approvals.twoPerson out of the topology, or turn twoPerson on in the worker's policy")
	}
	if len(t.Stacks.DeployCommand) > 0 {
		add("topology.stacks.deployCommand", "carries a command line: requests name a command, never carry one",
			fmt.Sprintf("remove stacks.deployCommand and set stacks.deploy to one of the policy's deployCommands (%s)", p.commandNames()))
	}
	if t.Stacks.Activation == topology.ActivationCommand {
		if _, ok := p.DeployCommands[t.Stacks.Deploy]; !ok {
			add("topology.stacks.deploy", fmt.Sprintf("%q is not a deploy command of the worker's policy", t.Stacks.Deploy),
				fmt.Sprintf("name one of %s, or add it to deployCommands in the policy", p.commandNames()))
		}
	}
	for _, u := range t.FetchedURLs() {
		if err := p.HostAllowed(u.URL); err != nil {
			add("topology."+u.Field, err.Error(), fmt.Sprintf("use a URL on one of the policy's healthHosts (%s), or add the host there", strings.Join(p.HealthHosts, ", ")))
		}
	}
	for i, ep := range t.ClusterEndpoints() {
		if ep.Endpoint == "" {
			continue
		}
		if err := hostIn(ep.Endpoint, p.ClusterEndpointHosts, "clusterEndpointHosts"); err != nil {
			add(fmt.Sprintf("topology.dns.routingControls.endpoints[%d].endpoint", i), err.Error(),
				"use an endpoint on one of the policy's clusterEndpointHosts, add its host there, or leave endpoint out to use the worker's AWS endpoint")
		}
	}
	for _, e := range t.SecretEnvNames() {
		if !slices.Contains(p.SecretEnv, e.Name) {
			add("topology."+e.Field, fmt.Sprintf("names the worker environment variable %q, which the policy does not list in secretEnv", e.Name),
				"name one of the policy's secretEnv variables, or add it there")
		}
	}
	return es
}

// MayAutoApprove says whether a workflow may approve its own gates: listed, or a drill's child when drill
// children are allowed.
func (p Policy) MayAutoApprove(workflow string, drillParent bool) bool {
	return slices.Contains(p.AutoApprove.Workflows, workflow) || (drillParent && p.AutoApprove.DrillChildren)
}

// HostAllowed refuses a URL whose host is not among HealthHosts: an entry "host" allows any port of it,
// "host:port" that port only.
func (p Policy) HostAllowed(raw string) error { return hostIn(raw, p.HealthHosts, "healthHosts") }

// ClusterEndpointAllowed refuses an ARC cluster endpoint whose host is not among ClusterEndpointHosts.
func (p Policy) ClusterEndpointAllowed(raw string) error {
	return hostIn(raw, p.ClusterEndpointHosts, "clusterEndpointHosts")
}

func hostIn(raw string, hosts []string, list string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("%q is not an http(s) URL", raw)
	}
	if u.User != nil {
		return fmt.Errorf("%q carries credentials in its URL", raw)
	}
	for _, h := range hosts {
		if strings.EqualFold(h, u.Host) || strings.EqualFold(h, u.Hostname()) {
			return nil
		}
	}
	return fmt.Errorf("host %q is not in the worker's policy %s", u.Host, list)
}

func (p Policy) commandNames() string {
	if len(p.DeployCommands) == 0 {
		return "none are defined"
	}
	return strings.Join(sortedKeys(p.DeployCommands), ", ")
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.ContainsFunc(b, func(y string) bool { return Same(x, y) }) {
			return false
		}
	}
	return true
}
