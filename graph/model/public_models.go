package model

import (
	"shuangsuiji/internal/page"
	"shuangsuiji/internal/public"
)

// Public (一公开) connections bound in gqlgen.yml.
type (
	PublicPlanConnection   = page.Connection[public.Plan]
	PublicPlanEdge         = page.Edge[public.Plan]
	PublicDrawConnection   = page.Connection[public.Draw]
	PublicDrawEdge         = page.Edge[public.Draw]
	PublicResultConnection = page.Connection[public.Result]
	PublicResultEdge       = page.Edge[public.Result]
	PublicEntityConnection = page.Connection[public.Entity]
	PublicEntityEdge       = page.Edge[public.Entity]
)
