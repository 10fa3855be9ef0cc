// Package policy holds what the worker allows a request to do: who may approve and how many must, which
// runs may approve themselves, the deploy commands by name, the hosts health URLs may name and the
// environment variables that may hold secrets. It is loaded by the worker from its own file, never taken
// from a request: a request lives in Temporal history and anyone who can start a workflow writes it.
package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/roadcall/dr/internal/topology"
)

// Identity modes: how an approver or initiator is known.
const (
	// IdentitySTS takes a principal only from a presigned sts:GetCallerIdentity token that STS answers.
	IdentitySTS = "sts"
	// IdentityNames obeys typed names, for local experiments; reports say it was used.
	IdentityNames = "names"
)

// EnvVar is where the worker is told which policy file to load when --policy is not given.
const EnvVar = "ROADCALL_POLICY"

// File is a policy file: platform → stage → policy.
type File struct {
	Platforms map[string]map[string]Policy `json:"platforms"`
}

// Policy is what one platform's stage allows.
type Policy struct {
	// Identity is "sts" (default) or "names".
	Identity string `json:"identity,omitempty"`
	// Approvers are IAM principal ARNs or patterns (path.Match: * never crosses a "/"), or names in names mode.
	Approvers []string `json:"approvers"`
	// TwoPerson forbids the initiator (and, for an unproven initiator, anyone who already acted) to approve.
	TwoPerson bool `json:"twoPerson"`
	// MinApprovals is how many distinct principals each gate needs unless Gates says otherwise (default 1).
	MinApprovals int `json:"minApprovals,omitempty"`
	// Gates overrides per workflow and gate: Gates["RegionFailover"]["failover"].
	Gates map[string]map[string]GateRule `json:"gates,omitempty"`
	// AutoApprove says which runs may approve their own gates.
	AutoApprove AutoApprove `json:"autoApprove"`
	// DeployCommands are the commands a topology may name in stacks.deploy.
	DeployCommands map[string]Command `json:"deployCommands,omitempty"`
	// HealthHosts are the hosts (host or host:port) health URLs may name; nothing else is fetched.
	HealthHosts []string `json:"healthHosts"`
	// ClusterEndpointHosts are the hosts a topology's ARC cluster endpoints may name. The worker sends signed
	// requests there, so a request-supplied URL must not pick where; an endpoint left out uses the worker's own
	// AWS endpoint and needs no entry.
	ClusterEndpointHosts []string `json:"clusterEndpointHosts,omitempty"`
	// SecretEnv are the worker environment variables a topology may name for a DSN or a webhook URL.
	SecretEnv []string `json:"secretEnv,omitempty"`
}

// GateRule is one gate's approval rule.
type GateRule struct {
	MinApprovals int `json:"minApprovals"`
}

// AutoApprove lists the workflows that may run with autoApprove.
type AutoApprove struct {
	// Workflows may be started with autoApprove, e.g. ["DRDrill"].
	Workflows []string `json:"workflows,omitempty"`
	// DrillChildren lets a drill's children auto-approve when a DRDrill allowed above started them.
	DrillChildren bool `json:"drillChildren,omitempty"`
}

// Command is a deploy command the worker runs by name.
type Command struct {
	Argv []string `json:"argv"`
	Dir  string   `json:"dir,omitempty"`
	// Env names the worker environment variables the command gets (e.g. AWS_PROFILE); nothing else of the
	// worker's environment reaches it, its credentials included, unless listed here.
	Env []string `json:"env,omitempty"`
}

// Load reads and validates a policy file.
func Load(file string) (File, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return File{}, fmt.Errorf("policy: %v; give the worker a policy file with --policy FILE or %s (see examples/policy-local.json)", err, EnvVar)
	}
	return Parse(b)
}

// Parse decodes a policy strictly (an unknown field is a typo that would silently loosen a rule) and validates it.
func Parse(b []byte) (File, error) {
	var f File
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return File{}, fmt.Errorf("policy: %v; fix the JSON (see examples/policy-local.json)", err)
	}
	if err := f.Validate(); err != nil {
		return File{}, err
	}
	return f, nil
}

// Validate names each field that is wrong and its fix.
func (f File) Validate() error {
	var es topology.Errors
	add := func(field, problem, fix string) {
		es = append(es, topology.FieldError{Field: field, Problem: problem, Fix: fix})
	}
	if len(f.Platforms) == 0 {
		add("platforms", "is empty", `give at least one platform and stage, e.g. {"platforms":{"roadcall":{"local":{...}}}}`)
	}
	for _, plat := range sortedKeys(f.Platforms) {
		for _, stage := range sortedKeys(f.Platforms[plat]) {
			es = append(es, f.Platforms[plat][stage].problems(fmt.Sprintf("platforms.%s.%s", plat, stage))...)
		}
	}
	if len(es) > 0 {
		return fmt.Errorf("policy: %w", es)
	}
	return nil
}

func (p Policy) problems(at string) topology.Errors {
	var es topology.Errors
	add := func(field, problem, fix string) {
		es = append(es, topology.FieldError{Field: at + "." + field, Problem: problem, Fix: fix})
	}
	switch p.Identity {
	case "", IdentitySTS, IdentityNames:
	default:
		add("identity", fmt.Sprintf("unknown mode %q", p.Identity), fmt.Sprintf("use %q (proven IAM principals) or %q (typed names, local experiments only)", IdentitySTS, IdentityNames))
	}
	if len(p.Approvers) == 0 {
		add("approvers", "is empty: an empty list would accept anyone", "list the approvers' IAM principal ARNs, e.g. arn:aws:iam::123456789012:role/DR-Approver")
	}
	for i, a := range p.Approvers {
		field := fmt.Sprintf("approvers[%d]", i)
		switch {
		case strings.TrimSpace(a) == "":
			add(field, "is empty", "give an IAM principal ARN or pattern")
		case p.mode() == IdentitySTS && !strings.HasPrefix(a, "arn:"):
			add(field, fmt.Sprintf("%q is not an ARN while identity is %q", a, IdentitySTS), "give an IAM principal ARN or pattern, e.g. arn:aws:sts::123456789012:assumed-role/DR-Approver/*")
		default:
			if _, err := path.Match(a, ""); err != nil {
				add(field, fmt.Sprintf("%q is not a valid pattern: %v", a, err), "use * for any run of characters other than /")
			}
		}
	}
	if p.MinApprovals < 0 {
		add("minApprovals", fmt.Sprintf("must not be negative, got %d", p.MinApprovals), "leave it out for 1")
	}
	for _, wf := range sortedKeys(p.Gates) {
		for _, g := range sortedKeys(p.Gates[wf]) {
			if n := p.Gates[wf][g].MinApprovals; n < 1 || n > len(p.Approvers) {
				add(fmt.Sprintf("gates.%s.%s.minApprovals", wf, g), fmt.Sprintf("is %d with %d approvers", n, len(p.Approvers)),
					"give at least 1 and no more than the number of approvers, or the gate could never open")
			}
		}
	}
	if p.MinApprovals > len(p.Approvers) && len(p.Approvers) > 0 {
		add("minApprovals", fmt.Sprintf("is %d with %d approvers", p.MinApprovals, len(p.Approvers)), "list more approvers or lower it: the gates could never open")
	}
	for _, name := range sortedKeys(p.DeployCommands) {
		c := p.DeployCommands[name]
		if len(c.Argv) == 0 || strings.TrimSpace(c.Argv[0]) == "" {
			add("deployCommands."+name+".argv", "is empty", `give the command as argv, e.g. ["pnpm","cdk","deploy","--all"]`)
		}
	}
	for i, h := range p.HealthHosts {
		if h == "" || strings.ContainsAny(h, "/*?@ ") {
			add(fmt.Sprintf("healthHosts[%d]", i), fmt.Sprintf("%q is not a host or host:port", h), "give a host name such as api.roadcall.example or 127.0.0.1:8080")
		}
	}
	for i, h := range p.ClusterEndpointHosts {
		if h == "" || strings.ContainsAny(h, "/*?@ ") {
			add(fmt.Sprintf("clusterEndpointHosts[%d]", i), fmt.Sprintf("%q is not a host or host:port", h), "give the host of an endpoint ARC lists for the cluster, such as host-aaaaaa.us-west-2.example.aws")
		}
	}
	return es
}

// For returns the policy of a platform's stage.
func (f File) For(platform, stage string) (Policy, error) {
	if p, ok := f.Platforms[platform][stage]; ok {
		return p, nil
	}
	return Policy{}, fmt.Errorf("the worker's policy has no entry for platform %q stage %q; add platforms.%s.%s to the policy file", platform, stage, platform, stage)
}

func (p Policy) mode() string {
	if p.Identity == "" {
		return IdentitySTS
	}
	return p.Identity
}

// Mode is the identity mode, "sts" unless the policy says "names".
func (p Policy) Mode() string { return p.mode() }

// Required is how many distinct principals must approve a workflow's gate.
func (p Policy) Required(workflow, gate string) int {
	if r, ok := p.Gates[workflow][gate]; ok && r.MinApprovals > 0 {
		return r.MinApprovals
	}
	return max(p.MinApprovals, 1)
}

// Approver reports whether principal is one of the approvers. ARNs and names compare without case:
// IAM names are unique regardless of case, so "Alice" is alice, and must not get past the two-person rule.
func (p Policy) Approver(principal string) bool {
	return slices.ContainsFunc(p.Approvers, func(pat string) bool { return match(pat, principal) })
}

func match(pattern, s string) bool {
	ok, err := path.Match(strings.ToLower(pattern), strings.ToLower(s))
	return err == nil && ok
}

// Same reports whether two principals are one (case-insensitively, as IAM names are).
func Same(a, b string) bool { return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b)) }

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
