package apperr

import (
	"fmt"
	"reflect"
	"strconv"
	"unicode/utf8"
)

// Messages echo the values at fault, and those values come from callers who
// may send a megabyte where a user id belongs. Every message is bounded
// centrally, in the constructors, so that no call site has to think of it:
//
//   - an argument that would print as more than MaxEcho bytes (a string or
//     a type whose underlying type is string, a []byte, an error, a
//     fmt.Stringer) is cut to its first EchoKeep bytes at a character
//     boundary, followed by "…(N bytes)", N being its full size;
//   - the Field is cut the same way, and the message as formatted is cut
//     to at most MaxMessage bytes, for whatever else prints long (a
//     fmt.Formatter, a slice, many arguments).
//
// Stringers and errors are asked for their text, never bypassed: a type that
// prints itself redacted (connection.Secret) still does.
const (
	// MaxEcho is the most bytes of one argument a message shows in full.
	MaxEcho = 128
	// EchoKeep is how many bytes of a longer argument it shows.
	EchoKeep = 100
	// MaxMessage is the most bytes of a message.
	MaxMessage = 1024
	// messageKeep leaves room for the marker in a clipped message.
	messageKeep = MaxMessage - 32
)

// clip returns s if it has at most max bytes, else its first keep bytes
// (fewer to end at a character boundary) followed by "…(N bytes)", N being
// len(s). The marker is at most 31 bytes.
func clip(s string, max, keep int) string {
	if len(s) <= max {
		return s
	}
	return cutUTF8(s, keep) + "…(" + strconv.Itoa(len(s)) + " bytes)"
}

// cutUTF8 returns the longest prefix of s of at most n bytes that does not
// end inside a character (or n bytes when s is not UTF-8 there).
func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for k := n; k > 0 && k > n-utf8.UTFMax; k-- {
		if utf8.RuneStart(s[k]) {
			return s[:k]
		}
	}
	return s[:n]
}

// echoes returns args with each one that prints long replaced by its clip;
// args itself is not changed.
func echoes(args []any) []any {
	var out []any
	for i, a := range args {
		c, clipped := echo(a)
		if !clipped {
			continue
		}
		if out == nil {
			out = append([]any(nil), args...)
		}
		out[i] = c
	}
	if out == nil {
		return args
	}
	return out
}

// echo returns the clip of a, and whether a needed one. A []byte stays a
// []byte, so that %s, %q and %x print it as they would have; other long
// arguments become strings.
func echo(a any) (any, bool) {
	switch v := a.(type) {
	case nil:
		return nil, false
	case string:
		return clipText(v)
	case []byte:
		if len(v) <= MaxEcho {
			return a, false
		}
		return []byte(clip(string(v), MaxEcho, EchoKeep)), true
	case fmt.Formatter:
		return a, false // it prints itself as the verb asks: MaxMessage bounds it
	case error:
		if s, ok := text(func() string { return v.Error() }); ok {
			return clipText(s)
		}
		return a, false
	case fmt.Stringer:
		if s, ok := text(func() string { return v.String() }); ok {
			return clipText(s)
		}
		return a, false
	case fmt.GoStringer:
		return a, false // it chose what %#v shows: MaxMessage bounds it
	}
	if v := reflect.ValueOf(a); v.Kind() == reflect.String { // a named string type without methods that print it
		return clipText(v.String())
	}
	return a, false
}

func clipText(s string) (any, bool) {
	if len(s) <= MaxEcho {
		return s, false
	}
	return clip(s, MaxEcho, EchoKeep), true
}

// text calls String or Error, which may panic (a nil pointer receiver):
// fmt recovers from that and prints a placeholder, so the argument is then
// left to fmt.
func text(f func() string) (s string, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return f(), true
}
