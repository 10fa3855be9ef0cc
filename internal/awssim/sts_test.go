package awssim

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"
)

func TestSTSAndEC2ThroughSDK(t *testing.T) {
	sim, f, _ := start(t, Options{})
	ctx := context.Background()
	id, err := f.STS("us-west-2").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	require.NoError(t, err)
	require.Equal(t, "123456789012", *id.Account)

	out, err := f.EC2("us-west-2").DescribeRegions(ctx, &ec2.DescribeRegionsInput{RegionNames: []string{"us-west-2"}})
	require.NoError(t, err)
	require.Len(t, out.Regions, 1)
	require.Equal(t, "us-west-2", *out.Regions[0].RegionName)

	_, err = f.EC2("us-east-1").DescribeRegions(ctx, &ec2.DescribeRegionsInput{RegionNames: []string{"mars-north-1"}})
	var ae smithy.APIError
	require.True(t, errors.As(err, &ae), "%v", err)
	require.Equal(t, "InvalidParameterValue", ae.ErrorCode())

	_, err = sim.AddFault(Fault{Kind: FaultRegionOutage, Region: "us-east-1"})
	require.NoError(t, err)
	_, err = f.EC2("us-east-1").DescribeRegions(ctx, &ec2.DescribeRegionsInput{}, func(o *ec2.Options) { o.RetryMaxAttempts = 1 })
	require.Error(t, err, "an out region must not answer")
	_, err = f.EC2("us-west-2").DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
	require.NoError(t, err, "the DR region stays up")
}

func TestSTSThroughCLI(t *testing.T) {
	_, _, url := start(t, Options{})
	out := awsCLI(t, url, "sts", "get-caller-identity")
	require.Equal(t, "123456789012", out["Account"])
	out = awsCLI(t, url, "ec2", "describe-regions", "--region", "us-west-2", "--region-names", "us-west-2")
	require.Len(t, out["Regions"], 1)
}
