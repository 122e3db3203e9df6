package main

// gqlgen writes graph/generated.go, graph/model/models_gen.go and the
// resolver stubs from schema/*.graphqls (see gqlgen.yml).
//go:generate go tool gqlgen generate
