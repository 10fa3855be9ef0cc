package awssim

import (
	"encoding/xml"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/roadcall/dr/internal/topology"
)

// Route 53 wire shapes: the REST-XML documents of the 2013-04-01 API, and the converters from the model.

func r53Time(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// r53CheckerRegions are the regions Route 53 health checkers probe from by default.
var r53CheckerRegions = []string{"us-east-1", "us-west-1", "us-west-2", "eu-west-1", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "sa-east-1"}

type r53StatusReport struct {
	Status      string `xml:"Status"`
	CheckedTime string `xml:"CheckedTime"`
}

type r53Observation struct {
	Region       string          `xml:"Region"`
	IPAddress    string          `xml:"IPAddress"`
	StatusReport r53StatusReport `xml:"StatusReport"`
}

type r53HealthCheckStatusResponse struct {
	XMLName      xml.Name         `xml:"GetHealthCheckStatusResponse"`
	Xmlns        string           `xml:"xmlns,attr"`
	Observations []r53Observation `xml:"HealthCheckObservations>HealthCheckObservation"`
}

type r53HealthCheckConfig struct {
	IPAddress                string   `xml:"IPAddress,omitempty"`
	Port                     int      `xml:"Port,omitempty"`
	Type                     string   `xml:"Type"`
	ResourcePath             string   `xml:"ResourcePath,omitempty"`
	FullyQualifiedDomainName string   `xml:"FullyQualifiedDomainName,omitempty"`
	RequestInterval          int      `xml:"RequestInterval,omitempty"`
	FailureThreshold         int      `xml:"FailureThreshold,omitempty"`
	MeasureLatency           bool     `xml:"MeasureLatency"`
	Inverted                 bool     `xml:"Inverted"`
	Disabled                 bool     `xml:"Disabled"`
	EnableSNI                bool     `xml:"EnableSNI"`
	Regions                  []string `xml:"Regions>Region"`
	RoutingControlArn        string   `xml:"RoutingControlArn,omitempty"`
}

type r53HealthCheck struct {
	ID                 string               `xml:"Id"`
	CallerReference    string               `xml:"CallerReference"`
	HealthCheckConfig  r53HealthCheckConfig `xml:"HealthCheckConfig"`
	HealthCheckVersion int64                `xml:"HealthCheckVersion"`
}

type r53GetHealthCheckResponse struct {
	XMLName     xml.Name       `xml:"GetHealthCheckResponse"`
	Xmlns       string         `xml:"xmlns,attr"`
	HealthCheck r53HealthCheck `xml:"HealthCheck"`
}

type r53ListHealthChecksResponse struct {
	XMLName      xml.Name         `xml:"ListHealthChecksResponse"`
	Xmlns        string           `xml:"xmlns,attr"`
	HealthChecks []r53HealthCheck `xml:"HealthChecks>HealthCheck"`
	Marker       string           `xml:"Marker"`
	IsTruncated  bool             `xml:"IsTruncated"`
	NextMarker   string           `xml:"NextMarker,omitempty"`
	MaxItems     string           `xml:"MaxItems"`
}

// r53CheckOf describes a health check as the topology's health URL for its region defines it.
func r53CheckOf(t topology.Topology, hc *HealthCheck) r53HealthCheck {
	if hc.Type == topology.HealthCheckRecoveryControl {
		// A RECOVERY_CONTROL check has no endpoint, interval or checker regions: only its routing control.
		cfg := r53HealthCheckConfig{Type: hc.Type, RoutingControlArn: hc.RoutingControlARN}
		return r53HealthCheck{ID: hc.ID, CallerReference: "roadcall-" + hc.ID, HealthCheckConfig: cfg, HealthCheckVersion: 1}
	}
	cfg := r53HealthCheckConfig{Type: "HTTPS", Port: 443, ResourcePath: "/health", RequestInterval: 30, FailureThreshold: 3,
		EnableSNI: true, Regions: r53CheckerRegions, FullyQualifiedDomainName: t.DNS.Targets[hc.Region].DNSName}
	if u, err := url.Parse(t.API.HealthURLs[hc.Region]); err == nil && u.Host != "" {
		cfg.Type = strings.ToUpper(u.Scheme)
		cfg.EnableSNI = cfg.Type == "HTTPS"
		cfg.ResourcePath = u.EscapedPath()
		cfg.Port = 443
		if cfg.Type == "HTTP" {
			cfg.Port = 80
		}
		if p, err := strconv.Atoi(u.Port()); err == nil {
			cfg.Port = p
		}
		if net.ParseIP(u.Hostname()) != nil {
			cfg.IPAddress, cfg.FullyQualifiedDomainName = u.Hostname(), ""
		} else {
			cfg.FullyQualifiedDomainName = u.Hostname()
		}
	}
	return r53HealthCheck{ID: hc.ID, CallerReference: "roadcall-" + hc.ID, HealthCheckConfig: cfg, HealthCheckVersion: 1}
}

type r53Alias struct {
	HostedZoneID         string `xml:"HostedZoneId"`
	DNSName              string `xml:"DNSName"`
	EvaluateTargetHealth bool   `xml:"EvaluateTargetHealth"`
}

type r53Value struct {
	Value string `xml:"Value"`
}

// r53Values is a pointer in r53RecordSet because encoding/xml writes an empty parent for an empty
// "ResourceRecords>ResourceRecord" slice, and alias records must carry no ResourceRecords at all.
type r53Values struct {
	Items []r53Value `xml:"ResourceRecord"`
}

// r53Opaque catches routing-policy structures awssim does not model, so a change that uses one is refused
// rather than silently stored without it.
type r53Opaque struct {
	Inner string `xml:",innerxml"`
}

type r53RecordSet struct {
	Name                    string     `xml:"Name"`
	Type                    string     `xml:"Type"`
	SetIdentifier           string     `xml:"SetIdentifier,omitempty"`
	Weight                  *int64     `xml:"Weight,omitempty"`
	Region                  string     `xml:"Region,omitempty"`
	GeoLocation             *r53Opaque `xml:"GeoLocation,omitempty"`
	Failover                string     `xml:"Failover,omitempty"`
	MultiValueAnswer        *bool      `xml:"MultiValueAnswer,omitempty"`
	TTL                     *int64     `xml:"TTL,omitempty"`
	ResourceRecords         *r53Values `xml:"ResourceRecords,omitempty"`
	AliasTarget             *r53Alias  `xml:"AliasTarget,omitempty"`
	HealthCheckID           string     `xml:"HealthCheckId,omitempty"`
	TrafficPolicyInstanceID string     `xml:"TrafficPolicyInstanceId,omitempty"`
	CidrRoutingConfig       *r53Opaque `xml:"CidrRoutingConfig,omitempty"`
	GeoProximityLocation    *r53Opaque `xml:"GeoProximityLocation,omitempty"`
}

type r53ChangeRequest struct {
	Comment string `xml:"ChangeBatch>Comment"`
	Changes []struct {
		Action string       `xml:"Action"`
		Set    r53RecordSet `xml:"ResourceRecordSet"`
	} `xml:"ChangeBatch>Changes>Change"`
}

type r53ChangeInfo struct {
	ID          string `xml:"Id"`
	Status      string `xml:"Status"`
	SubmittedAt string `xml:"SubmittedAt"`
	Comment     string `xml:"Comment,omitempty"`
}

type r53ChangeResponse struct {
	XMLName    xml.Name
	Xmlns      string        `xml:"xmlns,attr"`
	ChangeInfo r53ChangeInfo `xml:"ChangeInfo"`
}

type r53ListRecordSetsResponse struct {
	XMLName              xml.Name       `xml:"ListResourceRecordSetsResponse"`
	Xmlns                string         `xml:"xmlns,attr"`
	ResourceRecordSets   []r53RecordSet `xml:"ResourceRecordSets>ResourceRecordSet"`
	IsTruncated          bool           `xml:"IsTruncated"`
	NextRecordName       string         `xml:"NextRecordName,omitempty"`
	NextRecordType       string         `xml:"NextRecordType,omitempty"`
	NextRecordIdentifier string         `xml:"NextRecordIdentifier,omitempty"`
	MaxItems             string         `xml:"MaxItems"`
}

type r53HostedZone struct {
	ID              string `xml:"Id"`
	Name            string `xml:"Name"`
	CallerReference string `xml:"CallerReference"`
	Config          struct {
		PrivateZone bool `xml:"PrivateZone"`
	} `xml:"Config"`
	ResourceRecordSetCount int `xml:"ResourceRecordSetCount"`
}

type r53GetHostedZoneResponse struct {
	XMLName     xml.Name      `xml:"GetHostedZoneResponse"`
	Xmlns       string        `xml:"xmlns,attr"`
	HostedZone  r53HostedZone `xml:"HostedZone"`
	NameServers []string      `xml:"DelegationSet>NameServers>NameServer"`
}

type r53ListHostedZonesResponse struct {
	XMLName     xml.Name        `xml:"ListHostedZonesResponse"`
	Xmlns       string          `xml:"xmlns,attr"`
	HostedZones []r53HostedZone `xml:"HostedZones>HostedZone"`
	Marker      string          `xml:"Marker"`
	IsTruncated bool            `xml:"IsTruncated"`
	MaxItems    string          `xml:"MaxItems"`
}

func r53ZoneOut(z *HostedZone) r53HostedZone {
	return r53HostedZone{ID: "/hostedzone/" + z.ID, Name: z.Name, CallerReference: "roadcall-" + z.ID, ResourceRecordSetCount: len(z.Records)}
}

func r53RecordOut(rs *RecordSet) r53RecordSet {
	out := r53RecordSet{Name: rs.Name, Type: rs.Type, SetIdentifier: rs.SetIdentifier, Failover: rs.Failover, HealthCheckID: rs.HealthCheckID}
	if rs.Alias != nil {
		out.AliasTarget = &r53Alias{HostedZoneID: rs.Alias.HostedZoneID, DNSName: rs.Alias.DNSName, EvaluateTargetHealth: rs.Alias.EvaluateTargetHealth}
	} else {
		ttl := rs.TTL
		out.TTL, out.ResourceRecords = &ttl, &r53Values{}
		for _, v := range rs.Values {
			out.ResourceRecords.Items = append(out.ResourceRecords.Items, r53Value{v})
		}
	}
	return out
}

func r53ChangeInfoOf(ch *Change) r53ChangeInfo {
	return r53ChangeInfo{ID: "/change/" + ch.ID, Status: ch.Status, SubmittedAt: r53Time(ch.SubmittedAt), Comment: ch.Comment}
}
