package depmap

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/roadcall/dr/internal/topology"
)

// needs is the NEEDS column: whether the failover waits on the primary region for the call. A call sent
// to the primary whose failure the step tolerates (a probe) says so rather than "no", since it is sent
// there all the same.
func (p Plan) needs(c Call) string {
	switch {
	case c.NeedsPrimary:
		return "yes"
	case c.Tolerated && len(c.Regions) == 1 && c.Regions[0] == p.Primary:
		return "no (tolerated)"
	}
	return "no"
}

// Label is the operation with how many resources it is called on.
func (c Call) Label() string {
	switch len(c.Resources) {
	case 0:
		return c.Operation
	case 1:
		return c.Operation + " " + c.Resources[0]
	}
	return fmt.Sprintf("%s ×%d", c.Operation, len(c.Resources))
}

// Write prints the table, then what the failover needs from the primary region and what would remove it.
func (p Plan) Write(w io.Writer) {
	fmt.Fprintf(w, "RegionFailover %s → %s, dns.mode %s: every call on the critical path\n\n", p.Primary, p.DR, p.DNSMode)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "STEP\tSERVICE\tOPERATION\tSENT TO\tPLANE\tNEEDS %s\tWHEN\n", p.Primary)
	for _, c := range p.Calls {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.Step, c.Service, c.Label(), c.Where(), c.Plane, p.needs(c), c.When)
	}
	_ = tw.Flush()
	fmt.Fprintln(w)
	needed := p.NeedsPrimary()
	if len(needed) == 0 {
		where := p.DR + " or Route 53's name servers"
		if p.DNSMode == topology.DNSRoutingControl {
			where = p.DR + ", Route 53's name servers or the first ARC endpoint that answers"
		}
		fmt.Fprintf(w, "Nothing on the failover path needs %s: the calls go to %s;\n"+
			"the calls sent to %s are reads whose failure the assessment records as a finding.\n", p.Primary, where, p.Primary)
	} else {
		var ops []string
		for _, c := range needed {
			ops = append(ops, fmt.Sprintf("%s %s (%s)", c.Service, c.Operation, c.Step))
		}
		fmt.Fprintf(w, "The failover needs %s for: %s.\n", p.Primary, strings.Join(ops, ", "))
	}
	if p.DNSMode == topology.DNSUpsert {
		fmt.Fprintf(w, "dns.mode upsert calls Route 53's API, whose control plane lives in %s: while that region is out the DNS step waits for an operator.\n"+
			"Ways out: dns.mode routing-control (ARC, data plane) or failover-records; accelerated recovery, enabled on the zone beforehand, brings record changes back about 60 minutes in.\n",
			topology.Route53ControlPlaneRegion)
	}
	fmt.Fprintf(w, "PLANE is AWS's split: control plane (create, configure, describe) or data plane (the service's own work, built to stay up).\n")
}
