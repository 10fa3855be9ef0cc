package activities

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"go.temporal.io/sdk/temporal"
)

// Billing modes as DynamoDB names them.
const (
	BillingProvisioned   = "PROVISIONED"
	BillingPayPerRequest = "PAY_PER_REQUEST"
)

// TableCapacity is a table's billing mode and, when PROVISIONED, its read and write capacity units.
type TableCapacity struct {
	BillingMode   string `json:"billingMode"`
	ReadCapacity  int64  `json:"readCapacity,omitempty"`
	WriteCapacity int64  `json:"writeCapacity,omitempty"`
	// AutoScaled says the setting includes the table's auto scaling: AutoScaling is then exactly its
	// scalable targets (none means none), and applying the setting registers, updates and deregisters
	// Application Auto Scaling targets and policies to match. Without it auto scaling is left alone.
	AutoScaled  bool            `json:"autoScaled,omitempty"`
	AutoScaling []ScalingTarget `json:"autoScaling,omitempty"`
}

// String renders the setting as an operator reads it.
func (c TableCapacity) String() string {
	s := fmt.Sprintf("PROVISIONED %d read / %d write", c.ReadCapacity, c.WriteCapacity)
	if c.BillingMode == BillingPayPerRequest {
		s = "PAY_PER_REQUEST (on-demand)"
	}
	if !c.AutoScaled {
		return s
	}
	if len(c.AutoScaling) == 0 {
		return s + ", no auto scaling"
	}
	var as []string
	for _, t := range c.AutoScaling {
		as = append(as, t.String())
	}
	return s + ", " + strings.Join(as, ", ")
}

// same reports whether the table already has the target setting; capacity only matters when PROVISIONED,
// and auto scaling only when the target includes it.
func (c TableCapacity) same(o TableCapacity) bool {
	if c.BillingMode != o.BillingMode {
		return false
	}
	if c.BillingMode == BillingProvisioned && (c.ReadCapacity != o.ReadCapacity || c.WriteCapacity != o.WriteCapacity) {
		return false
	}
	if !o.AutoScaled {
		return true
	}
	if len(c.AutoScaling) != len(o.AutoScaling) {
		return false
	}
	for i := range c.AutoScaling {
		if !c.AutoScaling[i].same(o.AutoScaling[i]) {
			return false
		}
	}
	return true
}

func capacityOf(t TableInfo) TableCapacity {
	c := TableCapacity{BillingMode: t.BillingMode}
	if c.BillingMode != BillingPayPerRequest {
		c.ReadCapacity, c.WriteCapacity = t.ReadCapacity, t.WriteCapacity
	}
	return c
}

// CapacityChange sets a table's billing mode and capacity.
type CapacityChange struct {
	Region string        `json:"region"`
	Table  string        `json:"table"`
	Target TableCapacity `json:"target"`
}

// CapacityResult says what the table had before, what it has now, and whether a call changed it.
type CapacityResult struct {
	Table    string        `json:"table"`
	Region   string        `json:"region"`
	Previous TableCapacity `json:"previous"`
	Current  TableCapacity `json:"current"`
	Changed  bool          `json:"changed"`
	Progress Progress      `json:"progress"`
}

// SetTableCapacity brings a table to the target billing mode and capacity and waits until it is ACTIVE
// again. It reads DescribeTable first: a table already at the target gets no call (UpdateTable would
// refuse an unchanged throughput anyway), and a table still UPDATING from an earlier attempt is waited
// for before it is compared. Run it with heartbeats: a retried attempt resumes the wait.
func (a *Activities) SetTableCapacity(ctx context.Context, in CapacityChange) (CapacityResult, error) {
	if in.Target.BillingMode != BillingProvisioned && in.Target.BillingMode != BillingPayPerRequest {
		return CapacityResult{}, refuse("ValidationException", "dynamodb:UpdateTable %s in %s: billing mode %q is not %s or %s",
			in.Table, in.Region, in.Target.BillingMode, BillingProvisioned, BillingPayPerRequest)
	}
	ref := TableRef{Region: in.Region, Table: in.Table}
	res := CapacityResult{Table: in.Table, Region: in.Region}
	info, p, err := a.waitTableActive(ctx, ref)
	res.Progress = p
	if err != nil {
		return res, err
	}
	if in.Target.AutoScaled {
		return a.setAutoScaledCapacity(ctx, in, info, res)
	}
	res.Previous, res.Current = capacityOf(info), capacityOf(info)
	if res.Previous.same(in.Target) {
		return res, nil
	}
	if err := a.updateTable(ctx, in, res.Previous); err != nil {
		return res, err
	}
	res.Changed = true
	info, p, err = a.waitTableActive(ctx, ref)
	res.Progress = p
	if err != nil {
		return res, err
	}
	res.Current = capacityOf(info)
	return res, nil
}

// setAutoScaledCapacity brings the table's billing, capacity and auto scaling (in every replica region) to
// the target. The order keeps each call one AWS accepts on a global table: going PROVISIONED, the write
// auto scaling is registered before UpdateTable; going on-demand, UpdateTable comes first and the targets
// are deregistered after. Everything is read first, so a retried attempt carries on where one stopped.
func (a *Activities) setAutoScaledCapacity(ctx context.Context, in CapacityChange, info TableInfo, res CapacityResult) (CapacityResult, error) {
	ref := TableRef{Region: in.Region, Table: in.Table}
	regions := replicaRegions(info)
	read := func(info TableInfo) (TableCapacity, error) {
		c := capacityOf(info)
		c.AutoScaled = true
		var err error
		c.AutoScaling, err = a.readAutoScaling(ctx, in.Table, regions)
		return c, err
	}
	cur, err := read(info)
	if err != nil {
		return res, err
	}
	res.Previous, res.Current = cur, cur
	target := in.Target
	target.AutoScaling = expandTargets(target.AutoScaling, regions)
	if cur.same(target) {
		return res, nil
	}
	bare := target
	bare.AutoScaled = false
	if target.BillingMode == BillingPayPerRequest && !capacityOf(info).same(bare) {
		if err := a.updateTable(ctx, in, cur); err != nil {
			return res, err
		}
		res.Changed = true
		if info, res.Progress, err = a.waitTableActive(ctx, ref); err != nil {
			return res, err
		}
	}
	changed, err := a.syncAutoScaling(ctx, in.Table, regions, cur.AutoScaling, target.AutoScaling)
	res.Changed = res.Changed || changed
	if err != nil {
		return res, err
	}
	// Registering a target moves a PROVISIONED table's capacity into its range: wait, then compare again.
	if info, res.Progress, err = a.waitTableActive(ctx, ref); err != nil {
		return res, err
	}
	if target.BillingMode == BillingProvisioned && !capacityOf(info).same(bare) {
		if err := a.updateTable(ctx, in, capacityOf(info)); err != nil {
			return res, err
		}
		res.Changed = true
		if info, res.Progress, err = a.waitTableActive(ctx, ref); err != nil {
			return res, err
		}
	}
	res.Current, err = read(info)
	return res, err
}

// updateTable sends UpdateTable for the target's billing mode and capacity; prev is what the table has, for
// the explanation of a refusal.
func (a *Activities) updateTable(ctx context.Context, in CapacityChange, prev TableCapacity) error {
	up := &dynamodb.UpdateTableInput{TableName: aws.String(in.Table), BillingMode: types.BillingMode(in.Target.BillingMode)}
	if in.Target.BillingMode == BillingProvisioned {
		up.ProvisionedThroughput = &types.ProvisionedThroughput{
			ReadCapacityUnits: aws.Int64(in.Target.ReadCapacity), WriteCapacityUnits: aws.Int64(in.Target.WriteCapacity)}
	}
	if _, err := a.AWS.DynamoDB(in.Region).UpdateTable(ctx, up, limitsAreFinal); err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorCode() == "LimitExceededException" {
			return limitRefusal(in, prev, ae)
		}
		return classify(err, "dynamodb:UpdateTable", in.Table, in.Region)
	}
	return nil
}

// limitsAreFinal stops the SDK from retrying UpdateTable's LimitExceededException. The SDK counts the code
// as throttling, but for UpdateTable it is a limit of hours (on-demand switches in 24 h, decreases a day):
// retrying only delays the refusal that limitRefusal explains, and journals it several times.
func limitsAreFinal(o *dynamodb.Options) {
	if r, ok := o.Retryer.(aws.RetryerV2); ok {
		o.Retryer = limitsFinalRetryer{r}
	}
}

type limitsFinalRetryer struct{ aws.RetryerV2 }

func (r limitsFinalRetryer) IsErrorRetryable(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "LimitExceededException" {
		return false
	}
	return r.RetryerV2.IsErrorRetryable(err)
}

// waitTableActive polls DescribeTable until the table is ACTIVE (judged as WaitTableActive judges it) and
// returns what it read last.
func (a *Activities) waitTableActive(ctx context.Context, ref TableRef) (TableInfo, Progress, error) {
	var info TableInfo
	w := &tableWait{ref: ref}
	p, err := a.waitFor(ctx, func(ctx context.Context) (bool, string, error) {
		out, done, seen, err := w.poll(ctx, a)
		if out != nil {
			info = tableInfoOf(ref, out)
		}
		return done, seen, err
	})
	return info, p, err
}

// limitRefusal explains DynamoDB's per-table limits: how often a table may switch to on-demand, and how
// often provisioned throughput may be decreased in a day. Retrying cannot help until AWS's window passes,
// so those are non-retryable; the concurrent-operations limit is transient and retryable.
func limitRefusal(in CapacityChange, prev TableCapacity, ae smithy.APIError) error {
	msg := fmt.Sprintf("dynamodb:UpdateTable %s in %s: AWS refused %s (table now %s): %s: %s",
		in.Table, in.Region, in.Target, prev, ae.ErrorCode(), ae.ErrorMessage())
	cmd := fmt.Sprintf("aws dynamodb update-table --table-name %s --billing-mode %s --region %s", in.Table, in.Target.BillingMode, in.Region)
	if in.Target.BillingMode == BillingProvisioned {
		cmd += fmt.Sprintf(" --provisioned-throughput ReadCapacityUnits=%d,WriteCapacityUnits=%d", in.Target.ReadCapacity, in.Target.WriteCapacity)
	}
	switch m := strings.ToLower(ae.ErrorMessage()); {
	case strings.Contains(m, "payperrequest") || strings.Contains(m, "pay_per_request"):
		msg += ". DynamoDB limits how many times a table may switch to on-demand in 24 hours; the table keeps its current setting, which is safe. Leave it until the time AWS names, then run: " + cmd
	case strings.Contains(m, "decrease"):
		msg += ". DynamoDB limits provisioned-throughput decreases per table per day; the table keeps its current (higher) capacity, which is safe. Apply the decrease after the limit resets: " + cmd
	default:
		// DynamoDB's other LimitExceededException is its limit on concurrent control-plane operations ("up to
		// 500 simultaneous table operations", the LimitExceededException shape in DynamoDB's model): it
		// passes as they finish, so the step retries.
		msg += ". The account's concurrent table operations are at DynamoDB's limit; the step retries as they finish: " + cmd
		return temporal.NewApplicationError(msg, ae.ErrorCode())
	}
	return refuse(ae.ErrorCode(), "%s", msg)
}

// dynamoOperations are the operations DynamoDB publishes ThrottledRequests for.
var dynamoOperations = []string{"GetItem", "BatchGetItem", "Query", "Scan", "PutItem", "UpdateItem", "DeleteItem",
	"BatchWriteItem", "TransactGetItems", "TransactWriteItems", "ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction"}

// ThrottleQuery asks for a table's throttled requests over the window that ends now.
type ThrottleQuery struct {
	Region string        `json:"region"`
	Table  string        `json:"table"`
	Window time.Duration `json:"window"`
}

// GetTableThrottledRequests sums a table's ThrottledRequests over its operations, one point a minute.
// CloudWatch publishes the metric per TableName and Operation only, so a query by TableName alone finds
// nothing in AWS; one GetMetricData call asks for every operation, and operations without traffic add 0.
func (a *Activities) GetTableThrottledRequests(ctx context.Context, q ThrottleQuery) (MetricResult, error) {
	end := time.Now().UTC().Truncate(time.Minute).Add(time.Minute)
	window := q.Window
	if window <= 0 {
		window = 15 * time.Minute
	}
	queries := make([]cwtypes.MetricDataQuery, len(dynamoOperations))
	for i, op := range dynamoOperations {
		queries[i] = cwtypes.MetricDataQuery{Id: aws.String(fmt.Sprintf("op%d", i)), MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{Namespace: aws.String("AWS/DynamoDB"), MetricName: aws.String("ThrottledRequests"),
				Dimensions: []cwtypes.Dimension{{Name: aws.String("TableName"), Value: aws.String(q.Table)}, {Name: aws.String("Operation"), Value: aws.String(op)}}},
			Period: aws.Int32(60), Stat: aws.String("Sum")}}
	}
	in := &cloudwatch.GetMetricDataInput{StartTime: aws.Time(end.Add(-window)), EndTime: aws.Time(end),
		ScanBy: cwtypes.ScanByTimestampAscending, MetricDataQueries: queries}
	perMinute := map[time.Time]float64{}
	p := cloudwatch.NewGetMetricDataPaginator(a.AWS.CloudWatch(q.Region), in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return MetricResult{}, classify(err, "cloudwatch:GetMetricData", "AWS/DynamoDB ThrottledRequests TableName="+q.Table, q.Region)
		}
		for _, r := range out.MetricDataResults {
			for i, ts := range r.Timestamps {
				if i < len(r.Values) {
					perMinute[ts.UTC()] += r.Values[i]
				}
			}
		}
	}
	var res MetricResult
	for ts, v := range perMinute {
		res.Points = append(res.Points, Point{T: ts, V: v})
	}
	sort.Slice(res.Points, func(i, j int) bool { return res.Points[i].T.Before(res.Points[j].T) })
	for i, pt := range res.Points {
		if i == 0 || pt.V > res.Max {
			res.Max = pt.V
		}
		res.Sum += pt.V
		res.Last = pt.V
	}
	if n := len(res.Points); n > 0 {
		res.Avg = res.Sum / float64(n)
	}
	return res, nil
}
