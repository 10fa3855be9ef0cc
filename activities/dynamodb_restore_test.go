package activities

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/roadcall/dr/internal/awsclient"
	"github.com/roadcall/dr/internal/awssim"
	"github.com/roadcall/dr/internal/topology"
)

// tickingClock advances a minute at every read, so modeled AWS durations (a 20-minute restore) pass after a
// few dozen polls with no sleeping, and every wait really polls more than once.
type tickingClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *tickingClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Minute)
	return c.t
}

// restoreSim serves an awssim seeded from the local topology. With tick, time is a tickingClock at scale 1;
// otherwise operations finish on the next read (scale 0).
func restoreSim(t *testing.T, tick bool) (*awssim.Server, *Activities, topology.Topology) {
	t.Helper()
	sim, acts, topo, _ := restoreSimURL(t, tick)
	return sim, acts, topo
}

// restoreSimURL is restoreSim that also returns the simulator's URL, for the AWS CLI.
func restoreSimURL(t *testing.T, tick bool) (*awssim.Server, *Activities, topology.Topology, string) {
	t.Helper()
	topo, err := topology.Load("../examples/roadcall-local.json")
	require.NoError(t, err)
	opts := awssim.Options{TimeScale: 0}
	if tick {
		c := &tickingClock{t: time.Now().UTC()}
		d := awssim.DefaultDurations()
		// Minutes rather than Lambda's seconds, so a function update is seen InProgress at least once.
		d.FunctionUpdate = 5 * time.Minute
		d.VersionPublish = 5 * time.Minute
		opts = awssim.Options{TimeScale: 1, Now: c.now, Durations: &d}
	}
	sim := awssim.New(topo, opts)
	hs := httptest.NewServer(sim)
	t.Cleanup(hs.Close)
	f, err := awsclient.New(context.Background(), awsclient.Static(hs.URL))
	require.NoError(t, err)
	acts := New(f)
	acts.PollInterval = time.Millisecond
	return sim, acts, topo, hs.URL
}

// journalOf returns the journal entries of one operation.
func journalOf(sim *awssim.Server, op string) []awssim.JournalEntry {
	var out []awssim.JournalEntry
	for _, e := range sim.Journal() {
		if e.Operation == op {
			out = append(out, e)
		}
	}
	return out
}

func appErrType(t *testing.T, err error) string {
	t.Helper()
	var ae *temporal.ApplicationError
	require.ErrorAs(t, err, &ae)
	return ae.Type()
}

func TestRestoreTableIsIdempotentAndWaitResumes(t *testing.T) {
	sim, acts, topo := restoreSim(t, true)
	ctx := context.Background()
	src := topo.Tables[0].Name
	var at time.Time
	sim.With(func(w *awssim.World) { at = w.Seeded.Add(-time.Hour) })
	in := TableRestoreInput{Region: topo.PrimaryRegion, Source: src, Target: src + "-restored-test", At: at}

	first, err := acts.RestoreTable(ctx, in)
	require.NoError(t, err)
	require.True(t, first.Created)
	require.Equal(t, "CREATING", first.Status)
	again, err := acts.RestoreTable(ctx, in)
	require.NoError(t, err)
	require.False(t, again.Created, "an existing restore of the same source and time is waited on, not started again")
	require.Len(t, journalOf(sim, "RestoreTableToPointInTime"), 1)

	st, err := acts.WaitTableActive(ctx, TableRef{Region: in.Region, Table: in.Target})
	require.NoError(t, err)
	require.Equal(t, "ACTIVE", st.Status)
	require.Greater(t, st.Progress.Polls, 1, "the wait must have seen CREATING first")

	// Same name, another time: not ours, refused rather than reused.
	other := in
	other.At = at.Add(-time.Hour)
	_, err = acts.RestoreTable(ctx, other)
	require.Equal(t, "TableAlreadyExistsException", appErrType(t, err))
	require.ErrorContains(t, err, in.Target)
	require.Len(t, journalOf(sim, "RestoreTableToPointInTime"), 1)
}

func TestRestoreTableOutsideWindowIsNonRetryable(t *testing.T) {
	sim, acts, topo := restoreSim(t, false)
	var seeded time.Time
	sim.With(func(w *awssim.World) { seeded = w.Seeded })
	_, err := acts.RestoreTable(context.Background(), TableRestoreInput{Region: topo.PrimaryRegion, Source: topo.Tables[0].Name,
		Target: "x-restored", At: seeded.Add(-60 * 24 * time.Hour)})
	require.Equal(t, "InvalidRestoreTimeException", appErrType(t, err))
	var ae *temporal.ApplicationError
	require.ErrorAs(t, err, &ae)
	require.True(t, ae.NonRetryable())
	require.ErrorContains(t, err, topo.PrimaryRegion)
}

func TestEnableTablePITROnRestoredTable(t *testing.T) {
	sim, acts, topo := restoreSim(t, false)
	ctx := context.Background()
	src := topo.Tables[1].Name
	var at time.Time
	sim.With(func(w *awssim.World) { at = w.Seeded.Add(-time.Hour) })
	target := src + "-restored-pitr"
	_, err := acts.RestoreTable(ctx, TableRestoreInput{Region: topo.PrimaryRegion, Source: src, Target: target, At: at})
	require.NoError(t, err)
	_, err = acts.WaitTableActive(ctx, TableRef{Region: topo.PrimaryRegion, Table: target})
	require.NoError(t, err)
	ref := TableRef{Region: topo.PrimaryRegion, Table: target}
	before, err := acts.DescribeContinuousBackups(ctx, ref)
	require.NoError(t, err)
	require.False(t, before.Enabled, "a restored table does not inherit PITR")
	ch, err := acts.EnableTablePITR(ctx, ref)
	require.NoError(t, err)
	require.True(t, ch.Changed)
	ch, err = acts.EnableTablePITR(ctx, ref)
	require.NoError(t, err)
	require.False(t, ch.Changed)
	j := journalOf(sim, "UpdateContinuousBackups")
	require.Len(t, j, 1, "the second call finds PITR on and makes no call")
	require.True(t, j[0].Changed)
	after, err := acts.DescribeContinuousBackups(ctx, ref)
	require.NoError(t, err)
	require.True(t, after.Enabled)
}

func TestCountAndProbeSeeCorruptionOnlyInTheSource(t *testing.T) {
	sim, acts, topo := restoreSim(t, false)
	ctx := context.Background()
	tb := topo.Tables[0]
	var seeded time.Time
	sim.With(func(w *awssim.World) { seeded = w.Seeded })
	_, err := sim.AddFault(awssim.Fault{Kind: awssim.FaultCorruptedTable, Table: tb.Name, At: seeded.Add(-10 * time.Minute)})
	require.NoError(t, err)
	target := tb.Name + "-restored-probe"
	_, err = acts.RestoreTable(ctx, TableRestoreInput{Region: topo.PrimaryRegion, Source: tb.Name, Target: target, At: seeded.Add(-time.Hour)})
	require.NoError(t, err)
	_, err = acts.WaitTableActive(ctx, TableRef{Region: topo.PrimaryRegion, Table: target})
	require.NoError(t, err)

	src, err := acts.CountItems(ctx, ItemCountInput{Region: topo.PrimaryRegion, Table: tb.Name, Max: 1000})
	require.NoError(t, err)
	dst, err := acts.CountItems(ctx, ItemCountInput{Region: topo.PrimaryRegion, Table: target, Max: 1000})
	require.NoError(t, err)
	require.True(t, src.Complete)
	require.Equal(t, int64(awssim.SeedItems), src.Count)
	require.Equal(t, src.Count, dst.Count)

	bounded, err := acts.CountItems(ctx, ItemCountInput{Region: topo.PrimaryRegion, Table: tb.Name, Max: 7})
	require.NoError(t, err)
	require.False(t, bounded.Complete, "the count stops at its bound")
	require.Equal(t, int64(7), bounded.Count)

	keys := append(append([]map[string]string(nil), tb.IntegrityKeys...), map[string]string{"pk": "USER#9999"})
	sp, err := acts.ProbeItems(ctx, ItemProbeInput{Region: topo.PrimaryRegion, Table: tb.Name, Keys: keys})
	require.NoError(t, err)
	rp, err := acts.ProbeItems(ctx, ItemProbeInput{Region: topo.PrimaryRegion, Table: target, Keys: keys})
	require.NoError(t, err)
	require.Equal(t, "pk=USER#0001", sp[0].Key)
	require.True(t, sp[0].Found)
	require.True(t, rp[0].Found)
	require.NotEqual(t, sp[0].Digest, rp[0].Digest, "USER#0001 is corrupted in the source and clean in the restore")
	require.False(t, sp[1].Found)
	require.False(t, rp[1].Found)

	// The restored item really is the pre-corruption one.
	got, err := acts.AWS.DynamoDB(topo.PrimaryRegion).GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(target),
		Key: map[string]dtypes.AttributeValue{"pk": &dtypes.AttributeValueMemberS{Value: "USER#0001"}}})
	require.NoError(t, err)
	require.Equal(t, &dtypes.AttributeValueMemberS{Value: "ok"}, got.Item["status"])
}

func TestWaitTableActiveResumesFromHeartbeat(t *testing.T) {
	_, acts, topo := restoreSim(t, false)
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(acts)
	since := time.Now().Add(-10 * time.Minute).UTC()
	env.SetHeartbeatDetails(Progress{Since: since, Polls: 7, LastSeen: "CREATING"})
	v, err := env.ExecuteActivity(acts.WaitTableActive, TableRef{Region: topo.PrimaryRegion, Table: topo.Tables[0].Name})
	require.NoError(t, err)
	var st TableState
	require.NoError(t, v.Get(&st))
	require.Equal(t, 8, st.Progress.Polls, "a retried attempt continues the count")
	require.True(t, st.Progress.Since.Equal(since), "and keeps when the wait started")
}
