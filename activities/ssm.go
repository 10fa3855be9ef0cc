package activities

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// ParameterPut writes Value to the SSM parameter Name.
type ParameterPut struct {
	Region string `json:"region"`
	Name   string `json:"name"`
	Value  string `json:"value"`
}

// ParameterPutResult says whether the value changed; values stay out of it (history is not for secrets).
type ParameterPutResult struct {
	Name    string `json:"name"`
	Region  string `json:"region"`
	Changed bool   `json:"changed"`
	Version int64  `json:"version"`
}

// PutParameterValue reads the parameter first and makes no call when it already holds Value; otherwise it
// overwrites it keeping its type, or creates it as a String.
func (a *Activities) PutParameterValue(ctx context.Context, in ParameterPut) (ParameterPutResult, error) {
	res := ParameterPutResult{Name: in.Name, Region: in.Region}
	c := a.AWS.SSM(in.Region)
	cur, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(in.Name), WithDecryption: aws.Bool(true)})
	req := &ssm.PutParameterInput{Name: aws.String(in.Name), Value: aws.String(in.Value), Overwrite: aws.Bool(true)}
	switch {
	case err == nil:
		res.Version = cur.Parameter.Version
		if aws.ToString(cur.Parameter.Value) == in.Value {
			return res, nil
		}
	case apiCode(err) == "ParameterNotFound":
		req.Type, req.Overwrite = ssmtypes.ParameterTypeString, nil
	default:
		return res, classify(err, "ssm:GetParameter", in.Name, in.Region)
	}
	out, err := c.PutParameter(ctx, req)
	if err != nil {
		return res, classify(err, "ssm:PutParameter", in.Name, in.Region)
	}
	res.Changed, res.Version = true, out.Version
	return res, nil
}
