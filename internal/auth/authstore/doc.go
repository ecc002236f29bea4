// Package authstore keeps the authorization server's records in the SQL
// store, so that every emp node sharing one database shares the clients,
// users, browser flows and grants. Store implements auth.Storage over
// *store.Store, converting between the two packages' types: the store sits
// below the authorization server and does not know its types.
package authstore
