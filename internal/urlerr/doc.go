// Package urlerr keeps the URLs given in configuration, and their
// passwords (RFC 3986 userinfo), out of error messages.
package urlerr
