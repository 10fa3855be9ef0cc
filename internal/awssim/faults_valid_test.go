package awssim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"
)

func postFault(t *testing.T, base, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(base+"/_sim/faults", "application/json", strings.NewReader(body))
	require.NoError(t, err, "the control API must answer, not drop the connection: %s", clip(body))
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// TestErrorFaultOnEveryServiceFiresOnTheNextCall: the body once fired on nothing, so a test using it
// passed falsely. Now each protocol (query, JSON, CBOR, REST-JSON, REST-XML) answers its next call with the
// code and status the fault names.
func TestErrorFaultOnEveryServiceFiresOnTheNextCall(t *testing.T) {
	sim, f, base := start(t, Options{})
	ctx := context.Background()
	calls := map[string]func() error{
		"sts": func() error {
			_, err := f.STS("us-east-1").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}, sts1)
			return err
		},
		"rds": func() error {
			_, err := f.RDS("us-west-2").DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{}, rds1)
			return err
		},
		"dynamodb": func() error {
			_, err := f.DynamoDB("us-east-1").ListTables(ctx, &dynamodb.ListTablesInput{}, ddb1)
			return err
		},
		"monitoring": func() error {
			_, err := f.CloudWatch("us-east-1").ListMetrics(ctx, &cloudwatch.ListMetricsInput{}, cw1)
			return err
		},
		"lambda": func() error {
			_, err := f.Lambda("us-east-1").ListFunctions(ctx, &lambda.ListFunctionsInput{}, lambda1)
			return err
		},
		"route53": func() error {
			_, err := f.Route53().ListHostedZones(ctx, &route53.ListHostedZonesInput{}, r531)
			return err
		},
		"s3":  func() error { _, err := f.S3("us-east-1").ListBuckets(ctx, &s3.ListBucketsInput{}, s31); return err },
		"sns": func() error { _, err := f.SNS("us-east-1").ListTopics(ctx, &sns.ListTopicsInput{}, sns1); return err },
	}
	for _, name := range SortedKeys(calls) {
		require.NoError(t, calls[name](), "%s answers before the fault", name)
	}
	status, body := postFault(t, base, `{"kind":"error","service":"*","operation":"*","code":"InternalFailure","status":500}`)
	require.Equal(t, http.StatusCreated, status, body)
	for i, name := range SortedKeys(calls) {
		err := calls[name]()
		var ae smithy.APIError
		require.True(t, errors.As(err, &ae), "%s: want an API error, got %v", name, err)
		require.Equal(t, "InternalFailure", ae.ErrorCode(), name)
		var re *awshttp.ResponseError
		require.True(t, errors.As(err, &re), name)
		require.Equal(t, 500, re.HTTPStatusCode(), name)
		require.Equal(t, i+1, sim.Faults()[0].Fired, "%s: one call, one firing", name)
	}
	sim.RemoveFault("")
	status, body = postFault(t, base, `{"kind":"error","service":"*","code":"InternalFailure","count":1}`)
	require.Equal(t, http.StatusCreated, status, body)
	require.Error(t, calls["rds"](), "the next call to any service")
	require.NoError(t, calls["sts"](), "count 1: only the next")
}

var (
	sts1    = func(o *sts.Options) { o.RetryMaxAttempts = 1 }
	rds1    = func(o *rds.Options) { o.RetryMaxAttempts = 1 }
	ddb1    = func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 }
	cw1     = func(o *cloudwatch.Options) { o.RetryMaxAttempts = 1 }
	lambda1 = func(o *lambda.Options) { o.RetryMaxAttempts = 1 }
	r531    = func(o *route53.Options) { o.RetryMaxAttempts = 1 }
	s31     = func(o *s3.Options) { o.RetryMaxAttempts = 1 }
	sns1    = func(o *sns.Options) { o.RetryMaxAttempts = 1 }
)

// TestControlRefusesFaultsItCannotDo: each body is refused with 400 and an error that names the field, and
// no fault is installed.
func TestControlRefusesFaultsItCannotDo(t *testing.T) {
	sim, _, base := start(t, Options{})
	for _, c := range []struct{ body, field string }{
		{`{"kind":"error","service":"rds","code":"InternalFailure","status":-1}`, "status"},
		{`{"kind":"error","service":"rds","code":"InternalFailure","status":200}`, "status"},
		{`{"kind":"error","service":"rds","code":"InternalFailure","status":600}`, "status"},
		{`{"kind":"error","service":"rds","code":"InternalFailure","status":1e308}`, "fault body"},
		{`{"kind":"error","service":"kinesis","code":"InternalFailure"}`, "service"},
		{`{"kind":"error","service":"rds","operation":"FailoverGlobalClusterX","code":"InternalFailure"}`, "operation"},
		{`{"kind":"error","service":"*","operation":"NoSuchOperation","code":"InternalFailure"}`, "operation"},
		{`{"kind":"error","service":"rds","code":"InternalFailure","count":-1}`, "count"},
		{`{"kind":"error","service":"rds","code":"InternalFailure","region":"mars-1"}`, "region"},
		{`{"kind":"error","service":"rds","code":"InternalFailure","rate":0.5}`, "rate"},
		{`{"kind":"error","service":"rds"}`, "code"},
		{`{"kind":"meteor","region":"us-east-1"}`, "kind"},
		{`{"kind":"throttle","service":"rds","rate":1e308}`, "rate"},
		{`{"kind":"throttle","service":"rds","rate":-1}`, "rate"},
		{`{"kind":"throttle","service":"kinesis","rate":1}`, "service"},
		{`{"kind":"latency","latencyMs":1e308}`, "fault body"},
		{`{"kind":"latency","latencyMs":86400000}`, "latencyMs"},
		{`{"kind":"latency","latencyMs":-5}`, "latencyMs"},
		{`{"kind":"replication-lag","seconds":1e308}`, "seconds"},
		{`{"kind":"replication-lag","seconds":-1}`, "seconds"},
		{`{"kind":"replication-lag","seconds":NaN}`, "fault body"},
		{`{"kind":"replication-lag","seconds":"Infinity"}`, "fault body"},
		{`{"kind":"replication-lag","seconds":30,"region":"us-east-1"}`, "region"},
		{`{"kind":"region-outage","region":"us-east-1","mode":"explode"}`, "mode"},
		{`{"kind":"region-outage","region":"us-east-1","at":"9999-01-01T00:00:00Z"}`, "at"},
		{`{"kind":"region-outage","region":"us-east-1","fired":7}`, "fired"},
		{`{"kind":"stale-backups","table":"roadcall-users-prod"}`, "table"},
		{`{"kind":"corrupted-table","table":"nope"}`, "table"},
		{`{"kind":"degraded-function","function":"` + strings.Repeat("x", 1000) + `"}`, "function"},
	} {
		status, body := postFault(t, base, c.body)
		require.Equal(t, http.StatusBadRequest, status, "%s → %s", clip(c.body), body)
		var e struct{ Error string }
		require.NoError(t, json.Unmarshal([]byte(body), &e))
		require.True(t, strings.HasPrefix(e.Error, c.field), "%s: the refusal names %s: %s", clip(c.body), c.field, e.Error)
		require.Less(t, len(e.Error), 2000, "a refusal quotes only a prefix of a bad value")
	}
	require.Empty(t, sim.Faults())
	resp, err := http.Post(base+"/_sim/config", "application/json", strings.NewReader(`{"timeScale":1e308}`))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, "an absurd time scale")
}

// TestControlNeverPanicsOnBadFaultBodies sends every fault kind with every field set to values of each JSON
// type, out of range or huge; each must be answered 201 or 400 with JSON (a panic drops the connection),
// and the simulator must still serve afterwards.
func TestControlNeverPanicsOnBadFaultBodies(t *testing.T) {
	sim, f, base := start(t, Options{})
	fields := []string{"id", "region", "service", "operation", "code", "status", "message", "rate", "seconds", "latencyMs", "mode",
		"function", "table", "at", "resource", "state", "checkers", "count", "fired", "bogus"}
	values := []string{`-1`, `0`, `1e308`, `-1e308`, `1.5`, `""`, `"*"`, `"` + strings.Repeat("é", 5000) + `"`, `null`, `[]`, `["*"]`, `{}`, `true`,
		`"us-east-1"`, `"rds"`, `"2006-01-02T15:04:05Z"`}
	accepted, refused := 0, 0
	for _, kind := range append(append([]string{}, faultKinds...), "", "nope") {
		for _, field := range fields {
			for _, v := range values {
				body := fmt.Sprintf(`{"kind":%q,%q:%s}`, kind, field, v)
				status, out := postFault(t, base, body)
				require.Contains(t, []int{http.StatusCreated, http.StatusBadRequest}, status, "%s → %s", clip(body), out)
				require.True(t, json.Valid([]byte(out)), clip(body))
				if status == http.StatusCreated {
					accepted++
				} else {
					refused++
				}
				sim.RemoveFault("")
			}
		}
	}
	for _, body := range []string{``, `{`, `[]`, `"x"`, `{"kind":"error"}{"kind":"error"}`, strings.Repeat(`[`, 100000), `{"kind":"throttle","rate":1}` + strings.Repeat(" ", 1<<17)} {
		status, out := postFault(t, base, body)
		require.Contains(t, []int{http.StatusCreated, http.StatusBadRequest}, status, "%s → %s", clip(body), out)
		sim.RemoveFault("")
	}
	t.Logf("%d bodies refused, %d accepted", refused, accepted)
	_, err := f.STS("us-east-1").GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	require.NoError(t, err, "the simulator still serves")
}
