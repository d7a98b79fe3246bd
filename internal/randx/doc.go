// Package randx draws identifiers and secrets from crypto/rand.
package randx
