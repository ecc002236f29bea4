package fhirapi_test

import (
	"github.com/emedpractice/emp/internal/server"
	"github.com/emedpractice/emp/internal/testenv"

	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/fhir/spec"
	"github.com/emedpractice/emp/internal/store"
)

func TestCapabilityStatement(t *testing.T) {
	ts := testenv.Start(t, "sqlite", nil)
	for _, path := range []string{"/fhir/r4/metadata", "/metadata"} {
		r := ts.Do("GET", path, "", "")
		if r.Status != 200 || r.Header.Get("Content-Type") != "application/fhir+json; charset=utf-8" && r.Header.Get("Content-Type") != "application/fhir+json" {
			t.Fatalf("%s: %d %s", path, r.Status, r.Header.Get("Content-Type"))
		}
		cs := r.JSON(t)
		if cs["resourceType"] != "CapabilityStatement" || cs["fhirVersion"] != "4.0.1" || cs["kind"] != "instance" {
			t.Errorf("%s: resourceType %v fhirVersion %v kind %v", path, cs["resourceType"], cs["fhirVersion"], cs["kind"])
		}
		rest := cs["rest"].([]any)[0].(map[string]any)
		var patient map[string]any
		for _, x := range rest["resource"].([]any) {
			if m := x.(map[string]any); m["type"] == "Patient" {
				patient = m
			}
		}
		if patient == nil {
			t.Fatalf("%s: no Patient resource", path)
		}
		params := map[string]bool{}
		for _, p := range patient["searchParam"].([]any) {
			params[p.(map[string]any)["name"].(string)] = true
		}
		for _, want := range []string{"_id", "family", "given", "birthdate", "gender", "identifier", "name"} {
			if !params[want] {
				t.Errorf("%s: Patient searchParam %s missing", path, want)
			}
		}
		if rev, _ := patient["searchRevInclude"].([]any); len(rev) != 1 || rev[0] != "Provenance:target" {
			t.Errorf("%s: searchRevInclude = %v", path, patient["searchRevInclude"])
		}
		if doc, _ := rest["documentation"].(string); !strings.Contains(doc, "_has") || !strings.Contains(doc, "_include:iterate") || !strings.Contains(doc, "chained") {
			t.Errorf("%s: rest.documentation does not describe chaining: %q", path, doc)
		}
		validates := false
		for _, o := range patient["operation"].([]any) {
			m := o.(map[string]any)
			validates = validates || m["name"] == "validate" && m["definition"] == "http://hl7.org/fhir/OperationDefinition/Resource-validate"
		}
		if !validates {
			t.Errorf("%s: Patient does not declare $validate: %v", path, patient["operation"])
		}
		if _, ok := rest["security"].(map[string]any); !ok {
			t.Errorf("%s: no security section", path)
		}
	}
}

// TestEveryAdvertisedTypeAnswers: each type the CapabilityStatement lists
// is one the gate knows and the face serves: a search of it answers 200
// for a token with every read scope (SubscriptionStatus, an R4B type, was
// once advertised and refused).
func TestEveryAdvertisedTypeAnswers(t *testing.T) {
	ts := testenv.Start(t, "sqlite", nil)
	tok := ts.Token("user/*.rs", "")
	rest := ts.Do("GET", "/fhir/r4/metadata", "", "").JSON(t)["rest"].([]any)[0].(map[string]any)
	n := 0
	for _, x := range rest["resource"].([]any) {
		typ := x.(map[string]any)["type"].(string)
		if r := ts.Do("GET", "/fhir/r4/"+typ+"?_count=1", tok, ""); r.Status != 200 {
			t.Errorf("advertised %s: search answers %d %.200s", typ, r.Status, r.Body)
		}
		n++
	}
	if n != 146 {
		t.Errorf("%d types advertised, want R4's 146", n)
	}
}

// TestEveryAdvertisedInteractionAnswers calls, once each, every interaction
// of every type the CapabilityStatement advertises, every search parameter
// and every operation it lists for the type (and the system operations),
// on a stored resource of that type: none
// may answer as if the path, method or parameter were unknown (404 for the
// endpoint, 405, 400 naming the parameter) or fail (5xx). What the
// statement claims is what answers; and it states what conditional reads
// do and which R4 parameters are refused.
func TestEveryAdvertisedInteractionAnswers(t *testing.T) {
	// Three exports are kicked off (Patient, Group, system) by one client
	// for one user, one after another, each still running or not when the
	// next starts: room for all of them, so the per-client limit's 429
	// cannot answer in their place.
	ts := testenv.Start(t, "sqlite", func(c *server.Config) { c.ExportPerClient = 3 })
	tok := ts.Token("user/*.cruds user/*.$export", "")
	rest := ts.Do("GET", "/fhir/r4/metadata", "", "").JSON(t)["rest"].([]any)[0].(map[string]any)
	doc, _ := rest["documentation"].(string)
	for _, want := range []string{"Patient deceased", "Location near", "If-Modified-Since", "If-None-Match", "SUBSETTED"} {
		if !strings.Contains(doc, want) {
			t.Errorf("rest.documentation does not name %q", want)
		}
	}
	var items []store.ImportItem
	resources := rest["resource"].([]any)
	for _, x := range resources {
		typ := x.(map[string]any)["type"].(string)
		o, err := fhirjson.Decode([]byte(`{"resourceType":"` + typ + `","id":"cap"}`))
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, store.ImportItem{Type: typ, ID: "cap", Resource: o})
	}
	if err := ts.App.Store.Import(context.Background(), items); err != nil {
		t.Fatal(err)
	}
	calls := 0
	answers := func(what string, r testenv.Response, ok ...int) {
		t.Helper()
		calls++
		for _, s := range ok {
			if r.Status == s {
				return
			}
		}
		t.Errorf("%s: %d %.300s", what, r.Status, r.Body)
	}
	for _, x := range resources {
		res := x.(map[string]any)
		typ := res["type"].(string)
		if res["conditionalRead"] != "full-support" {
			t.Errorf("%s: conditionalRead %v", typ, res["conditionalRead"])
		}
		base := "/fhir/r4/" + typ
		var body []byte
		for _, in := range res["interaction"].([]any) {
			code := in.(map[string]any)["code"].(string)
			switch code {
			case "read":
				r := ts.Do("GET", base+"/cap", tok, "")
				answers(typ+" read", r, 200)
				body = r.Body
			case "vread":
				answers(typ+" vread", ts.Do("GET", base+"/cap/_history/1", tok, ""), 200)
			case "history-instance":
				answers(typ+" history-instance", ts.Do("GET", base+"/cap/_history", tok, ""), 200)
			case "history-type":
				answers(typ+" history-type", ts.Do("GET", base+"/_history?_count=1", tok, ""), 200)
			case "search-type":
				answers(typ+" search-type", ts.Do("GET", base+"?_count=1", tok, ""), 200)
			case "patch":
				// A test operation that holds: nothing changes, and the
				// bare body may not validate, which is a 400 too.
				answers(typ+" patch", ts.Do("PATCH", base+"/cap", tok, `[{"op":"test","path":"/id","value":"cap"}]`,
					"Content-Type", "application/json-patch+json"), 200, 400)
			case "create", "update", "delete":
				// Done below, in an order that keeps the resource for
				// the others.
			default:
				t.Errorf("%s: advertised interaction %q not exercised", typ, code)
			}
		}
		for _, p := range res["searchParam"].([]any) {
			name := p.(map[string]any)["name"].(string)
			sp, ok := spec.LookupSearchParam(typ, name)
			if !ok {
				t.Errorf("%s: advertised parameter %s is not R4's", typ, name)
				continue
			}
			q := url.Values{name: {sampleValue(sp)}, "_count": {"1"}}
			answers(typ+"?"+q.Encode(), ts.Do("GET", base+"?"+q.Encode(), tok, ""), 200)
		}
		for _, o := range res["operation"].([]any) {
			m := o.(map[string]any)
			name, def := m["name"].(string), m["definition"].(string)
			if !strings.HasPrefix(def, "http://hl7.org/fhir/") {
				t.Errorf("%s $%s: definition %q is not a canonical OperationDefinition URL", typ, name, def)
			}
			method, path, send, ok := operationCall(typ, name, body)
			if path == "" {
				t.Errorf("%s: advertised operation $%s not exercised", typ, name)
				continue
			}
			answers(typ+" $"+name, ts.Do(method, path, tok, send, "Prefer", "respond-async"), ok...)
		}
		// A minimal body may lack required elements: a 400 from
		// validation is an answer; 404, 405 and 5xx are not.
		answers(typ+" update", ts.Do("PUT", base+"/cap", tok, string(body)), 200, 400)
		answers(typ+" create", ts.Do("POST", base, tok, strings.Replace(string(body), `"id":"cap",`, "", 1)), 201, 400)
		answers(typ+" delete", ts.Do("DELETE", base+"/cap", tok, ""), 200, 204)
	}
	for _, o := range rest["operation"].([]any) {
		name := o.(map[string]any)["name"].(string)
		if name != "export" {
			t.Errorf("system operation $%s not exercised", name)
			continue
		}
		answers("system $export", ts.Do("GET", "/fhir/r4/$export", tok, "", "Prefer", "respond-async"), 202)
	}
	if calls < 146*9 {
		t.Errorf("only %d calls", calls)
	}
}

// operationCall is one well-formed call of an operation the
// CapabilityStatement declares on a type (body is a stored resource of
// the type), and the statuses that answer it.
func operationCall(typ, name string, body []byte) (method, path, send string, ok []int) {
	base := "/fhir/r4/" + typ
	switch typ + "/$" + name {
	case typ + "/$validate":
		return "POST", base + "/$validate", string(body), []int{200}
	case "Patient/$everything":
		return "GET", base + "/cap/$everything", "", []int{200}
	case "DocumentReference/$docref":
		return "GET", base + "/$docref?patient=cap", "", []int{200}
	case "ValueSet/$expand":
		return "GET", base + "/$expand?url=http://hl7.org/fhir/ValueSet/administrative-gender", "", []int{200}
	case "ValueSet/$validate-code":
		return "GET", base + "/$validate-code?url=http://hl7.org/fhir/ValueSet/administrative-gender&system=http://hl7.org/fhir/administrative-gender&code=female", "", []int{200}
	case "CodeSystem/$lookup":
		return "GET", base + "/$lookup?system=http://hl7.org/fhir/administrative-gender&code=female", "", []int{200}
	case "Patient/$export":
		return "GET", base + "/$export", "", []int{202}
	case "Group/$export":
		return "GET", base + "/cap/$export", "", []int{202}
	}
	return "", "", "", nil
}

// sampleValue is a well-formed value for a search parameter of its type.
func sampleValue(p *spec.SearchParam) string {
	switch p.Code {
	case "_id":
		return "cap"
	case "_lastUpdated":
		return "gt2000-01-01"
	}
	switch p.Type {
	case spec.ParamDate:
		return "2020"
	case spec.ParamNumber, spec.ParamQuantity:
		return "1"
	case spec.ParamURI:
		return "http://example.org/x"
	case spec.ParamReference:
		if len(p.Targets) > 0 {
			return p.Targets[0] + "/x"
		}
		return "x"
	case spec.ParamComposite:
		second := spec.SearchParam{Type: p.Components[1].Type}
		return "x$" + sampleValue(&second)
	}
	return "x"
}
