// Package hashx hashes secrets for storage and lookup.
package hashx
