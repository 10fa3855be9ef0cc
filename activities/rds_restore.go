package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// ClusterRef names an Aurora DB cluster in a region.
type ClusterRef struct {
	Region  string `json:"region"`
	Cluster string `json:"cluster"`
}

// ClusterWindow is a cluster's status and the window a point-in-time restore may target.
type ClusterWindow struct {
	Cluster  string    `json:"cluster"`
	Region   string    `json:"region"`
	Status   string    `json:"status"`
	Engine   string    `json:"engine"`
	Endpoint string    `json:"endpoint"`
	Earliest time.Time `json:"earliest,omitzero"`
	Latest   time.Time `json:"latest,omitzero"`
	// Writer is the instance that is the cluster writer, if any.
	Writer string `json:"writer,omitempty"`
}

func (a *Activities) clusterOf(ctx context.Context, in ClusterRef) (types.DBCluster, error) {
	out, err := a.AWS.RDS(in.Region).DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String(in.Cluster)})
	if err != nil {
		return types.DBCluster{}, classify(err, "rds:DescribeDBClusters", in.Cluster, in.Region)
	}
	if len(out.DBClusters) == 0 {
		return types.DBCluster{}, refuse("DBClusterNotFoundFault", "rds:DescribeDBClusters: cluster %s not found in %s", in.Cluster, in.Region)
	}
	return out.DBClusters[0], nil
}

func windowOf(in ClusterRef, c types.DBCluster) ClusterWindow {
	w := ClusterWindow{Cluster: in.Cluster, Region: in.Region, Status: aws.ToString(c.Status), Engine: aws.ToString(c.Engine), Endpoint: aws.ToString(c.Endpoint),
		Earliest: aws.ToTime(c.EarliestRestorableTime), Latest: aws.ToTime(c.LatestRestorableTime)}
	for _, m := range c.DBClusterMembers {
		if aws.ToBool(m.IsClusterWriter) {
			w.Writer = aws.ToString(m.DBInstanceIdentifier)
		}
	}
	return w
}

// DescribeClusterWindow reads EarliestRestorableTime and LatestRestorableTime from DescribeDBClusters.
func (a *Activities) DescribeClusterWindow(ctx context.Context, in ClusterRef) (ClusterWindow, error) {
	c, err := a.clusterOf(ctx, in)
	if err != nil {
		return ClusterWindow{}, err
	}
	return windowOf(in, c), nil
}

// ClusterRestoreInput restores Source to its state at At into a new cluster Target.
type ClusterRestoreInput struct {
	Region string    `json:"region"`
	Source string    `json:"source"`
	Target string    `json:"target"`
	At     time.Time `json:"at"`
}

// ClusterRestoreResult says whether this call started the restore or found the target already there.
type ClusterRestoreResult struct {
	Region  string `json:"region"`
	Target  string `json:"target"`
	Created bool   `json:"created"`
	Status  string `json:"status"`
	// Settings are the source's settings the restore was given (rds_settings.go).
	Settings []CarriedSetting `json:"settings,omitempty"`
}

// RestoreCluster starts RestoreDBClusterToPointInTime unless the target cluster exists; an existing target
// is the restore a previous attempt started and is waited on, not created again. The restored cluster gets
// the source's cluster parameter group, subnet group, security groups and tags (restoreRequest): without
// them AWS would use the engine's default parameters and the default VPC, where the application cannot
// reach it.
func (a *Activities) RestoreCluster(ctx context.Context, in ClusterRestoreInput) (ClusterRestoreResult, error) {
	res := ClusterRestoreResult{Region: in.Region, Target: in.Target}
	existing, err := a.clusterOf(ctx, ClusterRef{Region: in.Region, Cluster: in.Target})
	switch {
	case err == nil:
		res.Status, res.Settings = aws.ToString(existing.Status), clusterSettings(existing, false)
		return res, nil
	case errType(err) != "DBClusterNotFoundFault":
		return res, err
	}
	src, err := a.clusterOf(ctx, ClusterRef{Region: in.Region, Cluster: in.Source})
	if err != nil {
		return res, err
	}
	out, err := a.AWS.RDS(in.Region).RestoreDBClusterToPointInTime(ctx, restoreRequest(in, src))
	if apiCode(err) == "DBClusterAlreadyExistsFault" {
		return res, nil
	}
	if err != nil {
		return res, classify(err, "rds:RestoreDBClusterToPointInTime", in.Source+" -> "+in.Target, in.Region)
	}
	res.Created, res.Status, res.Settings = true, aws.ToString(out.DBCluster.Status), clusterSettings(*out.DBCluster, true)
	return res, nil
}

// ClusterState is the outcome of a cluster wait.
type ClusterState struct {
	ClusterWindow
	Progress Progress `json:"progress"`
}

// WaitClusterAvailable waits until the cluster is available, heartbeating progress. Its states are the SDK's
// DBClusterAvailable waiter's: a failure state (failed, incompatible-restore, deleting, ...) fails the step
// at once, because a dead restore would otherwise be polled until the 4 h timeout.
func (a *Activities) WaitClusterAvailable(ctx context.Context, in ClusterRef) (ClusterState, error) {
	var st ClusterState
	p, err := a.waitFor(ctx, func(ctx context.Context) (bool, string, error) {
		c, err := a.clusterOf(ctx, in)
		if err != nil {
			return false, "", err
		}
		st.ClusterWindow = windowOf(in, c)
		switch clusterVerdict(ctx, c) {
		case pollFailure:
			return false, st.Status, failureState("rds cluster", in.Cluster, in.Region, st.Status, "DBClusterAvailable", rdsFailureHint(st.Status))
		case pollSuccess:
			return true, st.Status, nil
		}
		return false, st.Status, nil
	})
	st.Progress = p
	return st, err
}

// ClusterWriterInput names the writer instance to add to a restored cluster.
type ClusterWriterInput struct {
	Region   string `json:"region"`
	Cluster  string `json:"cluster"`
	Instance string `json:"instance"`
	Class    string `json:"class"`
	// SourceCluster, when set, is the cluster whose writer's class and DB parameter group the instance
	// gets; Class is then only the fallback for a source without a writer.
	SourceCluster string `json:"sourceCluster,omitempty"`
}

// ClusterWriterResult says whether this call created the instance.
type ClusterWriterResult struct {
	Region   string `json:"region"`
	Instance string `json:"instance"`
	Created  bool   `json:"created"`
	Status   string `json:"status"`
	// Settings are the class and parameter group the instance has, when SourceCluster was given.
	Settings []CarriedSetting `json:"settings,omitempty"`
}

// CreateClusterWriter adds the instance a restored Aurora cluster needs before anything can connect to it
// (RestoreDBClusterToPointInTime creates no instance; the runbook forgets this). An instance that already
// exists is left alone.
func (a *Activities) CreateClusterWriter(ctx context.Context, in ClusterWriterInput) (ClusterWriterResult, error) {
	res := ClusterWriterResult{Region: in.Region, Instance: in.Instance}
	db := a.AWS.RDS(in.Region)
	got, err := db.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(in.Instance)})
	switch {
	case err == nil && len(got.DBInstances) > 0:
		inst := got.DBInstances[0]
		if c := aws.ToString(inst.DBClusterIdentifier); c != in.Cluster {
			return res, refuse("DBInstanceAlreadyExists", "rds instance %s in %s already exists in cluster %q, not %s", in.Instance, in.Region, c, in.Cluster)
		}
		res.Status = aws.ToString(inst.DBInstanceStatus)
		if in.SourceCluster != "" {
			res.Settings = instanceShape(inst).settings(false)
		}
		return res, nil
	case err != nil && apiCode(err) != "DBInstanceNotFound":
		return res, classify(err, "rds:DescribeDBInstances", in.Instance, in.Region)
	}
	c, err := a.clusterOf(ctx, ClusterRef{Region: in.Region, Cluster: in.Cluster})
	if err != nil {
		return res, err
	}
	shape := writerShape{Class: in.Class}
	if in.SourceCluster != "" {
		if shape, err = a.sourceWriterShape(ctx, in.Region, in.SourceCluster, in.Class); err != nil {
			return res, err
		}
	}
	out, err := db.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String(in.Instance), DBClusterIdentifier: aws.String(in.Cluster),
		DBInstanceClass: aws.String(shape.Class), Engine: c.Engine, DBParameterGroupName: shape.parameterGroup()})
	if apiCode(err) == "DBInstanceAlreadyExists" {
		return res, nil
	}
	if err != nil {
		return res, classify(err, "rds:CreateDBInstance", in.Instance+" in cluster "+in.Cluster, in.Region)
	}
	res.Created, res.Status = true, aws.ToString(out.DBInstance.DBInstanceStatus)
	if in.SourceCluster != "" {
		res.Settings = shape.settings(true)
	}
	return res, nil
}

// WaitClusterWriter waits until the instance is available and is the cluster's writer. The instance is
// judged by the SDK's DBInstanceAvailable waiter and the cluster by DBClusterAvailable's failure states: a
// failure state of either fails the step at once.
func (a *Activities) WaitClusterWriter(ctx context.Context, in ClusterWriterInput) (ClusterState, error) {
	var st ClusterState
	p, err := a.waitFor(ctx, func(ctx context.Context) (bool, string, error) {
		out, err := a.AWS.RDS(in.Region).DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(in.Instance)})
		if err != nil {
			return false, "", classify(err, "rds:DescribeDBInstances", in.Instance, in.Region)
		}
		status, instOK := "", false
		if len(out.DBInstances) > 0 {
			inst := out.DBInstances[0]
			status = aws.ToString(inst.DBInstanceStatus)
			switch instanceVerdict(ctx, inst) {
			case pollFailure:
				return false, "instance " + status, failureState("rds instance", in.Instance, in.Region, status, "DBInstanceAvailable", rdsFailureHint(status))
			case pollSuccess:
				instOK = true
			}
		}
		c, err := a.clusterOf(ctx, ClusterRef{Region: in.Region, Cluster: in.Cluster})
		if err != nil {
			return false, "", err
		}
		st.ClusterWindow = windowOf(ClusterRef{Region: in.Region, Cluster: in.Cluster}, c)
		if clusterVerdict(ctx, c) == pollFailure {
			return false, "cluster " + st.Status, failureState("rds cluster", in.Cluster, in.Region, st.Status, "DBClusterAvailable", rdsFailureHint(st.Status))
		}
		return instOK && st.Writer == in.Instance, fmt.Sprintf("instance %s, writer %q", status, st.Writer), nil
	})
	st.Progress = p
	return st, err
}
