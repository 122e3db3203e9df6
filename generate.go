package main

// gqlgen writes graph/generated.go, graph/model/models_gen.go and the
// resolver stubs from schema/*.graphqls (see gqlgen.yml). It runs through
// internal/gqlgen, which lets the executor marshal lists in order where
// nothing under them is concurrent (graph/marshal_slice.go).
//go:generate go run ./internal/gqlgen
