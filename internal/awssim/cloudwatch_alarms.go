package awssim

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/roadcall/dr/internal/topology"
)

// CloudWatch alarms: DescribeAlarms and SetAlarmState of botocore's cloudwatch 2010-08-01 model, over the
// three protocols CloudWatch serves. awssim does not evaluate alarms against metrics: an alarm keeps the
// state it was seeded with (OK) until SetAlarmState or the control API (POST /_sim/alarms) sets another,
// which is what a test of OutageWatch needs from the canary alarms the topology names.

// Alarm is one metric or composite alarm of a region.
type Alarm struct {
	Name  string `json:"name"`
	ARN   string `json:"arn"`
	Type  string `json:"type"` // MetricAlarm or CompositeAlarm (the AlarmType enum)
	State string `json:"state"`
	// Reason is StateReason; ReasonData StateReasonData (JSON), as SetAlarmState left them.
	Reason       string `json:"reason"`
	ReasonData   string `json:"reasonData,omitempty"`
	StateUpdated int64  `json:"stateUpdated"` // Unix milliseconds
	// A metric alarm's definition; a composite alarm has a rule instead.
	Namespace          string            `json:"namespace,omitempty"`
	MetricName         string            `json:"metricName,omitempty"`
	Dimensions         map[string]string `json:"dimensions,omitempty"`
	Statistic          string            `json:"statistic,omitempty"`
	Period             int               `json:"period,omitempty"`
	EvaluationPeriods  int               `json:"evaluationPeriods,omitempty"`
	Threshold          float64           `json:"threshold,omitempty"`
	ComparisonOperator string            `json:"comparisonOperator,omitempty"`
	Rule               string            `json:"rule,omitempty"`
}

// The model's enums and limits (DescribeAlarmsInput: AlarmNames max 100, MaxRecords 1..100).
var (
	cwAlarmStates = []string{"OK", "ALARM", "INSUFFICIENT_DATA"}
	cwAlarmTypes  = []string{"CompositeAlarm", "MetricAlarm"}
)

const (
	cwMaxAlarmNames = 100
	cwMaxRecords    = 100
	// cwDefaultRecords is the page size when MaxRecords is omitted (CloudWatch answers 50 alarms a page).
	cwDefaultRecords = 50
)

// seedAlarms creates the topology's watchAlarms in the DR region, as metric alarms in state OK. Their
// definition is a Synthetics canary's, the usual way to watch a region from outside it.
func seedAlarms(w *World, t topology.Topology) {
	r := w.Regions[t.DRRegion]
	if r == nil {
		return
	}
	for _, n := range t.WatchAlarms {
		r.Alarms[n] = &Alarm{Name: n, ARN: cwAlarmARN(t.DRRegion, w.AccountID, n), Type: "MetricAlarm", State: "OK",
			Reason: "awssim: seeded from the topology's watchAlarms", StateUpdated: w.Seeded.UnixMilli(),
			Namespace: "CloudWatchSynthetics", MetricName: "SuccessPercent", Dimensions: map[string]string{"CanaryName": n},
			Statistic: "Average", Period: 60, EvaluationPeriods: 1, Threshold: 90, ComparisonOperator: "LessThanThreshold"}
	}
}

func cwAlarmARN(region, acct, name string) string {
	return "arn:aws:cloudwatch:" + region + ":" + acct + ":alarm:" + name
}

// AlarmUpdate is the control API's body (POST /_sim/alarms): set an alarm's state, or create it when Type
// is given and the alarm does not exist.
type AlarmUpdate struct {
	Region string `json:"region"`
	Name   string `json:"name"`
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
	Type   string `json:"type,omitempty"`
	// Rule is a created composite alarm's AlarmRule.
	Rule string `json:"rule,omitempty"`
}

// SetAlarm applies a control API update; its error names the field at fault.
func (s *Server) SetAlarm(u AlarmUpdate) (Alarm, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.world.Regions[u.Region]
	switch {
	case r == nil:
		return Alarm{}, fmt.Errorf("region: %q is not a region of this topology (%s)", u.Region, strings.Join(s.topo.Regions(), ", "))
	case u.Name == "":
		return Alarm{}, fmt.Errorf("name: give the alarm's name")
	case !slices.Contains(cwAlarmStates, u.State):
		return Alarm{}, fmt.Errorf("state: %q is not one of %s", u.State, strings.Join(cwAlarmStates, ", "))
	case u.Type != "" && !slices.Contains(cwAlarmTypes, u.Type):
		return Alarm{}, fmt.Errorf("type: %q is not one of %s", u.Type, strings.Join(cwAlarmTypes, ", "))
	}
	a := r.Alarms[u.Name]
	if a == nil {
		if u.Type == "" {
			return Alarm{}, errNoAlarm{fmt.Sprintf("name: no alarm %q in %s (give type MetricAlarm or CompositeAlarm to create it)", u.Name, u.Region)}
		}
		a = &Alarm{Name: u.Name, ARN: cwAlarmARN(u.Region, s.world.AccountID, u.Name), Type: u.Type, Rule: u.Rule}
		if a.Type == "CompositeAlarm" && a.Rule == "" {
			a.Rule = "FALSE"
		}
		r.Alarms[u.Name] = a
	}
	reason := u.Reason
	if reason == "" {
		reason = "awssim: state set through /_sim/alarms"
	}
	a.State, a.Reason, a.ReasonData, a.StateUpdated = u.State, reason, "", s.now().UnixMilli()
	return *a, nil
}

// errNoAlarm is SetAlarm's refusal of an alarm it does not know: a 404 for the control API.
type errNoAlarm struct{ msg string }

func (e errNoAlarm) Error() string { return e.msg }

// ---- DescribeAlarms ----

func cwDescribeAlarms(s *Server, c *Call) (any, error) {
	in := cwInput(c)
	names := in.Strings("AlarmNames")
	prefix := in.Str("AlarmNamePrefix")
	types := in.Strings("AlarmTypes")
	state := in.Str("StateValue")
	for _, k := range []string{"ChildrenOfAlarmName", "ParentsOfAlarmName", "ActionPrefix"} {
		if in.Str(k) != "" {
			return nil, cwErr("InvalidParameterValueException", "awssim: DescribeAlarms does not model %s.", k)
		}
	}
	switch {
	case len(names) > cwMaxAlarmNames:
		return nil, cwErr("InvalidParameterValueException", "The parameter AlarmNames must contain at most %d names (got %d).", cwMaxAlarmNames, len(names))
	case len(names) > 0 && prefix != "":
		return nil, cwErr("InvalidParameterCombinationException", "The parameters AlarmNames and AlarmNamePrefix are mutually exclusive.")
	case state != "" && !slices.Contains(cwAlarmStates, state):
		return nil, cwErr("InvalidParameterValueException", "The parameter StateValue must be one of %s (got %q).", strings.Join(cwAlarmStates, ", "), state)
	}
	for _, t := range types {
		if !slices.Contains(cwAlarmTypes, t) {
			return nil, cwErr("InvalidParameterValueException", "The parameter AlarmTypes must contain only %s (got %q).", strings.Join(cwAlarmTypes, ", "), t)
		}
	}
	if len(types) == 0 {
		// "If you omit this parameter, only metric alarms are returned, even if composite alarms exist."
		types = []string{"MetricAlarm"}
	}
	limit := cwDefaultRecords
	if in.Has("MaxRecords") {
		n, ok := in.Int("MaxRecords")
		if !ok || n < 1 || n > cwMaxRecords {
			return nil, cwErr("InvalidParameterValueException", "The parameter MaxRecords must be between 1 and %d (got %v).", cwMaxRecords, in["MaxRecords"])
		}
		limit = int(n)
	}
	offset, err := cwAlarmOffset(in.Str("NextToken"))
	if err != nil {
		return nil, err
	}

	var matched []*Alarm
	for _, a := range s.world.Regions[c.Region].Alarms {
		if (len(names) > 0 && !slices.Contains(names, a.Name)) || !strings.HasPrefix(a.Name, prefix) ||
			(state != "" && a.State != state) || !slices.Contains(types, a.Type) {
			continue
		}
		matched = append(matched, a)
	}
	sort.Slice(matched, func(i, j int) bool { return matched[i].Name < matched[j].Name })
	if offset > len(matched) {
		return nil, cwErr("InvalidNextToken", "The NextToken is past the last alarm.")
	}
	page, next := matched[offset:], ""
	if len(page) > limit {
		page, next = page[:limit], cwAlarmToken(offset+limit)
	}
	if isQuery(c) {
		return cwAlarmsXML(page, next), nil
	}
	return cwAlarmsJSON(page, next), nil
}

// Page tokens are opaque to clients; awssim's carry the offset of the next alarm.
const cwAlarmTokenPrefix = "awssim-alarms:"

func cwAlarmToken(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cwAlarmTokenPrefix + strconv.Itoa(offset)))
}

func cwAlarmOffset(tok string) (int, error) {
	if tok == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	n, convErr := strconv.Atoi(strings.TrimPrefix(string(b), cwAlarmTokenPrefix))
	if err != nil || !strings.HasPrefix(string(b), cwAlarmTokenPrefix) || convErr != nil || n < 0 {
		return 0, cwErr("InvalidNextToken", "The NextToken %q is not valid.", tok)
	}
	return n, nil
}

// ---- SetAlarmState ----

// cwSetAlarmState sets an alarm's state "for testing purposes", as CloudWatch does; awssim evaluates no
// metric, so the state stays until it is set again.
func cwSetAlarmState(s *Server, c *Call) (any, error) {
	in := cwInput(c)
	for _, k := range []string{"AlarmName", "StateValue", "StateReason"} {
		if !in.Has(k) {
			return nil, cwErr("MissingRequiredParameterException", "The parameter %s is required.", k)
		}
	}
	name, state := in.Str("AlarmName"), in.Str("StateValue")
	if !slices.Contains(cwAlarmStates, state) {
		return nil, cwErr("InvalidParameterValueException", "The parameter StateValue must be one of %s (got %q).", strings.Join(cwAlarmStates, ", "), state)
	}
	if len(in.Str("StateReason")) > 1023 || len(in.Str("StateReasonData")) > 4000 {
		return nil, cwErr("InvalidParameterValueException", "StateReason is at most 1023 characters and StateReasonData at most 4000.")
	}
	a := s.world.Regions[c.Region].Alarms[name]
	if a == nil {
		e := Errf(404, "ResourceNotFound", "Alarm %s does not exist in %s.", name, c.Region)
		e.QueryCode = "ResourceNotFound"
		s.record(c, name, false, "refused: ResourceNotFound")
		return nil, e
	}
	if d := in.Str("StateReasonData"); d != "" && !json.Valid([]byte(d)) {
		e := Errf(400, "InvalidFormatFault", "StateReasonData is not valid JSON.")
		e.QueryCode = "InvalidFormat"
		return nil, e
	}
	changed := a.State != state
	a.State, a.Reason, a.ReasonData, a.StateUpdated = state, in.Str("StateReason"), in.Str("StateReasonData"), c.Now.UnixMilli()
	s.record(c, a.ARN, changed, "state "+state)
	return nil, nil
}

func cwAlarmName(c *Call) string { return cwInput(c).Str("AlarmName") }

// serveSetAlarm is POST /_sim/alarms {"region","name","state"[,"reason","type","rule"]}: 200 with the alarm,
// 400 naming the field at fault, 404 for an alarm the region does not have.
func (s *Server) serveSetAlarm(w http.ResponseWriter, r *http.Request) {
	var u AlarmUpdate
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&u); err != nil {
		writeJSON(w, 400, map[string]string{"error": "alarm body: " + err.Error() + ` (want {"region","name","state"})`})
		return
	}
	a, err := s.SetAlarm(u)
	var missing errNoAlarm
	switch {
	case errors.As(err, &missing):
		writeJSON(w, 404, map[string]string{"error": err.Error()})
	case err != nil:
		writeJSON(w, 400, map[string]string{"error": err.Error()})
	default:
		writeJSON(w, 200, a)
	}
}
