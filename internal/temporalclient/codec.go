package temporalclient

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"

	"go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
)

// The codec's settings and the metadata it writes. The metadata names follow Temporal's encryption
// sample, so a payload's shape is familiar to anyone who has read it.
const (
	EnvCodecKey     = "ROADCALL_CODEC_KEY"
	EnvCodecKeyFile = "ROADCALL_CODEC_KEY_FILE"
	// MetadataEncodingEncrypted marks a payload this codec encrypted; others pass through untouched, so
	// histories recorded before encryption was turned on (and the plaintext goldens) still decode.
	MetadataEncodingEncrypted = "binary/encrypted"
	// MetadataKeyID names the key that encrypted the payload, so a rotated-out key can still decrypt it.
	MetadataKeyID = "encryption-key-id"
)

var keyIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// Codec encrypts payloads with AES-256-GCM. Its first key encrypts; every key decrypts the payloads
// that name its ID. A Codec without keys encrypts nothing and refuses encrypted payloads with a message
// that says which setting is missing, instead of handing ciphertext to the JSON decoder.
type Codec struct {
	ids    []string // first is the current key
	aeads  map[string]cipher.AEAD
	source string // the setting the keys came from, for messages
}

// CodecKey is one key and its ID. The key bytes are never printed.
type CodecKey struct {
	ID  string
	Key []byte
}

// NewCodec builds a codec from keys, newest first. source names the setting they came from.
func NewCodec(source string, keys ...CodecKey) (*Codec, error) {
	c := &Codec{aeads: map[string]cipher.AEAD{}, source: source}
	for _, k := range keys {
		if len(k.Key) != 32 {
			return nil, settingErr("%s: key %q is %d bytes; AES-256 needs exactly 32 (generate one with: openssl rand -base64 32)", source, k.ID, len(k.Key))
		}
		if _, dup := c.aeads[k.ID]; dup {
			return nil, settingErr("%s: key ID %q appears twice; every key needs its own ID", source, k.ID)
		}
		block, err := aes.NewCipher(k.Key)
		if err != nil {
			return nil, settingErr("%s: key %q: %v", source, k.ID, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, settingErr("%s: key %q: %v", source, k.ID, err)
		}
		c.ids = append(c.ids, k.ID)
		c.aeads[k.ID] = aead
	}
	return c, nil
}

// ParseCodecKeys reads keys, newest first: entries separated by commas or newlines, each "ID:BASE64" or
// a bare BASE64 (its ID is then derived from the key). Blank lines and lines starting with # are skipped.
// source names the setting in messages; a message never shows key material.
func ParseCodecKeys(source, spec string) ([]CodecKey, error) {
	var keys []CodecKey
	for _, line := range strings.Split(spec, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		for _, entry := range strings.Split(line, ",") {
			entry = strings.TrimSpace(entry)
			if entry == "" {
				continue
			}
			id, b64, hasID := strings.Cut(entry, ":")
			if !hasID {
				b64, id = id, ""
			}
			key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
			if err != nil {
				return nil, settingErr("%s: entry %d is not base64 (want ID:BASE64 or BASE64 of 32 random bytes, e.g. from: openssl rand -base64 32)", source, len(keys)+1)
			}
			id = strings.TrimSpace(id)
			if !hasID {
				id = DerivedKeyID(key)
			} else if !keyIDPattern.MatchString(id) {
				return nil, settingErr("%s: key ID %q: use 1-64 letters, digits, '.', '_' or '-'", source, id)
			}
			if len(key) != 32 {
				return nil, settingErr("%s: key %q is %d bytes; AES-256 needs exactly 32 (generate one with: openssl rand -base64 32)", source, id, len(key))
			}
			keys = append(keys, CodecKey{ID: id, Key: key})
		}
	}
	if len(keys) == 0 {
		return nil, settingErr("%s is set but holds no key (want ID:BASE64 or BASE64 of 32 random bytes)", source)
	}
	return keys, nil
}

// DerivedKeyID is the ID of a key given without one: a hash of the key under a fixed label, so the same
// key always gets the same ID and the ID reveals nothing usable about the key.
func DerivedKeyID(key []byte) string {
	sum := sha256.Sum256(append([]byte("roadcall-dr payload key id\x00"), key...))
	return "k-" + hex.EncodeToString(sum[:6])
}

// loadCodec resolves the key settings: the --codec-key-file flag, else ROADCALL_CODEC_KEY_FILE, else
// ROADCALL_CODEC_KEY. Giving both the variable and a file is refused, because either could silently win.
// No setting gives a keyless codec.
func loadCodec(env interface {
	LookupEnv(string) (string, bool)
}, flagFile string) (*Codec, error) {
	key, hasKey := env.LookupEnv(EnvCodecKey)
	file, fileSetting := flagFile, "--codec-key-file"
	if file == "" {
		if v, ok := env.LookupEnv(EnvCodecKeyFile); ok {
			file, fileSetting = v, EnvCodecKeyFile
		}
	}
	switch {
	case file != "" && hasKey:
		return nil, settingErr("%s and %s are both set: give the keys in one place", EnvCodecKey, fileSetting)
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, settingErr("%s: cannot read %s: %v", fileSetting, file, unwrapPath(err))
		}
		src := fileSetting + " " + file
		keys, err := ParseCodecKeys(src, string(b))
		if err != nil {
			return nil, err
		}
		return NewCodec(src, keys...)
	case hasKey:
		keys, err := ParseCodecKeys(EnvCodecKey, key)
		if err != nil {
			return nil, err
		}
		return NewCodec(EnvCodecKey, keys...)
	}
	return &Codec{aeads: map[string]cipher.AEAD{}}, nil
}

// Encrypts says whether the codec has a key, i.e. whether new payloads are encrypted.
func (c *Codec) Encrypts() bool { return c != nil && len(c.ids) > 0 }

// KeyID is the ID of the key that encrypts, "" none.
func (c *Codec) KeyID() string {
	if !c.Encrypts() {
		return ""
	}
	return c.ids[0]
}

// KeyIDs are the IDs of every key, newest first.
func (c *Codec) KeyIDs() []string {
	if c == nil {
		return nil
	}
	return slices.Clone(c.ids)
}

// String names the keys by ID only.
func (c *Codec) String() string {
	if !c.Encrypts() {
		return "no payload encryption"
	}
	return fmt.Sprintf("AES-256-GCM, key %s encrypts, decrypts %s (from %s)", c.ids[0], strings.Join(c.ids, ", "), c.source)
}

// GoString keeps %#v from printing the key schedule.
func (c *Codec) GoString() string { return c.String() }

// Encode encrypts each payload, whole (data and metadata, so not even its encoding shows), with the
// current key and a random nonce. The key ID is also the GCM additional data, so relabelling a payload
// with another ID fails authentication.
func (c *Codec) Encode(payloads []*common.Payload) ([]*common.Payload, error) {
	if !c.Encrypts() {
		return payloads, nil
	}
	id := c.ids[0]
	aead := c.aeads[id]
	out := make([]*common.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("encrypt payload: %w", err)
		}
		nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
		if _, err := rand.Read(nonce); err != nil {
			return nil, converter.NewWorkflowTaskFailureError(fmt.Errorf("encrypt payload: nonce: %w", err))
		}
		out[i] = &common.Payload{
			Metadata: map[string][]byte{converter.MetadataEncoding: []byte(MetadataEncodingEncrypted), MetadataKeyID: []byte(id)},
			Data:     aead.Seal(nonce, nonce, plain, []byte(id)),
		}
	}
	return out, nil
}

// Decode decrypts the payloads this codec's format marks as encrypted and passes the others through.
func (c *Codec) Decode(payloads []*common.Payload) ([]*common.Payload, error) {
	out := make([]*common.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != MetadataEncodingEncrypted {
			out[i] = p
			continue
		}
		d, err := c.decrypt(p)
		if err != nil {
			// A worker with the wrong keys is a deployment mistake, not a bad run: fail the workflow task,
			// which Temporal retries (on this or a correctly keyed worker), never the workflow execution.
			return nil, converter.NewWorkflowTaskFailureError(err)
		}
		out[i] = d
	}
	return out, nil
}

func (c *Codec) decrypt(p *common.Payload) (*common.Payload, error) {
	id := string(p.GetMetadata()[MetadataKeyID])
	if id == "" {
		return nil, fmt.Errorf("encrypted payload has no %s metadata: it was not written by this codec", MetadataKeyID)
	}
	aead, ok := c.aeads[id]
	switch {
	case !ok && !c.Encrypts():
		return nil, fmt.Errorf("payload is encrypted with key ID %q and no key is configured: set %s (or %s) to the keys, including %q", id, EnvCodecKey, EnvCodecKeyFile, id)
	case !ok:
		return nil, fmt.Errorf("payload is encrypted with key ID %q, which is not among the configured keys (%s from %s): add that key, keeping old keys after the new one when rotating", id, strings.Join(c.ids, ", "), c.source)
	}
	data := p.GetData()
	if len(data) < aead.NonceSize()+aead.Overhead() {
		return nil, fmt.Errorf("payload encrypted with key ID %q is truncated (%d bytes)", id, len(data))
	}
	plain, err := aead.Open(nil, data[:aead.NonceSize()], data[aead.NonceSize():], []byte(id))
	if err != nil {
		return nil, fmt.Errorf("payload encrypted with key ID %q fails authentication: the key configured under that ID (%s) is not the one that encrypted it, or the payload was altered", id, c.source)
	}
	var out common.Payload
	if err := proto.Unmarshal(plain, &out); err != nil {
		return nil, fmt.Errorf("payload encrypted with key ID %q: decrypted bytes are not a payload: %w", id, err)
	}
	return &out, nil
}

var _ converter.PayloadCodec = (*Codec)(nil)
