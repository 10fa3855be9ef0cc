package awssim

import (
	"fmt"
	"strings"
	"time"

	"github.com/roadcall/dr/internal/topology"
)

// The RDS model: Aurora global databases, clusters, instances and cluster snapshots, how they are seeded,
// looked up, and moved on by time.

// GlobalCluster is an Aurora global database.
type GlobalCluster struct {
	ID      string          `json:"id"`
	ARN     string          `json:"arn"`
	Engine  string          `json:"engine"`
	Status  string          `json:"status"`
	Members []*GlobalMember `json:"members"`
	// Pending is a failover or switchover in flight.
	Pending *GlobalFailover `json:"pending,omitempty"`
}

type GlobalMember struct {
	ClusterARN string `json:"clusterArn"`
	Region     string `json:"region"`
	IsWriter   bool   `json:"isWriter"`
	// PendingResync marks an old primary cut off by a failover with data loss: it rejoins as a secondary,
	// after a snapshot of its unreplicated writes, once its region is back.
	PendingResync bool `json:"pendingResync,omitempty"`
}

type GlobalFailover struct {
	Kind          string    `json:"kind"` // failover or switchover
	FromARN       string    `json:"fromArn"`
	ToARN         string    `json:"toArn"`
	AllowDataLoss bool      `json:"allowDataLoss"`
	ReadyAt       time.Time `json:"readyAt"`
}

type DBCluster struct {
	ID              string    `json:"id"`
	ARN             string    `json:"arn"`
	Region          string    `json:"region"`
	Status          string    `json:"status"` // available, failing-over, promoting, creating, modifying, ...
	ReadyAt         time.Time `json:"readyAt,omitzero"`
	NextStatus      string    `json:"nextStatus,omitempty"`
	Engine          string    `json:"engine"`
	EngineVersion   string    `json:"engineVersion"`
	GlobalClusterID string    `json:"globalClusterId,omitempty"`
	// Writer is true when this cluster accepts writes (the global primary or a standalone cluster).
	Writer                      bool      `json:"writer"`
	ReplicationSourceIdentifier string    `json:"replicationSourceIdentifier,omitempty"`
	CreatedAt                   time.Time `json:"createdAt"`
	EarliestRestorableTime      time.Time `json:"earliestRestorableTime"`
	Members                     []string  `json:"members"`
	RestoredFrom                string    `json:"restoredFrom,omitempty"`
	RestoredTo                  time.Time `json:"restoredTo,omitzero"`
	Endpoint                    string    `json:"endpoint"`
	// ParameterGroup, SubnetGroup, SecurityGroups and Tags are what a restore takes from its request
	// (rds_settings.go).
	ParameterGroup string   `json:"parameterGroup,omitempty"`
	SubnetGroup    string   `json:"subnetGroup,omitempty"`
	SecurityGroups []string `json:"securityGroups,omitempty"`
	Tags           []RDSTag `json:"tags,omitempty"`
}

type DBInstance struct {
	ID        string    `json:"id"`
	ARN       string    `json:"arn"`
	ClusterID string    `json:"clusterId"`
	Class     string    `json:"class"`
	Engine    string    `json:"engine"`
	Status    string    `json:"status"`
	ReadyAt   time.Time `json:"readyAt,omitzero"`
	// ParameterGroup is the DB parameter group, the engine's default unless CreateDBInstance named one.
	ParameterGroup string `json:"parameterGroup,omitempty"`
}

// DBClusterSnapshot is a manual or automated Aurora cluster snapshot.
type DBClusterSnapshot struct {
	ID             string    `json:"id"`
	ARN            string    `json:"arn"`
	ClusterID      string    `json:"clusterId"`
	Engine         string    `json:"engine"`
	EngineVersion  string    `json:"engineVersion"`
	Type           string    `json:"type"` // manual or automated
	Status         string    `json:"status"`
	ReadyAt        time.Time `json:"readyAt,omitzero"`
	CreatedAt      time.Time `json:"createdAt"`
	ClusterCreated time.Time `json:"clusterCreated"`
}

// seedRDS builds the Aurora global database: the writer cluster in the primary region, a secondary in DR,
// one instance each.
func seedRDS(w *World, t topology.Topology, born time.Time) {
	a, acct := t.Aurora, t.AccountID
	gc := &GlobalCluster{ID: a.GlobalClusterID, ARN: fmt.Sprintf("arn:aws:rds::%s:global-cluster:%s", acct, a.GlobalClusterID), Engine: a.Engine, Status: "available"}
	for _, c := range []struct {
		region, id string
		writer     bool
	}{{t.PrimaryRegion, a.PrimaryClusterID, true}, {t.DRRegion, a.DRClusterID, false}} {
		cl := &DBCluster{
			ID: c.id, ARN: fmt.Sprintf("arn:aws:rds:%s:%s:cluster:%s", c.region, acct, c.id), Region: c.region,
			Status: "available", Engine: a.Engine, EngineVersion: "15.4", GlobalClusterID: a.GlobalClusterID, Writer: c.writer,
			CreatedAt: born, EarliestRestorableTime: born, Endpoint: fmt.Sprintf("%s.cluster-abc123.%s.rds.amazonaws.com", c.id, c.region),
		}
		inst := &DBInstance{ID: c.id + "-instance-1", ARN: fmt.Sprintf("arn:aws:rds:%s:%s:db:%s-instance-1", c.region, acct, c.id),
			ClusterID: c.id, Class: a.InstanceClass, Engine: a.Engine, Status: "available"}
		cl.Members = []string{inst.ID}
		seedDBGroups(w.Regions[c.region], cl, inst)
		w.Regions[c.region].Clusters[c.id] = cl
		w.Regions[c.region].Instances[inst.ID] = inst
		gc.Members = append(gc.Members, &GlobalMember{ClusterARN: cl.ARN, Region: c.region, IsWriter: c.writer})
	}
	w.GlobalClusters[gc.ID] = gc
}

// rdsRestoreLag is how far LatestRestorableTime trails the present: Aurora's is typically within five minutes.
// It is scaled like DynamoDB's pitrLag, so a fast demo can restore both to just before a corruption it
// injected a moment ago, and both windows end at the same time.
const rdsRestoreLag = 5 * time.Minute

// rdsRestorableWindow is the point-in-time restore window: from the start of retained backups to a few
// (scaled) minutes ago, never before the start.
func (s *Server) rdsRestorableWindow(cl *DBCluster, now time.Time) (time.Time, time.Time) {
	earliest := cl.EarliestRestorableTime
	latest := now.Add(-time.Duration(float64(rdsRestoreLag) * s.scale))
	if latest.Before(earliest) {
		latest = earliest
	}
	return earliest, latest
}

// ---- lookups ----

// rdsMissing is RDS's error for a required parameter the request lacks.
func rdsMissing(param string) error {
	return Errf(400, "MissingParameter", "The request must contain the parameter %s", param)
}

func (s *Server) rdsRegion(c *Call) *Region { return s.world.Regions[c.Region] }

// rdsCluster finds a cluster of the caller's region by identifier or ARN.
func (s *Server) rdsCluster(c *Call, ident string) (*DBCluster, error) {
	if ident == "" {
		return nil, rdsMissing("DBClusterIdentifier")
	}
	for _, cl := range s.rdsRegion(c).Clusters {
		if cl.ID == ident || cl.ARN == ident {
			return cl, nil
		}
	}
	return nil, Errf(404, "DBClusterNotFoundFault", "DBCluster %s not found in %s.", ident, c.Region)
}

// rdsClusterByARN finds a cluster in any region, as global-cluster operations address members by ARN.
func (s *Server) rdsClusterByARN(arn string) *DBCluster {
	for _, r := range SortedKeys(s.world.Regions) {
		for _, cl := range s.world.Regions[r].Clusters {
			if cl.ARN == arn {
				return cl
			}
		}
	}
	return nil
}

func (s *Server) rdsGlobal(ident string) (*GlobalCluster, error) {
	if ident == "" {
		return nil, rdsMissing("GlobalClusterIdentifier")
	}
	for _, gc := range s.world.GlobalClusters {
		if gc.ID == ident || gc.ARN == ident {
			return gc, nil
		}
	}
	return nil, Errf(404, "GlobalClusterNotFoundFault", "Global cluster %s not found.", ident)
}

func rdsWriterMember(gc *GlobalCluster) *GlobalMember {
	for _, m := range gc.Members {
		if m.IsWriter {
			return m
		}
	}
	return nil
}

// rdsMember resolves TargetDbClusterIdentifier: an ARN (what AWS asks for) or an identifier of the caller's region.
func (s *Server) rdsMember(c *Call, gc *GlobalCluster, ident string) (*GlobalMember, error) {
	if ident == "" {
		return nil, rdsMissing("TargetDbClusterIdentifier")
	}
	arn := ident
	if !strings.HasPrefix(ident, "arn:") {
		cl, err := s.rdsCluster(c, ident)
		if err != nil {
			return nil, err
		}
		arn = cl.ARN
	} else if s.rdsClusterByARN(arn) == nil {
		return nil, Errf(404, "DBClusterNotFoundFault", "DBCluster %s not found.", arn)
	}
	for _, m := range gc.Members {
		if m.ClusterARN == arn {
			return m, nil
		}
	}
	return nil, Errf(400, "InvalidParameterValue", "DB cluster %s is not found in global cluster %s", arn, gc.ID)
}

func (s *Server) rdsAddSnapshot(reg *Region, cl *DBCluster, id, typ string, now time.Time) *DBClusterSnapshot {
	if reg.ClusterSnapshots == nil {
		reg.ClusterSnapshots = map[string]*DBClusterSnapshot{}
	}
	sn := &DBClusterSnapshot{
		ID: id, ARN: fmt.Sprintf("arn:aws:rds:%s:%s:cluster-snapshot:%s", reg.Name, s.world.AccountID, id), ClusterID: cl.ID,
		Engine: cl.Engine, EngineVersion: cl.EngineVersion, Type: typ, Status: "available", CreatedAt: now, ClusterCreated: cl.CreatedAt,
	}
	reg.ClusterSnapshots[id] = sn
	return sn
}

// ---- time-driven transitions ----

func rdsAdvance(s *Server, now time.Time) {
	for _, rn := range SortedKeys(s.world.Regions) {
		reg := s.world.Regions[rn]
		for _, cl := range reg.Clusters {
			if cl.NextStatus == "" || now.Before(cl.ReadyAt) {
				continue
			}
			if cl.Status == "promoting" {
				cl.Writer, cl.ReplicationSourceIdentifier = true, ""
			}
			cl.Status, cl.NextStatus, cl.ReadyAt = cl.NextStatus, "", time.Time{}
		}
		for _, in := range reg.Instances {
			if in.Status == "creating" && !now.Before(in.ReadyAt) {
				in.Status, in.ReadyAt = "available", time.Time{}
			}
		}
		for _, sn := range reg.ClusterSnapshots {
			if sn.Status == "creating" && !now.Before(sn.ReadyAt) {
				sn.Status, sn.ReadyAt = "available", time.Time{}
			}
		}
	}
	for _, id := range SortedKeys(s.world.GlobalClusters) {
		gc := s.world.GlobalClusters[id]
		if p := gc.Pending; p != nil && !now.Before(p.ReadyAt) {
			s.rdsCompleteGlobalChange(gc, p)
		}
		for _, m := range gc.Members {
			if m.PendingResync && !s.regionOut(m.Region) {
				s.rdsResync(m, now)
			}
		}
	}
}

func (s *Server) rdsCompleteGlobalChange(gc *GlobalCluster, p *GlobalFailover) {
	for _, m := range gc.Members {
		cl := s.rdsClusterByARN(m.ClusterARN)
		switch m.ClusterARN {
		case p.ToARN:
			m.IsWriter = true
			if cl != nil {
				cl.Writer, cl.Status = true, "available"
			}
		case p.FromARN:
			m.IsWriter = false
			if cl != nil {
				cl.Writer = false
			}
			// After a failover with data loss the old primary may hold writes the new primary never saw. AWS
			// fences it; when its region is reachable it is snapshotted and rebuilt as a secondary.
			if p.AllowDataLoss {
				m.PendingResync = true
			} else if cl != nil {
				cl.Status = "available"
			}
		}
	}
	gc.Status, gc.Pending = "available", nil
}

// rdsResync rejoins an old primary as a secondary once its region is back, keeping its divergent writes in a
// snapshot named as AWS names it (rds:unplanned-global-failover-<cluster>-<timestamp>).
func (s *Server) rdsResync(m *GlobalMember, now time.Time) {
	m.PendingResync = false
	cl := s.rdsClusterByARN(m.ClusterARN)
	if cl == nil {
		return
	}
	id := fmt.Sprintf("rds:unplanned-global-failover-%s-%s", cl.ID, now.UTC().Format("2006-01-02-15-04"))
	s.rdsAddSnapshot(s.world.Regions[cl.Region], cl, id, "automated", now)
	cl.Writer, cl.Status = false, "available"
}
