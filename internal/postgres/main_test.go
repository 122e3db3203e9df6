package postgres_test

import (
	"testing"

	"shuangsuiji/internal/postgres/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }
