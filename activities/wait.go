package activities

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/sdk/activity"
)

// Progress is what wait activities heartbeat: how long they have waited and the last state seen. A retried
// attempt (or one picked up by a replacement worker) reads it back and resumes the wait instead of
// starting over, so the measured timeline stays honest.
type Progress struct {
	Since    time.Time `json:"since"`
	Polls    int       `json:"polls"`
	LastSeen string    `json:"lastSeen"`
}

// errPastWithin is waitWithin's answer when the state was not reached in time.
var errPastWithin = errors.New("the wait ran past its time")

// waitFor polls check every poll interval until it reports done, heartbeating Progress each time.
func (a *Activities) waitFor(ctx context.Context, check func(ctx context.Context) (done bool, seen string, err error)) (Progress, error) {
	return a.waitWithin(ctx, 0, check)
}

// waitWithin is waitFor that gives up with errPastWithin once within has passed since the wait began (a
// resumed attempt counts from the first one's start); 0 waits until the activity's own timeout.
func (a *Activities) waitWithin(ctx context.Context, within time.Duration, check func(ctx context.Context) (done bool, seen string, err error)) (Progress, error) {
	var p Progress
	if activity.IsActivity(ctx) && activity.HasHeartbeatDetails(ctx) {
		_ = activity.GetHeartbeatDetails(ctx, &p)
	}
	if p.Since.IsZero() {
		p.Since = time.Now()
	}
	for {
		done, seen, err := check(ctx)
		if err != nil {
			if seen != "" {
				// A poll that saw a state and failed on it (a waiter's failure state) is one the result names.
				p.Polls++
				p.LastSeen = seen
			}
			return p, err
		}
		p.Polls++
		p.LastSeen = seen
		if activity.IsActivity(ctx) {
			activity.RecordHeartbeat(ctx, p)
		}
		if done {
			return p, nil
		}
		if within > 0 && time.Since(p.Since) >= within {
			return p, errPastWithin
		}
		select {
		case <-ctx.Done():
			return p, ctx.Err()
		case <-time.After(a.poll()):
		}
	}
}
