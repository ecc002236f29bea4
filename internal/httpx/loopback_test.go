package httpx

import "testing"

func TestIsLoopback(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{"127.0.0.1:8300", true},
		{"127.8.9.10:1", true},
		{"[::1]:8300", true},
		{"::1", true},
		{"[::1]", true},
		{"localhost:8300", true},
		{"LocalHost", true},
		{"localhost.:80", true},
		{"[::ffff:127.0.0.1]:80", true},
		{"0.0.0.0:8300", false},
		{"[::]:8300", false},
		{":8300", false},
		{"", false},
		{"10.0.0.1:8300", false},
		{"192.168.1.5", false},
		{"example.com:443", false},
		{"localhost.example.com:80", false},
		{"evil-localhost:80", false},
		{"128.0.0.1:80", false},
	}
	for _, tt := range tests {
		if got := IsLoopback(tt.addr); got != tt.want {
			t.Errorf("IsLoopback(%q) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}
