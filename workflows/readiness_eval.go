package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/topology"
)

// How ReadinessCheck grades what it read: thresholds, stack states, the overall verdict and the alarm.
// Failback's pre-check grades the primary's stacks by the same rule.

// grade compares an observed duration with a warning threshold and the RPO.
func grade(observed, warn, rpo time.Duration) string {
	switch {
	case observed >= rpo:
		return Fail
	case observed >= warn:
		return Warn
	}
	return Pass
}

// stackUsable is whether a CloudFormation stack status is one a failover or a failback can build on: a
// completed create or update, not a rollback and not a deletion.
func stackUsable(status string) bool {
	return strings.HasSuffix(status, "_COMPLETE") && !strings.Contains(status, "ROLLBACK") && !strings.Contains(status, "DELETE")
}

// stackRow grades a stack by stackUsable; missing and unusable say why in the check's own words.
func stackRow(check, resource string, st activities.StackInfo, missing, unusable string) CheckRow {
	switch {
	case !st.Exists:
		return CheckRow{check, resource, Fail, "missing", "*_COMPLETE", missing}
	case !stackUsable(st.Status):
		return CheckRow{check, resource, Fail, st.Status, "*_COMPLETE", unusable}
	}
	return CheckRow{Check: check, Resource: resource, Status: Pass, Observed: st.Status, Threshold: "*_COMPLETE"}
}

// countStatus counts the rows with status.
func countStatus(rows []CheckRow, status string) int {
	n := 0
	for _, row := range rows {
		if row.Status == status {
			n++
		}
	}
	return n
}

// tally counts the rows by status, any status that is neither pass nor warn counting as a failure, and
// grades the whole: fail when one row fails, else warn when one warns.
func tally(rows []CheckRow) (pass, warn, fail int, overall string) {
	for _, row := range rows {
		switch row.Status {
		case Pass:
			pass++
		case Warn:
			warn++
		default:
			fail++
		}
	}
	overall = Pass
	if warn > 0 {
		overall = Warn
	}
	if fail > 0 {
		overall = Fail
	}
	return pass, warn, fail, overall
}

// alarmText is the alarm's message: one line per failing row with what to look at.
func alarmText(failing []CheckRow) string {
	var b strings.Builder
	for _, row := range failing {
		fmt.Fprintf(&b, "- %s %s: observed %s, threshold %s. %s\n", row.Check, row.Resource, row.Observed, row.Threshold, row.Reason)
	}
	return b.String()
}

// healthStatusRow grades a health check that must be healthy: what Route 53's checkers see.
func healthStatusRow(id, region string, h healthRead) CheckRow {
	const check = "route53-health-check"
	res := fmt.Sprintf("%s (%s)", id, region)
	if h.Err != nil {
		return errRow(check, res, "healthy", h.Err)
	}
	obs := checkersObserved(h.Info)
	if !h.Info.Healthy {
		return CheckRow{check, res, Fail, obs, "healthy", strings.Join(h.Info.Failures, "; ")}
	}
	return CheckRow{Check: check, Resource: res, Status: Pass, Observed: obs, Threshold: "healthy"}
}

// healthRow grades one of the topology's health checks for readiness. A RECOVERY_CONTROL check is healthy
// exactly while its routing control is On, so in the steady state the primary's is healthy and the DR
// region's is not: that is what it must show, not "healthy" for both.
func healthRow(hc topology.HealthCheck, primary string, h healthRead) CheckRow {
	if hc.Type != topology.HealthCheckRecoveryControl {
		return healthStatusRow(hc.ID, hc.Region, h)
	}
	const check = "route53-health-check"
	res := fmt.Sprintf("%s (%s)", hc.ID, hc.Region)
	want, threshold := hc.Region == primary, "healthy (routing control On)"
	if !want {
		threshold = "unhealthy (routing control Off until a failover)"
	}
	if h.Err != nil {
		return errRow(check, res, threshold, h.Err)
	}
	obs := fmt.Sprintf("%d/%d checkers healthy", h.Info.Success, h.Info.Checkers)
	if h.Info.Healthy == want {
		return CheckRow{Check: check, Resource: res, Status: Pass, Observed: obs, Threshold: threshold}
	}
	if want {
		return CheckRow{check, res, Fail, obs, threshold, "the primary's routing control is Off: its failover record does not answer"}
	}
	return CheckRow{check, res, Fail, obs, threshold, "the DR region's routing control is On: traffic may already be going to " + hc.Region}
}

// checkStaticStability names the rows that say whether the failover can run without the primary region.
const checkStaticStability = "static-stability"

// staticStabilityRows are the static-stability rows: the DNS mode and what it depends on, the routing
// controls (rc is nil when the mode has none), and the health check of each failover record, graded from
// the health-check reads (health, in topology order).
func staticStabilityRows(t topology.Topology, rc *routingControlRead, health []healthRead) []CheckRow {
	rows := []CheckRow{dnsModeRow(t)}
	if rc != nil {
		rows = append(rows, routingControlRow(t, *rc))
	}
	for _, r := range t.Regions() {
		rec, ok := t.DNS.Records[r]
		if !ok {
			continue
		}
		h := healthRead{Err: fmt.Errorf("health check %s is not in healthChecks", rec.HealthCheckID)}
		for i, hc := range t.HealthChecks {
			if hc.ID == rec.HealthCheckID && i < len(health) {
				h = health[i]
			}
		}
		rows = append(rows, recordHealthRow(r, rec, h))
	}
	return rows
}

// dnsModeRow says how the cutover moves traffic and whether that needs a control plane hosted in the
// primary region: upsert with a us-east-1 primary does (Route 53's control plane lives there), which warns,
// or fails when the topology requires static stability.
func dnsModeRow(t topology.Topology) CheckRow {
	d := t.DNS
	row := CheckRow{Check: checkStaticStability, Resource: "dns.mode " + d.Mode, Status: Pass,
		Threshold: "no " + t.PrimaryRegion + " control plane on the failover path"}
	switch d.Mode {
	case topology.DNSRoutingControl:
		row.Observed = "ARC routing controls (data plane) through any of " + topology.EndpointRegions(rcEndpoints(d), ", ")
		if onlyIn(rcEndpoints(d), t.PrimaryRegion) {
			row.Status, row.Reason = Fail, "every ARC endpoint listed is in "+t.PrimaryRegion+": list the cluster's other regional endpoints so the failover can reach one"
		}
	case topology.DNSFailoverRecords:
		row.Observed = "failover records follow their health checks (data plane); no write"
	case topology.DNSUpsert:
		row.Observed = "Route 53 ChangeResourceRecordSets + GetChange (control plane, " + topology.Route53ControlPlaneRegion + ")"
		if !t.DependsOnPrimaryControlPlane() {
			break
		}
		row.Status = Warn
		if t.RequireStaticStability {
			row.Status, row.Threshold = Fail, row.Threshold+" (requireStaticStability)"
		}
		row.Reason = "the cutover needs Route 53's control plane, which lives in " + topology.Route53ControlPlaneRegion +
			", the primary region: in the outage the failover exists for, the DNS step waits for an operator. "
		if d.AcceleratedRecovery {
			row.Reason += "Accelerated recovery is on for the zone: record changes come back about 60 minutes into the impairment. "
		} else {
			row.Reason += "Accelerated recovery, enabled on the zone beforehand, brings record changes back about 60 minutes in. "
		}
		row.Reason += "Choose dns.mode routing-control (ARC) or failover-records to fail over through the data plane"
	default:
		row.Status, row.Observed, row.Reason = Fail, "unknown", "dns.mode is not one the failover knows"
	}
	return row
}

// routingControlRow grades the routing controls against the steady state: the primary On, DR Off. An
// endpoint that did not answer is a warning (the failover tries the next), none answering a failure.
func routingControlRow(t topology.Topology, rc routingControlRead) CheckRow {
	p, dr := t.PrimaryRegion, t.DRRegion
	threshold := p + " On, " + dr + " Off"
	res := "routing controls (" + topology.EndpointRegions(rcEndpoints(t.DNS), ", ") + ")"
	if rc.Err != nil {
		row := errRow(checkStaticStability, res, threshold, rc.Err)
		row.Reason = "no endpoint of the ARC cluster answered, so the failover could not move traffic: " + row.Reason
		return row
	}
	ps, ds := rc.States[p], rc.States[dr]
	row := CheckRow{Check: checkStaticStability, Resource: res, Status: Pass, Threshold: threshold,
		Observed: fmt.Sprintf("%s %s, %s %s (read through %s)", p, orNone(ps), dr, orNone(ds), rc.Endpoint)}
	on := func(s string) bool { return strings.EqualFold(s, "On") }
	off := func(s string) bool { return strings.EqualFold(s, "Off") }
	switch {
	case on(ps) && off(ds):
		if n := len(rc.Skipped); n > 0 {
			row.Status, row.Reason = Warn, fmt.Sprintf("%d endpoint(s) did not answer before %s: %s", n, rc.Endpoint, strings.Join(rc.Skipped, "; "))
		}
	case off(ps) && on(ds):
		row.Status, row.Reason = Fail, "traffic is routed to "+dr+": a failover happened and was not failed back"
	case on(ps) && on(ds):
		row.Status, row.Reason = Warn, "both routing controls are On: not the steady state, though a failover would still turn "+p+" Off"
	case off(ps) && off(ds):
		row.Status, row.Reason = Fail, "no routing control is On: neither failover record answers as healthy"
	default:
		row.Status, row.Reason = Fail, "a routing control's state is missing: check dns.routingControls.controls against the cluster"
	}
	return row
}

// recordHealthRow checks that a failover record's health check exists. When Route 53's control plane does
// not answer, the row says so as a warning: the records and their health checkers are data plane and keep
// working, and the failover does not read them.
func recordHealthRow(region string, rec topology.FailoverRecord, h healthRead) CheckRow {
	res := fmt.Sprintf("%s record %s (%s) → %s", rec.Failover, rec.SetIdentifier, region, rec.HealthCheckID)
	const threshold = "health check exists"
	switch {
	case h.Err == nil:
		return CheckRow{Check: checkStaticStability, Resource: res, Status: Pass, Threshold: threshold,
			Observed: fmt.Sprintf("exists, %d/%d checkers healthy", h.Info.Success, h.Info.Checkers)}
	case errType(h.Err) == "NoSuchHealthCheck":
		return CheckRow{checkStaticStability, res, Fail, "missing", threshold,
			"the record's health check does not exist: Route 53 cannot move traffic by it; create it or fix healthCheckId"}
	case controlPlaneUnreachable(h.Err):
		return CheckRow{checkStaticStability, res, Warn, "not verified", threshold,
			"Route 53's control plane (" + topology.Route53ControlPlaneRegion + ") did not answer GetHealthCheckStatus: " + errMessage(h.Err) +
				". Resolution and the health checkers are data plane and keep working"}
	}
	return errRow(checkStaticStability, res, threshold, h.Err)
}

// controlPlaneUnreachable: the call got no answer (a network error, a server fault or a timeout), as when
// the region hosting the control plane is out; an AWS refusal such as AccessDenied is an answer.
func controlPlaneUnreachable(err error) bool {
	var te *temporal.TimeoutError
	if errors.As(err, &te) {
		return true
	}
	switch errType(err) {
	case "NetworkError", "ServiceUnavailable", "InternalFailure", "InternalError", "RequestTimeout":
		return true
	}
	return false
}

// errType is the application error's type (the AWS error code, as the activities classify it), or "".
func errType(err error) string {
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) {
		return ae.Type()
	}
	return ""
}

func rcEndpoints(d topology.DNS) []topology.ClusterEndpoint {
	if d.RoutingControls == nil {
		return nil
	}
	return d.RoutingControls.Endpoints
}

// onlyIn: every endpoint is in region (and there is one at least).
func onlyIn(eps []topology.ClusterEndpoint, region string) bool {
	for _, ep := range eps {
		if ep.Region != region {
			return false
		}
	}
	return len(eps) > 0
}
