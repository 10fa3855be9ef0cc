package render

import (
	"fmt"
	"strings"
	"time"

	"github.com/roadcall/dr/workflows"
)

// Preparation says what prepareBeforeGate did: how much of the stack activation ran while people decided,
// or why nothing was prepared, and whether it was put back.
func Preparation(b *strings.Builder, p *workflows.Preparation) {
	if p == nil {
		return
	}
	switch {
	case p.NotPrepared != "":
		fmt.Fprintf(b, "Prepared before the gate: no, %s\n", p.NotPrepared)
		return
	case p.Ready.IsZero():
		fmt.Fprintf(b, "Prepared before the gate: activation started %s; %s of it overlapped the %s gate wait\n",
			p.Started.UTC().Format(time.TimeOnly+" UTC"), p.Overlap.Round(time.Second), p.GateWait.Round(time.Second))
	default:
		fmt.Fprintf(b, "Prepared before the gate: activation took %s; %s of it overlapped the %s gate wait\n",
			p.Ready.Sub(p.Started).Round(time.Second), p.Overlap.Round(time.Second), p.GateWait.Round(time.Second))
	}
	if p.Reverted {
		fmt.Fprintf(b, "Preparation reverted (%s): the DR stacks are back as they were\n", p.RevertReason)
	}
}
