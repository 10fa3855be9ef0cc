package activities

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TableSettingsInput carries Source's settings over to Target, a point-in-time restore of it.
type TableSettingsInput struct {
	Region string `json:"region"`
	Source string `json:"source"`
	Target string `json:"target"`
}

// CarriedSetting is one setting read from a source resource and given to its restore: Value is the
// source's, Changed says whether this call had to set it.
type CarriedSetting struct {
	Name    string `json:"name"`
	Value   string `json:"value"`
	Changed bool   `json:"changed"`
}

// TableSettingsResult lists the settings carried, in the order they were applied.
type TableSettingsResult struct {
	Region   string           `json:"region"`
	Target   string           `json:"target"`
	Settings []CarriedSetting `json:"settings"`
}

// CarryTableSettings gives a restored table the settings RestoreTableToPointInTime does not copy. Its API
// reference says to set up again, on the restored table: auto scaling policies, IAM policies, CloudWatch
// metrics and alarms, tags, stream settings, TTL settings and PITR settings; deletion protection is not
// carried either. This carries the stream, TTL, tags, PITR's recovery period (EnableTablePITR turns PITR on),
// auto scaling (Application Auto Scaling's scalable targets and target-tracking policies) and deletion
// protection, last, so a restore that fails before it can still be deleted. Each setting is read on both
// tables first and written only when they differ, so a retry changes nothing twice. The alarms that auto
// scaling needs come with its policies; other alarms and IAM policies name the table and stay the operator's.
func (a *Activities) CarryTableSettings(ctx context.Context, in TableSettingsInput) (TableSettingsResult, error) {
	res := TableSettingsResult{Region: in.Region, Target: in.Target}
	c := tableCarry{a: a, db: a.AWS.DynamoDB(in.Region), in: in}
	src, err := c.describe(ctx, in.Source)
	if err != nil {
		return res, err
	}
	dst, err := c.describe(ctx, in.Target)
	if err != nil {
		return res, err
	}
	for _, step := range []func(context.Context, *types.TableDescription, *types.TableDescription) (CarriedSetting, error){
		c.stream, c.ttl, c.tags, c.pitr, c.autoScaling, c.deletionProtection,
	} {
		s, err := step(ctx, src, dst)
		if err != nil {
			return res, err
		}
		res.Settings = append(res.Settings, s)
	}
	return res, nil
}

type tableCarry struct {
	a  *Activities
	db *dynamodb.Client
	in TableSettingsInput
}

func (c tableCarry) describe(ctx context.Context, table string) (*types.TableDescription, error) {
	out, err := c.db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		return nil, classify(err, "dynamodb:DescribeTable", table, c.in.Region)
	}
	return out.Table, nil
}

func (c tableCarry) fail(err error, op string) error {
	return classify(err, op, c.in.Target, c.in.Region)
}

// streamView is a table's stream view type, "" when it has no enabled stream.
func streamView(t *types.TableDescription) types.StreamViewType {
	if s := t.StreamSpecification; s != nil && aws.ToBool(s.StreamEnabled) {
		return s.StreamViewType
	}
	return ""
}

// stream gives the restore the source's stream, so its consumers (and a later global-table replica) see
// changes again. A stream's view type cannot change in place (UpdateTable's StreamSpecification refuses to
// enable a stream on a table that has one), so a different one is disabled first.
func (c tableCarry) stream(ctx context.Context, src, dst *types.TableDescription) (CarriedSetting, error) {
	want, have := streamView(src), streamView(dst)
	s := CarriedSetting{Name: "StreamSpecification", Value: string(want)}
	if want == "" {
		s.Value = "disabled"
	}
	if want == have {
		return s, nil
	}
	update := func(spec *types.StreamSpecification) error {
		_, err := c.db.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String(c.in.Target), StreamSpecification: spec})
		return err
	}
	if have != "" {
		if err := update(&types.StreamSpecification{StreamEnabled: aws.Bool(false)}); err != nil {
			return s, c.fail(err, "dynamodb:UpdateTable StreamSpecification")
		}
	}
	if want != "" {
		if err := update(&types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: want}); err != nil {
			return s, c.fail(err, "dynamodb:UpdateTable StreamSpecification")
		}
	}
	s.Changed = true
	return s, nil
}

// ttlOf is the TTL attribute a table expires items on, "" when TTL is off or being turned off.
func (c tableCarry) ttlOf(ctx context.Context, table string) (string, types.TimeToLiveStatus, error) {
	out, err := c.db.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(table)})
	if err != nil {
		return "", "", classify(err, "dynamodb:DescribeTimeToLive", table, c.in.Region)
	}
	d := out.TimeToLiveDescription
	if d == nil {
		return "", types.TimeToLiveStatusDisabled, nil
	}
	if d.TimeToLiveStatus == types.TimeToLiveStatusEnabled || d.TimeToLiveStatus == types.TimeToLiveStatusEnabling {
		return aws.ToString(d.AttributeName), d.TimeToLiveStatus, nil
	}
	return "", d.TimeToLiveStatus, nil
}

// ttl gives the restore the source's TTL, so expired items (tracking sessions) are deleted again.
// UpdateTimeToLive allows one change an hour, so a restore whose TTL is on another attribute is refused
// with what to do rather than half changed.
func (c tableCarry) ttl(ctx context.Context, src, dst *types.TableDescription) (CarriedSetting, error) {
	want, _, err := c.ttlOf(ctx, c.in.Source)
	s := CarriedSetting{Name: "TimeToLive", Value: want}
	if want == "" {
		s.Value = "disabled"
	}
	if err != nil {
		return s, err
	}
	have, status, err := c.ttlOf(ctx, c.in.Target)
	switch {
	case err != nil:
		return s, err
	case want == have:
		return s, nil
	case have != "" && want != "":
		return s, refuse("ValidationException", "dynamodb table %s in %s expires items on %q, its source %s on %q: UpdateTimeToLive allows one change an hour, so disable TTL on %s, wait an hour and run again",
			c.in.Target, c.in.Region, have, c.in.Source, want, c.in.Target)
	case status == types.TimeToLiveStatusDisabling:
		return s, refuse("ValidationException", "dynamodb table %s in %s is disabling TTL; UpdateTimeToLive allows one change an hour, so retry after it is DISABLED", c.in.Target, c.in.Region)
	}
	spec := &types.TimeToLiveSpecification{Enabled: aws.Bool(want != ""), AttributeName: aws.String(want)}
	if want == "" {
		spec.AttributeName = aws.String(have)
	}
	if _, err := c.db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String(c.in.Target), TimeToLiveSpecification: spec}); err != nil {
		return s, c.fail(err, "dynamodb:UpdateTimeToLive")
	}
	s.Changed = true
	return s, nil
}

func (c tableCarry) tagsOf(ctx context.Context, arn, table string) (map[string]string, error) {
	tags := map[string]string{}
	var next *string
	for {
		out, err := c.db.ListTagsOfResource(ctx, &dynamodb.ListTagsOfResourceInput{ResourceArn: aws.String(arn), NextToken: next})
		if err != nil {
			return nil, classify(err, "dynamodb:ListTagsOfResource", table, c.in.Region)
		}
		for _, t := range out.Tags {
			tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
		if next = out.NextToken; next == nil {
			return tags, nil
		}
	}
}

// tags gives the restore the source's tags (cost allocation, ownership, access policies that match on
// them). AWS-assigned aws: tags cannot be set by anyone and are left out; tags only the restore has stay.
func (c tableCarry) tags(ctx context.Context, src, dst *types.TableDescription) (CarriedSetting, error) {
	s := CarriedSetting{Name: "Tags"}
	want, err := c.tagsOf(ctx, aws.ToString(src.TableArn), c.in.Source)
	if err != nil {
		return s, err
	}
	var pairs []string
	var missing []types.Tag
	for _, k := range sortedNames(want) {
		if strings.HasPrefix(k, "aws:") {
			continue
		}
		pairs = append(pairs, k+"="+want[k])
		missing = append(missing, types.Tag{Key: aws.String(k), Value: aws.String(want[k])})
	}
	s.Value = strings.Join(pairs, ",")
	have, err := c.tagsOf(ctx, aws.ToString(dst.TableArn), c.in.Target)
	if err != nil {
		return s, err
	}
	missing = slices.DeleteFunc(missing, func(t types.Tag) bool {
		v, ok := have[aws.ToString(t.Key)]
		return ok && v == aws.ToString(t.Value)
	})
	if len(missing) == 0 {
		return s, nil
	}
	if _, err := c.db.TagResource(ctx, &dynamodb.TagResourceInput{ResourceArn: dst.TableArn, Tags: missing}); err != nil {
		return s, c.fail(err, "dynamodb:TagResource")
	}
	s.Changed = true
	return s, nil
}

// pitr gives the restore the source's PITR recovery period. PITR itself is turned on by EnableTablePITR
// whatever the source says: a restored table that becomes the live one must be restorable too.
func (c tableCarry) pitr(ctx context.Context, src, dst *types.TableDescription) (CarriedSetting, error) {
	s := CarriedSetting{Name: "PointInTimeRecovery"}
	period := func(table string) (bool, int32, error) {
		out, err := c.db.DescribeContinuousBackups(ctx, &dynamodb.DescribeContinuousBackupsInput{TableName: aws.String(table)})
		if err != nil {
			return false, 0, classify(err, "dynamodb:DescribeContinuousBackups", table, c.in.Region)
		}
		p := out.ContinuousBackupsDescription.PointInTimeRecoveryDescription
		if p == nil || p.PointInTimeRecoveryStatus != types.PointInTimeRecoveryStatusEnabled {
			return false, 0, nil
		}
		return true, aws.ToInt32(p.RecoveryPeriodInDays), nil
	}
	on, want, err := period(c.in.Source)
	if err != nil {
		return s, err
	}
	if !on {
		s.Value = "disabled on the source; enabled on the restore"
		return s, nil
	}
	s.Value = fmt.Sprintf("enabled, %d days", want)
	on, have, err := period(c.in.Target)
	if err != nil || (on && (have == want || want == 0)) {
		return s, err
	}
	spec := &types.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(true)}
	if want > 0 {
		spec.RecoveryPeriodInDays = aws.Int32(want)
	}
	if _, err := c.db.UpdateContinuousBackups(ctx, &dynamodb.UpdateContinuousBackupsInput{TableName: aws.String(c.in.Target), PointInTimeRecoverySpecification: spec}); err != nil {
		return s, c.fail(err, "dynamodb:UpdateContinuousBackups")
	}
	s.Changed = true
	return s, nil
}

// autoScaling gives the restore the source's auto scaling in its region: each scalable target's minimum and
// maximum and its target-tracking policies, by name, exactly (a target or policy the source lacks is removed),
// so the restored table that becomes the live one scales as the source did. Step scaling or a customized
// metric is refused by readAutoScaling rather than carried half. A source on demand with targets (the
// DynamoDB Developer Guide's "Considerations when switching capacity modes": settings made with the CLI or an
// SDK are kept across a switch to on-demand) gives an on-demand restore the same dormant targets: they scale
// nothing until the table is provisioned again, as on the source. Registering a target moves a provisioned
// table's capacity into its range (RegisterScalableTarget's API reference), which makes the table UPDATING,
// so the step waits for ACTIVE before the next UpdateTable.
func (c tableCarry) autoScaling(ctx context.Context, _, _ *types.TableDescription) (CarriedSetting, error) {
	s := CarriedSetting{Name: "AutoScaling", Value: "none"}
	regions := []string{c.in.Region}
	want, err := c.a.readAutoScaling(ctx, c.in.Source, regions)
	if err != nil {
		return s, err
	}
	if len(want) > 0 {
		var parts []string
		for _, t := range want {
			parts = append(parts, t.String())
		}
		s.Value = strings.Join(parts, "; ")
	}
	have, err := c.a.readAutoScaling(ctx, c.in.Target, regions)
	if err != nil {
		return s, err
	}
	changed, err := c.a.syncAutoScaling(ctx, c.in.Target, regions, have, want)
	s.Changed = changed
	if err != nil || !changed {
		return s, err
	}
	_, _, err = c.a.waitTableActive(ctx, TableRef{Region: c.in.Region, Table: c.in.Target})
	return s, err
}

// deletionProtection gives the restore the source's deletion protection: once the cutover makes it the
// live table, an accidental DeleteTable must be refused as it was on the source.
func (c tableCarry) deletionProtection(ctx context.Context, src, dst *types.TableDescription) (CarriedSetting, error) {
	want := aws.ToBool(src.DeletionProtectionEnabled)
	s := CarriedSetting{Name: "DeletionProtectionEnabled", Value: fmt.Sprint(want)}
	if want == aws.ToBool(dst.DeletionProtectionEnabled) {
		return s, nil
	}
	if _, err := c.db.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String(c.in.Target), DeletionProtectionEnabled: aws.Bool(want)}); err != nil {
		return s, c.fail(err, "dynamodb:UpdateTable DeletionProtectionEnabled")
	}
	s.Changed = true
	return s, nil
}
