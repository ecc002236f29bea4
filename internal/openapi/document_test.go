package openapi

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/emedpractice/emp/internal/api"
	"github.com/emedpractice/emp/internal/portalapi"
	"github.com/emedpractice/emp/internal/scope"
)

const testBase = "https://ehr.example.org"

func testConfig() Config {
	return Config{BaseURL: testBase, AuthorizeURL: testBase + "/connect/authorize", TokenURL: testBase + "/connect/token",
		ClientID: "swagger-ui", Version: "1.2.3"}
}

// servedDocument fetches the document through the handler, as a client
// would, and decodes it.
func servedDocument(t *testing.T) *checker {
	t.Helper()
	h, err := New(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	resp, err := http.Get(srv.URL + DocumentPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET %s: %d %s", DocumentPath, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	v, err := decodeJSON(b)
	if err != nil {
		t.Fatalf("the document is not JSON: %v", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatal("the document is not a JSON object")
	}
	return &checker{doc: m}
}

// documentedOperations lists "METHOD /path" of every operation.
func documentedOperations(c *checker) map[string]map[string]any {
	out := map[string]map[string]any{}
	for path, item := range c.doc["paths"].(map[string]any) {
		for method, op := range item.(map[string]any) {
			out[strings.ToUpper(method)+" "+path] = op.(map[string]any)
		}
	}
	return out
}

// registeredRoutes lists "METHOD /path" of every route the faces register,
// with the scope each needs.
func registeredRoutes() map[string]string {
	out := map[string]string{}
	for _, r := range api.Routes() {
		out[r.Method+" "+api.Prefix+r.Path] = r.Scope()
	}
	for _, r := range portalapi.Routes() {
		out[r.Method+" "+portalapi.Prefix+r.Path] = r.Scope()
	}
	return out
}

func TestEveryRouteIsDocumentedAndEveryOperationExists(t *testing.T) {
	c := servedDocument(t)
	ops := documentedOperations(c)
	routes := registeredRoutes()
	if len(routes) < 2 {
		t.Fatalf("only %d routes registered", len(routes))
	}
	for r, sc := range routes {
		op, ok := ops[r]
		if !ok {
			t.Errorf("route %s is not in the document", r)
			continue
		}
		if sc == "" {
			continue
		}
		if got := operationScopes(op); !grants(t, got, sc) {
			t.Errorf("%s: security lists %v, which does not grant the route's scope %s", r, got, sc)
		}
	}
	for op := range ops {
		if _, ok := routes[op]; !ok {
			t.Errorf("documented operation %s is not a route of either face", op)
		}
	}
}

// grants reports whether one of the scopes covers want (user/*.rs covers
// user/patient.read); every scope must parse.
func grants(t *testing.T, scopes []string, want string) bool {
	t.Helper()
	w, err := scope.Parse(want)
	if err != nil {
		t.Fatalf("a route's scope does not parse: %v", err)
	}
	for _, s := range scopes {
		sc, err := scope.Parse(s)
		if err != nil {
			t.Fatalf("a documented scope does not parse: %v", err)
		}
		if sc.Covers(w) {
			return true
		}
	}
	return false
}

func operationScopes(op map[string]any) []string {
	var out []string
	sec, _ := op["security"].([]any)
	for _, req := range sec {
		for _, scopes := range req.(map[string]any) {
			for _, s := range scopes.([]any) {
				out = append(out, s.(string))
			}
		}
	}
	return out
}

func TestDocumentIsStructurallySound(t *testing.T) {
	c := servedDocument(t)
	if c.doc["openapi"] != "3.1.0" {
		t.Errorf("openapi = %v", c.doc["openapi"])
	}
	// Each scheme declares its own scopes: the staff scheme no patient/
	// scope and the patient scheme no user/ scope, and neither
	// launch/patient, so that Swagger UI's "select all" never sends a
	// clinician through a patient picker.
	declaredBy := map[string]map[string]any{}
	for _, name := range []string{SecuritySchemeName, PatientSchemeName} {
		flows := c.doc["components"].(map[string]any)["securitySchemes"].(map[string]any)[name].(map[string]any)["flows"].(map[string]any)
		code := flows["authorizationCode"].(map[string]any)
		if code["authorizationUrl"] != testBase+"/connect/authorize" || code["tokenUrl"] != testBase+"/connect/token" {
			t.Errorf("%s: authorization code flow: %v", name, code)
		}
		declaredBy[name] = code["scopes"].(map[string]any)
		for sc := range declaredBy[name] {
			if sc == "launch/patient" || (name == SecuritySchemeName && strings.HasPrefix(sc, "patient/")) ||
				(name == PatientSchemeName && strings.HasPrefix(sc, "user/")) {
				t.Errorf("scheme %s offers %s: selecting all would mix staff and patient access", name, sc)
			}
		}
	}

	// Every $ref resolves.
	var refs []string
	walk(c.doc, func(m map[string]any) {
		if r, ok := m["$ref"].(string); ok {
			refs = append(refs, r)
		}
	})
	if len(refs) == 0 {
		t.Fatal("no references at all: the walk is broken")
	}
	for _, r := range refs {
		if _, err := c.resolve(r); err != nil {
			t.Errorf("unresolved: %v", err)
		}
	}

	ids := map[string]string{}
	tags := map[string]int{}
	for name, op := range documentedOperations(c) {
		t.Run(name, func(t *testing.T) {
			resp, _ := op["responses"].(map[string]any)
			if len(resp) == 0 {
				t.Fatal("no responses")
			}
			success := 0
			for status := range resp {
				if strings.HasPrefix(status, "2") {
					success++
				}
			}
			if success != 1 {
				t.Errorf("%d success responses", success)
			}
			if _, ok := resp["404"]; !ok {
				t.Error("no 404 response")
			}
			sec, ok := op["security"].([]any)
			if !ok {
				t.Fatal("no security (an empty list for a public route)")
			}
			if len(sec) > 0 {
				for _, code := range []string{"401", "403"} {
					if _, ok := resp[code]; !ok {
						t.Errorf("protected, but no %s response", code)
					}
				}
			}
			for _, req := range sec {
				for scheme, scopes := range req.(map[string]any) {
					for _, s := range scopes.([]any) {
						if _, ok := declaredBy[scheme][s.(string)]; !ok {
							t.Errorf("scope %s is not declared in the security scheme %s", s, scheme)
						}
					}
				}
			}
			id, _ := op["operationId"].(string)
			if id == "" {
				t.Error("no operationId")
			} else if prev, dup := ids[id]; dup {
				t.Errorf("operationId %s also names %s", id, prev)
			}
			ids[id] = name
			for _, tg := range op["tags"].([]any) {
				tags[tg.(string)]++
			}
			// The path's {params} and the declared path parameters agree.
			path := name[strings.Index(name, " ")+1:]
			var inPath, declared []string
			for _, p := range pathParams(path) {
				inPath = append(inPath, p)
			}
			params, _ := op["parameters"].([]any)
			for _, p := range params {
				pm := p.(map[string]any)
				if pm["in"] == "path" {
					if pm["required"] != true {
						t.Errorf("path parameter %v is not required", pm["name"])
					}
					declared = append(declared, pm["name"].(string))
				}
			}
			// Every schema of the operation uses only keywords the
			// checker understands (components are checked elsewhere).
			var schemas []map[string]any
			for _, p := range params {
				schemas = append(schemas, p.(map[string]any)["schema"].(map[string]any))
			}
			walk(op["requestBody"], func(m map[string]any) {
				if s, ok := m["schema"].(map[string]any); ok {
					schemas = append(schemas, s)
				}
			})
			for _, r := range resp {
				walk(r, func(m map[string]any) {
					if s, ok := m["schema"].(map[string]any); ok {
						schemas = append(schemas, s)
					}
				})
			}
			for _, s := range schemas {
				walkSchema(s, func(m map[string]any) {
					for k := range m {
						if !knownKeywords[k] {
							t.Errorf("schema keyword %q is not understood by the checker", k)
						}
					}
				})
			}
			sort.Strings(inPath)
			sort.Strings(declared)
			if fmt.Sprint(inPath) != fmt.Sprint(declared) {
				t.Errorf("path parameters %v, declared %v", inPath, declared)
			}
		})
	}
	for _, tg := range []string{TagStandard, TagPatient} {
		if tags[tg] == 0 {
			t.Errorf("no operation is tagged %s", tg)
		}
	}
}

// TestSchemasUseOnlyCheckedKeywordsAndExamplesValidate makes every schema
// pass through the checker: its examples must validate against it
// (strictly: an example member the schema lacks is an error).
func TestSchemasUseOnlyCheckedKeywordsAndExamplesValidate(t *testing.T) {
	c := servedDocument(t)
	c.strict = true
	schemas := c.doc["components"].(map[string]any)["schemas"].(map[string]any)
	if _, ok := schemas["Patient"]; !ok {
		t.Fatal("no Patient schema")
	}
	examples := 0
	for name, s := range schemas {
		sm := s.(map[string]any)
		if ex, ok := sm["example"]; ok {
			examples++
			for _, e := range c.check(sm, ex, name+" example") {
				t.Error(e)
			}
		}
		walkSchema(sm, func(m map[string]any) {
			for _, e := range c.check(m, exampleOrZero(m), name) {
				if strings.Contains(e, "not understood") {
					t.Error(e)
				}
			}
		})
	}
	if examples == 0 {
		t.Error("no schema has an example")
	}
}

func exampleOrZero(m map[string]any) any {
	if ex, ok := m["example"]; ok {
		return ex
	}
	return nil
}

// walkSchema calls fn on schema and on every schema inside it.
func walkSchema(schema map[string]any, fn func(map[string]any)) {
	fn(schema)
	if props, ok := schema["properties"].(map[string]any); ok {
		for _, p := range props {
			walkSchema(p.(map[string]any), fn)
		}
	}
	for _, k := range []string{"items", "additionalProperties"} {
		if sub, ok := schema[k].(map[string]any); ok {
			walkSchema(sub, fn)
		}
	}
	if alts, ok := schema["anyOf"].([]any); ok {
		for _, a := range alts {
			walkSchema(a.(map[string]any), fn)
		}
	}
}

// walk calls fn on every object in v, depth first.
func walk(v any, fn func(map[string]any)) {
	switch x := v.(type) {
	case map[string]any:
		fn(x)
		for _, e := range x {
			walk(e, fn)
		}
	case []any:
		for _, e := range x {
			walk(e, fn)
		}
	}
}

func TestChecker(t *testing.T) {
	doc := map[string]any{}
	json.Unmarshal([]byte(`{"components":{"schemas":{"P":{"type":"object","required":["id"],"properties":{"id":{"type":"integer"},"n":{"type":["string","null"]}}}}}}`), &doc)
	tests := []struct {
		name   string
		schema string
		value  string
		strict bool
		ok     bool
	}{
		{"integer", `{"type":"integer"}`, `3`, false, true},
		{"fraction is not an integer", `{"type":"integer"}`, `3.5`, false, false},
		{"string is not an integer", `{"type":"integer"}`, `"3"`, false, false},
		{"nullable", `{"type":["string","null"]}`, `null`, false, true},
		{"ref ok", `{"$ref":"#/components/schemas/P"}`, `{"id":1,"n":"x"}`, false, true},
		{"ref missing required", `{"$ref":"#/components/schemas/P"}`, `{"n":"x"}`, false, false},
		{"ref wrong member type", `{"$ref":"#/components/schemas/P"}`, `{"id":1,"n":2}`, false, false},
		{"undeclared member, lax", `{"$ref":"#/components/schemas/P"}`, `{"id":1,"z":2}`, false, true},
		{"undeclared member, strict", `{"$ref":"#/components/schemas/P"}`, `{"id":1,"z":2}`, true, false},
		{"dangling ref", `{"$ref":"#/components/schemas/Q"}`, `{}`, false, false},
		{"array items", `{"type":"array","items":{"type":"string"}}`, `["a",1]`, false, false},
		{"maxItems", `{"type":"array","maxItems":0}`, `[1]`, false, false},
		{"anyOf second", `{"anyOf":[{"type":"array","maxItems":0},{"type":"object"}]}`, `{"a":{}}`, false, true},
		{"anyOf none", `{"anyOf":[{"type":"array","maxItems":0},{"type":"object"}]}`, `[1]`, false, false},
		{"additionalProperties", `{"type":"object","additionalProperties":{"type":"string"}}`, `{"a":1}`, false, false},
		{"maximum", `{"type":"integer","maximum":5}`, `6`, false, false},
		{"unknown keyword", `{"type":"string","pattern":"x"}`, `"x"`, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &checker{doc: doc, strict: tt.strict}
			s, _ := decodeJSON([]byte(tt.schema))
			v, _ := decodeJSON([]byte(tt.value))
			errs := c.check(s.(map[string]any), v, "v")
			if (len(errs) == 0) != tt.ok {
				t.Errorf("ok = %v, want %v: %v", len(errs) == 0, tt.ok, errs)
			}
		})
	}
}
