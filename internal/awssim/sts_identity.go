package awssim

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Identity is an IAM principal with long-term keys, as `--identities` lists them. With identities loaded,
// STS checks the SigV4 signature of requests made with their keys, as AWS checks every request.
type Identity struct {
	Name            string `json:"name"`
	ARN             string `json:"arn"`
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
}

// OperatorAccessKey is the key awssim's own examples use; it stays the DR operator's role, unchecked.
const OperatorAccessKey = "awssim"

var identityARN = regexp.MustCompile(`^arn:aws:iam::(\d{12}):(user|role)/[\w+=,.@/-]+$`)

// LoadIdentities reads a JSON list of identities and validates it.
func LoadIdentities(path string) ([]Identity, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("identities: %w", err)
	}
	var ids []Identity
	if err := json.Unmarshal(b, &ids); err != nil {
		return nil, fmt.Errorf("identities %s: want a JSON list of {name, arn, accessKeyId, secretAccessKey}: %w", path, err)
	}
	if err := validateIdentities(ids); err != nil {
		return nil, fmt.Errorf("identities %s: %w", path, err)
	}
	return ids, nil
}

func validateIdentities(ids []Identity) error {
	if len(ids) == 0 {
		return fmt.Errorf("the list is empty")
	}
	seen := map[string]string{}
	for i, id := range ids {
		switch {
		case id.Name == "":
			return fmt.Errorf("[%d]: name is empty", i)
		case !identityARN.MatchString(id.ARN):
			return fmt.Errorf("%s: arn %q is not an IAM user or role ARN (arn:aws:iam::123456789012:user/NAME)", id.Name, id.ARN)
		case id.AccessKeyID == "" || id.SecretAccessKey == "":
			return fmt.Errorf("%s: accessKeyId and secretAccessKey are both needed", id.Name)
		case id.AccessKeyID == OperatorAccessKey:
			return fmt.Errorf("%s: access key %q is the operator's; pick another", id.Name, OperatorAccessKey)
		}
		if other, dup := seen[id.AccessKeyID]; dup {
			return fmt.Errorf("%s: access key %s is also %s's", id.Name, id.AccessKeyID, other)
		}
		seen[id.AccessKeyID] = id.Name
	}
	return nil
}

func (id Identity) account() string { return identityARN.FindStringSubmatch(id.ARN)[1] }

// userID stands in for the unique ID IAM gives a user (AIDA...) or role (AROA...): stable per ARN.
func (id Identity) userID() string {
	sum := sha256.Sum256([]byte(id.ARN))
	prefix := "AIDA"
	if strings.Contains(id.ARN, ":role/") {
		prefix = "AROA"
	}
	return prefix + strings.ToUpper(hex.EncodeToString(sum[:8]))
}

// sigv4Window is how far a SigV4 date may be from the service's clock, and how long STS honours a presigned
// request whatever its X-Amz-Expires says ("more than 15 minutes after the date stamp on the request":
// RequestExpired, AWS Common Errors; STS ignores X-Amz-Expires: aws/aws-sdk-go#2167).
const sigv4Window = 15 * time.Minute

const amzDate = "20060102T150405Z"

// STS's refusals. Codes and statuses: InvalidClientTokenId 403 and RequestExpired 400 from the STS API
// Reference's Common Errors; SignatureDoesNotMatch 403 and its "Signature expired" message from the IAM
// User Guide's "Troubleshoot Signature Version 4 signing" and STS's answers in the wild; IncompleteSignature
// from Common Errors. GetCallerIdentity's model in botocore lists no errors of its own.
func errUnknownKey() error {
	return Errf(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
}
func errSignature() error {
	return Errf(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
}
func errIncomplete(format string, args ...any) error {
	return Errf(400, "IncompleteSignature", format, args...)
}

// authenticate finds the identity that signed c, checking the signature as STS does. It returns nil, nil
// for a header-signed request whose key is not in the table (the worker's own calls, answered as the
// operator role); a presigned request is always checked, since a presigned GetCallerIdentity is a proof.
func (s *Server) authenticate(c *Call) (*Identity, error) {
	q := c.Req.URL.Query()
	if q.Get("X-Amz-Signature") != "" || q.Get("X-Amz-Credential") != "" {
		return s.verifyPresigned(c, q)
	}
	auth := c.Req.Header.Get("Authorization")
	key := ""
	if i := strings.Index(auth, "Credential="); i >= 0 {
		key, _, _ = strings.Cut(auth[i+len("Credential="):], "/")
	}
	id, ok := s.identities[key]
	if !ok {
		return nil, nil
	}
	return &id, s.verifyHeaderSigned(c, id, auth)
}

func (s *Server) verifyPresigned(c *Call, q url.Values) (*Identity, error) {
	if alg := q.Get("X-Amz-Algorithm"); alg != "AWS4-HMAC-SHA256" {
		return nil, errIncomplete("X-Amz-Algorithm %q is not AWS4-HMAC-SHA256.", alg)
	}
	cred := strings.Split(q.Get("X-Amz-Credential"), "/")
	if len(cred) != 5 || cred[4] != "aws4_request" {
		return nil, errIncomplete("X-Amz-Credential %q is not KEY/DATE/REGION/SERVICE/aws4_request.", q.Get("X-Amz-Credential"))
	}
	sig, signedHeaders := q.Get("X-Amz-Signature"), q.Get("X-Amz-SignedHeaders")
	if sig == "" || signedHeaders == "" {
		return nil, errIncomplete("A presigned request needs X-Amz-Signature and X-Amz-SignedHeaders.")
	}
	id, ok := s.identities[cred[0]]
	if !ok {
		return nil, errUnknownKey()
	}
	signedAt, err := time.Parse(amzDate, q.Get("X-Amz-Date"))
	if err != nil {
		return nil, errIncomplete("X-Amz-Date %q is not an ISO 8601 basic date-time.", q.Get("X-Amz-Date"))
	}
	if err := checkScope(cred, signedAt); err != nil {
		return nil, err
	}
	if c.Now.After(signedAt.Add(sigv4Window)) || signedAt.After(c.Now.Add(sigv4Window)) {
		return nil, Errf(400, "RequestExpired", "Request has expired.")
	}
	q.Del("X-Amz-Signature")
	u := url.URL{Scheme: "http", Host: c.Req.Host, Path: c.Req.URL.Path, RawPath: c.Req.URL.RawPath, RawQuery: q.Encode()}
	r, err := http.NewRequest(c.Req.Method, u.String(), nil)
	if err != nil {
		return nil, errSignature()
	}
	r.Host = c.Req.Host
	if err := copySigned(r, c, signedHeaders); err != nil {
		return nil, err
	}
	// Hoisting is off: the received request already has every parameter where its signer put it.
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableHeaderHoisting = true })
	signedURL, _, err := signer.PresignHTTP(c.Req.Context(), id.credentials(), r, payloadHash(c), cred[3], cred[2], signedAt)
	if err != nil {
		return nil, errSignature()
	}
	su, err := url.Parse(signedURL)
	if err != nil || !sameSignature(su.Query().Get("X-Amz-Signature"), sig) || su.Query().Get("X-Amz-SignedHeaders") != signedHeaders {
		return nil, errSignature()
	}
	return &id, nil
}

var authRE = regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]+)$`)

func (s *Server) verifyHeaderSigned(c *Call, id Identity, auth string) error {
	m := authRE.FindStringSubmatch(auth)
	if m == nil {
		return errIncomplete("Authorization header is not AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=....")
	}
	cred, signedHeaders, sig := strings.Split(m[1], "/"), m[2], m[3]
	if len(cred) != 5 || cred[4] != "aws4_request" {
		return errIncomplete("Credential %q is not KEY/DATE/REGION/SERVICE/aws4_request.", m[1])
	}
	signedAt, err := time.Parse(amzDate, c.Req.Header.Get("X-Amz-Date"))
	if err != nil {
		return errIncomplete("X-Amz-Date %q is not an ISO 8601 basic date-time.", c.Req.Header.Get("X-Amz-Date"))
	}
	if err := checkScope(cred, signedAt); err != nil {
		return err
	}
	now := c.Now.UTC()
	if signedAt.Before(now.Add(-sigv4Window)) {
		return Errf(403, "SignatureDoesNotMatch", "Signature expired: %s is now earlier than %s (%s - 15 min.)",
			signedAt.Format(amzDate), now.Add(-sigv4Window).Format(amzDate), now.Format(amzDate))
	}
	if signedAt.After(now.Add(sigv4Window)) {
		return Errf(403, "SignatureDoesNotMatch", "Signature not yet current: %s is still later than %s (%s + 15 min.)",
			signedAt.Format(amzDate), now.Add(sigv4Window).Format(amzDate), now.Format(amzDate))
	}
	u := url.URL{Scheme: "http", Host: c.Req.Host, Path: c.Req.URL.Path, RawPath: c.Req.URL.RawPath, RawQuery: c.Req.URL.RawQuery}
	r, err := http.NewRequest(c.Req.Method, u.String(), nil)
	if err != nil {
		return errSignature()
	}
	r.Host = c.Req.Host
	if err := copySigned(r, c, signedHeaders); err != nil {
		return err
	}
	if err := v4.NewSigner().SignHTTP(c.Req.Context(), id.credentials(), r, payloadHash(c), cred[3], cred[2], signedAt); err != nil {
		return errSignature()
	}
	want := authRE.FindStringSubmatch(r.Header.Get("Authorization"))
	if want == nil || want[2] != signedHeaders || !sameSignature(want[3], sig) {
		return errSignature()
	}
	return nil
}

// checkScope holds the credential scope's date to the signing time, as SigV4 verification does. Its region
// and service are what routed the call here (one listener serves every region), so they need no check.
func checkScope(cred []string, signedAt time.Time) error {
	if cred[1] != signedAt.Format("20060102") {
		return errSignature()
	}
	return nil
}

// copySigned gives r exactly the headers the client signed, with the received values; the signer adds
// Host itself and Content-Length from the request's length, so a signed content-length sets that length.
func copySigned(r *http.Request, c *Call, signedHeaders string) error {
	for _, h := range strings.Split(signedHeaders, ";") {
		switch h {
		case "host":
			continue
		case "content-length":
			r.ContentLength = int64(len(c.Body))
			continue
		}
		vals := c.Req.Header.Values(h)
		if len(vals) == 0 {
			return errSignature()
		}
		r.Header[http.CanonicalHeaderKey(h)] = vals
	}
	return nil
}

func payloadHash(c *Call) string {
	if h := c.Req.Header.Get("X-Amz-Content-Sha256"); h != "" {
		return h
	}
	sum := sha256.Sum256(c.Body)
	return hex.EncodeToString(sum[:])
}

func sameSignature(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

func (id Identity) credentials() aws.Credentials {
	return aws.Credentials{AccessKeyID: id.AccessKeyID, SecretAccessKey: id.SecretAccessKey, Source: "awssim identities"}
}
