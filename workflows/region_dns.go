package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/topology"
)

// The DNS step per dns.mode. Route 53's API is its control plane, hosted in us-east-1; resolution and the
// health checkers are its data plane and keep answering while us-east-1 is out. routing-control moves
// traffic through ARC's cluster (a data plane with five regional endpoints), failover-records lets the
// health checks move it, and upsert changes the record through the control plane.

// defaultDNSWait is how long resolution may take to answer the region once traffic should move: Route 53
// fails a health check after about three 30-second intervals, then the record's TTL runs out.
const defaultDNSWait = 5 * time.Minute

// dns moves traffic to the region as dns.mode says. Runs recorded before version dnsModes UPSERT.
func (s *regionSteps) dns(ctx workflow.Context) error {
	if !s.modes {
		return s.upsert(ctx, false)
	}
	switch s.t.DNS.Mode {
	case topology.DNSRoutingControl:
		return s.routingControl(ctx)
	case topology.DNSFailoverRecords:
		return s.followHealth(ctx)
	}
	return s.upsert(ctx, true)
}

// routingControl turns the region's routing control ON and the other's OFF, then waits until resolution
// answers the region: the records' RECOVERY_CONTROL health checks follow the controls.
func (s *regionSteps) routingControl(ctx workflow.Context) error {
	t, r, to, from := s.t, s.r, s.to.Region, otherRegion(s.t, s.to.Region)
	rc := t.DNS.RoutingControls
	in := activities.SetRoutingControlsInput{Endpoints: rc.Endpoints,
		On: activities.RoutingControl{Region: to, ARN: rc.Controls[to]}, Off: activities.RoutingControl{Region: from, ARN: rc.Controls[from]}}
	var res activities.SetRoutingControlsResult
	c := mutateCtx(ctx, fmt.Sprintf("ARC: turn %s ON, %s OFF via cluster endpoint %s (first that answers)", to, from, topology.EndpointRegions(in.Endpoints, " | ")))
	if err := workflow.ExecuteActivity(c, a.SetRoutingControls, in).Get(c, &res); err != nil {
		return err
	}
	moved := fmt.Sprintf("routing controls %s ON, %s OFF already in place (read via cluster endpoint %s)", to, from, res.Endpoint.Region)
	if !res.AlreadyInPlace {
		moved = fmt.Sprintf("routing controls %s ON, %s OFF via cluster endpoint %s", to, from, res.Endpoint.Region)
		r.action(fmt.Sprintf("route53-recovery-cluster UpdateRoutingControlStates via endpoint %s: %s ON, %s OFF (was %s)",
			res.Endpoint.Region, to, from, statesText(res.Before)))
	}
	if len(res.Unanswered) > 0 {
		moved += fmt.Sprintf(" (%d endpoint(s) did not answer: %s)", len(res.Unanswered), strings.Join(res.Unanswered, "; "))
	}
	r.detail("dns", "%s; waiting until %s resolves to %s", moved, t.DNS.RecordName, to)
	st, err := s.awaitResolution(ctx)
	if err != nil {
		if last, ok := notMoved(err); ok {
			return fmt.Errorf("%s, but %s %s still resolves to %s after %s: the records' RECOVERY_CONTROL health checks have not moved it; check them, then retry to wait again, or abort",
				moved, t.DNS.RecordName, t.DNS.RecordType, last, s.within())
		}
		return err
	}
	r.detail("dns", "%s; %s resolves to %s: %s", moved, t.DNS.RecordName, st.Region, st.Reason)
	return nil
}

// followHealth writes nothing: it waits until the failover records' health checks have moved resolution
// to the region. Traffic that does not move is a partial failure (the other region still passes its
// check), which only an operator can resolve.
func (s *regionSteps) followHealth(ctx workflow.Context) error {
	t, r := s.t, s.r
	r.detail("dns", "no DNS write (failover-records): waiting until %s resolves to %s", t.DNS.RecordName, s.to.Region)
	st, err := s.awaitResolution(ctx)
	if err != nil {
		if last, ok := notMoved(err); ok {
			return errors.New(stillServed(t, s.to.Region, last, s.within()))
		}
		return err
	}
	r.detail("dns", "no DNS write (failover-records): %s resolves to %s: %s", t.DNS.RecordName, st.Region, st.Reason)
	return nil
}

func (s *regionSteps) within() time.Duration {
	if s.dnsWait > 0 {
		return s.dnsWait
	}
	return defaultDNSWait
}

// awaitResolution waits, heartbeating each answer and its reason, until resolution answers the region.
func (s *regionSteps) awaitResolution(ctx workflow.Context) (activities.ResolutionState, error) {
	t := s.t
	in := activities.ResolutionWait{ResolveQuery: resolveQuery(t), Want: s.to.Region, Within: s.within()}
	w := waitHB(ctx, fmt.Sprintf("Wait until %s %s resolves to %s", t.DNS.RecordName, t.DNS.RecordType, s.to.Region), in.Within+2*time.Minute, s.heartbeat)
	var st activities.ResolutionState
	err := workflow.ExecuteActivity(w, a.WaitResolution, in).Get(w, &st)
	return st, err
}

// controlPlane explains an UPSERT that Route 53's control plane did not answer: what the change needs and
// the ways out. Other errors, and every error without explain, are returned as they are.
func (s *regionSteps) controlPlane(ctx workflow.Context, err error, explain bool) error {
	if !explain || ctx.Err() != nil || !controlPlaneDown(err) {
		return err
	}
	return errors.New(controlPlaneMessage(s.t, errMessage(err)))
}

// controlPlaneDown: the Route 53 call got no answer after its retries, or timed out.
func controlPlaneDown(err error) bool {
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) {
		return ae.Type() == activities.ErrControlPlaneUnreachable
	}
	var te *temporal.TimeoutError
	return errors.As(err, &te)
}

// notMoved is the last answer of a resolution wait that ran out of time.
func notMoved(err error) (activities.Resolution, bool) {
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) || ae.Type() != activities.ErrResolutionNotMoved {
		return activities.Resolution{}, false
	}
	var last activities.Resolution
	if ae.HasDetails() {
		_ = ae.Details(&last)
	}
	return last, true
}

// resolveQuery asks where the API's record resolves, with each region's alias target to tell a DNS
// answer's region.
func resolveQuery(t topology.Topology) activities.ResolveQuery {
	q := activities.ResolveQuery{Name: t.DNS.RecordName, Type: t.DNS.RecordType}
	for _, r := range t.Regions() {
		q.Targets = append(q.Targets, activities.RegionTarget{Region: r, DNSName: t.DNS.Targets[r].DNSName})
	}
	return q
}

// routingControlsInput reads every region's routing control, primary first.
func routingControlsInput(t topology.Topology) activities.RoutingControlsInput {
	rc := t.DNS.RoutingControls
	in := activities.RoutingControlsInput{Endpoints: rc.Endpoints}
	for _, r := range t.Regions() {
		in.Controls = append(in.Controls, activities.RoutingControl{Region: r, ARN: rc.Controls[r]})
	}
	return in
}

// readControls starts GetRoutingControlStates: the activity tries the cluster's endpoints in turn, so one
// activity answers whichever regions are out.
func readControls(ctx workflow.Context, t topology.Topology) workflow.Future {
	in := routingControlsInput(t)
	c := describeCtx(ctx, "ARC: read the routing controls via cluster endpoint "+topology.EndpointRegions(in.Endpoints, " | ")+" (first that answers)")
	return workflow.ExecuteActivity(c, a.GetRoutingControlStates, in)
}

func statesText(st []activities.ControlState) string {
	parts := make([]string, len(st))
	for i, c := range st {
		parts[i] = fmt.Sprintf("%s %s", c.Region, strings.ToUpper(c.State))
	}
	return strings.Join(parts, ", ")
}

// otherRegion is the region traffic leaves when it moves into region.
func otherRegion(t topology.Topology, region string) string {
	if region == t.PrimaryRegion {
		return t.DRRegion
	}
	return t.PrimaryRegion
}

// stillServed explains a failover-records cutover that resolution did not follow.
func stillServed(t topology.Topology, to string, last activities.Resolution, within time.Duration) string {
	from := otherRegion(t, to)
	head := fmt.Sprintf("%s %s still resolves to %s after %s, not %s", t.DNS.RecordName, t.DNS.RecordType, last, within, to)
	if to == t.DRRegion {
		return head + fmt.Sprintf(": in failover-records mode nothing is written, and traffic moves to %s only when %s's health check fails; "+
			"%s still answers healthy, a partial failure. Moving traffic needs a routing control (dns.mode routing-control) or a change through "+
			"Route 53's control plane in %s (dns.mode upsert). Retry to wait again, or abort", to, from, from, topology.Route53ControlPlaneRegion)
	}
	return head + fmt.Sprintf(": in failover-records mode traffic comes back to %s only when its health check passes again; check %s's health check, then retry, or abort", to, to)
}

// controlPlaneMessage is why an UPSERT cannot go through while Route 53's control plane is out, and the
// ways out: accelerated recovery (which must be enabled before an impairment) and routing controls.
func controlPlaneMessage(t topology.Topology, cause string) string {
	return fmt.Sprintf("the UPSERT of %s needs Route 53's control plane, hosted in %s, and it does not answer (%s). Ways out: %s; or routing controls "+
		"(dns.mode routing-control), which move traffic through ARC's data plane from any regional endpoint of the cluster. Retry when Route 53 answers, or abort",
		t.DNS.RecordName, topology.Route53ControlPlaneRegion, cause, acceleratedRecoveryText(t))
}

func acceleratedRecoveryText(t topology.Topology) string {
	if t.DNS.AcceleratedRecovery {
		return fmt.Sprintf("accelerated recovery (dns.acceleratedRecovery) is on for zone %s, so record changes answer again about 60 minutes into the impairment: retry then", t.DNS.HostedZoneID)
	}
	return fmt.Sprintf("accelerated recovery (dns.acceleratedRecovery) is off for zone %s, and it must be enabled before an impairment to help", t.DNS.HostedZoneID)
}

// controlPlaneWarning warns the approvers, before they approve, when the cutover needs a control plane
// hosted in the region that failed.
func controlPlaneWarning(t topology.Topology) string {
	if !t.DependsOnPrimaryControlPlane() {
		return ""
	}
	return fmt.Sprintf("\nWARNING: dns.mode upsert changes %s through Route 53's control plane, hosted in %s, the primary region: while it is out the DNS step "+
		"pauses for an operator. %s. Routing controls (dns.mode routing-control) move traffic without it.",
		t.DNS.RecordName, topology.Route53ControlPlaneRegion, capitalize(acceleratedRecoveryText(t)))
}

// dnsPlan is what the DNS step will do to move traffic into region, for the gate summaries.
func dnsPlan(t topology.Topology, region string) string {
	switch t.DNS.Mode {
	case topology.DNSRoutingControl:
		return fmt.Sprintf("turn the ARC routing control of %s ON and %s's OFF, then wait until %s resolves to %s", region, otherRegion(t, region), t.DNS.RecordName, region)
	case topology.DNSFailoverRecords:
		return fmt.Sprintf("write no DNS change and wait until the health checks make %s resolve to %s", t.DNS.RecordName, region)
	}
	return fmt.Sprintf("point %s at %s", t.DNS.RecordName, t.DNS.Targets[region].DNSName)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
