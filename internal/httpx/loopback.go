package httpx

import (
	"net"
	"net/netip"
	"strings"
)

// IsLoopback reports whether addr ("host:port" or a bare host) names only
// this machine: an address in 127.0.0.0/8, ::1, or the name localhost. It
// is false for the wildcard addresses (0.0.0.0, ::) and an empty host,
// which listen on every interface, and for any other name, since a name may
// resolve anywhere. The server uses it to refuse plain HTTP off loopback.
func IsLoopback(addr string) bool {
	host := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	} else {
		host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	}
	if host == "" {
		return false
	}
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	return ip.Unmap().IsLoopback()
}
