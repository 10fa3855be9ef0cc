package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Every scenario with a gate refuses a two-person run that names no initiator, before any AWS call:
// otherwise the approve validator has nobody to keep from approving and the rule passes unnoticed.
func TestGatedScenariosRequireAnInitiatorUnderTwoPerson(t *testing.T) {
	topo := localTopology(t)
	topo.Approvals.TwoPerson = true
	c := Common{Topology: topo}
	started := time.Now().Add(-time.Hour)
	checks := map[string]func() error{
		"RegionFailover":     func() error { r := FailoverRequest{Common: c}; return r.Validate() },
		"Failback":           func() error { r := FailbackRequest{Common: c}; return r.Validate() },
		"PartialDegradation": func() error { r := DegradationRequest{Common: c}; return r.Validate() },
		"DataCorruptionRecovery": func() error {
			r := CorruptionRequest{Common: c, CorruptionStartedAt: &started}
			return r.PrepareAt(time.Now())
		},
	}
	for name, check := range checks {
		require.ErrorContains(t, check(), `"initiator"`, name)
	}
	c.Initiator = "alice"
	ok := map[string]func() error{
		"PartialDegradation": func() error { r := DegradationRequest{Common: c}; return r.Validate() },
		"DataCorruptionRecovery": func() error {
			r := CorruptionRequest{Common: c, CorruptionStartedAt: &started}
			return r.PrepareAt(time.Now())
		},
	}
	for name, check := range ok {
		require.NoError(t, check(), name)
	}
}
