package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/require"

	"github.com/roadcall/dr/internal/awssim"
)

// tableFacts are the settings RestoreTableToPointInTime's API reference says must be set up again on a
// restored table ("You must manually set up the following on the restored table: auto scaling policies,
// IAM policies, CloudWatch metrics and alarms, tags, stream settings, Time to Live (TTL) settings, point in
// time recovery settings"), plus deletion protection, which a restore does not take either. Auto scaling is
// what Application Auto Scaling's DescribeScalableTargets and DescribeScalingPolicies answer for the table,
// with its billing mode and capacity, which RegisterScalableTarget keeps inside the targets' range.
type tableFacts struct {
	Stream             string
	TTL                string
	Tags               map[string]string
	DeletionProtection bool
	PITR               string
	Capacity           TableCapacity
	AutoScaling        []ScalingTarget
}

func factsOf(t *testing.T, acts *Activities, region, table string) tableFacts {
	t.Helper()
	ctx := context.Background()
	db := acts.AWS.DynamoDB(region)
	d, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	require.NoError(t, err)
	f := tableFacts{Stream: string(streamView(d.Table)), DeletionProtection: aws.ToBool(d.Table.DeletionProtectionEnabled), Tags: map[string]string{}}
	ttl, err := db.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(table)})
	require.NoError(t, err)
	f.TTL = string(ttl.TimeToLiveDescription.TimeToLiveStatus) + " " + aws.ToString(ttl.TimeToLiveDescription.AttributeName)
	var next *string
	for {
		tags, err := db.ListTagsOfResource(ctx, &dynamodb.ListTagsOfResourceInput{ResourceArn: d.Table.TableArn, NextToken: next})
		require.NoError(t, err)
		for _, tg := range tags.Tags {
			f.Tags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
		}
		if next = tags.NextToken; next == nil {
			break
		}
	}
	cb, err := db.DescribeContinuousBackups(ctx, &dynamodb.DescribeContinuousBackupsInput{TableName: aws.String(table)})
	require.NoError(t, err)
	p := cb.ContinuousBackupsDescription.PointInTimeRecoveryDescription
	f.PITR = string(p.PointInTimeRecoveryStatus)
	if p.RecoveryPeriodInDays != nil {
		f.PITR += fmt.Sprintf(" %d days", *p.RecoveryPeriodInDays)
	}
	info, err := acts.DescribeTable(ctx, TableRef{Region: region, Table: table})
	require.NoError(t, err)
	f.Capacity = capacityOf(info)
	f.AutoScaling, err = acts.readAutoScaling(ctx, table, []string{region})
	require.NoError(t, err)
	return f
}

// restoreForSettings restores src into a new table and waits for it, as DataCorruptionRecovery does
// before it carries the settings.
func restoreForSettings(t *testing.T, acts *Activities, region, src string) string {
	t.Helper()
	ctx := context.Background()
	win, err := acts.DescribeContinuousBackups(ctx, TableRef{Region: region, Table: src})
	require.NoError(t, err)
	target := src + "-restored-settings"
	_, err = acts.RestoreTable(ctx, TableRestoreInput{Region: region, Source: src, Target: target, At: win.Latest})
	require.NoError(t, err)
	_, err = acts.WaitTableActive(ctx, TableRef{Region: region, Table: target})
	require.NoError(t, err)
	return target
}

func TestCarryTableSettingsMatchesTheSourceFieldByField(t *testing.T) {
	sim, acts, topo := restoreSim(t, false)
	ctx := context.Background()
	region := topo.PrimaryRegion
	for _, src := range []string{"roadcall-incidents-prod", "roadcall-tracking-sessions-prod", "roadcall-users-prod"} {
		t.Run(src, func(t *testing.T) {
			want := factsOf(t, acts, region, src)
			require.Equal(t, "NEW_AND_OLD_IMAGES", want.Stream, "the seed streams the global tables")
			require.True(t, want.DeletionProtection)
			require.NotEmpty(t, want.Tags)
			if src == "roadcall-users-prod" {
				require.Len(t, want.AutoScaling, 2, "the seed auto scales the users table's reads and writes")
				require.Equal(t, BillingProvisioned, want.Capacity.BillingMode)
			}
			target := restoreForSettings(t, acts, region, src)

			got := factsOf(t, acts, region, target)
			require.Empty(t, got.Stream, "the restore drops the stream, as the API reference says")
			require.Empty(t, got.Tags, "and the tags")
			require.False(t, got.DeletionProtection)
			require.Equal(t, "DISABLED", got.PITR)
			require.Empty(t, got.AutoScaling, "and auto scaling")
			require.Equal(t, want.Capacity, got.Capacity, "but not the billing mode and capacity")

			_, err := acts.EnableTablePITR(ctx, TableRef{Region: region, Table: target})
			require.NoError(t, err)
			in := TableSettingsInput{Region: region, Source: src, Target: target}
			first, err := acts.CarryTableSettings(ctx, in)
			require.NoError(t, err)
			got = factsOf(t, acts, region, target)
			require.Equal(t, want.Stream, got.Stream, "StreamSpecification")
			require.Equal(t, want.TTL, got.TTL, "TTL")
			require.Equal(t, want.Tags, got.Tags, "tags")
			require.Equal(t, want.DeletionProtection, got.DeletionProtection, "deletion protection")
			require.Equal(t, want.PITR, got.PITR, "PITR and its recovery period")
			require.Equal(t, want.AutoScaling, got.AutoScaling, "scalable targets (min, max) and target-tracking policies (name, target, cooldowns, scale-in)")
			require.Equal(t, want.Capacity, got.Capacity, "capacity inside the carried targets' range")
			require.Equal(t, want, got, "field by field")

			names := []string{}
			for _, s := range first.Settings {
				names = append(names, s.Name)
			}
			require.Equal(t, []string{"StreamSpecification", "TimeToLive", "Tags", "PointInTimeRecovery", "AutoScaling", "DeletionProtectionEnabled"}, names,
				"every setting is in the report, deletion protection last")
			if src == "roadcall-users-prod" {
				require.Equal(t, CarriedSetting{Name: "AutoScaling", Changed: true,
					Value: "write auto scaling 25-500 at 70% in us-east-1; read auto scaling 50-1000 at 70% in us-east-1"}, first.Settings[4])
				require.Equal(t, []string{
					"RegisterScalableTarget dynamodb:table:WriteCapacityUnits min=25 max=500",
					"PutScalingPolicy dynamodb:table:WriteCapacityUnits policy roadcall-write-utilization target 70% DynamoDBWriteCapacityUtilization",
					"RegisterScalableTarget dynamodb:table:ReadCapacityUnits min=50 max=1000",
					"PutScalingPolicy dynamodb:table:ReadCapacityUnits policy roadcall-read-utilization target 70% DynamoDBReadCapacityUtilization",
				}, autoScalingJournal(sim, target), "each target and policy registered once, in the restore's region")
			} else {
				require.Equal(t, CarriedSetting{Name: "AutoScaling", Value: "none"}, first.Settings[4])
			}

			before := len(sim.Journal())
			again, err := acts.CarryTableSettings(ctx, in)
			require.NoError(t, err)
			for _, s := range again.Settings {
				require.False(t, s.Changed, "a second run changes nothing: %s", s.Name)
			}
			require.Len(t, sim.Journal(), before, "and makes no mutating call")
		})
	}
}

// The TTL of the tracking sessions is carried with its attribute; the journal shows one UpdateTimeToLive,
// because UpdateTimeToLive allows one change an hour (its API reference) and a retry must not need a second.
func TestCarryTableSettingsTTLOnce(t *testing.T) {
	sim, acts, topo := restoreSim(t, true)
	ctx := context.Background()
	src := "roadcall-tracking-sessions-prod"
	target := restoreForSettings(t, acts, topo.PrimaryRegion, src)
	in := TableSettingsInput{Region: topo.PrimaryRegion, Source: src, Target: target}
	res, err := acts.CarryTableSettings(ctx, in)
	require.NoError(t, err)
	require.Equal(t, CarriedSetting{Name: "TimeToLive", Value: "expiresAt", Changed: true}, res.Settings[1])
	_, err = acts.CarryTableSettings(ctx, in)
	require.NoError(t, err, "ENABLING on the same attribute counts as carried")
	require.Len(t, journalOf(sim, "UpdateTimeToLive"), 1)
	ttl, err := acts.AWS.DynamoDB(topo.PrimaryRegion).DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(target)})
	require.NoError(t, err)
	require.Equal(t, dtypes.TimeToLiveStatusEnabling, ttl.TimeToLiveDescription.TimeToLiveStatus, "it takes up to an hour")
}

// The AWS CLI, an independent client, sees on the restored table the source's StreamSpecification
// (describe-table) and TTL (describe-time-to-live).
func TestCarriedSettingsThroughTheAWSCLI(t *testing.T) {
	bin, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the AWS CLI is not installed; the SDK comparison above still runs")
	}
	_, acts, topo, url := restoreSimURL(t, false)
	region, src := topo.PrimaryRegion, "roadcall-tracking-sessions-prod"
	target := restoreForSettings(t, acts, region, src)
	_, err = acts.CarryTableSettings(context.Background(), TableSettingsInput{Region: region, Source: src, Target: target})
	require.NoError(t, err)
	cli := func(args ...string) map[string]any {
		cmd := exec.Command(bin, append([]string{"--endpoint-url", url, "--output", "json", "--region", region, "dynamodb"}, args...)...)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=awssim", "AWS_SECRET_ACCESS_KEY=awssim", "AWS_PAGER=",
			"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_MAX_ATTEMPTS=2")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		var v map[string]any
		require.NoError(t, json.Unmarshal(out, &v), "%s", out)
		return v
	}
	for _, table := range []string{src, target} {
		d := cli("describe-table", "--table-name", table)["Table"].(map[string]any)
		require.Equal(t, map[string]any{"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"}, d["StreamSpecification"], table)
		require.Contains(t, d["LatestStreamArn"], table+"/stream/", table)
		require.Equal(t, true, d["DeletionProtectionEnabled"], table)
		ttl := cli("describe-time-to-live", "--table-name", table)["TimeToLiveDescription"]
		require.Equal(t, map[string]any{"TimeToLiveStatus": "ENABLED", "AttributeName": "expiresAt"}, ttl, table)
	}
}

// autoScalingJournal is the Application Auto Scaling calls awssim journaled for a table, as operation and detail.
func autoScalingJournal(sim *awssim.Server, table string) []string {
	var out []string
	for _, e := range sim.Journal() {
		if e.Service == "application-autoscaling" && e.Resource == "table/"+table {
			out = append(out, e.Operation+" "+e.Detail)
		}
	}
	return out
}

// TestCarryTableAutoScalingIsExactAndIdempotent: a restore that already has auto scaling of its own (an
// operator's, or a half-finished earlier attempt with other bounds and an extra policy) ends with exactly the
// source's, and a second carry makes no call (RegisterScalableTarget and PutScalingPolicy are upserts, but the
// step reads first so the journal shows nothing changed twice).
func TestCarryTableAutoScalingIsExactAndIdempotent(t *testing.T) {
	sim, acts, topo := restoreSim(t, false)
	ctx := context.Background()
	region, src := topo.PrimaryRegion, "roadcall-users-prod"
	target := restoreForSettings(t, acts, region, src)
	odd := []ScalingTarget{{Region: region, Dimension: DimensionWrite, Min: 30, Max: 90, Policies: []ScalingPolicy{
		{Name: "roadcall-write-utilization", TargetValue: 40, ScaleInCooldown: aws.Int32(60)}, {Name: "stray", TargetValue: 80}}}}
	_, err := acts.syncAutoScaling(ctx, target, []string{region}, nil, odd)
	require.NoError(t, err)
	_, err = acts.WaitTableActive(ctx, TableRef{Region: region, Table: target})
	require.NoError(t, err)

	in := TableSettingsInput{Region: region, Source: src, Target: target}
	res, err := acts.CarryTableSettings(ctx, in)
	require.NoError(t, err)
	require.True(t, res.Settings[4].Changed)
	want, err := acts.readAutoScaling(ctx, src, []string{region})
	require.NoError(t, err)
	got, err := acts.readAutoScaling(ctx, target, []string{region})
	require.NoError(t, err)
	require.Equal(t, want, got, "the stray policy is gone, bounds and the write policy are the source's, the read target is added")

	before := len(sim.Journal())
	again, err := acts.CarryTableSettings(ctx, in)
	require.NoError(t, err)
	require.False(t, again.Settings[4].Changed)
	require.Len(t, sim.Journal(), before, "twice = once")
}
