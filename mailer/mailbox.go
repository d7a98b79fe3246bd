package mailer

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/authos/authos"
)

// DefaultMailboxFrom is the sender of Mailbox messages when Mailbox.From is
// empty.
const DefaultMailboxFrom = "no-reply@localhost"

// mailboxTimeFormat names .eml files so that sorting names sorts by time:
// fixed width, UTC, nanoseconds.
const mailboxTimeFormat = "20060102T150405.000000000Z"

// Mailbox is an authos.Mailer that writes each message into Dir as an .eml
// file: the RFC 5322 message in the same form SMTP sends as DATA.
// Files are named by UTC time and a random suffix (for example
// 20261124T201500.123456789Z-0123456789abcdef.eml), so their names sort
// oldest first; ReadMailbox reads them back. Each file is written to a
// temporary file in Dir and then renamed, so a reader never sees half a
// message. Dir is created (mode 0700) if missing and files are mode 0600:
// messages contain one-time links. It is meant for development and
// end-to-end tests, and is safe for concurrent use.
type Mailbox struct {
	// Dir is the directory the .eml files are written to; required.
	Dir string
	// From is the sender address; empty means DefaultMailboxFrom.
	From string
}

var _ authos.Mailer = (*Mailbox)(nil)

// Send writes m into b.Dir as a new .eml file. A CR or LF in m.To or
// m.Subject is rejected with ErrHeaderInjection before anything is written.
func (b *Mailbox) Send(ctx context.Context, m authos.Message) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	if b.Dir == "" {
		return errors.New("mailer: Mailbox.Dir is empty")
	}
	from := b.From
	if from == "" {
		from = DefaultMailboxFrom
	}
	if err := checkFrom(from); err != nil {
		return err
	}
	msg, err := buildMsg(from, m)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(b.Dir, 0o700); err != nil {
		return fmt.Errorf("mailer: mailbox: %w", err)
	}
	// CreateTemp makes the file with mode 0600. The leading dot and the
	// .tmp suffix keep ReadMailbox from picking it up.
	f, err := os.CreateTemp(b.Dir, ".incoming-*.tmp")
	if err != nil {
		return fmt.Errorf("mailer: mailbox: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	w := bufio.NewWriter(f)
	if _, err = msg.WriteTo(w); err != nil {
		return fmt.Errorf("mailer: mailbox: writing message: %w", err)
	}
	if err = w.Flush(); err != nil {
		return fmt.Errorf("mailer: mailbox: %w", err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("mailer: mailbox: %w", err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("mailer: mailbox: %w", err)
	}
	name := time.Now().UTC().Format(mailboxTimeFormat) + "-" + randomHex(8) + ".eml"
	if err = os.Rename(tmp, filepath.Join(b.Dir, name)); err != nil {
		return fmt.Errorf("mailer: mailbox: %w", err)
	}
	return nil
}

// MailboxEntry is one message read back by ReadMailbox.
type MailboxEntry struct {
	// Path is the .eml file's path (Dir joined with its name).
	Path string
	// From and To are the addresses of the From and To header fields,
	// without display names, comma-separated if there are several.
	From string
	To   string
	// Subject is the decoded Subject header field.
	Subject string
	// Date is the Date header field; zero if missing or malformed.
	Date time.Time
	// MessageID is the Message-ID header field without angle brackets.
	MessageID string
	// Text and HTML are the decoded text/plain and text/html bodies (the
	// first of each), with CRLF line ends turned into LF. Charsets other
	// than UTF-8 and US-ASCII are not converted.
	Text string
	HTML string
}

// Limits of the .eml reader; a larger or deeper message is an error.
const (
	maxEMLSize   = 16 << 20
	maxMIMEDepth = 8
	maxMIMEParts = 100
)

// ReadMailbox reads every .eml file in dir, oldest first (by file name, as
// written by Mailbox), ignoring other files. A missing dir holds no mail
// and is not an error, so a test can poll it before the first message. A
// file that cannot be parsed is an error naming the file.
func ReadMailbox(dir string) ([]MailboxEntry, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("mailer: reading mailbox: %w", err)
	}
	var out []MailboxEntry // os.ReadDir sorts by name.
	for _, de := range ents {
		name := de.Name()
		if !de.Type().IsRegular() || strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".eml") {
			continue
		}
		path := filepath.Join(dir, name)
		e, err := readEMLFile(path)
		if err != nil {
			return nil, fmt.Errorf("mailer: reading mailbox file %s: %w", path, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// readEMLFile parses the .eml file at path.
func readEMLFile(path string) (MailboxEntry, error) {
	f, err := os.Open(path)
	if err != nil {
		return MailboxEntry{}, err
	}
	defer func() { _ = f.Close() }() // opened for reading: nothing to flush
	e, err := parseEML(f)
	e.Path = path
	return e, err
}

// parseEML parses an RFC 5322 message with a MIME body.
func parseEML(r io.Reader) (MailboxEntry, error) {
	var e MailboxEntry
	lr := &io.LimitedReader{R: r, N: maxEMLSize + 1}
	msg, err := mail.ReadMessage(bufio.NewReader(lr))
	if err != nil {
		return e, fmt.Errorf("parsing header: %w", err)
	}
	e.From = addresses(msg.Header, "From")
	e.To = addresses(msg.Header, "To")
	e.Subject = decodeHeader(msg.Header.Get("Subject"))
	if d, err := msg.Header.Date(); err == nil {
		e.Date = d
	}
	e.MessageID = strings.Trim(strings.TrimSpace(msg.Header.Get("Message-Id")), "<>")
	w := &bodyWalker{entry: &e}
	if err := w.walk(textproto.MIMEHeader(msg.Header), msg.Body, 0); err != nil {
		return e, err
	}
	if lr.N <= 0 {
		return e, fmt.Errorf("message larger than %d bytes", maxEMLSize)
	}
	return e, nil
}

// addresses returns the bare addresses of an address-list header field, or
// its decoded text when it does not parse.
func addresses(h mail.Header, key string) string {
	list, err := h.AddressList(key)
	if err != nil {
		return decodeHeader(h.Get(key))
	}
	addrs := make([]string, len(list))
	for i, a := range list {
		addrs[i] = a.Address
	}
	return strings.Join(addrs, ", ")
}

// decodeHeader decodes RFC 2047 encoded-words, returning s as is when that
// fails.
func decodeHeader(s string) string {
	var dec mime.WordDecoder
	out, err := dec.DecodeHeader(s)
	if err != nil {
		return s
	}
	return out
}

// bodyWalker collects the first text/plain and text/html parts of a MIME
// tree.
type bodyWalker struct {
	entry            *MailboxEntry
	gotText, gotHTML bool
	parts            int
}

// walk visits one MIME entity: recursing into multipart bodies and decoding
// text/plain and text/html leaves; attachments and other types are skipped.
func (w *bodyWalker) walk(h textproto.MIMEHeader, body io.Reader, depth int) error {
	mediaType, params := "text/plain", map[string]string{}
	if ct := h.Get("Content-Type"); ct != "" {
		mt, p, err := mime.ParseMediaType(ct)
		if err != nil && !errors.Is(err, mime.ErrInvalidMediaParameter) {
			return nil // RFC 2045 §5.2 says text/plain, but unparsable is safer skipped.
		}
		mediaType, params = mt, p
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		if depth >= maxMIMEDepth {
			return fmt.Errorf("MIME nesting deeper than %d", maxMIMEDepth)
		}
		boundary := params["boundary"]
		if boundary == "" {
			return fmt.Errorf("%s without a boundary", mediaType)
		}
		mr := multipart.NewReader(body, boundary)
		for {
			// NextRawPart leaves Content-Transfer-Encoding to decodeBody.
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("reading %s: %w", mediaType, err)
			}
			w.parts++
			if w.parts > maxMIMEParts {
				return fmt.Errorf("more than %d MIME parts", maxMIMEParts)
			}
			if err := w.walk(p.Header, p, depth+1); err != nil {
				return err
			}
		}
	}
	if d, _, err := mime.ParseMediaType(h.Get("Content-Disposition")); err == nil && d == "attachment" {
		return nil
	}
	var dst *string
	switch {
	case mediaType == "text/plain" && !w.gotText:
		w.gotText = true
		dst = &w.entry.Text
	case mediaType == "text/html" && !w.gotHTML:
		w.gotHTML = true
		dst = &w.entry.HTML
	default:
		return nil
	}
	data, err := io.ReadAll(decodeBody(h.Get("Content-Transfer-Encoding"), body))
	if err != nil {
		return fmt.Errorf("decoding %s body: %w", mediaType, err)
	}
	*dst = strings.ReplaceAll(string(data), "\r\n", "\n")
	return nil
}

// decodeBody undoes a Content-Transfer-Encoding (RFC 2045 §6). 7bit, 8bit,
// binary and unknown encodings are passed through.
func decodeBody(cte string, r io.Reader) io.Reader {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, r)
	}
	return r
}
