package fhirapi_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/emedpractice/emp/internal/store/storetest"
	"github.com/emedpractice/emp/internal/testenv"
)

// TestBaseTakesBundlesWithoutRedirect: a transaction Bundle POSTed to the
// FHIR base is processed wherever the base is written: /fhir/r4 or the
// product's /apis/default/fhir/r4, with or without the trailing slash.
// None is answered with a redirect (a client would re-send it with a GET,
// or not at all); the other methods on the base are a 405 naming POST.
func TestBaseTakesBundlesWithoutRedirect(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := testenv.Start(t, dialect, nil)
		admin := ts.Token("user/*.cruds", "")
		noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		send := func(method, path, body string) (int, http.Header, string) {
			t.Helper()
			var rd io.Reader
			if body != "" {
				rd = strings.NewReader(body)
			}
			req, err := http.NewRequest(method, ts.HTTP.URL+path, rd)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+admin)
			req.Header.Set("Content-Type", "application/fhir+json")
			res, err := noRedirect.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, res.Header, string(b)
		}
		for i, base := range []string{"/fhir/r4", "/fhir/r4/", "/apis/default/fhir/r4", "/apis/default/fhir/r4/"} {
			family := "base" + string(rune('a'+i))
			status, _, body := send("POST", base, bundleOf("transaction",
				`{"fullUrl":"urn:uuid:5a0f3f8e-7b0e-4c8a-9d7e-000000000003","resource":{"resourceType":"Patient","name":[{"family":"`+family+`"}]},"request":{"method":"POST","url":"Patient"}}`))
			if status != 200 || !strings.Contains(body, `"transaction-response"`) {
				t.Errorf("POST %s: %d %s", base, status, body)
				continue
			}
			if got := string(ts.Do("GET", "/fhir/r4/Patient?family="+family+"&_summary=count", admin, "").Body); !strings.Contains(got, `"total":1`) {
				t.Errorf("POST %s: the Bundle's Patient was not stored: %s", base, got)
			}
			for _, method := range []string{"GET", "PUT", "DELETE"} {
				status, h, body := send(method, base, "")
				if status != http.StatusMethodNotAllowed || h.Get("Allow") != "POST" || !strings.Contains(body, `"OperationOutcome"`) {
					t.Errorf("%s %s: %d Allow %q %s, want 405 naming POST", method, base, status, h.Get("Allow"), body)
				}
			}
		}
	})
}
