package auth

import (
	"errors"
	"net"
	"net/url"
	"strings"
)

const maxURILength = 2000

// checkRedirectURI applies the redirect URI rules of RFC 9700 2.1 and RFC
// 8252: absolute, no fragment; https anywhere, http only on a loopback host
// (native apps and development), or a private-use scheme with a dot in it
// ("com.example.app:/callback") for native apps. That dot rule also shuts
// out javascript:, data: and their kind. Matching later is exact.
func checkRedirectURI(s string) error {
	if len(s) > maxURILength {
		return errors.New("too long")
	}
	u, err := url.Parse(s)
	if err != nil {
		return errors.New("not a URL")
	}
	switch {
	case u.Scheme == "":
		return errors.New("not an absolute URL")
	case u.Fragment != "" || strings.Contains(s, "#"):
		return errors.New("a redirect URI may not have a fragment")
	case u.Scheme == "https":
		if u.Host == "" {
			return errors.New("no host")
		}
	case u.Scheme == "http":
		if !isLoopback(u.Hostname()) {
			return errors.New("http is allowed only on a loopback host; use https")
		}
	case !strings.Contains(u.Scheme, "."):
		return errors.New("a private-use scheme must be a reversed domain name (com.example.app)")
	}
	return nil
}

// checkHTTPSURL accepts an absolute https URL, and http on a loopback host
// when loopbackHTTP.
func checkHTTPSURL(s string, loopbackHTTP bool) error {
	if len(s) > maxURILength {
		return errors.New("too long")
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return errors.New("not an absolute URL")
	}
	switch {
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && loopbackHTTP && isLoopback(u.Hostname()):
		return nil
	}
	return errors.New("must be an https URL")
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// withParams adds query parameters to a redirect URI, keeping those it has
// (RFC 6749 3.1.2: the query component must be retained).
func withParams(base string, params url.Values) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	q := u.Query()
	for k, vs := range params {
		for _, v := range vs {
			if v != "" {
				q.Add(k, v)
			}
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}
