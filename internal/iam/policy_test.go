package iam

import (
	"strings"
	"testing"

	"github.com/roadcall/dr/internal/topology"
)

func TestParseRefusesWhatIsNotAnIAMPolicy(t *testing.T) {
	for name, in := range map[string]string{
		"not json":      `nope`,
		"topology":      `{"platform":"roadcall","stage":"prod"}`,
		"no version":    `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`,
		"bad effect":    `{"Version":"2012-10-17","Statement":[{"Effect":"Permit","Action":"s3:*","Resource":"*"}]}`,
		"no resource":   `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*"}]}`,
		"condition":     `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{}}]}`,
		"empty":         `{"Version":"2012-10-17","Statement":[]}`,
		"action format": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"GetItem","Resource":"*"}]}`,
	} {
		if _, err := Parse([]byte(in)); err == nil {
			t.Errorf("%s: accepted %s", name, in)
		}
	}
}

func TestAllowsDenyWinsAndWildcardsCrossSlashes(t *testing.T) {
	d, err := Parse([]byte(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"dynamodb:Describe*","Resource":"arn:aws:dynamodb:*:1:table/t*"},
		{"Effect":"Deny","Action":"dynamodb:DescribeTable","Resource":"arn:aws:dynamodb:us-east-1:1:table/tx"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if !d.Allows("dynamodb:describetable", "arn:aws:dynamodb:us-west-2:1:table/t/index/x") {
		t.Error("wildcard did not cross /, or action case mattered")
	}
	if d.Allows("dynamodb:DescribeTable", "arn:aws:dynamodb:us-east-1:1:table/tx") || d.Allows("dynamodb:UpdateTable", "arn:aws:dynamodb:us-east-1:1:table/t") {
		t.Error("explicit deny or implicit deny ignored")
	}
}

// A "*" resource only where the table says AWS requires it, i.e. rows with no Resources.
func TestPolicyStarOnlyWhereAWSRequiresIt(t *testing.T) {
	topo, err := topology.Load("../../examples/roadcall-local.json")
	if err != nil {
		t.Fatal(err)
	}
	star := map[string]bool{}
	for _, p := range Table {
		if p.Resources == nil {
			star[p.Sid] = true
		}
	}
	for _, s := range PolicyFor(topo).Statement {
		for _, r := range s.Resource {
			if r == "*" && !star[s.Sid] {
				t.Errorf("%s has * but its rows name resources", s.Sid)
			}
			if r != "*" && !strings.HasPrefix(r, "arn:aws:") {
				t.Errorf("%s: %q is not an ARN", s.Sid, r)
			}
		}
	}
	for _, want := range []string{"route53-recovery-cluster:UpdateRoutingControlStates", "application-autoscaling:RegisterScalableTarget", "sts:GetCallerIdentity"} {
		if !strings.Contains(string(PolicyFor(topo).JSON()), want) {
			t.Errorf("policy lacks %s", want)
		}
	}
}
