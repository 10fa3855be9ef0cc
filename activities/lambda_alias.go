package activities

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
)

// A function the API invokes through an alias serves the alias's version, whose configuration never
// changes: an environment merged into $LATEST reaches that traffic only once $LATEST is published as a new
// version and the alias is pointed at it. These activities do the publishing and the pointing, each
// idempotent: PublishVersion answers the last version when nothing changed since it, and an alias already
// where it should be is not updated.

// AliasRef names a function's alias in a region.
type AliasRef struct {
	Region   string `json:"region"`
	Function string `json:"function"`
	Alias    string `json:"alias"`
}

// AliasTarget is where an alias sends invocations: Version, and the routing config's additional versions
// with their shares.
type AliasTarget struct {
	Version string             `json:"version"`
	Weights map[string]float64 `json:"weights,omitempty"`
}

func (t AliasTarget) equal(o AliasTarget) bool {
	return t.Version == o.Version && maps.Equal(t.Weights, o.Weights)
}

// String is the target as an operator reads it: "version 3", "version 3 + version 4 at 0.1".
func (t AliasTarget) String() string {
	s := "version " + t.Version
	for _, v := range slices.Sorted(maps.Keys(t.Weights)) {
		s += fmt.Sprintf(" + version %s at %g", v, t.Weights[v])
	}
	return s
}

// AliasState is an alias as GetAlias answers it.
type AliasState struct {
	AliasRef
	Target     AliasTarget `json:"target"`
	RevisionID string      `json:"revisionId"`
}

// GetFunctionAlias reads where an alias points.
func (a *Activities) GetFunctionAlias(ctx context.Context, ref AliasRef) (AliasState, error) {
	out, err := a.AWS.Lambda(ref.Region).GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(ref.Function), Name: aws.String(ref.Alias)})
	if err != nil {
		return AliasState{}, classify(err, "lambda:GetAlias", ref.Function+":"+ref.Alias, ref.Region)
	}
	st := AliasState{AliasRef: ref, Target: AliasTarget{Version: aws.ToString(out.FunctionVersion)}, RevisionID: aws.ToString(out.RevisionId)}
	if out.RoutingConfig != nil && len(out.RoutingConfig.AdditionalVersionWeights) > 0 {
		st.Target.Weights = maps.Clone(out.RoutingConfig.AdditionalVersionWeights)
	}
	return st, nil
}

// AliasMove points an alias at Target.
type AliasMove struct {
	AliasRef
	Target AliasTarget `json:"target"`
}

// AliasMoveResult says what PointAlias changed: Previous is where the alias pointed when it was read.
type AliasMoveResult struct {
	AliasRef
	Changed    bool        `json:"changed"`
	Previous   AliasTarget `json:"previous"`
	Now        AliasTarget `json:"now"`
	RevisionID string      `json:"revisionId"`
}

// PointAlias reads the alias and, unless it already points at the target, updates it with the RevisionId
// it read, so a concurrent move is never overwritten unseen: on PreconditionFailedException it reads again.
// The routing config is always sent, so weights the target does not name are removed.
func (a *Activities) PointAlias(ctx context.Context, in AliasMove) (AliasMoveResult, error) {
	res := AliasMoveResult{AliasRef: in.AliasRef, Now: in.Target}
	for attempt := 1; ; attempt++ {
		st, err := a.GetFunctionAlias(ctx, in.AliasRef)
		if err != nil {
			return res, err
		}
		res.Previous, res.RevisionID = st.Target, st.RevisionID
		if st.Target.equal(in.Target) {
			return res, nil
		}
		weights := in.Target.Weights
		if weights == nil {
			weights = map[string]float64{}
		}
		out, err := a.AWS.Lambda(in.Region).UpdateAlias(ctx, &lambda.UpdateAliasInput{
			FunctionName: aws.String(in.Function), Name: aws.String(in.Alias), FunctionVersion: aws.String(in.Target.Version),
			RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: weights}, RevisionId: aws.String(st.RevisionID),
		})
		var ae smithy.APIError
		if err != nil && errors.As(err, &ae) && ae.ErrorCode() == "PreconditionFailedException" && attempt < 5 {
			continue
		}
		if err != nil {
			return res, classify(err, "lambda:UpdateAlias", in.Function+":"+in.Alias, in.Region)
		}
		res.Changed, res.RevisionID = true, aws.ToString(out.RevisionId)
		return res, nil
	}
}

// VersionPublish publishes $LATEST. Like, when set, is the version the alias serves now: $LATEST must hold
// exactly Like's code and configuration with Change merged into its environment, or publishing would
// release whatever else was changed in $LATEST (an undeployed change, a half-finished edit) to the alias's
// traffic.
type VersionPublish struct {
	Region   string    `json:"region"`
	Function string    `json:"function"`
	Like     string    `json:"like,omitempty"`
	Change   EnvChange `json:"change"`
}

// PublishedVersion is the version PublishFunctionVersion made or found.
type PublishedVersion struct {
	Function string `json:"function"`
	Region   string `json:"region"`
	Version  string `json:"version"`
}

// ErrLatestDiverged is the type of a publish refused because $LATEST is not the alias's version plus the
// change: an operator has to decide what goes out.
const ErrLatestDiverged = "LatestDiverged"

// fullConfig is the part of a configuration a release consists of.
type fullConfig struct {
	functionConfig
	code, handler, runtime string
	memory, timeout        int32
	layers                 []string
}

func (a *Activities) readRelease(ctx context.Context, region, fn, qualifier string) (fullConfig, error) {
	in := &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(fn)}
	if qualifier != "" {
		in.Qualifier = aws.String(qualifier)
	}
	out, err := a.AWS.Lambda(region).GetFunctionConfiguration(ctx, in)
	if err != nil {
		return fullConfig{}, classify(err, "lambda:GetFunctionConfiguration", fn+qualified(qualifier), region)
	}
	fc := fullConfig{functionConfig: functionConfig{env: map[string]string{}, rev: aws.ToString(out.RevisionId), status: out.LastUpdateStatus},
		code: aws.ToString(out.CodeSha256), handler: aws.ToString(out.Handler), runtime: string(out.Runtime),
		memory: aws.ToInt32(out.MemorySize), timeout: aws.ToInt32(out.Timeout)}
	if out.Environment != nil {
		if out.Environment.Error != nil {
			return fc, refuse("EnvironmentError", "lambda:GetFunctionConfiguration %s in %s: the environment cannot be read (%s)", fn+qualified(qualifier), region, aws.ToString(out.Environment.Error.ErrorCode))
		}
		maps.Copy(fc.env, out.Environment.Variables)
	}
	for _, l := range out.Layers {
		fc.layers = append(fc.layers, aws.ToString(l.Arn))
	}
	if fc.status == "" {
		fc.status = types.LastUpdateStatusSuccessful
	}
	return fc, nil
}

func qualified(q string) string {
	if q == "" {
		return ""
	}
	return ":" + q
}

// releaseDrift names, without values (variables may be secrets), where $LATEST differs from v with change
// merged into v's environment.
func releaseDrift(latest, v fullConfig, change EnvChange) []string {
	var out []string
	for _, f := range []struct {
		name string
		x, y any
	}{{"code (CodeSha256)", latest.code, v.code}, {"handler", latest.handler, v.handler}, {"runtime", latest.runtime, v.runtime},
		{"memory", latest.memory, v.memory}, {"timeout", latest.timeout, v.timeout}, {"layers", strings.Join(latest.layers, ","), strings.Join(v.layers, ",")}} {
		if f.x != f.y {
			out = append(out, f.name)
		}
	}
	want, _ := change.merge(v.env)
	var env []string
	for _, k := range sortedNames(latest.env) {
		if w, ok := want[k]; !ok || w != latest.env[k] {
			env = append(env, k)
		}
	}
	for _, k := range sortedNames(want) {
		if _, ok := latest.env[k]; !ok {
			env = append(env, k)
		}
	}
	if len(env) > 0 {
		out = append(out, "environment "+strings.Join(env, ", "))
	}
	return out
}

// PublishFunctionVersion waits for an update in progress to finish (PublishVersion refuses one with
// ResourceConflictException), checks $LATEST against Like, and publishes it with its CodeSha256 and
// RevisionId as preconditions, so what is published is exactly what was checked. A changed $LATEST
// (PreconditionFailedException) is read and checked again.
func (a *Activities) PublishFunctionVersion(ctx context.Context, in VersionPublish) (PublishedVersion, error) {
	res := PublishedVersion{Function: in.Function, Region: in.Region}
	for attempt := 1; ; attempt++ {
		var latest fullConfig
		if _, err := a.waitFor(ctx, func(ctx context.Context) (bool, string, error) {
			var err error
			latest, err = a.readRelease(ctx, in.Region, in.Function, "")
			return err == nil && latest.status != types.LastUpdateStatusInProgress, string(latest.status), err
		}); err != nil {
			return res, err
		}
		if in.Like != "" {
			like, err := a.readRelease(ctx, in.Region, in.Function, in.Like)
			if err != nil {
				return res, err
			}
			if d := releaseDrift(latest, like, in.Change); len(d) > 0 {
				return res, refuse(ErrLatestDiverged, "lambda %s in %s: $LATEST is not version %s (which the alias serves) with only this step's environment change: it differs in %s, and publishing it would release that too. Bring $LATEST back to version %s (aws lambda get-function-configuration --qualifier %s) or publish the change deliberately, then retry the step; or stop writes at the API stage (corruption.writeStop api-throttle)",
					in.Function, in.Region, in.Like, strings.Join(d, "; "), in.Like, in.Like)
			}
		}
		out, err := a.AWS.Lambda(in.Region).PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(in.Function),
			CodeSha256: aws.String(latest.code), RevisionId: aws.String(latest.rev)})
		var ae smithy.APIError
		if err != nil && errors.As(err, &ae) && ae.ErrorCode() == "PreconditionFailedException" && attempt < 5 {
			continue
		}
		if err != nil {
			return res, classify(err, "lambda:PublishVersion", in.Function, in.Region)
		}
		res.Version = aws.ToString(out.Version)
		return res, nil
	}
}

// VersionRef names a published version.
type VersionRef struct {
	Region   string `json:"region"`
	Function string `json:"function"`
	Version  string `json:"version"`
}

var publishedVersionActive = func() (f func(context.Context, *lambda.GetFunctionConfigurationInput, *lambda.GetFunctionConfigurationOutput, error) (bool, error)) {
	lambda.NewPublishedVersionActiveWaiter(nil, func(o *lambda.PublishedVersionActiveWaiterOptions) { f = o.Retryable })
	return f
}()

// versionActiveVerdict judges a version's State by the SDK's PublishedVersionActive waiter.
func versionActiveVerdict(ctx context.Context, state types.State) verdict {
	return verdictOf(publishedVersionActive(ctx, nil, &lambda.GetFunctionConfigurationOutput{State: state}, nil))
}

// WaitVersionActive waits until a published version is Active, by the SDK's PublishedVersionActive
// waiter's acceptors: Pending polls again, Failed fails at once with Lambda's reason.
func (a *Activities) WaitVersionActive(ctx context.Context, ref VersionRef) (FunctionUpdate, error) {
	res := FunctionUpdate{Function: ref.Function + ":" + ref.Version, Region: ref.Region}
	p, err := a.waitFor(ctx, func(ctx context.Context) (bool, string, error) {
		out, err := a.AWS.Lambda(ref.Region).GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{
			FunctionName: aws.String(ref.Function), Qualifier: aws.String(ref.Version)})
		if err != nil {
			return false, "", classify(err, "lambda:GetFunctionConfiguration", ref.Function+":"+ref.Version, ref.Region)
		}
		res.RevisionID = aws.ToString(out.RevisionId)
		state := out.State
		switch versionActiveVerdict(ctx, state) {
		case pollFailure:
			return false, string(state), failureState("lambda version", ref.Function+":"+ref.Version, ref.Region, string(state), "PublishedVersionActive",
				fmt.Sprintf("%s: %s; publish again once the cause is fixed", out.StateReasonCode, aws.ToString(out.StateReason)))
		case pollSuccess:
			return true, string(state), nil
		}
		return false, string(state), nil
	})
	res.Status, res.Progress = p.LastSeen, p
	return res, err
}
