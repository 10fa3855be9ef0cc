package awssim

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/roadcall/dr/internal/iam"
	"github.com/roadcall/dr/internal/topology"
)

// The wire shape is botocore's iam 2010-05-08 model: SimulatePrincipalPolicy's output under the
// SimulatePrincipalPolicyResult wrapper, EvaluationResults with EvalActionName, EvalResourceName and
// EvalDecision (allowed | explicitDeny | implicitDeny), IsTruncated and Marker; errors InvalidInput and
// NoSuchEntity. The AWS CLI decodes it: a client we did not write.
func TestIAMSimulatePrincipalPolicyWithTheAWSCLI(t *testing.T) {
	topo, err := topology.Load("../../examples/roadcall-local.json")
	if err != nil {
		t.Fatal(err)
	}
	doc := iam.PolicyFor(topo).Without("FailoverAurora")
	_, _, url := start(t, Options{EnforcePolicy: &doc})
	role := "arn:aws:iam::" + topo.AccountID + ":role/roadcall-dr-operator"
	gc := "arn:aws:rds::" + topo.AccountID + ":global-cluster:" + topo.Aurora.GlobalClusterID
	out := awsCLI(t, url, "iam", "simulate-principal-policy", "--policy-source-arn", role,
		"--action-names", "rds:FailoverGlobalCluster", "rds:DescribeGlobalClusters", "--resource-arns", gc)
	res, _ := out["EvaluationResults"].([]any)
	if len(res) != 2 {
		t.Fatalf("want 2 results (2 actions x 1 resource), got %v", out)
	}
	got := map[string]string{}
	for _, r := range res {
		m := r.(map[string]any)
		if m["EvalResourceName"] != gc {
			t.Errorf("EvalResourceName %v, want %s", m["EvalResourceName"], gc)
		}
		got[m["EvalActionName"].(string)] = m["EvalDecision"].(string)
	}
	if got["rds:FailoverGlobalCluster"] != "implicitDeny" || got["rds:DescribeGlobalClusters"] != "allowed" {
		t.Errorf("decisions %v: want FailoverGlobalCluster implicitDeny (its statement removed), DescribeGlobalClusters allowed", got)
	}

	// Without enforcement (the caller may simulate): an STS session ARN is refused as IAM refuses it.
	_, _, url = start(t, Options{})
	b, err := awsCLIRaw(t, url, "iam", "simulate-principal-policy", "--policy-source-arn",
		"arn:aws:sts::"+topo.AccountID+":assumed-role/roadcall-dr-operator/awssim", "--action-names", "s3:GetObject")
	if err == nil || !strings.Contains(string(b), "InvalidInput") {
		t.Errorf("assumed-role ARN: want InvalidInput, got %v\n%s", err, b)
	}
	// Another account's role does not exist here.
	b, err = awsCLIRaw(t, url, "iam", "simulate-principal-policy", "--policy-source-arn", "arn:aws:iam::999999999999:role/x", "--action-names", "s3:GetObject")
	if err == nil || !strings.Contains(string(b), "NoSuchEntity") {
		t.Errorf("foreign role: want NoSuchEntity, got %v\n%s", err, b)
	}
}

// Without --enforce-policy awssim allows every call, so the simulation allows everything; pages follow
// MaxItems and Marker as the SDK's paginator reads them.
func TestIAMSimulateAllowAllAndPages(t *testing.T) {
	sim, f, _ := start(t, Options{})
	p := awsiam.NewSimulatePrincipalPolicyPaginator(f.IAM(), &awsiam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String("arn:aws:iam::" + sim.world.AccountID + ":role/r"), ActionNames: []string{"a:B", "c:D", "e:F"},
		ResourceArns: []string{"x", "y"}, MaxItems: aws.Int32(4)})
	n, pages := 0, 0
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, r := range page.EvaluationResults {
			n++
			if r.EvalDecision != "allowed" {
				t.Errorf("%s on %s: %s, want allowed without enforcement", aws.ToString(r.EvalActionName), aws.ToString(r.EvalResourceName), r.EvalDecision)
			}
		}
	}
	if n != 6 || pages != 2 {
		t.Errorf("%d results in %d pages, want 6 in 2", n, pages)
	}
}
