package awssim

import "strings"

// The Aurora settings a point-in-time restore takes from its request, not from the source cluster:
// RestoreDBClusterToPointInTime's API reference says that without DBClusterParameterGroupName "the default
// DB cluster parameter group for the specified engine is used", and CreateDBInstance's that without
// DBParameterGroupName RDS "uses the default DB parameter group for the specified DB engine and version".
// Subnet group and security groups left out put the cluster in the default VPC; tags are only the request's.

// DBGroups is what one region holds that clusters and instances refer to by name: parameter groups, subnet
// groups (name → VPC) and VPC security groups (id → VPC).
type DBGroups struct {
	ClusterParameterGroups []string          `json:"clusterParameterGroups"`
	ParameterGroups        []string          `json:"parameterGroups"`
	SubnetGroups           map[string]string `json:"subnetGroups"`
	SecurityGroups         map[string]string `json:"securityGroups"`
	// VPCDefaults is each VPC's default security group, which RDS uses when a request names none.
	VPCDefaults map[string]string `json:"vpcDefaults"`
}

// RDSTag is one tag of an RDS resource; RDS keeps tags in the order they were given.
type RDSTag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

const (
	defaultVPC       = "vpc-0default00000000"
	defaultSubnetGrp = "default"
	defaultSG        = "sg-0default000000000"
)

// engineFamily is a parameter group family: aurora-postgresql15 for aurora-postgresql 15.4, aurora-mysql8.0
// for aurora-mysql 8.0.mysql_aurora.3.05.2.
func engineFamily(engine, version string) string {
	parts := strings.SplitN(version, ".", 3)
	if strings.Contains(engine, "mysql") && len(parts) > 1 {
		return engine + parts[0] + "." + parts[1]
	}
	return engine + parts[0]
}

// defaultParamGroup is the engine's default group name, which RDS uses when a request names none.
func defaultParamGroup(cl *DBCluster) string {
	return "default." + engineFamily(cl.Engine, cl.EngineVersion)
}

// seedDBGroups gives the cluster what a production cluster has: a custom cluster parameter group, a subnet
// group in the application's VPC with two security groups (the application's and the bastion's), the
// platform's tags; its writer gets a custom DB parameter group. The default VPC's groups exist too.
func seedDBGroups(reg *Region, cl *DBCluster, inst *DBInstance) {
	if reg.DBGroups == nil {
		reg.DBGroups = &DBGroups{SubnetGroups: map[string]string{defaultSubnetGrp: defaultVPC},
			SecurityGroups: map[string]string{defaultSG: defaultVPC}, VPCDefaults: map[string]string{defaultVPC: defaultSG}}
	}
	g, vpc := reg.DBGroups, "vpc-0"+stableID(reg.Name + "/app")[:8]
	g.VPCDefaults[vpc] = "sg-0" + stableID(vpc + "/default")[:8]
	g.SecurityGroups[g.VPCDefaults[vpc]] = vpc
	cl.ParameterGroup, inst.ParameterGroup = cl.ID+"-cluster-params", cl.ID+"-instance-params"
	cl.SubnetGroup = cl.ID + "-subnets"
	cl.SecurityGroups = []string{"sg-0" + stableID(cl.ID + "/app")[:8], "sg-0" + stableID(cl.ID + "/bastion")[:8]}
	cl.Tags = []RDSTag{{"Application", "roadcall"}, {"Environment", "prod"}, {"DataClassification", "confidential"}}
	g.ClusterParameterGroups = append(g.ClusterParameterGroups, defaultParamGroup(cl), cl.ParameterGroup)
	g.ParameterGroups = append(g.ParameterGroups, defaultParamGroup(cl), inst.ParameterGroup)
	g.SubnetGroups[cl.SubnetGroup] = vpc
	for _, sg := range cl.SecurityGroups {
		g.SecurityGroups[sg] = vpc
	}
}

// formList reads a query list by its member name (VpcSecurityGroupIds.VpcSecurityGroupId.N, as botocore
// and the SDKs send it) or by the generic member (…member.N).
func formList(f Form, prefix, member string) []string {
	if l := f.Members(prefix + "." + member); len(l) > 0 {
		return l
	}
	return f.Members(prefix + ".member")
}

func formTags(f Form) []RDSTag {
	l := f.Structs("Tags.Tag")
	if len(l) == 0 {
		l = f.Structs("Tags.member")
	}
	var out []RDSTag
	for _, m := range l {
		out = append(out, RDSTag{Key: m["Key"], Value: m["Value"]})
	}
	return out
}

// restoreNetwork applies RestoreDBClusterToPointInTime's parameter group, subnet group, security groups and
// tags to the new cluster, with RDS's defaults and errors; the source cluster's own settings are not used.
func (s *Server) restoreNetwork(c *Call, cl *DBCluster) error {
	g := s.rdsRegion(c).DBGroups
	if g == nil {
		g = &DBGroups{}
	}
	cl.ParameterGroup = c.Form.Get("DBClusterParameterGroupName")
	if cl.ParameterGroup == "" {
		cl.ParameterGroup = defaultParamGroup(cl)
	} else if !contains(g.ClusterParameterGroups, cl.ParameterGroup) {
		return Errf(404, "DBClusterParameterGroupNotFound", "DBClusterParameterGroup not found: %s", cl.ParameterGroup)
	}
	cl.SubnetGroup = c.Form.Get("DBSubnetGroupName")
	if cl.SubnetGroup == "" {
		cl.SubnetGroup = defaultSubnetGrp
	}
	vpc, ok := g.SubnetGroups[cl.SubnetGroup]
	if !ok {
		return Errf(404, "DBSubnetGroupNotFoundFault", "DB subnet group '%s' does not exist.", cl.SubnetGroup)
	}
	cl.SecurityGroups = formList(c.Form, "VpcSecurityGroupIds", "VpcSecurityGroupId")
	for _, sg := range cl.SecurityGroups {
		switch in, ok := g.SecurityGroups[sg]; {
		case !ok:
			return Errf(400, "InvalidParameterValue", "Invalid security group , groupId= %s, groupName=.", sg)
		case in != vpc:
			return Errf(400, "InvalidParameterCombination", "The DB cluster and EC2 security group %s are in different VPCs (%s, %s).", sg, vpc, in)
		}
	}
	if len(cl.SecurityGroups) == 0 {
		// Without security groups RDS uses the VPC's default one, which the application's do not admit.
		cl.SecurityGroups = []string{g.VPCDefaults[vpc]}
	}
	cl.Tags = formTags(c.Form)
	return nil
}

// instanceParamGroup is CreateDBInstance's DB parameter group: the one named, or the engine's default.
func (s *Server) instanceParamGroup(c *Call, cl *DBCluster) (string, error) {
	pg := c.Form.Get("DBParameterGroupName")
	if pg == "" {
		return defaultParamGroup(cl), nil
	}
	if g := s.rdsRegion(c).DBGroups; g == nil || !contains(g.ParameterGroups, pg) {
		return "", Errf(404, "DBParameterGroupNotFound", "DBParameterGroup not found: %s", pg)
	}
	return pg, nil
}

// The wire shapes of these settings (botocore's DBCluster and DBInstance members).

type rdsSGXML struct {
	VpcSecurityGroupId string
	Status             string
}

type rdsTagXML struct {
	Key   string
	Value string
}

type rdsParamGroupStatusXML struct {
	DBParameterGroupName string
	ParameterApplyStatus string
}

func sgsOut(ids []string) []rdsSGXML {
	var out []rdsSGXML
	for _, id := range ids {
		out = append(out, rdsSGXML{VpcSecurityGroupId: id, Status: "active"})
	}
	return out
}

func tagsOut(tags []RDSTag) []rdsTagXML {
	var out []rdsTagXML
	for _, t := range tags {
		out = append(out, rdsTagXML(t))
	}
	return out
}

func (s *Server) instanceSettingsOut(reg *Region, in *DBInstance, out *rdsInstanceXML) {
	if in.ParameterGroup != "" {
		out.DBParameterGroups = []rdsParamGroupStatusXML{{DBParameterGroupName: in.ParameterGroup, ParameterApplyStatus: "in-sync"}}
	}
	if cl := reg.Clusters[in.ClusterID]; cl != nil {
		out.VpcSecurityGroups = sgsOut(cl.SecurityGroups)
	}
}
