package activities

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/temporal"
)

// URLCheckInput is an HTTP health URL to GET.
type URLCheckInput struct {
	Region  string        `json:"region"`
	URL     string        `json:"url"`
	Timeout time.Duration `json:"timeout,omitempty"`
}

// URLCheckResult is the answer of a health URL.
type URLCheckResult struct {
	URL     string        `json:"url"`
	Status  int           `json:"status"`
	Latency time.Duration `json:"latency"`
}

// CheckHealthURL is the runbook's `curl .../health`: a 2xx passes; anything else is a retryable error,
// because a freshly activated region may need a moment before it answers.
func (a *Activities) CheckHealthURL(ctx context.Context, in URLCheckInput) (URLCheckResult, error) {
	timeout := in.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	start := time.Now()
	st, err := a.getURL(ctx, in.URL, timeout)
	res := URLCheckResult{URL: in.URL, Status: st, Latency: time.Since(start)}
	if err != nil {
		return res, temporal.NewApplicationError(fmt.Sprintf("health URL of %s: %v", in.Region, err), "HealthCheckFailed")
	}
	if st < 200 || st > 299 {
		return res, temporal.NewApplicationError(fmt.Sprintf("health URL of %s: GET %s answered HTTP %d", in.Region, in.URL, st), "HealthCheckFailed")
	}
	return res, nil
}

// FunctionsInput lists the functions expected in a region; Prefix narrows the listing as the runbook's
// starts_with(FunctionName, `roadcall`) query does.
type FunctionsInput struct {
	Region string   `json:"region"`
	Prefix string   `json:"prefix"`
	Expect []string `json:"expect"`
}

// FunctionsResult lists what was found.
type FunctionsResult struct {
	Found   []string `json:"found"`
	Missing []string `json:"missing,omitempty"`
}

// ListFunctionsByPrefix lists the region's Lambda functions whose names start with Prefix and fails, without
// retries, when an expected function is missing: a missing function is not transient.
func (a *Activities) ListFunctionsByPrefix(ctx context.Context, in FunctionsInput) (FunctionsResult, error) {
	var res FunctionsResult
	p := lambda.NewListFunctionsPaginator(a.AWS.Lambda(in.Region), &lambda.ListFunctionsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return res, classify(err, "lambda:ListFunctions", "functions "+in.Prefix+"*", in.Region)
		}
		for _, f := range out.Functions {
			if name := aws.ToString(f.FunctionName); strings.HasPrefix(name, in.Prefix) {
				res.Found = append(res.Found, name)
			}
		}
	}
	slices.Sort(res.Found)
	for _, e := range in.Expect {
		if !slices.Contains(res.Found, e) {
			res.Missing = append(res.Missing, e)
		}
	}
	if len(res.Missing) > 0 {
		return res, refuse("FunctionsMissing", "lambda:ListFunctions in %s: %d expected function(s) missing: %s", in.Region, len(res.Missing), strings.Join(res.Missing, ", "))
	}
	return res, nil
}

// ScanResult is what `aws dynamodb scan --limit 1` saw.
type ScanResult struct {
	Table  string `json:"table"`
	Region string `json:"region"`
	Count  int32  `json:"count"`
}

// ScanOne reads one item: it proves the table answers reads in the region, not that it holds data.
func (a *Activities) ScanOne(ctx context.Context, in TableRef) (ScanResult, error) {
	out, err := a.AWS.DynamoDB(in.Region).Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(in.Table), Limit: aws.Int32(1)})
	if err != nil {
		return ScanResult{Table: in.Table, Region: in.Region}, classify(err, "dynamodb:Scan", in.Table, in.Region)
	}
	return ScanResult{Table: in.Table, Region: in.Region, Count: out.Count}, nil
}

// DBCheckInput names the writer to test and the worker environment variable holding its DSN: the DSN has a
// password, so it never travels through workflow history.
type DBCheckInput struct {
	Region    string        `json:"region"`
	ClusterID string        `json:"clusterId"`
	DSNEnv    string        `json:"dsnEnv,omitempty"`
	Timeout   time.Duration `json:"timeout,omitempty"`
}

// DBCheckResult is the runbook's `psql -c "SELECT 1"`, plus whether the server accepts writes.
type DBCheckResult struct {
	Skipped    bool   `json:"skipped"`
	Reason     string `json:"reason,omitempty"`
	Selected   int    `json:"selected,omitempty"`
	InRecovery bool   `json:"inRecovery"`
	Server     string `json:"server,omitempty"`
}

// CheckDatabaseWriter connects to the DR writer, runs SELECT 1 and checks pg_is_in_recovery() is false (a
// server in recovery is still a replica and refuses writes). With no DSN configured it reports skipped.
func (a *Activities) CheckDatabaseWriter(ctx context.Context, in DBCheckInput) (DBCheckResult, error) {
	where := fmt.Sprintf("DR writer of %s in %s", in.ClusterID, in.Region)
	if in.DSNEnv == "" {
		return DBCheckResult{Skipped: true, Reason: "no aurora.dsnEnv in the topology"}, nil
	}
	getenv := a.Getenv
	if getenv == nil {
		return DBCheckResult{Skipped: true, Reason: "the worker has no environment reader"}, nil
	}
	dsn := getenv(in.DSNEnv)
	if dsn == "" {
		return DBCheckResult{Skipped: true, Reason: fmt.Sprintf("the worker's environment variable %s is empty", in.DSNEnv)}, nil
	}
	timeout := in.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	c, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// The parse error may quote the DSN, password included: say only which variable is wrong.
		return DBCheckResult{}, refuse("InvalidDSN", "%s: the DSN in %s does not parse as a Postgres connection string", where, in.DSNEnv)
	}
	conn, err := pgx.ConnectConfig(c, cfg)
	if err != nil {
		return DBCheckResult{}, temporal.NewApplicationError(fmt.Sprintf("%s: connect to %s:%d as %s: %v", where, cfg.Host, cfg.Port, cfg.User, redact(err, cfg.Password)), "DatabaseUnreachable")
	}
	defer conn.Close(context.WithoutCancel(ctx))
	res := DBCheckResult{Server: fmt.Sprintf("%s:%d/%s", cfg.Host, cfg.Port, cfg.Database)}
	if err := conn.QueryRow(c, "SELECT 1").Scan(&res.Selected); err != nil {
		return res, temporal.NewApplicationError(fmt.Sprintf("%s: SELECT 1: %v", where, redact(err, cfg.Password)), "DatabaseQueryFailed")
	}
	if err := conn.QueryRow(c, "SELECT pg_is_in_recovery()").Scan(&res.InRecovery); err != nil {
		return res, temporal.NewApplicationError(fmt.Sprintf("%s: pg_is_in_recovery(): %v", where, redact(err, cfg.Password)), "DatabaseQueryFailed")
	}
	if res.InRecovery {
		return res, temporal.NewApplicationError(fmt.Sprintf("%s: %s is in recovery (still a replica): it does not accept writes yet", where, res.Server), "DatabaseInRecovery")
	}
	return res, nil
}

func redact(err error, secret string) string {
	if secret == "" {
		return err.Error()
	}
	return strings.ReplaceAll(err.Error(), secret, "****")
}
