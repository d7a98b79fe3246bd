// Package mailer provides implementations of authos.Mailer.
//
//   - SMTP submits each message to a mail server over SMTP (RFC 5321), with
//     implicit TLS (RFC 8314) or STARTTLS (RFC 3207) and SMTP AUTH (RFC 4954).
//     Configure it from a URL with ParseSMTPURL.
//   - Mailbox writes each message as an .eml file into a directory, for
//     development and end-to-end tests; ReadMailbox reads them back.
//   - Log writes each message, body included, to a log/slog logger, for
//     development only.
//
// SMTP and Mailbox build messages the same way (with go-mail): an Internet
// Message Format message (RFC 5322) with a MIME body (RFC 2045, RFC 2046)
// that is text/plain, or multipart/alternative with text/plain and text/html
// parts when the authos.Message has HTML. Parts are UTF-8 and quoted-printable
// encoded (RFC 2045 §6.7); a non-ASCII Subject is an encoded-word (RFC 2047).
//
// The recipient and subject of a message must not contain CR or LF; Send
// rejects such a message with ErrHeaderInjection before anything is written
// or dialled.
package mailer
