// Package openapi describes the standard JSON API (/api/) and the patient
// portal API (/portal/) as an OpenAPI 3.1 document, and serves Swagger UI
// over it so that a person can authorize and try the API in a browser.
//
// The document is generated at start from the faces' own route tables
// (api.Routes, portalapi.Routes) and the Go types of their bodies, so it cannot
// drift from what the server registers: a route added there is documented
// here with no further edit, and the contract tests fail if the two ever
// disagree.
package openapi
