package server

import (
	"context"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/errs"
)

// The site settings the wiring reads (see auth's site settings): which JSON
// faces answer, whether the API log keeps bodies, and the site address.
const (
	SettingStandardAPI = auth.SettingStandardAPI
	SettingPortalAPI   = auth.SettingPortalAPI
	SettingAPILog      = auth.SettingAPILog
	SettingSiteAddress = auth.SettingSiteAddress
)

// SettingServedBase holds the base URL emp serve last served under. It is
// not a site setting (an operator does not set it): it tells the commands
// that run beside the server which issuer and audience it expects.
const SettingServedBase = "served_base_url"

// RecordServedBase records the base URL a starting server serves under.
func (a *App) RecordServedBase(ctx context.Context) error {
	return a.Store.SetSetting(ctx, SettingServedBase, a.BaseURL)
}

// SettingOn reports whether a switch setting is on. An unset switch is off;
// a database error counts as off (and is logged). It answers what may fail
// closed quietly (whether to log bodies); a face that a switch turns on
// asks SettingSwitch, whose error it answers.
func (a *App) SettingOn(ctx context.Context, key string) bool {
	on, err := a.SettingSwitch(ctx, key)
	if err != nil {
		a.cfg.Logger.Error("read setting", "key", key, "err", err)
	}
	return on
}

// SettingSwitch reports whether a switch setting is on; an unset switch is
// off. A database error is returned, not read as "off": during an outage
// a face answers 503 with Retry-After, not the 404 of a face switched off.
// The JSON faces ask it on every request, so it reads through the
// settings cache.
func (a *App) SettingSwitch(ctx context.Context, key string) (bool, error) {
	v, err := a.Settings.Setting(ctx, key)
	if err != nil {
		if errs.KindOf(err) == errs.NotFound {
			return false, nil
		}
		return false, err
	}
	return auth.SettingOn(v), nil
}
