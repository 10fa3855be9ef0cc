package awssim

import (
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/roadcall/dr/internal/topology"
)

// The Route 53 model: hosted zones with their record sets, health checks and changes; how they are seeded
// and moved on by time.

type HostedZone struct {
	ID      string       `json:"id"`
	Name    string       `json:"name"`
	Records []*RecordSet `json:"records"`
}

type RecordSet struct {
	Name          string       `json:"name"`
	Type          string       `json:"type"`
	SetIdentifier string       `json:"setIdentifier,omitempty"`
	Failover      string       `json:"failover,omitempty"`
	TTL           int64        `json:"ttl,omitempty"`
	Values        []string     `json:"values,omitempty"`
	Alias         *AliasTarget `json:"alias,omitempty"`
	HealthCheckID string       `json:"healthCheckId,omitempty"`
}

type AliasTarget struct {
	HostedZoneID         string `json:"hostedZoneId"`
	DNSName              string `json:"dnsName"`
	EvaluateTargetHealth bool   `json:"evaluateTargetHealth"`
}

type HealthCheck struct {
	ID     string `json:"id"`
	Region string `json:"region"`
	// Type is HTTPS (the checkers probe the region's endpoint) or RECOVERY_CONTROL (healthy exactly while
	// RoutingControlARN is On).
	Type              string `json:"type"`
	RoutingControlARN string `json:"routingControlArn,omitempty"`
	// Healthy and Reason are the checkers' verdict, refreshed before every call by observeHealth: the health
	// checkers are Route 53's data plane and keep judging through any outage.
	Healthy bool   `json:"healthy"`
	Reason  string `json:"reason"`
}

type Change struct {
	ID          string    `json:"id"`
	Zone        string    `json:"zone"`
	Status      string    `json:"status"` // PENDING, INSYNC
	SubmittedAt time.Time `json:"submittedAt"`
	ReadyAt     time.Time `json:"readyAt"`
	Comment     string    `json:"comment,omitempty"`
}

func fqdn(name string) string {
	if name == "" || name[len(name)-1] == '.' {
		return name
	}
	return name + "."
}

func zoneName(record string) string {
	r := fqdn(record)
	for i := 0; i < len(r); i++ {
		if r[i] == '.' {
			return r[i+1:]
		}
	}
	return r
}

// ServingRegion is the region whose endpoint answers the API record right now, as Route 53's resolvers
// pick it (see Resolve): traffic follows DNS resolution, not a record's alias field.
func (w *World) ServingRegion(t topology.Topology) string {
	return w.Resolve(t, t.DNS.RecordName, t.DNS.RecordType).Region
}

// seedRoute53 creates the hosted zone with the NS and SOA records Route 53 gives every zone, the API
// record, and the topology's health checks. With dns.records the API record is the runbook's pair of
// failover aliases, PRIMARY and SECONDARY, each bound to its health check; without (older upsert
// topologies) it is one simple alias to the primary region's endpoint.
func seedRoute53(w *World, t topology.Topology) {
	zone := &HostedZone{ID: t.DNS.HostedZoneID, Name: zoneName(t.DNS.RecordName)}
	ns := r53NameServers(zone.ID)
	zone.Records = append(zone.Records,
		&RecordSet{Name: zone.Name, Type: "NS", TTL: 172800, Values: fqdns(ns)},
		&RecordSet{Name: zone.Name, Type: "SOA", TTL: 900, Values: []string{fqdn(ns[0]) + " awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400"}})
	alias := func(r string) *AliasTarget {
		tg := t.DNS.Targets[r]
		return &AliasTarget{HostedZoneID: tg.HostedZoneID, DNSName: strings.ToLower(fqdn(tg.DNSName)), EvaluateTargetHealth: tg.EvaluateTargetHealth}
	}
	name := strings.ToLower(fqdn(t.DNS.RecordName))
	if len(t.DNS.Records) == 0 {
		zone.Records = append(zone.Records, &RecordSet{Name: name, Type: t.DNS.RecordType, SetIdentifier: t.DNS.SetIdentifier, Alias: alias(t.PrimaryRegion)})
	}
	for _, r := range t.Regions() {
		if rec, ok := t.DNS.Records[r]; ok {
			zone.Records = append(zone.Records, &RecordSet{Name: name, Type: t.DNS.RecordType, SetIdentifier: rec.SetIdentifier,
				Failover: rec.Failover, HealthCheckID: rec.HealthCheckID, Alias: alias(r)})
		}
	}
	w.HostedZones[zone.ID] = zone
	for _, hc := range t.HealthChecks {
		typ := hc.Type
		if typ == "" {
			typ = topology.HealthCheckHTTPS
		}
		w.HealthChecks[hc.ID] = &HealthCheck{ID: hc.ID, Region: hc.Region, Type: typ, RoutingControlARN: hc.RoutingControlARN, Healthy: true}
	}
}

// r53NameServers are the zone's four name servers in four TLDs, as Route 53 assigns them; derived from the
// id so they stay stable.
func r53NameServers(zoneID string) []string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(zoneID))
	n := h.Sum32()
	var out []string
	for i, tld := range []string{"com", "net", "org", "co.uk"} {
		out = append(out, fmt.Sprintf("ns-%d.awsdns-%02d.%s", (n>>(i*4))%2048, (n>>(i*5))%64, tld))
	}
	return out
}

func fqdns(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = fqdn(n)
	}
	return out
}

// r53Advance marks changes INSYNC once their modeled propagation time has passed.
func r53Advance(s *Server, now time.Time) {
	for _, ch := range s.world.Changes {
		if ch.Status == "PENDING" && !now.Before(ch.ReadyAt) {
			ch.Status = "INSYNC"
		}
	}
}

// bareID strips the "/hostedzone/" or "/change/" prefix that AWS puts on the ids it returns.
func bareID(id, kind string) string {
	return strings.TrimPrefix(strings.TrimPrefix(id, "/"), kind+"/")
}

func r53FindHealthCheck(s *Server, id string) (*HealthCheck, error) {
	hc := s.world.HealthChecks[id]
	if hc == nil {
		return nil, Errf(404, "NoSuchHealthCheck", "A health check with id %s does not exist.", id)
	}
	return hc, nil
}

func r53FindZone(s *Server, id string) (*HostedZone, error) {
	bare := bareID(id, "hostedzone")
	z := s.world.HostedZones[bare]
	if z == nil {
		return nil, Errf(404, "NoSuchHostedZone", "No hosted zone found with ID: %s", bare)
	}
	return z, nil
}

// r53SortKey orders record sets as Route 53 lists them: by name with its labels reversed, then type, then
// set identifier.
func r53SortKey(name, typ, setID string) string {
	labels := strings.Split(strings.TrimSuffix(strings.ToLower(name), "."), ".")
	slices.Reverse(labels)
	return strings.Join(labels, ".") + "\x00" + typ + "\x00" + setID
}

// r53Describe names a record set the way Route 53's InvalidChangeBatch messages do.
func r53Describe(rs *RecordSet) string {
	if rs.SetIdentifier != "" {
		return fmt.Sprintf("[name='%s', type='%s', set-identifier='%s']", rs.Name, rs.Type, rs.SetIdentifier)
	}
	return fmt.Sprintf("[name='%s', type='%s']", rs.Name, rs.Type)
}

// r53PolicyConflict is Route 53's objection to adding or replacing rs among recs because of how routing
// policies mix: a name and type has either one simple record or set-identified ones, never both, and a
// failover pair has one PRIMARY and one SECONDARY. The first two messages are AWS's own, as InvalidChangeBatch
// reports them; the third is awssim's wording.
func r53PolicyConflict(recs []*RecordSet, rs *RecordSet) string {
	for _, cur := range recs {
		if cur.Name != rs.Name || cur.Type != rs.Type || cur.SetIdentifier == rs.SetIdentifier {
			continue
		}
		switch {
		case rs.SetIdentifier == "":
			return fmt.Sprintf("RRSet with DNS name %s, type %s cannot be created as other RRSets exist with the same name and type.", rs.Name, rs.Type)
		case cur.SetIdentifier == "":
			return fmt.Sprintf("RRSet with DNS name %s, type %s, SetIdentifier %s cannot be created as a non-weighted set exists with the same name and type.", rs.Name, rs.Type, rs.SetIdentifier)
		case rs.Failover != "" && cur.Failover == rs.Failover:
			return fmt.Sprintf("RRSet with DNS name %s, type %s, SetIdentifier %s cannot be created as the %s failover record %s exists with the same name and type.", rs.Name, rs.Type, rs.SetIdentifier, rs.Failover, r53Describe(cur))
		}
	}
	return ""
}

func r53SameIdentity(a, b *RecordSet) bool {
	return a.Name == b.Name && a.Type == b.Type && a.SetIdentifier == b.SetIdentifier
}

func r53Equal(a, b *RecordSet) bool {
	if !r53SameIdentity(a, b) || a.Failover != b.Failover || a.TTL != b.TTL || a.HealthCheckID != b.HealthCheckID ||
		(a.Alias == nil) != (b.Alias == nil) || (a.Alias != nil && *a.Alias != *b.Alias) {
		return false
	}
	// Route 53 treats the values of a record set as a set.
	av, bv := slices.Clone(a.Values), slices.Clone(b.Values)
	slices.Sort(av)
	slices.Sort(bv)
	return slices.Equal(av, bv)
}

// r53NewChangeID makes an id shaped like Route 53's (C followed by upper-case base-36), unique in the world.
func r53NewChangeID(s *Server, zone string, now time.Time) string {
	for n := len(s.world.Changes); ; n++ {
		h := fnv.New64a()
		fmt.Fprintf(h, "%s|%d|%d", zone, now.UnixNano(), n)
		id := "C" + strings.ToUpper(strconv.FormatUint(h.Sum64(), 36))
		if s.world.Changes[id] == nil {
			return id
		}
	}
}

// r53AcceleratedOps are the operations that still work for a zone with accelerated recovery once Route 53
// has failed its control plane over to us-west-2: the Route 53 Developer Guide, "Enabling accelerated
// recovery for managing public DNS records", section "Additional considerations", lists
// ChangeResourceRecordSets, GetChange, GetGeoLocation, GetHostedZone, GetHostedZoneCount,
// GetHostedZoneLimit, GetReusableDelegationSet, GetReusableDelegationSetLimit, ListGeoLocations,
// ListHostedZones, ListHostedZonesByName, ListResourceRecordSets and ListReusableDelegationSets; these are
// the ones awssim models. Health-check operations are not among them.
var r53AcceleratedOps = map[string]bool{"ChangeResourceRecordSets": true, "GetChange": true, "GetHostedZone": true,
	"ListHostedZones": true, "ListResourceRecordSets": true}

// r53HostedIn is the region whose outage takes a Route 53 call down: us-east-1, Route 53's control plane,
// unless the zone has accelerated recovery, us-east-1 has been out for the modeled failover time, and the
// operation is one accelerated recovery keeps; then the zone's copy in us-west-2 answers it.
func r53HostedIn(s *Server, c *Call) string {
	if s.r53FailedOver(c) {
		return r53AcceleratedRegion
	}
	return topology.Route53ControlPlaneRegion
}

// r53AcceleratedRegion holds accelerated-recovery zones' copy and takes their control plane in a failover.
const r53AcceleratedRegion = "us-west-2"

// r53Failover is the us-east-1 outage that has lasted long enough for accelerated recovery to have moved
// the control plane to us-west-2, or nil; call with the lock held.
func (s *Server) r53Failover() *Fault {
	out := s.outageOf(topology.Route53ControlPlaneRegion)
	if out == nil || !s.topo.DNS.AcceleratedRecovery {
		return nil
	}
	if s.now().Before(out.At.Add(time.Duration(float64(s.durations.Route53ControlPlaneFailover) * s.scale))) {
		return nil
	}
	return out
}

// r53FailedOver says whether accelerated recovery serves this call from us-west-2: only the listed
// operations, and only on the accelerated zone (the topology's) or its changes.
func (s *Server) r53FailedOver(c *Call) bool {
	if !r53AcceleratedOps[c.Operation] || s.r53Failover() == nil {
		return false
	}
	zone := s.topo.DNS.HostedZoneID
	switch c.Operation {
	case "ListHostedZones":
		return true
	case "GetChange":
		ch := s.world.Changes[bareID(c.Path["Id"], "change")]
		return ch == nil || ch.Zone == zone // an unknown id gets NoSuchChange from us-west-2
	}
	return bareID(c.Path["Id"], "hostedzone") == zone
}

// r53Stranded says whether a change was still PENDING when us-east-1 went out: after an accelerated
// recovery failover GetChange answers NoSuchChange for it, and it must be resubmitted (Route 53 Developer
// Guide, accelerated recovery, "Resubmitting DNS changes after failover").
func (s *Server) r53Stranded(ch *Change) bool {
	out := s.r53Failover()
	return out != nil && ch.SubmittedAt.Before(out.At) && ch.ReadyAt.After(out.At)
}
