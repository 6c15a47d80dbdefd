package apperr_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/datalake-platform/s3connections/shared/apperr"
	"github.com/datalake-platform/s3connections/shared/connection"
)

type stringer string

func (s stringer) String() string { return string(s) }

type named string // prints as its underlying string

type nilPanics struct{ s string }

func (p *nilPanics) String() string { return p.s } // panics on a nil receiver

type valueStringer struct{}

func (valueStringer) String() string { return strings.Repeat("v", 500) }

func TestMessagesAreBounded(t *testing.T) {
	long := strings.Repeat("x", 1<<20)
	// 99 ASCII bytes then a 3-byte rune across the 100-byte cut.
	multi := strings.Repeat("a", 99) + "€" + strings.Repeat("b", 200)
	testCases := []struct {
		name   string
		format string
		args   []any
		want   string
	}{
		{"short string unchanged", "%q is not a user id", []any{"bob"}, `"bob" is not a user id`},
		{"128 bytes unchanged", "%s", []any{strings.Repeat("y", 128)}, strings.Repeat("y", 128)},
		{"129 bytes clipped", "%s", []any{strings.Repeat("y", 129)}, strings.Repeat("y", 100) + "…(129 bytes)"},
		{"1 MB clipped, rest of the message kept", "%q is not a user id (1 to 128 letters)", []any{long},
			`"` + strings.Repeat("x", 100) + `…(1048576 bytes)" is not a user id (1 to 128 letters)`},
		{"cut at a rune boundary", "%s", []any{multi}, strings.Repeat("a", 99) + "…(302 bytes)"},
		{"bytes clipped and stay bytes", "%s", []any{[]byte(long)}, strings.Repeat("x", 100) + "…(1048576 bytes)"},
		{"bytes in hex", "%x", []any{[]byte{1, 2}}, "0102"},
		{"error clipped", "bad: %v", []any{errors.New(long)}, "bad: " + strings.Repeat("x", 100) + "…(1048576 bytes)"},
		{"short error unchanged", "bad: %v", []any{errors.New("no")}, "bad: no"},
		{"stringer clipped", "%s", []any{stringer(long)}, strings.Repeat("x", 100) + "…(1048576 bytes)"},
		{"value stringer on a nil pointer left to fmt", "%v", []any{(*valueStringer)(nil)}, "<nil>"},
		{"named string clipped", "%s", []any{named(long)}, strings.Repeat("x", 100) + "…(1048576 bytes)"},
		{"secret stays redacted", "key %v %s", []any{connection.Secret(long), connection.Secret("s3cr3t")},
			fmt.Sprintf("key %v %v", connection.Secret(""), connection.Secret(""))},
		{"nil stringer left to fmt", "%v", []any{(*nilPanics)(nil)}, fmt.Sprintf("%v", (*nilPanics)(nil))},
		{"numbers unchanged", "at most %d users", []any{100}, "at most 100 users"},
		{"nil argument", "%v", []any{nil}, "<nil>"},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			for _, mk := range []func() error{
				func() error { return apperr.Invalid("F", tc.format, tc.args...) },
				func() error { return apperr.Conflict("F", tc.format, tc.args...) },
				func() error { return apperr.NotFound(tc.format, tc.args...) },
				func() error { return apperr.Forbidden(tc.format, tc.args...) },
			} {
				var e *apperr.Error
				if !errors.As(mk(), &e) {
					t.Fatal("not an *Error")
				}
				if e.Message != tc.want {
					t.Errorf("message %.300q, want %.300q", e.Message, tc.want)
				}
			}
		})
	}
}

func TestSecretNeverEchoed(t *testing.T) {
	for _, secret := range []string{"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", strings.Repeat("S", 4096)} {
		for _, verb := range []string{"%v", "%s", "%q", "%+v", "%#v"} {
			msg := apperr.Invalid("SecretAccessKey", "bad "+verb, connection.Secret(secret)).Error()
			if strings.Contains(msg, secret[:20]) {
				t.Errorf("%s shows the secret: %.80s", verb, msg)
			}
		}
	}
}

func TestMessageAndFieldBoundedWhateverTheArguments(t *testing.T) {
	many := make([]any, 50)
	for i := range many {
		many[i] = strings.Repeat("é", 1000)
	}
	list := []string{strings.Repeat("u", 1<<20), "v"}
	testCases := []struct {
		name   string
		field  string
		format string
		args   []any
		long   bool // the message is clipped as a whole
	}{
		{"many long arguments", "F", strings.Repeat("%s ", len(many)), many, true},
		{"a long list", "F", "users %v", []any{list}, true},
		{"a long field", strings.Repeat("f", 5000), "x", nil, false},
		{"a long format", "F", strings.Repeat("é", 5000), nil, true},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			var e *apperr.Error
			errors.As(apperr.Invalid(tc.field, tc.format, tc.args...), &e)
			if len(e.Message) > apperr.MaxMessage || !utf8.ValidString(e.Message) || tc.long != strings.HasSuffix(e.Message, " bytes)") {
				t.Errorf("message of %d bytes (valid UTF-8 %v): %.60q…%q", len(e.Message), utf8.ValidString(e.Message),
					e.Message, e.Message[max(0, len(e.Message)-30):])
			}
			if len(e.Field) > apperr.MaxEcho+32 {
				t.Errorf("field of %d bytes", len(e.Field))
			}
		})
	}
}
