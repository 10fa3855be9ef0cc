package activities

import (
	"context"
	"regexp"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/roadcall/dr/internal/iam"
	"github.com/roadcall/dr/internal/topology"
)

// IAMControlPlaneRegion is where IAM's API lives: simulating the policy is a pre-disaster check, since in
// a us-east-1 outage the call gets no answer.
const IAMControlPlaneRegion = "us-east-1"

// PermissionGroup is a set of actions simulated on the same resources: one statement of the worker's policy.
type PermissionGroup struct {
	Sid     string   `json:"sid"`
	Actions []string `json:"actions"`
	// Resources are the ARNs the actions touch; empty means "*" (the action has no resource-level permission).
	Resources []string `json:"resources,omitempty"`
}

// SimulateInput asks whether a principal may do every action of the groups.
type SimulateInput struct {
	// Principal is the IAM role, user or group ARN to simulate; empty: the worker's own identity, from
	// sts:GetCallerIdentity in Region (an assumed-role session is simulated as its role).
	Principal string `json:"principal,omitempty"`
	Region    string `json:"region"`
	// Groups are what to simulate; empty: every statement of the worker's least-privilege policy for
	// Topology (internal/iam's table, as starter iam-policy prints it).
	Groups   []PermissionGroup  `json:"groups,omitempty"`
	Topology *topology.Topology `json:"topology,omitempty"`
}

// PolicyGroups are the statements of the worker's policy for a topology, as groups to simulate.
func PolicyGroups(t topology.Topology) []PermissionGroup {
	var out []PermissionGroup
	for _, st := range iam.PolicyFor(t).Statement {
		g := PermissionGroup{Sid: st.Sid, Actions: st.Action}
		if !(len(st.Resource) == 1 && st.Resource[0] == "*") {
			g.Resources = st.Resource
		}
		out = append(out, g)
	}
	return out
}

// Denial is one action on one resource the simulation does not allow.
type Denial struct {
	Action   string `json:"action"`
	Resource string `json:"resource"`
	Decision string `json:"decision"`
}

// GroupResult is the simulation of one group: the denials, none when every pair is allowed.
type GroupResult struct {
	Sid       string   `json:"sid"`
	Evaluated int      `json:"evaluated"`
	Denied    []Denial `json:"denied,omitempty"`
}

// SimulateResult says which principal was simulated and what it may not do.
type SimulateResult struct {
	Principal string        `json:"principal"`
	Caller    string        `json:"caller,omitempty"`
	Groups    []GroupResult `json:"groups"`
}

// assumedRoleRE is an STS session ARN; IAM simulates the role it belongs to (the role's path is not in the
// session ARN, so a role with a path must be named in the topology's evaluation.principal).
var assumedRoleRE = regexp.MustCompile(`^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role/([^/]+)/.+$`)

// PrincipalOf is the IAM entity of a caller ARN: the role of an assumed-role session, else the ARN itself.
func PrincipalOf(caller string) string {
	if m := assumedRoleRE.FindStringSubmatch(caller); m != nil {
		return "arn:" + m[1] + ":iam::" + m[2] + ":role/" + m[3]
	}
	return caller
}

// SimulatePermissions runs iam:SimulatePrincipalPolicy for every group: read-only, so retrying it is safe.
func (a *Activities) SimulatePermissions(ctx context.Context, in SimulateInput) (SimulateResult, error) {
	out := SimulateResult{Principal: in.Principal, Groups: []GroupResult{}}
	if out.Principal == "" {
		id, err := a.AWS.STS(in.Region).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			return out, classify(err, "sts:GetCallerIdentity", "the worker's identity", in.Region)
		}
		out.Caller = aws.ToString(id.Arn)
		out.Principal = PrincipalOf(out.Caller)
	}
	groups := in.Groups
	if len(groups) == 0 && in.Topology != nil {
		groups = PolicyGroups(*in.Topology)
	}
	for _, g := range groups {
		res := GroupResult{Sid: g.Sid}
		resources := g.Resources
		if len(resources) == 0 {
			resources = []string{"*"}
		}
		p := awsiam.NewSimulatePrincipalPolicyPaginator(a.AWS.IAM(), &awsiam.SimulatePrincipalPolicyInput{
			PolicySourceArn: aws.String(out.Principal), ActionNames: g.Actions, ResourceArns: resources})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return out, classify(err, "iam:SimulatePrincipalPolicy", out.Principal, IAMControlPlaneRegion)
			}
			for _, r := range page.EvaluationResults {
				// With several resources IAM may answer per resource inside one action's result.
				if len(r.ResourceSpecificResults) > 0 {
					for _, rr := range r.ResourceSpecificResults {
						res.Evaluated++
						if d := string(rr.EvalResourceDecision); d != "allowed" {
							res.Denied = append(res.Denied, Denial{aws.ToString(r.EvalActionName), aws.ToString(rr.EvalResourceName), d})
						}
					}
					continue
				}
				res.Evaluated++
				if d := string(r.EvalDecision); d != "allowed" {
					res.Denied = append(res.Denied, Denial{aws.ToString(r.EvalActionName), aws.ToString(r.EvalResourceName), d})
				}
			}
		}
		sort.Slice(res.Denied, func(i, j int) bool {
			if res.Denied[i].Action != res.Denied[j].Action {
				return res.Denied[i].Action < res.Denied[j].Action
			}
			return res.Denied[i].Resource < res.Denied[j].Resource
		})
		out.Groups = append(out.Groups, res)
	}
	return out, nil
}
