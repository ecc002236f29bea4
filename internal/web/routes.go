package web

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed static
var staticFiles embed.FS

// routes maps every page. Each pattern names its method, so anything else
// is a 405 from the mux.
func (s *Site) routes() map[string]http.Handler {
	pub := func(h func(http.ResponseWriter, *http.Request, *page)) http.Handler { return s.guarded("", h) }
	admin := func(h func(http.ResponseWriter, *http.Request, *page)) http.Handler { return s.guarded(areaAdmin, h) }
	patient := func(h func(http.ResponseWriter, *http.Request, *page)) http.Handler { return s.guarded(areaPatient, h) }

	m := map[string]http.Handler{
		"GET /admin/login":                        pub(s.adminLogin),
		"POST /admin/login":                       pub(s.adminLogin),
		"POST /admin/logout":                      admin(s.logout(areaAdmin)),
		"GET /admin/{$}":                          http.RedirectHandler("/admin/setup", http.StatusSeeOther),
		"GET /admin/setup":                        admin(s.setup),
		"POST /admin/setup":                       admin(s.setup),
		"GET /admin/clients":                      admin(s.clients),
		"POST /admin/clients/{id}/{action}":       admin(s.clientAction),
		"GET /admin/clients/{id}/delete":          admin(s.confirmDelete),
		"GET /admin/apilog":                       admin(s.apiLog),
		"GET /admin/apilog/{seq}":                 admin(s.apiLogEntry),
		"GET /admin/apilog.csv":                   admin(s.apiLogCSV),
		"GET /admin/patients":                     admin(s.patientLookup),
		"GET /admin/users":                        admin(s.users),
		"POST /admin/users":                       admin(s.users),
		"GET /admin/fhirclientregistration.aspx":  pub(s.register),
		"POST /admin/fhirclientregistration.aspx": pub(s.register),
		"GET /register":                           pub(s.register),
		"POST /register":                          pub(s.register),
		"GET /patientlogin.aspx":                  pub(s.patientLogin),
		"POST /patientlogin.aspx":                 pub(s.patientLogin),
		"GET /portal/{$}":                         http.RedirectHandler("/portal/home", http.StatusSeeOther),
		"GET /portal/home":                        patient(s.portalHome),
		"POST /portal/launch":                     patient(s.portalLaunch),
		"GET /portal/apps":                        patient(s.portalApps),
		"POST /portal/apps/revoke":                patient(s.portalRevoke),
		"POST /portal/logout":                     patient(s.logout(areaPatient)),
		"GET /static/":                            assets(staticFiles, "static"),
	}
	if s.demo {
		m["GET /demo-app/config.json"] = http.HandlerFunc(s.demoConfig)
		m["GET /demo-app/"] = demoAssets()
	}
	return m
}

// assets serves embedded files. They change only with the binary, so they
// may be cached for a day.
func assets(fsys embed.FS, dir string) http.Handler {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err) // the directory is embedded: it exists
	}
	files := http.StripPrefix("/"+dir+"/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		files.ServeHTTP(w, r)
	})
}
