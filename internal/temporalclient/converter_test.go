package temporalclient

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"

	"github.com/roadcall/dr/workflows"
)

func TestMalformedRequestReachesWorkflowAsRefusal(t *testing.T) {
	dc := DataConverter()
	bad := &common.Payloads{Payloads: []*common.Payload{{
		Metadata: map[string][]byte{converter.MetadataEncoding: []byte(converter.MetadataEncodingJSON)},
		Data:     []byte(`{"topology": {"platform": "roadcall",`),
	}}}
	var req workflows.ReadinessRequest
	require.NoError(t, dc.FromPayloads(bad, &req))
	err := req.Prepare()
	require.ErrorContains(t, err, "malformed JSON")

	// Other values still fail to decode as before.
	var n int
	require.Error(t, dc.FromPayloads(bad, &n))

	good, err := dc.ToPayloads(workflows.ReadinessRequest{AlarmOnFailure: new(bool)})
	require.NoError(t, err)
	var back workflows.ReadinessRequest
	require.NoError(t, dc.FromPayloads(good, &back))
	require.NotNil(t, back.AlarmOnFailure)
}
