package store

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/store/driver"
)

// The blast radius class definitions: a row per class.

func classTable() *driver.Table {
	return &driver.Table{
		Name: "class_definitions",
		Columns: []driver.Column{
			col("class", driver.Text), col("description", driver.Text), col("quorum", driver.Int),
			col("auto_approve_allowed", driver.Bool),
			col("examples", driver.Text), // a JSON array of strings, or null
		},
		Key: []string{"class"},
	}
}

func classRow(d *blastradius.Definition) []any {
	examples, _ := json.Marshal(d.Examples) // strings: cannot fail; nil stays null, empty stays []
	return []any{string(d.Class), d.Description, int64(d.Quorum), d.AutoApproveAllowed, string(examples)}
}

func decodeClass(t *driver.Table, row []any) (blastradius.Definition, error) {
	r := newReader(t, row)
	d := blastradius.Definition{Class: blastradius.Class(r.text()), Description: r.text(), Quorum: int(r.int()),
		AutoApproveAllowed: r.bool()}
	examples := r.text()
	if err := r.done(); err != nil {
		return blastradius.Definition{}, err
	}
	if err := json.Unmarshal([]byte(examples), &d.Examples); err != nil {
		return blastradius.Definition{}, rowErr(t, err)
	}
	return d, nil
}

// CreateClassDefinition stores the definition of a class that has none
// yet; [ErrConflict] if it has one. The class must be valid and the quorum
// and auto-approve flag those the class fixes ([trustgate.Invalid]
// otherwise): storage describes the classes, it does not redefine them.
func (h *ops) CreateClassDefinition(ctx context.Context, d blastradius.Definition) error {
	switch {
	case !d.Class.Valid():
		return invalid("class", "store: %q is not a blast radius class", d.Class)
	case d.Quorum != d.Class.Quorum():
		return invalid("quorum", "store: class %s has a quorum of %d, not %d", d.Class, d.Class.Quorum(), d.Quorum)
	case d.AutoApproveAllowed != d.Class.AutoApproveAllowed():
		return invalid("auto_approve_allowed", "store: class %s has auto-approve allowed %t, not %t",
			d.Class, d.Class.AutoApproveAllowed(), d.AutoApproveAllowed)
	}
	return write0(ctx, h, func(o *op) error {
		_, err := o.apply([]change{insertNew(o.t.classes, classRow(&d), "class %s has a definition", d.Class)})
		return err
	})
}

// ClassDefinition returns the definition of class c, or [ErrNotFound] (also
// for a string that is not a class).
func (h *ops) ClassDefinition(ctx context.Context, c blastradius.Class) (blastradius.Definition, error) {
	return read(ctx, h, func(o *op) (blastradius.Definition, error) {
		row, ok, err := o.byKey(o.t.classes, "class", string(c))
		switch {
		case err != nil:
			return blastradius.Definition{}, err
		case !ok:
			return blastradius.Definition{}, notFound("no definition of class %q", c)
		}
		return decodeClass(o.t.classes, row)
	})
}

// ListClassDefinitions returns every stored definition, most severe class
// first.
func (h *ops) ListClassDefinitions(ctx context.Context) ([]blastradius.Definition, error) {
	return read(ctx, h, func(o *op) ([]blastradius.Definition, error) {
		ds := []blastradius.Definition{}
		err := o.query(&driver.Query{Table: o.t.classes}, func(row []any) error {
			d, err := decodeClass(o.t.classes, row)
			ds = append(ds, d)
			return err
		})
		slices.SortFunc(ds, func(a, b blastradius.Definition) int { return cmp.Compare(b.Class.Severity(), a.Class.Severity()) })
		return ds, err
	})
}
