package awssim

import (
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
