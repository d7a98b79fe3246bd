package i18n

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Error messages are written in English where the error is made
// (authos.NewError); the catalogs translate them by their English text, as
// gettext does. A message with variable parts is listed as a pattern whose
// "%s" stand for them. A message without a translation stays in English; a
// test checks that every message written in the sign-in packages has one.

// codeMessages translates the catalog's description of each error code,
// the message of an error made without its own.
var codeMessages = map[string]map[string]string{
	"de": {
		"ACCOUNT_LOCKED":              "Zu viele fehlgeschlagene Versuche",
		"ALREADY_EXISTS":              "Die Ressource existiert bereits",
		"BAD_REQUEST":                 "Ungültige Anfrageparameter oder fehlerhaftes JSON",
		"CONFLICT":                    "Die Ressource existiert bereits oder ihr Zustand widerspricht der Anfrage",
		"DATABASE_ERROR":              "Der Datenbankzugriff ist fehlgeschlagen",
		"DEVICE_CODE_EXPIRED":         "Der Gerätecode ist abgelaufen",
		"DEVICE_CODE_PENDING":         "Der Benutzer hat noch nicht zugestimmt",
		"EMAIL_NOT_VERIFIED":          "Die E-Mail-Adresse des Kontos ist nicht bestätigt",
		"EMAIL_SEND_FAILED":           "Die E-Mail konnte nicht zugestellt werden",
		"ENCRYPTION_ERROR":            "Ver- oder Entschlüsselung fehlgeschlagen",
		"FORBIDDEN":                   "Gültige Anmeldung, aber unzureichende Berechtigungen",
		"INTERNAL_SERVER_ERROR":       "Unerwarteter Serverfehler",
		"INVALID_CREDENTIALS":         "E-Mail-Adresse oder Passwort ist falsch",
		"INVALID_DEVICE_CODE":         "Gerätecode nicht gefunden",
		"INVALID_EMAIL":               "Ungültiges E-Mail-Format",
		"INVALID_GRANT_TYPE":          "Falscher Wert für grant_type",
		"INVALID_MFA_CODE":            "Falscher Bestätigungs- oder Backup-Code",
		"INVALID_SAML_RESPONSE":       "Ungültige SAML-Antwort",
		"INVALID_SCIM_TOKEN":          "SCIM-Token ungültig oder abgelaufen",
		"INVALID_SLUG":                "Ungültiges Kürzel",
		"INVALID_TOKEN":               "Token ungültig, abgelaufen oder bereits verwendet",
		"INVALID_URL":                 "Ungültige URL",
		"INVALID_WEBHOOK_EVENT":       "Unbekannter Ereignistyp",
		"INVALID_WEBHOOK_URL":         "Die URL ist keine HTTP(S)-URL",
		"INVITATION_ALREADY_ACCEPTED": "Die Einladung wurde bereits verwendet",
		"INVITATION_EXPIRED":          "Der Einladungslink ist abgelaufen",
		"JWT_ERROR":                   "Ungültige JWT-Signatur oder ungültiges JWT-Format",
		"METHOD_NOT_ALLOWED":          "Diese Methode ist für diese Route nicht erlaubt",
		"MFA_ALREADY_ENABLED":         "Die Zwei-Faktor-Authentifizierung ist bereits aktiv",
		"MFA_NOT_ENABLED":             "Die Zwei-Faktor-Authentifizierung ist für diesen Benutzer nicht eingerichtet",
		"MFA_REQUIRED":                "Ein zweiter Faktor ist erforderlich",
		"NAME_TOO_LONG":               "Der Name ist länger als 100 Zeichen",
		"NAME_TOO_SHORT":              "Der Name ist kürzer als 2 Zeichen",
		"NOT_FOUND":                   "Die angeforderte Ressource existiert nicht",
		"NOT_ORGANIZATION_MEMBER":     "Kein Mitglied der Organisation",
		"NO_BACKUP_CODES":             "Keine Backup-Codes verfügbar",
		"OAUTH_CODE_EXPIRED":          "Der Autorisierungscode ist abgelaufen",
		"OAUTH_ERROR":                 "Fehler beim OAuth-Anbieter",
		"OAUTH_STATE_MISMATCH":        "Der CSRF-Zustand stimmt nicht überein",
		"ORGANIZATION_NOT_ACTIVE":     "Die Organisation ist gesperrt oder noch nicht freigegeben",
		"PAYLOAD_TOO_LARGE":           "Der Anfrageinhalt ist zu groß",
		"PLATFORM_OWNER_REQUIRED":     "Zugriff als Plattformbetreiber erforderlich",
		"PRECONDITION_FAILED":         "Die Ressource hat sich geändert",
		"PROVIDER_NOT_CONFIGURED":     "Der OAuth-Anbieter ist nicht eingerichtet",
		"RATE_LIMIT_EXCEEDED":         "Zu viele Anfragen",
		"RESERVED_SLUG":               "Das Kürzel ist reserviert",
		"SAML_EXPIRED":                "Die SAML-Zusicherung ist abgelaufen",
		"SAML_NOT_CONFIGURED":         "SAML ist nicht eingerichtet",
		"SAML_SIGNATURE_INVALID":      "Die SAML-Signatur ist ungültig",
		"SCIM_FILTER_INVALID":         "Ungültige Filtersyntax",
		"SCIM_USER_EXISTS":            "Der Benutzer existiert bereits",
		"SCIM_USER_NOT_FOUND":         "SCIM-Benutzer nicht gefunden",
		"SERVICE_LIMIT_EXCEEDED":      "Höchstzahl an Diensten für den Tarif erreicht",
		"SERVICE_UNAVAILABLE":         "Der Dienst ist vorübergehend nicht verfügbar",
		"SESSION_REVOKED":             "Die Sitzung wurde widerrufen",
		"SLUG_TOO_LONG":               "Das Kürzel ist länger als 50 Zeichen",
		"SLUG_TOO_SHORT":              "Das Kürzel ist kürzer als 3 Zeichen",
		"STRIPE_ERROR":                "Fehler im Abrechnungssystem",
		"TEAM_LIMIT_EXCEEDED":         "Höchstzahl an Mitgliedern für den Tarif erreicht",
		"TOKEN_EXPIRED":               "Das JWT ist abgelaufen",
		"UNAUTHORIZED":                "Fehlende oder ungültige Anmeldung",
		"USER_ALREADY_EXISTS":         "Ein Benutzer mit dieser E-Mail-Adresse existiert bereits",
		"WEAK_PASSWORD":               "Das Passwort erfüllt die Anforderungen nicht",
		"WEBHOOK_NAME_EXISTS":         "Der Webhook-Name ist bereits vergeben",
	},
}

// errorMessages translates error messages by their English text.
var errorMessages = map[string]map[string]string{
	"de": {
		// Accounts, sessions and tokens.
		"An account with this email already exists":                                 "Ein Konto mit dieser E-Mail-Adresse existiert bereits",
		"Invalid email or password":                                                 "E-Mail-Adresse oder Passwort ist falsch",
		"Rate limiter unavailable; retry shortly":                                   "Die Ratenbegrenzung ist nicht erreichbar; versuchen Sie es gleich noch einmal",
		"Token is invalid, expired or already used":                                 "Das Token ist ungültig, abgelaufen oder wurde bereits verwendet",
		"Too many requests; retry later":                                            "Zu viele Anfragen; versuchen Sie es später noch einmal",
		"email and password are required":                                           "email und password sind erforderlich",
		"A second factor is required":                                               "Ein zweiter Faktor ist erforderlich",
		"Account is disabled":                                                       "Das Konto ist deaktiviert",
		"Email address is not verified":                                             "Die E-Mail-Adresse ist nicht bestätigt",
		"Invalid refresh token":                                                     "Ungültiges Refresh-Token",
		"Pre-authentication token is invalid or expired":                            "Das Voranmeldungs-Token ist ungültig oder abgelaufen",
		"Refresh token has expired; log in again":                                   "Das Refresh-Token ist abgelaufen; melden Sie sich erneut an",
		"Refresh token was already used; the session has been revoked":              "Das Refresh-Token wurde bereits verwendet; die Sitzung wurde widerrufen",
		"Session has been revoked; log in again":                                    "Die Sitzung wurde widerrufen; melden Sie sich erneut an",
		"Session has been revoked":                                                  "Die Sitzung wurde widerrufen",
		"Session not found":                                                         "Sitzung nicht gefunden",
		"The organization of this session no longer exists":                         "Die Organisation dieser Sitzung existiert nicht mehr",
		"The service of this session no longer exists":                              "Der Dienst dieser Sitzung existiert nicht mehr",
		"Access token has expired":                                                  "Das Zugriffstoken ist abgelaufen",
		"Invalid token":                                                             "Ungültiges Token",
		"Malformed token":                                                           "Fehlerhaftes Token",
		"no active signing key":                                                     "Kein aktiver Signaturschlüssel",
		"Authentication required":                                                   "Anmeldung erforderlich",
		"Malformed Authorization header":                                            "Fehlerhafter Authorization-Header",
		"Current password is wrong":                                                 "Das aktuelle Passwort ist falsch",
		"This change needs a signed-in user to confirm it":                          "Diese Änderung muss von einem angemeldeten Benutzer bestätigt werden",
		"Too many failed sign-ins; reset the password to unlock the account":        "Zu viele fehlgeschlagene Anmeldungen; setzen Sie das Passwort zurück, um das Konto zu entsperren",
		"current_password is required to confirm this change":                       "current_password ist zur Bestätigung dieser Änderung erforderlich",
		"Too many failed sign-ins from this address; try again in %s":               "Zu viele fehlgeschlagene Anmeldungen von dieser Adresse; versuchen Sie es in %s noch einmal",
		"Too many failed sign-ins; try again in %s":                                 "Zu viele fehlgeschlagene Anmeldungen; versuchen Sie es in %s noch einmal",
		"Sign in again to confirm this change (a sign-in of the last %s is needed)": "Melden Sie sich erneut an, um diese Änderung zu bestätigen (eine Anmeldung innerhalb der letzten %s ist nötig)",
		"Not ready: the store does not answer":                                      "Nicht bereit: Der Speicher antwortet nicht",
		"Not ready: no signing key is loaded":                                       "Nicht bereit: Es ist kein Signaturschlüssel geladen",
		"Too many concurrent logins; retry shortly":                                 "Zu viele gleichzeitige Anmeldungen; versuchen Sie es gleich noch einmal",

		// Passwords.
		"Password is not allowed; choose another":                              "Dieses Passwort ist nicht erlaubt; wählen Sie ein anderes",
		"Password is too common: it is on a list of frequently used passwords": "Das Passwort ist zu verbreitet: Es steht auf einer Liste häufig verwendeter Passwörter",
		"Password must be valid UTF-8":                                         "Das Passwort muss gültiges UTF-8 sein",
		"Password must not be one character repeated":                          "Das Passwort darf nicht aus einem wiederholten Zeichen bestehen",
		"Password must not be only spaces":                                     "Das Passwort darf nicht nur aus Leerzeichen bestehen",
		"Password must not contain the name part of your email address":        "Das Passwort darf den Namensteil Ihrer E-Mail-Adresse nicht enthalten",
		"Password must not contain your email address":                         "Das Passwort darf Ihre E-Mail-Adresse nicht enthalten",
		"Password must be at least %s characters":                              "Das Passwort muss mindestens %s Zeichen lang sein",
		"Password must be at most %s characters":                               "Das Passwort darf höchstens %s Zeichen lang sein",
		"Password must not contain %s":                                         "Das Passwort darf %s nicht enthalten",

		// Input.
		"Invalid email format":                                                             "Ungültiges E-Mail-Format",
		"Name must be at least 2 characters":                                               "Der Name muss mindestens 2 Zeichen lang sein",
		"Name must be at most 100 characters":                                              "Der Name darf höchstens 100 Zeichen lang sein",
		"Name must not contain control characters":                                         "Der Name darf keine Steuerzeichen enthalten",
		"Slug is reserved":                                                                 "Das Kürzel ist reserviert",
		"Slug may contain only letters, digits, '-' and '_'":                               "Das Kürzel darf nur Buchstaben, Ziffern, '-' und '_' enthalten",
		"Slug must be at least 3 characters":                                               "Das Kürzel muss mindestens 3 Zeichen lang sein",
		"Slug must be at most 50 characters":                                               "Das Kürzel darf höchstens 50 Zeichen lang sein",
		"URL must be an absolute http(s) URL with a host, without fragment or credentials": "Die URL muss eine absolute http(s)-URL mit Host sein, ohne Fragment und ohne Zugangsdaten",
		"%s must not contain control characters":                                           "%s darf keine Steuerzeichen enthalten",
		"%s is not valid UTF-8 (lone surrogate escape)":                                    "%s ist kein gültiges UTF-8 (einzelnes Surrogat-Escape)",
		"Content-Type must be application/json":                                            "Content-Type muss application/json sein",
		"Could not read the request body":                                                  "Der Anfrageinhalt konnte nicht gelesen werden",
		"Form parameter names must not contain control characters":                         "Namen von Formularparametern dürfen keine Steuerzeichen enthalten",
		"JSON nesting is too deep":                                                         "Das JSON ist zu tief verschachtelt",
		"Malformed JSON body":                                                              "Fehlerhafter JSON-Inhalt",
		"Malformed form body":                                                              "Fehlerhafter Formularinhalt",
		"Malformed query string":                                                           "Fehlerhafte Query-Parameter",
		"No such route":                                                                    "Diese Route gibt es nicht",
		"Query parameters must not contain control characters":                             "Query-Parameter dürfen keine Steuerzeichen enthalten",
		"Request body is not valid UTF-8":                                                  "Der Anfrageinhalt ist kein gültiges UTF-8",
		"Request body must be a JSON object":                                               "Der Anfrageinhalt muss ein JSON-Objekt sein",
		"Request body must hold exactly one JSON object":                                   "Der Anfrageinhalt muss genau ein JSON-Objekt enthalten",
		"Send the request as application/x-www-form-urlencoded":                            "Senden Sie die Anfrage als application/x-www-form-urlencoded",
		"The request path must not contain control characters":                             "Der Anfragepfad darf keine Steuerzeichen enthalten",
		"Method %s is not allowed on this route":                                           "Die Methode %s ist für diese Route nicht erlaubt",
		"Request body exceeds %s bytes":                                                    "Der Anfrageinhalt überschreitet %s Bytes",
		"Parameter %s must not be repeated":                                                "Der Parameter %s darf nicht wiederholt werden",
		"Field %s has the wrong type":                                                      "Das Feld %s hat den falschen Typ",
		"Field %s appears more than once":                                                  "Das Feld %s kommt mehrfach vor",
		"Field %s must be spelled %s":                                                      "Das Feld %s muss %s geschrieben werden",
		"Unknown field %s":                                                                 "Unbekanntes Feld %s",

		// Organizations, members, invitations, services, API keys.
		"API key is no longer valid: its creator is not an admin of the organization": "Der API-Schlüssel ist nicht mehr gültig: Sein Ersteller ist kein Administrator der Organisation",
		"API key not found": "API-Schlüssel nicht gefunden",
		"API keys are created by the organization's admins and owners": "API-Schlüssel werden von den Administratoren und Inhabern der Organisation erstellt",
		"An API key is created by a user of the organization":          "Ein API-Schlüssel wird von einem Benutzer der Organisation erstellt",
		"Invalid API key": "Ungültiger API-Schlüssel",
		"expires_at must not be later than the creating API key's expiry": "expires_at darf nicht nach dem Ablauf des erstellenden API-Schlüssels liegen",
		"name is required (at most 100 characters)":                       "name ist erforderlich (höchstens 100 Zeichen)",
		"scopes are required: the creating API key holds no :read scope":  "scopes sind erforderlich: Der erstellende API-Schlüssel hat keinen :read-Bereich",
		"Unknown scope %s": "Unbekannter Bereich %s",
		"An API key cannot grant the %s scope, which it does not hold":                     "Ein API-Schlüssel kann den Bereich %s nicht vergeben, da er ihn selbst nicht hat",
		"This API key lacks the %s scope":                                                  "Diesem API-Schlüssel fehlt der Bereich %s",
		"expires_at must be in the future":                                                 "expires_at muss in der Zukunft liegen",
		"Unknown tier in billing event":                                                    "Unbekannter Tarif im Abrechnungsereignis",
		"Webhook body too large":                                                           "Der Webhook-Inhalt ist zu groß",
		"Already a member of this organization":                                            "Bereits Mitglied dieser Organisation",
		"Invitation has expired":                                                           "Die Einladung ist abgelaufen",
		"Invitation is no longer pending":                                                  "Die Einladung ist nicht mehr offen",
		"Invitation not found":                                                             "Einladung nicht gefunden",
		"Invitation was already used":                                                      "Die Einladung wurde bereits verwendet",
		"The organization has reached its member limit":                                    "Die Organisation hat ihre Höchstzahl an Mitgliedern erreicht",
		"This email already has a pending invitation; cancel it first":                     "Für diese E-Mail-Adresse gibt es bereits eine offene Einladung; widerrufen Sie sie zuerst",
		"This invitation is addressed to another email address":                            "Diese Einladung ist an eine andere E-Mail-Adresse gerichtet",
		"This user is already a member":                                                    "Dieser Benutzer ist bereits Mitglied",
		"role must be admin or member":                                                     "role muss admin oder member sein",
		"Admins may remove members only":                                                   "Administratoren dürfen nur Mitglieder entfernen",
		"An organization with this slug already exists":                                    "Eine Organisation mit diesem Kürzel existiert bereits",
		"Not a member of this organization":                                                "Kein Mitglied dieser Organisation",
		"The last owner cannot be demoted; transfer ownership first":                       "Der letzte Inhaber kann nicht herabgestuft werden; übertragen Sie zuerst die Inhaberschaft",
		"The last owner cannot leave or be removed; transfer ownership first":              "Der letzte Inhaber kann die Organisation nicht verlassen oder entfernt werden; übertragen Sie zuerst die Inhaberschaft",
		"This API key belongs to another organization":                                     "Dieser API-Schlüssel gehört zu einer anderen Organisation",
		"This token is scoped to another organization":                                     "Dieses Token gilt für eine andere Organisation",
		"You already own this organization":                                                "Sie sind bereits Inhaber dieser Organisation",
		"role must be owner, admin or member":                                              "role muss owner, admin oder member sein",
		"This action needs the %s role; this API key acts with its creator's role":         "Diese Aktion erfordert die Rolle %s; dieser API-Schlüssel handelt mit der Rolle seines Erstellers",
		"This action needs the %s role":                                                    "Diese Aktion erfordert die Rolle %s",
		"Your membership of this organization is suspended":                                "Ihre Mitgliedschaft in dieser Organisation ist gesperrt",
		"Organization is %s":                                                               "Die Organisation ist %s",
		"The %s tier of this organization does not include %s; upgrade the tier to use it": "Der Tarif %s dieser Organisation umfasst %s nicht; wechseln Sie den Tarif, um es zu nutzen",
		"API keys cannot use this route":                                                   "API-Schlüssel können diese Route nicht nutzen",
		"Billing is not configured":                                                        "Die Abrechnung ist nicht eingerichtet",
		"This API key is bound to a service and cannot use this route":                     "Dieser API-Schlüssel ist an einen Dienst gebunden und kann diese Route nicht nutzen",
		"reason is required":                                                               "reason ist erforderlich",
		"to is required":                                                                   "to ist erforderlich",
		"Unknown tier %s":                                                                  "Unbekannter Tarif %s",
		"Unknown action %s":                                                                "Unbekannte Aktion %s",
		"Cannot %s an organization that is %s":                                             "Die Aktion %s ist für eine Organisation im Zustand %s nicht möglich",
		"The last owner of the organization cannot be %s; transfer ownership first":        "Der letzte Inhaber der Organisation kann nicht %s werden; übertragen Sie zuerst die Inhaberschaft",
		"Limits are -1 (unlimited), 0 (tier default) or positive":                          "Grenzen sind -1 (unbegrenzt), 0 (Vorgabe des Tarifs) oder positiv",
		"Organization not found":                                                           "Organisation nicht gefunden",
		"The last platform owner cannot be demoted":                                        "Der letzte Plattformbetreiber kann nicht herabgestuft werden",
		"The mailer could not send the email":                                              "Der Mailer konnte die E-Mail nicht senden",
		"Member not found":                                                                 "Mitglied nicht gefunden",
		"A service with this slug already exists":                                          "Ein Dienst mit diesem Kürzel existiert bereits",
		"At most 20 redirect URIs":                                                         "Höchstens 20 Weiterleitungs-URIs",
		"Invalid client credentials":                                                       "Ungültige Client-Zugangsdaten",
		"Service not found":                                                                "Dienst nicht gefunden",
		"The organization has reached its service limit":                                   "Die Organisation hat ihre Höchstzahl an Diensten erreicht",
		"Unknown client":                                                                   "Unbekannter Client",
		"A parameter of the authorization request is too long":                             "Ein Parameter der Autorisierungsanfrage ist zu lang",
		"Sign in first":                                                                    "Bitte zuerst anmelden",
		"The account no longer exists":                                                     "Das Konto existiert nicht mehr",
		"The application asks for a fresh sign-in":                                         "Die Anwendung verlangt eine neue Anmeldung",
		"The application asks for a more recent sign-in":                                   "Die Anwendung verlangt eine jüngere Anmeldung",
		"The application no longer exists":                                                 "Die Anwendung existiert nicht mehr",
		"The authorization request is too long":                                            "Die Autorisierungsanfrage ist zu lang",
		"The sign-in request is unknown or has expired; start again from the application":  "Die Anmeldeanfrage ist unbekannt oder abgelaufen; bitte in der Anwendung neu beginnen",
		"The sign-in has expired; sign in again":                                           "Die Anmeldung ist abgelaufen; bitte erneut anmelden",
		"The sign-in request was already completed":                                        "Die Anmeldeanfrage wurde bereits abgeschlossen",
		"Only members of the organization may sign in to this application":                 "Nur Mitglieder der Organisation dürfen sich bei dieser Anwendung anmelden",
		"This refresh token belongs to an application; its client redeems it at the token endpoint": "Dieses Refresh-Token gehört zu einer Anwendung; nur deren Client löst es am Token-Endpunkt ein",
		"token is required": "token fehlt",
		"The access token was not granted the openid scope":    "Dem Zugriffstoken wurde der Scope openid nicht gewährt",
		"The logout request is too long":                       "Die Abmeldeanfrage ist zu lang",
		"A parameter of the logout request is too long":        "Ein Parameter der Abmeldeanfrage ist zu lang",
		"client_id differs from the audience of id_token_hint": "client_id weicht von der Zielgruppe (aud) von id_token_hint ab",
		"The sign-out form was submitted from another site":    "Das Abmeldeformular wurde von einer anderen Website gesendet",
		"client_id is missing":                                 "client_id fehlt",
		"flow is required":                                     "flow ist erforderlich",
		"max_age must be a number of seconds":                  "max_age muss eine Anzahl Sekunden sein",
		"redirect_uri is missing":                              "redirect_uri fehlt",
		"redirect_uri is not registered for this client":       "redirect_uri ist für diesen Client nicht registriert",
		"state, nonce or login_hint is too long":               "state, nonce oder login_hint ist zu lang",
		"service_type must be web, mobile, desktop or api":     "service_type muss web, mobile, desktop oder api sein",
		"slug, name and service_type are required":             "slug, name und service_type sind erforderlich",
		"User not found":                                       "Benutzer nicht gefunden",

		// Client authentication at the token, revocation and introspection endpoints.
		"This client is public and has no secret; send its client_id alone": "Dieser Client ist öffentlich und hat kein Geheimnis; senden Sie nur seine client_id",

		// Second factor (mfa).
		"Invalid verification code":                            "Ungültiger Bestätigungscode",
		"No backup codes left; regenerate them":                "Keine Backup-Codes mehr übrig; erzeugen Sie neue",
		"Platform owner access needed":                         "Zugriff als Plattformbetreiber erforderlich",
		"Two-step verification is already enabled":             "Die Zwei-Faktor-Authentifizierung ist bereits aktiviert",
		"Two-step verification is not enabled":                 "Die Zwei-Faktor-Authentifizierung ist nicht aktiviert",
		"code is required":                                     "code ist erforderlich",
		"preauth_token is required":                            "preauth_token ist erforderlich",
		"Too many wrong codes for this sign-in; sign in again": "Zu viele falsche Codes für diese Anmeldung; melden Sie sich erneut an",
		"Too many wrong codes; try again later":                "Zu viele falsche Codes; versuchen Sie es später noch einmal",
		"reason is longer than %s bytes":                       "reason ist länger als %s Bytes",

		// Devices (device).
		"Approving a device needs your second factor: sign in again with it, then approve": "Zum Bestätigen eines Geräts ist Ihr zweiter Faktor nötig: Melden Sie sich erneut damit an und bestätigen Sie dann",
		"Could not allocate a unique code":                                                 "Es konnte kein eindeutiger Code vergeben werden",
		"Sign in to approve a device":                                                      "Melden Sie sich an, um ein Gerät zu bestätigen",
		"The application of this code no longer exists":                                    "Die Anwendung dieses Codes existiert nicht mehr",
		"The organization of this application is not active":                               "Die Organisation dieser Anwendung ist nicht aktiv",
		"This code has expired; start again on your device":                                "Dieser Code ist abgelaufen; beginnen Sie auf Ihrem Gerät von vorn",
		"This code was already approved or denied":                                         "Dieser Code wurde bereits bestätigt oder abgelehnt",
		"Unknown or expired code":                                                          "Unbekannter oder abgelaufener Code",
		"Unknown or expired code; check the code shown on your device":                     "Unbekannter oder abgelaufener Code; prüfen Sie den Code, den Ihr Gerät anzeigt",
		"Unknown user":             "Unbekannter Benutzer",
		"scope is too long":        "scope ist zu lang",
		"This code was already %s": "Dieser Code wurde bereits %s",
		"Choose approve or deny":   "Wählen Sie Bestätigen oder Ablehnen",

		// Social login (package oauth).
		"A scope is malformed":   "Ein Scope ist fehlerhaft",
		"No such linked account": "Kein solches verknüpftes Konto",
		"Only a signed-in organization admin can change sign-in providers":                                                        "Nur ein angemeldeter Administrator der Organisation kann Anmeldeanbieter ändern",
		"The issuer must be an absolute http(s) URL":                                                                              "Der Issuer muss eine absolute http(s)-URL sein",
		"The issuer must be at a public address":                                                                                  "Der Issuer muss unter einer öffentlichen Adresse erreichbar sein",
		"The provider name must be 1 to 32 lower-case letters, digits or dashes, starting with a letter":                          "Der Name des Anbieters muss aus 1 bis 32 Kleinbuchstaben, Ziffern oder Bindestrichen bestehen und mit einem Buchstaben beginnen",
		"The provider refused the sign-in code; start the sign-in again":                                                          "Der Anbieter hat den Anmeldecode abgelehnt; beginnen Sie die Anmeldung erneut",
		"The service's client credentials are required":                                                                           "Die Client-Zugangsdaten des Dienstes sind erforderlich",
		"The sign-in provider did not answer as expected; try again later":                                                        "Der Anmeldeanbieter hat nicht wie erwartet geantwortet; versuchen Sie es später noch einmal",
		"The sign-in was cancelled at the provider":                                                                               "Die Anmeldung wurde beim Anbieter abgebrochen",
		"Confirm your email address with the link we sent to it, then sign in again":                                              "Bestätigen Sie Ihre E-Mail-Adresse mit dem Link, den wir an sie geschickt haben, und melden Sie sich dann erneut an",
		"This confirmation link is invalid, expired or no longer applies":                                                         "Dieser Bestätigungslink ist ungültig, abgelaufen oder gilt nicht mehr",
		"The user has no identity at this provider":                                                                               "Der Benutzer hat kein Konto bei diesem Anbieter verknüpft",
		"This is the only way to sign in to the account; set a password or link another provider first":                           "Dies ist die einzige Möglichkeit, sich bei dem Konto anzumelden; legen Sie zuerst ein Passwort fest oder verknüpfen Sie einen anderen Anbieter",
		"This provider is not set up for the organization":                                                                        "Dieser Anbieter ist für die Organisation nicht eingerichtet",
		"This sign-in link is invalid or was already used; start the sign-in again":                                               "Dieser Anmeldelink ist ungültig oder wurde bereits verwendet; beginnen Sie die Anmeldung erneut",
		"This sign-in provider is not set up":                                                                                     "Dieser Anmeldeanbieter ist nicht eingerichtet",
		"Too many scopes":                                                                                                         "Zu viele Scopes",
		"client_secret is required":                                                                                               "client_secret ist erforderlich",
		"issuer applies only to microsoft and OpenID Connect providers":                                                           "issuer gilt nur für microsoft und OpenID-Connect-Anbieter",
		"issuer is required for an OpenID Connect provider":                                                                       "issuer ist für einen OpenID-Connect-Anbieter erforderlich",
		"user_id is required":                                                                                                     "user_id ist erforderlich",
		"This %s account is linked to another account":                                                                            "Dieses %s-Konto ist mit einem anderen Konto verknüpft",
		"This account is already linked to another %s account":                                                                    "Dieses Konto ist bereits mit einem anderen %s-Konto verknüpft",
		"%s did not confirm an email address for this account; sign in with your password, then link %s in your account settings": "%s hat für dieses Konto keine E-Mail-Adresse bestätigt; melden Sie sich mit Ihrem Passwort an und verknüpfen Sie dann %s in Ihren Kontoeinstellungen",
		"An account with this email address exists; sign in with your password, then link %s in your account settings":            "Ein Konto mit dieser E-Mail-Adresse existiert bereits; melden Sie sich mit Ihrem Passwort an und verknüpfen Sie dann %s in Ihren Kontoeinstellungen",
		"The person must sign in with %s again to renew access":                                                                   "Die Person muss sich erneut mit %s anmelden, um den Zugriff zu erneuern",
		"%s is too long": "%s ist zu lang",

		// SAML single sign-on (package saml).
		"Give either idp_metadata_xml or idp_metadata_url":                                                          "Geben Sie entweder idp_metadata_xml oder idp_metadata_url an",
		"One of the domains belongs to another organization's SAML connection":                                      "Eine der Domains gehört zur SAML-Verbindung einer anderen Organisation",
		"The identity provider metadata could not be fetched":                                                       "Die Metadaten des Identitätsanbieters konnten nicht abgerufen werden",
		"The identity provider metadata is not usable SAML 2.0 IdP metadata":                                        "Die Metadaten des Identitätsanbieters sind keine verwendbaren SAML-2.0-IdP-Metadaten",
		"The identity provider metadata is too large":                                                               "Die Metadaten des Identitätsanbieters sind zu groß",
		"The membership in this organization is suspended":                                                          "Die Mitgliedschaft in dieser Organisation ist gesperrt",
		"This organization has no SAML connection":                                                                  "Diese Organisation hat keine SAML-Verbindung",
		"attribute names must be at most 256 characters":                                                            "Attributnamen dürfen höchstens 256 Zeichen lang sein",
		"default_role must be member or admin":                                                                      "default_role muss member oder admin sein",
		"domains must be email domains such as example.com":                                                         "domains müssen E-Mail-Domains wie example.com sein",
		"domains must list between 1 and 50 email domains":                                                          "domains muss zwischen 1 und 50 E-Mail-Domains enthalten",
		"idp_metadata_url must be an absolute http(s) URL with a host":                                              "idp_metadata_url muss eine absolute http(s)-URL mit Host sein",
		"The sign-in response of the identity provider is not valid":                                                "Die Anmeldeantwort des Identitätsanbieters ist ungültig",
		"The sign-in response of the identity provider is not correctly signed":                                     "Die Anmeldeantwort des Identitätsanbieters ist nicht korrekt signiert",
		"The sign-in response of the identity provider has expired or is not valid yet":                             "Die Anmeldeantwort des Identitätsanbieters ist abgelaufen oder noch nicht gültig",
		"The organization's member limit is reached":                                                                "Das Mitgliederlimit der Organisation ist erreicht",
		"Start the sign-in from the application":                                                                    "Beginnen Sie die Anmeldung in der Anwendung",
		"The identity provider did not send an email address of the organization's domains":                         "Der Identitätsanbieter hat keine E-Mail-Adresse aus den Domains der Organisation übermittelt",
		"An account with this email exists already; an organization admin must add it before it signs in with SAML": "Ein Konto mit dieser E-Mail-Adresse existiert bereits; ein Administrator der Organisation muss es hinzufügen, bevor es sich per SAML anmelden kann",
		"The SAML connection names no application for sign-ins started at the identity provider":                    "Die SAML-Verbindung nennt keine Anwendung für Anmeldungen, die beim Identitätsanbieter beginnen",
		"group_roles may map at most 100 groups":                                                                    "group_roles darf höchstens 100 Gruppen zuordnen",
		"group_roles names groups of 1 to 256 characters without surrounding spaces":                                "group_roles nennt Gruppen mit 1 bis 256 Zeichen ohne Leerzeichen am Anfang oder Ende",
		"group_roles must map each group to owner, admin or member":                                                 "group_roles muss jede Gruppe owner, admin oder member zuordnen",
		"Only an owner may map a group to the owner role":                                                           "Nur ein Eigentümer darf eine Gruppe der Rolle owner zuordnen",
		"IdP-initiated sign-in needs both idp_initiated_service and idp_initiated_login_uri":                        "Die vom Identitätsanbieter begonnene Anmeldung braucht idp_initiated_service und idp_initiated_login_uri",
		"idp_initiated_service must be the slug of one of the organization's services":                              "idp_initiated_service muss der Slug einer Anwendung der Organisation sein",
		"idp_initiated_login_uri must be an https URL (http only for localhost)":                                    "idp_initiated_login_uri muss eine https-URL sein (http nur für localhost)",
	},
}

// pattern is a message with variable parts.
type pattern struct {
	re   *regexp.Regexp
	into string // the translation, "%s" for each part in order
}

// patterns holds each language's messages with "%s", longest first (so a
// longer, more specific pattern wins over a shorter one it contains).
var patterns = map[string][]pattern{}

func init() {
	for lang, msgs := range errorMessages {
		var keys []string
		for k := range msgs {
			if strings.Contains(k, "%s") {
				keys = append(keys, k)
			}
		}
		sort.Slice(keys, func(i, j int) bool {
			if len(keys[i]) != len(keys[j]) {
				return len(keys[i]) > len(keys[j])
			}
			return keys[i] < keys[j]
		})
		for _, k := range keys {
			parts := strings.Split(k, "%s")
			for i := range parts {
				parts[i] = regexp.QuoteMeta(parts[i])
			}
			patterns[lang] = append(patterns[lang], pattern{
				re:   regexp.MustCompile("^" + strings.Join(parts, "(.+?)") + "$"),
				into: msgs[k],
			})
		}
	}
}

// Error returns the message of an error with code in lang: the translation
// of message (its English text), or of the code's description when message
// is empty; message itself when lang has no translation for it.
func Error(lang, code, message string) string {
	if message == "" {
		if s, ok := codeMessages[lang][code]; ok {
			return s
		}
		return ""
	}
	msgs, ok := errorMessages[lang]
	if !ok {
		return message
	}
	if s, ok := msgs[message]; ok {
		return s
	}
	for _, p := range patterns[lang] {
		if m := p.re.FindStringSubmatch(message); m != nil {
			args := make([]any, len(m)-1)
			for i, a := range m[1:] {
				args[i] = a
			}
			return fmt.Sprintf(p.into, args...)
		}
	}
	return message
}

// HasError reports whether lang translates message (exactly or by a
// pattern).
func HasError(lang, message string) bool {
	if _, ok := errorMessages[lang][message]; ok {
		return true
	}
	for _, p := range patterns[lang] {
		if p.re.MatchString(message) {
			return true
		}
	}
	return false
}

// HasCode reports whether lang translates the description of code.
func HasCode(lang, code string) bool { _, ok := codeMessages[lang][code]; return ok }
