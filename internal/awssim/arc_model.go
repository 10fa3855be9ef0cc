package awssim

import (
	"slices"
	"strings"

	"github.com/roadcall/dr/internal/topology"
)

// The ARC routing-control model: the cluster's routing controls (on/off switches that RECOVERY_CONTROL
// health checks follow), seeded from the topology's dns.routingControls, and its assertion safety rule.

// Routing control states as the route53-recovery-cluster API spells them (the RoutingControlState enum).
const (
	arcOn  = "On"
	arcOff = "Off"
)

type RoutingControl struct {
	ARN              string `json:"arn"`
	Name             string `json:"name"`
	ControlPanelARN  string `json:"controlPanelArn"`
	ControlPanelName string `json:"controlPanelName"`
	// Region is the region the control lets traffic flow to.
	Region string `json:"region"`
	State  string `json:"state"`
}

// seedARC creates one routing control per region: the primary's On and DR's Off, the active/standby steady
// state in which the PRIMARY record answers and failing over means DR On, then the primary Off.
func seedARC(w *World, t topology.Topology) {
	rc := t.DNS.RoutingControls
	if rc == nil {
		return
	}
	for region, arn := range rc.Controls {
		panel := arcControlPanel(rc, arn)
		state := arcOff
		if region == t.PrimaryRegion {
			state = arcOn
		}
		w.RoutingControls[arn] = &RoutingControl{ARN: arn, Name: arnLastSegment(arn), ControlPanelARN: panel,
			ControlPanelName: arcPanelName(panel), Region: region, State: state}
	}
}

// arcControlPanel is the topology's control panel, or the one a control's ARN names
// (…:controlpanel/NAME/routingcontrol/CONTROL).
func arcControlPanel(rc *topology.RoutingControls, controlARN string) string {
	if rc.ControlPanelARN != "" {
		return rc.ControlPanelARN
	}
	panel, _, _ := strings.Cut(controlARN, "/routingcontrol/")
	return panel
}

func arcPanelName(panelARN string) string {
	_, rest, _ := strings.Cut(panelARN, ":controlpanel/")
	name, _, _ := strings.Cut(rest, "/")
	return name
}

func arnLastSegment(arn string) string { return arn[strings.LastIndexAny(arn, "/:")+1:] }

// arcSafetyRuleARN names the topology's assertion rule; one given without an ARN gets one under the
// control panel, so the override parameter still has something to name.
func arcSafetyRuleARN(t topology.Topology) string {
	rc := t.DNS.RoutingControls
	if rc == nil || rc.SafetyRule == nil {
		return ""
	}
	if rc.SafetyRule.ARN != "" {
		return rc.SafetyRule.ARN
	}
	name := rc.SafetyRule.Name
	if name == "" {
		name = "min-on"
	}
	// The primary's control names the panel when the topology does not: the same rule after every reset.
	for _, r := range t.Regions() {
		if arn := rc.Controls[r]; arn != "" {
			return arcControlPanel(rc, arn) + "/safetyrule/" + name
		}
	}
	return ""
}

// arcEndpointRegion says whether the topology's ARC cluster has an endpoint in region.
func arcEndpointRegion(t topology.Topology, region string) bool {
	rc := t.DNS.RoutingControls
	return rc != nil && slices.ContainsFunc(rc.Endpoints, func(e topology.ClusterEndpoint) bool { return e.Region == region })
}

// arcViolation checks the assertion rule against the states an update would leave: at least MinOn of the
// asserted controls (all the topology's) On. It returns the rule's ARN when the update would break it.
func arcViolation(t topology.Topology, after map[string]string) string {
	rc := t.DNS.RoutingControls
	if rc == nil || rc.SafetyRule == nil {
		return ""
	}
	on := 0
	for _, arn := range rc.Controls {
		if after[arn] == arcOn {
			on++
		}
	}
	if on >= rc.SafetyRule.MinOn {
		return ""
	}
	return arcSafetyRuleARN(t)
}

// arcStates is the control ARN → state map /_sim/state shows.
func arcStates(w *World) map[string]string {
	out := map[string]string{}
	for arn, rc := range w.RoutingControls {
		out[arn] = rc.State
	}
	return out
}
