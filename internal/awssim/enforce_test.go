package awssim

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	rc "github.com/aws/aws-sdk-go-v2/service/route53recoverycluster"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/roadcall/dr/internal/awsclient"
	"github.com/roadcall/dr/internal/iam"
)

// deniedCase is one call per protocol awssim serves, refused by the enforced policy: the code the AWS CLI
// prints and the Go SDK's ErrorCode() reports, and the HTTP status, as AWS answers. source names where
// AWS documents the code (botocore = the CLI's bundled service model, botocore/data/<svc>/<ver>/service-2.json).
type deniedCase struct {
	name, source string
	cli          []string
	sdk          func(ctx context.Context, f *awsclient.Factory, topo string) error
	action       string
	code         string
	status       int
}

// Query services without a modeled access-denied shape answer with the common AccessDenied code (Sender,
// HTTP 403) in <ErrorResponse>, as the IAM User Guide's "Troubleshoot access denied error messages" shows
// ("An error occurred (AccessDenied) when calling the ... operation: User: ... is not authorized to perform").
const queryDenied = "IAM User Guide, troubleshoot_access-denied: awsQuery services answer AccessDenied (Sender, 403)"

var deniedCases = []deniedCase{
	{name: "query/sts", source: queryDenied + "; botocore sts 2011-06-15 models no access shape",
		cli: []string{"sts", "get-session-token"},
		sdk: func(ctx context.Context, f *awsclient.Factory, _ string) error {
			_, err := f.STS("us-east-1").GetSessionToken(ctx, &sts.GetSessionTokenInput{})
			return err
		},
		action: "sts:GetSessionToken", code: "AccessDenied", status: 403},
	{name: "query/iam", source: queryDenied + "; botocore iam 2010-05-08",
		cli: []string{"iam", "simulate-principal-policy", "--policy-source-arn", "arn:aws:iam::000000000000:role/x", "--action-names", "s3:ListBucket"},
		sdk: func(ctx context.Context, f *awsclient.Factory, _ string) error {
			_, err := f.IAM().SimulatePrincipalPolicy(ctx, &awsiam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::000000000000:role/x"), ActionNames: []string{"s3:ListBucket"}})
			return err
		},
		action: "iam:SimulatePrincipalPolicy", code: "AccessDenied", status: 403},
	{name: "query/rds", source: queryDenied + "; botocore rds 2014-10-31 (its *AuthorizationFault shapes are security-group grants, not IAM)",
		cli: []string{"rds", "describe-db-clusters"},
		sdk: func(ctx context.Context, f *awsclient.Factory, _ string) error {
			_, err := f.RDS("us-east-1").DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{})
			return err
		},
		action: "rds:DescribeDBClusters", code: "AccessDenied", status: 403},
	{name: "query/cloudformation", source: queryDenied + "; botocore cloudformation 2010-05-15",
		cli: []string{"cloudformation", "describe-stacks"},
		sdk: func(ctx context.Context, f *awsclient.Factory, _ string) error {
			_, err := f.CloudFormation("us-east-1").DescribeStacks(ctx, &cloudformation.DescribeStacksInput{})
			return err
		},
		action: "cloudformation:DescribeStacks", code: "AccessDenied", status: 403},
	{name: "query/sns", source: "botocore sns 2010-03-31: AuthorizationErrorException, error code AuthorizationError, httpStatusCode 403, senderFault",
		cli: []string{"sns", "list-topics"},
		sdk: func(ctx context.Context, f *awsclient.Factory, _ string) error {
			_, err := f.SNS("us-east-1").ListTopics(ctx, &sns.ListTopicsInput{})
			return err
		},
		action: "sns:ListTopics", code: "AuthorizationError", status: 403},
	{name: "ec2", source: "EC2 API Reference, Error codes, and STS DecodeAuthorizationMessage: Client.UnauthorizedOperation, an HTTP 403 response, \"You are not authorized to perform this operation.\"",
		cli: []string{"ec2", "describe-regions"},
		sdk: func(ctx context.Context, f *awsclient.Factory, _ string) error {
			_, err := f.EC2("us-east-1").DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
			return err
		},
		action: "ec2:DescribeRegions", code: "UnauthorizedOperation", status: 403},
	{name: "restXml/route53", source: "Route 53 API Reference, Common errors: AccessDenied, 403 (botocore route53 2013-04-01 models only NotAuthorizedException, 401, for a bad signature)",
		cli: []string{"route53", "list-health-checks"},
		sdk: func(ctx context.Context, f *awsclient.Factory, _ string) error {
			_, err := f.Route53().ListHealthChecks(ctx, &route53.ListHealthChecksInput{})
			return err
		},
		action: "route53:ListHealthChecks", code: "AccessDenied", status: 403},
	{name: "restXml/s3", source: "botocore s3 2006-03-01: AccessDenied, httpStatusCode 403 (S3 Error responses: AccessDenied, 403 Forbidden)",
		cli: []string{"s3api", "list-buckets"},
		sdk: func(ctx context.Context, f *awsclient.Factory, _ string) error {
			_, err := f.S3("us-east-1").ListBuckets(ctx, &s3.ListBucketsInput{})
			return err
		},
		action: "s3:ListAllMyBuckets", code: "AccessDenied", status: 403},
	{name: "json1.0/dynamodb", source: "DynamoDB Developer Guide, Error handling: AccessDeniedException under HTTP status code 400",
		cli: []string{"dynamodb", "list-tables"},
		sdk: func(ctx context.Context, f *awsclient.Factory, _ string) error {
			_, err := f.DynamoDB("us-east-1").ListTables(ctx, &dynamodb.ListTablesInput{})
			return err
		},
		action: "dynamodb:ListTables", code: "AccessDeniedException", status: 400},
	{name: "json1.0/route53-recovery-cluster", source: "botocore route53-recovery-cluster 2019-12-02: AccessDeniedException (Routing Control API Reference: HTTP 403)",
		cli: []string{"route53-recovery-cluster", "list-routing-controls", "--region", "us-west-2"},
		sdk: func(ctx context.Context, f *awsclient.Factory, _ string) error {
			_, err := arcClient(f, "us-west-2").ListRoutingControls(ctx, &rc.ListRoutingControlsInput{})
			return err
		},
		action: "route53-recovery-cluster:ListRoutingControls", code: "AccessDeniedException", status: 403},
	{name: "json1.1/ssm", source: "botocore ssm 2014-11-06: AccessDeniedException (SSM API Reference, Common errors: HTTP 400)",
		cli: []string{"ssm", "get-parameter", "--name", "/roadcall/x"},
		sdk: func(ctx context.Context, f *awsclient.Factory, _ string) error {
			_, err := f.SSM("us-east-1").GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/roadcall/x")})
			return err
		},
		action: "ssm:GetParameter", code: "AccessDeniedException", status: 400},
	{name: "restJson/lambda", source: "Lambda Developer Guide, troubleshooting invocation/permissions: AccessDeniedException, 403 (botocore lambda 2015-03-31 models none)",
		cli: []string{"lambda", "list-functions"},
		sdk: func(ctx context.Context, f *awsclient.Factory, _ string) error {
			_, err := f.Lambda("us-east-1").ListFunctions(ctx, &lambda.ListFunctionsInput{})
			return err
		},
		action: "lambda:ListFunctions", code: "AccessDeniedException", status: 403},
	{name: "restJson/apigateway", source: "API Gateway: AccessDeniedException, 403, on apigateway:<METHOD> (botocore apigateway 2015-07-09 models UnauthorizedException, 401, for a bad signature only)",
		cli: []string{"apigateway", "get-rest-apis"},
		sdk: func(ctx context.Context, f *awsclient.Factory, _ string) error {
			_, err := f.APIGateway("us-east-1").GetRestApis(ctx, &apigateway.GetRestApisInput{})
			return err
		},
		action: "apigateway:GET", code: "AccessDeniedException", status: 403},
	{name: "restJson/backup", source: "AWS Backup API Reference, Common errors: AccessDeniedException, 403",
		cli: []string{"backup", "list-backup-vaults"},
		sdk: func(ctx context.Context, f *awsclient.Factory, _ string) error {
			_, err := f.Backup("us-east-1").ListBackupVaults(ctx, &backup.ListBackupVaultsInput{})
			return err
		},
		action: "backup:ListBackupVaults", code: "AccessDeniedException", status: 403},
	{name: "rpcv2Cbor/cloudwatch", source: "botocore cloudwatch 2010-08-01: protocols smithy-rpc-v2-cbor, json, query with awsQueryCompatible, so the query code AccessDenied travels in X-Amzn-Query-Error and is the ErrorCode() clients report",
		cli: []string{"cloudwatch", "list-metrics"},
		sdk: func(ctx context.Context, f *awsclient.Factory, _ string) error {
			_, err := f.CloudWatch("us-east-1").ListMetrics(ctx, &cloudwatch.ListMetricsInput{})
			return err
		},
		action: "cloudwatch:ListMetrics", code: "AccessDenied", status: 403},
}

var cliCodeRE = regexp.MustCompile(`An error occurred \(([A-Za-z.]+)\) when calling the (\w+) operation: (.*)`)

// TestEnforcedPolicyAccessDeniedShapes: under --enforce-policy a call the policy does not allow gets the
// service's own refusal, which the AWS CLI (a client we did not write) and the Go SDK both decode to the
// code AWS documents, with IAM's "is not authorized to perform: <action>" message.
func TestEnforcedPolicyAccessDeniedShapes(t *testing.T) {
	doc, err := iam.Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::nothing/*"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	_, f, url := start(t, Options{EnforcePolicy: &doc})
	ctx := context.Background()
	for _, c := range deniedCases {
		t.Run(c.name, func(t *testing.T) {
			err := c.sdk(ctx, f, url)
			var ae smithy.APIError
			if !errors.As(err, &ae) {
				t.Fatalf("SDK: not an API error: %v", err)
			}
			if ae.ErrorCode() != c.code {
				t.Errorf("SDK ErrorCode() = %q, want %q (%s)", ae.ErrorCode(), c.code, c.source)
			}
			if !strings.Contains(ae.ErrorMessage(), "is not authorized to perform: "+c.action) {
				t.Errorf("SDK message %q does not name the action %s", ae.ErrorMessage(), c.action)
			}
			var re *awshttp.ResponseError
			if !errors.As(err, &re) || re.HTTPStatusCode() != c.status {
				t.Errorf("HTTP status: got %v, want %d (%s)", err, c.status, c.source)
			}
			if c.code == "UnauthorizedOperation" && !strings.HasPrefix(ae.ErrorMessage(), "You are not authorized to perform this operation.") {
				t.Errorf("EC2's message starts with \"You are not authorized to perform this operation.\": %q", ae.ErrorMessage())
			}

			out, err := awsCLIRaw(t, url, c.cli...)
			if err == nil {
				t.Fatalf("aws %s: allowed under a policy that denies it:\n%s", strings.Join(c.cli, " "), out)
			}
			m := cliCodeRE.FindStringSubmatch(string(out))
			if m == nil {
				t.Fatalf("aws %s: no AWS error in the output:\n%s", strings.Join(c.cli, " "), out)
			}
			if m[1] != c.code {
				t.Errorf("aws %s: code %q, want %q (%s)", strings.Join(c.cli, " "), m[1], c.code, c.source)
			}
			if !strings.Contains(m[3], "is not authorized to perform: "+c.action) {
				t.Errorf("aws %s: message %q does not name the action %s", strings.Join(c.cli, " "), m[3], c.action)
			}
		})
	}
}
