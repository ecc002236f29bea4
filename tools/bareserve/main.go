// Command bareserve is the baseline of the read benchmark: a bare net/http
// server that answers every request with the same bytes, as fast as Go's
// HTTP stack allows on this machine. emp's read-by-id figure is reported as
// a share of what bareserve reaches in the same run.
//
//	go run ./tools/bareserve -addr 127.0.0.1:8399 -file resource.json
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"strconv"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8399", "listen address (loopback)")
	file := flag.String("file", "", "the bytes to serve")
	flag.Parse()
	body, err := os.ReadFile(*file)
	if err != nil {
		log.Fatal(err)
	}
	length := strconv.Itoa(len(body))
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/fhir+json; charset=utf-8")
		w.Header().Set("Content-Length", length)
		w.Write(body)
	})
	fmt.Fprintln(os.Stderr, "bareserve on", *addr)
	log.Fatal(http.ListenAndServe(*addr, h))
}
