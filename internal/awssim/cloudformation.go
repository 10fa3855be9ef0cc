package awssim

import (
	"encoding/xml"
	"fmt"
	"sort"
	"strings"
	"time"
)

const cfnXMLNS = "http://cloudformation.amazonaws.com/doc/2010-05-15/"

func init() {
	register(&service{
		name: "cloudformation", protocol: queryProtocol{}, xmlns: cfnXMLNS,
		ops: map[string]opFunc{
			"DescribeStacks":      cfnDescribeStacks,
			"DescribeStackEvents": cfnDescribeStackEvents,
			"UpdateStack":         journaled(formParam("StackName"), cfnUpdateStack),
		},
		advance: cfnAdvance,
	})
}

// StackEvent is one stack-level event, as DescribeStackEvents reports it.
type StackEvent struct {
	ID     string    `json:"id"`
	At     time.Time `json:"at"`
	Status string    `json:"status"`
	Reason string    `json:"reason,omitempty"`
}

// cfnLegs is how an update moves on after its first leg: each status lasts its share of StackUpdate and then
// gives way to the next. The first leg (UPDATE_IN_PROGRESS) takes the rest, and its successor is chosen when
// the update starts (Stack.NextStatus), because that is where success and rollback part.
var cfnLegs = map[string]struct {
	next  string
	share float64
}{
	"UPDATE_COMPLETE_CLEANUP_IN_PROGRESS":          {"UPDATE_COMPLETE", 0.1},
	"UPDATE_ROLLBACK_IN_PROGRESS":                  {"UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", 0.3},
	"UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS": {"UPDATE_ROLLBACK_COMPLETE", 0.1},
}

// cfnFailureReason is what the stack reports when FailNextUpdate made an update roll back.
const cfnFailureReason = "The following resource(s) failed to update: [ServiceActivation]. (awssim: FailNextUpdate)"

// cfnUpdatable are the states from which AWS accepts UpdateStack.
var cfnUpdatable = map[string]bool{
	"CREATE_COMPLETE": true, "UPDATE_COMPLETE": true, "UPDATE_ROLLBACK_COMPLETE": true, "IMPORT_COMPLETE": true, "IMPORT_ROLLBACK_COMPLETE": true,
}

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

func validationError(format string, args ...any) error {
	return Errf(400, "ValidationError", format, args...)
}

// cfnStack finds a stack of the caller's region by name or stack ID.
func (s *Server) cfnStack(c *Call, name string) (*Stack, error) {
	for _, st := range s.world.Regions[c.Region].Stacks {
		if st.Name == name || st.ID == name {
			return st, nil
		}
	}
	return nil, validationError("Stack with id %s does not exist", name)
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

func cfnDescribeStacks(s *Server, c *Call) (any, error) {
	out := cfnDescribeStacksResult{}
	if name := c.Form.Get("StackName"); name != "" {
		st, err := s.cfnStack(c, name)
		if err != nil {
			return nil, err
		}
		out.Stacks.Items = append(out.Stacks.Items, cfnStackOut(st))
		return out, nil
	}
	stacks := s.world.Regions[c.Region].Stacks
	for _, name := range SortedKeys(stacks) {
		out.Stacks.Items = append(out.Stacks.Items, cfnStackOut(stacks[name]))
	}
	return out, nil
}

func cfnDescribeStackEvents(s *Server, c *Call) (any, error) {
	st, err := s.cfnStack(c, c.Form.Get("StackName"))
	if err != nil {
		return nil, err
	}
	out := cfnDescribeEventsResult{}
	for i := len(st.Events) - 1; i >= 0; i-- {
		e := st.Events[i]
		out.Events.Items = append(out.Events.Items, cfnEventXML{
			StackId: st.ID, EventId: e.ID, StackName: st.Name, LogicalResourceId: st.Name, PhysicalResourceId: st.ID,
			ResourceType: "AWS::CloudFormation::Stack", Timestamp: iso(e.At), ResourceStatus: e.Status, ResourceStatusReason: e.Reason,
		})
	}
	return out, nil
}

// cfnUpdateStack models UpdateStack on a stack whose template awssim does not keep: a template change is
// always a change; with UsePreviousTemplate only the parameters can change. As in AWS, every parameter the
// stack has must be given (a value or UsePreviousValue) since the seeded templates declare no defaults.
func cfnUpdateStack(s *Server, c *Call) (any, error) {
	name := c.Form.Get("StackName")
	st, err := s.cfnStack(c, name)
	if err != nil {
		return nil, err
	}
	usePrev, _ := c.Form.Bool("UsePreviousTemplate")
	newTemplate := c.Form.Get("TemplateBody") != "" || c.Form.Get("TemplateURL") != ""
	switch {
	case usePrev && newTemplate:
		return nil, validationError("You cannot specify both usePreviousTemplate and Template Body/Template URL")
	case !usePrev && !newTemplate:
		return nil, validationError("Either Template URL or Template Body must be specified.")
	}
	if !cfnUpdatable[st.Status] {
		return nil, validationError("Stack:%s is in %s state and can not be updated.", st.ID, st.Status)
	}
	params := map[string]string{}
	for _, p := range c.Form.Structs("Parameters.member") {
		key := p["ParameterKey"]
		prev := strings.EqualFold(p["UsePreviousValue"], "true")
		_, known := st.Parameters[key]
		switch {
		case !known && !newTemplate:
			return nil, validationError("Parameters: [%s] do not exist in the template", key)
		case prev && p["ParameterValue"] != "":
			return nil, validationError("Invalid input for parameter key %s. Cannot specify usePreviousValue as true and non empty value for a parameter", key)
		case prev:
			params[key] = st.Parameters[key]
		default:
			params[key] = p["ParameterValue"]
		}
	}
	var missing []string
	for k := range st.Parameters {
		if _, ok := params[k]; !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, validationError("Parameters: [%s] must have values", strings.Join(missing, ", "))
	}
	if !newTemplate && sameParams(params, st.Parameters) {
		return nil, validationError("No updates are to be performed.")
	}
	d := s.durations.StackUpdate
	st.Status, st.LastUpdated = "UPDATE_IN_PROGRESS", c.Now
	s.cfnEvent(st, c.Now, "User Initiated")
	if st.FailNextUpdate {
		// A failed update never changes the parameters callers see once it has rolled back.
		st.FailNextUpdate = false
		st.NextStatus, st.ReadyAt = "UPDATE_ROLLBACK_IN_PROGRESS", s.after(time.Duration(0.6*float64(d)))
	} else {
		st.Parameters = params
		st.NextStatus, st.ReadyAt = "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", s.after(time.Duration(0.9*float64(d)))
	}
	s.record(c, st.Name, true, "parameters "+formatParams(params))
	return cfnUpdateResult{StackId: st.ID}, nil
}

func sameParams(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func formatParams(p map[string]string) string {
	var parts []string
	for _, k := range SortedKeys(p) {
		parts = append(parts, k+"="+p[k])
	}
	return strings.Join(parts, ",")
}

func (s *Server) cfnEvent(st *Stack, at time.Time, reason string) {
	if strings.HasPrefix(st.Status, "UPDATE_ROLLBACK_IN_PROGRESS") {
		reason = cfnFailureReason
	}
	st.Events = append(st.Events, &StackEvent{
		ID: fmt.Sprintf("%s-%04d", stableID(st.ID), len(st.Events)+1), At: at, Status: st.Status, Reason: reason,
	})
}

// cfnAdvance walks each updating stack through as many legs as have elapsed, so a zero time scale finishes an
// update on the next read while every intermediate status still leaves its event.
func cfnAdvance(s *Server, now time.Time) {
	for _, rn := range SortedKeys(s.world.Regions) {
		for _, st := range s.world.Regions[rn].Stacks {
			for st.NextStatus != "" && !now.Before(st.ReadyAt) {
				at := st.ReadyAt
				st.Status, st.NextStatus = st.NextStatus, ""
				s.cfnEvent(st, at, "")
				if leg, ok := cfnLegs[st.Status]; ok {
					st.NextStatus = leg.next
					st.ReadyAt = at.Add(time.Duration(leg.share * float64(s.durations.StackUpdate) * s.scale))
				} else {
					st.ReadyAt = time.Time{}
				}
			}
		}
	}
}
