package workflows

import (
	"fmt"
	"strings"
	"time"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/topology"
)

// What RegionFailover concludes from what it read: the assessment's observations and findings, what the
// approvers are told at the gate, and the checklist of the report. Nothing here calls AWS.

func healthObservation(hc topology.HealthCheck, info activities.HealthCheckInfo, err error) Observation {
	o := Observation{Resource: "health check " + hc.ID, Region: hc.Region}
	if err != nil {
		o.Observed = "unreadable: " + errMessage(err)
		return o
	}
	o.OK, o.Observed = info.Healthy, checkersObserved(info)
	if !info.Healthy && len(info.Failures) > 0 {
		o.Observed += " (" + info.Failures[0] + ")"
	}
	return o
}

// checkersObserved is what a health check's checkers report. When Route 53 calls it healthy with most of them
// failing (activities.CheckersHealthy: more than 18 % is enough), it says so, or "3/16 healthy" reads as down.
func checkersObserved(info activities.HealthCheckInfo) string {
	s := fmt.Sprintf("%d/%d checkers healthy", info.Success, info.Checkers)
	if info.Healthy && info.Success*2 <= info.Checkers {
		s += " (healthy: Route 53 needs more than 18 % of its checkers)"
	}
	return s
}

// judgeWithoutRoute53 judges a health check whose status Route 53's API did not return, from what the
// data plane shows: an HTTPS check from the probe of its region's health URL, a RECOVERY_CONTROL check
// from its routing control's state.
func judgeWithoutRoute53(t topology.Topology, hc topology.HealthCheck, o Observation, as *Assessment) Observation {
	o.Observed = "Route 53 did not answer"
	if hc.Type == topology.HealthCheckRecoveryControl {
		if as.RoutingControls == nil {
			o.Observed += "; routing control unread"
			return o
		}
		for _, c := range as.RoutingControls.States {
			if c.ARN == hc.RoutingControlARN {
				o.OK = strings.EqualFold(c.State, "On")
				o.Observed += fmt.Sprintf("; judged from routing control %s: %s", orText(c.Name, c.ARN), strings.ToUpper(c.State))
				return o
			}
		}
		o.Observed += "; routing control " + hc.RoutingControlARN + " not read"
		return o
	}
	probe := as.DR
	if hc.Region == t.PrimaryRegion {
		probe = as.Primary
	}
	o.OK = probe.Healthy
	if probe.Healthy {
		o.Observed += fmt.Sprintf("; judged from the health URL: HTTP %d", probe.HealthStatus)
	} else {
		o.Observed += "; judged from the health URL: failing"
	}
	return o
}

// route53Unanswered says that n health checks were judged without Route 53's API, and from what.
func route53Unanswered(n int, rcs *activities.RoutingControlStates) string {
	if n == 0 {
		return ""
	}
	from := "the health-URL probes"
	if rcs != nil {
		from += " and the routing-control states read via ARC cluster endpoint " + rcs.Endpoint.Region
	}
	return fmt.Sprintf("Route 53's API (its control plane, in %s) did not answer GetHealthCheckStatus for %d health check(s): they were judged from %s",
		topology.Route53ControlPlaneRegion, n, from)
}

// replicaObservation judges a table's replica in the DR region; a replica that is not ACTIVE is a finding.
func replicaObservation(table, region string, info activities.TableInfo, err error) (Observation, string) {
	o := Observation{Resource: "DynamoDB replica " + table, Region: region}
	if err != nil {
		o.Observed = "unreadable: " + errMessage(err)
	} else {
		st := info.Replicas[region]
		if st == "" {
			st = info.Status
		}
		o.OK, o.Observed = st == "ACTIVE" && info.Status == "ACTIVE", "replica "+st+", table "+info.Status
	}
	if o.OK {
		return o, ""
	}
	return o, fmt.Sprintf("%s in %s is not ACTIVE (%s): its data may be incomplete after the failover", table, region, o.Observed)
}

// readObservation is a Scan --limit 1 of a table in the DR region; a refused read is a finding.
func readObservation(table, region string, res activities.ScanResult, err error) (Observation, string) {
	o := Observation{Resource: "DynamoDB table " + table, Region: region}
	if err != nil {
		o.Observed = "Scan --limit 1 failed: " + errMessage(err)
		return o, fmt.Sprintf("%s does not answer reads in %s (%s)", table, region, errMessage(err))
	}
	o.OK, o.Observed = true, fmt.Sprintf("Scan --limit 1 read %d item(s)", res.Count)
	return o, ""
}

// rpoFromLag turns the Aurora replication lag into the RPO estimate; an unreadable or empty metric leaves
// the RPO unknown and says why.
func rpoFromLag(lag activities.MetricResult, err error, findings []string) (time.Duration, bool, []string) {
	switch {
	case err != nil:
		return 0, false, append(findings, "Aurora replication lag unreadable ("+errMessage(err)+"): RPO unknown")
	case len(lag.Points) == 0:
		return 0, false, append(findings, "no AuroraGlobalDBReplicationLag datapoints in the last 15 minutes: RPO unknown")
	}
	return time.Duration(lag.Max * float64(time.Millisecond)), true, findings
}

// primaryUpFinding warns when the primary looks healthy: a failover may not be needed.
func primaryUpFinding(as *Assessment, primaryDown int, primary string) string {
	if as.Primary.Reachable && as.Primary.Healthy && primaryDown == 0 {
		return fmt.Sprintf("the primary region %s answers and its health checks pass: make sure a failover is needed", primary)
	}
	return ""
}

func appendFinding(findings []string, f string) []string {
	if f == "" {
		return findings
	}
	return append(findings, f)
}

// failingIn counts the health checks of region that are not OK.
func failingIn(hcs []topology.HealthCheck, obs []Observation, region string) int {
	n := 0
	for i, hc := range hcs {
		if hc.Region == region && !obs[i].OK {
			n++
		}
	}
	return n
}

func countRegion(hcs []topology.HealthCheck, region string) int {
	n := 0
	for _, hc := range hcs {
		if hc.Region == region {
			n++
		}
	}
	return n
}

func rpoText(as *Assessment) string {
	if !as.RPOKnown {
		return "unknown"
	}
	return as.RPOEstimate.Round(time.Millisecond).String()
}

// needsDataLossAck: an RPO estimate over the objective, or none at all, must be accepted at the gate.
func needsDataLossAck(as *Assessment, o topology.Objectives) bool {
	return !as.RPOKnown || as.RPOEstimate > o.RPO.D()
}

// assessmentText is the assessment as the incident page and the gate summary show it.
func assessmentText(t topology.Topology, as *Assessment) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Primary %s\nDR      %s\n", as.Primary.Summary(), as.DR.Summary())
	for _, o := range as.HealthChecks {
		fmt.Fprintf(&b, "Route 53 %s (%s): %s\n", o.Resource, o.Region, o.Observed)
	}
	if r := as.Tables; r != nil {
		fmt.Fprintf(&b, "DynamoDB replicas ACTIVE in %s: %d/%d\n", t.DRRegion, r.Check(0).OK, r.Tables)
		fmt.Fprintf(&b, "DynamoDB tables readable in %s (Scan --limit 1): %d/%d\n", t.DRRegion, r.Check(1).OK, r.Tables)
	} else {
		fmt.Fprintf(&b, "DynamoDB replicas ACTIVE in %s: %d/%d\n", t.DRRegion, countOK(as.Replicas), len(as.Replicas))
	}
	if len(as.Reads) > 0 {
		fmt.Fprintf(&b, "DynamoDB tables readable in %s (Scan --limit 1): %d/%d\n", t.DRRegion, countOK(as.Reads), len(as.Reads))
	}
	if rc := as.RoutingControls; rc != nil {
		fmt.Fprintf(&b, "ARC routing controls (via cluster endpoint %s): %s\n", rc.Endpoint.Region, statesText(rc.States))
	}
	fmt.Fprintf(&b, "Aurora replication lag → RPO estimate %s (objective %s)\n", rpoText(as), t.Objectives.RPO)
	for _, fi := range as.Findings {
		fmt.Fprintf(&b, "! %s\n", fi)
	}
	return b.String()
}

func countOK(obs []Observation) int {
	n := 0
	for _, o := range obs {
		if o.OK {
			n++
		}
	}
	return n
}

// failoverGateSummary tells the approvers what was found and what approving will change.
// With modes (version dnsModes) it says how dns.mode moves traffic and warns when that needs a control
// plane hosted in the primary region.
func failoverGateSummary(t topology.Topology, as *Assessment, ackNeeded, modes bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Fail %s over from %s to %s.\n", t.ID(), t.PrimaryRegion, t.DRRegion)
	b.WriteString(assessmentText(t, as))
	b.WriteString("Approving will: ")
	switch t.Aurora.FailoverMode {
	case topology.FailoverDetachAndPromote:
		fmt.Fprintf(&b, "detach %s from %s (RemoveFromGlobalCluster)", t.Aurora.DRClusterID, t.Aurora.GlobalClusterID)
	case topology.FailoverPromoteReplica:
		fmt.Fprintf(&b, "promote read replica %s (PromoteReadReplicaDBCluster)", t.Aurora.DRClusterID)
	default:
		fmt.Fprintf(&b, "fail %s over to %s with data loss allowed (FailoverGlobalCluster)", t.Aurora.GlobalClusterID, t.Aurora.DRClusterID)
	}
	if t.Stacks.Activation == topology.ActivationCommand {
		fmt.Fprintf(&b, "; run %q", strings.Join(t.Stacks.DeployCommand, " "))
	} else {
		fmt.Fprintf(&b, "; set %s=true on %d stacks", t.Stacks.DRModeParameter, len(t.Stacks.Names))
	}
	if modes {
		fmt.Fprintf(&b, "; %s.%s", dnsPlan(t, t.DRRegion), controlPlaneWarning(t))
	} else {
		fmt.Fprintf(&b, "; point %s at %s.", t.DNS.RecordName, t.DNS.Targets[t.DRRegion].DNSName)
	}
	if ackNeeded {
		b.WriteString("\nThe RPO estimate exceeds the objective or is unknown: approve with acceptDataLoss=true.")
	}
	return b.String()
}

// failoverChecklist maps the runbook's Recovery Validation Checklist items that software can check to what
// the run observed; the others (payments, X-Ray, ...) stay with the humans.
func failoverChecklist(t topology.Topology, as *Assessment, v *VerifyResult, m *MonitorResult) []ChecklistItem {
	out := verifyItems(t, t.DRRegion, v)
	if as != nil {
		out = append(out, checkItem("Data Integrity", "No data loss beyond RPO", as.RPOKnown, as.RPOEstimate <= t.Objectives.RPO.D(),
			fmt.Sprintf("RPO estimate %s (Aurora replication lag) against %s", rpoText(as), t.Objectives.RPO)))
	}
	return append(out, monitorItems(t, t.DRRegion, m)...)
}
