package public

import (
	"context"
	"net/http"
	"strconv"

	"shuangsuiji/internal/draw"
	"shuangsuiji/internal/errs"
)

// Manifests gives the public manifest of an executed draw, which the draw
// page shows the counts of and recomputes in the reader's browser.
type Manifests interface {
	PublicManifestOf(ctx context.Context, drawID int64) (*draw.PublicManifest, error)
}

// drawView is what the draw page's template receives.
type drawView struct {
	Draw
	Strata   []stratumRow
	Tasks    []taskRow
	Manifest string // its URL, for the verifier; empty before the ceremony
}

type stratumRow struct {
	Label                     string
	Frame, Eligible, Selected int
}

// taskRow is a selected entity with its team, in task order.
type taskRow struct {
	Entity Entity
	Team   []draw.TeamMember
}

// drawPage answers GET /public/draws/{number}: what the draw is (bureaus,
// window, items), the strata counts and the selected entities with their
// teams, and a verifier that recomputes every public check of the manifest
// in the reader's browser (static/drawverify.js, WebCrypto only), where an
// entity can also check its opening.
func (h *Handler) drawPage(w http.ResponseWriter, r *http.Request) {
	number, err := strconv.ParseInt(r.PathValue("number"), 10, 64)
	if err != nil || number <= 0 {
		h.fail(w, r, errs.NotFoundf("no draw %q", r.PathValue("number")))
		return
	}
	d, err := h.Service.Draw(r.Context(), number)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := drawView{Draw: d}
	if d.Status == StatusExecuted && h.Manifests != nil {
		m, err := h.Manifests.PublicManifestOf(r.Context(), number)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		selected, err := h.Service.AllSelected(r.Context(), number)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		v.fill(m, selected)
		v.Manifest = *d.ManifestURL()
	}
	h.render(w, r, http.StatusOK, "draw.html", d.Title, v)
}

// fill takes the counts and teams from the manifest and the names of the
// selected entities from the draw.
func (v *drawView) fill(m *draw.PublicManifest, selected []Entity) {
	for _, label := range sortedLabels(m.Strata) {
		s := m.Strata[label]
		v.Strata = append(v.Strata, stratumRow{Label: label, Frame: s.Frame, Eligible: s.Eligible, Selected: s.Selected})
	}
	names := make(map[string]string, len(selected))
	for _, e := range selected {
		names[e.Code] = e.Name
	}
	v.Tasks = make([]taskRow, len(m.Tasks))
	for i, t := range m.Tasks {
		v.Tasks[i] = taskRow{Entity: Entity{Code: t.Entity, Name: names[t.Entity]}, Team: t.Team}
	}
}

func sortedLabels(strata map[string]draw.PublicStratum) []string {
	labels := make([]string, 0, len(strata))
	for label := range strata {
		labels = append(labels, label)
	}
	for i := 1; i < len(labels); i++ { // a handful of strata
		for j := i; j > 0 && labels[j] < labels[j-1]; j-- {
			labels[j], labels[j-1] = labels[j-1], labels[j]
		}
	}
	return labels
}
