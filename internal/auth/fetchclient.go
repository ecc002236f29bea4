package auth

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// publicHTTPClient is the default client for fetching registered JWKS URLs.
// Anyone may register a jwks_uri, so the server must not become a way to
// reach its own network: the dialer refuses loopback, private, link-local and
// other non-public addresses (checked on the address actually dialled, after
// DNS, so a name that resolves inward is refused too), and no proxy from the
// environment is used. A site whose clients host keys inside its network
// passes its own Config.HTTPClient.
func publicHTTPClient() *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second, Control: refuseNonPublic}
	return &http.Client{
		Timeout: jwksTimeout,
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           d.DialContext,
			TLSHandshakeTimeout:   5 * time.Second,
			ResponseHeaderTimeout: 5 * time.Second,
			MaxIdleConns:          16,
			IdleConnTimeout:       90 * time.Second,
			ForceAttemptHTTP2:     true,
		},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return errors.New("too many redirects")
			}
			if req.URL.Scheme != "https" {
				return errors.New("redirect away from https")
			}
			return nil
		},
	}
}

func refuseNonPublic(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return err
	}
	if !publicAddr(ip.Unmap()) {
		return fmt.Errorf("refusing to fetch from the non-public address %s", ip)
	}
	return nil
}

func publicAddr(ip netip.Addr) bool {
	return ip.IsValid() && ip.IsGlobalUnicast() && !ip.IsPrivate() && !ip.IsLoopback() && !ip.IsLinkLocalUnicast() &&
		!cgnat.Contains(ip)
}

// cgnat is the shared address space of RFC 6598, not public either.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")
