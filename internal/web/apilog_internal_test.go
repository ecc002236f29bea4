package web

import "testing"

// TestSplitBodies: the bodies the API faces append are taken out of a
// detail, whether or not a summary comes first.
func TestSplitBodies(t *testing.T) {
	for _, tc := range []struct{ detail, summary, req, res string }{
		{"", "", "", ""},
		{"category=x", "category=x", "", ""},
		{"request: {\"a\":1}\nresponse: {\"b\":2}", "", `{"a":1}`, `{"b":2}`},
		{"response: {\"b\":2}", "", "", `{"b":2}`},
		{"search\nrequest: q\nresponse: r", "search", "q", "r"},
		{"search\nresponse: r", "search", "", "r"},
	} {
		s, q, r := splitBodies(tc.detail)
		if s != tc.summary || q != tc.req || r != tc.res {
			t.Errorf("%q: %q %q %q, want %q %q %q", tc.detail, s, q, r, tc.summary, tc.req, tc.res)
		}
	}
}
