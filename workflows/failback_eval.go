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
		case row.Check == checkRecord || row.Check == checkPlan:
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
	inSync, total := tablesInSync(s)
	fmt.Fprintf(&b, "DynamoDB tables in sync both ways: %d/%d\nAurora: %s\n", inSync, total, s.Aurora)
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

// Check names of the rows a failback of version failbackPartial adds: where the writer and the DR stacks
// are, and the plan's verdict when nothing is away from the primary.
const (
	checkWriter   = "aurora-writer"
	checkDRStacks = "dr-stacks"
	checkPlan     = "return-plan"
)

// Whereabouts is where a failback found things before planning, each read's answer or why it failed: a
// failover cancelled or terminated half way may have moved any of them and not the others.
type Whereabouts struct {
	Resolution  *activities.Resolution           `json:"resolution,omitempty"`
	ResolveErr  string                           `json:"resolveErr,omitempty"`
	Controls    *activities.RoutingControlStates `json:"controls,omitempty"`
	ControlsErr string                           `json:"controlsErr,omitempty"`
	Record      *activities.RecordState          `json:"record,omitempty"`
	RecordErr   string                           `json:"recordErr,omitempty"`
	Global      *activities.GlobalClusterInfo    `json:"global,omitempty"`
	GlobalErr   string                           `json:"globalErr,omitempty"`
	// Stacks and StackErrs follow the topology's DR stack names, one entry each.
	Stacks    []activities.StackInfo `json:"stacks,omitempty"`
	StackErrs []string               `json:"stackErrs,omitempty"`
}

// ReturnPlan is what a failback will move back to the primary; only these moves run after the gate.
type ReturnPlan struct {
	// DNS: traffic (resolution, routing controls or record) is not all in the primary.
	DNS bool `json:"dns"`
	// Writer: the Aurora writer or membership is not as it was; data-sync decides switchover or rebuild.
	Writer bool `json:"writer"`
	// Stacks are the DR stacks whose DR mode is not back at standby.
	Stacks []string `json:"stacks,omitempty"`
	// Decommission: the deploy command runs (activation by command, whose effect no read can show).
	Decommission bool     `json:"decommission"`
	Moves        []string `json:"moves"`
	Home         []string `json:"home"`
}

// Nothing reports a plan with no move: there is nothing to fail back.
func (p ReturnPlan) Nothing() bool {
	return !p.DNS && !p.Writer && len(p.Stacks) == 0 && !p.Decommission
}

// planReturn judges the whereabouts against the starting state (DNS answering the primary, the primary's
// cluster writing with the DR cluster a member, every DR stack at its standby value) and plans the moves
// back. A read that failed is planned as a move, since each move is idempotent and tells the operator what
// it finds; only a record aliased to neither region, or nothing at all away from home, fails a row.
func planReturn(t topology.Topology, w Whereabouts, standby func(stack string) string) (ReturnPlan, []CheckRow) {
	p := ReturnPlan{Moves: []string{}, Home: []string{}}
	move := func(needed bool, what string) {
		if needed {
			p.Moves = append(p.Moves, what)
		} else {
			p.Home = append(p.Home, what)
		}
	}
	var rows []CheckRow

	// DNS: resolution is the truth clients see; the mode's own control must agree, or it would move
	// traffic away again.
	dnsRow := CheckRow{Check: checkRecord, Resource: t.DNS.RecordName, Status: Pass, Threshold: "resolves to " + t.PrimaryRegion}
	var seen []string
	away := false
	switch {
	case w.Resolution != nil:
		seen = append(seen, "resolves to "+w.Resolution.String())
		away = w.Resolution.Region != t.PrimaryRegion
	default:
		seen, away = append(seen, "resolution unreadable: "+w.ResolveErr), true
	}
	switch t.DNS.Mode {
	case topology.DNSRoutingControl:
		dnsRow.Threshold += fmt.Sprintf("; routing controls %s ON, %s OFF", t.PrimaryRegion, t.DRRegion)
		if w.Controls != nil {
			seen = append(seen, "routing controls "+statesText(w.Controls.States))
			away = away || !w.Controls.On(t.PrimaryRegion) || w.Controls.On(t.DRRegion)
		} else {
			seen, away = append(seen, "routing controls unreadable: "+w.ControlsErr), true
		}
	case topology.DNSUpsert:
		dnsRow.Threshold += "; aliases " + t.DNS.Targets[t.PrimaryRegion].DNSName
		switch {
		case w.Record == nil:
			seen, away = append(seen, "record unreadable: "+w.RecordErr), true
		case !w.Record.Exists:
			seen = append(seen, "no record")
			dnsRow.Status, dnsRow.Reason = Fail, "the record does not exist in zone "+t.DNS.HostedZoneID
		case sameDNS(w.Record.AliasDNSName, t.DNS.Targets[t.PrimaryRegion].DNSName):
			seen = append(seen, "alias "+w.Record.AliasDNSName)
		case sameDNS(w.Record.AliasDNSName, t.DNS.Targets[t.DRRegion].DNSName):
			seen, away = append(seen, "alias "+w.Record.AliasDNSName), true
		default:
			seen = append(seen, "alias "+w.Record.AliasDNSName)
			dnsRow.Status = Fail
			dnsRow.Reason = fmt.Sprintf("%s points at %s, which is neither region's endpoint; fix the record or the topology first", t.DNS.RecordName, w.Record.AliasDNSName)
		}
	}
	dnsRow.Observed = strings.Join(seen, "; ")
	p.DNS = away
	move(away, fmt.Sprintf("DNS: %s (%s)", t.DNS.RecordName, dnsRow.Observed))
	rows = append(rows, dnsRow)

	// The writer: home is the primary's cluster writing, nothing in flight, and the DR cluster a member.
	wRow := CheckRow{Check: checkWriter, Resource: t.Aurora.GlobalClusterID, Status: Pass,
		Threshold: fmt.Sprintf("%s writes, %s a member, no failover in flight", t.Aurora.PrimaryClusterID, t.Aurora.DRClusterID)}
	if w.Global == nil {
		wRow.Observed, p.Writer = "unreadable: "+w.GlobalErr, true
	} else {
		g := *w.Global
		members := make([]string, 0, len(g.Members))
		for _, m := range g.Members {
			members = append(members, m.ClusterID)
		}
		wRow.Observed = fmt.Sprintf("writer %s; members %s", writerName(g), strings.Join(members, ", "))
		if g.FailoverStatus != "" {
			wRow.Observed += fmt.Sprintf("; %s to %s", g.FailoverStatus, orText(g.FailoverTo, "an unknown cluster"))
		}
		path, _ := auroraPath(t, g)
		p.Writer = path != AuroraAlreadyPrimary
	}
	move(p.Writer, "Aurora: "+wRow.Observed)
	rows = append(rows, wRow)

	// The DR stacks: each back at its standby value (what it had before, or "false").
	if t.Stacks.Activation == topology.ActivationCommand {
		p.Decommission = true
		move(true, fmt.Sprintf("DR stacks: the deploy command with %s=false (activation by command)", t.Stacks.DRModeParameter))
	} else if len(t.Stacks.Names) > 0 {
		sRow := CheckRow{Check: checkDRStacks, Resource: t.DRRegion, Status: Pass, Threshold: t.Stacks.DRModeParameter + " at standby"}
		var obs []string
		for i, name := range t.Stacks.Names {
			var st activities.StackInfo
			var errText string
			if i < len(w.Stacks) {
				st = w.Stacks[i]
			}
			if i < len(w.StackErrs) {
				errText = w.StackErrs[i]
			}
			switch v, ok := st.Parameters[t.Stacks.DRModeParameter]; {
			case errText != "":
				obs, p.Stacks = append(obs, name+" unreadable: "+errText), append(p.Stacks, name)
			case !st.Exists:
				// A missing DR stack serves nothing, so there is nothing of it to scale down.
				obs = append(obs, name+" missing")
			case !ok || v != standby(name) || !strings.HasSuffix(st.Status, "_COMPLETE"):
				obs, p.Stacks = append(obs, fmt.Sprintf("%s %s=%s (%s)", name, t.Stacks.DRModeParameter, orText(v, "unset"), st.Status)), append(p.Stacks, name)
			default:
				obs = append(obs, fmt.Sprintf("%s %s=%s", name, t.Stacks.DRModeParameter, v))
			}
		}
		sRow.Observed = strings.Join(obs, ", ")
		move(len(p.Stacks) > 0, "DR stacks: "+sRow.Observed)
		rows = append(rows, sRow)
	}

	if p.Nothing() {
		rows = append(rows, CheckRow{Check: checkPlan, Resource: t.ID(), Status: Fail, Threshold: "something away from " + t.PrimaryRegion, Observed: "nothing away",
			Reason: fmt.Sprintf("no failover has happened, or none of it is left to undo: %s", strings.Join(p.Home, "; "))})
	}
	return p, rows
}

// returnGateSummary tells the approvers where things are and the moves approving will make, and only those.
func returnGateSummary(t topology.Topology, rep *FailbackReport, decommission []string) string {
	s, p := rep.Sync, rep.Plan
	var b strings.Builder
	fmt.Fprintf(&b, "Fail %s back from %s to %s.\n", t.ID(), t.DRRegion, t.PrimaryRegion)
	for _, row := range rep.Precheck {
		fmt.Fprintf(&b, "%s %s: %s\n", row.Check, row.Resource, row.Observed)
	}
	inSync, total := tablesInSync(s)
	fmt.Fprintf(&b, "DynamoDB tables in sync both ways: %d/%d\nAurora: %s\n", inSync, total, s.Aurora)
	if len(p.Home) > 0 {
		fmt.Fprintf(&b, "Already home, left alone: %s\n", strings.Join(p.Home, "; "))
	}
	b.WriteString("Approving will: ")
	if rep.AuroraPath == AuroraSwitchover {
		fmt.Fprintf(&b, "switch %s over to %s (SwitchoverGlobalCluster, no data loss; writes pause while the roles change); ", t.Aurora.GlobalClusterID, t.Aurora.PrimaryClusterID)
	}
	if p.DNS {
		fmt.Fprintf(&b, "%s; ", dnsPlan(t, t.PrimaryRegion))
	}
	b.WriteString("verify and monitor " + t.PrimaryRegion + "; ")
	switch {
	case p.Decommission:
		fmt.Fprintf(&b, "run %q. ", strings.Join(decommission, " "))
	case len(p.Stacks) > 0:
		fmt.Fprintf(&b, "set %s back to standby on %s in %s. ", t.Stacks.DRModeParameter, strings.Join(p.Stacks, ", "), t.DRRegion)
	}
	b.WriteString("Replication stays on.")
	return b.String()
}
