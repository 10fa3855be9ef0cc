package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
)

// TableRestoreInput restores Source to its state at At into a new table Target.
type TableRestoreInput struct {
	Region string    `json:"region"`
	Source string    `json:"source"`
	Target string    `json:"target"`
	At     time.Time `json:"at"`
}

// TableRestoreResult says whether this call started the restore or found it already there.
type TableRestoreResult struct {
	Region  string `json:"region"`
	Target  string `json:"target"`
	Created bool   `json:"created"`
	Status  string `json:"status"`
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// errType is the AWS error code of an SDK error or of an error already classified.
func errType(err error) string {
	var te *temporal.ApplicationError
	if errors.As(err, &te) {
		return te.Type()
	}
	return apiCode(err)
}

// RestoreTable starts RestoreTableToPointInTime unless the target already exists. An existing target that
// was restored from the same source to the same time is the restore this call would start (a retry, or a
// replacement worker), so it is waited on, never created again; any other table of that name is refused.
func (a *Activities) RestoreTable(ctx context.Context, in TableRestoreInput) (TableRestoreResult, error) {
	db := a.AWS.DynamoDB(in.Region)
	res := TableRestoreResult{Region: in.Region, Target: in.Target}
	out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(in.Target)})
	switch {
	case err == nil:
		t := out.Table
		rs := t.RestoreSummary
		if rs == nil || !strings.HasSuffix(aws.ToString(rs.SourceTableArn), ":table/"+in.Source) {
			return res, refuse("TableAlreadyExistsException", "dynamodb table %s in %s already exists and is not a restore of %s; choose another restore time or delete it",
				in.Target, in.Region, in.Source)
		}
		if d := aws.ToTime(rs.RestoreDateTime).Sub(in.At); d > time.Second || d < -time.Second {
			return res, refuse("TableAlreadyExistsException", "dynamodb table %s in %s is a restore of %s to %s, not to %s",
				in.Target, in.Region, in.Source, aws.ToTime(rs.RestoreDateTime).UTC().Format(time.RFC3339), in.At.UTC().Format(time.RFC3339))
		}
		res.Status = string(t.TableStatus)
		return res, nil
	case apiCode(err) != "ResourceNotFoundException":
		return res, classify(err, "dynamodb:DescribeTable", in.Target, in.Region)
	}
	rout, err := db.RestoreTableToPointInTime(ctx, &dynamodb.RestoreTableToPointInTimeInput{
		SourceTableName: aws.String(in.Source), TargetTableName: aws.String(in.Target), RestoreDateTime: aws.Time(in.At),
	})
	switch code := apiCode(err); {
	case err == nil:
		res.Created, res.Status = true, string(rout.TableDescription.TableStatus)
	case code == "TableAlreadyExistsException" || code == "TableInUseException":
		// Created between our describe and restore: the next describe decides whether it is ours.
		return res, temporal.NewApplicationError(fmt.Sprintf("dynamodb:RestoreTableToPointInTime %s in %s: %s appeared meanwhile; checking it again", in.Source, in.Region, in.Target), code)
	default:
		return res, classify(err, "dynamodb:RestoreTableToPointInTime", in.Source+" -> "+in.Target, in.Region)
	}
	return res, nil
}

// TableState is the outcome of WaitTableActive.
type TableState struct {
	Table    string   `json:"table"`
	Region   string   `json:"region"`
	Status   string   `json:"status"`
	Progress Progress `json:"progress"`
}

// WaitTableActive waits until the table is ACTIVE (a restore takes 20 minutes or more in AWS), heartbeating
// so that a replacement worker resumes the wait rather than starting anything again. Its states are the
// SDK's TableExists waiter's (ResourceNotFoundException is retried: a just-restored table may not be
// visible yet) plus tableFailureStates, which fail the step at once.
func (a *Activities) WaitTableActive(ctx context.Context, in TableRef) (TableState, error) {
	res := TableState{Table: in.Table, Region: in.Region}
	w := &tableWait{ref: in}
	p, err := a.waitFor(ctx, func(ctx context.Context) (bool, string, error) {
		_, done, seen, err := w.poll(ctx, a)
		return done, seen, err
	})
	res.Status, res.Progress = p.LastSeen, p
	return res, err
}

// PITRChange says whether EnableTablePITR turned PITR on.
type PITRChange struct {
	Table   string `json:"table"`
	Region  string `json:"region"`
	Changed bool   `json:"changed"`
}

// EnableTablePITR turns point-in-time recovery on, which a restored table does not inherit from its source.
func (a *Activities) EnableTablePITR(ctx context.Context, in TableRef) (PITRChange, error) {
	res := PITRChange{Table: in.Table, Region: in.Region}
	cur, err := a.DescribeContinuousBackups(ctx, in)
	if err != nil || cur.Enabled {
		return res, err
	}
	_, err = a.AWS.DynamoDB(in.Region).UpdateContinuousBackups(ctx, &dynamodb.UpdateContinuousBackupsInput{
		TableName: aws.String(in.Table), PointInTimeRecoverySpecification: &types.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(true)},
	})
	if err != nil {
		return res, classify(err, "dynamodb:UpdateContinuousBackups", in.Table, in.Region)
	}
	res.Changed = true
	return res, nil
}

// ItemCountInput counts a table's items, reading at most Max of them.
type ItemCountInput struct {
	Region string `json:"region"`
	Table  string `json:"table"`
	Max    int64  `json:"max"`
}

// ItemCount is what CountItems saw; Complete is false when it stopped at Max.
type ItemCount struct {
	Table    string `json:"table"`
	Region   string `json:"region"`
	Count    int64  `json:"count"`
	Complete bool   `json:"complete"`
	Pages    int    `json:"pages"`
}

// CountItems scans with Select=COUNT, bounded by Max items so a huge table cannot run it for hours or
// spend unbounded read capacity; it heartbeats its page count.
func (a *Activities) CountItems(ctx context.Context, in ItemCountInput) (ItemCount, error) {
	res := ItemCount{Table: in.Table, Region: in.Region}
	if in.Max <= 0 {
		return res, refuse("ValidationException", "CountItems %s in %s: max must be positive", in.Table, in.Region)
	}
	var start map[string]types.AttributeValue
	for {
		left := in.Max - res.Count
		out, err := a.AWS.DynamoDB(in.Region).Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(in.Table), Select: types.SelectCount,
			ExclusiveStartKey: start, Limit: aws.Int32(int32(min(left, 1<<20)))})
		if err != nil {
			return res, classify(err, "dynamodb:Scan", in.Table, in.Region)
		}
		res.Count += int64(out.Count)
		res.Pages++
		if activity.IsActivity(ctx) {
			activity.RecordHeartbeat(ctx, res)
		}
		if len(out.LastEvaluatedKey) == 0 {
			res.Complete = true
			return res, nil
		}
		if res.Count >= in.Max {
			return res, nil
		}
		start = out.LastEvaluatedKey
	}
}

// ItemProbeInput asks whether items with these primary keys (attribute name → string value) exist.
type ItemProbeInput struct {
	Region string              `json:"region"`
	Table  string              `json:"table"`
	Keys   []map[string]string `json:"keys"`
}

// ItemProbe is one key's answer. Digest is a hash of the item, so two tables can be compared without
// copying data into workflow history.
type ItemProbe struct {
	Key    string `json:"key"`
	Found  bool   `json:"found"`
	Digest string `json:"digest,omitempty"`
}

// ProbeItems reads each key with a strongly consistent GetItem.
func (a *Activities) ProbeItems(ctx context.Context, in ItemProbeInput) ([]ItemProbe, error) {
	var out []ItemProbe
	for _, k := range in.Keys {
		key := map[string]types.AttributeValue{}
		for name, v := range k {
			key[name] = &types.AttributeValueMemberS{Value: v}
		}
		got, err := a.AWS.DynamoDB(in.Region).GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(in.Table), Key: key, ConsistentRead: aws.Bool(true)})
		p := ItemProbe{Key: KeyString(k)}
		if err != nil {
			return out, classify(err, "dynamodb:GetItem", in.Table+" "+p.Key, in.Region)
		}
		if got.Item != nil {
			sum := sha256.Sum256([]byte(canonical(&types.AttributeValueMemberM{Value: got.Item})))
			p.Found, p.Digest = true, hex.EncodeToString(sum[:8])
		}
		out = append(out, p)
	}
	return out, nil
}

// KeyString renders a key as name=value pairs in name order.
func KeyString(k map[string]string) string {
	parts := make([]string, 0, len(k))
	for _, n := range sortedNames(k) {
		parts = append(parts, n+"="+k[n])
	}
	return strings.Join(parts, ",")
}

// canonical renders an attribute value with sorted map keys and sets, so equal items hash equally.
func canonical(v types.AttributeValue) string {
	switch x := v.(type) {
	case *types.AttributeValueMemberS:
		return fmt.Sprintf("S%q", x.Value)
	case *types.AttributeValueMemberN:
		return "N" + x.Value
	case *types.AttributeValueMemberB:
		return fmt.Sprintf("B%x", x.Value)
	case *types.AttributeValueMemberBOOL:
		return fmt.Sprintf("BOOL%v", x.Value)
	case *types.AttributeValueMemberNULL:
		return "NULL"
	case *types.AttributeValueMemberSS:
		return fmt.Sprintf("SS%q", sortedCopy(x.Value))
	case *types.AttributeValueMemberNS:
		return fmt.Sprintf("NS%v", sortedCopy(x.Value))
	case *types.AttributeValueMemberBS:
		var ss []string
		for _, b := range x.Value {
			ss = append(ss, hex.EncodeToString(b))
		}
		return fmt.Sprintf("BS%v", sortedCopy(ss))
	case *types.AttributeValueMemberL:
		var b strings.Builder
		b.WriteString("L[")
		for _, e := range x.Value {
			b.WriteString(canonical(e) + ",")
		}
		return b.String() + "]"
	case *types.AttributeValueMemberM:
		var b strings.Builder
		b.WriteString("M{")
		for _, k := range sortedNames(x.Value) {
			fmt.Fprintf(&b, "%q:%s,", k, canonical(x.Value[k]))
		}
		return b.String() + "}"
	}
	return fmt.Sprintf("?%T", v)
}

func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	sort.Strings(c)
	return c
}
