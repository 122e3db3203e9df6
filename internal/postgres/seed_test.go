package postgres_test

import (
	"context"
	"errors"
	"testing"

	"shuangsuiji/internal/postgres"
	"shuangsuiji/internal/postgres/testdb"
)

func TestSeed(t *testing.T) {
	ctx := context.Background()
	db := testdb.New(t)

	t.Run("SeedsOnce", func(t *testing.T) {
		for i, want := range []bool{true, false} {
			got, err := postgres.Seed(ctx, db)
			if err != nil {
				t.Fatalf("seed %d: %v", i, err)
			}
			if got != want {
				t.Errorf("seed %d: seeded = %v, want %v", i, got, want)
			}
		}
		var users int
		if err := db.Get(&users, `SELECT count(*) FROM users`); err != nil {
			t.Fatal(err)
		}
		want := 0
		for _, b := range postgres.Demo {
			want += len(b.Users)
		}
		if users != want {
			t.Errorf("users = %d, want %d", users, want)
		}
	})

	t.Run("RefusesForeignData", func(t *testing.T) {
		other := testdb.New(t)
		if _, err := other.Exec(`INSERT INTO users (username, display_name, password_hash) VALUES ('someone', 'x', 'x')`); err != nil {
			t.Fatal(err)
		}
		_, err := postgres.Seed(ctx, other)
		if !errors.Is(err, postgres.ErrForeignData) {
			t.Fatalf("err = %v, want ErrForeignData", err)
		}
	})
}

func TestCheckServingRole(t *testing.T) {
	db := testdb.New(t)
	if err := postgres.CheckServingRole(context.Background(), db); err != nil {
		t.Fatalf("CheckServingRole on a migrated database: %v", err)
	}
}
