package postgres

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// stage creates a temporary staging table (createSQL, dropped at commit),
// fills it with COPY, and analyzes it, so that the set-based statements
// that follow are planned on its real size. Bulk writes go through staging
// tables because COPY cannot write tables under row-level security.
func stage(ctx context.Context, tx *sqlx.Tx, createSQL, table string, columns []string, n int, row func(i int) []any) error {
	if _, err := tx.ExecContext(ctx, createSQL); err != nil {
		return err
	}
	if err := copyRows(ctx, tx, table, columns, n, row); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, fmt.Sprintf(`ANALYZE %s`, pq.QuoteIdentifier(table)))
	return err
}

// copyRows sends n rows to the table with COPY.
func copyRows(ctx context.Context, tx *sqlx.Tx, table string, columns []string, n int, row func(i int) []any) error {
	stmt, err := tx.PrepareContext(ctx, pq.CopyIn(table, columns...))
	if err != nil {
		return err
	}
	defer stmt.Close()
	for i := 0; i < n; i++ {
		if _, err := stmt.ExecContext(ctx, row(i)...); err != nil {
			return err
		}
	}
	_, err = stmt.ExecContext(ctx)
	return err
}
