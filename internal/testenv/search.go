package testenv

import (
	"encoding/json"
	"strings"
	"testing"
)

// Found is one resource a search answered, as the tests compare them.
type Found struct {
	Key, Type, ID, Version string // Key is "Type/id"
	Body                   string
}

// SearchAll follows a search's next links and returns every match; any
// answer but 200 fails the test.
func (s *Server) SearchAll(t testing.TB, path, token string) []Found {
	t.Helper()
	var out []Found
	for path != "" {
		r := s.Do("GET", path, token, "")
		if r.Status != 200 {
			t.Fatalf("%s: %d %s", path, r.Status, r.Body)
		}
		var bundle struct {
			Link []struct {
				Relation, URL string
			}
			Entry []struct {
				Resource json.RawMessage
				Search   struct{ Mode string }
			}
		}
		if err := json.Unmarshal(r.Body, &bundle); err != nil {
			t.Fatal(err)
		}
		for _, e := range bundle.Entry {
			var head struct {
				ResourceType, ID string
				Meta             struct{ VersionID string }
			}
			json.Unmarshal(e.Resource, &head)
			out = append(out, Found{Key: head.ResourceType + "/" + head.ID, Type: head.ResourceType, ID: head.ID,
				Version: head.Meta.VersionID, Body: string(e.Resource)})
		}
		path = ""
		for _, l := range bundle.Link {
			if l.Relation == "next" {
				path = strings.TrimPrefix(l.URL, s.App.BaseURL)
			}
		}
	}
	return out
}

// TolerantSearch runs a search that may be refused: a refusal (403, or a
// 400 for a combination the server does not support) shows nothing, which
// is what a confinement check asks; a 500 fails the test.
func (s *Server) TolerantSearch(t testing.TB, path, token string) []Found {
	t.Helper()
	r := s.Do("GET", path, token, "")
	switch {
	case r.Status >= 500:
		t.Errorf("%s: %d %s", path, r.Status, r.Body)
		return nil
	case r.Status != 200:
		return nil
	}
	return s.SearchAll(t, path, token)
}
