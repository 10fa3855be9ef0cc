package workflows

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Markdown helpers for the Temporal UI's current details. Text from AWS, errors and step details is
// machine text: a renderer with CommonMark emphasis or SmartyPants typography would set "8/8" as a
// fraction, "--limit" as a dash, quotes as curly quotes, and let a URL swallow the `":` after it. md
// keeps such text verbatim: URLs become links that end where the URL does, and any word a renderer
// could rewrite goes into a code span, where neither markdown nor typography applies.

var urlRE = regexp.MustCompile("https?://[^\\s<>\"'`]+")

// md renders machine text as inline markdown that every renderer shows as written.
func md(s string) string {
	words := strings.Fields(s)
	for i, w := range words {
		words[i] = mdWord(w)
	}
	out := strings.Join(words, " ")
	// "1." or "2)" first would start an ordered list inside a list item.
	if len(words) > 0 && olRE.MatchString(words[0]) {
		out = strings.Replace(out, ".", "\\.", 1)
		out = strings.Replace(out, ")", "\\)", 1)
	}
	return out
}

var olRE = regexp.MustCompile(`^\d+[.)]$`)

func mdWord(w string) string {
	var b strings.Builder
	rest := w
	for {
		loc := urlRE.FindStringIndex(rest)
		if loc == nil {
			b.WriteString(mdPlain(rest))
			return b.String()
		}
		u := strings.TrimRight(rest[loc[0]:loc[1]], ".,;:!?)]}")
		b.WriteString(mdPlain(rest[:loc[0]]))
		b.WriteString("[" + codeSpan(u) + "](<" + u + ">)")
		rest = rest[loc[0]+len(u):]
	}
}

// mdPlain is a piece of a word without URLs: as it is when nothing in it means anything to markdown or
// typography, else a code span.
func mdPlain(s string) string {
	if s == "" || safeWord(s) {
		return s
	}
	return codeSpan(s)
}

func safeWord(s string) bool {
	if strings.Contains(s, "--") || strings.Contains(s, "..") {
		return false
	}
	for _, r := range s {
		switch {
		case r >= utf8.RuneSelf, r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune(",.;:()%=+-?", r):
		default:
			return false
		}
	}
	return true
}

// codeSpan quotes s as a code span, with a longer fence when s holds backticks.
func codeSpan(s string) string {
	if !strings.Contains(s, "`") {
		return "`" + s + "`"
	}
	fence := "``"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	return fence + " " + s + " " + fence
}

// cell is inline markdown fit for a GFM table cell: pipes escaped (GFM unescapes them even in code spans)
// and bounded, so one long error cannot push the table off the panel.
func cell(s string, n int) string {
	s = bounded(strings.Join(strings.Fields(s), " "), n)
	return strings.ReplaceAll(md(s), "|", "\\|")
}

// fence is a fenced code block of lines, with a fence longer than any backtick run in them.
func fence(info string, lines []string) string {
	f := "```"
	for _, l := range lines {
		for strings.Contains(l, f) {
			f += "`"
		}
	}
	return fmt.Sprintf("%s%s\n%s\n%s\n", f, info, strings.Join(lines, "\n"), f)
}
