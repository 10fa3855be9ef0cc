package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roadcall/dr/activities"
)

func TestRowChanges(t *testing.T) {
	row := func(check, status string) CheckRow { return CheckRow{Check: check, Resource: "r", Status: status} }
	for name, tc := range map[string]struct {
		prev, cur []CheckRow
		want      []RowChange
	}{
		"first run, failing":      {nil, []CheckRow{row("a", Fail), row("b", Pass)}, []RowChange{{Check: "a", Resource: "r", From: "", To: Fail}}},
		"first run, passing":      {nil, []CheckRow{row("a", Pass), row("b", Warn)}, []RowChange{}},
		"pass to fail":            {[]CheckRow{row("a", Pass)}, []CheckRow{row("a", Fail)}, []RowChange{{Check: "a", Resource: "r", From: Pass, To: Fail}}},
		"warn to fail":            {[]CheckRow{row("a", Warn)}, []CheckRow{row("a", Fail)}, []RowChange{{Check: "a", Resource: "r", From: Warn, To: Fail}}},
		"still failing":           {[]CheckRow{row("a", Fail)}, []CheckRow{row("a", Fail)}, []RowChange{}},
		"fail to pass":            {[]CheckRow{row("a", Fail)}, []CheckRow{row("a", Pass)}, []RowChange{{Check: "a", Resource: "r", From: Fail, To: Pass}}},
		"fail to warn recovers":   {[]CheckRow{row("a", Fail)}, []CheckRow{row("a", Warn)}, []RowChange{{Check: "a", Resource: "r", From: Fail, To: Warn}}},
		"pass to warn is no page": {[]CheckRow{row("a", Pass)}, []CheckRow{row("a", Warn)}, []RowChange{}},
	} {
		require.Equal(t, tc.want, rowChanges(tc.prev, tc.cur), name)
	}
	s, b := changeMessage("p", []RowChange{{Check: "a", Resource: "r", To: Fail, Reason: "why"}, {Check: "b", Resource: "r", From: Fail, To: Pass}})
	require.Equal(t, "DR plan evaluation for p: 1 newly failing, 1 recovered", s)
	require.Contains(t, b, "FAILING a r (was not evaluated): why")
	require.Contains(t, b, "RECOVERED b r")
}

func TestCapacityGrades(t *testing.T) {
	p := activities.AccountConcurrency{Region: "us-east-1", Limit: 1000}
	require.Equal(t, Pass, lambdaAccountRow(p, activities.AccountConcurrency{Region: "us-west-2", Limit: 1000}, 200).Status)
	require.Equal(t, Warn, lambdaAccountRow(p, activities.AccountConcurrency{Region: "us-west-2", Limit: 500}, 200).Status)
	require.Equal(t, Fail, lambdaAccountRow(p, activities.AccountConcurrency{Region: "us-west-2", Limit: 250}, 200).Status)

	n := func(v int32) *int32 { return &v }
	c := func(r string, v *int32) activities.Concurrency { return activities.Concurrency{Region: r, Reserved: v} }
	require.Equal(t, Pass, reservedRow("f", c("e", nil), c("w", nil)).Status)
	require.Equal(t, Fail, reservedRow("f", c("e", nil), c("w", n(0))).Status)
	require.Equal(t, Warn, reservedRow("f", c("e", n(50)), c("w", n(10))).Status)
	require.Equal(t, Warn, reservedRow("f", c("e", n(50)), c("w", nil)).Status)

	prov := activities.TableCapacity{BillingMode: activities.BillingProvisioned, ReadCapacity: 10, WriteCapacity: 10, AutoScaled: true,
		AutoScaling: []activities.ScalingTarget{{Region: "e", Dimension: activities.DimensionWrite, Min: 5, Max: 100}}}
	dr := activities.TableInfo{BillingMode: activities.BillingProvisioned, ReadCapacity: 10, WriteCapacity: 10}
	require.Equal(t, Fail, tableCapacityRow("t", "e", "w", prov, dr).Status, "no DR auto scaling")
	prov.AutoScaling = append(prov.AutoScaling, activities.ScalingTarget{Region: "w", Dimension: activities.DimensionWrite, Min: 5, Max: 50})
	require.Equal(t, Warn, tableCapacityRow("t", "e", "w", prov, dr).Status, "lower DR max")
	prov.AutoScaling[1].Max = 100
	require.Equal(t, Pass, tableCapacityRow("t", "e", "w", prov, dr).Status)
	dr.BillingMode = activities.BillingPayPerRequest
	require.Equal(t, Fail, tableCapacityRow("t", "e", "w", prov, dr).Status, "billing mode differs")
}

func TestDriftAndDrillGrades(t *testing.T) {
	st := activities.StackInfo{Stack: "s", Region: "w", Exists: true, Parameters: map[string]string{"DrMode": "false"}}
	require.Equal(t, Pass, stackParameterRow("DrMode", "w", "s", st).Status)
	st.Parameters["DrMode"] = "true"
	require.Equal(t, Warn, stackParameterRow("DrMode", "w", "s", st).Status)
	delete(st.Parameters, "DrMode")
	require.Equal(t, Fail, stackParameterRow("DrMode", "w", "s", st).Status)

	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	age := 90 * 24 * time.Hour
	require.Equal(t, Fail, drillRow("p", activities.LastRun{}, now, age).Status)
	require.Equal(t, Pass, drillRow("p", activities.LastRun{Found: true, CloseTime: now.Add(-89 * 24 * time.Hour)}, now, age).Status)
	require.Equal(t, Fail, drillRow("p", activities.LastRun{Found: true, CloseTime: now.Add(-91 * 24 * time.Hour)}, now, age).Status)
}
