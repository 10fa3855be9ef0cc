package awssim

import (
	"encoding/xml"
	"strings"
)

// CloudFormation wire shapes: the awsQuery XML results, and the converters from the model.

type cfnParamXML struct {
	ParameterKey   string
	ParameterValue string
}

type cfnStackXML struct {
	StackId                     string
	StackName                   string
	Parameters                  []cfnParamXML `xml:"Parameters>member"`
	CreationTime                string
	LastUpdatedTime             string `xml:",omitempty"`
	StackStatus                 string
	StackStatusReason           string `xml:",omitempty"`
	DisableRollback             bool
	EnableTerminationProtection bool
	DriftInformation            struct{ StackDriftStatus string }
}

type cfnDescribeStacksResult struct {
	XMLName xml.Name `xml:"DescribeStacksResult"`
	Stacks  struct {
		Items []cfnStackXML `xml:"member"`
	} `xml:"Stacks"`
}

type cfnEventXML struct {
	StackId              string
	EventId              string
	StackName            string
	LogicalResourceId    string
	PhysicalResourceId   string
	ResourceType         string
	Timestamp            string
	ResourceStatus       string
	ResourceStatusReason string `xml:",omitempty"`
}

type cfnDescribeEventsResult struct {
	XMLName xml.Name `xml:"DescribeStackEventsResult"`
	Events  struct {
		Items []cfnEventXML `xml:"member"`
	} `xml:"StackEvents"`
}

type cfnUpdateResult struct {
	XMLName xml.Name `xml:"UpdateStackResult"`
	StackId string
}

func cfnStackOut(st *Stack) cfnStackXML {
	out := cfnStackXML{
		StackId: st.ID, StackName: st.Name, CreationTime: iso(st.CreatedAt), LastUpdatedTime: iso(st.LastUpdated),
		StackStatus: st.Status,
	}
	out.DriftInformation.StackDriftStatus = "NOT_CHECKED"
	if strings.HasPrefix(st.Status, "UPDATE_ROLLBACK") {
		out.StackStatusReason = cfnFailureReason
	}
	for _, k := range SortedKeys(st.Parameters) {
		out.Parameters = append(out.Parameters, cfnParamXML{ParameterKey: k, ParameterValue: st.Parameters[k]})
	}
	return out
}

// cfnEventOut is a stack-level event: the stack itself is the resource.
func cfnEventOut(st *Stack, e *StackEvent) cfnEventXML {
	return cfnEventXML{
		StackId: st.ID, EventId: e.ID, StackName: st.Name, LogicalResourceId: st.Name, PhysicalResourceId: st.ID,
		ResourceType: "AWS::CloudFormation::Stack", Timestamp: iso(e.At), ResourceStatus: e.Status, ResourceStatusReason: e.Reason,
	}
}
