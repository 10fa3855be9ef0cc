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
)

// tableFacts are the settings RestoreTableToPointInTime's API reference says must be set up again on a
// restored table ("You must manually set up the following on the restored table: auto scaling policies,
// IAM policies, CloudWatch metrics and alarms, tags, stream settings, Time to Live (TTL) settings, point in
// time recovery settings"), plus deletion protection, which a restore does not take either. Auto scaling
// is not compared: Application Auto Scaling is not read by CarryTableSettings yet.
type tableFacts struct {
	Stream             string
	TTL                string
	Tags               map[string]string
	DeletionProtection bool
	PITR               string
}

func factsOf(t *testing.T, db *dynamodb.Client, table string) tableFacts {
	t.Helper()
	ctx := context.Background()
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
	db := acts.AWS.DynamoDB(region)
	for _, src := range []string{"roadcall-incidents-prod", "roadcall-tracking-sessions-prod"} {
		t.Run(src, func(t *testing.T) {
			want := factsOf(t, db, src)
			require.Equal(t, "NEW_AND_OLD_IMAGES", want.Stream, "the seed streams the incidents and tracking tables")
			require.True(t, want.DeletionProtection)
			require.NotEmpty(t, want.Tags)
			target := restoreForSettings(t, acts, region, src)

			got := factsOf(t, db, target)
			require.Empty(t, got.Stream, "the restore drops the stream, as the API reference says")
			require.Empty(t, got.Tags, "and the tags")
			require.False(t, got.DeletionProtection)
			require.Equal(t, "DISABLED", got.PITR)

			_, err := acts.EnableTablePITR(ctx, TableRef{Region: region, Table: target})
			require.NoError(t, err)
			in := TableSettingsInput{Region: region, Source: src, Target: target}
			first, err := acts.CarryTableSettings(ctx, in)
			require.NoError(t, err)
			got = factsOf(t, db, target)
			require.Equal(t, want.Stream, got.Stream, "StreamSpecification")
			require.Equal(t, want.TTL, got.TTL, "TTL")
			require.Equal(t, want.Tags, got.Tags, "tags")
			require.Equal(t, want.DeletionProtection, got.DeletionProtection, "deletion protection")
			require.Equal(t, want.PITR, got.PITR, "PITR and its recovery period")

			names := []string{}
			for _, s := range first.Settings {
				names = append(names, s.Name)
			}
			require.Equal(t, []string{"StreamSpecification", "TimeToLive", "Tags", "PointInTimeRecovery", "DeletionProtectionEnabled"}, names,
				"every setting is in the report, deletion protection last")

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
