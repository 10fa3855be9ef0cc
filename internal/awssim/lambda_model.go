package awssim

import (
	"fmt"
	"time"

	"github.com/roadcall/dr/internal/topology"
)

// The Lambda model: functions ($LATEST only) with their configuration and reserved concurrency; how they
// are seeded and how an update finishes in time.

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
			}
		}
	}
}

const (
	// lambdaAccountConcurrency is the default per-region account limit on concurrent executions.
	lambdaAccountConcurrency = 1000
	// lambdaMinUnreserved is what AWS keeps back for functions without reserved concurrency.
	lambdaMinUnreserved = 100
	// lambdaListPage is the most ListFunctions returns per call, whatever MaxItems says.
	lambdaListPage = 50
)

// lambdaAdvance finishes configuration updates whose modeled duration has passed.
func lambdaAdvance(s *Server, now time.Time) {
	for _, reg := range s.world.Regions {
		for _, fn := range reg.Functions {
			if fn.LastUpdateStatus == "InProgress" && !now.Before(fn.ReadyAt) {
				fn.LastUpdateStatus, fn.ReadyAt = "Successful", time.Time{}
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
