package mailer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/authos/authos"
)

// longURL is a verification link far longer than a 76-character encoded line.
const longURL = "https://app.example.com/verify-email?token=" +
	"eyJhbGciOiJFZERTQSIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiIwMUhaWDNGNlBLUTRNNVI3In0." +
	"Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6QUJDREVGR0g=" +
	"&next=%2Faccount%2Fsettings%3Ftab%3Dsecurity"

var emlName = regexp.MustCompile(`^\d{8}T\d{6}\.\d{9}Z-[0-9a-f]{16}\.eml$`)

func TestMailboxRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mail", "box") // created by Send
	b := &Mailbox{Dir: dir, From: "Authos <no-reply@example.com>"}
	m := authos.Message{
		To:      "zoë@example.com",
		Subject: "Bestätige deine E-Mail-Adresse ✉",
		Text: "Grüße, Zoë!\n\nÖffne diesen Link (日本語もOK):\n" + longURL +
			"\n\nA line with = signs, trailing spaces   \nand a dot\n.\nend.\n",
		HTML: `<p>Grüße, Zoë!</p><p><a href="` + longURL + `">Bestätigen</a></p>`,
	}
	if err := b.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got, err := ReadMailbox(dir)
	if err != nil {
		t.Fatalf("ReadMailbox: %v", err)
	}
	if len(got) != 1 {
		t.Fatalf("ReadMailbox: got %d entries; want 1", len(got))
	}
	e := got[0]
	if name := filepath.Base(e.Path); !emlName.MatchString(name) {
		t.Errorf("file name: got %q; want it to match %s", name, emlName)
	}
	if filepath.Dir(e.Path) != dir {
		t.Errorf("Path: got %q; want a file in %q", e.Path, dir)
	}
	for _, c := range []struct{ field, got, want string }{
		{"To", e.To, m.To},
		{"From", e.From, "no-reply@example.com"},
		{"Subject", e.Subject, m.Subject},
		{"Text", e.Text, m.Text},
		{"HTML", e.HTML, m.HTML},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %q; want %q", c.field, c.got, c.want)
		}
	}
	if !strings.Contains(e.Text, longURL+"\n") {
		t.Errorf("Text: the long URL did not survive on one line: %q", e.Text)
	}
	if e.Date.IsZero() || e.MessageID == "" {
		t.Errorf("Date %v, Message-ID %q: want both set", e.Date, e.MessageID)
	}

	raw, err := os.ReadFile(e.Path)
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(string(raw), "\r\n") {
		if len(line) > 998 {
			t.Errorf("line %d is %d bytes; RFC 5322 §2.1.1 allows 998", i+1, len(line))
		}
		if strings.ContainsRune(line, '\n') {
			t.Errorf("line %d has a bare LF; want CRLF line ends", i+1)
		}
	}
	for _, want := range []string{"MIME-Version: 1.0", "multipart/alternative", "quoted-printable"} {
		if !bytes.Contains(raw, []byte(want)) {
			t.Errorf(".eml: got no %q in\n%s", want, raw)
		}
	}

	if runtime.GOOS != "windows" {
		fi, err := os.Stat(e.Path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != 0o600 {
			t.Errorf("file mode: got %v; want 0600", got)
		}
		di, err := os.Stat(dir)
		if err != nil {
			t.Fatal(err)
		}
		if got := di.Mode().Perm(); got != 0o700 {
			t.Errorf("directory mode: got %v; want 0700", got)
		}
	}
}

func TestMailboxSameMIMEAsSMTP(t *testing.T) {
	be := &testBackend{}
	port := startSMTPServer(t, be, serverOpts{})
	s := newTestSMTP(t, SMTPConfig{Port: port, TLS: TLSNone, From: "no-reply@example.com"})
	dir := t.TempDir()
	b := &Mailbox{Dir: dir, From: "no-reply@example.com"}
	m := testMessage()
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatalf("SMTP Send: %v", err)
	}
	if err := b.Send(context.Background(), m); err != nil {
		t.Fatalf("Mailbox Send: %v", err)
	}
	entries, err := ReadMailbox(dir)
	if err != nil || len(entries) != 1 {
		t.Fatalf("ReadMailbox: got %d entries, %v; want 1", len(entries), err)
	}
	raw, err := os.ReadFile(entries[0].Path)
	if err != nil {
		t.Fatal(err)
	}
	// The random parts (Date, Message-ID, boundary) differ; the structure
	// must not.
	if got, want := mimeSkeleton(raw), mimeSkeleton(be.messages()[0].Data); got != want {
		t.Errorf("MIME structure:\nmailbox %s\nSMTP    %s", got, want)
	}
}

// mimeSkeleton lists the header field names and content types of a message.
func mimeSkeleton(raw []byte) string {
	var out []string
	for _, line := range strings.Split(string(raw), "\r\n") {
		name, _, ok := strings.Cut(line, ":")
		if !ok || strings.ContainsAny(name, " \t") {
			continue
		}
		if name == "Content-Type" || name == "Content-Transfer-Encoding" {
			out = append(out, strings.SplitN(line, ";", 2)[0])
		} else {
			out = append(out, name)
		}
	}
	return strings.Join(out, " | ")
}

func TestMailboxOrderAndConcurrency(t *testing.T) {
	dir := t.TempDir()
	b := &Mailbox{Dir: dir}
	for i := range 3 {
		m := testMessage()
		m.Subject = fmt.Sprintf("message %d", i)
		if err := b.Send(context.Background(), m); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
	}
	const parallel = 10
	var wg sync.WaitGroup
	for i := range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := testMessage()
			m.Subject = fmt.Sprintf("parallel %d", i)
			if err := b.Send(context.Background(), m); err != nil {
				t.Errorf("Send parallel %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	// Files that are not finished messages are ignored.
	for _, name := range []string{".incoming-123.tmp", "notes.txt", ".hidden.eml"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("garbage"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub.eml"), 0o700); err != nil {
		t.Fatal(err)
	}

	got, err := ReadMailbox(dir)
	if err != nil {
		t.Fatalf("ReadMailbox: %v", err)
	}
	if len(got) != 3+parallel {
		t.Fatalf("ReadMailbox: got %d entries; want %d", len(got), 3+parallel)
	}
	for i := range 3 {
		if want := fmt.Sprintf("message %d", i); got[i].Subject != want {
			t.Errorf("entry %d Subject: got %q; want %q (oldest first)", i, got[i].Subject, want)
		}
		if got[i].From != DefaultMailboxFrom {
			t.Errorf("entry %d From: got %q; want %q", i, got[i].From, DefaultMailboxFrom)
		}
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range ents {
		if strings.HasPrefix(de.Name(), ".incoming-") && de.Name() != ".incoming-123.tmp" {
			t.Errorf("temporary file %q left behind", de.Name())
		}
	}
}

func TestMailboxErrors(t *testing.T) {
	ctx := context.Background()
	if err := (&Mailbox{}).Send(ctx, testMessage()); err == nil {
		t.Error("Send with an empty Dir: got nil error; want an error")
	}
	dir := t.TempDir()
	if err := (&Mailbox{Dir: dir, From: "bad"}).Send(ctx, testMessage()); err == nil {
		t.Error("Send with a bad From: got nil error; want an error")
	}
	b := &Mailbox{Dir: dir}
	for _, m := range injectionMessages() {
		if err := b.Send(ctx, m); !errors.Is(err, ErrHeaderInjection) {
			t.Errorf("Send(%q, %q): got %v; want ErrHeaderInjection", m.To, m.Subject, err)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := b.Send(cctx, testMessage()); !errors.Is(err, context.Canceled) {
		t.Errorf("Send with a cancelled context: got %v; want context.Canceled", err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 0 {
		t.Errorf("files written by rejected sends: got %d; want 0", len(ents))
	}

	// A file where the directory should be.
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := (&Mailbox{Dir: file}).Send(ctx, testMessage()); err == nil {
		t.Error("Send into a regular file: got nil error; want an error")
	}
}

func TestReadMailboxMissingAndBroken(t *testing.T) {
	got, err := ReadMailbox(filepath.Join(t.TempDir(), "nope"))
	if err != nil || len(got) != 0 {
		t.Errorf("ReadMailbox(missing dir): got %v, %v; want no entries, nil", got, err)
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "20260101T000000.000000000Z-0000000000000000.eml")
	if err := os.WriteFile(bad, []byte("no header here"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadMailbox(dir); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("ReadMailbox with a broken file: got %v; want an error naming %s", err, bad)
	}
}

func TestParseEMLEncodings(t *testing.T) {
	tests := []struct {
		name, raw  string
		text, html string
	}{
		{
			name: "plain 7bit, LF line ends",
			raw:  "From: a@example.com\nTo: b@example.com\nSubject: hi\n\nline 1\nline 2\n",
			text: "line 1\nline 2\n",
		},
		{
			name: "base64 text, encoded-word subject",
			raw: "To: b@example.com\r\nSubject: =?UTF-8?B?R3LDvMOfZQ==?=\r\nMIME-Version: 1.0\r\n" +
				"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
				"R3LDvMOfZSwgWm/DqyEK\r\n",
			text: "Grüße, Zoë!\n",
		},
		{
			name: "nested multipart with attachment",
			raw: "To: b@example.com\r\nContent-Type: multipart/mixed; boundary=outer\r\n\r\n" +
				"--outer\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n" +
				"--inner\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
				"caf=C3=A9 and a soft=\r\n break\r\n" +
				"--inner\r\nContent-Type: text/html\r\n\r\n<p>café</p>\r\n--inner--\r\n" +
				"--outer\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=x.txt\r\n\r\nnot the body\r\n" +
				"--outer--\r\n",
			text: "café and a soft break",
			html: "<p>café</p>",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := parseEML(strings.NewReader(tt.raw))
			if err != nil {
				t.Fatalf("parseEML: %v", err)
			}
			if e.Text != tt.text || e.HTML != tt.html {
				t.Errorf("got text %q html %q; want text %q html %q", e.Text, e.HTML, tt.text, tt.html)
			}
			if e.To != "b@example.com" {
				t.Errorf("To: got %q; want %q", e.To, "b@example.com")
			}
		})
	}
	e, _ := parseEML(strings.NewReader(tests[1].raw))
	if e.Subject != "Grüße" {
		t.Errorf("Subject: got %q; want %q", e.Subject, "Grüße")
	}

	deep := "Content-Type: multipart/mixed; boundary=b0\r\n\r\n"
	for i := 1; i <= maxMIMEDepth+1; i++ {
		deep += fmt.Sprintf("--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n", i-1, i)
	}
	if _, err := parseEML(strings.NewReader(deep)); err == nil {
		t.Errorf("parseEML of a too deeply nested message: got nil error; want an error")
	}
}

func FuzzParseEML(f *testing.F) {
	for _, m := range []authos.Message{
		testMessage(),
		{To: "zoë@example.com", Subject: "Grüße ✉", Text: "Grüße\n" + longURL + "\n"},
		{To: "a@example.com", Subject: "", Text: "", HTML: "<b>x</b>"},
	} {
		msg, err := buildMsg("Authos <no-reply@example.com>", m)
		if err != nil {
			f.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := msg.WriteTo(&buf); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	f.Add([]byte("Subject: x\r\n\r\nbody"))
	f.Add([]byte("Content-Type: multipart/alternative; boundary=x\r\n\r\n--x\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!\r\n--x--"))
	f.Add([]byte("Content-Type: multipart/mixed\r\n\r\n"))
	f.Add([]byte("Content-Type: text/plain; charset=\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=ZZ=\r\n"))
	f.Add([]byte("To: =?UTF-8?Q?=ZZ?= <a@b>\r\nSubject: =?bogus?x?y?=\r\n\r\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := parseEML(bytes.NewReader(data))
		if err == nil && len(e.Text)+len(e.HTML) > 4*len(data)+16 {
			t.Errorf("decoded bodies (%d bytes) much larger than the input (%d bytes)", len(e.Text)+len(e.HTML), len(data))
		}
	})
}
