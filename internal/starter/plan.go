package starter

import (
	"context"
	"encoding/json"

	"github.com/roadcall/dr/internal/depmap"
)

// planCmd: starter plan --topology FILE [--json]. It reads only the topology: an SRE sees what the failover
// needs from where before any outage, without Temporal or AWS credentials.
func planCmd(_ context.Context, e *Env, args []string) error {
	f := newFlags(e, "plan")
	path := f.String("topology", "", "topology file (JSON), e.g. examples/roadcall-local.json")
	asJSON := f.Bool("json", false, "print the table as JSON, one object per call")
	if err := f.parse(args); err != nil {
		return err
	}
	t, err := loadTopology(*path)
	if err != nil {
		return err
	}
	p := depmap.Failover(t)
	if *asJSON {
		enc := json.NewEncoder(e.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(p)
	}
	p.Write(e.Out)
	return nil
}
