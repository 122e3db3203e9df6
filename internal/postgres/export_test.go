package postgres

// SetExportChunk makes the results export read n rows a statement until
// the returned function restores it, so that a test of a few rows reads
// several chunks.
func SetExportChunk(n int) (restore func()) {
	old := exportChunk
	exportChunk = n
	return func() { exportChunk = old }
}

// FrameRowSQL and SplitFrameRow are frameRowSQL and splitFrameRow, for a
// test that PostgreSQL writes what the split reads.
const FrameRowSQL = frameRowSQL

var SplitFrameRow = splitFrameRow
