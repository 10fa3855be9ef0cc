// Package topology describes the Roadcall platform that the DR workflows act on: regions, tables, the Aurora
// global cluster, DNS, stacks, functions, objectives, thresholds and approvers. A resolved Topology travels
// inside every workflow request so that a history is self-contained and replays without files.
package topology

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Duration is a time.Duration that reads and writes as a Go duration string ("15m", "1h30m") in JSON.
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

func (d Duration) String() string { return time.Duration(d).String() }

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// A bad duration comes back as a json.UnmarshalTypeError, the one error encoding/json fills in the field
// path of, so the message names the field.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return &json.UnmarshalTypeError{Value: bounded(string(b)), Type: reflect.TypeFor[Duration]()}
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return &json.UnmarshalTypeError{Value: fmt.Sprintf("%q", bounded(s)), Type: reflect.TypeFor[Duration]()}
	}
	*d = Duration(v)
	return nil
}

// Aurora failover modes. The runbook's promote-read-replica only works for cross-region binlog replicas;
// a global-database secondary is failed over or detached.
const (
	FailoverGlobal           = "global-failover"
	FailoverDetachAndPromote = "detach-and-promote"
	FailoverPromoteReplica   = "promote-read-replica"
)

// Service activation modes in the DR region.
const (
	ActivationCloudFormation = "cloudformation"
	ActivationCommand        = "command"
)

// Write-stop modes for data corruption.
const (
	WriteStopLambdaFlag  = "lambda-flag"
	WriteStopAPIThrottle = "api-throttle"
)

// Cutover modes for data corruption.
const (
	CutoverLambdaEnv = "lambda-env"
	CutoverSSM       = "ssm"
)

type Topology struct {
	Platform      string        `json:"platform"`
	Stage         string        `json:"stage"`
	AccountID     string        `json:"accountId"`
	PrimaryRegion string        `json:"primaryRegion"`
	DRRegion      string        `json:"drRegion"`
	Tables        []Table       `json:"tables"`
	Aurora        Aurora        `json:"aurora"`
	Buckets       []BucketPair  `json:"buckets"`
	DNS           DNS           `json:"dns"`
	HealthChecks  []HealthCheck `json:"healthChecks"`
	API           API           `json:"api"`
	Functions     []Function    `json:"functions"`
	Stacks        Stacks        `json:"stacks"`
	AlarmTopic    string        `json:"alarmTopic"`
	BackupVault   string        `json:"backupVault"`
	Objectives    Objectives    `json:"objectives"`
	Thresholds    Thresholds    `json:"thresholds"`
	Approvals     Approvals     `json:"approvals"`
	Degradation   Degradation   `json:"degradation"`
	Corruption    Corruption    `json:"corruption"`
	// problem is what decoding found that validation must report: an unknown field, or a setting written
	// as zero or less that defaulting would otherwise silently replace with the runbook's figure.
	problem error

	// RequireStaticStability makes readiness fail, rather than warn, when the failover path depends on the
	// primary region's control planes (the upsert DNS mode with a us-east-1 primary).
	RequireStaticStability bool `json:"requireStaticStability,omitempty"`

	// StatusPageWebhookEnv names the worker's environment variable holding the status-page webhook URL,
	// which receives a JSON POST with each customer-facing update. The URL itself often carries a token, so
	// it never enters a request: requests live in Temporal history.
	StatusPageWebhookEnv string `json:"statusPageWebhookEnv,omitempty"`

	// WatchAlarms are CloudWatch alarms in the DR region (canaries probing the primary from outside it, say)
	// whose ALARM state the outage watch takes as a sign that the primary region is failing. Alarms in the
	// primary region would go dark with it, so only the DR region's are read.
	WatchAlarms []string `json:"watchAlarms,omitempty"`

	// Reports, when its bucket is set, is where DRDrill and RegionFailover upload their post-incident review.
	Reports Reports `json:"reports,omitzero"`
}

type Table struct {
	Name string `json:"name"`
	// IntegrityKeys are primary keys (attribute name → string value) that must exist after a restore.
	IntegrityKeys []map[string]string `json:"integrityKeys,omitempty"`
}

type Aurora struct {
	GlobalClusterID  string `json:"globalClusterId"`
	PrimaryClusterID string `json:"primaryClusterId"`
	DRClusterID      string `json:"drClusterId"`
	Engine           string `json:"engine"`
	InstanceClass    string `json:"instanceClass"`
	FailoverMode     string `json:"failoverMode"`
	// DSNEnv names the worker's environment variable that holds the DR writer's Postgres DSN; the DSN
	// itself never enters a request because requests live in Temporal history.
	DSNEnv string `json:"dsnEnv,omitempty"`
}

type BucketPair struct {
	Source      string `json:"source"`
	Destination string `json:"destination"`
}

// DNS cutover modes. Route 53's control plane (every Route 53 API call) lives in us-east-1, so only the
// data plane, DNS resolution and the health checkers, is sure to work while us-east-1 is out.
const (
	// DNSRoutingControl flips ARC routing controls through any of the cluster's regional endpoints (data
	// plane); the routing controls' health checks move the failover records.
	DNSRoutingControl = "routing-control"
	// DNSFailoverRecords writes nothing: health-check driven failover records move traffic on their own.
	DNSFailoverRecords = "failover-records"
	// DNSUpsert is the runbook's ChangeResourceRecordSets, which needs Route 53's control plane.
	DNSUpsert = "upsert"
)

type DNS struct {
	HostedZoneID  string `json:"hostedZoneId"`
	RecordName    string `json:"recordName"`
	RecordType    string `json:"recordType"`
	SetIdentifier string `json:"setIdentifier,omitempty"`
	// Targets maps a region to the alias target that serves the API there.
	Targets map[string]AliasTarget `json:"targets"`
	// Mode is how the cutover moves traffic: routing-control, failover-records or upsert. Left out, it is
	// routing-control when routing controls are configured and upsert otherwise.
	Mode string `json:"mode,omitempty"`
	// Records maps a region to its failover record in the zone (PRIMARY in the primary region, SECONDARY in
	// DR), each bound to a health check.
	Records map[string]FailoverRecord `json:"records,omitempty"`
	// RoutingControls is the ARC cluster and the routing control of each region.
	RoutingControls *RoutingControls `json:"routingControls,omitempty"`
	// AcceleratedRecovery says Route 53 accelerated recovery is enabled on the zone, so record changes come
	// back about 60 minutes into a us-east-1 impairment (it must be enabled before one).
	AcceleratedRecovery bool `json:"acceleratedRecovery,omitempty"`
}

// FailoverRecord is one of the zone's failover alias records.
type FailoverRecord struct {
	SetIdentifier string `json:"setIdentifier"`
	// Failover is PRIMARY or SECONDARY.
	Failover string `json:"failover"`
	// HealthCheckID is the health check that decides whether the record answers: an HTTPS check of the
	// region's endpoint (failover-records) or a RECOVERY_CONTROL check of its routing control.
	HealthCheckID string `json:"healthCheckId"`
}

// RoutingControls describes the ARC cluster: its regional endpoints, one routing control per region, and
// the safety rule that keeps at least one region ON.
type RoutingControls struct {
	ClusterARN      string `json:"clusterArn"`
	ControlPanelARN string `json:"controlPanelArn,omitempty"`
	// Endpoints are the cluster's regional endpoints, tried in turn until one answers.
	Endpoints []ClusterEndpoint `json:"endpoints"`
	// Controls maps a region to the ARN of the routing control that lets traffic flow to it.
	Controls map[string]string `json:"controls"`
	// SafetyRule, when set, is an assertion rule: at least MinOn of the controls stay ON.
	SafetyRule *SafetyRule `json:"safetyRule,omitempty"`
}

// ClusterEndpoint is one of the ARC cluster's five regional endpoints.
type ClusterEndpoint struct {
	Region string `json:"region"`
	// Endpoint is the URL (https://host-….region.example.aws/v1); left out, the worker's AWS endpoint
	// setting is used, as for a simulator listening on one address for every region.
	Endpoint string `json:"endpoint,omitempty"`
}

func (e ClusterEndpoint) String() string {
	if e.Endpoint == "" {
		return e.Region
	}
	return fmt.Sprintf("%s (%s)", e.Region, e.Endpoint)
}

// EndpointRegions joins the endpoints' regions with sep, for summaries and findings.
func EndpointRegions(eps []ClusterEndpoint, sep string) string {
	rs := make([]string, len(eps))
	for i, ep := range eps {
		rs[i] = ep.Region
	}
	return strings.Join(rs, sep)
}

type SafetyRule struct {
	ARN   string `json:"arn"`
	Name  string `json:"name,omitempty"`
	MinOn int    `json:"minOn"`
}

type AliasTarget struct {
	HostedZoneID         string `json:"hostedZoneId"`
	DNSName              string `json:"dnsName"`
	EvaluateTargetHealth bool   `json:"evaluateTargetHealth"`
}

// Health check types the topology knows.
const (
	HealthCheckHTTPS           = "HTTPS"
	HealthCheckRecoveryControl = "RECOVERY_CONTROL"
)

type HealthCheck struct {
	ID     string `json:"id"`
	Region string `json:"region"`
	// Type is HTTPS (default: Route 53's checkers probe the region's endpoint) or RECOVERY_CONTROL (healthy
	// exactly while the routing control is ON).
	Type string `json:"type,omitempty"`
	// RoutingControlARN binds a RECOVERY_CONTROL health check to its routing control.
	RoutingControlARN string `json:"routingControlArn,omitempty"`
}

type API struct {
	Name       string            `json:"name"`
	Stage      string            `json:"stage"`
	RestAPIIDs map[string]string `json:"restApiIds"`
	HealthURLs map[string]string `json:"healthUrls"`
	// FallbackHealthURLs, per region, answer for the degraded-mode / circuit-breaker path.
	FallbackHealthURLs map[string]string `json:"fallbackHealthUrls,omitempty"`
}

type Function struct {
	Name string `json:"name"`
	// Alias is the alias the API invokes the function through (its integration URI ends
	// ":function:NAME:ALIAS/invocations"); empty when the API invokes $LATEST. A published version's
	// configuration never changes, so a change meant to reach the traffic must be published and the alias
	// moved to the new version: writing $LATEST alone changes nothing the alias serves.
	Alias string `json:"alias,omitempty"`
}

type Stacks struct {
	// Names are the DR standby stacks that exist in the DR region.
	Names           []string `json:"names"`
	Activation      string   `json:"activation"`
	DRModeParameter string   `json:"drModeParameter"`
	// Deploy names the worker policy's deploy command for the command activation mode (e.g. the runbook's
	// pnpm cdk deploy): requests name a command, the worker's policy holds its argv.
	Deploy string `json:"deploy,omitempty"`
	// DeployCommand is argv carried in the request, from before the worker's policy held the commands. Runs
	// recorded then replay with it; under a policy it is refused.
	DeployCommand []string `json:"deployCommand,omitempty"`
	DeployDir     string   `json:"deployDir,omitempty"`
	// PrepareBeforeGate makes RegionFailover activate these stacks while its gate waits, by default; a
	// request's prepareBeforeGate overrides it.
	PrepareBeforeGate bool `json:"prepareBeforeGate,omitempty"`
}

type Objectives struct {
	RTO Duration `json:"rto"`
	RPO Duration `json:"rpo"`
	// MaxDrillAge is how old the last completed drill may be before the plan evaluation fails its
	// drill-staleness check (default 90 days: the runbook's quarterly drill).
	MaxDrillAge Duration `json:"maxDrillAge,omitempty"`
}

type Thresholds struct {
	AuroraLagWarn          Duration `json:"auroraLagWarn"`
	DynamoReplicationWarn  Duration `json:"dynamoReplicationWarn"`
	S3ReplicationWarn      Duration `json:"s3ReplicationWarn"`
	BackupMaxAge           Duration `json:"backupMaxAge"`
	LatencyP95             Duration `json:"latencyP95"`
	Error5xxRate           float64  `json:"error5xxRate"`
	MonitorWindow          Duration `json:"monitorWindow"`
	LambdaErrors           float64  `json:"lambdaErrors"`
	LambdaThrottles        float64  `json:"lambdaThrottles"`
	DynamoThrottledRequest float64  `json:"dynamoThrottledRequests"`
	DynamoUserErrors       float64  `json:"dynamoUserErrors"`
}

type Approvals struct {
	// Approvers and TwoPerson are the worker policy's now; a request may only repeat them. Runs recorded
	// before the policy replay with them.
	Approvers          []string `json:"approvers,omitempty"`
	TwoPerson          bool     `json:"twoPerson,omitempty"`
	EscalationInterval Duration `json:"escalationInterval"`
	Deadline           Duration `json:"deadline"`
}

type Degradation struct {
	Region              string   `json:"region,omitempty"`
	ReservedConcurrency int32    `json:"reservedConcurrency"`
	ReadCapacity        int64    `json:"readCapacity"`
	WriteCapacity       int64    `json:"writeCapacity"`
	Period              Duration `json:"period"`
	HealthyPeriods      int      `json:"healthyPeriods"`
	WatchDeadline       Duration `json:"watchDeadline"`
	StablePeriod        Duration `json:"stablePeriod"`
}

type Corruption struct {
	WriteStop           string   `json:"writeStop"`
	RestoreMargin       Duration `json:"restoreMargin"`
	MaxParallelRestores int      `json:"maxParallelRestores"`
	Cutover             string   `json:"cutover"`
	SSMParameter        string   `json:"ssmParameter,omitempty"`
	ScanLimit           int32    `json:"scanLimit"`
}

// UnmarshalJSON decodes strictly wherever a topology appears (a file or a workflow request): unknown fields
// and explicit non-positive settings are kept for Validate to report with their names, so a request that
// carries them fails with InvalidRequest instead of failing to decode.
func (t *Topology) UnmarshalJSON(b []byte) error {
	type plain Topology
	var p plain
	problem, err := DecodeLenient(b, &p)
	if err != nil {
		return err
	}
	*t = Topology(p)
	if problem == nil {
		problem = explicitNonPositive(b)
	}
	t.problem = problem
	return nil
}

// positiveSections hold settings that must be positive and that ApplyDefaults fills when absent.
var positiveSections = []string{"objectives", "thresholds", "approvals", "degradation", "corruption"}

// explicitNonPositive finds settings written as a number or duration of zero or less. ApplyDefaults cannot
// tell "0" from "absent", and replacing an operator's 0 with the runbook's figure would hide a mistake.
func explicitNonPositive(raw []byte) error {
	var top map[string]json.RawMessage
	if json.Unmarshal(raw, &top) != nil {
		return nil
	}
	var es Errors
	for _, sect := range positiveSections {
		var fields map[string]json.RawMessage
		if json.Unmarshal(top[sect], &fields) != nil {
			continue
		}
		for _, name := range sortedKeys(fields) {
			var n float64
			var s string
			field := sect + "." + name
			switch v := fields[name]; {
			case string(bytes.TrimSpace(v)) == "null":
				// null decodes as 0 but says "absent", as an omitted list does.
			case json.Unmarshal(v, &n) == nil && n <= 0:
				es = append(es, FieldError{field, fmt.Sprintf("must be positive, got %v", n), "give a value above zero, or leave it out for the default"})
			case json.Unmarshal(v, &s) == nil:
				if d, err := time.ParseDuration(s); err == nil && d <= 0 {
					es = append(es, FieldError{field, fmt.Sprintf("must be positive, got %q", s), "give a positive duration such as \"1m\", or leave it out for the default"})
				}
			}
		}
	}
	if len(es) == 0 {
		return nil
	}
	return es
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// FieldError names the field at fault and how to fix it.
type FieldError struct {
	Field   string
	Problem string
	Fix     string
}

func (e FieldError) Error() string {
	return fmt.Sprintf("field %q: %s; fix: %s", e.Field, e.Problem, e.Fix)
}

// Errors collects every FieldError so an operator fixes the input in one pass; topology and request
// validation share it, so it names neither.
type Errors []FieldError

// maxErrorsShown bounds what one refusal says: a request with thousands of bad entries must not make an
// error larger than Temporal's message limits, which would end the run instead of refusing it.
const maxErrorsShown = 20

func (es Errors) Error() string {
	parts := make([]string, 0, min(len(es), maxErrorsShown)+1)
	for i, e := range es {
		if i == maxErrorsShown {
			parts = append(parts, fmt.Sprintf("and %d more", len(es)-maxErrorsShown))
			break
		}
		parts = append(parts, e.Error())
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// maxNamesShown bounds a list of names quoted in an error (a topology may have 2,000 tables).
const maxNamesShown = 10

// NameList joins names for an error message: the first few, then how many more.
func NameList(names []string) string {
	if len(names) <= maxNamesShown {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:maxNamesShown], ", "), len(names)-maxNamesShown)
}

// Load reads, defaults and validates a topology file.
func Load(path string) (Topology, error) {
	f, err := os.Open(path)
	if err != nil {
		return Topology{}, fmt.Errorf("topology: %w", err)
	}
	defer f.Close()
	t, err := Decode(f)
	if err != nil {
		return Topology{}, fmt.Errorf("topology %s: %w", path, err)
	}
	return t, nil
}

// Decode reads a topology as strict JSON (unknown fields refused), fills defaults and validates it.
func Decode(r io.Reader) (Topology, error) {
	var t Topology
	if err := DecodeStrict(r, &t); err != nil {
		return Topology{}, err
	}
	t.ApplyDefaults()
	if err := t.Validate(); err != nil {
		return Topology{}, err
	}
	return t, nil
}

// DecodeLenient decodes b into v refusing unknown fields; an unknown field comes back as problem (named,
// with the fix) while v is decoded leniently, so a workflow request that carries one can be refused by
// Validate with the field's name rather than fail to decode.
func DecodeLenient(b []byte, v any) (problem error, err error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	if err == nil {
		return nil, nil
	}
	name, unknown := strings.CutPrefix(err.Error(), "json: unknown field ")
	if !unknown {
		return nil, err
	}
	problem = Errors{{Field: strings.Trim(name, `"`), Problem: "unknown field", Fix: "remove it or correct its spelling"}}
	return problem, json.Unmarshal(b, v)
}

// DecodeStrict decodes one JSON value into v, refusing unknown fields and trailing data, with errors that
// say where the JSON is malformed.
func DecodeStrict(r io.Reader, v any) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			line, col := position(data, syn.Offset)
			return fmt.Errorf("malformed JSON at line %d column %d: %v; fix the JSON syntax there", line, col, syn)
		}
		if strings.HasPrefix(err.Error(), "json: unknown field ") {
			name := strings.TrimPrefix(err.Error(), "json: unknown field ")
			return Errors{{Field: strings.Trim(name, `"`), Problem: "unknown field", Fix: "remove it or correct its spelling"}}
		}
		if fe, ok := FieldOf(err); ok {
			return Errors{fe}
		}
		return fmt.Errorf("malformed JSON: %v", err)
	}
	if dec.More() {
		return errors.New("malformed JSON: trailing data after the top-level value; keep one JSON object in the file")
	}
	return nil
}

// FieldOf names the field a JSON type error is about, with the fix.
func FieldOf(err error) (FieldError, bool) {
	var ute *json.UnmarshalTypeError
	if !errors.As(err, &ute) {
		return FieldError{}, false
	}
	field := ute.Field
	if field == "" {
		field = "request"
	}
	if ute.Type == reflect.TypeFor[Duration]() {
		return FieldError{Field: field, Problem: fmt.Sprintf("%s is not a duration", ute.Value), Fix: `give a duration string such as "15m" or "1h"`}, true
	}
	return FieldError{Field: field, Problem: fmt.Sprintf("has JSON type %s, want %s", ute.Value, ute.Type), Fix: "give it a value of the right type"}, true
}

func position(data []byte, off int64) (line, col int) {
	line, col = 1, 1
	for i := int64(0); i < off && i < int64(len(data)); i++ {
		if data[i] == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

// ApplyDefaults fills optional settings with the runbook's figures.
func (t *Topology) ApplyDefaults() {
	def := func(d *Duration, v time.Duration) {
		if *d == 0 {
			*d = Duration(v)
		}
	}
	if t.Aurora.FailoverMode == "" {
		t.Aurora.FailoverMode = FailoverGlobal
	}
	if t.Aurora.Engine == "" {
		t.Aurora.Engine = "aurora-postgresql"
	}
	if t.Aurora.InstanceClass == "" {
		t.Aurora.InstanceClass = "db.r6g.large"
	}
	if t.DNS.RecordType == "" {
		t.DNS.RecordType = "A"
	}
	if t.DNS.Mode == "" {
		t.DNS.Mode = DNSUpsert
		if t.DNS.RoutingControls != nil {
			t.DNS.Mode = DNSRoutingControl
		}
	}
	for i := range t.HealthChecks {
		if t.HealthChecks[i].Type == "" {
			t.HealthChecks[i].Type = HealthCheckHTTPS
		}
	}
	if t.Stacks.Activation == "" {
		t.Stacks.Activation = ActivationCloudFormation
	}
	if t.Stacks.DRModeParameter == "" {
		t.Stacks.DRModeParameter = "DrMode"
	}
	def(&t.Objectives.RTO, time.Hour)
	def(&t.Objectives.RPO, 15*time.Minute)
	th := &t.Thresholds
	def(&th.AuroraLagWarn, time.Second)
	def(&th.DynamoReplicationWarn, 5*time.Second)
	def(&th.S3ReplicationWarn, 15*time.Minute)
	def(&th.BackupMaxAge, 24*time.Hour)
	def(&th.LatencyP95, 300*time.Millisecond)
	def(&th.MonitorWindow, 5*time.Minute)
	if th.Error5xxRate == 0 {
		th.Error5xxRate = 0.01
	}
	if th.LambdaErrors == 0 {
		th.LambdaErrors = 10
	}
	if th.LambdaThrottles == 0 {
		th.LambdaThrottles = 10
	}
	if th.DynamoThrottledRequest == 0 {
		th.DynamoThrottledRequest = 10
	}
	if th.DynamoUserErrors == 0 {
		th.DynamoUserErrors = 50
	}
	ap := &t.Approvals
	def(&ap.EscalationInterval, 10*time.Minute)
	def(&ap.Deadline, time.Hour)
	dg := &t.Degradation
	if dg.ReservedConcurrency == 0 {
		dg.ReservedConcurrency = 500
	}
	if dg.ReadCapacity == 0 {
		dg.ReadCapacity = 1000
	}
	if dg.WriteCapacity == 0 {
		dg.WriteCapacity = 500
	}
	def(&dg.Period, time.Minute)
	if dg.HealthyPeriods == 0 {
		dg.HealthyPeriods = 3
	}
	def(&dg.WatchDeadline, 30*time.Minute)
	def(&dg.StablePeriod, 10*time.Minute)
	c := &t.Corruption
	if c.WriteStop == "" {
		c.WriteStop = WriteStopLambdaFlag
	}
	def(&c.RestoreMargin, 5*time.Minute)
	if c.MaxParallelRestores == 0 {
		c.MaxParallelRestores = 2
	}
	if c.Cutover == "" {
		c.Cutover = CutoverLambdaEnv
	}
	if c.ScanLimit == 0 {
		c.ScanLimit = 100000
	}
}

var regionRE = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]+$`)

// ValidRegion reports whether s looks like an AWS region name such as us-east-1.
func ValidRegion(s string) bool { return regionRE.MatchString(s) }

// Validate checks the topology, its limits included, and returns every problem found as Errors.
func (t Topology) Validate() error { return t.validate(true) }

// ValidateWithoutLimits is Validate without the string, identifier and duration limits, for runs recorded
// before them: they replay as they ran.
func (t Topology) ValidateWithoutLimits() error { return t.validate(false) }

func (t Topology) validate(limits bool) error {
	if limits {
		if es := t.sizeProblems(); len(es) > 0 {
			return es
		}
		if es := LongStrings(t); len(es) > 0 {
			return es
		}
	}
	var es Errors
	if t.problem != nil {
		if pe, ok := t.problem.(Errors); ok {
			es = append(es, pe...)
		} else {
			return t.problem
		}
	}
	add := func(field, problem, fix string) { es = append(es, FieldError{field, problem, fix}) }
	need := func(field, v, fix string) {
		if strings.TrimSpace(v) == "" {
			add(field, "is missing", fix)
		}
	}
	need("platform", t.Platform, `name the platform, e.g. "roadcall"`)
	need("stage", t.Stage, `name the stage, e.g. "prod"`)
	if ok, _ := regexp.MatchString(`^[0-9]{12}$`, t.AccountID); !ok {
		add("accountId", fmt.Sprintf("%q is not a 12-digit AWS account id", t.AccountID), "set the account id, e.g. \"123456789012\"")
	}
	for _, r := range []struct{ field, v string }{{"primaryRegion", t.PrimaryRegion}, {"drRegion", t.DRRegion}} {
		if !ValidRegion(r.v) {
			add(r.field, fmt.Sprintf("%q is not an AWS region name", r.v), `use a region such as "us-east-1"`)
		}
	}
	if t.PrimaryRegion != "" && t.PrimaryRegion == t.DRRegion {
		add("drRegion", fmt.Sprintf("is the same as primaryRegion (%q)", t.PrimaryRegion), "set drRegion to a different region, e.g. \"us-west-2\"")
	}
	if len(t.Tables) == 0 {
		add("tables", "is missing or empty", "list the DynamoDB global tables, e.g. [{\"name\":\"roadcall-users-prod\"}]")
	}
	seen := map[string]bool{}
	for i, tb := range t.Tables {
		f := fmt.Sprintf("tables[%d].name", i)
		need(f, tb.Name, "give the table name")
		if seen[tb.Name] && tb.Name != "" {
			add(f, fmt.Sprintf("table %q is listed twice", tb.Name), "list each table once")
		}
		seen[tb.Name] = true
	}
	need("aurora.globalClusterId", t.Aurora.GlobalClusterID, "name the Aurora global cluster")
	need("aurora.primaryClusterId", t.Aurora.PrimaryClusterID, "name the primary-region Aurora cluster, e.g. \"roadcall-aurora-prod\"")
	need("aurora.drClusterId", t.Aurora.DRClusterID, "name the DR-region Aurora cluster, e.g. \"roadcall-aurora-prod-replica\"")
	switch t.Aurora.FailoverMode {
	case FailoverGlobal, FailoverDetachAndPromote, FailoverPromoteReplica:
	default:
		add("aurora.failoverMode", fmt.Sprintf("unknown failover mode %q", t.Aurora.FailoverMode),
			fmt.Sprintf("use %q, %q or %q", FailoverGlobal, FailoverDetachAndPromote, FailoverPromoteReplica))
	}
	for i, b := range t.Buckets {
		need(fmt.Sprintf("buckets[%d].source", i), b.Source, "name the source bucket")
		need(fmt.Sprintf("buckets[%d].destination", i), b.Destination, "name the replica bucket")
	}
	es = append(es, t.reportProblems()...)
	for i, n := range t.WatchAlarms {
		need(fmt.Sprintf("watchAlarms[%d]", i), n, "give the CloudWatch alarm name in "+t.DRRegion+", or leave the entry out")
	}
	need("dns.hostedZoneId", t.DNS.HostedZoneID, "give the Route 53 hosted zone id")
	need("dns.recordName", t.DNS.RecordName, "give the failover record name, e.g. \"api.roadcall.example.com\"")
	for _, r := range []string{t.PrimaryRegion, t.DRRegion} {
		tg, ok := t.DNS.Targets[r]
		if !ok || tg.DNSName == "" || tg.HostedZoneID == "" {
			add("dns.targets."+r, "has no alias target (dnsName and hostedZoneId)", "give the API endpoint that serves this region")
		}
	}
	if len(t.HealthChecks) == 0 {
		add("healthChecks", "is missing or empty", "list the Route 53 health checks with their regions")
	}
	for i, hc := range t.HealthChecks {
		need(fmt.Sprintf("healthChecks[%d].id", i), hc.ID, "give the health check id")
		if hc.Region != t.PrimaryRegion && hc.Region != t.DRRegion {
			add(fmt.Sprintf("healthChecks[%d].region", i), fmt.Sprintf("%q is neither primaryRegion nor drRegion", hc.Region), "name the region the health check watches")
		}
		switch hc.Type {
		case HealthCheckHTTPS:
		case HealthCheckRecoveryControl:
			need(fmt.Sprintf("healthChecks[%d].routingControlArn", i), hc.RoutingControlARN, "name the routing control this RECOVERY_CONTROL health check follows")
		default:
			add(fmt.Sprintf("healthChecks[%d].type", i), fmt.Sprintf("unknown health check type %q", hc.Type),
				fmt.Sprintf("use %q or %q", HealthCheckHTTPS, HealthCheckRecoveryControl))
		}
	}
	for _, fe := range t.validateDNSMode() {
		add(fe.Field, fe.Problem, fe.Fix)
	}
	need("api.name", t.API.Name, "name the API as CloudWatch's ApiName dimension, e.g. \"roadcall-api-prod\"")
	need("api.stage", t.API.Stage, "name the API stage, e.g. \"prod\"")
	for _, r := range []string{t.PrimaryRegion, t.DRRegion} {
		if t.API.RestAPIIDs[r] == "" {
			add("api.restApiIds."+r, "is missing", "give the REST API id in this region")
		}
		if u := t.API.HealthURLs[r]; !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			add("api.healthUrls."+r, fmt.Sprintf("%q is not an http(s) URL", u), "give the health URL of the API in this region")
		}
	}
	if len(t.Functions) == 0 {
		add("functions", "is missing or empty", "list the Lambda functions, e.g. [{\"name\":\"roadcall-incident-svc-prod\"}]")
	}
	for i, fn := range t.Functions {
		need(fmt.Sprintf("functions[%d].name", i), fn.Name, "give the function name")
		if fn.Alias != "" && !validAlias(fn.Alias) {
			add(fmt.Sprintf("functions[%d].alias", i), fmt.Sprintf("%q is not a Lambda alias name", fn.Alias),
				"use 1 to 128 letters, digits, - or _, not all digits (Lambda's Alias pattern), e.g. \"live\"; or leave it out when the API invokes $LATEST")
		}
	}
	if len(t.Stacks.Names) == 0 {
		add("stacks.names", "is missing or empty", "list the DR standby CloudFormation stacks")
	}
	switch t.Stacks.Activation {
	case ActivationCloudFormation:
	case ActivationCommand:
		if len(t.Stacks.DeployCommand) == 0 && t.Stacks.Deploy == "" {
			add("stacks.deploy", "is empty while activation is \"command\"", "name the deploy command of the worker's policy, e.g. \"cdk-deploy\"")
		}
	default:
		add("stacks.activation", fmt.Sprintf("unknown activation %q", t.Stacks.Activation), fmt.Sprintf("use %q or %q", ActivationCloudFormation, ActivationCommand))
	}
	need("alarmTopic", t.AlarmTopic, "name the SNS alarm topic, e.g. \"roadcall-prod-alarms\"")
	need("backupVault", t.BackupVault, "name the AWS Backup vault, e.g. \"roadcall-backup-vault-prod\"")
	pos := func(field string, d Duration, fix string) {
		if d <= 0 {
			add(field, fmt.Sprintf("must be positive, got %s", d), fix)
		}
	}
	pos("objectives.rto", t.Objectives.RTO, "set the recovery time objective, e.g. \"1h\"")
	pos("objectives.rpo", t.Objectives.RPO, "set the recovery point objective, e.g. \"15m\"")
	th := t.Thresholds
	pos("thresholds.auroraLagWarn", th.AuroraLagWarn, "e.g. \"1s\"")
	pos("thresholds.dynamoReplicationWarn", th.DynamoReplicationWarn, "e.g. \"5s\"")
	pos("thresholds.s3ReplicationWarn", th.S3ReplicationWarn, "e.g. \"15m\"")
	pos("thresholds.backupMaxAge", th.BackupMaxAge, "e.g. \"24h\"")
	pos("thresholds.latencyP95", th.LatencyP95, "e.g. \"300ms\"")
	pos("thresholds.monitorWindow", th.MonitorWindow, "e.g. \"5m\"")
	for _, f := range []struct {
		name string
		v    float64
	}{{"thresholds.error5xxRate", th.Error5xxRate}, {"thresholds.lambdaErrors", th.LambdaErrors}, {"thresholds.lambdaThrottles", th.LambdaThrottles}, {"thresholds.dynamoThrottledRequests", th.DynamoThrottledRequest}, {"thresholds.dynamoUserErrors", th.DynamoUserErrors}} {
		if f.v <= 0 {
			add(f.name, fmt.Sprintf("must be positive, got %v", f.v), "give a threshold above zero")
		}
	}
	pos("approvals.escalationInterval", t.Approvals.EscalationInterval, "e.g. \"10m\"")
	pos("approvals.deadline", t.Approvals.Deadline, "e.g. \"1h\"")
	for i, a := range t.Approvals.Approvers {
		need(fmt.Sprintf("approvals.approvers[%d]", i), a, "give the approver's name")
	}
	dg := t.Degradation
	if dg.Region != "" && dg.Region != t.PrimaryRegion && dg.Region != t.DRRegion {
		add("degradation.region", fmt.Sprintf("%q is neither primaryRegion nor drRegion", dg.Region), "name one of the platform's regions")
	}
	if dg.ReservedConcurrency <= 0 {
		add("degradation.reservedConcurrency", fmt.Sprintf("must be positive, got %d", dg.ReservedConcurrency), "e.g. 500")
	}
	if dg.ReadCapacity <= 0 {
		add("degradation.readCapacity", fmt.Sprintf("must be positive, got %d", dg.ReadCapacity), "e.g. 1000")
	}
	if dg.WriteCapacity <= 0 {
		add("degradation.writeCapacity", fmt.Sprintf("must be positive, got %d", dg.WriteCapacity), "e.g. 500")
	}
	pos("degradation.period", dg.Period, "e.g. \"1m\"")
	if dg.HealthyPeriods <= 0 {
		add("degradation.healthyPeriods", fmt.Sprintf("must be positive, got %d", dg.HealthyPeriods), "e.g. 3")
	}
	pos("degradation.watchDeadline", dg.WatchDeadline, "e.g. \"30m\"")
	pos("degradation.stablePeriod", dg.StablePeriod, "e.g. \"10m\"")
	c := t.Corruption
	switch c.WriteStop {
	case WriteStopLambdaFlag, WriteStopAPIThrottle:
	default:
		add("corruption.writeStop", fmt.Sprintf("unknown mode %q", c.WriteStop), fmt.Sprintf("use %q or %q", WriteStopLambdaFlag, WriteStopAPIThrottle))
	}
	switch c.Cutover {
	case CutoverLambdaEnv:
	case CutoverSSM:
		need("corruption.ssmParameter", c.SSMParameter, "name the SSM parameter the application reads its resource names from")
	default:
		add("corruption.cutover", fmt.Sprintf("unknown mode %q", c.Cutover), fmt.Sprintf("use %q or %q", CutoverLambdaEnv, CutoverSSM))
	}
	pos("corruption.restoreMargin", c.RestoreMargin, "e.g. \"5m\"")
	if c.MaxParallelRestores <= 0 {
		add("corruption.maxParallelRestores", fmt.Sprintf("must be positive, got %d", c.MaxParallelRestores), "e.g. 2")
	}
	if limits {
		es = append(es, t.limitProblems()...)
	}
	if len(es) == 0 {
		return nil
	}
	return es
}

// Regions returns the primary and DR regions, in that order.
func (t Topology) Regions() []string { return []string{t.PrimaryRegion, t.DRRegion} }

// TableNames lists the table names in topology order.
func (t Topology) TableNames() []string {
	out := make([]string, len(t.Tables))
	for i, tb := range t.Tables {
		out[i] = tb.Name
	}
	return out
}

// aliasRE is the Alias shape's pattern in Lambda's service model, (?!^[0-9]+$)([a-zA-Z0-9-_]+), without the
// lookahead Go's regexp lacks; validAlias checks that part.
var aliasRE = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,128}$`)

func validAlias(s string) bool {
	return aliasRE.MatchString(s) && strings.Trim(s, "0123456789") != ""
}

// FunctionAlias is the alias the API invokes the named function through, "" for $LATEST.
func (t Topology) FunctionAlias(name string) string {
	for _, f := range t.Functions {
		if f.Name == name {
			return f.Alias
		}
	}
	return ""
}

// FunctionNames lists the function names in topology order.
func (t Topology) FunctionNames() []string {
	out := make([]string, len(t.Functions))
	for i, f := range t.Functions {
		out[i] = f.Name
	}
	return out
}

// HasFunction reports whether name is one of the topology's functions.
func (t Topology) HasFunction(name string) bool {
	for _, f := range t.Functions {
		if f.Name == name {
			return true
		}
	}
	return false
}

// HasTable reports whether name is one of the topology's tables.
func (t Topology) HasTable(name string) bool {
	for _, tb := range t.Tables {
		if tb.Name == name {
			return true
		}
	}
	return false
}

// TopicARN is the alarm topic's ARN in region.
func (t Topology) TopicARN(region string) string {
	return fmt.Sprintf("arn:aws:sns:%s:%s:%s", region, t.AccountID, t.AlarmTopic)
}

// ID names the platform and stage; workflow IDs derive from it so the server refuses a second concurrent
// failover for the same platform.
func (t Topology) ID() string { return t.Platform + "-" + t.Stage }
