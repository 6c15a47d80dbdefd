package filecheck

import (
	"errors"
	"fmt"
	"io"
)

// maxDepth is encoding/json's nesting limit, so that what validates here
// also decodes there.
const maxDepth = 10000

// jsonScanner checks JSON syntax as a stream. encoding/json would need a
// whole value in memory (and json.Decoder.Token allocates per token), which
// for a multi-gigabyte array is neither bounded nor fast; this holds the
// 64 KiB buffer and a byte per open bracket, and allocates nothing per value.
type jsonScanner struct {
	r         io.Reader
	buf       []byte
	pos, end  int   // unread bytes are buf[pos:end]
	base      int64 // stream offset of buf[0]
	line      int   // current line, 1-based
	lineStart int64 // stream offset of the current line's first byte
	rerr      error // sticky: io.EOF at the end, or the reader's error
	stack     []byte
	valueLine int // line the current value starts on

	// jsonl is set once the file is known to be JSON Lines: a newline
	// inside a value is then an error and a line may not pass maxLine.
	jsonl       bool
	maxLine     int64
	lineTooLong bool
}

// validateJSON accepts one JSON document, or JSON Lines.
func validateJSON(r io.Reader, maxLine int64) error {
	s := &jsonScanner{r: r, buf: make([]byte, bufSize), line: 1, maxLine: maxLine}
	// Read the first bytes whole, so a byte order mark is seen even if the
	// reader returns them one at a time.
	n, err := io.ReadFull(r, s.buf[:len(bom)])
	s.end = n
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		s.rerr = io.EOF
	case err != nil:
		return err
	case string(s.buf[:3]) == string(bom):
		s.pos, s.lineStart = 3, 3
	}

	if _, _, ok := s.peekNonWS(); !ok {
		if err := s.readErr(); err != nil {
			return err
		}
		if s.base+int64(s.end) == 0 {
			return &Error{Reason: "empty file: no JSON value"}
		}
		return &Error{Reason: "the file holds only whitespace: no JSON value"}
	}
	firstLine := s.line
	if err := s.value(); err != nil {
		return err
	}
	oneLine, firstLen := s.line == firstLine, s.offset()-s.lineStart
	c, nl, ok := s.peekNonWS()
	if !ok {
		return s.readErr() // one document, of any length
	}
	if !nl || !oneLine {
		return s.trailing(c)
	}
	// More values follow on later lines, the first taking one line: JSON Lines.
	if firstLen > s.maxLine {
		return &Error{Line: firstLine, Reason: fmt.Sprintf("line %d is longer than %s", firstLine, sizeText(s.maxLine))}
	}
	s.jsonl = true
	for {
		if err := s.value(); err != nil {
			return err
		}
		c, nl, ok := s.peekNonWS()
		if !ok {
			return s.readErr()
		}
		if !nl {
			return s.trailing(c)
		}
	}
}

func (s *jsonScanner) offset() int64 { return s.base + int64(s.pos) }

// fill reads more input once buf[pos:end] is used up. It reports false at
// the end of input, on a read error (kept in rerr) and, in JSON Lines, when
// the current line passes maxLine.
func (s *jsonScanner) fill() bool {
	if s.rerr != nil {
		return false
	}
	s.base += int64(s.end)
	s.pos, s.end = 0, 0
	if s.jsonl && s.base-s.lineStart > s.maxLine {
		s.lineTooLong = true
		return false
	}
	for range 100 { // io.Reader may return 0, nil; a reader that keeps doing so is broken
		n, err := s.r.Read(s.buf)
		s.end = n
		if err != nil {
			s.rerr = err
		}
		if n > 0 || err != nil {
			return n > 0
		}
	}
	s.rerr = io.ErrNoProgress
	return false
}

// readErr is what the end of input means outside a value: nil at a clean
// end, or why the input stopped early.
func (s *jsonScanner) readErr() error {
	switch {
	case s.lineTooLong:
		return s.tooLong()
	case s.rerr == nil || errors.Is(s.rerr, io.EOF):
		return nil
	default:
		return s.rerr
	}
}

// endErr is what the end of input means inside a value: truncation, unless
// it was a read error or the line cap.
func (s *jsonScanner) endErr() error {
	if err := s.readErr(); err != nil {
		return err
	}
	inside := "a value"
	if n := len(s.stack); n > 0 {
		inside = map[byte]string{'{': "an object", '[': "an array"}[s.stack[n-1]]
	}
	what := "the JSON document is truncated"
	if s.jsonl {
		what = fmt.Sprintf("line %d is truncated", s.line)
	}
	return &Error{Line: s.line, Reason: fmt.Sprintf("%s: the file ends inside %s (line %d)", what, inside, s.line)}
}

func (s *jsonScanner) tooLong() error {
	return &Error{Line: s.line, Reason: fmt.Sprintf("line %d is longer than %s", s.line, sizeText(s.maxLine))}
}

// fail reports a syntax error at the next unread byte.
func (s *jsonScanner) fail(format string, args ...any) error {
	col := s.offset() - s.lineStart + 1
	return &Error{Line: s.line, Reason: fmt.Sprintf("line %d, column %d: ", s.line, col) + fmt.Sprintf(format, args...)}
}

// trailing reports c, found after a complete value where a newline and a
// new value, or the end of the file, should be.
func (s *jsonScanner) trailing(c byte) error {
	return s.fail("unexpected %s after a complete JSON value; a file holds one JSON document, or one value per line (JSON Lines)", char(c))
}

// char names a byte in a reason sentence.
func char(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return fmt.Sprintf("%q", rune(c))
	}
	return fmt.Sprintf("byte 0x%02X", c)
}

// peekNonWS skips whitespace and returns the next byte without consuming
// it; nl reports whether a newline was skipped, ok is false at the end.
func (s *jsonScanner) peekNonWS() (c byte, nl, ok bool) {
	for {
		for s.pos < s.end {
			switch c = s.buf[s.pos]; c {
			case ' ', '\t', '\r':
			case '\n':
				nl = true
				s.line++
				s.lineStart = s.offset() + 1
			default:
				return c, nl, true
			}
			s.pos++
		}
		if !s.fill() {
			return 0, nl, false
		}
	}
}

// next is peekNonWS inside a value: the end of input is an error, and so is
// a newline in JSON Lines.
func (s *jsonScanner) next() (byte, error) {
	c, nl, ok := s.peekNonWS()
	switch {
	case !ok:
		return 0, s.endErr()
	case nl && s.jsonl:
		return 0, &Error{Line: s.valueLine, Reason: fmt.Sprintf("line %d ends inside a JSON value; JSON Lines needs one complete value per line", s.valueLine)}
	}
	return c, nil
}

// peekByte returns the next byte, whitespace or not, without consuming it.
func (s *jsonScanner) peekByte() (byte, bool) {
	if s.pos == s.end && !s.fill() {
		return 0, false
	}
	return s.buf[s.pos], true
}

// value checks one JSON value whose first byte is the next non-whitespace
// byte. It keeps the open brackets on s.stack rather than recursing.
func (s *jsonScanner) value() error {
	s.stack = s.stack[:0]
	s.valueLine = s.line
	for {
		open, err := s.startValue()
		if err != nil {
			return err
		}
		if open {
			continue // the first element (or, after its key, member value) is next
		}
		more, err := s.afterValue()
		if err != nil || !more {
			return err
		}
	}
}

// startValue consumes a scalar, an empty container, or the opening of a
// non-empty one (and, for an object, its first key and colon); open
// reports the last case.
func (s *jsonScanner) startValue() (open bool, err error) {
	c, err := s.next()
	if err != nil {
		return false, err
	}
	switch {
	case c == '{' || c == '[':
		if len(s.stack) >= maxDepth {
			return false, s.fail("the JSON is nested deeper than %d levels", maxDepth)
		}
		s.pos++
		s.stack = append(s.stack, c)
		d, err := s.next()
		if err != nil {
			return false, err
		}
		if d == c+2 { // '}' is '{'+2 and ']' is '['+2
			s.pos++
			s.stack = s.stack[:len(s.stack)-1]
			return false, nil
		}
		if c == '{' {
			return true, s.key()
		}
		return true, nil
	case c == '"':
		s.pos++
		return false, s.str()
	case c == 't':
		return false, s.literal("true")
	case c == 'f':
		return false, s.literal("false")
	case c == 'n':
		return false, s.literal("null")
	case c == '-' || isDigit(c):
		return false, s.number()
	}
	return false, s.fail("invalid character %s where a value is expected", char(c))
}

// afterValue consumes closing brackets after a complete value, then a comma
// (and, in an object, the next key and colon): more reports a comma, i.e.
// another value is expected; false means the top-level value is complete.
func (s *jsonScanner) afterValue() (more bool, err error) {
	for len(s.stack) > 0 {
		c, err := s.next()
		if err != nil {
			return false, err
		}
		top := s.stack[len(s.stack)-1]
		switch {
		case c == ',':
			s.pos++
			if top == '{' {
				return true, s.key()
			}
			return true, nil
		case c == top+2:
			s.pos++
			s.stack = s.stack[:len(s.stack)-1]
		case top == '{':
			return false, s.fail("invalid character %s in an object, expected ',' or '}'", char(c))
		default:
			return false, s.fail("invalid character %s in an array, expected ',' or ']'", char(c))
		}
	}
	return false, nil
}

// key consumes an object member's name and the colon after it.
func (s *jsonScanner) key() error {
	c, err := s.next()
	if err != nil {
		return err
	}
	if c != '"' {
		return s.fail("invalid character %s in an object, expected a quoted member name", char(c))
	}
	s.pos++
	if err := s.str(); err != nil {
		return err
	}
	if c, err = s.next(); err != nil {
		return err
	}
	if c != ':' {
		return s.fail("invalid character %s after a member name, expected ':'", char(c))
	}
	s.pos++
	return nil
}

// str consumes the rest of a string whose opening quote is consumed.
func (s *jsonScanner) str() error {
	for {
		for s.pos < s.end {
			c := s.buf[s.pos]
			if !stringSpecial[c] {
				s.pos++
				continue
			}
			switch {
			case c == '"':
				s.pos++
				return nil
			case c == '\\':
				s.pos++
				if err := s.escape(); err != nil {
					return err
				}
				continue
			case c == '\n':
				return s.fail("a string is not closed before the end of the line")
			case c < 0x20:
				return s.fail("control character 0x%02X in a string; write it as \\u%04X", c, c)
			}
			s.pos++
		}
		if !s.fill() {
			return s.endErr()
		}
	}
}

// escape consumes an escape sequence after its backslash.
func (s *jsonScanner) escape() error {
	c, ok := s.peekByte()
	if !ok {
		return s.endErr()
	}
	switch c {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		s.pos++
		return nil
	case 'u':
		s.pos++
		for range 4 {
			h, ok := s.peekByte()
			if !ok {
				return s.endErr()
			}
			if !isHex(h) {
				return s.fail("invalid character %s in a \\u escape, expected a hex digit", char(h))
			}
			s.pos++
		}
		return nil
	}
	return s.fail("invalid escape \\%c in a string", c)
}

// literal consumes true, false or null.
func (s *jsonScanner) literal(word string) error {
	for i := range len(word) {
		c, ok := s.peekByte()
		if !ok {
			return s.endErr()
		}
		if c != word[i] {
			return s.fail("invalid character %s in the literal %s", char(c), word)
		}
		s.pos++
	}
	return nil
}

// number consumes a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
// What may follow it is checked by the caller, as for any value.
func (s *jsonScanner) number() error {
	c, _ := s.peekByte()
	if c == '-' {
		s.pos++
	}
	c, ok := s.peekByte()
	switch {
	case !ok:
		return s.endErr()
	case c == '0':
		s.pos++
	case isDigit(c):
		s.digits()
	default:
		return s.fail("invalid character %s in a number, expected a digit", char(c))
	}
	if c, ok := s.peekByte(); ok && c == '.' {
		s.pos++
		if err := s.someDigits("after the decimal point"); err != nil {
			return err
		}
	}
	if c, ok := s.peekByte(); ok && (c == 'e' || c == 'E') {
		s.pos++
		if c, ok := s.peekByte(); ok && (c == '+' || c == '-') {
			s.pos++
		}
		if err := s.someDigits("in the exponent"); err != nil {
			return err
		}
	}
	return nil
}

// someDigits consumes one digit or more.
func (s *jsonScanner) someDigits(where string) error {
	c, ok := s.peekByte()
	if !ok {
		return s.endErr()
	}
	if !isDigit(c) {
		return s.fail("invalid character %s in a number, expected a digit %s", char(c), where)
	}
	s.digits()
	return nil
}

func (s *jsonScanner) digits() {
	for {
		for s.pos < s.end && isDigit(s.buf[s.pos]) {
			s.pos++
		}
		if s.pos < s.end || !s.fill() {
			return
		}
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// stringSpecial marks the bytes str must look at: the closing quote, the
// escape and the control characters; every other byte is skipped.
var stringSpecial = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()
