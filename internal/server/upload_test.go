package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
)

// uploadResponse is a GraphQL response to a multipart request, with the
// problems an import lists in its first error's extensions.details.
type uploadResponse struct {
	response
	Details []fileProblem
}

// fileProblem is one problem of an imported file, as extensions.details
// lists it.
type fileProblem struct {
	Row     int
	Column  string
	Message string
}

// Upload posts a GraphQL multipart request (the GraphQL multipart request
// spec: an "operations" part holding the query and variables, a "map" part
// naming where each file goes, then the file) carrying content as the
// variable at fileVar, a dotted path such as "in.file", and decodes the
// answer.
func (e *env) Upload(rq request, query string, vars map[string]any, fileVar, filename string, content []byte) uploadResponse {
	e.t.Helper()
	vars = withNullAt(vars, strings.Split(fileVar, "."))
	operations, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		e.t.Fatal(err)
	}
	mapping, _ := json.Marshal(map[string][]string{"0": {"variables." + fileVar}})
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("operations", string(operations))
	w.WriteField("map", string(mapping))
	part, err := w.CreateFormFile("0", filename)
	if err != nil {
		e.t.Fatal(err)
	}
	part.Write(content)
	if err := w.Close(); err != nil {
		e.t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, e.Server.URL+"/graphql", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	if rq.Token != "" {
		req.Header.Set("Authorization", "Bearer "+rq.Token)
	}
	if rq.Bureau != "" {
		req.Header.Set("X-Bureau", rq.Bureau)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("POST /graphql (multipart): %v", err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	var r uploadResponse
	if err := json.Unmarshal(raw, &r.response); err != nil {
		e.t.Fatalf("decode response (status %d) %s: %v", res.StatusCode, raw, err)
	}
	r.Status = res.StatusCode
	var details struct {
		Errors []struct {
			Extensions struct{ Details []fileProblem }
		}
	}
	if json.Unmarshal(raw, &details) == nil && len(details.Errors) > 0 {
		r.Details = details.Errors[0].Extensions.Details
	}
	return r
}

// withNullAt returns a copy of vars with null at the path, where the
// multipart map puts the file.
func withNullAt(vars map[string]any, path []string) map[string]any {
	out := make(map[string]any, len(vars)+1)
	for k, v := range vars {
		out[k] = v
	}
	if len(path) == 1 {
		out[path[0]] = nil
		return out
	}
	inner, _ := out[path[0]].(map[string]any)
	out[path[0]] = withNullAt(inner, path[1:])
	return out
}

const importRosterFile = `mutation($in: ImportRosterInput!) { importRoster(input: $in) { kind rows created updated unchanged dryRun } }`

// importCounts is what importRoster answers.
type importCounts struct {
	Kind                              string
	Rows, Created, Updated, Unchanged int
	DryRun                            bool
}

// importFile uploads a roster file of the kind (INSPECTORS, ITEMS…) as rq
// and returns what the import did; it fails the test on any error.
func (e *env) importFile(t *testing.T, rq request, kind, filename, content string, dryRun bool) importCounts {
	t.Helper()
	var data struct{ ImportRoster importCounts }
	r := e.Upload(rq, importRosterFile, map[string]any{"in": map[string]any{"kind": kind, "dryRun": dryRun}}, "in.file", filename, []byte(content))
	r.mustData(t, &data)
	return data.ImportRoster
}
