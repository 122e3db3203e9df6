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
