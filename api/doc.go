// Package api records the module's public surface: one listing per
// package (api/<path>.txt, the exported declarations without their doc
// comments, and the count of exported names), so a change to it shows in
// review. The test in this directory fails when a listing is stale;
//
//	go test ./api -update
//
// rewrites them.
package api
