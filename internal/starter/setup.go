package starter

import (
	"context"
	"fmt"
	"slices"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"

	"github.com/roadcall/dr/workflows"
)

// setupCmd: starter setup. Registers the DR search attributes through the operator service; attributes
// already there with the right type are left alone, so it is safe to run again.
func setupCmd(ctx context.Context, e *Env, args []string) error {
	f := newFlags(e, "setup")
	if err := f.parse(args); err != nil {
		return err
	}
	want := map[string]enumspb.IndexedValueType{}
	for name, typ := range workflows.SearchAttributeTypes {
		v, err := enumspb.IndexedValueTypeFromString(typ)
		if err != nil {
			return fmt.Errorf("search attribute %s: %w", name, err)
		}
		want[name] = v
	}
	c, err := e.dial(ctx, f)
	if err != nil {
		return err
	}
	defer c.Close()
	ns := f.temporal.ResolvedNamespace()
	have, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: ns})
	if err != nil {
		return fmt.Errorf("list search attributes of namespace %s: %w", ns, err)
	}
	add := map[string]enumspb.IndexedValueType{}
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		got, ok := have.GetCustomAttributes()[n]
		switch {
		case !ok:
			add[n] = want[n]
		case got != want[n]:
			return fmt.Errorf("search attribute %s exists in namespace %s as %s, not %s: remove it or rename ours", n, ns, got, want[n])
		default:
			fmt.Fprintf(e.Out, "  %-14s %-8s already registered\n", n, strings.TrimPrefix(got.String(), "INDEXED_VALUE_TYPE_"))
		}
	}
	if len(add) > 0 {
		if _, err := c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{Namespace: ns, SearchAttributes: add}); err != nil {
			return fmt.Errorf("add search attributes to namespace %s: %w", ns, err)
		}
		for _, n := range names {
			if t, ok := add[n]; ok {
				fmt.Fprintf(e.Out, "  %-14s %-8s registered\n", n, strings.TrimPrefix(t.String(), "INDEXED_VALUE_TYPE_"))
			}
		}
	}
	fmt.Fprintf(e.Out, "search attributes ready in namespace %s\n", ns)
	return nil
}
