package awssim

import (
	"encoding/xml"
	"time"
)

// DescribeAlarms' output (DescribeAlarmsOutput: MetricAlarms, CompositeAlarms, NextToken; MetricAlarm and
// CompositeAlarm members as botocore's cloudwatch 2010-08-01 names them): maps for CBOR and JSON clients,
// the DescribeAlarmsResult XML for query clients.

func (a *Alarm) updated() time.Time { return time.UnixMilli(a.StateUpdated).UTC() }

func cwAlarmsJSON(page []*Alarm, next string) map[string]any {
	metric, composite := []any{}, []any{}
	for _, a := range page {
		m := map[string]any{"AlarmName": a.Name, "AlarmArn": a.ARN, "StateValue": a.State, "StateReason": a.Reason,
			"StateUpdatedTimestamp": a.updated(), "StateTransitionedTimestamp": a.updated(), "ActionsEnabled": true,
			"AlarmActions": []any{}, "OKActions": []any{}, "InsufficientDataActions": []any{}}
		if a.ReasonData != "" {
			m["StateReasonData"] = a.ReasonData
		}
		if a.Type == "CompositeAlarm" {
			m["AlarmRule"] = a.Rule
			composite = append(composite, m)
			continue
		}
		dims := []any{}
		for _, k := range SortedKeys(a.Dimensions) {
			dims = append(dims, map[string]any{"Name": k, "Value": a.Dimensions[k]})
		}
		m["Namespace"], m["MetricName"], m["Dimensions"], m["Statistic"] = a.Namespace, a.MetricName, dims, a.Statistic
		m["Period"], m["EvaluationPeriods"], m["Threshold"], m["ComparisonOperator"] = a.Period, a.EvaluationPeriods, a.Threshold, a.ComparisonOperator
		metric = append(metric, m)
	}
	out := map[string]any{"MetricAlarms": metric, "CompositeAlarms": composite}
	if next != "" {
		out["NextToken"] = next
	}
	return out
}

type cwXMLAlarm struct {
	AlarmName                  string                     `xml:"AlarmName"`
	AlarmArn                   string                     `xml:"AlarmArn"`
	ActionsEnabled             bool                       `xml:"ActionsEnabled"`
	AlarmActions               cwXMLList[string]          `xml:"AlarmActions"`
	OKActions                  cwXMLList[string]          `xml:"OKActions"`
	InsufficientDataActions    cwXMLList[string]          `xml:"InsufficientDataActions"`
	StateValue                 string                     `xml:"StateValue"`
	StateReason                string                     `xml:"StateReason"`
	StateReasonData            string                     `xml:"StateReasonData,omitempty"`
	StateUpdatedTimestamp      string                     `xml:"StateUpdatedTimestamp"`
	StateTransitionedTimestamp string                     `xml:"StateTransitionedTimestamp"`
	AlarmRule                  string                     `xml:"AlarmRule,omitempty"`
	MetricName                 string                     `xml:"MetricName,omitempty"`
	Namespace                  string                     `xml:"Namespace,omitempty"`
	Statistic                  string                     `xml:"Statistic,omitempty"`
	Dimensions                 *cwXMLList[cwXMLDimension] `xml:"Dimensions,omitempty"`
	Period                     int                        `xml:"Period,omitempty"`
	EvaluationPeriods          int                        `xml:"EvaluationPeriods,omitempty"`
	Threshold                  *float64                   `xml:"Threshold,omitempty"`
	ComparisonOperator         string                     `xml:"ComparisonOperator,omitempty"`
}

type cwDescribeAlarmsResult struct {
	XMLName         xml.Name              `xml:"DescribeAlarmsResult"`
	MetricAlarms    cwXMLList[cwXMLAlarm] `xml:"MetricAlarms"`
	CompositeAlarms cwXMLList[cwXMLAlarm] `xml:"CompositeAlarms"`
	NextToken       string                `xml:"NextToken,omitempty"`
}

func cwAlarmsXML(page []*Alarm, next string) cwDescribeAlarmsResult {
	out := cwDescribeAlarmsResult{NextToken: next}
	for _, a := range page {
		ts := a.updated().Format(cwTimeFormat)
		x := cwXMLAlarm{AlarmName: a.Name, AlarmArn: a.ARN, ActionsEnabled: true, StateValue: a.State, StateReason: a.Reason,
			StateReasonData: a.ReasonData, StateUpdatedTimestamp: ts, StateTransitionedTimestamp: ts}
		if a.Type == "CompositeAlarm" {
			x.AlarmRule = a.Rule
			out.CompositeAlarms.Members = append(out.CompositeAlarms.Members, x)
			continue
		}
		dims := &cwXMLList[cwXMLDimension]{}
		for _, k := range SortedKeys(a.Dimensions) {
			dims.Members = append(dims.Members, cwXMLDimension{k, a.Dimensions[k]})
		}
		th := a.Threshold
		x.MetricName, x.Namespace, x.Statistic, x.Dimensions = a.MetricName, a.Namespace, a.Statistic, dims
		x.Period, x.EvaluationPeriods, x.Threshold, x.ComparisonOperator = a.Period, a.EvaluationPeriods, &th, a.ComparisonOperator
		out.MetricAlarms.Members = append(out.MetricAlarms.Members, x)
	}
	return out
}
