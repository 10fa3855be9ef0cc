package activities

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"
	"go.temporal.io/sdk/activity"
)

// RecordTarget is an alias target for the failover record.
type RecordTarget struct {
	HostedZoneID         string `json:"hostedZoneId"`
	DNSName              string `json:"dnsName"`
	EvaluateTargetHealth bool   `json:"evaluateTargetHealth"`
}

// DNSCutoverInput points the API record at one region's endpoint.
type DNSCutoverInput struct {
	HostedZoneID  string       `json:"hostedZoneId"`
	RecordName    string       `json:"recordName"`
	RecordType    string       `json:"recordType"`
	SetIdentifier string       `json:"setIdentifier,omitempty"`
	Region        string       `json:"region"` // the region the target serves, for messages
	Target        RecordTarget `json:"target"`
	Comment       string       `json:"comment,omitempty"`
}

// DNSCutoverResult carries the change to wait for; ChangeID is empty when the record already pointed at
// the target before this run and no change was made.
type DNSCutoverResult struct {
	ChangeID       string `json:"changeId,omitempty"`
	AlreadyInPlace bool   `json:"alreadyInPlace"`
	Previous       string `json:"previous,omitempty"`
}

// UpsertFailoverRecord UPSERTs the record to the target. It lists the record first and makes no change when
// it already aliases the target; only the alias target changes, so a failover routing policy, set identifier
// or health check on the record is kept. The change id is heartbeated the moment Route 53 returns it: a
// retry after a lost response finds the record in place and still returns the change to wait for.
func (a *Activities) UpsertFailoverRecord(ctx context.Context, in DNSCutoverInput) (DNSCutoverResult, error) {
	where := fmt.Sprintf("%s %s in zone %s", in.RecordName, in.RecordType, in.HostedZoneID)
	c := a.AWS.Route53()
	cur, err := a.findRecord(ctx, in)
	if err != nil {
		return DNSCutoverResult{}, err
	}
	res := DNSCutoverResult{}
	if cur != nil && cur.AliasTarget != nil {
		res.Previous = aws.ToString(cur.AliasTarget.DNSName)
		if sameName(res.Previous, in.Target.DNSName) && aws.ToString(cur.AliasTarget.HostedZoneId) == in.Target.HostedZoneID &&
			cur.AliasTarget.EvaluateTargetHealth == in.Target.EvaluateTargetHealth {
			res.AlreadyInPlace = true
			if activity.IsActivity(ctx) && activity.HasHeartbeatDetails(ctx) {
				_ = activity.GetHeartbeatDetails(ctx, &res.ChangeID)
			}
			return res, nil
		}
	}
	rs := types.ResourceRecordSet{Name: aws.String(in.RecordName), Type: types.RRType(in.RecordType)}
	if cur != nil {
		rs = *cur
		rs.ResourceRecords, rs.TTL = nil, nil
	} else if in.SetIdentifier != "" {
		rs.SetIdentifier = aws.String(in.SetIdentifier)
	}
	rs.AliasTarget = &types.AliasTarget{HostedZoneId: aws.String(in.Target.HostedZoneID), DNSName: aws.String(in.Target.DNSName),
		EvaluateTargetHealth: in.Target.EvaluateTargetHealth}
	comment := in.Comment
	if comment == "" {
		comment = "DR failover of " + in.RecordName + " to " + in.Region
	}
	out, err := c.ChangeResourceRecordSets(ctx, &route53.ChangeResourceRecordSetsInput{
		HostedZoneId: aws.String(in.HostedZoneID),
		ChangeBatch:  &types.ChangeBatch{Comment: aws.String(comment), Changes: []types.Change{{Action: types.ChangeActionUpsert, ResourceRecordSet: &rs}}},
	})
	if err != nil {
		return res, classifyRoute53(err, "route53:ChangeResourceRecordSets", where+" -> "+in.Region)
	}
	res.ChangeID = strings.TrimPrefix(aws.ToString(out.ChangeInfo.Id), "/change/")
	if activity.IsActivity(ctx) {
		activity.RecordHeartbeat(ctx, res.ChangeID)
	}
	return res, nil
}

func (a *Activities) findRecord(ctx context.Context, in DNSCutoverInput) (*types.ResourceRecordSet, error) {
	li := &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(in.HostedZoneID), StartRecordName: aws.String(in.RecordName),
		StartRecordType: types.RRType(in.RecordType), MaxItems: aws.Int32(100)}
	if in.SetIdentifier != "" {
		li.StartRecordIdentifier = aws.String(in.SetIdentifier)
	}
	out, err := a.AWS.Route53().ListResourceRecordSets(ctx, li)
	if err != nil {
		return nil, classifyRoute53(err, "route53:ListResourceRecordSets", in.RecordName+" in zone "+in.HostedZoneID)
	}
	for i, rs := range out.ResourceRecordSets {
		if sameName(aws.ToString(rs.Name), in.RecordName) && string(rs.Type) == in.RecordType && aws.ToString(rs.SetIdentifier) == in.SetIdentifier {
			return &out.ResourceRecordSets[i], nil
		}
	}
	return nil, nil
}

// sameName compares DNS names as Route 53 does: case-insensitive, trailing dot optional.
func sameName(a, b string) bool {
	return strings.EqualFold(strings.TrimSuffix(a, "."), strings.TrimSuffix(b, "."))
}

// ChangeRef names a Route 53 change.
type ChangeRef struct {
	ChangeID string `json:"changeId"`
}

// ChangeState is the change as the wait last saw it.
type ChangeState struct {
	ChangeID string   `json:"changeId"`
	Status   string   `json:"status"`
	Progress Progress `json:"progress"`
}

// WaitDNSChange polls GetChange until the change is INSYNC on every Route 53 name server.
func (a *Activities) WaitDNSChange(ctx context.Context, in ChangeRef) (ChangeState, error) {
	st := ChangeState{ChangeID: in.ChangeID}
	p, err := a.waitFor(ctx, func(ctx context.Context) (bool, string, error) {
		out, err := a.AWS.Route53().GetChange(ctx, &route53.GetChangeInput{Id: aws.String(in.ChangeID)})
		if err != nil {
			return false, "", classifyRoute53(err, "route53:GetChange", in.ChangeID)
		}
		st.Status = string(out.ChangeInfo.Status)
		return out.ChangeInfo.Status == types.ChangeStatusInsync, st.Status, nil
	})
	st.Progress = p
	return st, err
}
