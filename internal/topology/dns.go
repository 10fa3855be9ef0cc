package topology

import (
	"fmt"
	"slices"
	"strings"
)

// validateDNSMode checks what the chosen DNS mode needs, so a topology that could not fail over is refused
// before any AWS call rather than at the cutover.
func (t Topology) validateDNSMode() Errors {
	var es Errors
	add := func(field, problem, fix string) { es = append(es, FieldError{field, problem, fix}) }
	d := t.DNS
	switch d.Mode {
	case DNSRoutingControl, DNSFailoverRecords, DNSUpsert:
	default:
		add("dns.mode", fmt.Sprintf("unknown DNS mode %q", d.Mode),
			fmt.Sprintf("use %q (ARC, data plane), %q (health checks, data plane) or %q (Route 53 control plane)", DNSRoutingControl, DNSFailoverRecords, DNSUpsert))
		return es
	}
	hcIDs := map[string]HealthCheck{}
	for _, hc := range t.HealthChecks {
		hcIDs[hc.ID] = hc
	}
	roles := map[string]string{t.PrimaryRegion: "PRIMARY", t.DRRegion: "SECONDARY"}
	for _, r := range t.Regions() {
		rec, ok := d.Records[r]
		field := "dns.records." + r
		if !ok {
			if d.Mode != DNSUpsert {
				add(field, "is missing", fmt.Sprintf("give the %s failover record of %s (setIdentifier, failover %q, healthCheckId): mode %s moves traffic by the records' health checks", roles[r], r, roles[r], d.Mode))
			}
			continue
		}
		if rec.SetIdentifier == "" {
			add(field+".setIdentifier", "is missing", "give the record's set identifier, e.g. \"DR-Region\"")
		}
		if rec.Failover != roles[r] {
			add(field+".failover", fmt.Sprintf("is %q", rec.Failover), fmt.Sprintf("the %s region's record must be %s", r, roles[r]))
		}
		hc, known := hcIDs[rec.HealthCheckID]
		switch {
		case rec.HealthCheckID == "":
			add(field+".healthCheckId", "is missing", "bind the record to a health check listed in healthChecks")
		case !known:
			add(field+".healthCheckId", fmt.Sprintf("%q is not in healthChecks", rec.HealthCheckID), "list the health check in healthChecks")
		case d.Mode == DNSRoutingControl && hc.Type != HealthCheckRecoveryControl:
			add(field+".healthCheckId", fmt.Sprintf("%q is a %s health check", rec.HealthCheckID, hc.Type),
				"in routing-control mode bind the record to the RECOVERY_CONTROL health check of the region's routing control")
		}
	}
	rc := d.RoutingControls
	if d.Mode != DNSRoutingControl {
		return es
	}
	if rc == nil {
		add("dns.routingControls", "is missing while dns.mode is routing-control", "give the ARC cluster (clusterArn, endpoints, controls), or choose dns.mode failover-records or upsert")
		return es
	}
	if !strings.HasPrefix(rc.ClusterARN, "arn:") {
		add("dns.routingControls.clusterArn", fmt.Sprintf("%q is not an ARN", rc.ClusterARN), "give the ARC cluster's ARN")
	}
	if len(rc.Endpoints) == 0 {
		add("dns.routingControls.endpoints", "is empty", "list the cluster's regional endpoints (ARC gives five); the failover tries them in turn")
	}
	for i, ep := range rc.Endpoints {
		if !regionRE.MatchString(ep.Region) {
			add(fmt.Sprintf("dns.routingControls.endpoints[%d].region", i), fmt.Sprintf("%q is not a region", ep.Region), "give the endpoint's region, e.g. \"us-west-2\"")
		}
		if ep.Endpoint != "" && !strings.HasPrefix(ep.Endpoint, "https://") && !strings.HasPrefix(ep.Endpoint, "http://") {
			add(fmt.Sprintf("dns.routingControls.endpoints[%d].endpoint", i), fmt.Sprintf("%q is not a URL", ep.Endpoint), "give the endpoint URL ARC lists for the cluster, or leave it out")
		}
	}
	for _, r := range t.Regions() {
		if arn := rc.Controls[r]; !strings.HasPrefix(arn, "arn:") {
			add("dns.routingControls.controls."+r, "has no routing control ARN", "give the ARN of the routing control that sends traffic to "+r)
		}
	}
	var controls []string
	for _, r := range t.Regions() {
		controls = append(controls, rc.Controls[r])
	}
	for i, hc := range t.HealthChecks {
		if hc.Type == HealthCheckRecoveryControl && !slices.Contains(controls, hc.RoutingControlARN) {
			add(fmt.Sprintf("healthChecks[%d].routingControlArn", i), fmt.Sprintf("%q is not one of dns.routingControls.controls", hc.RoutingControlARN), "bind the health check to a routing control of the cluster")
		}
	}
	if sr := rc.SafetyRule; sr != nil && (sr.MinOn < 1 || sr.MinOn > len(rc.Controls)) {
		add("dns.routingControls.safetyRule.minOn", fmt.Sprintf("is %d", sr.MinOn), fmt.Sprintf("give 1 to %d: how many of the controls must stay ON", len(rc.Controls)))
	}
	return es
}

// DependsOnPrimaryControlPlane says whether the failover's DNS cutover needs a control plane hosted in the
// primary region: Route 53's lives in us-east-1, so upsert with a us-east-1 primary fails over only while
// the region that failed still answers.
func (t Topology) DependsOnPrimaryControlPlane() bool {
	return t.DNS.Mode == DNSUpsert && t.PrimaryRegion == Route53ControlPlaneRegion
}

// Route53ControlPlaneRegion hosts Route 53's control plane: every Route 53 API call.
const Route53ControlPlaneRegion = "us-east-1"

// ClusterEndpoints are the ARC cluster's endpoints, none when the topology has no routing controls.
func (t Topology) ClusterEndpoints() []ClusterEndpoint {
	if t.DNS.RoutingControls == nil {
		return nil
	}
	return t.DNS.RoutingControls.Endpoints
}
