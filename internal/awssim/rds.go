package awssim

import (
	"fmt"
	"time"
)

const rdsXMLNS = "http://rds.amazonaws.com/doc/2014-10-31/"

// RDS speaks awsQuery and models Aurora only: a global database's failover, switchover and detach, cluster
// promotion, point-in-time restore, instances and cluster snapshots, each taking its modeled time.
func init() {
	register(&service{
		name: "rds", protocol: queryProtocol{}, xmlns: rdsXMLNS,
		ops: map[string]opFunc{
			"DescribeDBClusters":            rdsDescribeDBClusters,
			"DescribeGlobalClusters":        rdsDescribeGlobalClusters,
			"DescribeDBInstances":           rdsDescribeDBInstances,
			"DescribeDBClusterSnapshots":    rdsDescribeDBClusterSnapshots,
			"FailoverGlobalCluster":         journaled(formParam("GlobalClusterIdentifier"), rdsFailoverGlobalCluster),
			"SwitchoverGlobalCluster":       journaled(formParam("GlobalClusterIdentifier"), rdsSwitchoverGlobalCluster),
			"RemoveFromGlobalCluster":       journaled(formParam("DbClusterIdentifier"), rdsRemoveFromGlobalCluster),
			"PromoteReadReplicaDBCluster":   journaled(formParam("DBClusterIdentifier"), rdsPromoteReadReplicaDBCluster),
			"RestoreDBClusterToPointInTime": journaled(formParam("DBClusterIdentifier"), rdsRestoreDBClusterToPointInTime),
			"CreateDBInstance":              journaled(formParam("DBInstanceIdentifier"), rdsCreateDBInstance),
			"CreateDBClusterSnapshot":       journaled(formParam("DBClusterSnapshotIdentifier"), rdsCreateDBClusterSnapshot),
		},
		advance: rdsAdvance,
	})
}

// ---- describes ----

// rdsFilters reads Filters.member.N.{Name,Values.member.M} into name → allowed values.
func rdsFilters(f Form) map[string][]string {
	out := map[string][]string{}
	for i := 1; ; i++ {
		p := fmt.Sprintf("Filters.member.%d.", i)
		name := f.Get(p + "Name")
		if name == "" {
			return out
		}
		out[name] = append(out[name], f.Members(p+"Values.member")...)
	}
}

func filterMatch(filters map[string][]string, name string, values ...string) bool {
	want, ok := filters[name]
	if !ok {
		return true
	}
	for _, w := range want {
		for _, v := range values {
			if w == v {
				return true
			}
		}
	}
	return false
}

func rdsDescribeDBClusters(s *Server, c *Call) (any, error) {
	reg := s.rdsRegion(c)
	out := rdsDescribeClustersResult{}
	if id := c.Form.Get("DBClusterIdentifier"); id != "" {
		cl, err := s.rdsCluster(c, id)
		if err != nil {
			return nil, err
		}
		out.Clusters.Items = append(out.Clusters.Items, s.rdsClusterOut(reg, cl, c.Now))
		return out, nil
	}
	filters := rdsFilters(c.Form)
	for _, id := range SortedKeys(reg.Clusters) {
		cl := reg.Clusters[id]
		if filterMatch(filters, "db-cluster-id", cl.ID, cl.ARN) && filterMatch(filters, "engine", cl.Engine) {
			out.Clusters.Items = append(out.Clusters.Items, s.rdsClusterOut(reg, cl, c.Now))
		}
	}
	return out, nil
}

func rdsDescribeGlobalClusters(s *Server, c *Call) (any, error) {
	out := rdsDescribeGlobalsResult{}
	if id := c.Form.Get("GlobalClusterIdentifier"); id != "" {
		gc, err := s.rdsGlobal(id)
		if err != nil {
			return nil, err
		}
		out.Globals.Items = append(out.Globals.Items, s.rdsGlobalOut(gc))
		return out, nil
	}
	for _, id := range SortedKeys(s.world.GlobalClusters) {
		out.Globals.Items = append(out.Globals.Items, s.rdsGlobalOut(s.world.GlobalClusters[id]))
	}
	return out, nil
}

func rdsDescribeDBInstances(s *Server, c *Call) (any, error) {
	reg := s.rdsRegion(c)
	out := rdsDescribeInstancesResult{}
	if id := c.Form.Get("DBInstanceIdentifier"); id != "" {
		for _, in := range reg.Instances {
			if in.ID == id || in.ARN == id {
				out.Instances.Items = append(out.Instances.Items, s.rdsInstanceOut(reg, in))
				return out, nil
			}
		}
		return nil, Errf(404, "DBInstanceNotFound", "DBInstance %s not found in %s.", id, c.Region)
	}
	filters := rdsFilters(c.Form)
	for _, id := range SortedKeys(reg.Instances) {
		in := reg.Instances[id]
		if filterMatch(filters, "db-cluster-id", in.ClusterID) && filterMatch(filters, "db-instance-id", in.ID, in.ARN) {
			out.Instances.Items = append(out.Instances.Items, s.rdsInstanceOut(reg, in))
		}
	}
	return out, nil
}

func rdsDescribeDBClusterSnapshots(s *Server, c *Call) (any, error) {
	reg := s.rdsRegion(c)
	out := rdsDescribeSnapshotsResult{}
	want := c.Form.Get("DBClusterSnapshotIdentifier")
	var cluster string
	if id := c.Form.Get("DBClusterIdentifier"); id != "" {
		cluster = id
		if cl, err := s.rdsCluster(c, id); err == nil {
			cluster = cl.ID
		}
	}
	typ := c.Form.Get("SnapshotType")
	for _, id := range SortedKeys(reg.ClusterSnapshots) {
		sn := reg.ClusterSnapshots[id]
		if (want == "" || sn.ID == want || sn.ARN == want) && (cluster == "" || sn.ClusterID == cluster) && (typ == "" || sn.Type == typ) {
			out.Snapshots.Items = append(out.Snapshots.Items, rdsSnapshotOut(sn))
		}
	}
	if want != "" && len(out.Snapshots.Items) == 0 {
		return nil, Errf(404, "DBClusterSnapshotNotFoundFault", "DBClusterSnapshot %s not found in %s.", want, c.Region)
	}
	return out, nil
}

// ---- global database failover, switchover, detach ----

func rdsFailoverGlobalCluster(s *Server, c *Call) (any, error) {
	allow, _ := c.Form.Bool("AllowDataLoss")
	sw, _ := c.Form.Bool("Switchover")
	if allow && sw {
		return nil, Errf(400, "InvalidParameterCombination", "Specify AllowDataLoss to fail over or Switchover to switch over global cluster %s, not both.", c.Form.Get("GlobalClusterIdentifier"))
	}
	// Without AllowDataLoss, FailoverGlobalCluster is a switchover in AWS: the planned change of primary that
	// loses no data.
	kind := "switchover"
	if allow {
		kind = "failover"
	}
	return s.rdsStartGlobalChange(c, kind)
}

func rdsSwitchoverGlobalCluster(s *Server, c *Call) (any, error) {
	return s.rdsStartGlobalChange(c, "switchover")
}

func (s *Server) rdsStartGlobalChange(c *Call, kind string) (any, error) {
	gc, err := s.rdsGlobal(c.Form.Get("GlobalClusterIdentifier"))
	if err != nil {
		return nil, err
	}
	target, err := s.rdsMember(c, gc, c.Form.Get("TargetDbClusterIdentifier"))
	if err != nil {
		return nil, err
	}
	if p := gc.Pending; p != nil {
		return nil, Errf(400, "InvalidGlobalClusterStateFault", "Global cluster %s is already in a %s to %s; wait until it is available.", gc.ID, p.Kind, p.ToARN)
	}
	if target.IsWriter {
		return nil, Errf(400, "InvalidGlobalClusterStateFault", "DB cluster %s is already the primary cluster of global cluster %s.", target.ClusterARN, gc.ID)
	}
	targetCl := s.rdsClusterByARN(target.ClusterARN)
	if s.regionOut(targetCl.Region) {
		return nil, Errf(400, "InvalidDBClusterStateFault", "DB cluster %s cannot become primary: its region %s is unavailable.", targetCl.ARN, targetCl.Region)
	}
	if targetCl.Status != "available" {
		return nil, Errf(400, "InvalidDBClusterStateFault", "DB cluster %s in %s is %s, not available.", targetCl.ID, targetCl.Region, targetCl.Status)
	}
	from := rdsWriterMember(gc)
	if kind == "switchover" {
		// A switchover synchronizes every secondary with the primary before it changes roles (RPO 0), so it
		// needs every member reachable and healthy; a regional outage calls for a failover with data loss.
		for _, m := range gc.Members {
			if s.regionOut(m.Region) {
				return nil, Errf(400, "InvalidGlobalClusterStateFault", "Global cluster %s cannot switch over: member %s in %s is unavailable. To recover from a Regional outage, use FailoverGlobalCluster with AllowDataLoss.", gc.ID, m.ClusterARN, m.Region)
			}
			if cl := s.rdsClusterByARN(m.ClusterARN); (cl != nil && cl.Status != "available") || m.PendingResync {
				return nil, Errf(400, "InvalidGlobalClusterStateFault", "Global cluster %s cannot switch over: member %s in %s is not available and synchronized.", gc.ID, m.ClusterARN, m.Region)
			}
		}
	}
	d := s.durations.AuroraSwitchover
	gc.Status = "switching-over"
	if kind == "failover" {
		d, gc.Status = s.durations.AuroraFailover, "failing-over"
	}
	p := &GlobalFailover{Kind: kind, ToARN: target.ClusterARN, AllowDataLoss: kind == "failover", ReadyAt: s.after(d)}
	targetCl.Status = "failing-over"
	if from != nil {
		p.FromARN = from.ClusterARN
		if cl := s.rdsClusterByARN(from.ClusterARN); cl != nil && !s.regionOut(cl.Region) {
			cl.Status = "failing-over"
		}
	}
	gc.Pending = p
	s.record(c, gc.ID, true, fmt.Sprintf("%s to %s", kind, target.ClusterARN))
	return rdsGlobalResult{XMLName: resultName(c), GlobalCluster: s.rdsGlobalOut(gc)}, nil
}

func rdsRemoveFromGlobalCluster(s *Server, c *Call) (any, error) {
	gc, err := s.rdsGlobal(c.Form.Get("GlobalClusterIdentifier"))
	if err != nil {
		return nil, err
	}
	arn := c.Form.Get("DbClusterIdentifier")
	if arn == "" {
		return nil, rdsMissing("DbClusterIdentifier")
	}
	idx := -1
	for i, m := range gc.Members {
		if m.ClusterARN == arn {
			idx = i
		}
	}
	// AWS wants the member's ARN here; an identifier or a detached cluster is "not found in global cluster".
	if idx < 0 {
		return nil, Errf(400, "InvalidParameterValue", "DB cluster %s is not found in global cluster %s", arn, gc.ID)
	}
	if gc.Pending != nil {
		return nil, Errf(400, "InvalidGlobalClusterStateFault", "Global cluster %s is in a %s; wait until it is available.", gc.ID, gc.Pending.Kind)
	}
	m := gc.Members[idx]
	if m.IsWriter && len(gc.Members) > 1 {
		return nil, Errf(400, "InvalidGlobalClusterStateFault", "DB cluster %s is the primary of global cluster %s, which still has secondary clusters; remove the secondaries or fail over first.", arn, gc.ID)
	}
	gc.Members = append(gc.Members[:idx:idx], gc.Members[idx+1:]...)
	if cl := s.rdsClusterByARN(arn); cl != nil {
		cl.GlobalClusterID = ""
		if !m.IsWriter {
			// The detached secondary becomes a standalone cluster that accepts writes once promoted.
			cl.Status, cl.NextStatus, cl.ReadyAt = "promoting", "available", s.after(s.durations.AuroraDetach)
		}
	}
	s.record(c, arn, true, "removed from "+gc.ID)
	return rdsGlobalResult{XMLName: resultName(c), GlobalCluster: s.rdsGlobalOut(gc)}, nil
}

func rdsPromoteReadReplicaDBCluster(s *Server, c *Call) (any, error) {
	cl, err := s.rdsCluster(c, c.Form.Get("DBClusterIdentifier"))
	if err != nil {
		return nil, err
	}
	// An Aurora global database secondary replicates at the storage layer, not by binlog: it is not a read
	// replica and AWS refuses to promote it, so a recovery procedure that promotes it fails against AWS as
	// well; the ways out are FailoverGlobalCluster or RemoveFromGlobalCluster. The wording keeps the phrase
	// clients such as Ansible's rds module match ("DB Cluster that is not a read replica").
	if cl.GlobalClusterID != "" {
		return nil, Errf(400, "InvalidDBClusterStateFault", "Cannot promote DB Cluster that is not a read replica: %s in %s is a member of global cluster %s; use FailoverGlobalCluster or RemoveFromGlobalCluster.", cl.ID, c.Region, cl.GlobalClusterID)
	}
	if cl.ReplicationSourceIdentifier == "" {
		return nil, Errf(400, "InvalidDBClusterStateFault", "Cannot promote DB Cluster that is not a read replica: %s in %s.", cl.ID, c.Region)
	}
	if cl.Status != "available" {
		return nil, Errf(400, "InvalidDBClusterStateFault", "DB cluster %s in %s is %s, not available.", cl.ID, c.Region, cl.Status)
	}
	cl.Status, cl.NextStatus, cl.ReadyAt = "promoting", "available", s.after(s.durations.AuroraPromote)
	s.record(c, cl.ID, true, "promoting from "+cl.ReplicationSourceIdentifier)
	return rdsClusterResult{XMLName: resultName(c), DBCluster: s.rdsClusterOut(s.rdsRegion(c), cl, c.Now)}, nil
}

// ---- restore, instances, snapshots ----

func rdsRestoreDBClusterToPointInTime(s *Server, c *Call) (any, error) {
	reg := s.rdsRegion(c)
	id := c.Form.Get("DBClusterIdentifier")
	if id == "" {
		return nil, rdsMissing("DBClusterIdentifier")
	}
	if _, exists := reg.Clusters[id]; exists {
		return nil, Errf(400, "DBClusterAlreadyExistsFault", "DB Cluster %s already exists in %s.", id, c.Region)
	}
	src, err := s.rdsCluster(c, c.Form.Get("SourceDBClusterIdentifier"))
	if err != nil {
		return nil, err
	}
	latestFlag, _ := c.Form.Bool("UseLatestRestorableTime")
	raw := c.Form.Get("RestoreToTime")
	earliest, latest := s.rdsRestorableWindow(src, c.Now)
	var at time.Time
	switch {
	case latestFlag && raw != "":
		return nil, Errf(400, "InvalidParameterCombination", "Cannot specify both RestoreToTime and UseLatestRestorableTime.")
	case latestFlag:
		at = latest
	case raw == "":
		return nil, Errf(400, "InvalidParameterCombination", "Either RestoreToTime or UseLatestRestorableTime must be specified.")
	default:
		t, ok := c.Form.Time("RestoreToTime")
		if !ok {
			return nil, Errf(400, "InvalidParameterValue", "RestoreToTime %q is not an ISO 8601 timestamp.", raw)
		}
		at = t
	}
	if src.Status == "creating" || at.Before(earliest) || at.After(latest) {
		return nil, Errf(400, "InvalidRestoreFault", "Restore time %s is outside the restorable window of DB cluster %s in %s: %s to %s.",
			iso(at), src.ID, c.Region, iso(earliest), iso(latest))
	}
	cl := &DBCluster{
		ID: id, ARN: fmt.Sprintf("arn:aws:rds:%s:%s:cluster:%s", c.Region, s.world.AccountID, id), Region: c.Region,
		Status: "creating", NextStatus: "available", ReadyAt: s.after(s.durations.ClusterRestore),
		Engine: src.Engine, EngineVersion: src.EngineVersion, Writer: true, CreatedAt: c.Now, EarliestRestorableTime: c.Now,
		RestoredFrom: src.ID, RestoredTo: at, Members: []string{},
		Endpoint: fmt.Sprintf("%s.cluster-abc123.%s.rds.amazonaws.com", id, c.Region),
	}
	if err := s.restoreNetwork(c, cl); err != nil {
		return nil, err
	}
	reg.Clusters[id] = cl
	s.record(c, id, true, fmt.Sprintf("restore of %s to %s", src.ID, iso(at)))
	return rdsClusterResult{XMLName: resultName(c), DBCluster: s.rdsClusterOut(reg, cl, c.Now)}, nil
}

func rdsCreateDBInstance(s *Server, c *Call) (any, error) {
	reg := s.rdsRegion(c)
	id := c.Form.Get("DBInstanceIdentifier")
	class, engine := c.Form.Get("DBInstanceClass"), c.Form.Get("Engine")
	if id == "" || class == "" || engine == "" {
		return nil, Errf(400, "MissingParameter", "CreateDBInstance needs DBInstanceIdentifier, DBInstanceClass and Engine.")
	}
	if _, exists := reg.Instances[id]; exists {
		return nil, Errf(400, "DBInstanceAlreadyExists", "DB instance %s already exists in %s.", id, c.Region)
	}
	cid := c.Form.Get("DBClusterIdentifier")
	if cid == "" {
		return nil, Errf(400, "InvalidParameterCombination", "awssim models Aurora only: DBClusterIdentifier is required for instance %s.", id)
	}
	cl, err := s.rdsCluster(c, cid)
	if err != nil {
		return nil, err
	}
	if engine != cl.Engine {
		return nil, Errf(400, "InvalidParameterCombination", "The engine %s of instance %s does not match engine %s of DB cluster %s.", engine, id, cl.Engine, cl.ID)
	}
	if cl.Status != "available" {
		return nil, Errf(400, "InvalidDBClusterStateFault", "DB cluster %s in %s is %s; wait until it is available before adding instance %s.", cl.ID, c.Region, cl.Status, id)
	}
	pg, err := s.instanceParamGroup(c, cl)
	if err != nil {
		return nil, err
	}
	in := &DBInstance{
		ID: id, ARN: fmt.Sprintf("arn:aws:rds:%s:%s:db:%s", c.Region, s.world.AccountID, id), ClusterID: cl.ID,
		Class: class, Engine: engine, Status: "creating", ReadyAt: s.after(s.durations.InstanceCreate), ParameterGroup: pg,
	}
	reg.Instances[id] = in
	cl.Members = append(cl.Members, id)
	s.record(c, id, true, "instance of "+cl.ID)
	return rdsInstanceResult{XMLName: resultName(c), DBInstance: s.rdsInstanceOut(reg, in)}, nil
}

func rdsCreateDBClusterSnapshot(s *Server, c *Call) (any, error) {
	reg := s.rdsRegion(c)
	id := c.Form.Get("DBClusterSnapshotIdentifier")
	if id == "" {
		return nil, rdsMissing("DBClusterSnapshotIdentifier")
	}
	if _, exists := reg.ClusterSnapshots[id]; exists {
		return nil, Errf(400, "DBClusterSnapshotAlreadyExistsFault", "Cannot create the snapshot because a snapshot with the identifier %s already exists in %s.", id, c.Region)
	}
	cl, err := s.rdsCluster(c, c.Form.Get("DBClusterIdentifier"))
	if err != nil {
		return nil, err
	}
	if cl.Status != "available" {
		return nil, Errf(400, "InvalidDBClusterStateFault", "DB cluster %s in %s is %s, not available.", cl.ID, c.Region, cl.Status)
	}
	sn := s.rdsAddSnapshot(reg, cl, id, "manual", c.Now)
	sn.Status, sn.ReadyAt = "creating", s.after(s.durations.ClusterSnapshot)
	s.record(c, id, true, "snapshot of "+cl.ID)
	return rdsSnapshotResult{XMLName: resultName(c), DBClusterSnapshot: rdsSnapshotOut(sn)}, nil
}
