// Package migrations holds the numbered SQL migrations, embedded in the
// binary and applied by goose (see internal/postgres.Migrate).
//
// Each file is one step forward; files are never edited once they have
// landed. Tenant tables carry bureau_id in their keys and get row-level
// security, ENABLE and FORCE, with policies that read app.bureau_id.
package migrations

import "embed"

// FS holds the *.sql migration files.
//
//go:embed *.sql
var FS embed.FS
