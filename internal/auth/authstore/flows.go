package authstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/store"
)

// SaveInteraction implements auth.FlowStore: the interaction is kept as
// one JSON document.
func (s *Store) SaveInteraction(ctx context.Context, in auth.Interaction) error {
	doc, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("authstore: encode interaction: %w", err)
	}
	return s.st.SaveInteraction(ctx, store.AuthInteraction{ID: in.ID, Doc: doc, ExpiresAt: in.ExpiresAt})
}

// Interaction implements auth.FlowStore.
func (s *Store) Interaction(ctx context.Context, id string) (auth.Interaction, error) {
	rec, err := s.st.Interaction(ctx, id)
	if err != nil {
		return auth.Interaction{}, err
	}
	var in auth.Interaction
	if err := json.Unmarshal(rec.Doc, &in); err != nil {
		return auth.Interaction{}, fmt.Errorf("authstore: decode interaction %s: %w", id, err)
	}
	return in, nil
}

// DeleteInteraction implements auth.FlowStore.
func (s *Store) DeleteInteraction(ctx context.Context, id string) error {
	return s.st.DeleteInteraction(ctx, id)
}

// CreateLaunch implements auth.FlowStore.
func (s *Store) CreateLaunch(ctx context.Context, l auth.Launch) error {
	fc, err := encodeContext(l.FHIRContext)
	if err != nil {
		return err
	}
	return s.st.CreateLaunch(ctx, store.LaunchContext{Hash: l.Hash, ClientID: l.ClientID, Patient: l.Patient,
		Encounter: l.Encounter, Intent: l.Intent, FHIRContext: fc, CreatedAt: l.CreatedAt, ExpiresAt: l.ExpiresAt})
}

// Launch implements auth.FlowStore.
func (s *Store) Launch(ctx context.Context, hash string) (auth.Launch, error) {
	l, err := s.st.Launch(ctx, hash)
	if err != nil {
		return auth.Launch{}, err
	}
	fc, err := decodeContext(l.FHIRContext)
	if err != nil {
		return auth.Launch{}, err
	}
	return auth.Launch{Hash: l.Hash, ClientID: l.ClientID, Patient: l.Patient, Encounter: l.Encounter,
		Intent: l.Intent, FHIRContext: fc, CreatedAt: l.CreatedAt, ExpiresAt: l.ExpiresAt}, nil
}

// CreateCode implements auth.FlowStore.
func (s *Store) CreateCode(ctx context.Context, c auth.Code) error {
	return s.st.CreateCode(ctx, store.AuthCode(c))
}

// Code implements auth.FlowStore.
func (s *Store) Code(ctx context.Context, hash string) (auth.Code, error) {
	c, err := s.st.AuthCode(ctx, hash)
	return auth.Code(c), err
}

// ConsumeCode implements auth.FlowStore.
func (s *Store) ConsumeCode(ctx context.Context, hash string, at time.Time) (auth.Code, bool, error) {
	c, replay, err := s.st.ConsumeCode(ctx, hash, at)
	return auth.Code(c), replay, err
}

// UseAssertionID implements auth.FlowStore.
func (s *Store) UseAssertionID(ctx context.Context, clientID, jti string, expires time.Time) (bool, error) {
	return s.st.UseAssertionID(ctx, clientID, jti, expires)
}

// encodeContext is the stored form of a fhirContext list: nothing for an
// empty one, else its JSON.
func encodeContext(fc []auth.FHIRContext) ([]byte, error) {
	if len(fc) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(fc)
	if err != nil {
		return nil, fmt.Errorf("authstore: encode fhirContext: %w", err)
	}
	return b, nil
}

func decodeContext(b []byte) ([]auth.FHIRContext, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var fc []auth.FHIRContext
	if err := json.Unmarshal(b, &fc); err != nil {
		return nil, fmt.Errorf("authstore: decode fhirContext: %w", err)
	}
	return fc, nil
}
