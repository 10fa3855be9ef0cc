package awssim

import (
	"maps"
	"sort"
	"strings"
	"time"
)

const cfnXMLNS = "http://cloudformation.amazonaws.com/doc/2010-05-15/"

// CloudFormation speaks awsQuery. The stacks are the seeded DR standby stacks; UpdateStack changes their
// parameters (templates are not kept) and walks the update statuses in modeled time.
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
		out.Events.Items = append(out.Events.Items, cfnEventOut(st, st.Events[i]))
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
	if !newTemplate && maps.Equal(params, st.Parameters) {
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
		st.PreviousParameters, st.Parameters = st.Parameters, params
		st.NextStatus, st.ReadyAt = "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", s.after(time.Duration(0.9*float64(d)))
	}
	s.record(c, st.Name, true, "parameters "+formatParams(params))
	return cfnUpdateResult{StackId: st.ID}, nil
}

func formatParams(p map[string]string) string {
	var parts []string
	for _, k := range SortedKeys(p) {
		parts = append(parts, k+"="+p[k])
	}
	return strings.Join(parts, ",")
}
