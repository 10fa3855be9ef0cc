package temporalclient

import (
	"go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
)

// inputRefuser is a workflow request that reports its own undecodable payload (workflows.Common).
type inputRefuser interface{ RefuseInput(error) }

// dataConverter is the SDK's default converter, except that a workflow request whose payload cannot be
// decoded (malformed JSON sent by some client) still reaches its workflow, which then fails the run with
// a non-retryable InvalidRequest that says what is wrong. Without it the SDK fails the run with a decoder
// error before any of our validation can speak.
type dataConverter struct{ converter.DataConverter }

// DataConverter is used by every client and worker of the project.
func DataConverter() converter.DataConverter {
	return dataConverter{converter.GetDefaultDataConverter()}
}

func (d dataConverter) FromPayloads(payloads *common.Payloads, valuePtrs ...any) error {
	for i, p := range payloads.GetPayloads() {
		if i >= len(valuePtrs) {
			break
		}
		if err := d.FromPayload(p, valuePtrs[i]); err != nil {
			r, ok := valuePtrs[i].(inputRefuser)
			if !ok {
				return err
			}
			r.RefuseInput(err)
		}
	}
	return nil
}

// CodecDataConverter is DataConverter with codec's encryption around it: the malformed-request handling
// still sees the decrypted payload. A nil or keyless codec still wraps, so that an encrypted payload
// reaching a client without keys fails naming the missing setting rather than as malformed JSON.
func CodecDataConverter(codec *Codec) converter.DataConverter {
	if codec == nil {
		codec = &Codec{}
	}
	return converter.NewCodecDataConverter(DataConverter(), codec)
}

// FailureConverter encodes failure messages and stack traces with the codec when it encrypts: activity
// errors name tables, clusters and stacks, and would otherwise sit in history in plaintext.
func FailureConverter(codec *Codec) converter.FailureConverter {
	return temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{
		DataConverter:          CodecDataConverter(codec),
		EncodeCommonAttributes: codec.Encrypts(),
	})
}
