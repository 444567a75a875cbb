package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/buildworksai/trustgate/blastradius"
)

const classColumns = `class, description, quorum, auto_approve_allowed, examples`

func (c conn) createClassDefinition(ctx context.Context, d blastradius.Definition) error {
	const op = "create class definition"
	switch {
	case !d.Class.Valid():
		return invalid("%s: %q is not a blast radius class", op, d.Class)
	case d.Quorum != d.Class.Quorum():
		return invalid("%s: %s has a quorum of %d, not %d", op, d.Class, d.Class.Quorum(), d.Quorum)
	case d.AutoApproveAllowed != d.Class.AutoApproveAllowed():
		return invalid("%s: %s has auto-approve allowed %t, not %t", op, d.Class, d.Class.AutoApproveAllowed(), d.AutoApproveAllowed)
	}
	examples, err := json.Marshal(d.Examples) // nil stays null, empty stays []
	if err != nil {
		return fmt.Errorf("sqlstore: %s: %w", op, err)
	}
	ok, err := c.insertOnce(ctx, op, `INSERT INTO class_definitions (`+classColumns+`) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (class) DO NOTHING`,
		string(d.Class), d.Description, d.Quorum, d.AutoApproveAllowed, string(examples))
	if err != nil {
		return err
	}
	if !ok {
		return conflict("class %s already has a definition", d.Class)
	}
	return nil
}

func (c conn) classDefinition(ctx context.Context, class blastradius.Class) (blastradius.Definition, error) {
	rows, err := c.query(ctx, `SELECT `+classColumns+` FROM class_definitions WHERE class = ?`, string(class))
	if err != nil {
		return blastradius.Definition{}, c.s.fail(ctx, "read class definition", err)
	}
	ds, err := c.scanClasses(ctx, rows)
	if err != nil {
		return blastradius.Definition{}, err
	}
	if len(ds) == 0 {
		return blastradius.Definition{}, notFound("class definition %q", class)
	}
	return ds[0], nil
}

func (c conn) listClassDefinitions(ctx context.Context) ([]blastradius.Definition, error) {
	rows, err := c.query(ctx, `SELECT `+classColumns+` FROM class_definitions`)
	if err != nil {
		return nil, c.s.fail(ctx, "list class definitions", err)
	}
	ds, err := c.scanClasses(ctx, rows)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(ds, func(a, b blastradius.Definition) int { return b.Class.Severity() - a.Class.Severity() })
	return ds, nil
}

func (c conn) scanClasses(ctx context.Context, rows *sql.Rows) ([]blastradius.Definition, error) {
	const op = "read class definitions"
	defer func() { _ = rows.Close() }()
	var ds []blastradius.Definition
	for rows.Next() {
		var d blastradius.Definition
		var class, examples string
		if err := rows.Scan(&class, &d.Description, &d.Quorum, &d.AutoApproveAllowed, &examples); err != nil {
			return nil, c.s.fail(ctx, op, err)
		}
		d.Class = blastradius.Class(class)
		if err := json.Unmarshal([]byte(examples), &d.Examples); err != nil {
			return nil, fmt.Errorf("sqlstore: %s: examples of %s: %w", op, class, err)
		}
		ds = append(ds, d)
	}
	if err := rows.Err(); err != nil {
		return nil, c.s.fail(ctx, op, err)
	}
	return ds, nil
}
