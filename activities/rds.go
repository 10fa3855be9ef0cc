package activities

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
)

type GlobalClusterRef struct {
	// Region is where the call is made; any region that is up answers for a global cluster.
	Region string `json:"region"`
	ID     string `json:"id"`
}

type GlobalMember struct {
	ClusterARN string `json:"clusterArn"`
	ClusterID  string `json:"clusterId"`
	Region     string `json:"region"`
	IsWriter   bool   `json:"isWriter"`
}

type GlobalClusterInfo struct {
	ID      string         `json:"id"`
	Status  string         `json:"status"`
	Members []GlobalMember `json:"members"`
	// FailoverStatus is set while a failover or switchover is in flight.
	FailoverStatus string `json:"failoverStatus,omitempty"`
	// FailoverTo is the cluster an in-flight failover or switchover makes the writer, and FailoverToRegion
	// its region: a failback that finds a failover still under way must let it land before switching back.
	FailoverTo       string `json:"failoverTo,omitempty"`
	FailoverToRegion string `json:"failoverToRegion,omitempty"`
}

// Writer returns the writer member, if any.
func (g GlobalClusterInfo) Writer() (GlobalMember, bool) {
	for _, m := range g.Members {
		if m.IsWriter {
			return m, true
		}
	}
	return GlobalMember{}, false
}

// DescribeGlobalCluster reads the global database's members and which one writes.
func (a *Activities) DescribeGlobalCluster(ctx context.Context, in GlobalClusterRef) (GlobalClusterInfo, error) {
	out, err := a.AWS.RDS(in.Region).DescribeGlobalClusters(ctx, &rds.DescribeGlobalClustersInput{GlobalClusterIdentifier: aws.String(in.ID)})
	if err != nil {
		return GlobalClusterInfo{}, classify(err, "rds:DescribeGlobalClusters", in.ID, in.Region)
	}
	info := GlobalClusterInfo{ID: in.ID}
	if len(out.GlobalClusters) == 0 {
		return info, refuse("GlobalClusterNotFoundFault", "global cluster %s not found (asked in %s)", in.ID, in.Region)
	}
	g := out.GlobalClusters[0]
	info.Status = aws.ToString(g.Status)
	if g.FailoverState != nil {
		info.FailoverStatus = string(g.FailoverState.Status)
		if to := aws.ToString(g.FailoverState.ToDbClusterArn); to != "" {
			info.FailoverTo, info.FailoverToRegion = arnResource(to), arnRegion(to)
		}
	}
	for _, m := range g.GlobalClusterMembers {
		arn := aws.ToString(m.DBClusterArn)
		info.Members = append(info.Members, GlobalMember{ClusterARN: arn, ClusterID: arnResource(arn), Region: arnRegion(arn), IsWriter: aws.ToBool(m.IsWriter)})
	}
	return info, nil
}

// arnRegion returns the region field of an ARN.
func arnRegion(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[3]
}

// arnResource returns the last ':'-separated part of an ARN (the cluster id for RDS cluster ARNs).
func arnResource(arn string) string {
	if i := strings.LastIndex(arn, ":"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}
