package server_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/emedpractice/emp/internal/server"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// Strict input (issue 13, "Strict input"): control characters, unsafe
// narrative, badly formed contained resources and trailing data are refused
// with a 400 naming what is wrong on every face, before anything is stored
// or queried; nothing is written on a refusal.

const (
	stPatient = `{"resourceType":"Patient","id":"p1","name":[{"family":"Cook","given":["Harper"]}],"gender":"female","birthDate":"1970-01-02"}`
	stObs     = `{"resourceType":"Observation","id":"o1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/p1"},"valueQuantity":{"value":72,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}`
)

// fhirState is how many Patients and Observations the server holds and
// p1's version: what a refused request must leave as it was.
func fhirState(t *testing.T, ts *testServer, tok string) string {
	t.Helper()
	var out []string
	for _, typ := range []string{"Patient", "Observation"} {
		r := ts.do("GET", "/fhir/r4/"+typ+"?_summary=count", tok, "")
		if r.status != 200 {
			t.Fatalf("count %s: %d %s", typ, r.status, r.body)
		}
		out = append(out, fmt.Sprint(typ, "=", r.json(t)["total"]))
	}
	r := ts.do("GET", "/fhir/r4/Patient/p1", tok, "")
	return strings.Join(out, " ") + " p1@" + r.header.Get("ETag")
}

// strictCase is one request that must be refused with a 400 whose body
// holds every string of want.
type strictCase struct {
	name, method, path, body string
	want                     []string
}

func TestFHIRRefusesControlCharacters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := newTestServer(t, dialect)
		tok := ts.token("user/*.cruds user/*.$export", "")
		for _, b := range []string{stPatient, stObs} {
			typ := strings.Split(b, `"`)[3]
			if r := ts.do("PUT", "/fhir/r4/"+typ+"/"+strings.Split(b, `"`)[7], tok, b); r.status != 201 {
				t.Fatalf("seed %s: %d %s", typ, r.status, r.body)
			}
		}
		before := fhirState(t, ts, tok)
		ctl := "control characters"
		tests := []strictCase{
			{"create NUL in a string", "POST", "/fhir/r4/Patient", `{"resourceType":"Patient","name":[{"family":"Co\u0000ok"}]}`, []string{"Patient.name[0].family", ctl, "U+0000"}},
			{"create escape in a code", "POST", "/fhir/r4/Patient", `{"resourceType":"Patient","gender":"fe\u001bmale"}`, []string{"Patient.gender", ctl}},
			{"create C1 in markdown", "POST", "/fhir/r4/Observation", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"note":[{"text":"a\u009bb"}]}`, []string{"Observation.note[0].text", "U+009B"}},
			{"create DEL in an id of an extension", "POST", "/fhir/r4/Patient", `{"resourceType":"Patient","_gender":{"id":"a\u007f"},"gender":"male"}`, []string{"Patient._gender.id", ctl}},
			{"update vertical tab", "PUT", "/fhir/r4/Patient/p1", `{"resourceType":"Patient","id":"p1","name":[{"family":"Cook\u000b"}]}`, []string{"Patient.name[0].family", ctl}},
			{"narrative NUL", "PUT", "/fhir/r4/Patient/p1", `{"resourceType":"Patient","id":"p1","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">a\u0000</div>"}}`, []string{"Patient.text.div", ctl}},
			{"search string", "GET", "/fhir/r4/Patient?family=Co%00ok", "", []string{"family", ctl}},
			{"search token", "GET", "/fhir/r4/Patient?gender=male%01", "", []string{"gender", ctl}},
			{"search token system", "GET", "/fhir/r4/Patient?identifier=urn:x%00|1", "", []string{"identifier", ctl}},
			{"search date", "GET", "/fhir/r4/Patient?birthdate=1970%00", "", []string{"birthdate", ctl}},
			{"search reference", "GET", "/fhir/r4/Observation?subject=Patient/p%001", "", []string{"subject", ctl}},
			{"search number", "GET", "/fhir/r4/RiskAssessment?probability=0.5%00", "", []string{"probability", ctl}},
			{"search quantity", "GET", "/fhir/r4/Observation?value-quantity=72%00", "", []string{"value-quantity", ctl}},
			{"search uri", "GET", "/fhir/r4/ValueSet?url=http://x%00", "", []string{"url", ctl}},
			{"search composite", "GET", "/fhir/r4/Observation?code-value-quantity=8867-4%00$72", "", []string{"code-value-quantity", ctl}},
			{"search _id", "GET", "/fhir/r4/Patient?_id=p%001", "", []string{"_id", ctl}},
			{"search chain", "GET", "/fhir/r4/Observation?subject:Patient.name=Co%00ok", "", []string{"subject:Patient.name", ctl}},
			{"search _has", "GET", "/fhir/r4/Patient?_has:Observation:subject:code=8867%004", "", []string{"_has:Observation:subject:code", ctl}},
			{"search modifier", "GET", "/fhir/r4/Patient?family:exact=%1b", "", []string{"family:exact", ctl}},
			{"search _sort", "GET", "/fhir/r4/Patient?_sort=family%00", "", []string{"_sort", ctl}},
			{"search C1", "GET", "/fhir/r4/Patient?name=%C2%85", "", []string{"name", "U+0085"}},
			{"parameter name", "GET", "/fhir/r4/Patient?fam%00ily=x", "", []string{`fam\\x00ily`, ctl}},
			{"history _since", "GET", "/fhir/r4/Patient/_history?_since=2020%00", "", []string{"_since", ctl}},
			{"read _pretty", "GET", "/fhir/r4/Patient/p1?_pretty=true%00", "", []string{"_pretty", ctl}},
			{"export _type", "GET", "/fhir/r4/$export?_type=Patient%00", "", []string{"_type", ctl}},
			{"export _typeFilter", "GET", "/fhir/r4/Patient/$export?_typeFilter=" + url.QueryEscape("Observation?code=x\x00"), "", []string{"_typeFilter", ctl}},
			{"export Parameters body", "POST", "/fhir/r4/Patient/$export", `{"resourceType":"Parameters","parameter":[{"name":"_type","valueString":"Observation\u0000"}]}`, []string{"_type", ctl}},
			{"export status job", "GET", "/fhir/r4/$bulkdata-status?job=j%00", "", []string{"job", ctl}},
			{"export file name", "GET", "/fhir/r4/$bulkdata-file/j1/a%01.ndjson", "", []string{"name", ctl}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var headers []string
				if strings.Contains(tt.path, "$export") {
					headers = []string{"Prefer", "respond-async"} // so only the parameter is wrong
				}
				r := ts.do(tt.method, tt.path, tok, tt.body, headers...)
				checkRefused(t, r, tt)
				if m := r.json(t); m["resourceType"] != "OperationOutcome" {
					t.Fatalf("not an OperationOutcome: %s", r.body)
				}
			})
		}
		t.Run("POST _search form", func(t *testing.T) {
			req, _ := http.NewRequest("POST", ts.srv.URL+"/fhir/r4/Patient/_search", strings.NewReader("family=Co%00ok"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Authorization", "Bearer "+tok)
			checkRefused(t, send(t, req), strictCase{name: "POST _search", want: []string{"family", ctl}})
		})
		if after := fhirState(t, ts, tok); after != before {
			t.Fatalf("a refused request changed the store: %s, was %s", after, before)
		}
	})
}

func checkRefused(t *testing.T, r response, tt strictCase) {
	t.Helper()
	if r.status != 400 {
		t.Fatalf("%s %s: %d %s; want 400", tt.method, tt.path, r.status, r.body)
	}
	for _, w := range tt.want {
		if !strings.Contains(string(r.body), w) {
			t.Fatalf("%s %s: %s; want it to contain %q", tt.method, tt.path, r.body, w)
		}
	}
}

func send(t *testing.T, req *http.Request) response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return response{status: resp.StatusCode, header: resp.Header, body: []byte(b.String())}
}

// TestOtherFacesRefuseControlCharacters: the portal API's filters, the
// authorization endpoint, the token, introspection and registration
// endpoints, the sign-in page of a flow and the site's pages all refuse a
// control character with a 400 naming the parameter, and registration
// refuses data after its JSON object; nothing is stored.
func TestOtherFacesRefuseControlCharacters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := newAuthTestServer(t, dialect)
		ctx := t.Context()
		if err := ts.app.Store.SetSetting(ctx, server.SettingPortalAPI, "on"); err != nil {
			t.Fatal(err)
		}
		ts.seedPatient("pat-a")
		ts.addPatientUser("amy", "pat-a")
		clientID := ts.publicApp(g10Scopes)
		clientsBefore, _ := ts.app.Store.Clients(ctx)
		_, chall := pkcePair()
		ctl := "control characters"

		portal := ts.token("api:port patient/encounter.read patient/appointment.read", "pat-a")
		r := ts.do("GET", "/portal/patient/encounter?status=finished%00", portal, "")
		checkRefused(t, r, strictCase{method: "GET", path: "/portal/patient/encounter", want: []string{`"status"`, ctl}})

		authorize := func(edit func(url.Values)) string {
			v, _ := url.ParseQuery(strings.SplitN(ts.authorizeURL(clientID, g10Scopes, chall, ts.app.FHIRBase), "?", 2)[1])
			edit(v)
			return "/connect/authorize?" + v.Encode()
		}
		for _, tt := range []strictCase{
			{name: "authorize client_id", method: "GET", path: authorize(func(v url.Values) { v.Set("client_id", clientID+"\x00") }), want: []string{"client_id", ctl}},
			{name: "authorize state", method: "GET", path: authorize(func(v url.Values) { v.Set("state", "st\x1b[2J") }), want: []string{"state", ctl}},
			{name: "authorize scope C1", method: "GET", path: authorize(func(v url.Values) { v.Set("scope", "openid\u0085") }), want: []string{"scope", ctl, "0085"}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r := fromEnv(ts.browser().Open(ts.srv.URL + tt.path))
				checkRefused(t, r, tt)
				if loc := r.header.Get("Location"); loc != "" {
					t.Fatalf("redirected to %s", loc)
				}
			})
		}
		t.Run("authorize POST", func(t *testing.T) {
			v, _ := url.ParseQuery(strings.SplitN(authorize(func(v url.Values) { v.Set("nonce", "n\x00") }), "?", 2)[1])
			checkRefused(t, ts.form("/connect/authorize", v), strictCase{method: "POST", path: "/connect/authorize", want: []string{"nonce", ctl}})
		})

		for _, tt := range []struct {
			strictCase
			form url.Values
		}{
			{strictCase{name: "token client_id", path: "/connect/token", want: []string{"invalid_request", "client_id", ctl}},
				url.Values{"grant_type": {"client_credentials"}, "client_id": {"a\x00b"}}},
			{strictCase{name: "token code", path: "/connect/token", want: []string{"invalid_request", "code", ctl}},
				url.Values{"grant_type": {"authorization_code"}, "client_id": {clientID}, "code": {"c\x00"}, "redirect_uri": {appRedirect}, "code_verifier": {strings.Repeat("v", 43)}}},
			{strictCase{name: "token refresh", path: "/connect/token", want: []string{"invalid_request", "refresh_token", ctl}},
				url.Values{"grant_type": {"refresh_token"}, "client_id": {clientID}, "refresh_token": {"\x7f"}}},
			{strictCase{name: "introspect", path: "/connect/introspect", want: []string{"token", ctl}},
				url.Values{"token": {"t\x00"}}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				tt.method = "POST"
				checkRefused(t, ts.form(tt.path, tt.form), tt.strictCase)
			})
		}

		t.Run("introspect Basic client id", func(t *testing.T) {
			basic := base64.StdEncoding.EncodeToString([]byte("a%00b:secret"))
			r := ts.do("POST", "/connect/introspect", "", "token=x", "Content-Type", "application/x-www-form-urlencoded", "Authorization", "Basic "+basic)
			checkRefused(t, r, strictCase{method: "POST", path: "/connect/introspect", want: []string{"invalid_request", "client_id", ctl}})
		})

		register := func(body string) response {
			return ts.do("POST", "/connect/register", "", body, "Content-Type", "application/json")
		}
		md := `{"client_name":"App","redirect_uris":["https://app.example/cb"],"token_endpoint_auth_method":"none","grant_types":["authorization_code"],"scope":"launch/patient patient/Patient.rs"}`
		for _, tt := range []strictCase{
			{name: "register trailing data", body: md + ` xyz`, want: []string{"invalid_client_metadata", "after the JSON object"}},
			{name: "register second object", body: md + `{}`, want: []string{"invalid_client_metadata", "after the JSON object"}},
			{name: "register NUL", body: strings.Replace(md, `"App"`, `"A\u0000pp"`, 1), want: []string{"invalid_client_metadata", "client_name", ctl}},
			{name: "register escape in a redirect", body: strings.Replace(md, `/cb"`, `/cb\u001b"`, 1), want: []string{"invalid_client_metadata", "redirect_uris", ctl}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				tt.method, tt.path = "POST", "/connect/register"
				checkRefused(t, register(tt.body), tt)
			})
		}

		t.Run("sign-in page of a flow", func(t *testing.T) {
			b := ts.browser()
			b.Open(ts.authorizeURL(clientID, g10Scopes, chall, ts.app.FHIRBase))
			if !strings.Contains(b.URL.Path, "/connect/login") {
				t.Fatalf("not on the login page: %s", b.URL)
			}
			r := fromEnv(b.Submit(url.Values{"username": {"amy\x00"}, "password": {userPass}, "user_role": {"patient"}, "action": {"login"}}))
			checkRefused(t, r, strictCase{method: "POST", path: "/connect/login", want: []string{"username", ctl}})
		})

		for _, tt := range []strictCase{
			{name: "portal sign-in", method: "POST", path: "/patientlogin.aspx", body: "username=amy%00&password=x", want: []string{"username", ctl}},
			{name: "admin sign-in", method: "POST", path: "/admin/login", body: "username=%1b&password=x", want: []string{"username", ctl}},
			{name: "app registration page", method: "POST", path: "/register", body: "client_name=A%00pp&redirect_uris=https://a.example/cb", want: []string{"client_name", ctl}},
			{name: "page query", method: "GET", path: "/admin/login?next=/admin%00", want: []string{"next", ctl}},
			{name: "multipart form", method: "POST", path: "/patientlogin.aspx", body: "--b\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\namy\x00\r\n--b--\r\n", want: []string{"username", ctl}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				var r response
				ct := "application/x-www-form-urlencoded"
				if strings.HasPrefix(tt.body, "--b") {
					ct = "multipart/form-data; boundary=b"
				}
				if tt.method == "POST" {
					r = ts.do("POST", tt.path, "", tt.body, "Content-Type", ct)
				} else {
					r = ts.do("GET", tt.path, "", "")
				}
				checkRefused(t, r, tt)
			})
		}

		if after, _ := ts.app.Store.Clients(ctx); len(after) != len(clientsBefore) {
			t.Fatalf("%d clients after refused registrations, %d before", len(after), len(clientsBefore))
		}
	})
}

// TestFHIRRefusesUnsafeNarrativeAndContained: a narrative with script,
// event attributes or script links, contained resources without ids, with
// the same id, nested or unreferenced, and data after the JSON body are
// refused with a 400 naming the element and the rule; nothing is stored.
func TestFHIRRefusesUnsafeNarrativeAndContained(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := newTestServer(t, dialect)
		tok := ts.token("user/*.cruds", "")
		for _, b := range []string{stPatient, stObs} {
			typ := strings.Split(b, `"`)[3]
			if r := ts.do("PUT", "/fhir/r4/"+typ+"/"+strings.Split(b, `"`)[7], tok, b); r.status != 201 {
				t.Fatalf("seed %s: %d %s", typ, r.status, r.body)
			}
		}
		before := fhirState(t, ts, tok)
		div := func(inner string) string {
			return `{"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">` + inner + `</div>"}}`
		}
		org := `{"resourceType":"Organization","id":"o","name":"Acme"}`
		tests := []strictCase{
			{"script", "POST", "/fhir/r4/Patient", div(`<p>hi</p><script>alert(document.cookie)</script>`), []string{"Patient.text.div", "txt-1", `\u003cscript\u003e`}},
			{"event attribute", "POST", "/fhir/r4/Patient", div(`<img src=\"x.png\" onerror=\"alert(1)\"/>`), []string{"Patient.text.div", "txt-1", "onerror"}},
			{"javascript link", "POST", "/fhir/r4/Patient", div(`<a href=\"javascript:alert(1)\">x</a>`), []string{"Patient.text.div", "txt-1", "javascript"}},
			{"iframe", "POST", "/fhir/r4/Patient", div(`<iframe src=\"https://evil.example\"></iframe>x`), []string{"Patient.text.div", "txt-1", `\u003ciframe\u003e`}},
			{"style fetching script", "POST", "/fhir/r4/Patient", div(`<p style=\"background:url(javascript:alert(1))\">x</p>`), []string{"Patient.text.div", "txt-1", "style"}},
			{"empty narrative", "POST", "/fhir/r4/Patient", div(``), []string{"Patient.text.div", "txt-2"}},
			{"update with script", "PUT", "/fhir/r4/Patient/p1", strings.Replace(div(`<script>x</script>`), `{"resourceType":"Patient",`, `{"resourceType":"Patient","id":"p1",`, 1), []string{"Patient.text.div", `\u003cscript\u003e`}},
			{"contained without id", "POST", "/fhir/r4/Patient", `{"resourceType":"Patient","contained":[{"resourceType":"Organization","name":"Acme"}]}`, []string{"Patient.contained[0].id", "is required"}},
			{"contained ids alike", "POST", "/fhir/r4/Patient", `{"resourceType":"Patient","contained":[` + org + `,` + org + `],"managingOrganization":{"reference":"#o"}}`, []string{"Patient.contained[1].id", "unique"}},
			{"contained nested", "POST", "/fhir/r4/Patient", `{"resourceType":"Patient","contained":[{"resourceType":"Organization","id":"o","name":"Acme","contained":[{"resourceType":"Organization","id":"p","name":"B"}],"partOf":{"reference":"#p"}}],"managingOrganization":{"reference":"#o"}}`, []string{"Patient.contained[0].contained", "dom-2"}},
			{"contained unreferenced", "POST", "/fhir/r4/Patient", `{"resourceType":"Patient","contained":[` + org + `]}`, []string{"Patient.contained[0]", "dom-3"}},
			{"trailing data", "POST", "/fhir/r4/Patient", `{"resourceType":"Patient"} xyz`, []string{"after the JSON object"}},
			{"second object", "POST", "/fhir/r4/Patient", `{"resourceType":"Patient"}{"resourceType":"Patient"}`, []string{"more than one JSON value"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := ts.do(tt.method, tt.path, tok, tt.body)
				checkRefused(t, r, tt)
				if m := r.json(t); m["resourceType"] != "OperationOutcome" {
					t.Fatalf("not an OperationOutcome: %s", r.body)
				}
			})
		}
		if after := fhirState(t, ts, tok); after != before {
			t.Fatalf("a refused request changed the store: %s, was %s", after, before)
		}
		// What the rules allow is stored.
		for _, ok := range []string{
			div(`<p>Harper <b>Cook</b> <a href=\"https://example.org\">link</a> <img src=\"#photo\"/></p><table><tr><td style=\"color:red\">x</td></tr></table>`),
			`{"resourceType":"Patient","contained":[` + org + `],"managingOrganization":{"reference":"#o"}}`,
		} {
			if r := ts.do("POST", "/fhir/r4/Patient", tok, ok); r.status != 201 {
				t.Errorf("%s: %d %s", ok, r.status, r.body)
			}
		}
	})
}

// TestAuditSurvivesControlCharacters: a request whose path holds NUL is
// refused and audited with the character escaped, and the other accesses
// flushed in the same batch are kept (PostgreSQL refused the whole batch).
func TestAuditSurvivesControlCharacters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := newTestServer(t, dialect)
		tok := ts.token("user/*.cruds", "")
		if r := ts.do("PUT", "/fhir/r4/Patient/p1", tok, stPatient); r.status != 201 {
			t.Fatalf("seed: %d %s", r.status, r.body)
		}
		ts.app.Store.FlushAudit()
		if r := ts.do("GET", "/fhir/r4/Patient/p1", tok, ""); r.status != 200 {
			t.Fatalf("read: %d", r.status)
		}
		if r := ts.do("GET", "/fhir/r4/Patient/a%00b", tok, ""); r.status != 400 {
			t.Fatalf("read with NUL: %d %s", r.status, r.body)
		}
		if r := ts.do("GET", "/fhir/r4/Patient/p%C2%9B1/_history", tok, ""); r.status != 400 {
			t.Fatalf("history with C1: %d %s", r.status, r.body)
		}
		ts.app.Store.FlushAudit()
		rows, err := ts.app.Store.ListAudit(t.Context(), store.AuditFilter{PathPrefix: "/fhir/r4/Patient/", Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		paths := map[string]int{}
		for _, r := range rows {
			paths[r.Method+" "+r.Path] = r.Status
		}
		want := map[string]int{"GET /fhir/r4/Patient/p1": 200, `GET /fhir/r4/Patient/a\x00b`: 400, `GET /fhir/r4/Patient/p\u009b1/_history`: 400}
		for p, st := range want {
			if paths[p] != st {
				t.Errorf("audit row %s: status %d, want %d (rows %v)", p, paths[p], st, paths)
			}
		}
	})
}
