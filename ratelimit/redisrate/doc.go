// Package redisrate provides an authos.RateLimiter whose limits are shared by
// every instance of an application through Redis.
//
// It runs the same generic cell rate algorithm (GCRA) as the core's
// in-process limiter (the default RateLimiter): Burst events at once, then
// one every Period/Rate. Each decision is made atomically by one Lua script on the
// Redis server and timed by the server's clock, so instances whose clocks
// disagree still share one budget. Only the theoretical arrival time is
// stored per key, under a SHA-256 of the caller's key, and it expires once
// that time has passed. Times are kept at microsecond resolution.
//
// Plug it into authos.Config.RateLimiter:
//
//	rl, err := redisrate.NewFromURL("redis://localhost:6379/0")
//	if err != nil { ... }
//	defer rl.Close()
//	cfg.RateLimiter = rl
//
// Errors from Redis are returned, not swallowed: the caller decides, and
// authos refuses the request rather than letting it through unlimited.
package redisrate
