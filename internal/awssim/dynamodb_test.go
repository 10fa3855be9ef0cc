package awssim

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"
)

// ddbClock is a settable clock so modeled durations (TimeScale 1) pass without sleeping.
type ddbClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *ddbClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *ddbClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func startClocked(t *testing.T) (*Server, *dynamodb.Client, *dynamodb.Client, *ddbClock) {
	clock := &ddbClock{t: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)}
	sim, f, _ := start(t, Options{TimeScale: 1, Now: clock.Now})
	return sim, f.DynamoDB("us-east-1"), f.DynamoDB("us-west-2"), clock
}

func ddbCode(t *testing.T, err error) string {
	t.Helper()
	var ae smithy.APIError
	require.True(t, errors.As(err, &ae), "want an AWS API error, got %v", err)
	return ae.ErrorCode()
}

func journalOf(sim *Server, op string) []JournalEntry {
	var out []JournalEntry
	for _, e := range sim.Journal() {
		if e.Operation == op {
			out = append(out, e)
		}
	}
	return out
}

func statusOf(item map[string]types.AttributeValue) string {
	if s, ok := item["status"].(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

func scanAll(t *testing.T, c *dynamodb.Client, table string) []map[string]types.AttributeValue {
	t.Helper()
	var items []map[string]types.AttributeValue
	p := dynamodb.NewScanPaginator(c, &dynamodb.ScanInput{TableName: aws.String(table), Limit: aws.Int32(7)})
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		require.NoError(t, err)
		items = append(items, out.Items...)
	}
	return items
}

func TestDynamoDBDescribeAndListTables(t *testing.T) {
	_, east, west, _ := startClocked(t)
	ctx := context.Background()

	out, err := east.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("roadcall-users-prod")})
	require.NoError(t, err)
	tb := out.Table
	require.Equal(t, types.TableStatusActive, tb.TableStatus)
	require.Equal(t, "arn:aws:dynamodb:us-east-1:123456789012:table/roadcall-users-prod", *tb.TableArn)
	require.Equal(t, "pk", *tb.KeySchema[0].AttributeName)
	require.Equal(t, types.KeyTypeHash, tb.KeySchema[0].KeyType)
	require.Equal(t, int64(SeedItems), *tb.ItemCount)
	// The seed provisions the users table with auto scaling (seedAutoScaling); the others are on-demand.
	require.Equal(t, types.BillingModeProvisioned, tb.BillingModeSummary.BillingMode)
	require.Equal(t, []int64{seedReadCapacity, seedWriteCapacity}, []int64{*tb.ProvisionedThroughput.ReadCapacityUnits, *tb.ProvisionedThroughput.WriteCapacityUnits})
	require.Equal(t, "2019.11.21", *tb.GlobalTableVersion)
	require.Len(t, tb.Replicas, 1, "DescribeTable lists the replicas other than the region asked")
	require.Equal(t, "us-west-2", *tb.Replicas[0].RegionName)
	require.Equal(t, types.ReplicaStatusActive, tb.Replicas[0].ReplicaStatus)
	require.Nil(t, tb.RestoreSummary)

	wout, err := west.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("roadcall-users-prod")})
	require.NoError(t, err)
	require.Equal(t, "us-east-1", *wout.Table.Replicas[0].RegionName)

	_, err = east.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("roadcall-nope-prod")})
	var rnf *types.ResourceNotFoundException
	require.ErrorAs(t, err, &rnf)
	require.Equal(t, "ResourceNotFoundException", ddbCode(t, err))
	require.Contains(t, rnf.ErrorMessage(), "roadcall-nope-prod")

	var names []string
	pages := 0
	p := dynamodb.NewListTablesPaginator(west, &dynamodb.ListTablesInput{Limit: aws.Int32(2)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		require.NoError(t, err)
		require.LessOrEqual(t, len(page.TableNames), 2)
		names = append(names, page.TableNames...)
		pages++
	}
	require.Equal(t, 3, pages)
	require.Equal(t, []string{"roadcall-call-records-prod", "roadcall-incidents-prod", "roadcall-tracking-sessions-prod",
		"roadcall-users-prod", "roadcall-vendors-prod"}, names)
}

func TestDynamoDBScanAndGetItem(t *testing.T) {
	_, _, west, _ := startClocked(t)
	ctx := context.Background()

	one, err := west.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("roadcall-users-prod"), Limit: aws.Int32(1)})
	require.NoError(t, err)
	require.Len(t, one.Items, 1)
	require.Equal(t, int32(1), one.Count)
	require.Equal(t, int32(1), one.ScannedCount)
	require.Equal(t, &types.AttributeValueMemberS{Value: "USER#0001"}, one.LastEvaluatedKey["pk"])

	items := scanAll(t, west, "roadcall-users-prod")
	require.Len(t, items, SeedItems, "pagination neither drops nor repeats items")
	seen := map[string]bool{}
	for _, it := range items {
		k := it["pk"].(*types.AttributeValueMemberS).Value
		require.False(t, seen[k], "item %s returned twice", k)
		seen[k] = true
	}

	cnt, err := west.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("roadcall-users-prod"), Select: types.SelectCount})
	require.NoError(t, err)
	require.Equal(t, int32(SeedItems), cnt.Count)
	require.Empty(t, cnt.Items)
	require.Nil(t, cnt.LastEvaluatedKey)

	got, err := west.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("roadcall-incidents-prod"),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "INCIDENT#0001"}}})
	require.NoError(t, err)
	require.Equal(t, "ok", statusOf(got.Item))

	proj, err := west.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("roadcall-incidents-prod"),
		Key:                      map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "INCIDENT#0001"}},
		ProjectionExpression:     aws.String("#s"),
		ExpressionAttributeNames: map[string]string{"#s": "status"}})
	require.NoError(t, err)
	require.Len(t, proj.Item, 1)

	missing, err := west.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("roadcall-incidents-prod"),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "INCIDENT#9999"}}})
	require.NoError(t, err)
	require.Nil(t, missing.Item)

	_, err = west.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("roadcall-incidents-prod"),
		Key: map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "INCIDENT#0001"}}})
	require.Equal(t, "ValidationException", ddbCode(t, err))

	_, err = west.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("roadcall-nope-prod")})
	require.Equal(t, "ResourceNotFoundException", ddbCode(t, err))
}

func TestDynamoDBContinuousBackups(t *testing.T) {
	sim, east, west, clock := startClocked(t)
	ctx := context.Background()
	table := aws.String("roadcall-incidents-prod")

	out, err := east.DescribeContinuousBackups(ctx, &dynamodb.DescribeContinuousBackupsInput{TableName: table})
	require.NoError(t, err)
	d := out.ContinuousBackupsDescription
	require.Equal(t, types.ContinuousBackupsStatusEnabled, d.ContinuousBackupsStatus)
	p := d.PointInTimeRecoveryDescription
	require.Equal(t, types.PointInTimeRecoveryStatusEnabled, p.PointInTimeRecoveryStatus)
	require.Equal(t, clock.Now().Add(-seedAge), p.EarliestRestorableDateTime.UTC())
	require.Equal(t, clock.Now().Add(-5*time.Minute), p.LatestRestorableDateTime.UTC())
	require.Equal(t, int32(35), *p.RecoveryPeriodInDays)

	disable := &dynamodb.UpdateContinuousBackupsInput{TableName: table,
		PointInTimeRecoverySpecification: &types.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(false)}}
	for range 2 {
		up, err := east.UpdateContinuousBackups(ctx, disable)
		require.NoError(t, err)
		require.Equal(t, types.PointInTimeRecoveryStatusDisabled, up.ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus)
		require.Nil(t, up.ContinuousBackupsDescription.PointInTimeRecoveryDescription.EarliestRestorableDateTime)
	}
	j := journalOf(sim, "UpdateContinuousBackups")
	require.Len(t, j, 2)
	require.True(t, j[0].Changed)
	require.False(t, j[1].Changed, "disabling a disabled PITR changes nothing")

	// PITR is per replica: the DR copy keeps its own.
	wout, err := west.DescribeContinuousBackups(ctx, &dynamodb.DescribeContinuousBackupsInput{TableName: table})
	require.NoError(t, err)
	require.Equal(t, types.PointInTimeRecoveryStatusEnabled, wout.ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus)

	clock.Add(time.Hour)
	up, err := east.UpdateContinuousBackups(ctx, &dynamodb.UpdateContinuousBackupsInput{TableName: table,
		PointInTimeRecoverySpecification: &types.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(true), RecoveryPeriodInDays: aws.Int32(7)}})
	require.NoError(t, err)
	p = up.ContinuousBackupsDescription.PointInTimeRecoveryDescription
	require.Equal(t, clock.Now(), p.EarliestRestorableDateTime.UTC(), "a re-enabled PITR restores only from the moment it was enabled")
	require.Equal(t, int32(7), *p.RecoveryPeriodInDays)

	_, err = east.DescribeContinuousBackups(ctx, &dynamodb.DescribeContinuousBackupsInput{TableName: aws.String("roadcall-nope-prod")})
	var tnf *types.TableNotFoundException
	require.ErrorAs(t, err, &tnf)
	_, err = east.UpdateContinuousBackups(ctx, &dynamodb.UpdateContinuousBackupsInput{TableName: aws.String("roadcall-nope-prod"),
		PointInTimeRecoverySpecification: &types.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(true)}})
	require.Equal(t, "TableNotFoundException", ddbCode(t, err))
	j = journalOf(sim, "UpdateContinuousBackups")
	require.False(t, j[len(j)-1].Changed, "a refused call is journaled as changing nothing")
}

func TestDynamoDBUpdateTableBillingAndCapacity(t *testing.T) {
	sim, east, west, clock := startClocked(t)
	ctx := context.Background()
	table := aws.String("roadcall-incidents-prod")
	provisioned := &dynamodb.UpdateTableInput{TableName: table, BillingMode: types.BillingModeProvisioned,
		ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(1000), WriteCapacityUnits: aws.Int64(500)}}

	_, err := east.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: table, BillingMode: types.BillingModeProvisioned})
	require.Equal(t, "ValidationException", ddbCode(t, err), "PROVISIONED needs a throughput")
	_, err = east.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: table, BillingMode: types.BillingModePayPerRequest,
		ProvisionedThroughput: provisioned.ProvisionedThroughput})
	require.Equal(t, "ValidationException", ddbCode(t, err), "PAY_PER_REQUEST takes no throughput")
	// A global table is PROVISIONED only with write auto scaling (DynamoDB Developer Guide, global tables
	// best practices); with a write target registered in the region, AWS accepts it.
	_, err = east.UpdateTable(ctx, provisioned)
	require.Equal(t, "ValidationException", ddbCode(t, err))
	require.Contains(t, err.Error(), "Table write capacity should either be Pay-Per-Request or AutoScaled")
	sim.With(func(w *World) {
		w.Regions["us-east-1"].scalableTargets()[targetKey("table/"+*table, dimTableWrite)] = &ScalableTarget{Namespace: "dynamodb",
			ResourceID: "table/" + *table, Dimension: dimTableWrite, Min: 500, Max: 2000, Policies: map[string]*ScalingPolicy{}}
	})

	out, err := east.UpdateTable(ctx, provisioned)
	require.NoError(t, err)
	require.Equal(t, types.TableStatusUpdating, out.TableDescription.TableStatus)
	require.Equal(t, int64(1000), *out.TableDescription.ProvisionedThroughput.ReadCapacityUnits)

	// A global table keeps billing and capacity aligned: the DR replica changes too.
	w, err := west.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: table})
	require.NoError(t, err)
	require.Equal(t, types.BillingModeProvisioned, w.Table.BillingModeSummary.BillingMode)
	require.Equal(t, int64(500), *w.Table.ProvisionedThroughput.WriteCapacityUnits)
	require.Equal(t, types.ReplicaStatusUpdating, w.Table.Replicas[0].ReplicaStatus)

	_, err = east.UpdateTable(ctx, provisioned)
	var inUse *types.ResourceInUseException
	require.ErrorAs(t, err, &inUse, "no second update while UPDATING")

	clock.Add(sim.durations.TableUpdate)
	e, err := east.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: table})
	require.NoError(t, err)
	require.Equal(t, types.TableStatusActive, e.Table.TableStatus)
	require.Equal(t, types.ReplicaStatusActive, e.Table.Replicas[0].ReplicaStatus)

	_, err = east.UpdateTable(ctx, provisioned)
	require.Equal(t, "ValidationException", ddbCode(t, err))
	require.Contains(t, err.Error(), "The provisioned throughput for the table will not change")

	j := journalOf(sim, "UpdateTable")
	changed := 0
	for _, e := range j {
		if e.Changed {
			changed++
		}
	}
	require.Len(t, j, 6, "every UpdateTable is journaled, refusals included")
	require.Equal(t, 1, changed, "exactly one UpdateTable changed the world")

	// Capacity alone changes a provisioned table; on an on-demand table it is refused.
	_, err = east.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: table,
		ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(2000), WriteCapacityUnits: aws.Int64(1000)}})
	require.NoError(t, err)
	clock.Add(sim.durations.TableUpdate)
	_, err = east.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("roadcall-vendors-prod"),
		ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(2000), WriteCapacityUnits: aws.Int64(1000)}})
	require.Equal(t, "ValidationException", ddbCode(t, err))

	// Four switches back to on-demand in 24 hours, then AWS refuses the fifth until the window rolls on.
	toOnDemand := &dynamodb.UpdateTableInput{TableName: table, BillingMode: types.BillingModePayPerRequest}
	for i := range 4 {
		_, err = east.UpdateTable(ctx, toOnDemand)
		require.NoError(t, err, "switch %d", i+1)
		clock.Add(time.Minute)
		_, err = east.UpdateTable(ctx, provisioned)
		require.NoError(t, err)
		clock.Add(time.Minute)
	}
	// The SDK treats LimitExceededException as a throttle and retries it; one attempt is enough here.
	_, err = east.UpdateTable(ctx, toOnDemand, func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 })
	var limit *types.LimitExceededException
	require.ErrorAs(t, err, &limit)
	require.Contains(t, limit.ErrorMessage(), "PayPerRequest")
	clock.Add(24 * time.Hour)
	_, err = east.UpdateTable(ctx, toOnDemand)
	require.NoError(t, err)
	clock.Add(time.Minute)
	d, err := east.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: table})
	require.NoError(t, err)
	require.Equal(t, types.BillingModePayPerRequest, d.Table.BillingModeSummary.BillingMode)
	require.Equal(t, int64(0), *d.Table.ProvisionedThroughput.ReadCapacityUnits)
	require.NotNil(t, d.Table.BillingModeSummary.LastUpdateToPayPerRequestDateTime)

	_, err = east.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("roadcall-nope-prod"), BillingMode: types.BillingModePayPerRequest})
	require.Equal(t, "ResourceNotFoundException", ddbCode(t, err))
}

func TestDynamoDBRestoreUndoesCorruption(t *testing.T) {
	sim, east, west, clock := startClocked(t)
	ctx := context.Background()
	src := "roadcall-incidents-prod"
	corruptedAt := clock.Now().Add(-30 * time.Minute)
	_, err := sim.AddFault(Fault{Kind: FaultCorruptedTable, Table: src, At: corruptedAt})
	require.NoError(t, err)

	for _, c := range []*dynamodb.Client{east, west} {
		bad := 0
		for _, it := range scanAll(t, c, src) {
			if statusOf(it) == "corrupted" {
				bad++
			}
		}
		require.Equal(t, SeedItems/2, bad, "corruption replicates to every replica")
	}

	restore := func(target string, at time.Time) (*dynamodb.RestoreTableToPointInTimeOutput, error) {
		return east.RestoreTableToPointInTime(ctx, &dynamodb.RestoreTableToPointInTimeInput{
			SourceTableName: aws.String(src), TargetTableName: aws.String(target), RestoreDateTime: aws.Time(at)})
	}
	before := corruptedAt.Add(-time.Minute)
	out, err := restore(src+"-restored", before)
	require.NoError(t, err)
	d := out.TableDescription
	require.Equal(t, types.TableStatusCreating, d.TableStatus)
	require.True(t, *d.RestoreSummary.RestoreInProgress)
	require.Equal(t, before, d.RestoreSummary.RestoreDateTime.UTC())
	require.Equal(t, "arn:aws:dynamodb:us-east-1:123456789012:table/roadcall-incidents-prod", *d.RestoreSummary.SourceTableArn)
	require.Empty(t, d.Replicas, "a restored table is not part of the global table")

	_, err = east.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(src + "-restored")})
	require.Equal(t, "ResourceNotFoundException", ddbCode(t, err), "a CREATING table serves no reads")
	_, err = restore(src+"-restored", before)
	require.Equal(t, "TableInUseException", ddbCode(t, err))

	clock.Add(sim.durations.TableRestore)
	desc, err := east.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(src + "-restored")})
	require.NoError(t, err)
	require.Equal(t, types.TableStatusActive, desc.Table.TableStatus)
	require.False(t, *desc.Table.RestoreSummary.RestoreInProgress)
	restored := scanAll(t, east, src+"-restored")
	require.Len(t, restored, SeedItems)
	for _, it := range restored {
		require.Equal(t, "ok", statusOf(it), "a restore to before the corruption yields the original items")
	}
	cb, err := east.DescribeContinuousBackups(ctx, &dynamodb.DescribeContinuousBackupsInput{TableName: aws.String(src + "-restored")})
	require.NoError(t, err)
	require.Equal(t, types.PointInTimeRecoveryStatusDisabled, cb.ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus,
		"AWS does not carry PITR over to a restored table")

	_, err = restore(src+"-late", corruptedAt.Add(time.Minute))
	require.NoError(t, err)
	clock.Add(sim.durations.TableRestore)
	bad := 0
	for _, it := range scanAll(t, east, src+"-late") {
		if statusOf(it) == "corrupted" {
			bad++
		}
	}
	require.Equal(t, SeedItems/2, bad, "a restore to after the corruption keeps it")

	latest, err := east.RestoreTableToPointInTime(ctx, &dynamodb.RestoreTableToPointInTimeInput{
		SourceTableName: aws.String(src), TargetTableName: aws.String(src + "-latest"), UseLatestRestorableTime: aws.Bool(true)})
	require.NoError(t, err)
	require.Equal(t, clock.Now().Add(-5*time.Minute), latest.TableDescription.RestoreSummary.RestoreDateTime.UTC())

	for _, tc := range []struct {
		name, source, target string
		at                   time.Time
		code                 string
	}{
		{"target exists", src, src + "-restored", before, "TableAlreadyExistsException"},
		{"source missing", "roadcall-nope-prod", "x-restored", before, "TableNotFoundException"},
		{"newer than latest restorable", src, "x-restored", clock.Now().Add(-time.Minute), "InvalidRestoreTimeException"},
		{"older than the recovery period", src, "x-restored", clock.Now().Add(-36 * 24 * time.Hour), "InvalidRestoreTimeException"},
		{"PITR off on the source", src + "-restored", "x-restored", before, "PointInTimeRecoveryUnavailableException"},
	} {
		_, err := east.RestoreTableToPointInTime(ctx, &dynamodb.RestoreTableToPointInTimeInput{
			SourceTableName: aws.String(tc.source), TargetTableName: aws.String(tc.target), RestoreDateTime: aws.Time(tc.at)})
		require.Equal(t, tc.code, ddbCode(t, err), tc.name)
	}
	var ire *types.InvalidRestoreTimeException
	_, err = restore("x-restored", clock.Now())
	require.ErrorAs(t, err, &ire)

	j := journalOf(sim, "RestoreTableToPointInTime")
	var made []string
	for _, e := range j {
		if e.Changed {
			made = append(made, e.Resource)
		}
	}
	require.Equal(t, []string{src + "-restored", src + "-late", src + "-latest"}, made)
	_, err = west.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(src + "-restored")})
	require.Equal(t, "ResourceNotFoundException", ddbCode(t, err), "a restore lands only in the region asked")
}

func TestDynamoDBCorruptionReplicatesWithLag(t *testing.T) {
	sim, east, west, clock := startClocked(t)
	_, err := sim.AddFault(Fault{Kind: FaultReplicationLag, Seconds: 120})
	require.NoError(t, err)
	_, err = sim.AddFault(Fault{Kind: FaultCorruptedTable, Table: "roadcall-users-prod"})
	require.NoError(t, err)
	count := func(c *dynamodb.Client) int {
		n := 0
		for _, it := range scanAll(t, c, "roadcall-users-prod") {
			if statusOf(it) == "corrupted" {
				n++
			}
		}
		return n
	}
	require.Equal(t, SeedItems/2, count(east))
	require.Zero(t, count(west), "the DR replica has not received the writes yet")
	clock.Add(2 * time.Minute)
	require.Equal(t, SeedItems/2, count(west))
}

func TestDynamoDBRetriesInjectedThrottling(t *testing.T) {
	sim, f, _ := start(t, Options{})
	ctx := context.Background()
	id, err := sim.AddFault(Fault{Kind: FaultError, Service: "dynamodb", Operation: "DescribeTable", Code: "ThrottlingException", Count: 1})
	require.NoError(t, err)
	_, err = f.DynamoDB("us-west-2").DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("roadcall-users-prod")})
	require.NoError(t, err, "the SDK retries a throttle and the second attempt succeeds")
	for _, fl := range sim.Faults() {
		if fl.ID == id {
			require.Equal(t, 1, fl.Fired)
		}
	}

	_, err = sim.AddFault(Fault{Kind: FaultThrottle, Service: "dynamodb", Rate: 1})
	require.NoError(t, err)
	_, err = f.DynamoDB("us-west-2").Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("roadcall-users-prod")},
		func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 })
	require.Equal(t, "ThrottlingException", ddbCode(t, err))
}

func TestDynamoDBTimeScaleZeroFinishesOnNextRead(t *testing.T) {
	sim, f, _ := start(t, Options{TimeScale: 0})
	ctx := context.Background()
	east := f.DynamoDB("us-east-1")
	// A single-region table: a global one would need write auto scaling to go PROVISIONED.
	sim.With(func(w *World) { w.Regions["us-east-1"].Tables["roadcall-users-prod"].Replicas = []string{"us-east-1"} })
	out, err := east.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("roadcall-users-prod"), BillingMode: types.BillingModeProvisioned,
		ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(10), WriteCapacityUnits: aws.Int64(10)}})
	require.NoError(t, err)
	require.Equal(t, types.TableStatusUpdating, out.TableDescription.TableStatus)
	d, err := east.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("roadcall-users-prod")})
	require.NoError(t, err)
	require.Equal(t, types.TableStatusActive, d.Table.TableStatus)
}

// TestDynamoDBRunbookThroughCLI runs the runbook's DynamoDB commands with the AWS CLI.
func TestDynamoDBRunbookThroughCLI(t *testing.T) {
	sim, _, url := start(t, Options{TimeScale: 0})

	out := awsCLI(t, url, "dynamodb", "describe-table", "--table-name", "roadcall-users-prod", "--region", "us-east-1")
	reps := out["Table"].(map[string]any)["Replicas"].([]any)
	require.Len(t, reps, 1)
	require.Equal(t, map[string]any{"RegionName": "us-west-2", "ReplicaStatus": "ACTIVE"}, reps[0])

	out = awsCLI(t, url, "dynamodb", "describe-continuous-backups", "--table-name", "roadcall-incidents-prod", "--region", "us-east-1")
	pitr := out["ContinuousBackupsDescription"].(map[string]any)["PointInTimeRecoveryDescription"].(map[string]any)
	require.Equal(t, "ENABLED", pitr["PointInTimeRecoveryStatus"])

	out = awsCLI(t, url, "dynamodb", "scan", "--table-name", "roadcall-users-prod", "--region", "us-west-2", "--limit", "1")
	require.NotEmpty(t, out["Items"])

	hourAgo := time.Now().UTC().Add(-time.Hour).Format("2006-01-02T15:04:05")
	out = awsCLI(t, url, "dynamodb", "restore-table-to-point-in-time", "--source-table-name", "roadcall-incidents-prod",
		"--target-table-name", "roadcall-incidents-prod-restored", "--restore-date-time", hourAgo, "--region", "us-east-1")
	td := out["TableDescription"].(map[string]any)
	require.Equal(t, "CREATING", td["TableStatus"])
	require.Equal(t, "roadcall-incidents-prod-restored", td["TableName"])
	sim.With(func(w *World) {
		tb := w.Regions["us-east-1"].Tables["roadcall-incidents-prod-restored"]
		require.NotNil(t, tb)
		require.Equal(t, hourAgo, tb.RestoredTo.UTC().Format("2006-01-02T15:04:05"))
	})

	// The runbook's update-table is refused on a global table, as AWS refuses it: see
	// TestRunbookUpdateTableRefusedOnGlobalTable for the auto-scaled form AWS accepts.
	raw, err := awsCLIRaw(t, url, "dynamodb", "update-table", "--table-name", "roadcall-incidents-prod", "--billing-mode", "PROVISIONED",
		"--provisioned-throughput", "ReadCapacityUnits=1000,WriteCapacityUnits=500", "--region", "us-east-1")
	require.Error(t, err)
	require.Contains(t, string(raw), "ValidationException")

	out = awsCLI(t, url, "dynamodb", "list-tables", "--region", "us-east-1")
	require.Contains(t, out["TableNames"], "roadcall-incidents-prod-restored")

	raw, err = awsCLIRaw(t, url, "dynamodb", "describe-table", "--table-name", "roadcall-nope-prod", "--region", "us-east-1")
	require.Error(t, err)
	require.Contains(t, string(raw), "ResourceNotFoundException")
}
