package connection

import "log/slog"

// Secret is a secret access key in plain text, on its way to KMS. Every way
// of printing it (fmt, slog, JSON) shows a placeholder, so that a log line or
// a response can never carry it by mistake; Reveal is the one way out.
type Secret string

const redacted = "[redacted]"

// Reveal returns the secret itself, for encryption only.
func (s Secret) Reveal() string { return string(s) }

func (s Secret) String() string   { return redacted }
func (s Secret) GoString() string { return redacted }

// LogValue keeps the secret out of slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON keeps the secret out of encoded JSON.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }
