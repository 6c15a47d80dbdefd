package rules

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// UnsafePath says why p, a slash-separated S3 key or prefix that the
// platform builds keys from, is unsafe ("" if it is not): "." and ".."
// segments mean other paths to tools that resolve them, an empty segment
// ("//") folds away in most of them, and control and bidi characters make
// a key read as another one in logs, consoles and catalogs. DirectoryPath
// validation and zone names share it, so the two cannot drift.
func UnsafePath(p string) string {
	if !utf8.ValidString(p) {
		return "it is not valid UTF-8"
	}
	if i := strings.IndexFunc(p, unsafeRune); i >= 0 {
		r, _ := utf8.DecodeRuneInString(p[i:])
		return fmt.Sprintf("it holds the control or bidi character %U", r)
	}
	for _, seg := range strings.Split(p, "/") {
		switch seg {
		case "":
			return "it holds an empty path segment"
		case ".", "..":
			return fmt.Sprintf("it holds a %q path segment", seg)
		}
	}
	return ""
}

// unsafeRune is a control character (C0, DEL, C1) or a Unicode bidi
// control, which reorders what follows it on screen.
func unsafeRune(r rune) bool {
	switch {
	case unicode.IsControl(r),
		r >= '\u202A' && r <= '\u202E',              // LRE, RLE, PDF, LRO, RLO
		r >= '\u2066' && r <= '\u2069',              // LRI, RLI, FSI, PDI
		r == '\u200E', r == '\u200F', r == '\u061C': // LRM, RLM, ALM
		return true
	}
	return false
}

// UnsafeName says why name, a file's name in its dataset (its source key
// less the DirectoryPath), cannot become the last part of a zone key,
// <domain>/<dataset>/upload_date=<epoch>/<name> ("" if it can): an unsafe
// path, or an upload_date= segment of its own, which would read as another
// partition of the dataset to the engines that query the lake.
func UnsafeName(name string) string {
	if reason := UnsafePath(name); reason != "" {
		return reason
	}
	for _, seg := range strings.Split(name, "/") {
		if len(seg) >= len(partitionKey) && strings.EqualFold(seg[:len(partitionKey)], partitionKey) {
			return "it holds an " + partitionKey + " path segment, which names the zones' partitions"
		}
	}
	return ""
}

// partitionKey starts the zone keys' partition segment.
const partitionKey = "upload_date="
