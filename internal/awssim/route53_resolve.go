package awssim

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/roadcall/dr/internal/topology"
)

// Route 53's data plane: the health checkers' verdicts and DNS resolution. Neither depends on the control
// plane in us-east-1, so both answer through any outage; /_sim/dns shows what a resolver gets right now.

// Resolution is the answer Route 53 gives a query, with the record set that produced it and why.
type Resolution struct {
	Name string `json:"name"`
	Type string `json:"type"`
	// RCode is NOERROR, or NXDOMAIN when no zone or record answers the name.
	RCode string `json:"rcode"`
	// Region is the region whose endpoint the answer points at, "" when the target is not a topology region.
	Region string     `json:"region"`
	Record *RecordSet `json:"record,omitempty"`
	Reason string     `json:"reason"`
}

// observeHealth refreshes the health checkers' verdicts and the regions they see out: HTTPS checks fail
// with their region's outage, RECOVERY_CONTROL checks follow their routing control. It runs before every
// other advance hook because traffic (and so the metrics) follows the resolution these verdicts drive.
func (s *Server) observeHealth(now time.Time) {
	w := s.world
	w.RegionsOut = w.RegionsOut[:0]
	for _, f := range s.faultsOf(FaultRegionOutage) {
		if !slices.Contains(w.RegionsOut, f.Region) {
			w.RegionsOut = append(w.RegionsOut, f.Region)
		}
	}
	slices.Sort(w.RegionsOut)
	w.IsolatedCheckers = nil
	for _, hc := range w.HealthChecks {
		for _, ch := range r53Checkers {
			if s.isolationOf(hc, ch) != nil {
				if w.IsolatedCheckers == nil {
					w.IsolatedCheckers = map[string][]string{}
				}
				w.IsolatedCheckers[hc.ID] = append(w.IsolatedCheckers[hc.ID], ch.IP)
			}
		}
	}
	for _, hc := range w.HealthChecks {
		hc.Healthy, hc.Reason = w.checkHealth(hc)
	}
}

// r53Checker is one Route 53 health checker: the location it probes from and its address.
type r53Checker struct{ Region, IP string }

// r53CheckersPerRegion: GetHealthCheckStatus answers one observation per checker, and a location has several
// checkers. Two per region, 16 in all, is awssim's choice: it puts the 18 % line between whole checkers (3 of
// 16 is 18.75 %, healthy; 2 of 16 is 12.5 %, unhealthy).
const r53CheckersPerRegion = 2

// r53Checkers are every checker of r53CheckerRegions, in the order GetHealthCheckStatus lists them.
var r53Checkers = func() []r53Checker {
	var out []r53Checker
	for i, r := range r53CheckerRegions {
		for k := range r53CheckersPerRegion {
			out = append(out, r53Checker{Region: r, IP: fmt.Sprintf("15.177.%d.%d", i*8+k*2, 34+i*13)})
		}
	}
	return out
}()

// checkersHealthy is Route 53's verdict on an endpoint from its checkers' reports: "If more than 18% of
// health checkers report that an endpoint is healthy, Route 53 considers it healthy. If 18% of health
// checkers or fewer report that an endpoint is healthy, Route 53 considers it unhealthy" (Route 53
// Developer Guide, "How Amazon Route 53 determines whether a health check is healthy"). Not a majority: a
// network problem that cuts most checker locations off must not fail the endpoint over.
func checkersHealthy(healthy, total int) bool { return total > 0 && healthy*100 > total*18 }

// isolationOf is the checker-isolation fault that keeps checker ch from reaching hc's endpoint, or nil; call
// with the lock held. Checkers do not probe a RECOVERY_CONTROL check, so none isolates it.
func (s *Server) isolationOf(hc *HealthCheck, ch r53Checker) *Fault {
	if hc.Type == topology.HealthCheckRecoveryControl {
		return nil
	}
	var out *Fault
	for _, f := range s.faultsOf(FaultCheckerIsolation) {
		if (f.Region == "" || f.Region == hc.Region) && (f.Resource == "" || f.Resource == hc.ID) &&
			(slices.Contains(f.Checkers, ch.Region) || slices.Contains(f.Checkers, ch.IP)) {
			out = f
		}
	}
	return out
}

// validCheckerIsolation checks a checker-isolation fault: checkers named as GetHealthCheckStatus names them,
// and the endpoints it cuts them off from (a region's, one health check's, or every endpoint's).
func (s *Server) validCheckerIsolation(f *Fault) error {
	if len(f.Checkers) == 0 {
		return fmt.Errorf("checkers: name the checker regions (%s) or checker IP addresses that cannot reach the endpoint", strings.Join(r53CheckerRegions, ", "))
	}
	for _, c := range f.Checkers {
		if !slices.ContainsFunc(r53Checkers, func(ch r53Checker) bool { return ch.Region == c || ch.IP == c }) {
			return fmt.Errorf("checkers: %q is neither a health checker region (%s) nor a checker's IP address", c, strings.Join(r53CheckerRegions, ", "))
		}
	}
	if f.Region != "" {
		if _, ok := s.world.Regions[f.Region]; !ok {
			return fmt.Errorf("region: %q is not a region of this world (%s, %s)", f.Region, s.topo.PrimaryRegion, s.topo.DRRegion)
		}
	}
	if f.Resource != "" {
		hc := s.world.HealthChecks[f.Resource]
		switch {
		case hc == nil:
			return fmt.Errorf("resource: %q is not a health check of this world", f.Resource)
		case hc.Type == topology.HealthCheckRecoveryControl:
			return fmt.Errorf("resource: %s is a RECOVERY_CONTROL health check, which no checker probes", f.Resource)
		}
	}
	return nil
}

func (w *World) checkHealth(hc *HealthCheck) (bool, string) {
	if hc.Type == topology.HealthCheckRecoveryControl {
		rc := w.RoutingControls[hc.RoutingControlARN]
		switch {
		case rc == nil:
			// A RECOVERY_CONTROL check whose control does not exist has nothing to report healthy.
			return false, "routing control " + hc.RoutingControlARN + " does not exist"
		case rc.State != arcOn:
			return false, "routing control " + rc.Name + " OFF"
		}
		return true, "routing control " + rc.Name + " ON"
	}
	if slices.Contains(w.RegionsOut, hc.Region) {
		return false, fmt.Sprintf("health check %s failing: %s is out", hc.ID, hc.Region)
	}
	cut := len(w.IsolatedCheckers[hc.ID])
	if cut == 0 {
		return true, fmt.Sprintf("health check %s passing", hc.ID)
	}
	ok, total := len(r53Checkers)-cut, len(r53Checkers)
	if checkersHealthy(ok, total) {
		return true, fmt.Sprintf("health check %s passing: %d of %d checkers reach the endpoint, more than 18 %%", hc.ID, ok, total)
	}
	return false, fmt.Sprintf("health check %s failing: %d of %d checkers reach the endpoint, 18 %% or fewer", hc.ID, ok, total)
}

// Resolve answers a query as Route 53 would now. A simple record answers its alias. Failover records answer
// by health, per the Route 53 Developer Guide ("Failover routing" and "How Amazon Route 53 chooses records
// when health checking is configured"): PRIMARY while healthy, else SECONDARY while healthy, and when both
// are unhealthy Route 53 considers them all healthy and answers PRIMARY (fail open).
func (w *World) Resolve(t topology.Topology, name, typ string) Resolution {
	name, typ = strings.ToLower(fqdn(name)), strings.ToUpper(typ)
	res := Resolution{Name: name, Type: typ, RCode: "NXDOMAIN"}
	var zone *HostedZone
	for _, z := range w.HostedZones {
		if (name == z.Name || strings.HasSuffix(name, "."+z.Name)) && (zone == nil || len(z.Name) > len(zone.Name)) {
			zone = z
		}
	}
	if zone == nil {
		res.Reason = "no hosted zone holds " + name
		return res
	}
	var simple, primary, secondary *RecordSet
	for _, rs := range zone.Records {
		if rs.Name != name || rs.Type != typ {
			continue
		}
		switch rs.Failover {
		case "PRIMARY":
			primary = rs
		case "SECONDARY":
			secondary = rs
		default:
			simple = rs
		}
	}
	res.RCode = "NOERROR"
	switch {
	case simple != nil:
		res.Record, res.Reason = simple, "simple record"
	case primary == nil && secondary == nil:
		res.RCode, res.Reason = "NXDOMAIN", fmt.Sprintf("zone %s has no %s record named %s", zone.Name, typ, name)
		return res
	default:
		res.Record, res.Reason = w.pickFailover(primary, secondary)
	}
	res.Region = aliasRegion(t, res.Record)
	return res
}

func (w *World) pickFailover(primary, secondary *RecordSet) (*RecordSet, string) {
	if primary == nil {
		ok, why := w.recordHealth(secondary)
		if !ok {
			return secondary, "SECONDARY unhealthy (" + why + ") but the only failover record: Route 53 fails open"
		}
		return secondary, "no PRIMARY record; SECONDARY healthy: " + why
	}
	pOK, pWhy := w.recordHealth(primary)
	if pOK {
		return primary, "PRIMARY healthy: " + pWhy
	}
	if secondary == nil {
		return primary, "PRIMARY unhealthy (" + pWhy + ") but no SECONDARY record: Route 53 fails open"
	}
	sOK, sWhy := w.recordHealth(secondary)
	if sOK {
		return secondary, "PRIMARY unhealthy: " + pWhy
	}
	return primary, fmt.Sprintf("PRIMARY unhealthy: %s; SECONDARY unhealthy: %s; both unhealthy, so Route 53 fails open to PRIMARY", pWhy, sWhy)
}

// recordHealth is a record's health: its health check's verdict and, with EvaluateTargetHealth, its alias
// target's. An API Gateway endpoint's health is its region's: an endpoint in a region that is out is
// unhealthy.
func (w *World) recordHealth(rs *RecordSet) (bool, string) {
	var whys []string
	healthy := true
	if rs.HealthCheckID != "" {
		hc := w.HealthChecks[rs.HealthCheckID]
		if hc == nil {
			healthy, whys = false, append(whys, "health check "+rs.HealthCheckID+" does not exist")
		} else {
			// Judged now rather than read from the last observation, so a routing control just flipped counts.
			ok, why := w.checkHealth(hc)
			healthy, whys = ok, append(whys, why)
		}
	}
	if a := rs.Alias; a != nil && a.EvaluateTargetHealth {
		if r := apiGatewayRegion(a.DNSName); r != "" && slices.Contains(w.RegionsOut, r) {
			healthy, whys = false, append(whys, fmt.Sprintf("alias target %s unhealthy: %s is out", a.DNSName, r))
		}
	}
	if len(whys) == 0 {
		whys = append(whys, "no health check")
	}
	return healthy, strings.Join(whys, "; ")
}

// aliasRegion is the topology region an answer points at: the region whose target it aliases, or whose
// API Gateway endpoint it names.
func aliasRegion(t topology.Topology, rs *RecordSet) string {
	if rs == nil || rs.Alias == nil {
		return ""
	}
	for _, r := range t.Regions() {
		if strings.EqualFold(fqdn(t.DNS.Targets[r].DNSName), rs.Alias.DNSName) {
			return r
		}
	}
	return apiGatewayRegion(rs.Alias.DNSName)
}

// apiGatewayRegion reads the region out of an API Gateway endpoint name (….execute-api.REGION.amazonaws.com).
func apiGatewayRegion(dnsName string) string {
	labels := strings.Split(strings.TrimSuffix(strings.ToLower(dnsName), "."), ".")
	for i := 0; i+2 < len(labels); i++ {
		if labels[i] == "execute-api" && labels[i+2] == "amazonaws" {
			return labels[i+1]
		}
	}
	return ""
}

// serveDNS is GET /_sim/dns?name=NAME&type=A: the data plane's answer, whatever faults are active.
func (s *Server) serveDNS(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	name, typ := q.Get("name"), q.Get("type")
	if name == "" {
		writeJSON(w, 400, map[string]string{"error": "dns: give ?name=NAME (and &type=A, the default)"})
		return
	}
	if typ == "" {
		typ = "A"
	}
	s.mu.Lock()
	s.advanceAll(s.now())
	res := s.world.Resolve(s.topo, name, typ)
	s.mu.Unlock()
	status := 200
	if res.RCode == "NXDOMAIN" {
		status = 404
	}
	writeJSON(w, status, res)
}
