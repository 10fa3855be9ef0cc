package activities

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/roadcall/dr/internal/topology"
)

// AuroraFailoverInput names the global database and the DR cluster that must become the writer.
type AuroraFailoverInput struct {
	// Mode is the topology's aurora.failoverMode: global-failover, detach-and-promote or promote-read-replica.
	Mode            string `json:"mode"`
	Region          string `json:"region"` // the DR region: the calls go where the new writer will be
	GlobalClusterID string `json:"globalClusterId"`
	DRClusterID     string `json:"drClusterId"`
}

// AuroraFailoverResult says what the activity did: started the change, found it in flight, or found it done.
type AuroraFailoverResult struct {
	Action string `json:"action"` // started, in-progress, already-done
	Call   string `json:"call,omitempty"`
	Detail string `json:"detail"`
}

// Failover actions.
const (
	ActionStarted     = "started"
	ActionInProgress  = "in-progress"
	ActionAlreadyDone = "already-done"
)

// FailoverAurora makes the DR cluster the writer in the way the topology names. It reads first, so a retry
// after a lost response (or a second run) never issues the change twice.
func (a *Activities) FailoverAurora(ctx context.Context, in AuroraFailoverInput) (AuroraFailoverResult, error) {
	cl, err := a.describeCluster(ctx, in.Region, in.DRClusterID)
	if err != nil {
		return AuroraFailoverResult{}, err
	}
	c := a.AWS.RDS(in.Region)
	switch in.Mode {
	case topology.FailoverGlobal, "":
		g, err := a.DescribeGlobalCluster(ctx, GlobalClusterRef{Region: in.Region, ID: in.GlobalClusterID})
		if err != nil {
			return AuroraFailoverResult{}, err
		}
		arn := aws.ToString(cl.DBClusterArn)
		member := false
		for _, m := range g.Members {
			if m.ClusterARN == arn {
				member = true
				if m.IsWriter && g.FailoverStatus == "" {
					return AuroraFailoverResult{Action: ActionAlreadyDone, Detail: fmt.Sprintf("%s in %s is already the writer of %s", in.DRClusterID, in.Region, in.GlobalClusterID)}, nil
				}
			}
		}
		if !member {
			return AuroraFailoverResult{}, refuse("InvalidGlobalClusterStateFault", "rds:FailoverGlobalCluster %s in %s: %s is not a member of the global cluster (detached already?); use failover mode %q or fix the topology",
				in.GlobalClusterID, in.Region, in.DRClusterID, topology.FailoverDetachAndPromote)
		}
		if g.FailoverStatus != "" {
			return AuroraFailoverResult{Action: ActionInProgress, Detail: fmt.Sprintf("global cluster %s is already %s", in.GlobalClusterID, g.FailoverStatus)}, nil
		}
		_, err = c.FailoverGlobalCluster(ctx, &rds.FailoverGlobalClusterInput{
			GlobalClusterIdentifier: aws.String(in.GlobalClusterID), TargetDbClusterIdentifier: aws.String(arn), AllowDataLoss: aws.Bool(true)})
		if err != nil {
			return AuroraFailoverResult{}, classify(err, "rds:FailoverGlobalCluster", in.GlobalClusterID+" to "+in.DRClusterID, in.Region)
		}
		return AuroraFailoverResult{Action: ActionStarted, Call: "FailoverGlobalCluster --allow-data-loss",
			Detail: fmt.Sprintf("failing %s over to %s in %s, data loss allowed", in.GlobalClusterID, in.DRClusterID, in.Region)}, nil

	case topology.FailoverDetachAndPromote:
		if aws.ToString(cl.GlobalClusterIdentifier) == "" {
			if aws.ToString(cl.Status) != "available" {
				return AuroraFailoverResult{Action: ActionInProgress, Detail: fmt.Sprintf("%s in %s is detached and %s", in.DRClusterID, in.Region, aws.ToString(cl.Status))}, nil
			}
			return AuroraFailoverResult{Action: ActionAlreadyDone, Detail: fmt.Sprintf("%s in %s is already a standalone cluster", in.DRClusterID, in.Region)}, nil
		}
		_, err := c.RemoveFromGlobalCluster(ctx, &rds.RemoveFromGlobalClusterInput{
			GlobalClusterIdentifier: aws.String(aws.ToString(cl.GlobalClusterIdentifier)), DbClusterIdentifier: cl.DBClusterArn})
		if err != nil {
			return AuroraFailoverResult{}, classify(err, "rds:RemoveFromGlobalCluster", in.DRClusterID, in.Region)
		}
		return AuroraFailoverResult{Action: ActionStarted, Call: "RemoveFromGlobalCluster",
			Detail: fmt.Sprintf("detaching %s in %s from %s; it becomes a standalone writer", in.DRClusterID, in.Region, aws.ToString(cl.GlobalClusterIdentifier))}, nil

	case topology.FailoverPromoteReplica:
		// A binlog replica has a replication source; once promoted it has none. A global-database secondary
		// has none either but belongs to a global cluster: AWS refuses to promote it, and so do we, by
		// letting the call fail with AWS's own error.
		if aws.ToString(cl.ReplicationSourceIdentifier) == "" && aws.ToString(cl.GlobalClusterIdentifier) == "" {
			if aws.ToString(cl.Status) != "available" {
				return AuroraFailoverResult{Action: ActionInProgress, Detail: fmt.Sprintf("%s in %s is %s", in.DRClusterID, in.Region, aws.ToString(cl.Status))}, nil
			}
			return AuroraFailoverResult{Action: ActionAlreadyDone, Detail: fmt.Sprintf("%s in %s is already promoted", in.DRClusterID, in.Region)}, nil
		}
		_, err := c.PromoteReadReplicaDBCluster(ctx, &rds.PromoteReadReplicaDBClusterInput{DBClusterIdentifier: aws.String(in.DRClusterID)})
		if err != nil {
			return AuroraFailoverResult{}, classify(err, "rds:PromoteReadReplicaDBCluster", in.DRClusterID, in.Region)
		}
		return AuroraFailoverResult{Action: ActionStarted, Call: "PromoteReadReplicaDBCluster",
			Detail: fmt.Sprintf("promoting read replica %s in %s", in.DRClusterID, in.Region)}, nil
	}
	return AuroraFailoverResult{}, refuse("InvalidParameterValue", "unknown Aurora failover mode %q for %s in %s", in.Mode, in.DRClusterID, in.Region)
}

// AuroraWriterState is the DR cluster as the wait last saw it.
type AuroraWriterState struct {
	Cluster  string   `json:"cluster"`
	Region   string   `json:"region"`
	Status   string   `json:"status"`
	Writer   bool     `json:"writer"`
	Endpoint string   `json:"endpoint,omitempty"`
	Progress Progress `json:"progress"`
}

// WaitAuroraWriter polls until the DR cluster is available and is the writer: for a global failover the
// global cluster names it writer and has no failover in flight; for the other modes it is standalone and
// one of its instances is the cluster writer. It heartbeats, so a replacement worker resumes the wait. A
// failure state of the SDK's DBClusterAvailable waiter (failed, deleting, ...) fails it at once.
func (a *Activities) WaitAuroraWriter(ctx context.Context, in AuroraFailoverInput) (AuroraWriterState, error) {
	st := AuroraWriterState{Cluster: in.DRClusterID, Region: in.Region}
	p, err := a.waitFor(ctx, func(ctx context.Context) (bool, string, error) {
		cl, err := a.describeCluster(ctx, in.Region, in.DRClusterID)
		if err != nil {
			return false, "", err
		}
		st.Status, st.Endpoint = aws.ToString(cl.Status), aws.ToString(cl.Endpoint)
		if clusterVerdict(ctx, cl) == pollFailure {
			return false, "cluster " + st.Status, failureState("rds cluster", in.DRClusterID, in.Region, st.Status, "DBClusterAvailable", rdsFailureHint(st.Status))
		}
		instWriter := false
		for _, m := range cl.DBClusterMembers {
			instWriter = instWriter || aws.ToBool(m.IsClusterWriter)
		}
		switch in.Mode {
		case topology.FailoverGlobal, "":
			g, err := a.DescribeGlobalCluster(ctx, GlobalClusterRef{Region: in.Region, ID: in.GlobalClusterID})
			if err != nil {
				return false, "", err
			}
			globalWriter := false
			for _, m := range g.Members {
				globalWriter = globalWriter || (m.ClusterARN == aws.ToString(cl.DBClusterArn) && m.IsWriter)
			}
			st.Writer = globalWriter && g.FailoverStatus == "" && instWriter
			seen := fmt.Sprintf("cluster %s, global writer %v", st.Status, globalWriter)
			if g.FailoverStatus != "" {
				seen += ", global cluster " + g.FailoverStatus
			}
			return st.Writer && st.Status == "available", seen, nil
		default:
			standalone := aws.ToString(cl.GlobalClusterIdentifier) == "" && aws.ToString(cl.ReplicationSourceIdentifier) == ""
			st.Writer = standalone && instWriter
			return st.Writer && st.Status == "available", fmt.Sprintf("cluster %s, standalone %v, writer instance %v", st.Status, standalone, instWriter), nil
		}
	})
	st.Progress = p
	return st, err
}

func (a *Activities) describeCluster(ctx context.Context, region, id string) (types.DBCluster, error) {
	out, err := a.AWS.RDS(region).DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String(id)})
	if err != nil {
		return types.DBCluster{}, classify(err, "rds:DescribeDBClusters", id, region)
	}
	if len(out.DBClusters) == 0 {
		return types.DBCluster{}, refuse("DBClusterNotFoundFault", "rds:DescribeDBClusters: cluster %s not found in %s", id, region)
	}
	return out.DBClusters[0], nil
}
