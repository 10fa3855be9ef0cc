package activities

import (
	"context"
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

// waitFor polls check every poll interval until it reports done, heartbeating Progress each time.
func (a *Activities) waitFor(ctx context.Context, check func(ctx context.Context) (done bool, seen string, err error)) (Progress, error) {
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
		select {
		case <-ctx.Done():
			return p, ctx.Err()
		case <-time.After(a.poll()):
		}
	}
}
