package httpx

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

var certNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestSelfSignedCert(t *testing.T) {
	cert, err := SelfSignedCert([]string{"ehr.example", "", "0.0.0.0", "[::]", "10.1.2.3", "EHR.example.", "127.0.0.1", "10.1.2.3:8300", "[::1]:443"}, certNow, nil)
	if err != nil {
		t.Fatal(err)
	}
	leaf := cert.Leaf
	if key, ok := leaf.PublicKey.(*ecdsa.PublicKey); !ok || key.Curve != elliptic.P256() {
		t.Fatalf("key %T, want ECDSA P-256", leaf.PublicKey)
	}
	if !leaf.NotAfter.Equal(certNow.AddDate(1, 0, 0)) || leaf.NotBefore.After(certNow) {
		t.Errorf("validity %s..%s", leaf.NotBefore, leaf.NotAfter)
	}
	if want := []string{"ehr.example", "localhost"}; !slices.Equal(leaf.DNSNames, want) {
		t.Errorf("DNS names %q, want %q", leaf.DNSNames, want)
	}
	var ips []string
	for _, ip := range leaf.IPAddresses {
		ips = append(ips, ip.String())
	}
	if want := []string{"10.1.2.3", "127.0.0.1", "::1"}; !slices.Equal(ips, want) {
		t.Errorf("IP SANs %q, want %q", ips, want)
	}
	if leaf.Subject.CommonName != "ehr.example" || leaf.IsCA {
		t.Errorf("CN %q IsCA %v", leaf.Subject.CommonName, leaf.IsCA)
	}
}

// A client that trusts the certificate (and nothing else) can talk to a
// server using it, by loopback address and by name.
func TestSelfSignedCertUsable(t *testing.T) {
	cert, err := SelfSignedCert(nil, time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("secure"))
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake below
	srv.StartTLS()
	defer srv.Close()

	roots := x509.NewCertPool()
	roots.AddCert(cert.Leaf)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	for _, host := range []string{"127.0.0.1", "localhost"} {
		resp, err := client.Get("https://" + host + ":" + port + "/")
		if err != nil {
			t.Fatalf("%s: %v", host, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != "secure" {
			t.Fatalf("%s: body %q", host, body)
		}
	}

	// A client that does not trust it refuses.
	if _, err := (&http.Client{Transport: &http.Transport{}}).Get(srv.URL); err == nil {
		t.Fatal("an untrusting client accepted the self-signed certificate")
	}
}

func TestLoadCert(t *testing.T) {
	cert, err := SelfSignedCert(nil, certNow, nil)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)

	got, err := LoadCert(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Leaf.Equal(cert.Leaf) {
		t.Fatal("loaded a different certificate")
	}

	other, _ := SelfSignedCert(nil, certNow, nil)
	otherDER, _ := x509.MarshalPKCS8PrivateKey(other.PrivateKey)
	otherKey := filepath.Join(dir, "other.pem")
	os.WriteFile(otherKey, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: otherDER}), 0o600)
	for _, tt := range []struct{ name, cert, key string }{
		{"mismatched key", certFile, otherKey},
		{"missing file", filepath.Join(dir, "nope.pem"), keyFile},
		{"no key", certFile, ""},
	} {
		if _, err := LoadCert(tt.cert, tt.key); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}
