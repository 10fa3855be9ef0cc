package awssim

import (
	"fmt"
	"slices"
	"strings"
)

// Route 53 ARC's routing-control data plane (route53-recovery-cluster), awsJson1_0 with target prefix
// ToggleCustomerAPI. A cluster answers on five regional endpoints; awssim serves them all on its one
// listener and tells them apart by the SigV4 credential scope, since ARC's code examples sign each call for
// the region of the endpoint they send it to (the API Reference's "use --region us-west-2" addresses the
// us-west-2 endpoint here). An endpoint in a region that is out fails as the region-outage fault fails
// every service there, by a refused or hung connection, not EndpointTemporarilyUnavailableException: a
// region that is down answers nothing, and that exception is what a live endpoint says when its replica
// cannot serve (inject it with an error fault for region and service route53-recovery-cluster). Clients
// must try the next endpoint on either, as ARC's examples do.
func init() {
	register(&service{
		name: "route53-recovery-cluster", target: "ToggleCustomerAPI", protocol: awsJSON{}, anyRegion: true,
		throttleCode: "ThrottlingException", throttleStatus: 429,
		ops: map[string]opFunc{
			"GetRoutingControlState":     arcGetRoutingControlState,
			"ListRoutingControls":        arcListRoutingControls,
			"UpdateRoutingControlState":  journaled(inputParam("RoutingControlArn"), arcUpdateRoutingControlState),
			"UpdateRoutingControlStates": journaled(arcEntryARNs, arcUpdateRoutingControlStates),
		},
	})
}

// arcEndpoint refuses a call signed for a region where the cluster has no endpoint. There is no such
// endpoint URL in AWS; EndpointTemporarilyUnavailableException sends a client that loops over endpoints on
// to the next one, which is the reaction awssim wants to provoke.
func arcEndpoint(s *Server, c *Call) error {
	if arcEndpointRegion(s.topo, c.Region) {
		return nil
	}
	return Errf(503, "EndpointTemporarilyUnavailableException", "awssim: the ARC cluster has no endpoint in %s; use one of its regional endpoints", c.Region)
}

func arcFind(s *Server, arn string) (*RoutingControl, error) {
	if arn == "" {
		return nil, Errf(400, "ValidationException", "1 validation error detected: Value null at 'routingControlArn' failed to satisfy constraint: Member must not be null")
	}
	rc := s.world.RoutingControls[arn]
	if rc == nil {
		return nil, Errf(404, "ResourceNotFoundException", "Routing control %s was not found", arn)
	}
	return rc, nil
}

func arcGetRoutingControlState(s *Server, c *Call) (any, error) {
	if err := arcEndpoint(s, c); err != nil {
		return nil, err
	}
	rc, err := arcFind(s, c.Input.Str("RoutingControlArn"))
	if err != nil {
		return nil, err
	}
	return arcStateOut{RoutingControlArn: rc.ARN, RoutingControlState: rc.State, RoutingControlName: rc.Name}, nil
}

func arcListRoutingControls(s *Server, c *Call) (any, error) {
	if err := arcEndpoint(s, c); err != nil {
		return nil, err
	}
	panel := c.Input.Str("ControlPanelArn")
	max, ok := c.Input.Int("MaxResults")
	if !ok {
		max = 500
	} else if max < 1 {
		return nil, Errf(400, "ValidationException", "1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1", max)
	}
	var arns []string
	for _, arn := range SortedKeys(s.world.RoutingControls) {
		if panel == "" || s.world.RoutingControls[arn].ControlPanelARN == panel {
			arns = append(arns, arn)
		}
	}
	if panel != "" && len(arns) == 0 {
		return nil, Errf(404, "ResourceNotFoundException", "Control panel %s was not found", panel)
	}
	// The token is the ARN to start from: opaque to clients, stable across calls.
	if tok := c.Input.Str("NextToken"); tok != "" {
		i := slices.Index(arns, tok)
		if i < 0 {
			return nil, Errf(400, "ValidationException", "The NextToken %q is not valid", tok)
		}
		arns = arns[i:]
	}
	out := arcListOut{RoutingControls: []arcControlOut{}}
	for i, arn := range arns {
		if int64(i) == max {
			out.NextToken = arn
			break
		}
		out.RoutingControls = append(out.RoutingControls, arcControlOf(s.world.AccountID, s.world.RoutingControls[arn]))
	}
	return out, nil
}

func arcUpdateRoutingControlState(s *Server, c *Call) (any, error) {
	e := arcEntry{ARN: c.Input.Str("RoutingControlArn"), State: c.Input.Str("RoutingControlState")}
	return arcUpdate(s, c, []arcEntry{e}, c.Input.Strings("SafetyRulesToOverride"))
}

func arcUpdateRoutingControlStates(s *Server, c *Call) (any, error) {
	var entries []arcEntry
	for _, m := range c.Input.Maps("UpdateRoutingControlStateEntries") {
		entries = append(entries, arcEntry{ARN: m.Str("RoutingControlArn"), State: m.Str("RoutingControlState")})
	}
	if len(entries) == 0 {
		return nil, Errf(400, "ValidationException", "1 validation error detected: Value at 'updateRoutingControlStateEntries' failed to satisfy constraint: Member must not be empty")
	}
	return arcUpdate(s, c, entries, c.Input.Strings("SafetyRulesToOverride"))
}

func arcEntryARNs(c *Call) string {
	var arns []string
	for _, m := range c.Input.Maps("UpdateRoutingControlStateEntries") {
		arns = append(arns, m.Str("RoutingControlArn"))
	}
	return strings.Join(arns, ",")
}

type arcEntry struct{ ARN, State string }

// arcNames are the cluster's routing control names, in ARN order.
func arcNames(w *World) []string {
	var out []string
	for _, arn := range SortedKeys(w.RoutingControls) {
		out = append(out, w.RoutingControls[arn].Name)
	}
	return out
}

// arcUpdate applies every entry or none: the safety rule is checked against the states the whole update
// leaves, so DR On and the primary Off in one UpdateRoutingControlStates passes "at least one On" where
// either call alone in the wrong order would not. A blocked update is a ConflictException whose message
// names the rule, as the ARC Developer Guide ("Overriding safety rules to reroute traffic") says, so the
// operator can pass it in SafetyRulesToOverride.
func arcUpdate(s *Server, c *Call, entries []arcEntry, override []string) (any, error) {
	if err := arcEndpoint(s, c); err != nil {
		return nil, err
	}
	after := arcStates(s.world)
	for i, e := range entries {
		if _, err := arcFind(s, e.ARN); err != nil {
			return nil, err
		}
		if e.State != arcOn && e.State != arcOff {
			field := "routingControlState"
			if len(entries) > 1 || c.Operation == "UpdateRoutingControlStates" {
				field = fmt.Sprintf("updateRoutingControlStateEntries.%d.member.routingControlState", i+1)
			}
			return nil, Errf(400, "ValidationException", "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy enum value set: [On, Off]", e.State, field)
		}
		after[e.ARN] = e.State
	}
	overridden := ""
	if rule := arcViolation(s.topo, after); rule != "" {
		if !slices.Contains(override, rule) {
			return nil, Errf(409, "ConflictException", "The update was blocked by safety rule %s: at least %d of the routing controls %s must be On. Add the rule's ARN to SafetyRulesToOverride to update anyway.",
				rule, s.topo.DNS.RoutingControls.SafetyRule.MinOn, strings.Join(arcNames(s.world), ", "))
		}
		overridden = "; safety rule " + rule + " overridden"
	}
	for _, e := range entries {
		rc := s.world.RoutingControls[e.ARN]
		from := rc.State
		rc.State = e.State
		s.record(c, rc.ARN, from != e.State, fmt.Sprintf("%s %s -> %s via the %s endpoint%s", rc.Name, from, e.State, c.Region, overridden))
	}
	// The RECOVERY_CONTROL health checks follow at once, so resolution does too.
	s.observeHealth(c.Now)
	return struct{}{}, nil
}
