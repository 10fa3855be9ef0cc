package awssim

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"maps"
	"strconv"
	"time"

	"github.com/roadcall/dr/internal/topology"
)

// The Lambda model: functions with their configuration and reserved concurrency, their published versions
// and aliases; how they are seeded and how an update or a publish finishes in time.

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
	// CodeSha256 is the deployment package's hash; code updates are not modeled, so it changes only by
	// seeding.
	CodeSha256 string `json:"codeSha256"`

	// Version is "" on $LATEST and the version number on a published version, whose configuration is a
	// snapshot that never changes (Lambda Developer Guide, "Manage Lambda function versions").
	Version string `json:"version,omitempty"`
	// State is a published version's: Pending until Lambda has prepared it, then Active (what the SDK's
	// PublishedVersionActive waiter polls). $LATEST reads as Active.
	State string `json:"state,omitempty"`

	// Versions, LastVersion and Aliases live on $LATEST only. Versions are keyed by number; LastVersion is the
	// highest number ever published (numbers are never reused).
	Versions    map[string]*Function `json:"versions,omitempty"`
	LastVersion int                  `json:"lastVersion,omitempty"`
	Aliases     map[string]*Alias    `json:"aliases,omitempty"`
}

// Alias is a named pointer to a version, with an optional second version taking a share of invocations.
type Alias struct {
	Name            string `json:"name"`
	ARN             string `json:"arn"`
	FunctionVersion string `json:"functionVersion"`
	Description     string `json:"description,omitempty"`
	// Weights is RoutingConfig.AdditionalVersionWeights: version -> share of invocations (0..1).
	Weights    map[string]float64 `json:"weights,omitempty"`
	RevisionID string             `json:"revisionId"`
}

// resolve is the configuration an invocation of q (a version, an alias or $LATEST) runs; for an alias, its
// primary version. nil when q names nothing.
func (fn *Function) resolve(q string) *Function {
	switch {
	case q == "" || q == "$LATEST":
		return fn
	case fn.Versions[q] != nil:
		return fn.Versions[q]
	case fn.Aliases[q] != nil:
		return fn.resolve(fn.Aliases[q].FunctionVersion)
	}
	return nil
}

// clusterFor is the Aurora cluster a region's functions are configured to use.
func clusterFor(t topology.Topology, region string) string {
	if region == t.PrimaryRegion {
		return t.Aurora.PrimaryClusterID
	}
	return t.Aurora.DRClusterID
}

// newRevision is a function's revision id after n updates, the same after every reset.
func newRevision(name string, n int) string {
	return fmt.Sprintf("%s-%04d", stableID(name), n)
}

// seedLambda deploys every topology function in every region, configured for that region.
func seedLambda(w *World, t topology.Topology, born time.Time) {
	for _, r := range t.Regions() {
		for _, fn := range t.Functions {
			w.Regions[r].Functions[fn.Name] = &Function{
				Name: fn.Name, ARN: fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", r, t.AccountID, fn.Name),
				Runtime: "nodejs20.x", Handler: "index.handler",
				Env: map[string]string{
					"STAGE": t.Stage, "REGION": r, "LOG_LEVEL": "info",
					"AURORA_CLUSTER": clusterFor(t, r), "USERS_TABLE": t.Tables[0].Name,
				},
				RevisionID: newRevision(fn.Name, 0), LastUpdateStatus: "Successful", LastModified: born,
				CodeSha256: codeSha(fn.Name),
			}
			if fn.Alias != "" {
				seedAlias(w.Regions[r].Functions[fn.Name], fn.Alias, born)
			}
		}
	}
}

// seedAlias publishes $LATEST as version 1 and points the alias at it, as a deploy pipeline that invokes
// through an alias leaves a function.
func seedAlias(fn *Function, alias string, born time.Time) {
	v := publishSnapshot(fn, 1, born)
	v.State = "Active"
	fn.Versions, fn.LastVersion = map[string]*Function{v.Version: v}, 1
	fn.Aliases = map[string]*Alias{alias: {Name: alias, ARN: fn.ARN + ":" + alias, FunctionVersion: v.Version,
		RevisionID: newRevision(fn.ARN+":"+alias, 0)}}
}

// publishSnapshot is $LATEST's configuration frozen as version n.
func publishSnapshot(fn *Function, n int, now time.Time) *Function {
	v := *fn
	v.Env = maps.Clone(fn.Env)
	v.Version = strconv.Itoa(n)
	v.ARN = fn.ARN + ":" + v.Version
	v.RevisionID = newRevision(v.ARN, 0)
	v.LastUpdateStatus, v.ReadyAt, v.LastModified, v.State = "Successful", time.Time{}, now, "Pending"
	// Reserved concurrency belongs to the function, not to a version.
	v.ReservedConcurrency, v.ConcurrencyChangedAt = nil, time.Time{}
	v.Versions, v.LastVersion, v.Aliases = nil, 0, nil
	return &v
}

// codeSha is a seeded function's deployment package hash, base64 as Lambda prints it.
func codeSha(name string) string {
	h := sha256.Sum256([]byte("awssim code of " + name))
	return base64.StdEncoding.EncodeToString(h[:])
}

const (
	// lambdaAccountConcurrency is the default per-region account limit on concurrent executions.
	lambdaAccountConcurrency = 1000
	// lambdaMinUnreserved is what AWS keeps back for functions without reserved concurrency.
	lambdaMinUnreserved = 100
	// lambdaListPage is the most ListFunctions returns per call, whatever MaxItems says.
	lambdaListPage = 50
)

// lambdaAdvance finishes configuration updates and version publishes whose modeled duration has passed.
func lambdaAdvance(s *Server, now time.Time) {
	for _, reg := range s.world.Regions {
		for _, fn := range reg.Functions {
			if fn.LastUpdateStatus == "InProgress" && !now.Before(fn.ReadyAt) {
				fn.LastUpdateStatus, fn.ReadyAt = "Successful", time.Time{}
			}
			for _, v := range fn.Versions {
				if v.State == "Pending" && !now.Before(v.ReadyAt) {
					v.State, v.ReadyAt = "Active", time.Time{}
				}
			}
		}
	}
}

// lambdaReserved sums the reserved concurrency of a region's functions other than except.
func lambdaReserved(reg *Region, except string) int64 {
	var n int64
	for name, fn := range reg.Functions {
		if name != except && fn.ReservedConcurrency != nil {
			n += int64(*fn.ReservedConcurrency)
		}
	}
	return n
}
