package postgres_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"shuangsuiji/internal/draw"
	"shuangsuiji/internal/postgres"
)

// TestPublicDocumentsServedAsBefore: a draw frozen and executed through the
// store keeps its public documents in their stored forms, and anyone is
// served the very bytes the store kept before them (the canonical JSON of
// SealDocuments over the sealed input); documents kept as canonical JSON,
// by draws frozen or executed before, are served as kept, in either mix.
func TestPublicDocumentsServedAsBefore(t *testing.T) {
	s := newSeeded(t)
	fillBenchRoster(t, s, "140522-wl", 3000)
	actor := actingAs(t, s, "wl-planner")
	store := postgres.DrawStore{DB: s.DB}
	ctx := context.Background()
	d, err := store.CreateDraw(ctx, actor, draw.NewDraw{Year: 2026, Quarter: 1, Title: "documents", TeamSize: 2,
		WindowStart: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), WindowEnd: time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Freeze(ctx, actor, d.ID, draw.Seal); err != nil {
		t.Fatal(err)
	}
	frozenCommitment, err := (&draw.Publisher{Store: store}).Commitment(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Execute(ctx, actor, d.ID, "documents ceremony", draw.RunCeremony); err != nil {
		t.Fatal(err)
	}
	in, _, err := store.SealedInput(ctx, actor, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	m, err := draw.Run(in)
	if err != nil {
		t.Fatal(err)
	}
	wantCommitment, wantPublic, err := draw.SealDocuments(in, m)
	if err != nil {
		t.Fatal(err)
	}
	var stored struct {
		Commitment     []byte `db:"commitment"`
		PublicManifest []byte `db:"public_manifest"`
	}
	if err := s.Get(&stored, `SELECT commitment, public_manifest FROM draws WHERE id = $1`, d.ID); err != nil {
		t.Fatal(err)
	}
	if !draw.IsStoredForm(stored.Commitment) || !draw.IsStoredForm(stored.PublicManifest) {
		t.Fatalf("documents kept as %.20q and %.20q, want their stored forms", stored.Commitment, stored.PublicManifest)
	}
	if !bytes.Equal(frozenCommitment, wantCommitment) {
		t.Errorf("commitment served when frozen differs from its canonical JSON (%d and %d bytes)", len(frozenCommitment), len(wantCommitment))
	}
	serve := func(t *testing.T, what string) {
		t.Helper()
		p := &draw.Publisher{Store: store}
		for range 2 { // rendered, then kept
			commitment, err := p.Commitment(ctx, d.ID)
			if err != nil {
				t.Fatal(err)
			}
			public, err := (&draw.Service{Store: store}).PublicManifest(ctx, d.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(commitment, wantCommitment) {
				t.Errorf("%s: commitment served differs from what was stored before (%d and %d bytes)", what, len(commitment), len(wantCommitment))
			}
			if !bytes.Equal(public, wantPublic) {
				t.Errorf("%s: public manifest served differs from what was stored before (%d and %d bytes)", what, len(public), len(wantPublic))
			}
			pm, err := p.PublicManifest(ctx, d.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := draw.CanonicalJSON(pm); !bytes.Equal(got, wantPublic) {
				t.Errorf("%s: the public manifest's value differs from what was stored before", what)
			}
		}
	}
	serve(t, "stored forms")
	if _, err := s.Exec(`UPDATE draws SET commitment = $2 WHERE id = $1`, d.ID, wantCommitment); err != nil {
		t.Fatal(err)
	}
	serve(t, "commitment kept as JSON, public manifest in its stored form")
	if _, err := s.Exec(`UPDATE draws SET public_manifest = $2 WHERE id = $1`, d.ID, wantPublic); err != nil {
		t.Fatal(err)
	}
	serve(t, "both kept as JSON")
}
