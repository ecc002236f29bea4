package httpx

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// SelfSignedCert makes a certificate for serving TLS without a CA: an
// ECDSA P-256 key, valid for a year from now (and an hour before, for clock
// skew), naming every host in hosts (names or IP addresses; a port is
// dropped, empty and wildcard entries such as "0.0.0.0" are skipped) plus
// localhost, 127.0.0.1 and ::1.
//
// It is a leaf, not a CA: a client trusts it by pinning it (Go's RootCAs,
// curl --cacert), and browsers such as Firefox reject CA certificates
// used as server certificates.
//
// rnd draws the serial number (crypto/rand when nil). Since Go 1.26 key
// generation always uses the system's secure source, so the key is fresh
// even when rnd is a seeded reader.
func SelfSignedCert(hosts []string, now time.Time, rnd io.Reader) (tls.Certificate, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rnd)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("self-signed certificate: %w", err)
	}
	serial, err := rand.Int(rnd, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("self-signed certificate: serial: %w", err)
	}
	dns, ips := certNames(hosts)
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: dns[0], Organization: []string{"emp self-signed"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(1, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              dns,
	}
	for _, ip := range ips {
		tmpl.IPAddresses = append(tmpl.IPAddresses, ip.AsSlice())
	}
	der, err := x509.CreateCertificate(rnd, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("self-signed certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("self-signed certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// certNames splits hosts into DNS names and IP addresses, deduplicated,
// with the loopback names always added after them (so the first name given,
// or localhost when there is none, becomes the common name).
func certNames(hosts []string) (dns []string, ips []netip.Addr) {
	seenDNS := map[string]bool{}
	seenIP := map[netip.Addr]bool{}
	for _, h := range append(slices.Clip(hosts), "localhost", "127.0.0.1", "::1") {
		h = strings.TrimSpace(h)
		if host, _, err := net.SplitHostPort(h); err == nil {
			h = host // a listen address rather than a host
		}
		h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
		if h == "" {
			continue
		}
		if ip, err := netip.ParseAddr(h); err == nil {
			ip = ip.Unmap().WithZone("")
			if ip.IsUnspecified() || seenIP[ip] {
				continue
			}
			seenIP[ip] = true
			ips = append(ips, ip)
			continue
		}
		h = strings.ToLower(strings.TrimSuffix(h, "."))
		if seenDNS[h] {
			continue
		}
		seenDNS[h] = true
		dns = append(dns, h)
	}
	return dns, ips
}

// LoadCert loads a PEM certificate chain and its private key, checking
// that they belong together.
func LoadCert(certFile, keyFile string) (tls.Certificate, error) {
	if certFile == "" || keyFile == "" {
		return tls.Certificate{}, fmt.Errorf("tls: both a certificate file and a key file are needed")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tls: loading %s and %s: %w", certFile, keyFile, err)
	}
	return cert, nil
}
