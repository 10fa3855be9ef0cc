package awssim

import (
	"encoding/xml"
	"regexp"
	"strconv"
)

// IAM speaks awsQuery and is global: its control plane lives in us-east-1 (calls are signed for it), so
// an outage there takes it down. awssim models the one call the plan evaluation makes,
// SimulatePrincipalPolicy (botocore iam 2010-05-08: SimulatePrincipalPolicyRequest, SimulatePolicyResponse
// under the SimulatePrincipalPolicyResult wrapper, errors InvalidInput and NoSuchEntity). It evaluates the
// enforced policy (--enforce-policy) as the principal's only identity policy, the same evaluation that
// refuses the calls themselves; without enforcement every action is allowed, as awssim then allows them.
func init() {
	register(&service{
		name: "iam", anyRegion: true, protocol: queryProtocol{}, xmlns: "https://iam.amazonaws.com/doc/2010-05-08/",
		hostedIn: func(*Server, *Call) string { return iamControlPlaneRegion },
		ops:      map[string]opFunc{"SimulatePrincipalPolicy": iamSimulatePrincipalPolicy},
	})
}

// iamControlPlaneRegion hosts IAM's control plane (its API endpoint iam.amazonaws.com signs for us-east-1).
const iamControlPlaneRegion = "us-east-1"

// iamEntityRE is an ARN SimulatePrincipalPolicy takes: a user, group or role. An STS assumed-role session
// ARN is refused by AWS with InvalidInput; the caller must name the role.
var iamEntityRE = regexp.MustCompile(`^arn:aws[a-z-]*:iam::(\d{12}):(user|group|role)/(.+)$`)

type iamSimulateResult struct {
	XMLName           xml.Name           `xml:"SimulatePrincipalPolicyResult"`
	EvaluationResults []iamEvaluationXML `xml:"EvaluationResults>member"`
	IsTruncated       bool               `xml:"IsTruncated"`
	Marker            string             `xml:"Marker,omitempty"`
}

type iamEvaluationXML struct {
	EvalActionName   string `xml:"EvalActionName"`
	EvalResourceName string `xml:"EvalResourceName"`
	EvalDecision     string `xml:"EvalDecision"`
}

// iamDefaultMaxItems is the page size IAM uses when MaxItems is not given (the API reference: 100).
const iamDefaultMaxItems = 100

func iamSimulatePrincipalPolicy(s *Server, c *Call) (any, error) {
	src := c.Form.Get("PolicySourceArn")
	actions := c.Form.Members("ActionNames.member")
	if src == "" {
		return nil, Errf(400, "ValidationError", "1 validation error detected: Value null at 'policySourceArn' failed to satisfy constraint: Member must not be null")
	}
	if len(actions) == 0 {
		return nil, Errf(400, "ValidationError", "1 validation error detected: Value null at 'actionNames' failed to satisfy constraint: Member must not be null")
	}
	m := iamEntityRE.FindStringSubmatch(src)
	if m == nil {
		return nil, Errf(400, "InvalidInput", "Invalid Entity Arn: %s does not clearly define entity type and name.", src)
	}
	if m[1] != s.world.AccountID {
		return nil, Errf(404, "NoSuchEntity", "The %s with name %s cannot be found.", m[2], m[3])
	}
	resources := c.Form.Members("ResourceArns.member")
	if len(resources) == 0 {
		// IAM simulates against "*" when no resource is given.
		resources = []string{"*"}
	}
	var all []iamEvaluationXML
	for _, a := range actions {
		for _, r := range resources {
			decision := "allowed"
			if s.opts.EnforcePolicy != nil && !s.opts.EnforcePolicy.Allows(a, r) {
				decision = "implicitDeny"
				if s.opts.EnforcePolicy.Denies(a, r) {
					decision = "explicitDeny"
				}
			}
			all = append(all, iamEvaluationXML{EvalActionName: a, EvalResourceName: r, EvalDecision: decision})
		}
	}
	maxItems := iamDefaultMaxItems
	if v := c.Form.Get("MaxItems"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return nil, Errf(400, "ValidationError", "1 validation error detected: Value '%s' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000", v)
		}
		maxItems = n
	}
	start := 0
	if mk := c.Form.Get("Marker"); mk != "" {
		n, err := strconv.Atoi(mk)
		if err != nil || n < 0 || n > len(all) {
			return nil, Errf(400, "InvalidInput", "Invalid Marker: %s", mk)
		}
		start = n
	}
	end := min(start+maxItems, len(all))
	out := iamSimulateResult{EvaluationResults: all[start:end]}
	if end < len(all) {
		out.IsTruncated, out.Marker = true, strconv.Itoa(end)
	}
	return out, nil
}
