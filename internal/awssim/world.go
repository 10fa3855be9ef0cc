package awssim

import (
	"fmt"
	"sort"
	"time"

	"github.com/roadcall/dr/internal/topology"
)

// World is the two-region control-plane state. Every field is guarded by Server.mu. Durable operations store
// a ReadyAt and a target; each service's advance hook moves them on, before every call, once their modeled
// (scaled) duration has passed, so state changes without background goroutines and a read always sees a
// consistent world.
type World struct {
	AccountID      string                    `json:"accountId"`
	Regions        map[string]*Region        `json:"regions"`
	GlobalClusters map[string]*GlobalCluster `json:"globalClusters"`
	HostedZones    map[string]*HostedZone    `json:"hostedZones"`
	HealthChecks   map[string]*HealthCheck   `json:"healthChecks"`
	Changes        map[string]*Change        `json:"changes"`
	// RoutingControls are the ARC cluster's routing controls by ARN.
	RoutingControls map[string]*RoutingControl `json:"routingControls"`
	// RegionsOut are the regions Route 53's health checkers see out, refreshed by observeHealth.
	RegionsOut []string `json:"regionsOut"`
	// IsolatedCheckers are, per HTTPS health check, the checker IPs a checker-isolation fault keeps from its
	// endpoint, refreshed by observeHealth.
	IsolatedCheckers map[string][]string `json:"isolatedCheckers,omitempty"`
	Buckets          map[string]*Bucket  `json:"buckets"`
	// Seeded is the wall time the world was (re)seeded; seeded history (items, backups, PITR) predates it.
	Seeded time.Time `json:"seeded"`
	// Metrics is what CloudWatch needs to remember about the past; nil until the first request.
	Metrics *MetricHistory `json:"metricHistory,omitempty"`
}

// Region is one region's share of the world, a map per regional service.
type Region struct {
	Name       string                 `json:"name"`
	Tables     map[string]*Table      `json:"tables"`
	Clusters   map[string]*DBCluster  `json:"clusters"`
	Instances  map[string]*DBInstance `json:"instances"`
	Stacks     map[string]*Stack      `json:"stacks"`
	Functions  map[string]*Function   `json:"functions"`
	RestAPIs   map[string]*RestAPI    `json:"restApis"`
	Topics     map[string]*Topic      `json:"topics"`
	Vaults     map[string]*Vault      `json:"vaults"`
	Parameters map[string]*Parameter  `json:"parameters"`
	// ClusterSnapshots is created on first use, by rdsAddSnapshot.
	ClusterSnapshots map[string]*DBClusterSnapshot `json:"clusterSnapshots,omitempty"`
	// DBGroups holds the parameter, subnet and security groups RDS calls name (rds_settings.go).
	DBGroups *DBGroups `json:"dbGroups,omitempty"`
	// ScalableTargets are Application Auto Scaling's targets by resource and dimension, created on first use.
	ScalableTargets map[string]*ScalableTarget `json:"scalableTargets,omitempty"`
	// Alarms are CloudWatch's metric and composite alarms by name (cloudwatch_alarms.go).
	Alarms map[string]*Alarm `json:"alarms"`
}

// seedAge is how long before the seed the platform's history starts: items exist, PITR and backups run.
const seedAge = 7 * 24 * time.Hour

// NewWorld builds the steady state the topology describes: us-east-1 serving, us-west-2 replicating. Each
// service's model seeds its own part.
func NewWorld(t topology.Topology, now time.Time) *World {
	w := &World{
		AccountID:       t.AccountID,
		Regions:         map[string]*Region{},
		GlobalClusters:  map[string]*GlobalCluster{},
		HostedZones:     map[string]*HostedZone{},
		HealthChecks:    map[string]*HealthCheck{},
		Changes:         map[string]*Change{},
		RoutingControls: map[string]*RoutingControl{},
		Buckets:         map[string]*Bucket{},
		Seeded:          now,
	}
	for _, r := range t.Regions() {
		w.Regions[r] = &Region{
			Name: r, Tables: map[string]*Table{}, Clusters: map[string]*DBCluster{}, Instances: map[string]*DBInstance{},
			Stacks: map[string]*Stack{}, Functions: map[string]*Function{}, RestAPIs: map[string]*RestAPI{},
			Topics: map[string]*Topic{}, Vaults: map[string]*Vault{}, Parameters: map[string]*Parameter{},
			Alarms: map[string]*Alarm{},
		}
	}
	born := now.Add(-seedAge)
	seedDynamoDB(w, t, born)
	seedAutoScaling(w, born)
	seedLambda(w, t, born)
	seedAPIGateway(w, t, born)
	seedSNS(w, t)
	seedBackup(w, t, now)
	seedRDS(w, t, born)
	seedARC(w, t)
	seedRoute53(w, t)
	seedS3(w, t)
	seedCloudFormation(w, t, born)
	seedAlarms(w, t)
	return w
}

// stableID derives a short deterministic id from s so seeded ARNs are the same after every reset.
func stableID(s string) string {
	var h uint32 = 2166136261
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return fmt.Sprintf("%08x-%04x", h, h>>16)
}

// SortedKeys returns a map's keys in order, for stable listings.
func SortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// after is the wall time at which an operation that takes d in AWS finishes here.
func (s *Server) after(d time.Duration) time.Time {
	return s.now().Add(time.Duration(float64(d) * s.scale))
}

func (s *Server) advanceAll(now time.Time) {
	s.applyFailureStates()
	s.observeHealth(now)
	for _, name := range SortedKeys(services) {
		if a := services[name].advance; a != nil {
			a(s, now)
		}
	}
}

// Advance runs every service's time-driven transitions; the control API uses it before showing state.
func (s *Server) Advance() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceAll(s.now())
}

// With runs f with the lock held and time advanced, for tests and the control API that inspect the world.
func (s *Server) With(f func(w *World)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceAll(s.now())
	f(s.world)
}

// Reset reseeds the world and clears faults, the journal and the request log.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.world = NewWorld(s.topo, s.now())
	s.faults = nil
	s.journal = nil
	s.requests = nil
}

// SetTimeScale changes the time scale for operations started from now on.
func (s *Server) SetTimeScale(f float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scale = f
}
