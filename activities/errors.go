package activities

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	"go.temporal.io/sdk/temporal"
)

// commonNonRetryable are AWS's common client errors, which any service may answer (the "Common Errors" page
// of every API reference, not in the service models): refused credentials or signature, a malformed request.
// AccessDenied is AccessDeniedException as the XML protocols spell it (S3, STS, Route 53).
var commonNonRetryable = codeSet("AccessDenied", "AccessDeniedException", "InvalidClientTokenId", "UnrecognizedClientException", "NotAuthorized",
	"OptInRequired", "ValidationError", "ValidationException", "InvalidParameterValue", "InvalidParameterCombination", "MissingParameter")

// nonRetryableCodes are, per service (the prefix of the operation, "rds:..."), the errors of its model that
// retrying cannot fix: the resource is missing, we may not touch it, the request is wrong, or the resource
// is in a state where the operation makes no sense. TestClassifiedCodesExistInTheServiceModels checks each
// against botocore's model of its service. LimitExceededException is not here for API Gateway (its 429
// rate limit) nor DynamoDB (the concurrent control-plane operations limit): both pass, so a retry is right;
// for Backup, CloudFormation and CloudWatch it is a quota, which waiting does not lift.
var nonRetryableCodes = map[string]map[string]bool{
	"apigateway": codeSet("BadRequestException", "NotFoundException"),
	// Application Auto Scaling: a missing target or policy, a resource it may not reach (IAM), and its
	// quotas on targets and policies; ConcurrentUpdateException passes.
	"application-autoscaling": codeSet("ObjectNotFoundException", "FailedResourceAccessException", "LimitExceededException"),
	"backup":                  codeSet("InvalidParameterValueException", "ResourceNotFoundException", "LimitExceededException"),
	"cloudformation":          codeSet("LimitExceededException"),
	"cloudwatch":              codeSet("ResourceNotFoundException", "LimitExceededException"),
	"dynamodb": codeSet("ResourceNotFoundException", "TableNotFoundException", "TableAlreadyExistsException", "InvalidRestoreTimeException",
		"PointInTimeRecoveryUnavailableException"),
	"ec2": codeSet("UnauthorizedOperation"),
	// IAM: a malformed principal ARN (an STS session, say) and a principal that does not exist.
	"iam":    codeSet("InvalidInput", "NoSuchEntity"),
	"lambda": codeSet("InvalidParameterValueException", "ResourceNotFoundException", "PreconditionFailedException"),
	// RDS's wire codes are not always its shape names: InvalidDBInstanceStateFault answers InvalidDBInstanceState,
	// DBInstanceNotFoundFault DBInstanceNotFound.
	"rds": codeSet("DBClusterNotFoundFault", "GlobalClusterNotFoundFault", "DBInstanceNotFound", "DBClusterSnapshotNotFoundFault",
		"InvalidDBClusterStateFault", "InvalidGlobalClusterStateFault", "InvalidRestoreFault", "DBClusterAlreadyExistsFault", "InvalidDBInstanceState",
		"DBClusterParameterGroupNotFound", "DBParameterGroupNotFound", "DBSubnetGroupNotFoundFault"),
	"route53": codeSet("InvalidInput", "InvalidChangeBatch", "NoSuchHealthCheck", "NoSuchHostedZone", "NoSuchChange"),
	// S3's model lists few errors; these are in the S3 API reference's error code list.
	"s3":  codeSet("AccessDenied", "NoSuchBucket", "ReplicationConfigurationNotFoundError"),
	"sns": codeSet("NotFound", "InvalidParameter", "AuthorizationError"),
	"ssm": codeSet("ParameterNotFound"),
}

func codeSet(codes ...string) map[string]bool {
	m := make(map[string]bool, len(codes))
	for _, c := range codes {
		m[c] = true
	}
	return m
}

// finalCode says whether an AWS error code from the operation op ("service:Operation") is final.
func finalCode(op, code string) bool {
	service, _, _ := strings.Cut(op, ":")
	return commonNonRetryable[code] || nonRetryableCodes[service][code]
}

// classify turns an AWS SDK error into a Temporal application error whose type is the AWS error code:
// non-retryable for errors retrying cannot fix, retryable for throttling, 5xx and network errors. The
// message names the operation, resource and region so an operator can act on it at 3 a.m.
func classify(err error, op, resource, region string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	where := fmt.Sprintf("%s %s in %s", op, resource, region)
	var ae smithy.APIError
	if errors.As(err, &ae) {
		msg := fmt.Sprintf("%s: %s: %s", where, ae.ErrorCode(), ae.ErrorMessage())
		if finalCode(op, ae.ErrorCode()) {
			return temporal.NewNonRetryableApplicationError(msg, ae.ErrorCode(), nil)
		}
		return temporal.NewApplicationError(msg, ae.ErrorCode())
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "EOF") {
		return temporal.NewApplicationError(fmt.Sprintf("%s: network: %v", where, err), "NetworkError")
	}
	return temporal.NewApplicationError(fmt.Sprintf("%s: %v", where, err), "AWSError")
}

// ErrControlPlaneUnreachable is the (retryable) error type of a Route 53 call that got no answer, or a 5xx:
// every Route 53 API call goes to its control plane in us-east-1, which an impairment there takes down
// while DNS resolution, the data plane, goes on answering.
const ErrControlPlaneUnreachable = "Route53ControlPlaneUnreachable"

// classifyRoute53 is classify for Route 53's API, telling an unreachable control plane from a refusal.
func classifyRoute53(err error, op, resource string) error {
	if err == nil || errors.Is(err, context.Canceled) {
		return err
	}
	if !controlPlaneDown(err) {
		return classify(err, op, resource, "global")
	}
	return temporal.NewApplicationError(fmt.Sprintf("%s %s: Route 53's control plane (%s) does not answer: %v", op, resource, route53ControlPlane, err),
		ErrControlPlaneUnreachable)
}

// controlPlaneDown: no answer (connection refused or reset, timeout) or a 5xx.
func controlPlaneDown(err error) bool {
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() >= 500 {
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode() == "ServiceUnavailable" || ae.ErrorCode() == "InternalFailure"
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "EOF") ||
		strings.Contains(err.Error(), "connection refused") || strings.Contains(err.Error(), "connection reset")
}

// route53ControlPlane hosts every Route 53 API call.
const route53ControlPlane = "us-east-1"

// refuse is a non-retryable error for a state that the activity must not change, with the AWS-like type.
func refuse(code, format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), code, nil)
}
