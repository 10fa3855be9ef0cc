package awssim

import (
	"encoding/xml"
	"sort"
)

// EC2 speaks ec2Query. Only DescribeRegions is modeled: clients call it to probe whether a region answers.
func init() {
	register(&service{
		name: "ec2", anyRegion: true, protocol: ec2Protocol{}, xmlns: "http://ec2.amazonaws.com/doc/2016-11-15/",
		throttleCode: "RequestLimitExceeded", throttleStatus: 503,
		ops: map[string]opFunc{"DescribeRegions": ec2DescribeRegions},
	})
}

type ec2RegionsResponse struct {
	XMLName   xml.Name        `xml:"DescribeRegionsResponse"`
	Xmlns     string          `xml:"xmlns,attr"`
	RequestID string          `xml:"requestId"`
	Regions   []ec2RegionItem `xml:"regionInfo>item"`
}

type ec2RegionItem struct {
	Name        string `xml:"regionName"`
	Endpoint    string `xml:"regionEndpoint"`
	OptInStatus string `xml:"optInStatus"`
}

// ec2DescribeRegions answers from any region that is up; the caller's region is what the probe tests.
func ec2DescribeRegions(s *Server, c *Call) (any, error) {
	names := c.Form.Members("RegionName")
	all := []string{"us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1"}
	for r := range s.world.Regions {
		found := false
		for _, a := range all {
			found = found || a == r
		}
		if !found {
			all = append(all, r)
		}
	}
	sort.Strings(all)
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	out := ec2RegionsResponse{Xmlns: "http://ec2.amazonaws.com/doc/2016-11-15/", RequestID: c.ReqID}
	for _, r := range all {
		if len(want) > 0 && !want[r] {
			continue
		}
		out.Regions = append(out.Regions, ec2RegionItem{Name: r, Endpoint: "ec2." + r + ".amazonaws.com", OptInStatus: "opt-in-not-required"})
	}
	for n := range want {
		found := false
		for _, r := range out.Regions {
			found = found || r.Name == n
		}
		if !found {
			return nil, Errf(400, "InvalidParameterValue", "Invalid region name: %s", n)
		}
	}
	return out, nil
}
