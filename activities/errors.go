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

// nonRetryableCodes are AWS errors that retrying cannot fix: the resource is missing, we may not touch
// it, the request is wrong, or the resource is in a state where the operation makes no sense.
var nonRetryableCodes = map[string]bool{
	"AccessDenied": true, "AccessDeniedException": true, "UnauthorizedOperation": true, "UnrecognizedClientException": true,
	"InvalidClientTokenId": true, "ValidationError": true, "ValidationException": true, "InvalidParameterValue": true,
	"InvalidParameterValueException": true, "InvalidParameterCombination": true, "InvalidInput": true, "InvalidChangeBatch": true,
	"ResourceNotFoundException": true, "NotFoundException": true, "NotFound": true, "NoSuchHealthCheck": true, "NoSuchHostedZone": true,
	"NoSuchChange": true, "NoSuchBucket": true, "ReplicationConfigurationNotFoundError": true, "TableNotFoundException": true,
	"DBClusterNotFoundFault": true, "GlobalClusterNotFoundFault": true, "DBInstanceNotFound": true, "DBClusterSnapshotNotFoundFault": true,
	"InvalidDBClusterStateFault": true, "InvalidGlobalClusterStateFault": true, "InvalidRestoreFault": true, "InvalidRestoreTimeException": true,
	"PointInTimeRecoveryUnavailableException": true, "TableAlreadyExistsException": true, "DBClusterAlreadyExistsFault": true,
	"BadRequestException": true, "PreconditionFailedException": true, "ParameterNotFound": true, "LimitExceededException": true,
	"InvalidDBInstanceStateFault": true,
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
		if nonRetryableCodes[ae.ErrorCode()] {
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
		return ae.ErrorCode() == "ServiceUnavailable" || ae.ErrorCode() == "InternalFailure" || ae.ErrorCode() == "InternalError"
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
