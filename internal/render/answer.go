package render

import (
	"fmt"
	"io"

	"github.com/roadcall/dr/workflows"
)

// Answers prints how to answer what the run waits for, the same block the Temporal UI's current details
// show (workflows.Answers builds both), as indented text for a terminal.
func Answers(w io.Writer, indent, id string, st workflows.Status) {
	for _, a := range workflows.Answers(id, st) {
		fmt.Fprintf(w, "%sto %s:\n", indent, workflows.Plain(a.Title))
		for _, l := range a.Context {
			fmt.Fprintf(w, "%s  %s\n", indent, l)
		}
		for _, f := range a.Facts {
			fmt.Fprintf(w, "%s  - %s\n", indent, workflows.Plain(f))
		}
		for _, c := range a.Commands {
			fmt.Fprintf(w, "%s  %s:\n%s    %s\n", indent, c.Label, indent, c.Command)
		}
	}
}

// Refusals prints the latest n refused signals with their reasons: a refused signal otherwise looks
// exactly like one that was obeyed.
func Refusals(w io.Writer, indent string, st workflows.Status, n int) {
	refused, older := workflows.RecentRefusals(st, n)
	if len(refused) == 0 {
		return
	}
	fmt.Fprintf(w, "%sREFUSED  %d signal(s), changing nothing", indent, len(refused)+older)
	if older > 0 {
		fmt.Fprintf(w, " (latest %d shown)", len(refused))
	}
	fmt.Fprintln(w, ":")
	for _, r := range refused {
		fmt.Fprintf(w, "%s  - %s\n", indent, r)
	}
}
