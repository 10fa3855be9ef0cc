package workflows

import (
	"fmt"
	"strings"
	"time"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/topology"
)

// What Failback concludes from what it read: the pre-check rows and whether they refuse the run, whether
// each table is in sync, which way the Aurora writer comes back, what the approvers are told, and the
// report's checklist. Nothing here calls AWS.

// decommissionArgv is the command that scales DR down in the command activation mode.
func (r *FailbackRequest) decommissionArgv() []string {
	if len(r.DecommissionCommand) > 0 {
		return r.DecommissionCommand
	}
	var out []string
	found := false
	for _, a := range r.Topology.Stacks.DeployCommand {
		if strings.Contains(a, "drMode=true") {
			a, found = strings.ReplaceAll(a, "drMode=true", "drMode=false"), true
		}
		out = append(out, a)
	}
	if !found {
		return nil
	}
	return out
}

// standbyValue is the DR-mode value a stack goes back to: what it had before the failover when the request
// records it, else "false", the standby setting.
func (r *FailbackRequest) standbyValue(stack string) string {
	if v, ok := r.RestoreDRMode[stack]; ok {
		return v
	}
	return "false"
}

// recordRow judges where the failover record points: at DR means a failover happened and there is
// something to fail back.
func recordRow(t topology.Topology, st activities.RecordState, threshold string) CheckRow {
	row := CheckRow{Check: checkRecord, Resource: t.DNS.RecordName, Threshold: threshold, Status: Fail, Observed: "alias " + st.AliasDNSName}
	switch {
	case !st.Exists:
		row.Observed, row.Reason = "no record", "the record does not exist in zone "+t.DNS.HostedZoneID
	case sameDNS(st.AliasDNSName, t.DNS.Targets[t.PrimaryRegion].DNSName):
		row.Reason = fmt.Sprintf("no failover has happened: %s already points at %s in %s", t.DNS.RecordName, st.AliasDNSName, t.PrimaryRegion)
	case sameDNS(st.AliasDNSName, t.DNS.Targets[t.DRRegion].DNSName):
		row.Status = Pass
	default:
		row.Reason = fmt.Sprintf("%s points at %s, which is neither region's endpoint; fix the record or the topology first", t.DNS.RecordName, st.AliasDNSName)
	}
	return row
}

// routingRow judges the routing controls in the pre-check: the primary ON and DR OFF means no failover
// has happened; any other state is one the failback puts right.
func routingRow(t topology.Topology, st activities.RoutingControlStates, threshold string) CheckRow {
	row := CheckRow{Check: checkRecord, Resource: "routing controls", Threshold: threshold, Status: Pass,
		Observed: fmt.Sprintf("%s (via cluster endpoint %s)", statesText(st.States), st.Endpoint.Region)}
	if st.On(t.PrimaryRegion) && !st.On(t.DRRegion) {
		row.Status = Fail
		row.Reason = fmt.Sprintf("no failover has happened: the routing control of %s is ON and that of %s OFF", t.PrimaryRegion, t.DRRegion)
	}
	return row
}

// resolutionRow is the pre-check's DNS row in failover-records mode: traffic follows the health checks,
// so it may already be back in the primary; where it resolves is reported, never a refusal.
func resolutionRow(t topology.Topology, res activities.Resolution) CheckRow {
	return CheckRow{Check: checkRecord, Resource: t.DNS.RecordName, Status: Pass, Observed: "resolves to " + res.String(),
		Threshold: "failover-records: traffic follows the health checks"}
}

// reachableRow judges the primary's probe; with a health URL, the URL must answer too.
func reachableRow(region string, r activities.Reachability, hasURL bool, threshold string) CheckRow {
	row := CheckRow{Check: checkReachable, Resource: region, Status: Pass, Observed: r.Summary(), Threshold: threshold}
	if !r.Reachable || (hasURL && !r.Healthy) {
		row.Status, row.Reason = Fail, "the primary region is still unhealthy: "+r.Summary()
	}
	return row
}

func sameDNS(a, b string) bool {
	return strings.EqualFold(strings.TrimSuffix(a, "."), strings.TrimSuffix(b, "."))
}

// refused: any failing pre-check row refuses the failback.
func refused(precheck []CheckRow) bool { return countStatus(precheck, Fail) > 0 }

// refusal says why nothing was done: "no failover" first, since then the primary's health is moot.
func refusal(t topology.Topology, precheck []CheckRow) string {
	var noFailover string
	var unhealthy []string
	for _, row := range precheck {
		switch {
		case row.Status != Fail:
		case row.Check == checkRecord:
			noFailover = row.Reason
		default:
			unhealthy = append(unhealthy, fmt.Sprintf("%s %s: %s", row.Check, row.Resource, orText(row.Reason, row.Observed)))
		}
	}
	var parts []string
	if noFailover != "" {
		parts = append(parts, noFailover)
	}
	if len(unhealthy) > 0 {
		parts = append(parts, fmt.Sprintf("the primary region %s is not ready to take traffic back (%s)", t.PrimaryRegion, strings.Join(unhealthy, "; ")))
	}
	return fmt.Sprintf("failback of %s refused, nothing was changed: %s", t.ID(), strings.Join(parts, "; and "))
}

func orText(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// tableRead is what the sync step read of one table: both regions' descriptions and the replication
// latency each way (DR→primary first).
type tableRead struct {
	Name        string
	Primary, DR activities.TableInfo
	DescribeErr error
	Latency     [2]latencyRead
}

type latencyRead struct {
	From, To string
	M        activities.MetricResult
	Err      error
}

// tableInSync judges one table: replicas ACTIVE both ways and latency under threshold each way. A table out
// of sync is returned as a problem that holds the step.
func tableInSync(tr tableRead, primary, dr string, threshold time.Duration) (Observation, string) {
	o := Observation{Resource: "DynamoDB " + tr.Name, Region: primary + "⇄" + dr, OK: true}
	var notes []string
	if tr.DescribeErr != nil {
		o.OK, notes = false, append(notes, "unreadable: "+errMessage(tr.DescribeErr))
	} else {
		inDR, inPrimary := tr.Primary.Replicas[dr], tr.DR.Replicas[primary]
		notes = append(notes, fmt.Sprintf("replica %s %s, replica %s %s", dr, orText(inDR, "missing"), primary, orText(inPrimary, "missing")))
		if tr.Primary.Status != "ACTIVE" || tr.DR.Status != "ACTIVE" || inDR != "ACTIVE" || inPrimary != "ACTIVE" {
			o.OK = false
		}
	}
	for _, l := range tr.Latency {
		if l.Err != nil {
			o.OK, notes = false, append(notes, fmt.Sprintf("latency %s→%s unreadable: %s", l.From, l.To, errMessage(l.Err)))
			continue
		}
		if len(l.M.Points) == 0 {
			// A table nobody wrote to in five minutes publishes no latency: nothing is waiting to replicate.
			notes = append(notes, fmt.Sprintf("latency %s→%s: no recent writes", l.From, l.To))
			continue
		}
		lat := time.Duration(l.M.Max * float64(time.Millisecond))
		notes = append(notes, fmt.Sprintf("latency %s→%s %s", l.From, l.To, lat.Round(time.Millisecond)))
		if lat >= threshold {
			o.OK = false
		}
	}
	o.Observed = strings.Join(notes, "; ")
	if o.OK {
		return o, ""
	}
	return o, fmt.Sprintf("%s not in sync (%s; want replicas ACTIVE both ways and latency < %s)", tr.Name, o.Observed, threshold)
}

// auroraPath reads the global database: both clusters members → switch over (or nothing, when the primary
// already writes); the DR cluster outside it (detached or promoted) → rebuild.
func auroraPath(t topology.Topology, g activities.GlobalClusterInfo) (string, string) {
	var primary, dr *activities.GlobalMember
	for i := range g.Members {
		switch g.Members[i].ClusterID {
		case t.Aurora.PrimaryClusterID:
			primary = &g.Members[i]
		case t.Aurora.DRClusterID:
			dr = &g.Members[i]
		}
	}
	switch {
	case dr == nil || primary == nil:
		missing := t.Aurora.DRClusterID
		if dr != nil {
			missing = t.Aurora.PrimaryClusterID
		}
		return AuroraRebuild, fmt.Sprintf("%s is not a member of %s (%d members): the global database must be rebuilt", missing, t.Aurora.GlobalClusterID, len(g.Members))
	case primary.IsWriter && g.FailoverStatus == "":
		return AuroraAlreadyPrimary, fmt.Sprintf("%s in %s already writes for %s", t.Aurora.PrimaryClusterID, t.PrimaryRegion, t.Aurora.GlobalClusterID)
	}
	return AuroraSwitchover, fmt.Sprintf("global database intact, writer %s; planned switchover to %s", writerName(g), t.Aurora.PrimaryClusterID)
}

func writerName(g activities.GlobalClusterInfo) string {
	if w, ok := g.Writer(); ok {
		return w.ClusterID
	}
	return "none"
}

// rpoVouched: a planned switchover (or a writer that never moved) loses nothing; a rebuild is the
// operator's work and the run cannot vouch for it.
func rpoVouched(path string) bool { return path == AuroraSwitchover || path == AuroraAlreadyPrimary }

// rebuildSummary tells the approvers of the rebuild gate what the run does and what they must do.
func rebuildSummary(t topology.Topology, aurora, snapshotID string) string {
	return fmt.Sprintf(`%s. Approving takes snapshot %s of %s in %s, then waits until %s in %s writes for global database %s again.
Meanwhile rebuild it (AWS cannot re-attach a cluster that holds data to a global database):
1. RemoveFromGlobalCluster %s (its writes since the outage are kept: snapshot it), then rename it (ModifyDBCluster --new-db-cluster-identifier) or delete it;
2. delete the emptied global cluster and CreateGlobalCluster --global-cluster-identifier %s --source-db-cluster-identifier <ARN of %s>;
3. CreateDBCluster %s --global-cluster-identifier %s in %s, plus CreateDBInstance;
4. when its lag is near zero, SwitchoverGlobalCluster to it (RPO 0).
Reject to stop here with nothing changed.`,
		aurora, snapshotID, t.Aurora.DRClusterID, t.DRRegion, t.Aurora.PrimaryClusterID, t.PrimaryRegion, t.Aurora.GlobalClusterID,
		t.Aurora.PrimaryClusterID, t.Aurora.GlobalClusterID, t.Aurora.DRClusterID, t.Aurora.PrimaryClusterID, t.Aurora.GlobalClusterID, t.PrimaryRegion)
}

// failbackGateSummary tells the approvers what the pre-check and the sync found and what approving will do.
// With modes (version dnsModes) it says how dns.mode moves traffic back.
func failbackGateSummary(t topology.Topology, rep *FailbackReport, decommission []string, modes bool) string {
	s := rep.Sync
	var b strings.Builder
	fmt.Fprintf(&b, "Fail %s back from %s to %s.\n", t.ID(), t.DRRegion, t.PrimaryRegion)
	for _, row := range rep.Precheck {
		fmt.Fprintf(&b, "%s %s: %s\n", row.Check, row.Resource, row.Observed)
	}
	fmt.Fprintf(&b, "DynamoDB tables in sync both ways: %d/%d\nAurora: %s\n", countOK(s.Tables), len(s.Tables), s.Aurora)
	b.WriteString("Approving will: ")
	if rep.AuroraPath == AuroraSwitchover {
		fmt.Fprintf(&b, "switch %s over to %s (SwitchoverGlobalCluster, no data loss; writes pause while the roles change); ", t.Aurora.GlobalClusterID, t.Aurora.PrimaryClusterID)
	}
	if modes {
		fmt.Fprintf(&b, "%s; ", dnsPlan(t, t.PrimaryRegion))
	} else {
		fmt.Fprintf(&b, "point %s at %s; ", t.DNS.RecordName, t.DNS.Targets[t.PrimaryRegion].DNSName)
	}
	if t.Stacks.Activation == topology.ActivationCommand {
		fmt.Fprintf(&b, "run %q. ", strings.Join(decommission, " "))
	} else {
		fmt.Fprintf(&b, "set %s back to standby on %d stacks in %s. ", t.Stacks.DRModeParameter, len(t.Stacks.Names), t.DRRegion)
	}
	b.WriteString("Replication stays on.")
	return b.String()
}

// failbackChecklist is the checklist of verifying and watching the primary, plus no data loss when the
// writer's path vouches for it.
func failbackChecklist(t topology.Topology, path string, v *VerifyResult, m *MonitorResult) []ChecklistItem {
	out := append(verifyItems(t, t.PrimaryRegion, v), monitorItems(t, t.PrimaryRegion, m)...)
	if rpoVouched(path) {
		out = append(out, ChecklistItem{Section: "Data Integrity", Item: "No data loss beyond RPO", Status: Pass,
			Evidence: fmt.Sprintf("Aurora %s: RPO 0 against %s", path, t.Objectives.RPO.D())})
	}
	return out
}
