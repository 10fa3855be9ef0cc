package awssim

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// S3 objects: PutObject, GetObject and HeadObject, the calls a post-incident review upload and its read-back
// (`aws s3 cp s3://B/K -` heads the object first) make
// (botocore's s3 2006-03-01 model: PUT and GET /{Bucket}/{Key+}; PutObjectOutput's ETag header;
// GetObjectOutput's payload Body with Content-Type, Content-Length, ETag and Last-Modified headers; NoSuchKey
// is a 404). Only what those calls need is modeled: no versions, ranges, conditions or multipart.

// Object is one stored object.
type Object struct {
	Body         []byte    `json:"body"`
	ContentType  string    `json:"contentType"`
	ETag         string    `json:"etag"` // quoted hex MD5, as S3 answers for a single-part upload
	LastModified time.Time `json:"lastModified"`
}

// maxSimObject bounds what awssim keeps per object; S3's single PUT limit is 5 GB, a review is kilobytes.
const maxSimObject = 16 << 20

// s3ObjectResource names what an object call addresses, for the journal.
func s3ObjectResource(c *Call) string { return c.Path["Bucket"] + "/" + c.Path["Key"] }

// s3ObjectOperation names the object operations s3Resolve leaves unnamed.
func s3ObjectOperation(c *Call) string {
	switch c.Req.Method {
	case http.MethodPut:
		if c.Req.Header.Get("X-Amz-Copy-Source") == "" && !c.Req.URL.Query().Has("uploadId") {
			return "PutObject"
		}
	case http.MethodGet:
		if len(c.Req.URL.Query()) == 0 || c.Req.URL.Query().Has("x-id") {
			return "GetObject"
		}
	case http.MethodHead:
		return "HeadObject"
	}
	return ""
}

func s3PutObject(s *Server, c *Call) (any, error) {
	b, redirect, err := s3FindBucket(s, c)
	if err != nil || redirect != nil {
		return redirect, err
	}
	body, err := s3Payload(c)
	if err != nil {
		return nil, err
	}
	if len(body) > maxSimObject {
		return nil, Errf(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size (awssim keeps objects up to %d bytes)", maxSimObject)
	}
	sum := md5.Sum(body)
	etag := `"` + hex.EncodeToString(sum[:]) + `"`
	ct := c.Req.Header.Get("Content-Type")
	if ct == "" {
		ct = "binary/octet-stream"
	}
	key := c.Path["Key"]
	if b.Objects == nil {
		b.Objects = map[string]*Object{}
	}
	old := b.Objects[key]
	changed := old == nil || old.ETag != etag || old.ContentType != ct
	if changed {
		b.Objects[key] = &Object{Body: body, ContentType: ct, ETag: etag, LastModified: c.Now.UTC().Truncate(time.Second)}
	}
	s.record(c, b.Name+"/"+key, changed, fmt.Sprintf("%d bytes %s", len(body), etag))
	return &RestResponse{Status: 200, Headers: map[string]string{"ETag": etag}}, nil
}

func s3GetObject(s *Server, c *Call) (any, error) {
	b, redirect, err := s3FindBucket(s, c)
	if err != nil || redirect != nil {
		return redirect, err
	}
	o := b.Objects[c.Path["Key"]]
	if o == nil {
		return nil, Errf(404, "NoSuchKey", "The specified key does not exist: %s", c.Path["Key"])
	}
	return &RestResponse{Status: 200, Headers: map[string]string{
		"ETag": o.ETag, "Last-Modified": o.LastModified.Format(http.TimeFormat), "Accept-Ranges": "bytes",
	}, Body: rawBody{contentType: o.ContentType, data: o.Body}}, nil
}

// s3HeadObject is GetObject's headers without the body (HeadObjectOutput has no payload); a missing key is
// a bare 404, which clients read as NotFound.
func s3HeadObject(s *Server, c *Call) (any, error) {
	return s3GetObject(s, c)
}

// rawBody is a REST payload sent as it is (an object's bytes), not as an XML document.
type rawBody struct {
	contentType string
	data        []byte
}

// s3Payload is the object's bytes. Clients that sign with a streaming payload send it aws-chunked
// (x-amz-content-sha256 STREAMING-..., or Content-Encoding aws-chunked): chunks of "hex-size[;ext]\r\n"
// data "\r\n", a zero chunk, then trailers such as the checksum.
func s3Payload(c *Call) ([]byte, error) {
	sha := c.Req.Header.Get("X-Amz-Content-Sha256")
	if !strings.HasPrefix(sha, "STREAMING-") && !strings.Contains(c.Req.Header.Get("Content-Encoding"), "aws-chunked") {
		return c.Body, nil
	}
	r := bufio.NewReader(bytes.NewReader(c.Body))
	var out []byte
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return nil, Errf(400, "IncompleteBody", "aws-chunked body ends inside a chunk header")
		}
		size, _, _ := strings.Cut(strings.TrimSpace(line), ";")
		n, err := strconv.ParseInt(size, 16, 64)
		if err != nil || n < 0 || n > maxSimObject {
			return nil, Errf(400, "InvalidRequest", "bad aws-chunked chunk size %q", size)
		}
		if n == 0 {
			return out, nil
		}
		chunk := make([]byte, n)
		if _, err := io.ReadFull(r, chunk); err != nil {
			return nil, Errf(400, "IncompleteBody", "aws-chunked chunk shorter than its %d bytes", n)
		}
		out = append(out, chunk...)
		if _, err := r.ReadString('\n'); err != nil {
			return nil, Errf(400, "IncompleteBody", "aws-chunked chunk without its CRLF")
		}
	}
}
