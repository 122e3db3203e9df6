package model

import (
	"shuangsuiji/internal/page"
	"shuangsuiji/internal/record"
)

// Record connections bound in gqlgen.yml.
type (
	InspectionTaskConnection    = page.Connection[record.Task]
	InspectionTaskEdge          = page.Edge[record.Task]
	InspectionRecordConnection  = page.Connection[record.Record]
	InspectionRecordEdge        = page.Edge[record.Record]
	RecordConsequenceConnection = page.Connection[record.Consequence]
	RecordConsequenceEdge       = page.Edge[record.Consequence]
)
