package web

import (
	"net/http"
	"strings"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/httpx"
	"github.com/emedpractice/emp/internal/store"
)

// The setup page's settings are auth's site settings (auth.SettingStandardAPI
// and the rest); a switch that was never set is off.
const (
	SettingStandardAPI = auth.SettingStandardAPI
	SettingPortalAPI   = auth.SettingPortalAPI
	SettingAPILog      = auth.SettingAPILog
	SettingSiteAddress = auth.SettingSiteAddress
)

type setupView struct {
	Frame
	StandardAPI, PortalAPI, PasswordGrant bool
	ManualApproval, APILogBodies          bool
	SiteAddress, SiteName, SiteLogo       string
	// FieldErr holds a refused field's message, shown beside it.
	FieldErr map[string]string
}

func (s *Site) setting(r *http.Request, key, def string) (string, error) {
	v, err := s.st.Setting(r.Context(), key)
	if isNotFound(err) {
		return def, nil
	}
	return v, err
}

func isOn(v string) bool { return auth.SettingOn(v) }

// loadSetup reads the settings as they are in effect (defaults for those
// never set), for the form and for telling what a submission changes.
func (s *Site) loadSetup(r *http.Request, p *page) (setupView, map[string]string, error) {
	v := setupView{Frame: p.Frame, FieldErr: map[string]string{}}
	v.Title, v.Current = "FHIR setup", "setup"
	vals := map[string]string{}
	for key, def := range map[string]string{
		SettingStandardAPI: "off", SettingPortalAPI: "off", auth.SettingPasswordGrant: "off",
		auth.SettingAppApproval: "auto", SettingAPILog: "off", SettingSiteAddress: s.base,
		auth.SettingSiteName: auth.DefaultSiteName, auth.SettingSiteLogo: "",
	} {
		x, err := s.setting(r, key, def)
		if err != nil {
			return v, nil, err
		}
		vals[key] = x
	}
	v.StandardAPI, v.PortalAPI, v.PasswordGrant = isOn(vals[SettingStandardAPI]), isOn(vals[SettingPortalAPI]), isOn(vals[auth.SettingPasswordGrant])
	v.ManualApproval = vals[auth.SettingAppApproval] == "manual"
	v.APILogBodies, v.SiteAddress = isOn(vals[SettingAPILog]), vals[SettingSiteAddress]
	v.SiteName, v.SiteLogo = vals[auth.SettingSiteName], vals[auth.SettingSiteLogo]
	for _, k := range []string{SettingStandardAPI, SettingPortalAPI, auth.SettingPasswordGrant, SettingAPILog} {
		vals[k] = onOff(isOn(vals[k]))
	}
	return v, vals, nil
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// setup is GET and POST /admin/setup. A POST validates every field first and
// writes nothing unless all are good; each setting that changes is written
// and recorded in the audit log under the administrator's name.
func (s *Site) setup(w http.ResponseWriter, r *http.Request, p *page) {
	v, current, err := s.loadSetup(r, p)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if r.Method != http.MethodPost { // GET or HEAD: show the form
		v.Notice = noticeOf(r)
		s.render(w, r, http.StatusOK, "setup", v)
		return
	}
	ticked := func(name string) string { return onOff(r.PostFormValue(name) == "on") }
	want := map[string]string{
		SettingStandardAPI: ticked("standard_api"), SettingPortalAPI: ticked("portal_api"),
		auth.SettingPasswordGrant: ticked("password_grant"), SettingAPILog: ticked("api_log"),
	}
	var bad errs.Multi
	switch a := r.PostFormValue("app_approval"); a {
	case "auto", "manual":
		want[auth.SettingAppApproval] = a
	default:
		bad = append(bad, errs.Field("app_approval", "choose automatic or manual approval"))
	}
	addr := strings.TrimRight(strings.TrimSpace(r.PostFormValue("site_address")), "/")
	if err := auth.CheckSiteAddress(addr); err != nil {
		bad = append(bad, err)
	} else {
		want[SettingSiteAddress] = addr
	}
	// The brand fields are optional in a submission: a form without them
	// (an older page, a script) leaves them as they are.
	if _, sent := r.PostForm["site_name"]; sent {
		name := strings.TrimSpace(r.PostFormValue("site_name"))
		if err := auth.CheckSiteName(name); err != nil {
			bad = append(bad, err)
		} else {
			want[auth.SettingSiteName] = name
		}
	}
	if _, sent := r.PostForm["site_logo"]; sent {
		logo := strings.TrimSpace(r.PostFormValue("site_logo"))
		if err := auth.CheckSiteLogo(logo); err != nil {
			bad = append(bad, err)
		} else {
			want[auth.SettingSiteLogo] = logo
		}
	}
	if len(bad) > 0 {
		// Nothing is saved; the form comes back as typed, each message
		// beside its field.
		v.Error = "Nothing was saved: correct the fields marked below."
		v.SiteAddress, v.SiteName, v.SiteLogo = r.PostFormValue("site_address"), r.PostFormValue("site_name"), r.PostFormValue("site_logo")
		for _, e := range bad {
			v.FieldErr[e.Field] = e.Message
		}
		s.render(w, r, http.StatusBadRequest, "setup", v)
		return
	}
	// Only what changed is written (and audited): saving the form untouched
	// writes nothing, and a default stays a default.
	for key, val := range want {
		if current[key] == val {
			continue
		}
		if err := s.st.SetSetting(r.Context(), key, val); err != nil {
			s.internal(w, r, err)
			return
		}
		s.audit(r, p, "setting", "", key+"="+val)
	}
	redirect(w, r, "/admin/setup?saved=1")
}

// audit records an administrative change in the audit log.
func (s *Site) audit(r *http.Request, p *page, action, resID, detail string) {
	actor, role := p.staff.ID, p.staff.Role
	if p.Area == "portal" {
		actor, role = p.patient.ID, "patient"
	}
	s.store.RecordAccess(r.Context(), store.AuditEvent{
		At:          s.now(),
		RequestInfo: store.RequestInfo{RequestID: httpx.RequestIDFrom(r.Context()), Actor: actor, Role: role, Method: r.Method, Path: r.URL.Path},
		Action:      action, ResID: resID, Detail: detail, Status: http.StatusSeeOther,
	})
}

func noticeOf(r *http.Request) string {
	if r.URL.Query().Get("saved") != "" {
		return "Saved. The changes are in effect now."
	}
	return ""
}
