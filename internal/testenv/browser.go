package testenv

import (
	"testing"

	"github.com/emedpractice/emp/internal/httpbrowser"
)

// Browser is a person's user agent on the server's pages (see
// httpbrowser): the authorization server's own tests use the same one.
type Browser = httpbrowser.Browser

// Browser is a new browser with an empty cookie jar that stops at every
// redirect.
func (s *Server) Browser(t testing.TB) *Browser { return httpbrowser.New(t, s.HTTP.URL) }

// FollowingBrowser is a Browser that follows redirects within the server.
func (s *Server) FollowingBrowser(t testing.TB) *Browser { return httpbrowser.Following(t, s.HTTP.URL) }
