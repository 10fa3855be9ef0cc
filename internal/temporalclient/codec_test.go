package temporalclient

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/roadcall/dr/workflows"
)

func newKey(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, 32)
	_, err := rand.Read(k)
	require.NoError(t, err)
	return k
}

func codecOf(t *testing.T, keys ...CodecKey) *Codec {
	t.Helper()
	c, err := NewCodec("test", keys...)
	require.NoError(t, err)
	return c
}

func jsonPayload(s string) *common.Payload {
	return &common.Payload{Metadata: map[string][]byte{converter.MetadataEncoding: []byte(converter.MetadataEncodingJSON)}, Data: []byte(s)}
}

func TestCodecEncryptsWholePayloadWithKeyIDAndFreshNonce(t *testing.T) {
	c := codecOf(t, CodecKey{"k1", newKey(t)})
	plain := jsonPayload(`{"tables":["roadcall-jobs"]}`)
	enc, err := c.Encode([]*common.Payload{plain, plain})
	require.NoError(t, err)
	for _, p := range enc {
		require.Equal(t, MetadataEncodingEncrypted, string(p.Metadata[converter.MetadataEncoding]))
		require.Equal(t, "k1", string(p.Metadata[MetadataKeyID]))
		require.NotContains(t, string(p.Data), "roadcall-jobs")
		require.NotContains(t, string(p.Data), "json/plain", "the inner encoding is encrypted too")
	}
	require.False(t, bytes.Equal(enc[0].Data, enc[1].Data), "same plaintext, same ciphertext: the nonce is not random")
	dec, err := c.Decode(enc)
	require.NoError(t, err)
	require.Equal(t, plain.Data, dec[0].Data)
	require.Equal(t, plain.Metadata, dec[1].Metadata)
	// Plaintext payloads (histories from before encryption, the goldens) pass through.
	same, err := c.Decode([]*common.Payload{plain})
	require.NoError(t, err)
	require.Same(t, plain, same[0])
}

func TestCodecRotationOldKeysStillDecrypt(t *testing.T) {
	oldK, newK := CodecKey{"2025-01", newKey(t)}, CodecKey{"2026-06", newKey(t)}
	before, err := codecOf(t, oldK).Encode([]*common.Payload{jsonPayload(`"old"`)})
	require.NoError(t, err)
	rotated := codecOf(t, newK, oldK)
	require.Equal(t, "2026-06", rotated.KeyID(), "the first (newest) key encrypts")
	dec, err := rotated.Decode(before)
	require.NoError(t, err)
	require.Equal(t, `"old"`, string(dec[0].Data))
	after, err := rotated.Encode([]*common.Payload{jsonPayload(`"new"`)})
	require.NoError(t, err)
	require.Equal(t, "2026-06", string(after[0].Metadata[MetadataKeyID]))

	// Dropping the old key too early: the old payload names its key.
	_, err = codecOf(t, newK).Decode(before)
	require.ErrorContains(t, err, `key ID "2025-01"`)
	require.ErrorContains(t, err, "not among the configured keys (2026-06")
}

func TestCodecWrongKeyOrTamperingFailsNamingTheKeyID(t *testing.T) {
	k := CodecKey{"prod", newKey(t)}
	enc, err := codecOf(t, k).Encode([]*common.Payload{jsonPayload(`{"a":1}`)})
	require.NoError(t, err)

	// Same ID, other key material: authentication fails, no garbage comes out.
	_, err = codecOf(t, CodecKey{"prod", newKey(t)}).Decode(enc)
	require.ErrorContains(t, err, `key ID "prod" fails authentication`)

	// A flipped bit.
	bad := &common.Payload{Metadata: enc[0].Metadata, Data: bytes.Clone(enc[0].Data)}
	bad.Data[len(bad.Data)-1] ^= 1
	_, err = codecOf(t, k).Decode([]*common.Payload{bad})
	require.ErrorContains(t, err, `key ID "prod" fails authentication`)

	// Relabelled with another configured key's ID: the ID is authenticated data.
	other := CodecKey{"other", bytes.Clone(k.Key)}
	relabelled := &common.Payload{Metadata: map[string][]byte{converter.MetadataEncoding: []byte(MetadataEncodingEncrypted), MetadataKeyID: []byte("other")}, Data: enc[0].Data}
	_, err = codecOf(t, other).Decode([]*common.Payload{relabelled})
	require.ErrorContains(t, err, `key ID "other" fails authentication`)

	// Truncated, and without a key ID.
	_, err = codecOf(t, k).Decode([]*common.Payload{{Metadata: enc[0].Metadata, Data: enc[0].Data[:5]}})
	require.ErrorContains(t, err, "truncated")
	_, err = codecOf(t, k).Decode([]*common.Payload{{Metadata: map[string][]byte{converter.MetadataEncoding: []byte(MetadataEncodingEncrypted)}, Data: enc[0].Data}})
	require.ErrorContains(t, err, MetadataKeyID)

	// No key at all: the data converter names the setting instead of calling ciphertext malformed JSON.
	var req workflows.ReadinessRequest
	err = CodecDataConverter(nil).FromPayloads(&common.Payloads{Payloads: enc}, &req)
	require.ErrorContains(t, err, `encrypted with key ID "prod" and no key is configured: set ROADCALL_CODEC_KEY`)
}

func TestCodecDataConverterKeepsMalformedRequestHandling(t *testing.T) {
	c := codecOf(t, CodecKey{"k", newKey(t)})
	dc := CodecDataConverter(c)
	enc, err := c.Encode([]*common.Payload{jsonPayload(`{"topology": {"platform": "roadcall",`)})
	require.NoError(t, err)
	var req workflows.ReadinessRequest
	require.NoError(t, dc.FromPayloads(&common.Payloads{Payloads: enc}, &req))
	require.ErrorContains(t, req.Prepare(), "malformed JSON")

	good, err := dc.ToPayloads(workflows.ReadinessRequest{AlarmOnFailure: new(bool)})
	require.NoError(t, err)
	require.Equal(t, MetadataEncodingEncrypted, string(good.Payloads[0].Metadata[converter.MetadataEncoding]))
	var back workflows.ReadinessRequest
	require.NoError(t, dc.FromPayloads(good, &back))
	require.NotNil(t, back.AlarmOnFailure)
}

func TestFailureConverterEncryptsMessagesWhenKeyed(t *testing.T) {
	c := codecOf(t, CodecKey{"k", newKey(t)})
	f := FailureConverter(c).ErrorToFailure(temporal.NewApplicationError("restore of table roadcall-jobs failed", "X"))
	require.NotContains(t, f.String(), "roadcall-jobs")
	back := FailureConverter(c).FailureToError(f)
	require.ErrorContains(t, back, "restore of table roadcall-jobs failed")
	// Without a key, failures stay as they always were.
	plain := FailureConverter(nil).ErrorToFailure(errors.New("table roadcall-jobs"))
	require.Contains(t, plain.GetMessage(), "roadcall-jobs")
}

func TestCodecKeySettings(t *testing.T) {
	k1, k2 := newKey(t), newKey(t)
	b64 := base64.StdEncoding.EncodeToString
	file := writeFile(t, "keys", fmt.Sprintf("# newest first\nnew:%s\n\nold:%s\n", b64(k2), b64(k1)))
	short := b64(k1[:16])

	// A bare key gets a stable derived ID; the variable may list several, newest first.
	conn := load(t, parse(t, noFile(fakeEnv{EnvCodecKey: b64(k1)})))
	require.Equal(t, DerivedKeyID(k1), conn.Codec.KeyID())
	require.Contains(t, conn.String(), "payloads encrypted with key "+DerivedKeyID(k1))
	require.NotContains(t, conn.String()+fmt.Sprintf("%v %#v", conn.Codec, conn.Codec), b64(k1))
	conn = load(t, parse(t, noFile(fakeEnv{EnvCodecKey: "b:" + b64(k2) + ", a:" + b64(k1)})))
	require.Equal(t, []string{"b", "a"}, conn.Codec.KeyIDs())
	// The file, by variable or by flag (the flag wins over the variable).
	conn = load(t, parse(t, noFile(fakeEnv{EnvCodecKeyFile: file})))
	require.Equal(t, []string{"new", "old"}, conn.Codec.KeyIDs())
	conn = load(t, parse(t, noFile(fakeEnv{EnvCodecKeyFile: "/nonexistent"}), "--codec-key-file", file))
	require.Equal(t, "new", conn.Codec.KeyID())
	// None: nothing is encrypted.
	conn = load(t, parse(t, noFile(fakeEnv{EnvCodecKey: ""})))
	require.False(t, conn.Codec.Encrypts())

	missing := filepath.Join(t.TempDir(), "missing")
	for _, tc := range []struct {
		name string
		env  fakeEnv
		args []string
		want []string
	}{
		{"short key", fakeEnv{EnvCodecKey: short}, nil, []string{EnvCodecKey, "16 bytes", "exactly 32", "openssl rand -base64 32"}},
		{"long key in file", fakeEnv{EnvCodecKeyFile: writeFile(t, "long", "x:"+b64(append(k1, 1)))}, nil, []string{EnvCodecKeyFile, `key "x" is 33 bytes`}},
		{"not base64", fakeEnv{EnvCodecKey: "not base64!"}, nil, []string{EnvCodecKey, "not base64"}},
		{"bad ID", fakeEnv{EnvCodecKey: "a b:" + b64(k1)}, nil, []string{EnvCodecKey, `key ID "a b"`}},
		{"duplicate ID", fakeEnv{EnvCodecKey: "a:" + b64(k1) + ",a:" + b64(k2)}, nil, []string{`"a" appears twice`}},
		{"unreadable file", fakeEnv{EnvCodecKeyFile: missing}, nil, []string{EnvCodecKeyFile, missing, "no such file"}},
		{"unreadable flag file", fakeEnv{}, []string{"--codec-key-file", missing}, []string{"--codec-key-file", missing}},
		{"empty file", fakeEnv{EnvCodecKeyFile: writeFile(t, "empty", "# nothing\n")}, nil, []string{"holds no key"}},
		{"both", fakeEnv{EnvCodecKey: b64(k1), EnvCodecKeyFile: file}, nil, []string{EnvCodecKey, EnvCodecKeyFile, "both set"}},
	} {
		_, err := parse(t, noFile(tc.env), tc.args...).Load()
		if err == nil {
			t.Errorf("%s: loaded", tc.name)
			continue
		}
		if !IsSettingError(err) {
			t.Errorf("%s: %T is not a SettingError: %v", tc.name, err, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q lacks %q", tc.name, err, w)
			}
		}
		for _, secret := range []string{b64(k1), b64(k2), short} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("%s: the message shows key material: %v", tc.name, err)
			}
		}
	}
}
