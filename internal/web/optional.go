package web

import (
	"context"

	"github.com/emedpractice/emp/internal/auth"
)

// The listings and changes below are not part of auth.Storage yet. A
// storage that implements one gets the matching feature on the pages; one
// that does not shows a note in its place.

// ClientRemover deletes a client with everything it was granted.
type ClientRemover interface {
	DeleteClient(ctx context.Context, id string) error
}

// ClientSecretSetter replaces a confidential client's secret hash
// (auth.HashSecret of the new secret): rotating the secret.
type ClientSecretSetter interface {
	SetClientSecretHash(ctx context.Context, id, hash string) error
}

// PatientGrantLister lists the grants a patient-portal user made (Subject
// is the patient user's id), revoked or not, newest first.
type PatientGrantLister interface {
	GrantsBySubject(ctx context.Context, subject string) ([]auth.Grant, error)
}

// UserLister lists the staff and patient-portal users.
type UserLister interface {
	Users(ctx context.Context) ([]auth.User, error)
	PatientUsers(ctx context.Context) ([]auth.PatientUser, error)
}
