package model

import (
	"shuangsuiji/internal/draw"
	"shuangsuiji/internal/page"
)

// Draw connections bound in gqlgen.yml.
type (
	DrawConnection     = page.Connection[draw.Draw]
	DrawEdge           = page.Edge[draw.Draw]
	DrawTaskConnection = page.Connection[draw.TaskRow]
	DrawTaskEdge       = page.Edge[draw.TaskRow]
)

// Lists of a quarter's joint work, bound in gqlgen.yml.
type (
	DrawOverlapConnection = page.Connection[draw.Overlap]
	DrawOverlapEdge       = page.Edge[draw.Overlap]
	JointVisitConnection  = page.Connection[draw.JointVisit]
	JointVisitEdge        = page.Edge[draw.JointVisit]
)
