package activities

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// The Aurora settings a point-in-time restore must be given. RestoreDBClusterToPointInTime's API reference:
// without DBClusterParameterGroupName "the default DB cluster parameter group for the specified engine is
// used"; without a subnet group and security groups the cluster lands in the default VPC, which the
// application cannot reach; tags are only the request's. CreateDBInstance without DBParameterGroupName
// "uses the default DB parameter group for the specified DB engine and version".

// restoreRequest is the restore of src into in.Target with src's parameter group, networking and tags.
func restoreRequest(in ClusterRestoreInput, src types.DBCluster) *rds.RestoreDBClusterToPointInTimeInput {
	req := &rds.RestoreDBClusterToPointInTimeInput{DBClusterIdentifier: aws.String(in.Target), SourceDBClusterIdentifier: aws.String(in.Source),
		RestoreToTime: aws.Time(in.At), DBSubnetGroupName: src.DBSubnetGroup, DBClusterParameterGroupName: src.DBClusterParameterGroup}
	for _, sg := range src.VpcSecurityGroups {
		req.VpcSecurityGroupIds = append(req.VpcSecurityGroupIds, aws.ToString(sg.VpcSecurityGroupId))
	}
	for _, t := range src.TagList {
		// aws: tags are AWS's own; RDS refuses them in a request.
		if !strings.HasPrefix(aws.ToString(t.Key), "aws:") {
			req.Tags = append(req.Tags, types.Tag{Key: t.Key, Value: t.Value})
		}
	}
	return req
}

// clusterSettings reports the carried settings as they read on cluster c.
func clusterSettings(c types.DBCluster, changed bool) []CarriedSetting {
	var sgs, tags []string
	for _, sg := range c.VpcSecurityGroups {
		sgs = append(sgs, aws.ToString(sg.VpcSecurityGroupId))
	}
	for _, t := range c.TagList {
		if !strings.HasPrefix(aws.ToString(t.Key), "aws:") {
			tags = append(tags, aws.ToString(t.Key)+"="+aws.ToString(t.Value))
		}
	}
	return []CarriedSetting{
		{Name: "DBClusterParameterGroupName", Value: aws.ToString(c.DBClusterParameterGroup), Changed: changed},
		{Name: "DBSubnetGroupName", Value: aws.ToString(c.DBSubnetGroup), Changed: changed},
		{Name: "VpcSecurityGroupIds", Value: strings.Join(sgs, ","), Changed: changed},
		{Name: "Tags", Value: strings.Join(tags, ","), Changed: changed},
	}
}

// writerShape is the instance class and DB parameter group a cluster writer is created with.
type writerShape struct {
	Class, ParameterGroup string
}

func instanceShape(inst types.DBInstance) writerShape {
	s := writerShape{Class: aws.ToString(inst.DBInstanceClass)}
	if len(inst.DBParameterGroups) > 0 {
		s.ParameterGroup = aws.ToString(inst.DBParameterGroups[0].DBParameterGroupName)
	}
	return s
}

// parameterGroup is CreateDBInstance's DBParameterGroupName: left out, not empty, for the engine's default.
func (s writerShape) parameterGroup() *string {
	if s.ParameterGroup == "" {
		return nil
	}
	return aws.String(s.ParameterGroup)
}

func (s writerShape) settings(changed bool) []CarriedSetting {
	return []CarriedSetting{{Name: "DBInstanceClass", Value: s.Class, Changed: changed}, {Name: "DBParameterGroupName", Value: s.ParameterGroup, Changed: changed}}
}

// sourceWriterShape reads the source cluster's writer, whose class and parameter group the restored
// cluster's writer gets, so it is sized and tuned as the database it replaces. A source without a writer
// leaves fallback (the topology's class, the engine's default group).
func (a *Activities) sourceWriterShape(ctx context.Context, region, cluster, fallback string) (writerShape, error) {
	c, err := a.clusterOf(ctx, ClusterRef{Region: region, Cluster: cluster})
	if err != nil {
		return writerShape{}, err
	}
	w := windowOf(ClusterRef{Region: region, Cluster: cluster}, c).Writer
	if w == "" {
		return writerShape{Class: fallback}, nil
	}
	out, err := a.AWS.RDS(region).DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(w)})
	if err != nil {
		return writerShape{}, classify(err, "rds:DescribeDBInstances", w, region)
	}
	if len(out.DBInstances) == 0 {
		return writerShape{Class: fallback}, nil
	}
	return instanceShape(out.DBInstances[0]), nil
}
