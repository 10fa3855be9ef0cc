package activities

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/roadcall/dr/internal/awssim"
)

// TestPublishFitsSNSLimits: PublishInput in SNS's model (botocore's sns service-2.json) wants a Subject of
// UTF-8 "with no line breaks or control characters, and less than 100 characters long" and a Message of at
// most 262,144 bytes. The activity used to cut the subject at 100 bytes (100 is not less than 100, and a
// byte cut can split a character) and sent line breaks and any message as given, which awssim, like AWS,
// refuses with InvalidParameter. Now a page always goes out, cut on character boundaries.
func TestPublishFitsSNSLimits(t *testing.T) {
	sim, acts, topo := restoreSim(t, false)
	subject := "INCIDENT:\n" + strings.Repeat("é", 150)
	message := strings.Repeat("€", 100000) // 300,000 bytes
	_, err := acts.Publish(context.Background(), PublishInput{Region: topo.PrimaryRegion, TopicARN: topo.TopicARN(topo.PrimaryRegion), Subject: subject, Message: message})
	require.NoError(t, err)
	var got awssim.Message
	sim.With(func(w *awssim.World) {
		msgs := w.Regions[topo.PrimaryRegion].Topics[topo.AlarmTopic].Messages
		got = *msgs[len(msgs)-1]
	})
	require.Equal(t, snsSubjectMaxChars, utf8.RuneCountInString(got.Subject))
	require.True(t, strings.HasPrefix(got.Subject, "INCIDENT: é"), "the line break became a space")
	require.True(t, strings.HasSuffix(got.Subject, "…"))
	require.LessOrEqual(t, len(got.Body), snsMessageMaxBytes)
	require.True(t, utf8.ValidString(got.Body))
	require.True(t, strings.HasSuffix(got.Body, "[truncated to SNS's 256 KB limit]"))
}

func TestTruncateUTF8KeepsCharacterBoundaries(t *testing.T) {
	for n := 0; n <= 12; n++ {
		s := truncateUTF8("€€€€€", n, "…")
		require.True(t, utf8.ValidString(s), "%d: %q", n, s)
		require.LessOrEqual(t, len(s), max(n, len("…")))
	}
	require.Equal(t, "short", truncateUTF8("short", 10, "…"))
	require.Equal(t, "plain", snsSubject("plain"))
}
