package awssim

import (
	"fmt"
	"sort"
	"time"

	"github.com/roadcall/dr/internal/topology"
)

// World is the two-region control-plane state. Every field is guarded by Server.mu. Durable operations store
// a ReadyAt and a target; Server.advance moves them on when their modeled (scaled) duration has passed, so
// state changes without background goroutines and a read always sees a consistent world.
type World struct {
	AccountID      string                    `json:"accountId"`
	Regions        map[string]*Region        `json:"regions"`
	GlobalClusters map[string]*GlobalCluster `json:"globalClusters"`
	HostedZones    map[string]*HostedZone    `json:"hostedZones"`
	HealthChecks   map[string]*HealthCheck   `json:"healthChecks"`
	Changes        map[string]*Change        `json:"changes"`
	Buckets        map[string]*Bucket        `json:"buckets"`
	// Seeded is the wall time the world was (re)seeded; seeded history (items, backups, PITR) predates it.
	Seeded time.Time `json:"seeded"`
	// Metrics is what CloudWatch needs to remember about the past (metrics.go); nil until the first request.
	Metrics *MetricHistory `json:"metricHistory,omitempty"`
}

type Region struct {
	Name       string                 `json:"name"`
	Tables     map[string]*Table      `json:"tables"`
	Clusters   map[string]*DBCluster  `json:"clusters"`
	Instances  map[string]*DBInstance `json:"instances"`
	Stacks     map[string]*Stack      `json:"stacks"`
	Functions  map[string]*Function   `json:"functions"`
	RestAPIs   map[string]*RestAPI    `json:"restApis"`
	Topics     map[string]*Topic      `json:"topics"`
	Vaults     map[string]*Vault      `json:"vaults"`
	Parameters map[string]*Parameter  `json:"parameters"`
	// ClusterSnapshots is created on first use (rds.go).
	ClusterSnapshots map[string]*DBClusterSnapshot `json:"clusterSnapshots,omitempty"`
}

// Table is one region's copy of a DynamoDB table (a global table has one per replica region).
type Table struct {
	Name         string    `json:"name"`
	ARN          string    `json:"arn"`
	Status       string    `json:"status"` // CREATING, UPDATING, ACTIVE
	ReadyAt      time.Time `json:"readyAt,omitzero"`
	CreatedAt    time.Time `json:"createdAt"`
	KeyAttribute string    `json:"keyAttribute"`
	BillingMode  string    `json:"billingMode"` // PAY_PER_REQUEST or PROVISIONED
	ReadCap      int64     `json:"readCapacity"`
	WriteCap     int64     `json:"writeCapacity"`
	// BillingSwitches records the switches to PAY_PER_REQUEST: AWS allows four in a rolling 24 hours
	// (switching to PROVISIONED is unlimited).
	BillingSwitches []time.Time `json:"billingSwitches,omitempty"`
	// CapacityChangedAt is when the last UpdateTable's billing mode and capacity took effect, so metrics
	// can show the effect of a scale-up from that moment on.
	CapacityChangedAt time.Time `json:"capacityChangedAt,omitzero"`
	PITR              bool      `json:"pitr"`
	PITRSince         time.Time `json:"pitrSince,omitzero"`
	// PITRDays is the PITR recovery period; 0 means AWS's default and maximum, 35.
	PITRDays int `json:"pitrDays,omitempty"`
	// Replicas lists every region holding the global table, this one included.
	Replicas []string `json:"replicas"`
	Items    []*Item  `json:"items"`
	// RestoredFrom and RestoredTo are set on a table made by RestoreTableToPointInTime.
	RestoredFrom string    `json:"restoredFrom,omitempty"`
	RestoredTo   time.Time `json:"restoredTo,omitzero"`
}

// Item keeps every version of one item so a point-in-time restore really differs from a corrupted table.
type Item struct {
	Key      string        `json:"key"`
	Versions []ItemVersion `json:"versions"`
}

type ItemVersion struct {
	At time.Time `json:"at"`
	// Attrs is the item in DynamoDB JSON (attribute name → {"S": "..."} etc.); nil means deleted.
	Attrs map[string]any `json:"attrs"`
}

// At returns the item as it was at t, or nil if it did not exist then.
func (it *Item) At(t time.Time) map[string]any {
	var cur map[string]any
	for _, v := range it.Versions {
		if v.At.After(t) {
			break
		}
		cur = v.Attrs
	}
	return cur
}

// Latest returns the current version, or nil when deleted.
func (it *Item) Latest() map[string]any {
	if len(it.Versions) == 0 {
		return nil
	}
	return it.Versions[len(it.Versions)-1].Attrs
}

type GlobalCluster struct {
	ID      string          `json:"id"`
	ARN     string          `json:"arn"`
	Engine  string          `json:"engine"`
	Status  string          `json:"status"`
	Members []*GlobalMember `json:"members"`
	// Pending is a failover or switchover in flight.
	Pending *GlobalFailover `json:"pending,omitempty"`
}

type GlobalMember struct {
	ClusterARN string `json:"clusterArn"`
	Region     string `json:"region"`
	IsWriter   bool   `json:"isWriter"`
	// PendingResync marks an old primary cut off by a failover with data loss: it rejoins as a secondary,
	// after a snapshot of its unreplicated writes, once its region is back.
	PendingResync bool `json:"pendingResync,omitempty"`
}

type GlobalFailover struct {
	Kind          string    `json:"kind"` // failover or switchover
	FromARN       string    `json:"fromArn"`
	ToARN         string    `json:"toArn"`
	AllowDataLoss bool      `json:"allowDataLoss"`
	ReadyAt       time.Time `json:"readyAt"`
}

type DBCluster struct {
	ID              string    `json:"id"`
	ARN             string    `json:"arn"`
	Region          string    `json:"region"`
	Status          string    `json:"status"` // available, failing-over, promoting, creating, modifying, ...
	ReadyAt         time.Time `json:"readyAt,omitzero"`
	NextStatus      string    `json:"nextStatus,omitempty"`
	Engine          string    `json:"engine"`
	EngineVersion   string    `json:"engineVersion"`
	GlobalClusterID string    `json:"globalClusterId,omitempty"`
	// Writer is true when this cluster accepts writes (the global primary or a standalone cluster).
	Writer                      bool      `json:"writer"`
	ReplicationSourceIdentifier string    `json:"replicationSourceIdentifier,omitempty"`
	CreatedAt                   time.Time `json:"createdAt"`
	EarliestRestorableTime      time.Time `json:"earliestRestorableTime"`
	Members                     []string  `json:"members"`
	RestoredFrom                string    `json:"restoredFrom,omitempty"`
	RestoredTo                  time.Time `json:"restoredTo,omitzero"`
	Endpoint                    string    `json:"endpoint"`
}

type DBInstance struct {
	ID        string    `json:"id"`
	ARN       string    `json:"arn"`
	ClusterID string    `json:"clusterId"`
	Class     string    `json:"class"`
	Engine    string    `json:"engine"`
	Status    string    `json:"status"`
	ReadyAt   time.Time `json:"readyAt,omitzero"`
}

type HostedZone struct {
	ID      string       `json:"id"`
	Name    string       `json:"name"`
	Records []*RecordSet `json:"records"`
}

type RecordSet struct {
	Name          string       `json:"name"`
	Type          string       `json:"type"`
	SetIdentifier string       `json:"setIdentifier,omitempty"`
	Failover      string       `json:"failover,omitempty"`
	TTL           int64        `json:"ttl,omitempty"`
	Values        []string     `json:"values,omitempty"`
	Alias         *AliasTarget `json:"alias,omitempty"`
	HealthCheckID string       `json:"healthCheckId,omitempty"`
}

type AliasTarget struct {
	HostedZoneID         string `json:"hostedZoneId"`
	DNSName              string `json:"dnsName"`
	EvaluateTargetHealth bool   `json:"evaluateTargetHealth"`
}

type HealthCheck struct {
	ID     string `json:"id"`
	Region string `json:"region"`
}

type Change struct {
	ID          string    `json:"id"`
	Status      string    `json:"status"` // PENDING, INSYNC
	SubmittedAt time.Time `json:"submittedAt"`
	ReadyAt     time.Time `json:"readyAt"`
	Comment     string    `json:"comment,omitempty"`
}

type Bucket struct {
	Name        string             `json:"name"`
	Region      string             `json:"region"`
	Replication *BucketReplication `json:"replication,omitempty"`
}

type BucketReplication struct {
	Role  string            `json:"role"`
	Rules []ReplicationRule `json:"rules"`
}

type ReplicationRule struct {
	ID                string `json:"id"`
	Status            string `json:"status"`
	Priority          int    `json:"priority"`
	DestinationBucket string `json:"destinationBucket"` // ARN
}

type Stack struct {
	Name        string            `json:"name"`
	ID          string            `json:"id"`
	Status      string            `json:"status"`
	ReadyAt     time.Time         `json:"readyAt,omitzero"`
	NextStatus  string            `json:"nextStatus,omitempty"`
	Parameters  map[string]string `json:"parameters"`
	CreatedAt   time.Time         `json:"createdAt"`
	LastUpdated time.Time         `json:"lastUpdated,omitzero"`
	// FailNextUpdate makes the next UpdateStack roll back, as a broken template would.
	FailNextUpdate bool `json:"failNextUpdate,omitempty"`
	// Events are newest last; DescribeStackEvents returns them newest first.
	Events []*StackEvent `json:"events,omitempty"`
}

type Function struct {
	Name             string            `json:"name"`
	ARN              string            `json:"arn"`
	Runtime          string            `json:"runtime"`
	Handler          string            `json:"handler"`
	Env              map[string]string `json:"env"`
	RevisionID       string            `json:"revisionId"`
	LastUpdateStatus string            `json:"lastUpdateStatus"` // Successful, InProgress, Failed
	ReadyAt          time.Time         `json:"readyAt,omitzero"`
	LastModified     time.Time         `json:"lastModified"`
	// ReservedConcurrency is nil when the function has none.
	ReservedConcurrency *int32 `json:"reservedConcurrency,omitempty"`
	// ConcurrencyChangedAt is when reserved concurrency was last put or deleted, so metrics can show the
	// effect of a scale-up from that moment on.
	ConcurrencyChangedAt time.Time `json:"concurrencyChangedAt,omitzero"`
	Description          string    `json:"description,omitempty"`
	// Timeout (seconds) and MemorySize (MB) are 0 for AWS's defaults, 3 and 128.
	Timeout    int32 `json:"timeout,omitempty"`
	MemorySize int32 `json:"memorySize,omitempty"`
}

type RestAPI struct {
	ID     string            `json:"id"`
	Name   string            `json:"name"`
	Stages map[string]*Stage `json:"stages"`
}

type Stage struct {
	Name string `json:"name"`
	// MethodSettings is keyed "resourcePath/httpMethod", with "*/*" for all methods.
	MethodSettings map[string]*MethodSetting `json:"methodSettings"`
	LastUpdated    time.Time                 `json:"lastUpdated"`
}

type MethodSetting struct {
	ThrottlingRateLimit  float64 `json:"throttlingRateLimit"`
	ThrottlingBurstLimit int32   `json:"throttlingBurstLimit"`
	MetricsEnabled       bool    `json:"metricsEnabled"`
}

type Topic struct {
	Name          string          `json:"name"`
	ARN           string          `json:"arn"`
	Messages      []*Message      `json:"messages"`
	Subscriptions []*Subscription `json:"subscriptions,omitempty"`
}

type Message struct {
	ID      string    `json:"id"`
	Subject string    `json:"subject"`
	Body    string    `json:"body"`
	At      time.Time `json:"at"`
}

type Vault struct {
	Name           string           `json:"name"`
	ARN            string           `json:"arn"`
	RecoveryPoints []*RecoveryPoint `json:"recoveryPoints"`
}

type RecoveryPoint struct {
	ARN          string    `json:"arn"`
	ResourceARN  string    `json:"resourceArn"`
	ResourceType string    `json:"resourceType"`
	Status       string    `json:"status"`
	CreatedAt    time.Time `json:"createdAt"`
	CompletedAt  time.Time `json:"completedAt"`
	SizeBytes    int64     `json:"sizeBytes"`
}

type Parameter struct {
	Name     string    `json:"name"`
	Type     string    `json:"type"`
	Value    string    `json:"value"`
	Version  int64     `json:"version"`
	Modified time.Time `json:"modified"`
}

// SeedItems is how many items each seeded table holds.
const SeedItems = 20

// seedAge is how long before the seed the platform's history starts: items exist, PITR and backups run.
const seedAge = 7 * 24 * time.Hour

// NewWorld builds the steady state the topology describes: us-east-1 serving, us-west-2 replicating.
func NewWorld(t topology.Topology, now time.Time) *World {
	w := &World{
		AccountID:      t.AccountID,
		Regions:        map[string]*Region{},
		GlobalClusters: map[string]*GlobalCluster{},
		HostedZones:    map[string]*HostedZone{},
		HealthChecks:   map[string]*HealthCheck{},
		Changes:        map[string]*Change{},
		Buckets:        map[string]*Bucket{},
		Seeded:         now,
	}
	born := now.Add(-seedAge)
	for _, r := range t.Regions() {
		w.Regions[r] = &Region{
			Name: r, Tables: map[string]*Table{}, Clusters: map[string]*DBCluster{}, Instances: map[string]*DBInstance{},
			Stacks: map[string]*Stack{}, Functions: map[string]*Function{}, RestAPIs: map[string]*RestAPI{},
			Topics: map[string]*Topic{}, Vaults: map[string]*Vault{}, Parameters: map[string]*Parameter{},
		}
	}
	acct := t.AccountID
	for _, r := range t.Regions() {
		reg := w.Regions[r]
		for _, tb := range t.Tables {
			key := "pk"
			for _, k := range tb.IntegrityKeys {
				for name := range k {
					key = name
				}
			}
			table := &Table{
				Name: tb.Name, ARN: fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", r, acct, tb.Name),
				Status: "ACTIVE", CreatedAt: born, KeyAttribute: key, BillingMode: "PAY_PER_REQUEST",
				PITR: true, PITRSince: born, Replicas: t.Regions(),
			}
			table.Items = seedItems(tb, key, born)
			reg.Tables[tb.Name] = table
		}
		for _, fn := range t.Functions {
			reg.Functions[fn.Name] = &Function{
				Name: fn.Name, ARN: fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", r, acct, fn.Name),
				Runtime: "nodejs20.x", Handler: "index.handler",
				Env: map[string]string{
					"STAGE": t.Stage, "REGION": r, "LOG_LEVEL": "info",
					"AURORA_CLUSTER": clusterFor(t, r), "USERS_TABLE": t.Tables[0].Name,
				},
				RevisionID: newRevision(fn.Name, 0), LastUpdateStatus: "Successful", LastModified: born,
			}
		}
		if id := t.API.RestAPIIDs[r]; id != "" {
			reg.RestAPIs[id] = &RestAPI{ID: id, Name: t.API.Name, Stages: map[string]*Stage{
				t.API.Stage: {Name: t.API.Stage, LastUpdated: born, MethodSettings: map[string]*MethodSetting{
					"*/*": {ThrottlingRateLimit: 10000, ThrottlingBurstLimit: 5000, MetricsEnabled: true},
				}},
			}}
		}
		reg.Topics[t.AlarmTopic] = &Topic{Name: t.AlarmTopic, ARN: t.TopicARN(r)}
		vault := &Vault{Name: t.BackupVault, ARN: fmt.Sprintf("arn:aws:backup:%s:%s:backup-vault:%s", r, acct, t.BackupVault)}
		// A daily backup of every table for the last week, the newest a few hours old.
		for day := 6; day >= 0; day-- {
			at := now.Add(-time.Duration(day)*24*time.Hour - 3*time.Hour)
			for _, tb := range t.Tables {
				vault.RecoveryPoints = append(vault.RecoveryPoints, &RecoveryPoint{
					ARN:          fmt.Sprintf("arn:aws:backup:%s:%s:recovery-point:%s-%s", r, acct, tb.Name, at.UTC().Format("20060102")),
					ResourceARN:  fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", r, acct, tb.Name),
					ResourceType: "DynamoDB", Status: "COMPLETED", CreatedAt: at, CompletedAt: at.Add(4 * time.Minute), SizeBytes: 1 << 20,
				})
			}
		}
		reg.Vaults[t.BackupVault] = vault
	}
	// Aurora: a global database with the writer in the primary region and a secondary in DR.
	a := t.Aurora
	gc := &GlobalCluster{ID: a.GlobalClusterID, ARN: fmt.Sprintf("arn:aws:rds::%s:global-cluster:%s", acct, a.GlobalClusterID), Engine: a.Engine, Status: "available"}
	for _, c := range []struct {
		region, id string
		writer     bool
	}{{t.PrimaryRegion, a.PrimaryClusterID, true}, {t.DRRegion, a.DRClusterID, false}} {
		cl := &DBCluster{
			ID: c.id, ARN: fmt.Sprintf("arn:aws:rds:%s:%s:cluster:%s", c.region, acct, c.id), Region: c.region,
			Status: "available", Engine: a.Engine, EngineVersion: "15.4", GlobalClusterID: a.GlobalClusterID, Writer: c.writer,
			CreatedAt: born, EarliestRestorableTime: born, Endpoint: fmt.Sprintf("%s.cluster-abc123.%s.rds.amazonaws.com", c.id, c.region),
		}
		inst := &DBInstance{ID: c.id + "-instance-1", ARN: fmt.Sprintf("arn:aws:rds:%s:%s:db:%s-instance-1", c.region, acct, c.id),
			ClusterID: c.id, Class: a.InstanceClass, Engine: a.Engine, Status: "available"}
		cl.Members = []string{inst.ID}
		w.Regions[c.region].Clusters[c.id] = cl
		w.Regions[c.region].Instances[inst.ID] = inst
		gc.Members = append(gc.Members, &GlobalMember{ClusterARN: cl.ARN, Region: c.region, IsWriter: c.writer})
	}
	w.GlobalClusters[gc.ID] = gc
	// Route 53: the API record aliases the primary region's endpoint.
	zone := &HostedZone{ID: t.DNS.HostedZoneID, Name: zoneName(t.DNS.RecordName)}
	tg := t.DNS.Targets[t.PrimaryRegion]
	zone.Records = append(zone.Records, &RecordSet{
		Name: fqdn(t.DNS.RecordName), Type: t.DNS.RecordType, SetIdentifier: t.DNS.SetIdentifier,
		Alias: &AliasTarget{HostedZoneID: tg.HostedZoneID, DNSName: fqdn(tg.DNSName), EvaluateTargetHealth: tg.EvaluateTargetHealth},
	})
	w.HostedZones[zone.ID] = zone
	for _, hc := range t.HealthChecks {
		w.HealthChecks[hc.ID] = &HealthCheck{ID: hc.ID, Region: hc.Region}
	}
	for i, b := range t.Buckets {
		w.Buckets[b.Source] = &Bucket{Name: b.Source, Region: t.PrimaryRegion, Replication: &BucketReplication{
			Role: fmt.Sprintf("arn:aws:iam::%s:role/roadcall-s3-replication", acct),
			Rules: []ReplicationRule{{ID: fmt.Sprintf("replicate-to-%s-%d", t.DRRegion, i), Status: "Enabled", Priority: 1,
				DestinationBucket: "arn:aws:s3:::" + b.Destination}},
		}}
		w.Buckets[b.Destination] = &Bucket{Name: b.Destination, Region: t.DRRegion}
	}
	// The DR standby stacks: deployed, scaled down (DrMode=false).
	for _, name := range t.Stacks.Names {
		for _, r := range t.Regions() {
			mode := "false"
			w.Regions[r].Stacks[name] = &Stack{
				Name: name, ID: fmt.Sprintf("arn:aws:cloudformation:%s:%s:stack/%s/%s", r, acct, name, stableID(name+r)),
				Status: "CREATE_COMPLETE", CreatedAt: born,
				Parameters: map[string]string{t.Stacks.DRModeParameter: mode, "Stage": t.Stage},
			}
		}
	}
	return w
}

func seedItems(tb topology.Table, key string, born time.Time) []*Item {
	prefix := "ITEM"
	for _, k := range tb.IntegrityKeys {
		if v, ok := k[key]; ok {
			if i := indexByte(v, '#'); i > 0 {
				prefix = v[:i]
			}
		}
	}
	items := make([]*Item, 0, SeedItems)
	for i := 1; i <= SeedItems; i++ {
		k := fmt.Sprintf("%s#%04d", prefix, i)
		items = append(items, &Item{Key: k, Versions: []ItemVersion{{At: born, Attrs: map[string]any{
			key:       map[string]any{"S": k},
			"status":  map[string]any{"S": "ok"},
			"version": map[string]any{"N": "1"},
		}}}})
	}
	return items
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

func clusterFor(t topology.Topology, region string) string {
	if region == t.PrimaryRegion {
		return t.Aurora.PrimaryClusterID
	}
	return t.Aurora.DRClusterID
}

func fqdn(name string) string {
	if name == "" || name[len(name)-1] == '.' {
		return name
	}
	return name + "."
}

func zoneName(record string) string {
	r := fqdn(record)
	for i := 0; i < len(r); i++ {
		if r[i] == '.' {
			return r[i+1:]
		}
	}
	return r
}

// stableID derives a short deterministic id from s so seeded ARNs are the same after every reset.
func stableID(s string) string {
	var h uint32 = 2166136261
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return fmt.Sprintf("%08x-%04x", h, h>>16)
}

func newRevision(name string, n int) string {
	return fmt.Sprintf("%s-%04d", stableID(name), n)
}

// ServingRegion is the region the API record aliases: traffic follows DNS.
func (w *World) ServingRegion(t topology.Topology) string {
	zone := w.HostedZones[t.DNS.HostedZoneID]
	if zone == nil {
		return ""
	}
	for _, rs := range zone.Records {
		if rs.Name != fqdn(t.DNS.RecordName) || rs.Type != t.DNS.RecordType || rs.Alias == nil {
			continue
		}
		for _, r := range t.Regions() {
			if fqdn(t.DNS.Targets[r].DNSName) == fqdn(rs.Alias.DNSName) {
				return r
			}
		}
	}
	return ""
}

// SortedKeys returns a map's keys in order, for stable listings.
func SortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
