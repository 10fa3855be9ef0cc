package awssim

import (
	"encoding/xml"
	"fmt"
	"strings"
	"time"
)

// RDS wire shapes: the awsQuery XML of botocore's rds model (list members carry their element names), and
// the converters from the model.

type rdsClusterMemberXML struct {
	DBInstanceIdentifier          string
	IsClusterWriter               bool
	DBClusterParameterGroupStatus string
	PromotionTier                 int
}

type rdsClusterXML struct {
	DBClusterIdentifier         string
	DBClusterArn                string
	DbClusterResourceId         string
	Status                      string
	Engine                      string
	EngineVersion               string
	EngineMode                  string
	DatabaseName                string `xml:",omitempty"`
	Endpoint                    string
	ReaderEndpoint              string
	Port                        int
	MultiAZ                     bool
	HostedZoneId                string
	StorageEncrypted            bool
	BackupRetentionPeriod       int
	DeletionProtection          bool
	ClusterCreateTime           string
	EarliestRestorableTime      string                `xml:",omitempty"`
	LatestRestorableTime        string                `xml:",omitempty"`
	ReplicationSourceIdentifier string                `xml:",omitempty"`
	GlobalClusterIdentifier     string                `xml:",omitempty"`
	AvailabilityZones           []string              `xml:"AvailabilityZones>AvailabilityZone"`
	DBClusterMembers            []rdsClusterMemberXML `xml:"DBClusterMembers>DBClusterMember"`
	DBClusterParameterGroup     string                `xml:",omitempty"`
	DBSubnetGroup               string                `xml:",omitempty"`
	VpcSecurityGroups           []rdsSGXML            `xml:"VpcSecurityGroups>VpcSecurityGroupMembership"`
	TagList                     []rdsTagXML           `xml:"TagList>Tag"`
}

type rdsClusterResult struct {
	XMLName   xml.Name
	DBCluster rdsClusterXML `xml:"DBCluster"`
}

type rdsDescribeClustersResult struct {
	XMLName  xml.Name `xml:"DescribeDBClustersResult"`
	Clusters struct {
		Items []rdsClusterXML `xml:"DBCluster"`
	} `xml:"DBClusters"`
}

type rdsGlobalMemberXML struct {
	DBClusterArn          string
	Readers               []string `xml:"Readers>member"`
	IsWriter              bool
	SynchronizationStatus string `xml:",omitempty"`
}

type rdsFailoverStateXML struct {
	Status            string
	FromDbClusterArn  string
	ToDbClusterArn    string
	IsDataLossAllowed bool
}

type rdsGlobalXML struct {
	GlobalClusterIdentifier string
	GlobalClusterResourceId string
	GlobalClusterArn        string
	Status                  string
	Engine                  string
	EngineVersion           string
	StorageEncrypted        bool
	DeletionProtection      bool
	GlobalClusterMembers    []rdsGlobalMemberXML `xml:"GlobalClusterMembers>GlobalClusterMember"`
	FailoverState           *rdsFailoverStateXML `xml:",omitempty"`
}

type rdsGlobalResult struct {
	XMLName       xml.Name
	GlobalCluster rdsGlobalXML `xml:"GlobalCluster"`
}

// AWS wraps each global cluster of the list in <GlobalClusterMember>, not <GlobalCluster> (botocore's
// GlobalClusterList); the CLI reads by that name.
type rdsDescribeGlobalsResult struct {
	XMLName xml.Name `xml:"DescribeGlobalClustersResult"`
	Globals struct {
		Items []rdsGlobalXML `xml:"GlobalClusterMember"`
	} `xml:"GlobalClusters"`
}

type rdsEndpointXML struct {
	Address      string
	Port         int
	HostedZoneId string
}

type rdsInstanceXML struct {
	DBInstanceIdentifier string
	DBInstanceArn        string
	DBInstanceClass      string
	Engine               string
	EngineVersion        string
	DBInstanceStatus     string
	DBClusterIdentifier  string
	Endpoint             *rdsEndpointXML `xml:",omitempty"`
	AvailabilityZone     string
	MultiAZ              bool
	PromotionTier        int
	PubliclyAccessible   bool
	StorageEncrypted     bool
	DbiResourceId        string
	DBParameterGroups    []rdsParamGroupStatusXML `xml:"DBParameterGroups>DBParameterGroup"`
	VpcSecurityGroups    []rdsSGXML               `xml:"VpcSecurityGroups>VpcSecurityGroupMembership"`
}

type rdsInstanceResult struct {
	XMLName    xml.Name
	DBInstance rdsInstanceXML `xml:"DBInstance"`
}

type rdsDescribeInstancesResult struct {
	XMLName   xml.Name `xml:"DescribeDBInstancesResult"`
	Instances struct {
		Items []rdsInstanceXML `xml:"DBInstance"`
	} `xml:"DBInstances"`
}

type rdsSnapshotXML struct {
	DBClusterSnapshotIdentifier string
	DBClusterSnapshotArn        string
	DBClusterIdentifier         string
	SnapshotCreateTime          string `xml:",omitempty"`
	ClusterCreateTime           string
	Engine                      string
	EngineVersion               string
	EngineMode                  string
	Status                      string
	SnapshotType                string
	PercentProgress             int
	StorageEncrypted            bool
	AllocatedStorage            int
	Port                        int
}

type rdsSnapshotResult struct {
	XMLName           xml.Name
	DBClusterSnapshot rdsSnapshotXML `xml:"DBClusterSnapshot"`
}

type rdsDescribeSnapshotsResult struct {
	XMLName   xml.Name `xml:"DescribeDBClusterSnapshotsResult"`
	Snapshots struct {
		Items []rdsSnapshotXML `xml:"DBClusterSnapshot"`
	} `xml:"DBClusterSnapshots"`
}

func (s *Server) rdsClusterOut(reg *Region, cl *DBCluster, now time.Time) rdsClusterXML {
	out := rdsClusterXML{
		DBClusterIdentifier: cl.ID, DBClusterArn: cl.ARN, DbClusterResourceId: "cluster-" + strings.ToUpper(stableID(cl.ARN)),
		Status: cl.Status, Engine: cl.Engine, EngineVersion: cl.EngineVersion, EngineMode: "provisioned",
		Endpoint: cl.Endpoint, ReaderEndpoint: strings.Replace(cl.Endpoint, ".cluster-", ".cluster-ro-", 1),
		Port: 5432, HostedZoneId: "Z2R2ITUGPM61AM", StorageEncrypted: true, BackupRetentionPeriod: 7,
		ClusterCreateTime: iso(cl.CreatedAt), ReplicationSourceIdentifier: cl.ReplicationSourceIdentifier,
		GlobalClusterIdentifier: cl.GlobalClusterID,
		AvailabilityZones:       []string{reg.Name + "a", reg.Name + "b", reg.Name + "c"},
		DBClusterParameterGroup: cl.ParameterGroup, DBSubnetGroup: cl.SubnetGroup,
		VpcSecurityGroups: sgsOut(cl.SecurityGroups), TagList: tagsOut(cl.Tags),
	}
	if strings.Contains(cl.Engine, "mysql") {
		out.Port = 3306
	}
	if cl.Status != "creating" {
		earliest, latest := s.rdsRestorableWindow(cl, now)
		out.EarliestRestorableTime, out.LatestRestorableTime = iso(earliest), iso(latest)
	}
	for i, id := range cl.Members {
		out.DBClusterMembers = append(out.DBClusterMembers, rdsClusterMemberXML{
			DBInstanceIdentifier: id, IsClusterWriter: cl.Writer && i == 0, DBClusterParameterGroupStatus: "in-sync", PromotionTier: 1,
		})
	}
	out.MultiAZ = len(cl.Members) > 1
	return out
}

func (s *Server) rdsGlobalOut(gc *GlobalCluster) rdsGlobalXML {
	out := rdsGlobalXML{
		GlobalClusterIdentifier: gc.ID, GlobalClusterResourceId: "cluster-" + strings.ToUpper(stableID(gc.ARN)),
		GlobalClusterArn: gc.ARN, Status: gc.Status, Engine: gc.Engine, StorageEncrypted: true,
	}
	for _, m := range gc.Members {
		mo := rdsGlobalMemberXML{DBClusterArn: m.ClusterARN, IsWriter: m.IsWriter}
		if cl := s.rdsClusterByARN(m.ClusterARN); cl != nil && out.EngineVersion == "" {
			out.EngineVersion = cl.EngineVersion
		}
		if m.IsWriter {
			for _, o := range gc.Members {
				if o != m {
					mo.Readers = append(mo.Readers, o.ClusterARN)
				}
			}
		} else if m.PendingResync {
			mo.SynchronizationStatus = "pending-resync"
		} else {
			mo.SynchronizationStatus = "connected"
		}
		out.GlobalClusterMembers = append(out.GlobalClusterMembers, mo)
	}
	if p := gc.Pending; p != nil {
		status := "failing-over"
		if p.Kind == "switchover" {
			status = "switching-over"
		}
		out.FailoverState = &rdsFailoverStateXML{Status: status, FromDbClusterArn: p.FromARN, ToDbClusterArn: p.ToARN, IsDataLossAllowed: p.AllowDataLoss}
	}
	return out
}

func (s *Server) rdsInstanceOut(reg *Region, in *DBInstance) rdsInstanceXML {
	out := rdsInstanceXML{
		DBInstanceIdentifier: in.ID, DBInstanceArn: in.ARN, DBInstanceClass: in.Class, Engine: in.Engine,
		DBInstanceStatus: in.Status, DBClusterIdentifier: in.ClusterID, AvailabilityZone: reg.Name + "a",
		PromotionTier: 1, StorageEncrypted: true, DbiResourceId: "db-" + strings.ToUpper(stableID(in.ARN)),
	}
	if cl := reg.Clusters[in.ClusterID]; cl != nil {
		out.EngineVersion = cl.EngineVersion
	}
	s.instanceSettingsOut(reg, in, &out)
	// AWS assigns the endpoint once the instance is provisioned.
	if in.Status != "creating" {
		out.Endpoint = &rdsEndpointXML{Address: fmt.Sprintf("%s.abc123.%s.rds.amazonaws.com", in.ID, reg.Name), Port: 5432, HostedZoneId: "Z2R2ITUGPM61AM"}
	}
	return out
}

func rdsSnapshotOut(sn *DBClusterSnapshot) rdsSnapshotXML {
	out := rdsSnapshotXML{
		DBClusterSnapshotIdentifier: sn.ID, DBClusterSnapshotArn: sn.ARN, DBClusterIdentifier: sn.ClusterID,
		ClusterCreateTime: iso(sn.ClusterCreated), Engine: sn.Engine, EngineVersion: sn.EngineVersion, EngineMode: "provisioned",
		Status: sn.Status, SnapshotType: sn.Type, StorageEncrypted: true, AllocatedStorage: 1, Port: 5432,
	}
	if sn.Status == "available" {
		out.PercentProgress, out.SnapshotCreateTime = 100, iso(sn.CreatedAt)
	}
	return out
}
