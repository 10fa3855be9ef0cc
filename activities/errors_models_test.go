package activities

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// modelCodes are the wire error codes of a service as botocore's service-2.json models them: an exception
// shape's error.code, or its name when it has none (RDS's InvalidDBInstanceStateFault answers
// InvalidDBInstanceState, SNS's NotFoundException NotFound).
func modelCodes(t *testing.T, service string) map[string]bool {
	t.Helper()
	var doc struct {
		Shapes map[string]struct {
			Exception bool `json:"exception"`
			Error     struct {
				Code string `json:"code"`
			} `json:"error"`
		} `json:"shapes"`
	}
	botocoreJSON(t, service, "service-2.json", &doc)
	out := map[string]bool{}
	for name, sh := range doc.Shapes {
		if sh.Exception {
			if sh.Error.Code != "" {
				out[sh.Error.Code] = true
			} else {
				out[name] = true
			}
		}
	}
	return out
}

// documentedOnly are codes AWS documents outside the service models: EC2 models no errors (its API
// reference's "Error codes" page lists UnauthorizedOperation), S3 models few (its API reference's error
// code list has ReplicationConfigurationNotFoundError), and the common errors every API reference lists
// ("Common Errors": ServiceUnavailable, InternalFailure, ThrottlingException, ...).
var documentedOnly = map[string]map[string]bool{
	"ec2": codeSet("UnauthorizedOperation"),
	"s3":  codeSet("ReplicationConfigurationNotFoundError"),
	"*":   codeSet("ServiceUnavailable", "InternalFailure", "ThrottlingException"),
}

// classifierService is the service whose errors each activities file compares codes of.
var classifierService = map[string]string{
	"apigateway": "apigateway", "backup": "backup", "cloudformation": "cloudformation", "stacks": "cloudformation",
	"cloudwatch": "cloudwatch", "dynamodb": "dynamodb", "lambda": "lambda", "rds": "rds", "route53": "route53",
	"errors": "route53", "s3": "s3", "sns": "sns", "ssm": "ssm", "arc": "route53-recovery-cluster", "reachability": "ec2",
}

var codeComparisons = regexp.MustCompile(`(?:ErrorCode\(\)|apiCode\(err\)|errType\(err\)|code) [!=]= "(\w+)"|err\.Error\(\), "(\w+(?:Error|Exception|Fault))"\)`)
var caseCodes = regexp.MustCompile(`"(\w+(?:Exception|Fault|Failure|Unavailable))"`)

// TestClassifiedCodesExistInTheServiceModels: every AWS error code that classify treats as final, and every
// code a classifier in activities compares, exists in botocore's model of its service (or in AWS's common
// errors). A code that is not a wire code (a shape name where the wire code differs) never matches, so the
// error it meant would be misclassified.
func TestClassifiedCodesExistInTheServiceModels(t *testing.T) {
	models := map[string]map[string]bool{}
	known := func(service, code string) bool {
		if models[service] == nil {
			models[service] = modelCodes(t, service)
		}
		return models[service][code] || documentedOnly[service][code] || documentedOnly["*"][code] || commonNonRetryable[code]
	}
	for service, codes := range nonRetryableCodes {
		for code := range codes {
			require.True(t, known(service, code), "nonRetryableCodes[%q] names %s, which botocore's %s model does not have", service, code, service)
		}
	}
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	checked := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		prefix, _, _ := strings.Cut(strings.TrimSuffix(f, ".go"), "_")
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		var codes []string
		for _, m := range codeComparisons.FindAllStringSubmatch(string(b), -1) {
			codes = append(codes, m[1]+m[2])
		}
		for _, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, `case "`) {
				for _, m := range caseCodes.FindAllStringSubmatch(line, -1) {
					codes = append(codes, m[1])
				}
			}
		}
		if len(codes) == 0 {
			continue
		}
		service, ok := classifierService[prefix]
		require.True(t, ok, "%s compares AWS error codes (%v): add its service to classifierService", f, codes)
		for _, code := range codes {
			require.True(t, known(service, code), "%s compares %s, which botocore's %s model does not have", f, code, service)
			checked++
		}
	}
	require.Positive(t, checked)
}

// TestLimitExceededIsRetryableWhereItIsTransient: API Gateway's LimitExceededException is its 429 rate
// limit ("The request exceeded the rate limit. Retry after the specified time period.") and DynamoDB's the
// concurrent table operations limit (both per the shapes' documentation in botocore's models): retryable.
// CloudFormation's and Backup's are quotas: final.
func TestLimitExceededIsRetryableWhereItIsTransient(t *testing.T) {
	require.False(t, finalCode("apigateway:GetStage", "LimitExceededException"))
	require.False(t, finalCode("dynamodb:UpdateTable", "LimitExceededException"))
	require.True(t, finalCode("cloudformation:UpdateStack", "LimitExceededException"))
	require.True(t, finalCode("backup:StartBackupJob", "LimitExceededException"))
	require.True(t, finalCode("rds:DescribeDBInstances", "InvalidDBInstanceState"), "RDS's wire code, not the shape name InvalidDBInstanceStateFault")
	require.True(t, finalCode("sns:Publish", "ValidationException"), "common errors apply to every service")
}
