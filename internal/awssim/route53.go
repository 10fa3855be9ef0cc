package awssim

import (
	"encoding/xml"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/roadcall/dr/internal/topology"
)

const route53NS = "https://route53.amazonaws.com/doc/2013-04-01/"

// r53ID matches a hosted zone or change id with or without its "/hostedzone/" or "/change/" prefix, raw or
// escaped: the SDKs strip the prefix, but hand-written clients and old tools send ids as AWS returned them.
const r53ID = `((?:(?:/|%2F)?(?:hostedzone|change)(?:/|%2F))?[^/]+)`

func r53Route(method, pattern, op string) route {
	return route{method: method, pattern: regexp.MustCompile("^/2013-04-01/" + pattern + "$"), names: []string{"Id"}, op: op}
}

// Route 53 speaks rest-xml. Record changes propagate in modeled time (PENDING, then INSYNC), and health
// check observations follow region outages. Every Route 53 API call is control plane, hosted in us-east-1
// (Route 53 Developer Guide, "Resilience in Amazon Route 53"): an outage of that region takes them all
// down, except what accelerated recovery moves to us-west-2 (r53HostedIn). Resolution and the health
// checkers are the data plane (route53_resolve.go).
func init() {
	register(&service{
		name: "route53", protocol: restXML{}, xmlns: route53NS, anyRegion: true, hostedIn: r53HostedIn, throttleCode: "Throttling",
		routes: []route{
			rest("GET", "/2013-04-01/healthcheck/{HealthCheckId}/status", "GetHealthCheckStatus"),
			rest("GET", "/2013-04-01/healthcheck/{HealthCheckId}", "GetHealthCheck"),
			rest("GET", "/2013-04-01/healthcheck", "ListHealthChecks"),
			// The Go SDK posts to .../rrset, botocore to .../rrset/.
			r53Route("POST", "hostedzone/"+r53ID+"/rrset/?", "ChangeResourceRecordSets"),
			r53Route("GET", "hostedzone/"+r53ID+"/rrset/?", "ListResourceRecordSets"),
			r53Route("GET", "hostedzone/"+r53ID, "GetHostedZone"),
			rest("GET", "/2013-04-01/hostedzone", "ListHostedZones"),
			r53Route("GET", "change/"+r53ID, "GetChange"),
		},
		ops: map[string]opFunc{
			"GetHealthCheckStatus":     r53GetHealthCheckStatus,
			"GetHealthCheck":           r53GetHealthCheck,
			"ListHealthChecks":         r53ListHealthChecks,
			"ChangeResourceRecordSets": r53ChangeResourceRecordSets,
			"ListResourceRecordSets":   r53ListResourceRecordSets,
			"GetHostedZone":            r53GetHostedZone,
			"ListHostedZones":          r53ListHostedZones,
			"GetChange":                r53GetChange,
		},
		advance: r53Advance,
	})
}

// ---- health checks ----

func r53GetHealthCheckStatus(s *Server, c *Call) (any, error) {
	hc, err := r53FindHealthCheck(s, c.Path["HealthCheckId"])
	if err != nil {
		return nil, err
	}
	var outage *Fault
	for _, f := range s.faultsOf(FaultRegionOutage) {
		if f.Region == hc.Region {
			outage = f
		}
	}
	status := "Success: HTTP Status Code 200, OK"
	const timedOut = "Failure: Connection timed out. The endpoint or the internet connection is down, or requests are being blocked by your firewall."
	if hc.Type == topology.HealthCheckRecoveryControl {
		// Checkers do not probe a RECOVERY_CONTROL check: it reports its routing control's state (awssim's wording).
		status, outage = "Success: "+hc.Reason, nil
		if !hc.Healthy {
			status = "Failure: " + hc.Reason
		}
	} else if outage != nil {
		// A hung region times the checkers out; a refusing one answers 503 as API Gateway does.
		status = "Failure: HTTP Status Code 503, Service Unavailable"
		if outage.Mode == "hang" {
			status = timedOut
		}
	}
	out := r53HealthCheckStatusResponse{Xmlns: route53NS}
	for i, ch := range r53Checkers {
		// Checkers probe every 30 s, staggered; an observation never predates the fault that explains it.
		checked := c.Now.Add(-time.Duration(i*2) * time.Second)
		st, cause := status, outage
		if iso := s.isolationOf(hc, ch); iso != nil && outage == nil {
			// A checker cut off from the endpoint sees it time out, whatever the others see.
			st, cause = timedOut, iso
		}
		if cause != nil && checked.Before(cause.At) {
			checked = cause.At
		}
		out.Observations = append(out.Observations, r53Observation{
			Region: ch.Region, IPAddress: ch.IP,
			StatusReport: r53StatusReport{Status: st, CheckedTime: r53Time(checked)},
		})
	}
	return out, nil
}

func r53GetHealthCheck(s *Server, c *Call) (any, error) {
	hc, err := r53FindHealthCheck(s, c.Path["HealthCheckId"])
	if err != nil {
		return nil, err
	}
	return r53GetHealthCheckResponse{Xmlns: route53NS, HealthCheck: r53CheckOf(s.topo, hc)}, nil
}

func r53ListHealthChecks(s *Server, c *Call) (any, error) {
	q := c.Req.URL.Query()
	maxItems, err := r53MaxItems(q.Get("maxitems"), 100, 1000)
	if err != nil {
		return nil, err
	}
	out := r53ListHealthChecksResponse{Xmlns: route53NS, Marker: q.Get("marker"), MaxItems: strconv.Itoa(maxItems)}
	ids := SortedKeys(s.world.HealthChecks)
	start := 0
	if m := q.Get("marker"); m != "" {
		start = sort.SearchStrings(ids, m)
	}
	for _, id := range ids[start:] {
		if len(out.HealthChecks) == maxItems {
			out.IsTruncated, out.NextMarker = true, id
			break
		}
		out.HealthChecks = append(out.HealthChecks, r53CheckOf(s.topo, s.world.HealthChecks[id]))
	}
	return out, nil
}

func r53MaxItems(v string, def, limit int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, Errf(400, "InvalidInput", "maxitems %q must be a positive integer", v)
	}
	return min(n, limit), nil
}

// ---- hosted zones and record sets ----

func r53GetHostedZone(s *Server, c *Call) (any, error) {
	z, err := r53FindZone(s, c.Path["Id"])
	if err != nil {
		return nil, err
	}
	return r53GetHostedZoneResponse{Xmlns: route53NS, HostedZone: r53ZoneOut(z), NameServers: r53NameServers(z.ID)}, nil
}

func r53ListHostedZones(s *Server, c *Call) (any, error) {
	out := r53ListHostedZonesResponse{Xmlns: route53NS, MaxItems: "100"}
	for _, id := range SortedKeys(s.world.HostedZones) {
		out.HostedZones = append(out.HostedZones, r53ZoneOut(s.world.HostedZones[id]))
	}
	return out, nil
}

func r53ListResourceRecordSets(s *Server, c *Call) (any, error) {
	z, err := r53FindZone(s, c.Path["Id"])
	if err != nil {
		return nil, err
	}
	q := c.Req.URL.Query()
	maxItems, err := r53MaxItems(q.Get("maxitems"), 300, 300)
	if err != nil {
		return nil, err
	}
	if q.Get("type") != "" && q.Get("name") == "" {
		return nil, Errf(400, "InvalidInput", "The input is not valid: type %s is given without a name", q.Get("type"))
	}
	if q.Get("identifier") != "" && q.Get("type") == "" {
		return nil, Errf(400, "InvalidInput", "The input is not valid: identifier %s is given without a type", q.Get("identifier"))
	}
	recs := append([]*RecordSet(nil), z.Records...)
	sort.Slice(recs, func(i, j int) bool {
		return r53SortKey(recs[i].Name, recs[i].Type, recs[i].SetIdentifier) < r53SortKey(recs[j].Name, recs[j].Type, recs[j].SetIdentifier)
	})
	start := ""
	if n := q.Get("name"); n != "" {
		start = r53SortKey(fqdn(n), strings.ToUpper(q.Get("type")), q.Get("identifier"))
	}
	out := r53ListRecordSetsResponse{Xmlns: route53NS, MaxItems: strconv.Itoa(maxItems)}
	for _, rs := range recs {
		if r53SortKey(rs.Name, rs.Type, rs.SetIdentifier) < start {
			continue
		}
		if len(out.ResourceRecordSets) == maxItems {
			out.IsTruncated, out.NextRecordName, out.NextRecordType, out.NextRecordIdentifier = true, rs.Name, rs.Type, rs.SetIdentifier
			break
		}
		out.ResourceRecordSets = append(out.ResourceRecordSets, r53RecordOut(rs))
	}
	return out, nil
}

// r53Record validates one change's record set and turns it into the world's form.
func r53Record(s *Server, action string, in r53RecordSet) (*RecordSet, error) {
	ident := fmt.Sprintf("[Action=%s, Name=%s, Type=%s, SetIdentifier=%s]", action, in.Name, in.Type, in.SetIdentifier)
	if in.Name == "" || in.Type == "" {
		return nil, Errf(400, "InvalidInput", "Invalid request: a ResourceRecordSet needs a Name and a Type in Change with %s", ident)
	}
	if in.Weight != nil || in.Region != "" || in.GeoLocation != nil || in.MultiValueAnswer != nil || in.CidrRoutingConfig != nil ||
		in.GeoProximityLocation != nil || in.TrafficPolicyInstanceID != "" {
		return nil, Errf(400, "InvalidInput", "awssim models simple and failover routing only; weighted, latency, geolocation, multivalue, CIDR, geoproximity and traffic-policy records are not modeled (Change with %s)", ident)
	}
	if (in.SetIdentifier == "") != (in.Failover == "") {
		return nil, Errf(400, "InvalidInput", "Invalid request: a failover record needs both SetIdentifier and Failover in Change with %s", ident)
	}
	if in.Failover != "" && in.Failover != "PRIMARY" && in.Failover != "SECONDARY" {
		return nil, Errf(400, "InvalidInput", "Invalid request: Failover %q must be PRIMARY or SECONDARY in Change with %s", in.Failover, ident)
	}
	var values []r53Value
	if in.ResourceRecords != nil {
		values = in.ResourceRecords.Items
	}
	hasRecords := in.TTL != nil && len(values) > 0
	if (in.AliasTarget != nil) == hasRecords || (in.AliasTarget != nil && (in.TTL != nil || len(values) > 0)) {
		return nil, Errf(400, "InvalidInput", "Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found none or several in Change with %s", ident)
	}
	if in.HealthCheckID != "" && s.world.HealthChecks[in.HealthCheckID] == nil {
		return nil, Errf(404, "NoSuchHealthCheck", "A health check with id %s does not exist.", in.HealthCheckID)
	}
	rs := &RecordSet{Name: strings.ToLower(fqdn(in.Name)), Type: strings.ToUpper(in.Type), SetIdentifier: in.SetIdentifier,
		Failover: in.Failover, HealthCheckID: in.HealthCheckID}
	if a := in.AliasTarget; a != nil {
		if a.HostedZoneID == "" || a.DNSName == "" {
			return nil, Errf(400, "InvalidInput", "Invalid request: AliasTarget needs HostedZoneId and DNSName in Change with %s", ident)
		}
		rs.Alias = &AliasTarget{HostedZoneID: a.HostedZoneID, DNSName: strings.ToLower(fqdn(a.DNSName)), EvaluateTargetHealth: a.EvaluateTargetHealth}
	} else {
		rs.TTL = *in.TTL
		for _, v := range values {
			rs.Values = append(rs.Values, v.Value)
		}
	}
	return rs, nil
}

func r53ChangeResourceRecordSets(s *Server, c *Call) (any, error) {
	z, err := r53FindZone(s, c.Path["Id"])
	if err != nil {
		return nil, err
	}
	var req r53ChangeRequest
	if err := xml.Unmarshal(c.Body, &req); err != nil {
		return nil, Errf(400, "InvalidInput", "Invalid XML ; %v", err)
	}
	if len(req.Changes) == 0 {
		return nil, Errf(400, "InvalidInput", "Invalid request: the ChangeBatch for hosted zone %s has no Changes", z.ID)
	}
	// The batch is atomic: apply it to a copy and keep the copy only if every change is valid.
	recs := append([]*RecordSet(nil), z.Records...)
	var problems, details []string
	for _, ch := range req.Changes {
		rs, err := r53Record(s, ch.Action, ch.Set)
		if err != nil {
			return nil, err
		}
		if rs.Name != z.Name && !strings.HasSuffix(rs.Name, "."+z.Name) {
			problems = append(problems, fmt.Sprintf("RRSet with DNS name %s is not permitted in zone %s", rs.Name, z.Name))
			continue
		}
		idx := slices.IndexFunc(recs, func(cur *RecordSet) bool { return r53SameIdentity(cur, rs) })
		switch ch.Action {
		case "CREATE", "UPSERT":
			switch {
			case idx >= 0 && ch.Action == "CREATE":
				problems = append(problems, fmt.Sprintf("Tried to create resource record set %s but it already exists", r53Describe(rs)))
			case r53PolicyConflict(recs, rs) != "":
				problems = append(problems, r53PolicyConflict(recs, rs))
			case idx >= 0:
				recs[idx] = rs
			default:
				recs = append(recs, rs)
			}
		case "DELETE":
			switch {
			case idx < 0:
				problems = append(problems, fmt.Sprintf("Tried to delete resource record set %s but it was not found", r53Describe(rs)))
			case !r53Equal(recs[idx], rs):
				problems = append(problems, fmt.Sprintf("Tried to delete resource record set %s but the values provided do not match the current values", r53Describe(rs)))
			default:
				recs = slices.Delete(recs, idx, idx+1)
			}
		default:
			return nil, Errf(400, "InvalidInput", "Invalid request: Action %q must be CREATE, DELETE or UPSERT (hosted zone %s)", ch.Action, z.ID)
		}
		target := strings.Join(rs.Values, ",")
		if rs.Alias != nil {
			target = "alias " + rs.Alias.DNSName
		}
		details = append(details, fmt.Sprintf("%s %s %s -> %s", ch.Action, rs.Name, rs.Type, target))
	}
	if len(problems) > 0 {
		return nil, Errf(400, "InvalidChangeBatch", "[%s]", strings.Join(problems, ", "))
	}
	changed := len(recs) != len(z.Records)
	for i := 0; !changed && i < len(recs); i++ {
		changed = !r53Equal(recs[i], z.Records[i])
	}
	z.Records = recs
	// AWS issues a new change id for every accepted batch, even one that leaves the zone as it was.
	ch := &Change{ID: r53NewChangeID(s, z.ID, c.Now), Zone: z.ID, Status: "PENDING", SubmittedAt: c.Now,
		ReadyAt: s.after(s.durations.DNSPropagation), Comment: req.Comment}
	s.world.Changes[ch.ID] = ch
	s.record(c, z.ID, changed, strings.Join(details, "; ")+"; change "+ch.ID)
	return r53ChangeResponse{XMLName: xml.Name{Local: "ChangeResourceRecordSetsResponse"}, Xmlns: route53NS, ChangeInfo: r53ChangeInfoOf(ch)}, nil
}

func r53GetChange(s *Server, c *Call) (any, error) {
	id := bareID(c.Path["Id"], "change")
	ch := s.world.Changes[id]
	if ch == nil || s.r53Stranded(ch) {
		return nil, Errf(404, "NoSuchChange", "A change with the specified change ID does not exist: %s", id)
	}
	return r53ChangeResponse{XMLName: xml.Name{Local: "GetChangeResponse"}, Xmlns: route53NS, ChangeInfo: r53ChangeInfoOf(ch)}, nil
}
