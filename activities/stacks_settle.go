package activities

import (
	"context"
	"strings"
)

// WaitStackSettled polls until the stack is in no *_IN_PROGRESS state, whatever it settles in. Reverting a
// preparation needs it: CloudFormation takes no UpdateStack while one is in flight, and an update the run
// started before its gate may still be running when the gate is rejected. The state it settled in is the
// answer: the revert's SetStackParameter refuses a failed one with its own message.
func (a *Activities) WaitStackSettled(ctx context.Context, in StackRef) (StackState, error) {
	st := StackState{Stack: in.Stack, Region: in.Region}
	p, err := a.waitFor(ctx, func(ctx context.Context) (bool, string, error) {
		info, err := a.DescribeStack(ctx, in)
		if err != nil {
			return false, "", err
		}
		if !info.Exists {
			return false, "", refuse("ValidationError", "stack %s in %s does not exist", in.Stack, in.Region)
		}
		st.Status = info.Status
		return !strings.HasSuffix(info.Status, "_IN_PROGRESS"), info.Status, nil
	})
	st.Progress = p
	return st, err
}
