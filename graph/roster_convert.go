package graph

import (
	"shuangsuiji/internal/errs"
	"slices"
	"strconv"
	"strings"
	"time"

	"shuangsuiji/graph/model"
	"shuangsuiji/internal/roster"
)

func rosterKindOut(k roster.Kind) model.RosterKind {
	switch k {
	case roster.KindInspectors:
		return model.RosterKindInspectors
	case roster.KindItems:
		return model.RosterKindItems
	}
	return model.RosterKindEntities
}

func rosterKindIn(k model.RosterKind) roster.Kind {
	switch k {
	case model.RosterKindInspectors:
		return roster.KindInspectors
	case model.RosterKindItems:
		return roster.KindItems
	}
	return roster.KindEntities
}

func riskClassOut(c roster.RiskClass) *roster.RiskClass {
	if c == "" {
		return nil
	}
	return &c
}

func entityFilter(f *model.EntityFilter, asOf *time.Time) roster.EntityFilter {
	out := roster.EntityFilter{AsOf: asOf}
	if f == nil {
		return out
	}
	out.Statuses = append(out.Statuses, f.Status...)
	out.RiskClasses = append(out.RiskClasses, f.RiskClass...)
	out.EntityType, out.Unit, out.Search, out.Focus = deref(f.EntityType), deref(f.Unit), deref(f.Search), f.Focus
	return out
}

// entityFields turns the form into the import columns it stands for, so
// that a saved entity is checked exactly as an imported row.
func entityFields(in model.SaveEntityInput) (map[string]string, error) {
	f := map[string]string{"uscc": in.Uscc, "name": in.Name}
	set := func(key string, v *string) {
		if v != nil {
			f[key] = *v
		}
	}
	set("legal_representative", in.LegalRepresentative)
	set("address", in.Address)
	set("type", in.EntityType)
	set("licence_type", in.LicenceType)
	set("licence_number", in.LicenceNumber)
	set("unit", in.Unit)
	if in.RiskClass != nil {
		f["risk_class"] = string(*in.RiskClass)
	}
	if in.Status != nil {
		f["status"] = string(*in.Status)
	}
	if in.AbnormalOperations != nil {
		f["abnormal_operations"] = strconv.FormatBool(*in.AbnormalOperations)
	}
	if in.SeriousViolation != nil {
		f["serious_violation"] = strconv.FormatBool(*in.SeriousViolation)
	}
	if in.Complaints != nil {
		f["complaints"] = strconv.Itoa(*in.Complaints)
	}
	if in.LastPenaltyDate != nil {
		f["last_penalty_date"] = in.LastPenaltyDate.Format(time.DateOnly)
	}
	for _, c := range in.Clear {
		key := strings.ToLower(string(c))
		if key == "entity_type" {
			key = "type"
		}
		if _, given := f[key]; given {
			return nil, errs.InvalidField("input.clear", "%s is both given and cleared", c)
		}
		f[key] = roster.ClearMarker
	}
	return f, nil
}

func statusCounts(m map[roster.Status]int) []model.StatusCount {
	out := make([]model.StatusCount, 0, len(m))
	for s, n := range m {
		out = append(out, model.StatusCount{Status: s, Count: n})
	}
	slices.SortFunc(out, func(a, b model.StatusCount) int { return strings.Compare(string(a.Status), string(b.Status)) })
	return out
}

func riskClassCounts(m map[roster.RiskClass]int) []model.RiskClassCount {
	out := make([]model.RiskClassCount, 0, len(m))
	for c, n := range m {
		out = append(out, model.RiskClassCount{RiskClass: riskClassOut(c), Count: n})
	}
	slices.SortFunc(out, func(a, b model.RiskClassCount) int {
		return strings.Compare(string(deref(a.RiskClass)), string(deref(b.RiskClass)))
	})
	return out
}
