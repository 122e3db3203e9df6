package graph

import (
	"strings"

	"shuangsuiji/graph/model"
	"shuangsuiji/internal/draw"
	"shuangsuiji/internal/errs"
)

func drawPayload(d draw.Draw, err error) (*model.DrawPayload, error) {
	if err != nil {
		return nil, err
	}
	return &model.DrawPayload{Draw: &d}, nil
}

func participantPayload(p draw.Participant, err error) (*model.DrawParticipantPayload, error) {
	if err != nil {
		return nil, err
	}
	return &model.DrawParticipantPayload{Participant: &p}, nil
}

func itemRefs(in []model.DrawItemInput) []draw.ItemRef {
	out := make([]draw.ItemRef, len(in))
	for i, it := range in {
		out[i] = draw.ItemRef{Code: it.Code, Version: deref(it.Version)}
	}
	return out
}

func newDraw(in model.CreateDrawInput) (draw.NewDraw, error) {
	nd := draw.NewDraw{Year: in.Year, Quarter: in.Quarter, Title: in.Title, TeamSize: deref(in.TeamSize),
		Items: itemRefs(in.Items), CrossUnit: deref(in.CrossUnit), MaxTasksPerInspector: deref(in.MaxTasksPerInspector),
		WindowStart: in.WindowStart, WindowEnd: in.WindowEnd, Participants: in.Participants,
		RedrawReason: deref(in.RedrawReason)}
	if in.Scope != nil {
		nd.Scope = draw.Scope{Undirected: deref(in.Scope.Undirected), EntityTypes: in.Scope.EntityTypes, Units: in.Scope.Units, FocusOnly: deref(in.Scope.FocusOnly)}
		for _, c := range in.Scope.RiskClasses {
			nd.Scope.RiskClasses = append(nd.Scope.RiskClasses, string(c))
		}
	}
	if in.RedrawOf != nil {
		id := numberOf(*in.RedrawOf, nodeDraw)
		if id < 0 {
			return nd, errs.InvalidField("input.redrawOf", "%q is not a draw id", *in.RedrawOf)
		}
		nd.RedrawOf = &id
	}
	return nd, nil
}

func drawFilter(f *model.DrawFilter) draw.Filter {
	if f == nil {
		return draw.Filter{}
	}
	out := draw.Filter{Year: deref(f.Year), Quarter: deref(f.Quarter)}
	if f.Status != nil {
		out.Status = draw.Status(strings.ToLower(string(*f.Status)))
	}
	return out
}

func jointVisitPayload(v draw.JointVisit, err error) (*model.JointVisitPayload, error) {
	if err != nil {
		return nil, err
	}
	return &model.JointVisitPayload{JointVisit: &v}, nil
}
