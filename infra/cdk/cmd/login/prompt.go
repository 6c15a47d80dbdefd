package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// prompter asks the person at the terminal; what it writes (prompts,
// the TOTP secret) goes to stderr, never to the token's stdout.
type prompter interface {
	io.Writer
	// Line asks for a line (a user name, a code).
	Line(prompt string) (string, error)
	// Secret asks for a password, without echo on a terminal.
	Secret(prompt string) (string, error)
}

// terminal reads answers from in: a terminal (passwords unechoed) or a
// pipe, one answer a line.
type terminal struct {
	io.Writer
	in     *bufio.Reader
	fd     int
	isTerm bool
}

func newTerminal(in io.Reader, out io.Writer) *terminal {
	t := &terminal{Writer: out, in: bufio.NewReader(in)}
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		t.fd, t.isTerm = int(f.Fd()), true
	}
	return t
}

func (t *terminal) Line(prompt string) (string, error) {
	fmt.Fprint(t, prompt)
	line, err := t.in.ReadString('\n')
	line = strings.TrimSpace(line)
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", fmt.Errorf("reading the answer to %q: %w", strings.TrimSpace(prompt), err)
	}
	return line, nil
}

func (t *terminal) Secret(prompt string) (string, error) {
	if !t.isTerm {
		return t.Line(prompt)
	}
	fmt.Fprint(t, prompt)
	raw, err := term.ReadPassword(t.fd)
	fmt.Fprintln(t)
	if err != nil {
		return "", err
	}
	return string(raw), nil
}
