package model

import (
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"shuangsuiji/internal/roster"
)

// The GraphQL enum EntityStatus is bound to roster.Status (gqlgen.yml):
// its values are the domain's in capitals. Bound to the domain type, a
// roster entry's status is its struct field, which gqlgen marshals in
// line; converted by a resolver it was a "concurrent" field, and with
// riskClass beside it cost a goroutine, its closures and a resolver value
// for every row of a roster page.

// entityStatusNames are the enum's values by domain status.
var entityStatusNames = map[roster.Status]string{
	roster.StatusActive:       "ACTIVE",
	roster.StatusSuspended:    "SUSPENDED",
	roster.StatusDeregistered: "DEREGISTERED",
	roster.StatusRevoked:      "REVOKED",
	roster.StatusMoved:        "MOVED",
}

// entityStatusOut holds each value's marshaler, made once: a page of
// rows shares them instead of allocating one per row.
var entityStatusOut = func() map[roster.Status]graphql.Marshaler {
	out := make(map[roster.Status]graphql.Marshaler, len(entityStatusNames))
	for s, name := range entityStatusNames {
		out[s] = graphql.MarshalString(name)
	}
	return out
}()

// MarshalEntityStatus writes a status as the enum's value. A status the
// enum does not know is written in capitals, as the resolver it replaces
// did (the database admits only the five).
func MarshalEntityStatus(s roster.Status) graphql.Marshaler {
	if m, ok := entityStatusOut[s]; ok {
		return m
	}
	return graphql.MarshalString(strings.ToUpper(string(s)))
}

// UnmarshalEntityStatus reads an enum value as the domain status, with
// the errors gqlgen's generated enums give.
func UnmarshalEntityStatus(v any) (roster.Status, error) {
	str, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("enums must be strings")
	}
	for s, name := range entityStatusNames {
		if name == str {
			return s, nil
		}
	}
	return "", fmt.Errorf("%s is not a valid EntityStatus", str)
}

// The GraphQL enum RiskClass is bound to roster.RiskClass the same way:
// its values are the domain's, and the domain's "" (not classified) is
// null. With status bound too, a roster entry has no resolver field left.

// riskClassOut holds each class's marshaler, made once.
var riskClassOut = map[roster.RiskClass]graphql.Marshaler{
	roster.RiskA: graphql.MarshalString(string(roster.RiskA)),
	roster.RiskB: graphql.MarshalString(string(roster.RiskB)),
	roster.RiskC: graphql.MarshalString(string(roster.RiskC)),
	roster.RiskD: graphql.MarshalString(string(roster.RiskD)),
}

// MarshalRiskClass writes a class as the enum's value, and the
// unclassified "" as null. A class the enum does not know is written as
// it is, as the resolver it replaces did.
func MarshalRiskClass(c roster.RiskClass) graphql.Marshaler {
	if c == "" {
		return graphql.Null
	}
	if m, ok := riskClassOut[c]; ok {
		return m
	}
	return graphql.MarshalString(string(c))
}

// UnmarshalRiskClass reads an enum value as the domain class, with the
// errors gqlgen's generated enums give.
func UnmarshalRiskClass(v any) (roster.RiskClass, error) {
	str, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("enums must be strings")
	}
	if _, ok := riskClassOut[roster.RiskClass(str)]; !ok {
		return "", fmt.Errorf("%s is not a valid RiskClass", str)
	}
	return roster.RiskClass(str), nil
}
