package graph

import (
	"shuangsuiji/internal/errs"
	"strings"

	"shuangsuiji/graph/model"
	"shuangsuiji/internal/roster"
)

// Conversions for the inspector roster, conflicts and inspection items.

func inspectorStatusOut(s roster.InspectorStatus) model.InspectorStatus {
	return model.InspectorStatus(strings.ToUpper(string(s)))
}

func inspectorStatusIn(s model.InspectorStatus) roster.InspectorStatus {
	return roster.InspectorStatus(strings.ToLower(string(s)))
}

func inspectorFilter(f *model.InspectorFilter) roster.InspectorFilter {
	if f == nil {
		return roster.InspectorFilter{}
	}
	out := roster.InspectorFilter{Unit: deref(f.Unit), Search: deref(f.Search), Qualification: deref(f.Qualification),
		ExpiresBefore: f.CertificateExpiresBefore}
	for _, s := range f.Status {
		out.Statuses = append(out.Statuses, inspectorStatusIn(s))
	}
	return out
}

// inspectorInput is the form as a patch: each field given sets its bit of
// Given, each field cleared sets it with the empty value.
func inspectorInput(in model.SaveInspectorInput) (roster.InspectorInput, error) {
	out := roster.InspectorInput{Username: in.Username}
	give := func(f roster.InspectorField, given bool) {
		if given {
			out.Given |= f.Bit()
		}
	}
	out.CertificateNumber, out.Name, out.Unit = deref(in.CertificateNumber), deref(in.Name), deref(in.Unit)
	give(roster.InspectorCertificate, in.CertificateNumber != nil)
	give(roster.InspectorName, in.Name != nil)
	give(roster.InspectorUnit, in.Unit != nil)
	out.IssuedOn = in.CertificateIssuedOn
	give(roster.InspectorIssuedOn, in.CertificateIssuedOn != nil)
	if in.CertificateExpiresOn != nil {
		out.ExpiresOn = *in.CertificateExpiresOn
		give(roster.InspectorExpiresOn, true)
	}
	out.Qualifications = in.Qualifications
	give(roster.InspectorQualifications, in.Qualifications != nil)
	if in.Status != nil {
		out.Status = inspectorStatusIn(*in.Status)
		give(roster.InspectorStatusField, true)
	}
	cleared := map[model.InspectorField]roster.InspectorField{model.InspectorFieldUnit: roster.InspectorUnit,
		model.InspectorFieldCertificateIssuedOn: roster.InspectorIssuedOn, model.InspectorFieldQualifications: roster.InspectorQualifications}
	for _, c := range in.Clear {
		f := cleared[c]
		if out.Given.Has(f) {
			return out, errs.InvalidField("input.clear", "%s is both given and cleared", c)
		}
		give(f, true)
	}
	if in.ID != nil {
		id := numberOf(*in.ID, nodeInspector)
		out.ID = &id
	}
	return out, nil
}

func conflictFilter(f *model.ConflictFilter) roster.ConflictFilter {
	if f == nil {
		return roster.ConflictFilter{}
	}
	out := roster.ConflictFilter{EntityCode: deref(f.EntityCode), IncludeWithdrawn: deref(f.IncludeWithdrawn)}
	if f.InspectorID != nil {
		out.InspectorID = numberOf(*f.InspectorID, nodeInspector)
	}
	return out
}

func conflictSourceOut(s roster.ConflictSource) model.ConflictSource {
	return model.ConflictSource(strings.ToUpper(string(s)))
}

func itemFilter(f *model.InspectionItemFilter) roster.ItemFilter {
	if f == nil {
		return roster.ItemFilter{}
	}
	return roster.ItemFilter{Search: deref(f.Search), EntityType: deref(f.EntityType), Qualification: deref(f.Qualification)}
}

func itemRow(in model.SaveInspectionItemInput) roster.ItemRow {
	return roster.ItemRow{Code: in.Code, Name: in.Name, LegalBasis: deref(in.LegalBasis), SubjectBureau: deref(in.SubjectBureau),
		EntityTypes: in.EntityTypes, Methods: in.Methods, Ratio: roster.Ratio(deref(in.RatioBasisPoints)),
		FrequencyPerYear: deref(in.FrequencyPerYear), Qualifications: in.Qualifications, Checklist: in.Checklist}
}

// positive is n, or nil for 0 (not set).
func positive(n int) *int {
	if n == 0 {
		return nil
	}
	return &n
}
