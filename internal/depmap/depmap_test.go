package depmap

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/roadcall/dr/internal/topology"
)

// local is examples/roadcall-local.json in the given DNS mode, built from an HTTPS-only base so the rows
// do not depend on the mode the example file is in.
func local(t *testing.T, mode string) topology.Topology {
	t.Helper()
	topo, err := topology.Load("../../examples/roadcall-local.json")
	if err != nil {
		t.Fatal(err)
	}
	topo.DNS.Mode, topo.DNS.RoutingControls, topo.DNS.Records = mode, nil, nil
	var hcs []topology.HealthCheck
	for _, hc := range topo.HealthChecks {
		if hc.Type == topology.HealthCheckHTTPS {
			hcs = append(hcs, hc)
		}
	}
	topo.HealthChecks = hcs
	arn := "arn:aws:route53-recovery-control::123456789012:controlpanel/roadcall/routingcontrol/"
	switch mode {
	case topology.DNSRoutingControl:
		topo.DNS.RoutingControls = &topology.RoutingControls{ClusterARN: "arn:aws:route53-recovery-control::123456789012:cluster/roadcall-prod",
			Endpoints: []topology.ClusterEndpoint{{Region: "us-east-1"}, {Region: "us-west-2"}, {Region: "eu-west-1"}, {Region: "ap-northeast-1"}, {Region: "ap-southeast-2"}},
			Controls:  map[string]string{"us-east-1": arn + "roadcall-primary", "us-west-2": arn + "roadcall-dr"}}
		topo.HealthChecks = append(topo.HealthChecks,
			topology.HealthCheck{ID: "hc-roadcall-rc-us-east-1", Region: "us-east-1", Type: topology.HealthCheckRecoveryControl, RoutingControlARN: arn + "roadcall-primary"},
			topology.HealthCheck{ID: "hc-roadcall-rc-us-west-2", Region: "us-west-2", Type: topology.HealthCheckRecoveryControl, RoutingControlARN: arn + "roadcall-dr"})
		topo.DNS.Records = map[string]topology.FailoverRecord{
			"us-east-1": {SetIdentifier: "Primary-Region", Failover: "PRIMARY", HealthCheckID: "hc-roadcall-rc-us-east-1"},
			"us-west-2": {SetIdentifier: "DR-Region", Failover: "SECONDARY", HealthCheckID: "hc-roadcall-rc-us-west-2"}}
	case topology.DNSFailoverRecords:
		topo.DNS.Records = map[string]topology.FailoverRecord{
			"us-east-1": {SetIdentifier: "Primary-Region", Failover: "PRIMARY", HealthCheckID: "hc-roadcall-api-us-east-1"},
			"us-west-2": {SetIdentifier: "DR-Region", Failover: "SECONDARY", HealthCheckID: "hc-roadcall-api-us-west-2"}}
	}
	if err := topo.Validate(); err != nil {
		t.Fatal(err)
	}
	return topo
}

// rows is the table as "step service operation | sent to | plane | needs primary".
func rows(p Plan) []string {
	out := make([]string, len(p.Calls))
	for i, c := range p.Calls {
		out[i] = fmt.Sprintf("%s %s %s | %s | %s | %v", c.Step, c.Service, c.Operation, c.Where(), c.Plane, c.NeedsPrimary)
	}
	return out
}

// The rows every mode shares, before and after the DNS step.
var (
	head = []string{
		"credentials sts AssumeRoleWithWebIdentity | us-west-2 | data | false",
		"assess ec2 DescribeRegions | us-east-1 | control | false",
		"assess sts GetCallerIdentity | us-east-1 | data | false",
		"assess http GET | us-east-1 | data | false",
		"assess ec2 DescribeRegions | us-west-2 | control | false",
		"assess sts GetCallerIdentity | us-west-2 | data | false",
		"assess http GET | us-west-2 | data | false",
		"assess route53 GetHealthCheckStatus | us-east-1 | control | false",
	}
	middle = []string{
		"assess dynamodb DescribeTable | us-west-2 | control | false",
		"assess dynamodb Scan | us-west-2 | data | false",
		"assess monitoring GetMetricData | us-west-2 | data | false",
		"notify sns Publish | us-west-2 | data | false",
		"gate sns Publish | us-west-2 | data | false",
		"database rds DescribeDBClusters | us-west-2 | control | false",
		"database rds DescribeGlobalClusters | us-west-2 | control | false",
		"database rds FailoverGlobalCluster | us-west-2 | control | false",
		"activate cloudformation DescribeStacks | us-west-2 | control | false",
		"activate cloudformation UpdateStack | us-west-2 | control | false",
	}
	tail = []string{
		"verify http GET | us-west-2 | data | false",
		"verify lambda ListFunctions | us-west-2 | control | false",
		"verify dynamodb Scan | us-west-2 | data | false",
		"monitor monitoring GetMetricData | us-west-2 | data | false",
		"communicate sns Publish | us-west-2 | data | false",
	}
)

func concat(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestFailoverRowsPerDNSMode(t *testing.T) {
	anyARC := "any of us-east-1, us-west-2, eu-west-1, ap-northeast-1, ap-southeast-2"
	for mode, want := range map[string][]string{
		topology.DNSRoutingControl: concat(head, []string{"assess route53-recovery-cluster GetRoutingControlState | " + anyARC + " | data | false"}, middle, []string{
			"dns route53-recovery-cluster GetRoutingControlState | " + anyARC + " | data | false",
			"dns route53-recovery-cluster UpdateRoutingControlStates | " + anyARC + " | data | false",
			"dns dns resolve | global | data | false",
		}, tail),
		topology.DNSFailoverRecords: concat(head, middle, []string{"dns dns resolve | global | data | false"}, tail),
		topology.DNSUpsert: concat(head, middle, []string{
			"dns route53 ListResourceRecordSets | us-east-1 | control | true",
			"dns route53 ChangeResourceRecordSets | us-east-1 | control | true",
			"dns route53 GetChange | us-east-1 | control | true",
		}, tail),
	} {
		p := Failover(local(t, mode))
		if got := rows(p); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s:\n got %s\nwant %s", mode, strings.Join(got, "\n     "), strings.Join(want, "\n     "))
		}
		// The worker needs nothing from the primary except what upsert inherently needs: Route 53's API.
		for _, c := range p.NeedsPrimary() {
			if mode != topology.DNSUpsert || c.Service != "route53" || c.Step != "dns" {
				t.Errorf("%s: %s %s needs %s", mode, c.Service, c.Operation, p.Primary)
			}
		}
		for _, c := range p.Calls {
			if c.Regions[0] == "us-east-1" && len(c.Regions) == 1 && !c.Tolerated && !c.NeedsPrimary {
				t.Errorf("%s: %s %s is sent to the primary, needed, and not marked so", mode, c.Service, c.Operation)
			}
		}
	}
}

func TestFailoverRowsFollowAuroraAndActivation(t *testing.T) {
	topo := local(t, topology.DNSRoutingControl)
	topo.Aurora.FailoverMode = topology.FailoverDetachAndPromote
	topo.Stacks.Activation, topo.Stacks.DeployCommand = topology.ActivationCommand, []string{"pnpm", "cdk", "deploy", "--all"}
	topo.Aurora.DSNEnv, topo.StatusPageWebhookEnv = "DR_WRITER_DSN", "STATUS_PAGE_URL"
	got := strings.Join(rows(Failover(topo)), "\n")
	for _, want := range []string{
		"database rds DescribeDBClusters | us-west-2 | control | false\ndatabase rds RemoveFromGlobalCluster | us-west-2 | control | false\nactivate exec run | us-west-2 | control | false",
		"verify postgres SELECT 1 | us-west-2 | data | false",
		"communicate http POST | global | data | false",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("rows lack %q:\n%s", want, got)
		}
	}
	topo.Aurora.FailoverMode = topology.FailoverPromoteReplica
	if got := strings.Join(rows(Failover(topo)), "\n"); !strings.Contains(got, "database rds PromoteReadReplicaDBCluster | us-west-2") || strings.Contains(got, "FailoverGlobalCluster") {
		t.Errorf("promote-read-replica rows:\n%s", got)
	}
}

// upsert from a primary other than us-east-1 still sends Route 53's calls to us-east-1, which the failover
// then needs without it being the region that failed.
func TestUpsertFromAnotherPrimary(t *testing.T) {
	topo := local(t, topology.DNSUpsert)
	topo.PrimaryRegion, topo.DRRegion = "eu-west-1", "eu-central-1"
	p := Failover(topo)
	if n := len(p.NeedsPrimary()); n != 0 {
		t.Errorf("%d calls need eu-west-1", n)
	}
	var r53 []string
	for _, c := range p.Calls {
		if c.Step == "dns" {
			r53 = append(r53, c.Operation+" "+c.Where())
		}
	}
	if strings.Join(r53, ", ") != "ListResourceRecordSets us-east-1, ChangeResourceRecordSets us-east-1, GetChange us-east-1" {
		t.Errorf("dns calls %v", r53)
	}
}

func TestWriteSaysWhatNeedsThePrimary(t *testing.T) {
	var b bytes.Buffer
	Failover(local(t, topology.DNSUpsert)).Write(&b)
	s := b.String()
	for _, want := range []string{
		"RegionFailover us-east-1 → us-west-2, dns.mode upsert",
		"STEP         SERVICE ",
		"dns          route53         ChangeResourceRecordSets api.roadcall.example.com A",
		"The failover needs us-east-1 for: route53 ListResourceRecordSets (dns), route53 ChangeResourceRecordSets (dns), route53 GetChange (dns).",
		"accelerated recovery, enabled on the zone beforehand",
		"assess       route53         GetHealthCheckStatus ×2",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	b.Reset()
	Failover(local(t, topology.DNSRoutingControl)).Write(&b)
	s = b.String()
	if !strings.Contains(s, "Nothing on the failover path needs us-east-1") || strings.Contains(s, "Ways out") {
		t.Errorf("routing-control output:\n%s", s)
	}
	if !strings.Contains(s, "UpdateRoutingControlStates ×2") || !strings.Contains(s, "any of us-east-1, us-west-2, eu-west-1, ap-northeast-1, ap-southeast-2") {
		t.Errorf("routing-control output:\n%s", s)
	}
}
