// Package apperr gives domain errors a kind and the offending field: handlers
// map the kinds (invalid input, not found, conflict) to HTTP status codes
// with errors.As instead of matching strings.
package apperr

import (
	"errors"
	"fmt"
)

// Kind says what went wrong from the caller's point of view.
type Kind int

const (
	// KindInternal is a failure of the platform, not of the request.
	KindInternal Kind = iota
	// KindInvalid is bad input: the caller must change the request.
	KindInvalid
	// KindNotFound is an absent resource, or one the caller may not see.
	KindNotFound
	// KindConflict is a request that clashes with the current state.
	KindConflict
	// KindForbidden is a caller who may see a resource but not change it.
	KindForbidden
)

// Error is a domain error that is safe to show to the caller: Message and
// Field never hold secrets or internal details.
type Error struct {
	Kind    Kind
	Field   string // the request field at fault, when there is one
	Message string
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s", e.Field, e.Message)
	}
	return e.Message
}

// Invalid reports bad input in field.
func Invalid(field, format string, args ...any) error {
	return newError(KindInvalid, field, format, args)
}

// NotFound reports a resource that does not exist or that the caller may not see.
func NotFound(format string, args ...any) error {
	return newError(KindNotFound, "", format, args)
}

// Conflict reports a request that the current state forbids.
func Conflict(field, format string, args ...any) error {
	return newError(KindConflict, field, format, args)
}

// Forbidden reports a caller who may see a resource but not do this to it.
func Forbidden(format string, args ...any) error {
	return newError(KindForbidden, "", format, args)
}

func newError(kind Kind, field, format string, args []any) error {
	return &Error{Kind: kind, Field: clip(field, MaxEcho, EchoKeep),
		Message: clip(fmt.Sprintf(format, echoes(args)...), MaxMessage, messageKeep)}
}

// KindOf returns the kind of err, KindInternal for errors that are not *Error.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}
