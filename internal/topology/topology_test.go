package topology

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestExamplesLoad(t *testing.T) {
	for _, path := range []string{"../../examples/roadcall-prod.json", "../../examples/roadcall-local.json"} {
		topo, err := Load(path)
		require.NoError(t, err, path)
		require.Equal(t, "us-east-1", topo.PrimaryRegion)
		require.Equal(t, "us-west-2", topo.DRRegion)
		require.Equal(t, time.Hour, topo.Objectives.RTO.D())
		require.Equal(t, 15*time.Minute, topo.Objectives.RPO.D())
		require.Equal(t, []string{"roadcall-users-prod", "roadcall-incidents-prod", "roadcall-vendors-prod",
			"roadcall-tracking-sessions-prod", "roadcall-call-records-prod"}, topo.TableNames())
		require.Equal(t, "roadcall-aurora-prod", topo.Aurora.PrimaryClusterID)
		require.Equal(t, "roadcall-aurora-prod-replica", topo.Aurora.DRClusterID)
		require.Equal(t, "api.roadcall.example.com", topo.DNS.RecordName)
		require.Equal(t, "roadcall-backup-vault-prod", topo.BackupVault)
		require.Equal(t, "roadcall-prod-alarms", topo.AlarmTopic)
		require.Equal(t, "roadcall-api-prod", topo.API.Name)
		require.True(t, topo.HasFunction("roadcall-incident-svc-prod"))
		require.Equal(t, "arn:aws:sns:us-west-2:123456789012:roadcall-prod-alarms", topo.TopicARN("us-west-2"))
	}
	local, err := Load("../../examples/roadcall-local.json")
	require.NoError(t, err)
	require.Empty(t, local.Approvals.Approvers, "the worker's policy names the approvers (examples/policy-local.json)")
	require.False(t, local.Approvals.TwoPerson)
}

// load decodes a mutated copy of the local example.
func load(t *testing.T, mutate func(m map[string]any)) error {
	t.Helper()
	b, err := os.ReadFile("../../examples/roadcall-local.json")
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	mutate(m)
	b, err = json.Marshal(m)
	require.NoError(t, err)
	_, err = Decode(strings.NewReader(string(b)))
	return err
}

func TestValidationNamesTheFieldAndTheFix(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(m map[string]any)
		field  string
		fix    string
	}{
		{"same region twice", func(m map[string]any) { m["drRegion"] = "us-east-1" }, "drRegion", "different region"},
		{"malformed region", func(m map[string]any) { m["primaryRegion"] = "US East" }, "primaryRegion", "us-east-1"},
		{"missing tables", func(m map[string]any) { delete(m, "tables") }, "tables", "list the DynamoDB global tables"},
		{"empty table name", func(m map[string]any) { m["tables"] = []any{map[string]any{"name": ""}} }, "tables[0].name", "table name"},
		{"duplicate table", func(m map[string]any) {
			m["tables"] = []any{map[string]any{"name": "a"}, map[string]any{"name": "a"}}
		}, "tables[1].name", "once"},
		{"unknown failover mode", func(m map[string]any) { m["aurora"].(map[string]any)["failoverMode"] = "yolo" }, "aurora.failoverMode", "global-failover"},
		{"rto zero", func(m map[string]any) { m["objectives"].(map[string]any)["rto"] = "-1m" }, "objectives.rto", "1h"},
		{"bad account", func(m map[string]any) { m["accountId"] = "42" }, "accountId", "12-digit"},
		{"missing dns target", func(m map[string]any) { delete(m["dns"].(map[string]any)["targets"].(map[string]any), "us-west-2") }, "dns.targets.us-west-2", "API endpoint"},
		{"health check elsewhere", func(m map[string]any) {
			m["healthChecks"] = []any{map[string]any{"id": "x", "region": "eu-west-1"}}
		}, "healthChecks[0].region", "region the health check watches"},
		{"command activation without command", func(m map[string]any) { m["stacks"].(map[string]any)["activation"] = "command" }, "stacks.deploy", "deploy command of the worker's policy"},
		{"capacity zero is kept and refused", func(m map[string]any) { m["degradation"] = map[string]any{"readCapacity": -5} }, "degradation.readCapacity", "1000"},
		{"unknown field", func(m map[string]any) { m["colour"] = "blue" }, "colour", "remove it"},
		{"wrong type", func(m map[string]any) { m["tables"] = "users" }, "tables", "right type"},
		{"bad duration", func(m map[string]any) { m["objectives"].(map[string]any)["rpo"] = "fifteen minutes" }, "", "duration string"},
		// Lambda's Alias shape (botocore lambda 2015-03-31): letters, digits, - and _, not all digits.
		{"numeric alias", func(m map[string]any) { m["functions"] = []any{map[string]any{"name": "f", "alias": "42"}} }, "functions[0].alias", "not all digits"},
		{"alias with a colon", func(m map[string]any) { m["functions"] = []any{map[string]any{"name": "f", "alias": "a:b"}} }, "functions[0].alias", "Alias pattern"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := load(t, tc.mutate)
			require.Error(t, err)
			if tc.field != "" {
				require.Contains(t, err.Error(), `"`+tc.field+`"`)
			}
			require.Contains(t, err.Error(), tc.fix)
		})
	}
}

func TestValidationReportsEveryProblemAtOnce(t *testing.T) {
	err := load(t, func(m map[string]any) {
		m["drRegion"] = "us-east-1"
		delete(m, "tables")
		m["objectives"] = map[string]any{"rto": "-1h"}
	})
	var es Errors
	require.True(t, errors.As(err, &es), "%v", err)
	fields := map[string]bool{}
	for _, e := range es {
		fields[e.Field] = true
	}
	require.True(t, fields["drRegion"] && fields["tables"] && fields["objectives.rto"], "%v", err)
}

func TestMalformedJSONSaysWhere(t *testing.T) {
	_, err := Decode(strings.NewReader("{\n  \"platform\": \"roadcall\",\n  \"stage\" \"prod\"\n}"))
	require.ErrorContains(t, err, "malformed JSON at line 3")
	_, err = Decode(strings.NewReader(`{"platform":"roadcall"} {"again":1}`))
	require.ErrorContains(t, err, "trailing data")
}

func TestDefaultsAreTheRunbooksFigures(t *testing.T) {
	var topo Topology
	topo.ApplyDefaults()
	require.Equal(t, time.Hour, topo.Objectives.RTO.D())
	require.Equal(t, 15*time.Minute, topo.Objectives.RPO.D())
	require.Equal(t, 300*time.Millisecond, topo.Thresholds.LatencyP95.D())
	require.Equal(t, int32(500), topo.Degradation.ReservedConcurrency)
	require.Equal(t, int64(1000), topo.Degradation.ReadCapacity)
	require.Equal(t, int64(500), topo.Degradation.WriteCapacity)
	require.Equal(t, FailoverGlobal, topo.Aurora.FailoverMode)
}

func TestDurationJSONRoundTrip(t *testing.T) {
	b, err := json.Marshal(Objectives{RTO: Duration(time.Hour), RPO: Duration(15 * time.Minute)})
	require.NoError(t, err)
	require.JSONEq(t, `{"rto":"1h0m0s","rpo":"15m0s"}`, string(b))
	var o Objectives
	require.NoError(t, json.Unmarshal(b, &o))
	require.Equal(t, time.Hour, o.RTO.D())
}

func TestExplicitZeroIsRefusedNotDefaulted(t *testing.T) {
	for _, c := range []struct {
		mutate func(m map[string]any)
		field  string
	}{
		{func(m map[string]any) { m["objectives"].(map[string]any)["rto"] = "0s" }, "objectives.rto"},
		{func(m map[string]any) { m["degradation"] = map[string]any{"writeCapacity": 0} }, "degradation.writeCapacity"},
		{func(m map[string]any) { m["thresholds"] = map[string]any{"lambdaErrors": 0} }, "thresholds.lambdaErrors"},
		{func(m map[string]any) { m["approvals"].(map[string]any)["deadline"] = "0s" }, "approvals.deadline"},
	} {
		err := load(t, c.mutate)
		require.Error(t, err, c.field)
		require.Contains(t, err.Error(), `"`+c.field+`"`)
	}
}

func TestUnknownFieldInsideARequestIsReportedByValidate(t *testing.T) {
	var req struct {
		Topology Topology `json:"topology"`
	}
	b, err := os.ReadFile("../../examples/roadcall-local.json")
	require.NoError(t, err)
	body := `{"topology":` + strings.Replace(string(b), `"platform"`, `"colour":"blue","platform"`, 1) + `}`
	require.NoError(t, json.Unmarshal([]byte(body), &req), "decoding keeps going so the workflow can refuse by name")
	req.Topology.ApplyDefaults()
	require.ErrorContains(t, req.Topology.Validate(), `"colour"`)
}

// TestBadDurationNamesItsField: encoding/json gives a custom decoder's error no field; the topology's does.
func TestBadDurationNamesItsField(t *testing.T) {
	var v struct {
		Topology Topology `json:"topology"`
	}
	err := DecodeStrict(strings.NewReader(`{"topology":{"approvals":{"escalationInterval":"soon"}}}`), &v)
	if err == nil || !strings.Contains(err.Error(), `"topology.approvals.escalationInterval"`) || !strings.Contains(err.Error(), `"soon" is not a duration`) {
		t.Fatalf("got %v", err)
	}
}

// A 100,000-table topology is refused at once, naming the limit, before any per-table check runs
// (issue 13: 1,000 tables wedged the first workflow task).
func TestTooManyTablesIsRefusedWithTheLimit(t *testing.T) {
	topo, err := Load("../../examples/roadcall-local.json")
	require.NoError(t, err)
	topo.Tables = make([]Table, 100000)
	start := time.Now()
	err = topo.Validate()
	require.Less(t, time.Since(start), time.Second)
	require.ErrorContains(t, err, `field "tables": 100000 tables, over the supported 2000`)
	require.NotContains(t, topo.ValidateWithoutLimits().Error(), "over the supported", "runs recorded before the limits replay as they ran")
	topo.Tables = topo.Tables[:MaxTables]
	require.NotContains(t, topo.Validate().Error(), "over the supported", "at the limit only the empty names are wrong")
}
