package activities

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// RecordState is where the failover record points now.
type RecordState struct {
	Exists bool `json:"exists"`
	// AliasDNSName is the alias target's DNS name, without the trailing dot; empty for a non-alias record.
	AliasDNSName string   `json:"aliasDnsName,omitempty"`
	Values       []string `json:"values,omitempty"`
}

// DescribeFailoverRecord reads the record UpsertFailoverRecord changes, so a failback can tell whether a
// failover ever happened (the record still aliases the primary) before it changes anything.
func (a *Activities) DescribeFailoverRecord(ctx context.Context, in DNSCutoverInput) (RecordState, error) {
	rs, err := a.findRecord(ctx, in)
	if err != nil || rs == nil {
		return RecordState{}, err
	}
	st := RecordState{Exists: true}
	if rs.AliasTarget != nil {
		st.AliasDNSName = trimDot(aws.ToString(rs.AliasTarget.DNSName))
	}
	for _, r := range rs.ResourceRecords {
		st.Values = append(st.Values, aws.ToString(r.Value))
	}
	return st, nil
}

func trimDot(s string) string {
	if n := len(s); n > 0 && s[n-1] == '.' {
		return s[:n-1]
	}
	return s
}
