package activities

// Failback of the Aurora global database, the runbook's "Failback Procedure" step 2.
//
// Global cluster intact (the default global-failover mode): after a failover with data loss, AWS fences the
// old primary and, once its region is back, rebuilds it as a secondary of the global database. When its
// replication lag is near zero, SwitchoverGlobalCluster moves the writer back to it: a planned switchover
// waits for every secondary to catch up before the roles change, so it loses nothing (RPO 0).
//
// DR cluster detached (detach-and-promote): the DR cluster is a standalone writer and the old primary is
// still the only member of the old global cluster, holding whatever it wrote before the outage and nothing
// written in DR since. No AWS call re-attaches a cluster that holds data to a global database: a secondary
// can only be a new, empty cluster created into the global cluster. What AWS allows is:
//  1. CreateDBClusterSnapshot of the DR cluster (automated here): a restorable copy taken before anything
//     else happens.
//  2. RemoveFromGlobalCluster the old primary, snapshot it (its unreplicated writes are evidence for the
//     post-incident review), then rename it (ModifyDBCluster --new-db-cluster-identifier) or delete it.
//  3. Delete the emptied global cluster and CreateGlobalCluster --source-db-cluster-identifier <DR cluster
//     ARN> under the topology's identifier: the DR cluster is the primary of a global database again.
//  4. CreateDBCluster --global-cluster-identifier ... in the primary region under the topology's primary
//     identifier, plus CreateDBInstance: a new secondary that replicates from DR.
//  5. When its lag is near zero: SwitchoverGlobalCluster to it (RPO 0), as in the intact case.
// Keeping the topology's identifiers is what lets the rest of the failback (and the next failover) run
// unchanged.
//
// (The runbook's "restore the snapshot in the primary region" is the other AWS-allowed way:
// CopyDBClusterSnapshot to the primary region, RestoreDBClusterFromSnapshot, then build replication anew.
// It loses every write made in DR after the snapshot unless writes are stopped, so it is the worse choice.)
// Steps 2 to 4 delete or create databases and change identifiers the topology names, so the Failback
// workflow automates step 1, stops at the gate "rebuild" with these steps, and after approval verifies that
// the primary region's cluster writes for the global database again before it moves DNS.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/smithy-go"
)

// SwitchoverInput asks for a planned switchover of the global database to Target (a cluster in Region).
type SwitchoverInput struct {
	Region          string `json:"region"` // the target's region: the calls go where the writer will be
	GlobalClusterID string `json:"globalClusterId"`
	TargetClusterID string `json:"targetClusterId"`
}

// SwitchoverAurora runs SwitchoverGlobalCluster to the target unless the target already writes or a
// failover or switchover is in flight. It refuses, without retries, when the target is not a member of
// the global cluster (the detached case needs the rebuild path) or has not yet been resynchronised.
func (a *Activities) SwitchoverAurora(ctx context.Context, in SwitchoverInput) (AuroraFailoverResult, error) {
	cl, err := a.describeCluster(ctx, in.Region, in.TargetClusterID)
	if err != nil {
		return AuroraFailoverResult{}, err
	}
	g, err := a.DescribeGlobalCluster(ctx, GlobalClusterRef{Region: in.Region, ID: in.GlobalClusterID})
	if err != nil {
		return AuroraFailoverResult{}, err
	}
	arn := aws.ToString(cl.DBClusterArn)
	var member *GlobalMember
	for i := range g.Members {
		if g.Members[i].ClusterARN == arn {
			member = &g.Members[i]
		}
	}
	switch {
	case member == nil:
		return AuroraFailoverResult{}, refuse("InvalidGlobalClusterStateFault", "rds:SwitchoverGlobalCluster %s in %s: %s is not a member of the global cluster; a detached cluster is rebuilt, not switched over (see the Failback rebuild path)",
			in.GlobalClusterID, in.Region, in.TargetClusterID)
	case g.FailoverStatus != "":
		return AuroraFailoverResult{Action: ActionInProgress, Detail: fmt.Sprintf("global cluster %s is already %s", in.GlobalClusterID, g.FailoverStatus)}, nil
	case member.IsWriter:
		return AuroraFailoverResult{Action: ActionAlreadyDone, Detail: fmt.Sprintf("%s in %s is already the writer of %s", in.TargetClusterID, in.Region, in.GlobalClusterID)}, nil
	}
	_, err = a.AWS.RDS(in.Region).SwitchoverGlobalCluster(ctx, &rds.SwitchoverGlobalClusterInput{
		GlobalClusterIdentifier: aws.String(in.GlobalClusterID), TargetDbClusterIdentifier: aws.String(arn)})
	if err != nil {
		return AuroraFailoverResult{}, classify(err, "rds:SwitchoverGlobalCluster", in.GlobalClusterID+" to "+in.TargetClusterID, in.Region)
	}
	return AuroraFailoverResult{Action: ActionStarted, Call: "SwitchoverGlobalCluster",
		Detail: fmt.Sprintf("switching %s over to %s in %s (planned, RPO 0)", in.GlobalClusterID, in.TargetClusterID, in.Region)}, nil
}

// LagInput names a global-database secondary whose replication lag must fall under Below.
type LagInput struct {
	Region    string        `json:"region"`
	ClusterID string        `json:"clusterId"`
	Below     time.Duration `json:"below"`
	// Samples is how many consecutive polls must be under Below (default 2): one low point can be noise.
	Samples int `json:"samples,omitempty"`
}

// LagState is the lag as the wait last saw it.
type LagState struct {
	Cluster  string        `json:"cluster"`
	Region   string        `json:"region"`
	Lag      time.Duration `json:"lag"`
	Progress Progress      `json:"progress"`
}

// WaitAuroraLag polls AuroraGlobalDBReplicationLag of the secondary until its latest datapoint is under
// Below for Samples polls in a row. No datapoint is not "no lag": the cluster may not be replicating yet
// (an old primary still waiting to be resynchronised), so the wait goes on.
func (a *Activities) WaitAuroraLag(ctx context.Context, in LagInput) (LagState, error) {
	need := in.Samples
	if need <= 0 {
		need = 2
	}
	st := LagState{Cluster: in.ClusterID, Region: in.Region}
	good := 0
	q := MetricQuery{Region: in.Region, Namespace: "AWS/RDS", Metric: "AuroraGlobalDBReplicationLag",
		Dimensions: []Dimension{{Name: "DBClusterIdentifier", Value: in.ClusterID}}, Stat: "Maximum", Period: time.Minute, Window: 5 * time.Minute}
	p, err := a.waitFor(ctx, func(ctx context.Context) (bool, string, error) {
		m, err := a.GetMetric(ctx, q)
		if err != nil {
			return false, "", err
		}
		if len(m.Points) == 0 {
			good = 0
			return false, "no lag datapoints yet", nil
		}
		st.Lag = time.Duration(m.Last * float64(time.Millisecond))
		if st.Lag < in.Below {
			good++
		} else {
			good = 0
		}
		return good >= need, fmt.Sprintf("lag %s (want < %s)", st.Lag, in.Below), nil
	})
	st.Progress = p
	return st, err
}

// ClusterSnapshotInput names a manual snapshot to take of a cluster. The identifier is chosen by the
// workflow (stable across retries), which is what makes the call idempotent.
type ClusterSnapshotInput struct {
	Region     string `json:"region"`
	ClusterID  string `json:"clusterId"`
	SnapshotID string `json:"snapshotId"`
}

// ClusterSnapshotState is the snapshot as last seen.
type ClusterSnapshotState struct {
	SnapshotID string   `json:"snapshotId"`
	ARN        string   `json:"arn,omitempty"`
	Status     string   `json:"status"`
	Created    bool     `json:"created"`
	Progress   Progress `json:"progress"`
}

// SnapshotCluster starts CreateDBClusterSnapshot unless a snapshot of that identifier exists; an existing one
// of another cluster is refused rather than taken for ours.
func (a *Activities) SnapshotCluster(ctx context.Context, in ClusterSnapshotInput) (ClusterSnapshotState, error) {
	st := ClusterSnapshotState{SnapshotID: in.SnapshotID}
	c := a.AWS.RDS(in.Region)
	cur, err := a.describeSnapshot(ctx, in)
	if err != nil {
		return st, err
	}
	if cur != nil {
		st.ARN, st.Status = cur.ARN, cur.Status
		return st, nil
	}
	out, err := c.CreateDBClusterSnapshot(ctx, &rds.CreateDBClusterSnapshotInput{
		DBClusterIdentifier: aws.String(in.ClusterID), DBClusterSnapshotIdentifier: aws.String(in.SnapshotID)})
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "DBClusterSnapshotAlreadyExistsFault" {
		// Another attempt won the race between our read and our create.
		return a.SnapshotCluster(ctx, in)
	}
	if err != nil {
		return st, classify(err, "rds:CreateDBClusterSnapshot", in.SnapshotID+" of "+in.ClusterID, in.Region)
	}
	st.Created = true
	if s := out.DBClusterSnapshot; s != nil {
		st.ARN, st.Status = aws.ToString(s.DBClusterSnapshotArn), aws.ToString(s.Status)
	}
	return st, nil
}

// WaitClusterSnapshot polls until the snapshot is available; the states are the SDK's
// DBClusterSnapshotAvailable waiter's, and a failure state (failed, deleting, ...) fails the step at once.
func (a *Activities) WaitClusterSnapshot(ctx context.Context, in ClusterSnapshotInput) (ClusterSnapshotState, error) {
	st := ClusterSnapshotState{SnapshotID: in.SnapshotID}
	p, err := a.waitFor(ctx, func(ctx context.Context) (bool, string, error) {
		cur, err := a.describeSnapshot(ctx, in)
		if err != nil {
			return false, "", err
		}
		if cur == nil {
			return false, "", refuse("DBClusterSnapshotNotFoundFault", "rds:DescribeDBClusterSnapshots: snapshot %s of %s in %s disappeared while it was being created", in.SnapshotID, in.ClusterID, in.Region)
		}
		st.ARN, st.Status = cur.ARN, cur.Status
		switch snapshotVerdict(ctx, cur.Status) {
		case pollFailure:
			return false, cur.Status, refuse("SnapshotFailed", "rds:CreateDBClusterSnapshot %s of %s in %s: the snapshot is %s, a failure state of the SDK's DBClusterSnapshotAvailable waiter; take a new one under another identifier",
				in.SnapshotID, in.ClusterID, in.Region, cur.Status)
		case pollSuccess:
			return true, cur.Status, nil
		}
		return false, cur.Status, nil
	})
	st.Progress = p
	return st, err
}

type snapshotInfo struct{ ARN, Status, Cluster string }

func (a *Activities) describeSnapshot(ctx context.Context, in ClusterSnapshotInput) (*snapshotInfo, error) {
	out, err := a.AWS.RDS(in.Region).DescribeDBClusterSnapshots(ctx, &rds.DescribeDBClusterSnapshotsInput{DBClusterSnapshotIdentifier: aws.String(in.SnapshotID)})
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "DBClusterSnapshotNotFoundFault" {
		return nil, nil
	}
	if err != nil {
		return nil, classify(err, "rds:DescribeDBClusterSnapshots", in.SnapshotID, in.Region)
	}
	if len(out.DBClusterSnapshots) == 0 {
		return nil, nil
	}
	s := out.DBClusterSnapshots[0]
	info := &snapshotInfo{ARN: aws.ToString(s.DBClusterSnapshotArn), Status: aws.ToString(s.Status), Cluster: aws.ToString(s.DBClusterIdentifier)}
	if info.Cluster != in.ClusterID {
		return nil, refuse("DBClusterSnapshotAlreadyExistsFault", "snapshot %s in %s exists but is of cluster %s, not %s; choose another identifier",
			in.SnapshotID, in.Region, info.Cluster, in.ClusterID)
	}
	return info, nil
}
