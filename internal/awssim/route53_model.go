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
}

type Change struct {
	ID          string    `json:"id"`
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

// ServingRegion is the region the API record aliases: traffic follows DNS.
func (w *World) ServingRegion(t topology.Topology) string {
	zone := w.HostedZones[t.DNS.HostedZoneID]
	if zone == nil {
		return ""
	}
	for _, rs := range zone.Records {
		if rs.Name != fqdn(t.DNS.RecordName) || rs.Type != t.DNS.RecordType || rs.Alias == nil {
			continue
		}
		for _, r := range t.Regions() {
			if fqdn(t.DNS.Targets[r].DNSName) == fqdn(rs.Alias.DNSName) {
				return r
			}
		}
	}
	return ""
}

// seedRoute53 creates the hosted zone, its API record aliasing the primary region's endpoint, and the
// topology's health checks.
func seedRoute53(w *World, t topology.Topology) {
	zone := &HostedZone{ID: t.DNS.HostedZoneID, Name: zoneName(t.DNS.RecordName)}
	tg := t.DNS.Targets[t.PrimaryRegion]
	zone.Records = append(zone.Records, &RecordSet{
		Name: fqdn(t.DNS.RecordName), Type: t.DNS.RecordType, SetIdentifier: t.DNS.SetIdentifier,
		Alias: &AliasTarget{HostedZoneID: tg.HostedZoneID, DNSName: fqdn(tg.DNSName), EvaluateTargetHealth: tg.EvaluateTargetHealth},
	})
	w.HostedZones[zone.ID] = zone
	for _, hc := range t.HealthChecks {
		w.HealthChecks[hc.ID] = &HealthCheck{ID: hc.ID, Region: hc.Region}
	}
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
