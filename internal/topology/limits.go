package topology

import (
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Limits on a topology, in AWS's own lengths and character sets where AWS has them. A topology travels in
// every request, so its size is also what a run's history and status carry.
const (
	// MaxStringLen bounds any string of a request that has no tighter limit.
	MaxStringLen = 2048
	// MaxNameLen bounds platform and stage: both become a DNS label (63) inside the workflow ID.
	MaxNameLen = 63
	// MinEscalationInterval keeps a pending gate from paging more than twice a minute.
	MinEscalationInterval = 30 * time.Second
	// MaxMonitorWindow bounds how long DR traffic is watched after a cutover.
	MaxMonitorWindow = 24 * time.Hour
	// MaxTables is the largest table count a failover is measured to run with (e2e BenchmarkFailoverTables):
	// the tables are read in batches (workflows' batchedReads), so history grows with batches, not tables.
	// Before the batches, 1,000 tables' first workflow task passed gRPC's 4 MB and was retried forever.
	MaxTables = 2000
	// MaxFunctions is the function count measured with MaxTables; functions are read with one
	// ListFunctions per region.
	MaxFunctions = 500
)

// StringLimits holds the fields, by JSON path, whose limit is tighter than MaxStringLen.
var StringLimits = map[string]int{"platform": MaxNameLen, "stage": MaxNameLen}

// skipLengths are types bounded by their own decoding (an identity token refuses more than 8 KiB).
var skipLengths = map[string]bool{"github.com/roadcall/dr/internal/identity.Token": true}

// LongStrings walks v (a request, its topology included) and names every string over its limit by JSON
// path, without quoting it: checked before anything else, so no later message can echo a huge value.
// A topology inside v is left to its own Validate, which names its fields from the topology's root.
func LongStrings(v any) Errors {
	var es Errors
	walkStrings(reflect.ValueOf(v), "", &es, true)
	return es
}

var topologyType = reflect.TypeFor[Topology]()

func walkStrings(v reflect.Value, path string, es *Errors, root bool) {
	if !v.IsValid() || len(*es) >= 10 {
		return
	}
	if skipLengths[v.Type().PkgPath()+"."+v.Type().Name()] || (!root && v.Type() == topologyType) {
		return
	}
	join := func(name string) string {
		if path == "" {
			return name
		}
		return path + "." + name
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkStrings(v.Elem(), path, es, root)
		}
	case reflect.String:
		max := MaxStringLen
		if m, ok := StringLimits[path]; ok {
			max = m
		}
		if n := v.Len(); n > max {
			*es = append(*es, FieldError{Field: path, Problem: fmt.Sprintf("is %d bytes, over the %d-byte limit", n, max), Fix: "shorten it"})
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if f.Anonymous && name == "" {
				walkStrings(v.Field(i), path, es, false)
				continue
			}
			if name == "" {
				name = f.Name
			}
			walkStrings(v.Field(i), join(name), es, false)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			walkStrings(v.Index(i), fmt.Sprintf("%s[%d]", path, i), es, false)
		}
	case reflect.Map:
		keys := v.MapKeys()
		// Sorted, so the same request always names the same fields first.
		sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
		for _, k := range keys {
			ks := fmt.Sprint(k)
			if len(ks) > MaxStringLen {
				*es = append(*es, FieldError{Field: path, Problem: fmt.Sprintf("has a %d-byte key, over the %d-byte limit", len(ks), MaxStringLen), Fix: "shorten it"})
				continue
			}
			walkStrings(v.MapIndex(k), join(ks), es, false)
		}
	}
}

// Identifier rules from the AWS service models (length and pattern), and for platform and stage a DNS
// label: they name the workflow ID and the resources derived from them.
var (
	dnsLabelRE     = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	tableNameRE    = regexp.MustCompile(`^[a-zA-Z0-9_.-]{3,255}$`)
	clusterIDRE    = regexp.MustCompile(`^[a-zA-Z]([a-zA-Z0-9]|-[a-zA-Z0-9]){0,62}$`)
	functionNameRE = regexp.MustCompile(`^([a-zA-Z0-9-_]{1,64}|arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[a-zA-Z0-9-_]{1,64}(:[a-zA-Z0-9-_$]+)?)$`)
	stackNameRE    = regexp.MustCompile(`^[a-zA-Z][-a-zA-Z0-9]{0,127}$`)
	topicNameRE    = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,256}(\.fifo)?$`)
	vaultNameRE    = regexp.MustCompile(`^[a-zA-Z0-9_-]{2,50}$`)
	hostedZoneRE   = regexp.MustCompile(`^[A-Z0-9]{1,32}$`)
)

// limitProblems are the identifier and duration limits, checked after the shape of the topology.
func (t Topology) limitProblems() Errors {
	var es Errors
	add := func(field, problem, fix string) { es = append(es, FieldError{field, problem, fix}) }
	match := func(field, v string, re *regexp.Regexp, rule string) {
		if v != "" && !re.MatchString(v) {
			add(field, fmt.Sprintf("%q is not a valid name", bounded(v)), rule)
		}
	}
	label := "use 1 to 63 lower-case letters, digits or hyphens, starting and ending with a letter or digit (a DNS label; it names the workflow ID)"
	match("platform", t.Platform, dnsLabelRE, label)
	match("stage", t.Stage, dnsLabelRE, label)
	for i, tb := range t.Tables {
		match(fmt.Sprintf("tables[%d].name", i), tb.Name, tableNameRE, "use 3 to 255 letters, digits, _, - or . (DynamoDB's TableName)")
	}
	cluster := "use 1 to 63 letters, digits or single hyphens, starting with a letter (RDS's cluster identifier)"
	match("aurora.globalClusterId", t.Aurora.GlobalClusterID, clusterIDRE, cluster)
	match("aurora.primaryClusterId", t.Aurora.PrimaryClusterID, clusterIDRE, cluster)
	match("aurora.drClusterId", t.Aurora.DRClusterID, clusterIDRE, cluster)
	for i, fn := range t.Functions {
		match(fmt.Sprintf("functions[%d].name", i), fn.Name, functionNameRE, "use 1 to 64 letters, digits, - or _ (Lambda's FunctionName), or the function's ARN")
	}
	for i, s := range t.Stacks.Names {
		match(fmt.Sprintf("stacks.names[%d]", i), s, stackNameRE, "use 1 to 128 letters, digits or hyphens, starting with a letter (CloudFormation's StackName)")
	}
	match("alarmTopic", t.AlarmTopic, topicNameRE, "use 1 to 256 letters, digits, - or _ (SNS's topic name)")
	match("backupVault", t.BackupVault, vaultNameRE, "use 2 to 50 letters, digits, - or _ (AWS Backup's vault name)")
	match("dns.hostedZoneId", t.DNS.HostedZoneID, hostedZoneRE, "use the zone's ID, up to 32 upper-case letters and digits, e.g. \"Z0123456789ABC\"")
	if n := len(t.DNS.RecordName); n > 255 {
		add("dns.recordName", fmt.Sprintf("is %d bytes, over DNS's 255", n), "give the record's name")
	}
	if d := t.Approvals.EscalationInterval.D(); d > 0 && d < MinEscalationInterval {
		add("approvals.escalationInterval", fmt.Sprintf("%s is under the minimum of %s", d, MinEscalationInterval),
			fmt.Sprintf("page at most twice a minute: use %s or more, e.g. \"10m\"", MinEscalationInterval))
	}
	if d := t.Thresholds.MonitorWindow.D(); d > MaxMonitorWindow {
		add("thresholds.monitorWindow", fmt.Sprintf("%s is over the maximum of %s", d, MaxMonitorWindow), "watch DR traffic for at most a day, e.g. \"5m\"")
	}
	return es
}

// bounded quotes at most a short prefix of a bad value.
func bounded(s string) string {
	const n = 40
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + fmt.Sprintf("…(%d bytes)", len(s))
}

// sizeProblems refuses, before anything walks them, more tables or functions than a run is known to
// carry: the whole list would otherwise travel in every workflow task.
func (t Topology) sizeProblems() Errors {
	var es Errors
	if n := len(t.Tables); n > MaxTables {
		es = append(es, FieldError{"tables", fmt.Sprintf("%d tables, over the supported %d", n, MaxTables), fmt.Sprintf("split the platform into topologies of at most %d tables each", MaxTables)})
	}
	if n := len(t.Functions); n > MaxFunctions {
		es = append(es, FieldError{"functions", fmt.Sprintf("%d functions, over the supported %d", n, MaxFunctions), fmt.Sprintf("split the platform into topologies of at most %d functions each", MaxFunctions)})
	}
	return es
}
