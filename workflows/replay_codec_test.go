package workflows

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/common/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/proxy"
	"go.temporal.io/sdk/client"

	"github.com/roadcall/dr/internal/temporalclient"
)

func testCodec(t *testing.T, id string) *temporalclient.Codec {
	t.Helper()
	k := make([]byte, 32)
	_, err := rand.Read(k)
	require.NoError(t, err)
	c, err := temporalclient.NewCodec("test", temporalclient.CodecKey{ID: id, Key: k})
	require.NoError(t, err)
	return c
}

func loadGolden(t *testing.T, f string) *historypb.History {
	t.Helper()
	r, err := os.Open(f)
	require.NoError(t, err)
	defer r.Close()
	h, err := client.HistoryFromJSON(r, client.HistoryJSONOptions{})
	require.NoError(t, err)
	return h
}

// encrypt encrypts every payload of h as a keyed worker and starter would have written it; search
// attributes stay plaintext, as the SDK never encodes them (the server indexes them).
func encrypt(t *testing.T, h *historypb.History, c *temporalclient.Codec) {
	t.Helper()
	require.NoError(t, proxy.VisitPayloads(context.Background(), h, proxy.VisitPayloadsOptions{
		SkipSearchAttributes: true,
		Visitor: func(_ *proxy.VisitPayloadsContext, p []*common.Payload) ([]*common.Payload, error) {
			return c.Encode(p)
		},
	}))
}

// TestGoldenHistoriesReplayThroughCodec replays every golden with the replayer `starter replay` uses: as
// recorded (plaintext, which a keyed replayer passes through), and encrypted, as a worker with
// ROADCALL_CODEC_KEY would have recorded it. Encrypted, it replays only with the key, and without it fails
// naming the key ID and the setting.
func TestGoldenHistoriesReplayThroughCodec(t *testing.T) {
	byName := workflowsByName()
	codec := testCodec(t, "golden")
	for f, typ := range goldenFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			replay := func(c *temporalclient.Codec, h *historypb.History) error {
				r, err := temporalclient.NewReplayer(c)
				require.NoError(t, err)
				r.RegisterWorkflow(byName[typ])
				return r.ReplayWorkflowHistory(quietLogger, h)
			}
			require.NoError(t, replay(codec, loadGolden(t, f)), "plaintext golden through a keyed replayer")

			h := loadGolden(t, f)
			encrypt(t, h, codec)
			in := h.Events[0].GetWorkflowExecutionStartedEventAttributes().GetInput().GetPayloads()[0]
			require.NotContains(t, string(in.GetData()), "roadcall", "the encrypted input still shows the platform")
			require.NoError(t, replay(codec, h), "encrypted golden with its key")

			// Without the key, or with another one, the replay cannot pass, and the check `starter replay`
			// runs first says why (the replayer itself only sees a workflow task it cannot complete).
			require.Error(t, replay(nil, h), "encrypted golden replayed without its key")
			err := temporalclient.CheckDecodable(nil, h)
			require.Error(t, err)
			require.Contains(t, err.Error(), `key ID "golden"`)
			require.True(t, strings.Contains(err.Error(), temporalclient.EnvCodecKey), err.Error())
			require.Error(t, replay(testCodec(t, "other"), h))
			require.ErrorContains(t, temporalclient.CheckDecodable(testCodec(t, "other"), h), `key ID "golden", which is not among the configured keys (other`)
			require.NoError(t, temporalclient.CheckDecodable(codec, h))
		})
	}
}
