// Package depmap is RegionFailover's dependency table as data: every call on the failover's critical path,
// with the service, the region it is sent to, whether it is control plane or data plane, and whether the
// failover needs the primary region to answer it. `starter plan` prints it, and a test compares it with
// the calls a failover really makes on awssim, so the table cannot drift from the code.
package depmap

import (
	"fmt"
	"strings"

	"github.com/roadcall/dr/internal/topology"
)

// Planes. AWS splits each service's API into a control plane (create, configure, describe: more complex,
// less available, and for some services hosted in one region) and a data plane (the service's primary
// function, simple and built to stay up).
const (
	Control = "control"
	Data    = "data"
)

// Services that are not AWS APIs but are still calls the failover makes.
const (
	// ServiceHTTP is an HTTP request the worker sends itself: a health URL, the status-page webhook.
	ServiceHTTP = "http"
	// ServiceDNS is a DNS query answered by Route 53's name servers (awssim: GET /_sim/dns).
	ServiceDNS = "dns"
	// ServicePostgres is the SQL connection to the Aurora writer.
	ServicePostgres = "postgres"
	// ServiceExec is the deploy command of the command activation mode.
	ServiceExec = "exec"
)

// Global marks a call answered from everywhere, e.g. DNS resolution by Route 53's anycast name servers.
const Global = "global"

// Call is one row of the table.
type Call struct {
	// Step is the RegionFailover step making the call: assess, notify, gate, database, activate, dns,
	// verify, monitor, communicate; "credentials" is the worker's own sign-in.
	Step string `json:"step"`
	// Service is the SigV4 signing name (as the awssim journal records it: monitoring for CloudWatch,
	// route53-recovery-cluster for ARC) or one of the Service* constants.
	Service string `json:"service"`
	// Operation is the API operation as AWS names it (the awssim journal's operation), or what a non-AWS
	// call does: GET, POST, resolve, SELECT 1, run.
	Operation string `json:"operation"`
	// Resources are what the call is made on, one call each (tables, stacks, health checks, metrics).
	Resources []string `json:"resources,omitempty"`
	// Regions are where the call is sent. One region, or several tried in turn until one answers (the ARC
	// cluster's endpoints), or [Global].
	Regions []string `json:"regions"`
	Plane   string   `json:"plane"`
	// Tolerated: the step goes on when the call gets no answer (a probe of the failed region, a read whose
	// failure becomes a finding).
	Tolerated bool `json:"tolerated,omitempty"`
	// NeedsPrimary: the failover cannot complete unless the primary region answers this call.
	NeedsPrimary bool `json:"needsPrimary"`
	// When is the condition under which the call is made; empty is always.
	When string `json:"when,omitempty"`
	// Why says what the call is for, or why its placement matters.
	Why string `json:"why,omitempty"`
}

// Where is Regions for people: "us-west-2", "any of us-east-1, us-west-2, …", "global".
func (c Call) Where() string {
	if len(c.Regions) == 1 {
		return c.Regions[0]
	}
	return "any of " + strings.Join(c.Regions, ", ")
}

// Plan is the failover's dependency table for one topology.
type Plan struct {
	Primary string `json:"primaryRegion"`
	DR      string `json:"drRegion"`
	DNSMode string `json:"dnsMode"`
	Calls   []Call `json:"calls"`
}

// NeedsPrimary lists the calls the failover cannot complete without the primary region.
func (p Plan) NeedsPrimary() []Call {
	var out []Call
	for _, c := range p.Calls {
		if c.NeedsPrimary {
			out = append(out, c)
		}
	}
	return out
}

// Failover builds RegionFailover's table for t, in the order the steps run: assess → notify → gate →
// database ∥ activate → dns → verify → monitor → communicate.
func Failover(t topology.Topology) Plan {
	p, dr := t.PrimaryRegion, t.DRRegion
	var calls []Call
	add := func(cs ...Call) {
		for _, c := range cs {
			c.NeedsPrimary = !c.Tolerated && len(c.Regions) == 1 && c.Regions[0] == p
			calls = append(calls, c)
		}
	}
	in := func(r string) []string { return []string{r} }
	tables := t.TableNames()

	// The worker's credentials: with a role (IRSA, ECS task role, AssumeRole) the SDK asks STS for them at
	// the regional endpoint of the worker's base region, the SDK v2 default.
	add(Call{Step: "credentials", Service: "sts", Operation: "AssumeRoleWithWebIdentity", Regions: in(dr), Plane: Data,
		When: "the worker's credentials come from a role", Why: "regional STS endpoint of the worker's AWS_REGION, which must be " + dr})

	// 1. assess: both regions probed, the health checks, the DR replicas, the Aurora lag. Only the DR
	// region's probe must answer; everything else becomes a finding.
	for _, r := range []string{p, dr} {
		why, tolerated := "the DR region must answer: the run holds otherwise", false
		if r == p {
			why, tolerated = "probe of the primary: no answer is the finding", true
		}
		add(Call{Step: "assess", Service: "ec2", Operation: "DescribeRegions", Regions: in(r), Plane: Control, Tolerated: tolerated, Why: why},
			Call{Step: "assess", Service: "sts", Operation: "GetCallerIdentity", Regions: in(r), Plane: Data, Tolerated: tolerated, Why: why + " (regional endpoint)"})
		if u := t.API.HealthURLs[r]; u != "" {
			add(Call{Step: "assess", Service: ServiceHTTP, Operation: "GET", Resources: []string{u}, Regions: in(r), Plane: Data, Tolerated: true, Why: "the API's health URL in " + r})
		}
	}
	var hcs []string
	for _, hc := range t.HealthChecks {
		hcs = append(hcs, hc.ID)
	}
	add(Call{Step: "assess", Service: "route53", Operation: "GetHealthCheckStatus", Resources: hcs, Regions: in(topology.Route53ControlPlaneRegion), Plane: Control, Tolerated: true,
		Why: "Route 53's control plane: without an answer the assessment says so and uses the health URLs"})
	if t.DNS.Mode == topology.DNSRoutingControl && t.DNS.RoutingControls != nil {
		add(Call{Step: "assess", Service: ServiceARC, Operation: "GetRoutingControlState", Resources: controls(t), Regions: endpointRegions(t), Plane: Data, Tolerated: true,
			When: "GetHealthCheckStatus does not answer", Why: "the routing controls say where traffic goes"})
	}
	add(Call{Step: "assess", Service: "dynamodb", Operation: "DescribeTable", Resources: tables, Regions: in(dr), Plane: Control, Tolerated: true, Why: "each DR replica is ACTIVE"},
		Call{Step: "assess", Service: "dynamodb", Operation: "Scan", Resources: tables, Regions: in(dr), Plane: Data, Tolerated: true, Why: "each DR replica answers reads (--limit 1)"},
		Call{Step: "assess", Service: "monitoring", Operation: "GetMetricData", Resources: []string{"AWS/RDS AuroraGlobalDBReplicationLag"}, Regions: in(dr), Plane: Data, Tolerated: true, Why: "the RPO estimate"})

	// 2. notify, and the gate's request for approval: the alarm topic in the DR region.
	topic := []string{t.AlarmTopic}
	add(Call{Step: "notify", Service: "sns", Operation: "Publish", Resources: topic, Regions: in(dr), Plane: Data, Tolerated: true, Why: "page the incident response team"},
		Call{Step: "gate", Service: "sns", Operation: "Publish", Resources: topic, Regions: in(dr), Plane: Data, Tolerated: true,
			When: "approval is asked for (not with auto-approve)", Why: "the approval request and its escalations"})

	// 3. database and 5. activate run in parallel; then 4. dns, per mode.
	add(databaseCalls(t)...)
	add(activateCalls(t)...)
	add(dnsCalls(t)...)

	// 6. verify, 7. monitor, 8. communicate: all in the DR region.
	add(Call{Step: "verify", Service: ServiceHTTP, Operation: "GET", Resources: []string{t.API.HealthURLs[dr]}, Regions: in(dr), Plane: Data, Why: "the API answers in " + dr},
		Call{Step: "verify", Service: "lambda", Operation: "ListFunctions", Regions: in(dr), Plane: Control, Why: fmt.Sprintf("the %d functions exist in %s", len(t.Functions), dr)},
		Call{Step: "verify", Service: "dynamodb", Operation: "Scan", Resources: tables, Regions: in(dr), Plane: Data, Why: "each table answers reads (--limit 1)"})
	if t.Aurora.DSNEnv != "" {
		add(Call{Step: "verify", Service: ServicePostgres, Operation: "SELECT 1", Resources: []string{t.Aurora.DRClusterID}, Regions: in(dr), Plane: Data, Why: "the new writer accepts connections"})
	}
	add(Call{Step: "monitor", Service: "monitoring", Operation: "GetMetricData", Resources: []string{"AWS/ApiGateway Count", "AWS/ApiGateway 5XXError", "AWS/ApiGateway Latency"},
		Regions: in(dr), Plane: Data, Why: "traffic, errors and latency after the cutover"},
		Call{Step: "communicate", Service: "sns", Operation: "Publish", Resources: topic, Regions: in(dr), Plane: Data, Why: "service restored"})
	if t.StatusPageWebhookEnv != "" {
		add(Call{Step: "communicate", Service: ServiceHTTP, Operation: "POST", Resources: []string{"$" + t.StatusPageWebhookEnv}, Regions: in(Global), Plane: Data, Why: "the status page, outside AWS"})
	}
	return Plan{Primary: p, DR: dr, DNSMode: t.DNS.Mode, Calls: calls}
}

// ServiceARC is ARC's routing-control data plane: the cluster's five regional endpoints.
const ServiceARC = "route53-recovery-cluster"

// databaseCalls are step 3 for the topology's Aurora failover mode. Every call goes to the DR region, where
// the cluster taking over lives: RDS's API is its control plane, but a regional one.
func databaseCalls(t topology.Topology) []Call {
	c := func(op, res, why string) Call {
		return Call{Step: "database", Service: "rds", Operation: op, Resources: []string{res}, Regions: []string{t.DRRegion}, Plane: Control, Why: why}
	}
	out := []Call{c("DescribeDBClusters", t.Aurora.DRClusterID, "read before the change, then until it is the writer")}
	switch t.Aurora.FailoverMode {
	case topology.FailoverGlobal:
		out = append(out, c("DescribeGlobalClusters", t.Aurora.GlobalClusterID, "membership and failover status, before and during the wait"),
			c("FailoverGlobalCluster", t.Aurora.GlobalClusterID, "--allow-data-loss, sent to "+t.DRRegion+": the secondary is promoted without the primary"))
	case topology.FailoverDetachAndPromote:
		out = append(out, c("RemoveFromGlobalCluster", t.Aurora.DRClusterID, "sent to "+t.DRRegion+": the secondary leaves the global cluster as a standalone writer"))
	case topology.FailoverPromoteReplica:
		out = append(out, c("PromoteReadReplicaDBCluster", t.Aurora.DRClusterID, "a cross-region binlog replica becomes a writer"))
	}
	return out
}

// activateCalls are step 5 for the topology's activation mode.
func activateCalls(t topology.Topology) []Call {
	dr := []string{t.DRRegion}
	if t.Stacks.Activation == topology.ActivationCommand {
		return []Call{{Step: "activate", Service: ServiceExec, Operation: "run", Resources: []string{strings.Join(t.Stacks.DeployCommand, " ")}, Regions: dr, Plane: Control,
			Why: "the worker runs it with AWS_REGION=" + t.DRRegion + "; what it calls is its own (CDK deploys through CloudFormation there)"}}
	}
	return []Call{
		{Step: "activate", Service: "cloudformation", Operation: "DescribeStacks", Resources: t.Stacks.Names, Regions: dr, Plane: Control, Why: "read before the update, then until it completes"},
		{Step: "activate", Service: "cloudformation", Operation: "UpdateStack", Resources: t.Stacks.Names, Regions: dr, Plane: Control, Why: t.Stacks.DRModeParameter + "=true, previous template"},
	}
}

// dnsCalls are step 4 for the topology's DNS mode. Only upsert calls Route 53's API, whose control plane
// lives in us-east-1; the other modes move traffic through data planes that answer from every region.
func dnsCalls(t topology.Topology) []Call {
	record := []string{t.DNS.RecordName + " " + t.DNS.RecordType}
	resolve := Call{Step: "dns", Service: ServiceDNS, Operation: "resolve", Resources: record, Regions: []string{Global}, Plane: Data,
		Why: "until it answers " + t.DRRegion + ": Route 53's name servers (awssim: GET /_sim/dns)"}
	switch t.DNS.Mode {
	case topology.DNSRoutingControl:
		eps := endpointRegions(t)
		return []Call{
			{Step: "dns", Service: ServiceARC, Operation: "GetRoutingControlState", Resources: controls(t), Regions: eps, Plane: Data, Why: "nothing to change when " + t.DRRegion + " is On and " + t.PrimaryRegion + " Off"},
			{Step: "dns", Service: ServiceARC, Operation: "UpdateRoutingControlStates", Resources: controls(t), Regions: eps, Plane: Data,
				Why: t.DRRegion + " On, then " + t.PrimaryRegion + " Off; the endpoints tried in turn"},
			resolve,
		}
	case topology.DNSFailoverRecords:
		resolve.Why = "no write, the primary's failing health check moves the records; " + resolve.Why
		return []Call{resolve}
	}
	r53 := []string{topology.Route53ControlPlaneRegion}
	why := "Route 53's control plane lives in " + topology.Route53ControlPlaneRegion
	if t.DNS.AcceleratedRecovery {
		why += "; accelerated recovery brings changes back about 60 minutes into an impairment"
	}
	return []Call{
		{Step: "dns", Service: "route53", Operation: "ListResourceRecordSets", Resources: record, Regions: r53, Plane: Control, Why: why},
		{Step: "dns", Service: "route53", Operation: "ChangeResourceRecordSets", Resources: record, Regions: r53, Plane: Control, Why: "UPSERT to " + t.DNS.Targets[t.DRRegion].DNSName + "; " + why},
		{Step: "dns", Service: "route53", Operation: "GetChange", Regions: r53, Plane: Control, Why: "until INSYNC; " + why},
	}
}

// controls are the routing controls' ARNs, primary first.
func controls(t topology.Topology) []string {
	rc := t.DNS.RoutingControls
	return []string{rc.Controls[t.PrimaryRegion], rc.Controls[t.DRRegion]}
}

func endpointRegions(t topology.Topology) []string {
	var out []string
	if rc := t.DNS.RoutingControls; rc != nil {
		for _, ep := range rc.Endpoints {
			out = append(out, ep.Region)
		}
	}
	return out
}
