// Package awsclient builds one SDK client per service per region from the standard AWS environment, so the
// worker talks to real AWS, LocalStack or awssim with no code difference: only AWS_ENDPOINT_URL and
// credentials change.
package awsclient

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53recoverycluster"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"

	"github.com/roadcall/dr/internal/iam"
)

type Options struct {
	// Endpoint overrides AWS_ENDPOINT_URL (tests point it at an awssim on a free port).
	Endpoint string
	// StaticCredentials, when set, replace the default credential chain (awssim ignores signatures).
	StaticCredentials *aws.Credentials
	// MaxAttempts for the SDK's retryer; 0 keeps the SDK default (3).
	MaxAttempts int
	// HTTPTimeout bounds one HTTP attempt so a hung region cannot block an activity past its heartbeat.
	HTTPTimeout time.Duration
}

// Factory hands out per-region clients built from one base configuration and caches them.
type Factory struct {
	Base aws.Config
	mu   sync.Mutex
	memo map[string]any
}

// New loads the default configuration (environment, shared files, IMDS) and applies opts.
func New(ctx context.Context, opts Options) (*Factory, error) {
	var lo []func(*config.LoadOptions) error
	if opts.StaticCredentials != nil {
		c := *opts.StaticCredentials
		lo = append(lo, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)))
	}
	if opts.MaxAttempts > 0 {
		lo = append(lo, config.WithRetryMaxAttempts(opts.MaxAttempts))
	}
	timeout := opts.HTTPTimeout
	if timeout == 0 {
		timeout = 20 * time.Second
	}
	lo = append(lo, config.WithHTTPClient(awshttp.NewBuildableClient().WithTimeout(timeout)))
	cfg, err := config.LoadDefaultConfig(ctx, lo...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	cfg.APIOptions = append(cfg.APIOptions, countRetries, observeCalls)
	if opts.Endpoint != "" {
		cfg.BaseEndpoint = aws.String(opts.Endpoint)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	return &Factory{Base: cfg, memo: map[string]any{}}, nil
}

// Observe, when set, sees every operation a client sends, named as the IAM table names it (signing name,
// operation). The activity tests set it before any client exists, to fail on a call internal/iam's table
// lacks: a call the worker's printed policy would not allow.
var Observe func(service, operation string)

func observeCalls(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("RoadcallObserveCall",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			if Observe != nil {
				Observe(iam.SigningName(awsmiddleware.GetServiceID(ctx)), awsmiddleware.GetOperationName(ctx))
			}
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
}

// Static returns options for a local simulator: fixed endpoint and dummy credentials.
func Static(endpoint string) Options {
	return Options{Endpoint: endpoint, StaticCredentials: &aws.Credentials{AccessKeyID: "awssim", SecretAccessKey: "awssim"}}
}

// Endpoint is the custom endpoint in use, or "" for real AWS.
func (f *Factory) Endpoint() string { return aws.ToString(f.Base.BaseEndpoint) }

func get[T any](f *Factory, svc, region string, build func(aws.Config) T) T {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := svc + "/" + region
	if c, ok := f.memo[key]; ok {
		return c.(T)
	}
	cfg := f.Base.Copy()
	cfg.Region = region
	c := build(cfg)
	f.memo[key] = c
	return c
}

func (f *Factory) DynamoDB(region string) *dynamodb.Client {
	return get(f, "dynamodb", region, func(c aws.Config) *dynamodb.Client { return dynamodb.NewFromConfig(c) })
}

// ApplicationAutoScaling manages a DynamoDB table's auto scaling, which is per replica region.
func (f *Factory) ApplicationAutoScaling(region string) *applicationautoscaling.Client {
	return get(f, "application-autoscaling", region, func(c aws.Config) *applicationautoscaling.Client { return applicationautoscaling.NewFromConfig(c) })
}
func (f *Factory) CloudWatch(region string) *cloudwatch.Client {
	return get(f, "cloudwatch", region, func(c aws.Config) *cloudwatch.Client { return cloudwatch.NewFromConfig(c) })
}
func (f *Factory) S3(region string) *s3.Client {
	return get(f, "s3", region, func(c aws.Config) *s3.Client {
		return s3.NewFromConfig(c, func(o *s3.Options) { o.UsePathStyle = c.BaseEndpoint != nil })
	})
}
func (f *Factory) Backup(region string) *backup.Client {
	return get(f, "backup", region, func(c aws.Config) *backup.Client { return backup.NewFromConfig(c) })
}

// Route53 is global; its calls are signed for us-east-1 whatever region is asked.
func (f *Factory) Route53() *route53.Client {
	return get(f, "route53", "us-east-1", func(c aws.Config) *route53.Client { return route53.NewFromConfig(c) })
}

// ARCCluster is a client for one regional endpoint of a Route 53 ARC cluster: signed for the endpoint's
// region and sent to the endpoint's URL. A cluster has no public regional endpoint to resolve, so without
// a URL the worker's custom endpoint (awssim, LocalStack) is used. It makes a single attempt: the caller
// moves on to the cluster's next endpoint instead of retrying one whose region may be out.
func (f *Factory) ARCCluster(region, endpoint string) *route53recoverycluster.Client {
	return get(f, "route53-recovery-cluster/"+endpoint, region, func(c aws.Config) *route53recoverycluster.Client {
		return route53recoverycluster.NewFromConfig(c, func(o *route53recoverycluster.Options) {
			if endpoint != "" {
				o.BaseEndpoint = aws.String(endpoint)
			}
			o.RetryMaxAttempts = 1
		})
	})
}

// IAM is global: its control plane lives in us-east-1, where its calls are signed whatever region is asked.
func (f *Factory) IAM() *awsiam.Client {
	return get(f, "iam", "us-east-1", func(c aws.Config) *awsiam.Client { return awsiam.NewFromConfig(c) })
}

func (f *Factory) CloudFormation(region string) *cloudformation.Client {
	return get(f, "cloudformation", region, func(c aws.Config) *cloudformation.Client { return cloudformation.NewFromConfig(c) })
}
func (f *Factory) RDS(region string) *rds.Client {
	return get(f, "rds", region, func(c aws.Config) *rds.Client { return rds.NewFromConfig(c) })
}
func (f *Factory) SNS(region string) *sns.Client {
	return get(f, "sns", region, func(c aws.Config) *sns.Client { return sns.NewFromConfig(c) })
}
func (f *Factory) STS(region string) *sts.Client {
	return get(f, "sts", region, func(c aws.Config) *sts.Client { return sts.NewFromConfig(c) })
}
func (f *Factory) EC2(region string) *ec2.Client {
	return get(f, "ec2", region, func(c aws.Config) *ec2.Client { return ec2.NewFromConfig(c) })
}
func (f *Factory) Lambda(region string) *lambda.Client {
	return get(f, "lambda", region, func(c aws.Config) *lambda.Client { return lambda.NewFromConfig(c) })
}
func (f *Factory) APIGateway(region string) *apigateway.Client {
	return get(f, "apigateway", region, func(c aws.Config) *apigateway.Client { return apigateway.NewFromConfig(c) })
}
func (f *Factory) SSM(region string) *ssm.Client {
	return get(f, "ssm", region, func(c aws.Config) *ssm.Client { return ssm.NewFromConfig(c) })
}

// SingleAttempt returns a retryer that makes one attempt.
func SingleAttempt() aws.Retryer { return retry.AddWithMaxAttempts(retry.NewStandard(), 1) }
