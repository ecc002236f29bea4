// Package web serves emp's HTML pages for people: site administration
// (/admin/…), client registration (/admin/fhirclientregistration.aspx and
// /register), the patient portal (/patientlogin.aspx and /portal/…) with its
// SMART apps widget, and the demo SMART app (/demo-app/) when the demo is on.
//
// The pages are server-rendered html/template with one hand-written
// stylesheet and no script; only the demo app runs script, its own, from the
// same origin. Sessions are signed cookies (the key lives in the site
// settings, so every node of a cluster accepts every other node's cookies)
// with an idle and an absolute timeout; every form carries a CSRF token bound
// to a cookie and cross-origin POSTs are refused before any handler runs.
package web
