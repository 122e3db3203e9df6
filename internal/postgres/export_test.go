package postgres

// SetExportChunk makes the results export read n rows a statement until
// the returned function restores it, so that a test of a few rows reads
// several chunks.
func SetExportChunk(n int) (restore func()) {
	old := exportChunk
	exportChunk = n
	return func() { exportChunk = old }
}
