// Package lockoutkey names the failed-password counters of the core's
// lockout (authos.Lockout, store.LoginFailureStore): one per email for the
// whole account and one per email and client address block.
package lockoutkey

import (
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"strings"
)

// Account is the key of an email's account-wide failed-password counter.
// Counters are keyed by email, not by account, so unknown emails lock like
// known ones and a lock reveals nothing. It is also the scope of the email's
// per-address counters (Address), so store.LoginFailureStore's
// ClearLoginFailureScope with it clears every lock of the account.
func Account(email string) string { return "pwd:" + sha256Hex(strings.ToLower(email)) }

// Address is the key of the failed-password counter of email for requests
// from clientIP: IPv4 addresses count one by one, IPv6 addresses by /64
// (one subscriber's block).
func Address(email, clientIP string) string {
	return Account(email) + "|ip:" + sha256Hex(Block(clientIP))
}

// Block is the unit an address is counted in: the IPv4 address, or the /64
// of an IPv6 address. Anything unparsable counts as itself.
func Block(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	addr = addr.Unmap()
	if addr.Is4() {
		return addr.String()
	}
	return netip.PrefixFrom(addr.WithZone(""), 64).Masked().String()
}

// BlockHash is the hex SHA-256 of the block of ip, for keys that count
// requests per address block.
func BlockHash(ip string) string { return sha256Hex(Block(ip)) }

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
