package auth

import (
	"net"
	"net/url"
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
		{SettingPasswordGrant, "on|off"},
		{SettingPortalAPI, "on|off"},
		{SettingSiteAddress, "an absolute https URL (or http on loopback)"},
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
	}
	return errs.Field(key, "unknown setting (known: standard_api, portal_api, api_log, password_grant, app_approval, site_address, validate_profiles)")
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
