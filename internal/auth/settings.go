package auth

import (
	"context"
	"net"
	"time"

	"github.com/emedpractice/emp/internal/auth/pages"
	"net/url"
	"strconv"
	"strings"

	"github.com/emedpractice/emp/internal/errs"
)

// The site settings kept in the SettingStore beside the authorization
// server's own (SettingPasswordGrant, SettingAppApproval): the server wiring
// reads these, the setup page and `emp settings` write them.
const (
	SettingStandardAPI = "standard_api" // "on": the standard JSON API (/api/) answers
	SettingPortalAPI   = "portal_api"   // "on": the patient portal API answers
	SettingAPILog      = "api_log"      // "on": the API log also keeps request and response bodies
	SettingSiteAddress = "site_address" // the public base URL, when the operator gave none
	SettingSiteName    = "site_name"    // the practice's name, shown on every page ("emp" when unset)
	SettingSiteLogo    = "site_logo"    // the practice's logo: an https URL or a path on this site
	// SettingAuditRetention is how many whole months of audit log the
	// database keeps before the current one; older months are archived to
	// files (--audit-archive-dir) and removed. Unset, "off" or 0 keeps
	// everything.
	SettingAuditRetention = "audit_retention_months"
)

// DefaultSiteName is what the pages are called until site_name is set.
const DefaultSiteName = "emp"

// Bounds of the brand settings: a name fits a page header, a logo is a URL.
const (
	maxSiteName = 80
	maxSiteLogo = 2000
)

// SiteSetting is one setting an operator may set, with the values it takes.
type SiteSetting struct {
	Key, Values string
}

// SiteSettings lists every site setting, in the order to show them.
func SiteSettings() []SiteSetting {
	return []SiteSetting{
		{SettingAppApproval, "auto|manual"},
		{SettingAPILog, "on|off (request and response bodies)"},
		{SettingAuditRetention, "off|MONTHS (months of audit log kept before the current one; older ones are archived to --audit-archive-dir, then removed)"},
		{SettingPasswordGrant, "on|off"},
		{SettingPortalAPI, "on|off"},
		{SettingSiteAddress, "an absolute https URL (or http on loopback)"},
		{SettingSiteLogo, "an https URL or a path on this site (/static/…), shown beside the name"},
		{SettingSiteName, "the practice's name, shown on every page"},
		{SettingStandardAPI, "on|off"},
		{"validate_profiles", "off|declared|us-core (profiles enforced on FHIR writes)"},
	}
}

// SettingOn reads a switch: "on", "1", "true" or "yes" (any case) is on,
// anything else, including unset, off.
func SettingOn(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "on", "1", "true", "yes":
		return true
	}
	return false
}

// CheckSetting validates a value for a site setting; an unknown key is an
// error too.
func CheckSetting(key, value string) error {
	switch key {
	case SettingStandardAPI, SettingPortalAPI, SettingAPILog, SettingPasswordGrant:
		switch strings.ToLower(value) {
		case "on", "off", "1", "0", "true", "false", "yes", "no":
			return nil
		}
		return errs.Field(key, "must be on or off, got %q", value)
	case "validate_profiles":
		if value == "off" || value == "declared" || value == "us-core" {
			return nil
		}
		return errs.Field(key, "must be off, declared or us-core, got %q", value)
	case SettingAuditRetention:
		if _, e := AuditRetentionMonths(value); e != nil {
			return e
		}
		return nil
	case SettingAppApproval:
		if value == "auto" || value == "manual" {
			return nil
		}
		return errs.Field(key, "must be auto or manual, got %q", value)
	case SettingSiteAddress:
		if e := CheckSiteAddress(value); e != nil {
			return e
		}
		return nil
	case SettingSiteName:
		if e := CheckSiteName(value); e != nil {
			return e
		}
		return nil
	case SettingSiteLogo:
		if e := CheckSiteLogo(value); e != nil {
			return e
		}
		return nil
	}
	return errs.Field(key, "unknown setting (known: standard_api, portal_api, api_log, password_grant, app_approval, site_address, site_name, site_logo, validate_profiles, audit_retention_months)")
}

// maxAuditRetention bounds the retention setting: a hundred years.
const maxAuditRetention = 1200

// AuditRetentionMonths reads the retention setting: "", "off" and "0" keep
// everything (0); otherwise a whole number of months from 1 to 1200.
func AuditRetentionMonths(v string) (int, *errs.Error) {
	v = strings.TrimSpace(v)
	if v == "" || strings.EqualFold(v, "off") {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > maxAuditRetention {
		return 0, errs.Field(SettingAuditRetention, "must be off or a number of months from 1 to %d, got %q", maxAuditRetention, v)
	}
	return n, nil
}

// CheckSiteName accepts a printable name of at most maxSiteName characters.
func CheckSiteName(v string) *errs.Error {
	if strings.TrimSpace(v) == "" || len([]rune(v)) > maxSiteName || strings.ContainsFunc(v, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return errs.Field(SettingSiteName, "enter a name of 1 to %d characters, on one line", maxSiteName)
	}
	return nil
}

// CheckSiteLogo accepts an empty value (no logo), an https URL, or an
// absolute path on this site: the pages show it as an image only, and
// their policy loads images from the site and over https.
func CheckSiteLogo(v string) *errs.Error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	bad := err != nil || len(v) > maxSiteLogo || u.User != nil || u.Fragment != ""
	switch {
	case bad:
	case u.Scheme == "https" && u.Host != "":
		return nil
	case u.Scheme == "" && u.Host == "" && strings.HasPrefix(v, "/") && !strings.HasPrefix(v, "//"):
		return nil
	}
	return errs.Field(SettingSiteLogo, "enter an https URL or a path on this site such as /static/logo.png")
}

// CheckSiteAddress accepts an absolute https URL, or http on a loopback
// host (a development machine): the issuer of every token is built from it.
func CheckSiteAddress(addr string) *errs.Error {
	u, err := url.Parse(addr)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return errs.Field(SettingSiteAddress, "enter an absolute URL such as https://ehr.example.org")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		h := u.Hostname()
		if ip := net.ParseIP(h); h == "localhost" || ip != nil && ip.IsLoopback() {
			return nil
		}
	}
	return errs.Field(SettingSiteAddress, "must be an https URL (http only on this machine's loopback address)")
}

// brand is the practice's name and logo for the authorization server's
// pages, read at each page; the defaults when unset or unreadable (the
// pages go on without them).
func (s *Server) brand() pages.Brand {
	b := pages.Brand{Name: DefaultSiteName}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if v, err := s.store.Setting(ctx, SettingSiteName); err == nil && CheckSiteName(v) == nil {
		b.Name = v
	}
	if v, err := s.store.Setting(ctx, SettingSiteLogo); err == nil && CheckSiteLogo(v) == nil {
		b.Logo = v
	}
	return b
}
