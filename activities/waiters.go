package activities

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// The waits poll with waitFor (their own loop, so they heartbeat and a retried attempt resumes from the
// heartbeat), but each poll is judged by the acceptors of the Go SDK's own waiter for that resource. The SDK
// exposes them as its waiter options' Retryable function, which answers (retry, nil) to go on polling,
// (false, nil) on a success state and an error on a failure state. Taking the function from the SDK, not
// copying its states, keeps our waits in step with AWS's waiter definitions (botocore's waiters-2.json,
// from which the SDK generates them) whenever the SDK is upgraded.

// ErrFailureState is the type of a wait that met a state its SDK waiter treats as failure: the resource
// will never reach the awaited state (a restore that failed, a cluster being deleted), so waiting until
// the activity's timeout only hides it. It is non-retryable.
const ErrFailureState = "WaiterFailureState"

// verdict is one poll's outcome under a waiter's acceptors.
type verdict int

const (
	pollAgain verdict = iota
	pollSuccess
	pollFailure
)

func verdictOf(retry bool, err error) verdict {
	switch {
	case err != nil:
		return pollFailure
	case retry:
		return pollAgain
	}
	return pollSuccess
}

// The SDK's acceptors, read out of its waiter constructors: the options functions run after the
// constructor has set its default Retryable, so they see the SDK's own.
var (
	clusterAvailable = func() (f func(context.Context, *rds.DescribeDBClustersInput, *rds.DescribeDBClustersOutput, error) (bool, error)) {
		rds.NewDBClusterAvailableWaiter(nil, func(o *rds.DBClusterAvailableWaiterOptions) { f = o.Retryable })
		return f
	}()
	instanceAvailable = func() (f func(context.Context, *rds.DescribeDBInstancesInput, *rds.DescribeDBInstancesOutput, error) (bool, error)) {
		rds.NewDBInstanceAvailableWaiter(nil, func(o *rds.DBInstanceAvailableWaiterOptions) { f = o.Retryable })
		return f
	}()
	snapshotAvailable = func() (f func(context.Context, *rds.DescribeDBClusterSnapshotsInput, *rds.DescribeDBClusterSnapshotsOutput, error) (bool, error)) {
		rds.NewDBClusterSnapshotAvailableWaiter(nil, func(o *rds.DBClusterSnapshotAvailableWaiterOptions) { f = o.Retryable })
		return f
	}()
	tableExists = func() (f func(context.Context, *dynamodb.DescribeTableInput, *dynamodb.DescribeTableOutput, error) (bool, error)) {
		dynamodb.NewTableExistsWaiter(nil, func(o *dynamodb.TableExistsWaiterOptions) { f = o.Retryable })
		return f
	}()
	stackUpdateComplete = func() (f func(context.Context, *cloudformation.DescribeStacksInput, *cloudformation.DescribeStacksOutput, error) (bool, error)) {
		cloudformation.NewStackUpdateCompleteWaiter(nil, func(o *cloudformation.StackUpdateCompleteWaiterOptions) { f = o.Retryable })
		return f
	}()
)

// clusterVerdict judges a cluster's status by the SDK's DBClusterAvailable waiter.
func clusterVerdict(ctx context.Context, c rdstypes.DBCluster) verdict {
	return verdictOf(clusterAvailable(ctx, nil, &rds.DescribeDBClustersOutput{DBClusters: []rdstypes.DBCluster{c}}, nil))
}

// instanceVerdict judges an instance's status by the SDK's DBInstanceAvailable waiter.
func instanceVerdict(ctx context.Context, in rdstypes.DBInstance) verdict {
	return verdictOf(instanceAvailable(ctx, nil, &rds.DescribeDBInstancesOutput{DBInstances: []rdstypes.DBInstance{in}}, nil))
}

// snapshotVerdict judges a cluster snapshot's status by the SDK's DBClusterSnapshotAvailable waiter.
func snapshotVerdict(ctx context.Context, status string) verdict {
	return verdictOf(snapshotAvailable(ctx, nil, &rds.DescribeDBClusterSnapshotsOutput{
		DBClusterSnapshots: []rdstypes.DBClusterSnapshot{{Status: &status}}}, nil))
}

// stackUpdateVerdict judges a stack's status by the SDK's StackUpdateComplete waiter.
func stackUpdateVerdict(ctx context.Context, status string) verdict {
	return verdictOf(stackUpdateComplete(ctx, nil, &cloudformation.DescribeStacksOutput{
		Stacks: []cfntypes.Stack{{StackStatus: cfntypes.StackStatus(status)}}}, nil))
}

// tableFailureStates are the table statuses from which a table never becomes ACTIVE by waiting. The SDK's
// TableExists waiter has no failure acceptor (it polls them until its own time runs out); our waits run for
// hours, so they add these, from the TableStatus documentation in DynamoDB's service model: DELETING (the
// table is going away), INACCESSIBLE_ENCRYPTION_CREDENTIALS, ARCHIVING and ARCHIVED (its KMS key is
// unusable; an operator must restore access or the table is archived).
var tableFailureStates = map[string]bool{"DELETING": true, "INACCESSIBLE_ENCRYPTION_CREDENTIALS": true, "ARCHIVING": true, "ARCHIVED": true}

// tableNotFoundPolls bounds how many consecutive ResourceNotFoundException answers a table wait retries:
// DescribeTable is eventually consistent right after CreateTable or a restore, and the SDK's TableExists
// waiter retries on it, for at most botocore's maxAttempts (25). A table still missing after that is gone.
const tableNotFoundPolls = 25

// tableVerdict judges one DescribeTable answer (output or error) by the SDK's TableExists waiter, plus
// tableFailureStates. An error the waiter does not retry is returned for the caller to classify.
func tableVerdict(ctx context.Context, out *dynamodb.DescribeTableOutput, err error) (verdict, error) {
	if err == nil && out.Table != nil && tableFailureStates[string(out.Table.TableStatus)] {
		return pollFailure, nil
	}
	retry, ferr := tableExists(ctx, nil, out, err)
	if ferr != nil {
		return pollFailure, ferr
	}
	return verdictOf(retry, nil), nil
}

// failureState is the non-retryable error of a wait that met a failure state, naming resource and state.
func failureState(kind, name, region, state, waiter, hint string) error {
	msg := fmt.Sprintf("%s %s in %s is %s, a failure state of the SDK's %s waiter: it will not become ready by waiting", kind, name, region, state, waiter)
	if hint != "" {
		msg += "; " + hint
	}
	return refuse(ErrFailureState, "%s", msg)
}

// rdsFailureHint says what an operator does about an RDS failure state.
func rdsFailureHint(state string) string {
	switch {
	case strings.HasPrefix(state, "incompatible-"):
		return "see its events (aws rds describe-events); delete it and restore again once the cause is fixed"
	case strings.HasPrefix(state, "delet"):
		return "something is deleting it; restore again under a new identifier"
	}
	return "see its events (aws rds describe-events) and retry the step once it is replaced"
}

// tableWait is one table wait's memory across polls: how many ResourceNotFoundException answers in a row.
type tableWait struct {
	ref      TableRef
	notFound int
}

// poll reads the table once and judges it: done on ACTIVE; on ResourceNotFoundException it polls again
// (DescribeTable is eventually consistent after a create or restore, which is why the SDK's TableExists
// waiter retries it), up to tableNotFoundPolls in a row; a failure state fails at once.
func (w *tableWait) poll(ctx context.Context, a *Activities) (*dynamodb.DescribeTableOutput, bool, string, error) {
	out, err := a.AWS.DynamoDB(w.ref.Region).DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &w.ref.Table})
	v, ferr := tableVerdict(ctx, out, err)
	if ferr != nil {
		return nil, false, "", classify(ferr, "dynamodb:DescribeTable", w.ref.Table, w.ref.Region)
	}
	if err != nil {
		if w.notFound++; w.notFound >= tableNotFoundPolls {
			return nil, false, "not found", classify(err, "dynamodb:DescribeTable", w.ref.Table, w.ref.Region)
		}
		return nil, false, "not found yet (DescribeTable is eventually consistent)", nil
	}
	w.notFound = 0
	status := string(out.Table.TableStatus)
	switch v {
	case pollFailure:
		return out, false, status, failureState("dynamodb table", w.ref.Table, w.ref.Region, status, "TableExists", "it will not become ACTIVE; see the table in the console or aws dynamodb describe-table")
	case pollSuccess:
		return out, true, status, nil
	}
	return out, false, status, nil
}

var functionUpdated = func() (f func(context.Context, *lambda.GetFunctionConfigurationInput, *lambda.GetFunctionConfigurationOutput, error) (bool, error)) {
	lambda.NewFunctionUpdatedWaiter(nil, func(o *lambda.FunctionUpdatedWaiterOptions) { f = o.Retryable })
	return f
}()

// functionUpdatedVerdict judges a function's LastUpdateStatus by the SDK's FunctionUpdated waiter.
// functionConfig has already read an absent status (a function never updated) as Successful.
func functionUpdatedVerdict(ctx context.Context, status lambdatypes.LastUpdateStatus) verdict {
	return verdictOf(functionUpdated(ctx, nil, &lambda.GetFunctionConfigurationOutput{LastUpdateStatus: status}, nil))
}
