package server

import (
	"context"
	"net/http"
	"strconv"

	"shuangsuiji/internal/draw"
	"shuangsuiji/internal/errs"
)

// publicDraw answers GET /public/draws/{id}/{document}, without sign-in:
// commitment.json from the moment a draw is frozen, manifest.json (the
// public manifest) once it is executed, both in the spec's canonical JSON,
// so that anyone can recompute the draw.
func publicDraw(draws *draw.Service) http.HandlerFunc {
	documents := map[string]func(ctx context.Context, id int64) ([]byte, error){
		"commitment.json": draws.Commitment,
		"manifest.json":   draws.PublicManifest,
	}
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		document, known := documents[r.PathValue("document")]
		if err != nil || !known {
			writeErrorStatus(w, http.StatusNotFound, errs.NotFoundf("no such public document"))
			return
		}
		body, err := document(r.Context(), id)
		if err != nil {
			status := http.StatusInternalServerError
			if errs.KindOf(err) == errs.NotFound {
				status = http.StatusNotFound
			}
			writeErrorStatus(w, status, err)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=60")
		w.Write(append(body, '\n'))
	}
}
