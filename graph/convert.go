package graph

import (
	"strings"

	"shuangsuiji/graph/model"
	"shuangsuiji/internal/audit"
	"shuangsuiji/internal/page"
)

// Enum values are the domain's lower-case names in upper case.

func rolesOut(roles []string) []model.Role {
	out := make([]model.Role, len(roles))
	for i, r := range roles {
		out[i] = model.Role(strings.ToUpper(r))
	}
	return out
}

func rolesIn(roles []model.Role) []string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = strings.ToLower(string(r))
	}
	return out
}

func pageRequest(first *int, after *string, last *int, before *string) page.Request {
	return page.Request{First: deref(first), After: deref(after), Last: deref(last), Before: deref(before)}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func auditFilter(f *model.AuditFilter) audit.Filter {
	if f == nil {
		return audit.Filter{}
	}
	return audit.Filter{Action: deref(f.Action), ObjectType: deref(f.ObjectType), ObjectID: deref(f.ObjectID),
		Actor: deref(f.Actor), From: f.From, To: f.To}
}
