package i18n

// en is the English catalog; every other catalog has the same keys.
var en = map[string]string{
	// Shared by every page.
	"page.signin":            "Sign in",
	"page.crosssite.title":   "Request refused",
	"page.crosssite":         "This form was submitted from another site. Open the link from your email again.",
	"page.expired.title":     "Form expired",
	"page.expired":           "This form has expired or did not come from this page. Open the link from your email again.",
	"page.unsupported.title": "Unsupported request",
	"page.unsupported":       "Submit the form of this page.",
	"page.toolarge.title":    "Request too large",
	"page.toolarge":          "The submitted form is too large.",
	"page.badform.title":     "Bad request",
	"page.badform":           "The submitted form is malformed.",
	"page.retry.title":       "Please retry later",
	"page.failed":            "The page could not be shown.",
	"page.incomplete.title":  "Incomplete link",
	"page.incomplete":        "This link is incomplete: its token is missing.",
	"page.incomplete.hint":   "Open the link from your email again, or copy the whole address into the browser.",
	"page.link.hint":         "Links work once and expire. Request a new one from the application.",

	// The sign-out page of RP-initiated logout.
	"page.logout.confirm.title": "Sign out?",
	"page.logout.confirm":       "Do you want to sign out? You will be signed out of every application you signed in to with this browser.",
	"page.logout.button":        "Sign out",
	"page.logout.done.title":    "Signed out",
	"page.logout.done":          "You are signed out. You can close this window.",

	// The verify-email page.
	"page.verify.title":        "Verify your email address",
	"page.verify.hint":         "Confirm that this email address is yours.",
	"page.verify.button":       "Verify my email",
	"page.verify.done.title":   "Email verified",
	"page.verify.done":         "Your email address %s is verified. You can now sign in.",
	"page.verify.failed.title": "Email not verified",

	// The hosted sign-in pages.
	"page.signin.title":      "Sign in",
	"page.signin.email":      "Email address",
	"page.signin.password":   "Password",
	"page.signin.button":     "Sign in",
	"page.signin.or":         "Or continue with:",
	"page.signin.forgot":     "Forgot your password?",
	"page.signin.new":        "New here?",
	"page.signin.back":       "Back to sign-in",
	"page.signin.unverified": "Open the link in the email we sent you to verify your address, then sign in.",
	"page.signin.refused":    "Sign-in request refused",
	"page.signin.errorcode":  "Error code: %s",
	"page.mfa.title":         "Two-factor authentication",
	"page.mfa.code":          "Authentication code",
	"page.mfa.hint":          "Enter the 6-digit code from your authenticator app, or one of your backup codes.",
	"page.mfa.button":        "Verify",
	"page.signup.title":      "Create an account",
	"page.signup.name":       "Name (optional)",
	"page.signup.confirm":    "Confirm the password",
	"page.signup.button":     "Create account",
	"page.signup.have":       "Already have an account?",
	"page.signup.exists":     "Sign in instead, or reset your password if you forgot it.",
	"page.signup.done.title": "Check your email",
	"page.signup.done":       "We sent a verification link to %s.",
	"page.signup.done.hint":  "Open it to verify your address; it brings you back here to sign in.",
	"page.forgot.title":      "Reset your password",
	"page.forgot.hint":       "Enter your email address and we will send you a link to choose a new password.",
	"page.forgot.button":     "Send the link",
	"page.forgot.done":       "If an account uses this address, a link to reset its password is on its way.",
	"page.forgot.done.hint":  "The link brings you back here to sign in.",

	// The reset-password page.
	"page.reset.title":        "Choose a new password",
	"page.reset.password":     "New password",
	"page.reset.confirm":      "Confirm the new password",
	"page.reset.minlength":    "At least %d characters.",
	"page.reset.button":       "Set my new password",
	"page.reset.mismatch":     "The two passwords do not match.",
	"page.reset.done.title":   "Password changed",
	"page.reset.done":         "Your password has been changed and every session was signed out. Sign in with the new password.",
	"page.reset.failed.title": "Password not changed",

	// device's /activate page.
	"page.activate.title":             "Activate a device",
	"page.activate.already.approved":  "This code was already approved.",
	"page.activate.already.denied":    "This code was already denied.",
	"page.activate.already.exchanged": "This code was already used.",
	"page.activate.crosssite":         "This form was submitted from another site. Open the activation page again.",
	"page.activate.expired":           "This form has expired or did not come from this page. Open the activation page again.",
	"page.activate.badform":           "The form could not be read.",
	"page.activate.signin":            "You need to be signed in to approve a device. Approve it from the application's signed-in web page, which sends your sign-in with the code; this page alone cannot see your sign-in.",
	"page.activate.approved":          "Device approved. You can return to your device.",
	"page.activate.denied":            "Request denied. The device will not be signed in.",
	"page.activate.confirm":           "Is this your device?",
	"page.activate.confirm.hint":      "Only continue if you started this sign-in yourself and the code below matches the one your device shows.",
	"page.activate.application":       "Application",
	"page.activate.organization":      "Organization",
	"page.activate.requested":         "Requested",
	"page.activate.scope":             "Access requested",
	"page.activate.code":              "Code",
	"page.activate.approve":           "Approve",
	"page.activate.deny":              "Deny",
	"page.activate.mustsignin":        "You must be signed in to %s to approve.",
	"page.activate.enter":             "Enter the code shown on your device",
	"page.activate.continue":          "Continue",

	// Emails: Go templates executed with authos.EmailData (subject and text
	// with text/template, html with html/template).
	"email.verify_email.subject": "Verify your email for {{.ProductName}}",
	"email.verify_email.text": `Hello{{if .Name}} {{.Name}}{{end}},

Confirm your email address for {{.ProductName}} by opening this link:

{{.Link}}

The link expires in {{.ExpiresIn}}. If you did not sign up, ignore this email.
`,
	"email.verify_email.html": `<p>Hello{{if .Name}} {{.Name}}{{end}},</p>
<p>Confirm your email address for {{.ProductName}}:</p>
<p><a href="{{.Link}}">Verify my email</a></p>
<p>The link expires in {{.ExpiresIn}}. If you did not sign up, ignore this email.</p>
`,
	"email.reset_password.subject": "Reset your {{.ProductName}} password",
	"email.reset_password.text": `Hello{{if .Name}} {{.Name}}{{end}},

Someone asked to reset the password of your {{.ProductName}} account. To choose a new password, open:

{{.Link}}

The link expires in {{.ExpiresIn}}. If you did not ask for this, ignore this email; your password stays the same.
`,
	"email.reset_password.html": `<p>Hello{{if .Name}} {{.Name}}{{end}},</p>
<p>Someone asked to reset the password of your {{.ProductName}} account.</p>
<p><a href="{{.Link}}">Choose a new password</a></p>
<p>The link expires in {{.ExpiresIn}}. If you did not ask for this, ignore this email; your password stays the same.</p>
`,
	"email.invitation.subject": "You are invited to {{.OrgName}} on {{.ProductName}}",
	"email.invitation.text": `Hello,

{{if .InviterName}}{{.InviterName}} invited you{{else}}You are invited{{end}} to join {{.OrgName}} as {{.Role}} on {{.ProductName}}. Accept the invitation here:

{{.Link}}

The invitation expires in {{.ExpiresIn}}.
`,
	"email.invitation.html": `<p>Hello,</p>
<p>{{if .InviterName}}{{.InviterName}} invited you{{else}}You are invited{{end}} to join <strong>{{.OrgName}}</strong> as {{.Role}} on {{.ProductName}}.</p>
<p><a href="{{.Link}}">Accept the invitation</a></p>
<p>The invitation expires in {{.ExpiresIn}}.</p>
`,

	// The email to an organization's owners when a webhook is turned off
	// (package webhook): formatted with fmt, not templates.
	"email.webhook_disabled.subject": "%s: webhook %q of %s was disabled",
	"email.webhook_disabled.text": `The webhook %q (%s) of the organization %s was disabled because %s.

Events are no longer sent to it. Fix the receiver, then enable the webhook again; deliveries that failed can be retried from its delivery log.
`,
	"email.webhook_disabled.gone":    "it answered 410 Gone",
	"email.webhook_disabled.failing": "every delivery to it has failed since %s",

	// Link lifetimes in emails.
	"duration.days":    "%d days",
	"duration.hours":   "%d hours",
	"duration.hour":    "1 hour",
	"duration.minutes": "%d minutes",

	// Social login (package oauth).
	"page.social.failed": "Sign-in with the provider failed",
	"page.social.linked": "%s is now linked to your account. You can close this page.",
	"page.social.done":   "Account linked",
	// An account made by an organization's own provider waits for the
	// confirmation of its address.
	"page.social.confirm.title":    "Confirm your email address",
	"page.social.confirm.text":     "Confirm that you signed in to %s with %s using this email address. If it was not you, close this page: nothing changes.",
	"page.social.confirm.button":   "Confirm",
	"page.social.confirmed.title":  "Email address confirmed",
	"page.social.confirmed":        "Your email address is confirmed. Sign in again with %s.",
	"email.social_confirm.subject": "Confirm your email address for %s",
	"email.social_confirm.text": `Someone signed in to %s with %s of %s as %s.

If that was you, confirm your email address with this link, then sign in again:

%s

The link expires in 24 hours. If it was not you, ignore this email: nothing is linked to your address, and you can still sign up with it yourself.
`,
}
