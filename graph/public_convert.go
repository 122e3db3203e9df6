package graph

import (
	"shuangsuiji/graph/model"
	"shuangsuiji/internal/public"
)

func publicPlanFilter(f *model.PublicPlanFilter) public.PlanFilter {
	if f == nil {
		return public.PlanFilter{}
	}
	return public.PlanFilter{Bureau: deref(f.Bureau), Year: deref(f.Year)}
}

func publicDrawFilter(f *model.PublicDrawFilter) public.DrawFilter {
	if f == nil {
		return public.DrawFilter{}
	}
	return public.DrawFilter{Bureau: deref(f.Bureau), Region: deref(f.Region), Year: deref(f.Year), Quarter: deref(f.Quarter)}
}

func publicResultFilter(f *model.PublicResultFilter) public.ResultFilter {
	if f == nil {
		return public.ResultFilter{}
	}
	return public.ResultFilter{Query: deref(f.Query), Region: deref(f.Region), Bureau: deref(f.Bureau),
		Item: deref(f.Item), From: deref(f.From), To: deref(f.To)}
}
