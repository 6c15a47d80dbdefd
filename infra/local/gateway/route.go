package gateway

import (
	"fmt"
	"strings"
)

// Route is one route of the HTTP API, its route key being "Method Path".
type Route struct {
	// Method is an HTTP method or "ANY", which matches every method that has
	// no route of its own on the same path.
	Method string
	// Path is like "/connections/{id}": {name} matches exactly one non-empty
	// path segment, {name+} (greedy, last segment only) matches one or more.
	// "$default" is the catch-all route, tried when nothing else matches.
	Path string
	// Public routes have no authorizer (e.g. GET /health): no token is
	// checked and the event carries no requestContext.authorizer.
	Public bool
	// Scopes are the route's authorizationScopes. When set, the token must
	// carry at least one of them (403 otherwise) and the event lists the
	// token's scopes in authorizer.jwt.scopes; when empty, the HTTP API sends
	// "scopes": null whatever the token says, and so does this gateway.
	Scopes []string
}

// Key is the route key API Gateway puts in routeKey: "GET /connections/{id}"
// or "$default".
func (r Route) Key() string {
	if r.Path == defaultRoute {
		return defaultRoute
	}
	return r.Method + " " + r.Path
}

const defaultRoute = "$default"

type segKind int

// Segment kinds in order of precedence: at the first segment where two
// matching routes differ, the lower kind is the more specific route.
const (
	segLiteral segKind = iota
	segParam
	segGreedy
)

type segment struct {
	kind segKind
	text string // literal text, or parameter name
}

type compiledRoute struct {
	Route
	key  string
	segs []segment
	any  bool // Method is ANY
	def  bool // the $default route
}

// compile validates r and splits its path; it panics on a route API Gateway
// would refuse to create, since that is a programming error in the caller's
// route table, found at start-up.
func compile(r Route) compiledRoute {
	c := compiledRoute{Route: r}
	if r.Path == defaultRoute {
		c.def = true
		c.key = defaultRoute
		return c
	}
	c.Method = strings.ToUpper(strings.TrimSpace(r.Method))
	if c.Method == "" {
		panic(fmt.Sprintf("gateway: route %q has no method", r.Path))
	}
	c.any = c.Method == "ANY"
	if !strings.HasPrefix(r.Path, "/") {
		panic(fmt.Sprintf("gateway: route path %q does not start with /", r.Path))
	}
	c.key = c.Method + " " + r.Path
	parts := strings.Split(r.Path[1:], "/")
	seen := map[string]bool{}
	for i, p := range parts {
		switch {
		case strings.HasPrefix(p, "{") && strings.HasSuffix(p, "+}"):
			if i != len(parts)-1 {
				panic(fmt.Sprintf("gateway: route %q: greedy variable %s must be last", r.Path, p))
			}
			c.segs = append(c.segs, segment{segGreedy, p[1 : len(p)-2]})
		case strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}"):
			c.segs = append(c.segs, segment{segParam, p[1 : len(p)-1]})
		case strings.ContainsAny(p, "{}"):
			panic(fmt.Sprintf("gateway: route %q: a variable must be a whole segment", r.Path))
		default:
			c.segs = append(c.segs, segment{segLiteral, p})
			continue
		}
		name := c.segs[len(c.segs)-1].text
		if name == "" || seen[name] {
			panic(fmt.Sprintf("gateway: route %q: empty or repeated variable name", r.Path))
		}
		seen[name] = true
	}
	return c
}

// match reports whether path (decoded, split on "/") fits the route, and the
// path parameters it binds.
func (c *compiledRoute) match(method string, parts []string) (map[string]string, bool) {
	if c.def {
		return nil, true
	}
	if !c.any && c.Method != method {
		return nil, false
	}
	var params map[string]string
	bind := func(k, v string) {
		if params == nil {
			params = map[string]string{}
		}
		params[k] = v
	}
	for i, s := range c.segs {
		if s.kind == segGreedy {
			rest := strings.Join(parts[i:], "/")
			if i >= len(parts) || rest == "" {
				return nil, false
			}
			bind(s.text, rest)
			return params, true
		}
		if i >= len(parts) {
			return nil, false
		}
		switch s.kind {
		case segLiteral:
			if parts[i] != s.text {
				return nil, false
			}
		case segParam:
			if parts[i] == "" {
				return nil, false
			}
			bind(s.text, parts[i])
		}
	}
	if len(parts) != len(c.segs) {
		return nil, false
	}
	return params, true
}

// moreSpecific reports whether a should win over b when both match a request,
// following API Gateway's "most specific match" rule: the $default route
// loses to every other route; otherwise, at the first segment where they
// differ, a literal beats a {variable}, which beats a {greedy+} variable;
// and on equal paths a route with the request's method beats ANY.
func moreSpecific(a, b *compiledRoute) bool {
	if a.def != b.def {
		return b.def
	}
	for i := 0; i < len(a.segs) && i < len(b.segs); i++ {
		if a.segs[i].kind != b.segs[i].kind {
			return a.segs[i].kind < b.segs[i].kind
		}
	}
	// Same kinds up to the shorter route: two such routes hardly ever match
	// the same request; prefer the longer one to keep the order total.
	if len(a.segs) != len(b.segs) {
		return len(a.segs) > len(b.segs)
	}
	return !a.any && b.any
}
