package activities

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits SNS's model documents for Publish (PublishInput in botocore's sns service-2.json):
//   - Subject: "UTF-8 text with no line breaks or control characters, and less than 100 characters long";
//   - Message: "UTF-8 encoded strings and at most 256 KB in size (262,144 bytes, not 262,144 characters)".
//
// A page that breaks them is refused with InvalidParameter, non-retryably: the incident would go unpaged
// for the sake of a long subject. So the activity fits its input to them instead.
const (
	snsSubjectMaxChars = 99
	snsMessageMaxBytes = 262144
)

// snsSubject makes a subject SNS accepts: control characters (line breaks included) become spaces, invalid
// UTF-8 is replaced, and a long one is cut to 99 characters on a character boundary, ending in "…".
func snsSubject(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) <= snsSubjectMaxChars {
		return s
	}
	return string([]rune(s)[:snsSubjectMaxChars-1]) + "…"
}

// snsMessage makes a message SNS accepts: valid UTF-8, at most 262,144 bytes, cut on a character boundary
// with a note that it was.
func snsMessage(s string) string {
	return truncateUTF8(strings.ToValidUTF8(s, "\uFFFD"), snsMessageMaxBytes, "\n[truncated to SNS's 256 KB limit]")
}

// truncateUTF8 cuts s to at most maxBytes bytes, tail included, never inside a UTF-8 character.
func truncateUTF8(s string, maxBytes int, tail string) string {
	if len(s) <= maxBytes {
		return s
	}
	cut := max(maxBytes-len(tail), 0)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + tail
}
