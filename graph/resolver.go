// Package graph is the GraphQL transport: thin resolvers that call one
// domain service method each, request-scoped dataloaders, and the error
// presenter. generated.go and model/models_gen.go are written by gqlgen
// (`go generate ./...`) and never edited by hand.
package graph

import (
	"shuangsuiji/internal/account"
	"shuangsuiji/internal/audit"
	"shuangsuiji/internal/bureau"
	"shuangsuiji/internal/dashboard"
	"shuangsuiji/internal/draw"
	"shuangsuiji/internal/notice"
	"shuangsuiji/internal/plan"
	"shuangsuiji/internal/public"
	"shuangsuiji/internal/record"
	"shuangsuiji/internal/roster"
	"shuangsuiji/internal/workday"
)

// Resolver holds the domain services the resolvers call.
type Resolver struct {
	Accounts *account.Service
	Bureaus  *bureau.Service
	Audit    *audit.Service
	Roster   *roster.Service
	Draws    *draw.Service
	Planning *plan.Service
	Public   *public.Service
	Records  *record.Service
	Calendar *workday.Service
	Notices  *notice.Service
	// Dashboards are leaders' figures and entities' histories.
	Dashboards *dashboard.Service
}
