package authos

// Extension is the API for packages that add features to an instance (mfa,
// device, scim, and packages written outside this module): registering
// routes with the instance's Handler and the hooks into sign-in, discovery,
// the outbox, housekeeping and the audit log. Hosts do not need it; they
// create the packages (mfa.New(a, ...)) and mount a.Handler().
//
// A package's New calls Extend(a) and registers everything it serves there,
// so that a failure (a route registered twice, or after Handler was built)
// is an error of New, never of a request.
type Extension struct{ a *Authos }

// Extend returns the extension API of a.
func Extend(a *Authos) Extension { return Extension{a: a} }

// Handle registers routes (patterns without the base path), all or none,
// so that a.Handler() serves them beside the core's. It fails when a
// pattern is malformed, registered already or in conflict with one
// (http.ServeMux rules), or when Handler was built. Routes in a group the
// host left out (Config.LeaveOut) are dropped.
func (e Extension) Handle(routes ...Route) error { return e.a.register(routes...) }
