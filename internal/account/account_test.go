package account_test

import (
	"context"
	"testing"
	"time"

	"shuangsuiji/internal/account"
	"shuangsuiji/internal/postgres"
	"shuangsuiji/internal/postgres/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// TestBusyServerDoesNotCountFailures: sign-ins refused because every
// hashing slot is busy (or the client gave up waiting) never had their
// password checked, so they must not count toward the owner's lockout.
func TestBusyServerDoesNotCountFailures(t *testing.T) {
	db := testdb.New(t)
	if _, err := postgres.Seed(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	accounts := &account.Service{Store: postgres.AccountStore{DB: db}, Now: time.Now}
	owner := account.Credentials{Username: "wl-planner", Password: postgres.DemoPassword, Address: "192.0.2.7"}

	release := account.HoldHashSlots()
	for i := range account.MaxFailuresPerPair + 2 {
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		_, err := accounts.SignIn(ctx, owner)
		cancel()
		if err == nil {
			release()
			t.Fatalf("attempt %d signed in while every hashing slot was held", i)
		}
	}
	release()

	if _, err := accounts.SignIn(t.Context(), owner); err != nil {
		t.Fatalf("the owner after a busy spell: %v, want signed in", err)
	}
}
