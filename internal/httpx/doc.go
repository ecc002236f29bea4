// Package httpx holds the HTTP plumbing every face of emp shares: request
// ids, access logging, panic recovery, body limits, security headers, CORS,
// metrics, health endpoints, TLS certificates and a server that shuts down
// gracefully.
//
// The middlewares are plain func(http.Handler) http.Handler (or take the
// handler directly where they need no options), so a face can compose them
// in any order. The intended order, outermost first, is
//
//	RequestID → Recover → AccessLog → Metrics → SecurityHeaders → mux
//
// with LimitBody and CORS applied by each face to its own routes. RequestID
// comes first so every log line, including the panic report, carries the
// id. Nothing between Metrics and the mux may replace the *http.Request
// (r.WithContext and friends): the mux records the matched route in
// r.Pattern of the request it is given, and Metrics and AccessLog read it
// from theirs after the mux returns.
package httpx
