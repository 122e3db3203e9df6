package model

import (
	"shuangsuiji/internal/page"
	"shuangsuiji/internal/roster"
)

// Connections of the inspector roster, conflicts and inspection items,
// bound in gqlgen.yml.
type (
	InspectorConnection      = page.Connection[roster.Inspector]
	InspectorEdge            = page.Edge[roster.Inspector]
	ConflictConnection       = page.Connection[roster.Conflict]
	ConflictEdge             = page.Edge[roster.Conflict]
	InspectionItemConnection = page.Connection[roster.Item]
	InspectionItemEdge       = page.Edge[roster.Item]
)
