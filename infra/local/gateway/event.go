package gateway

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The event is built from these types rather than events.APIGatewayV2HTTPRequest
// because that struct cannot produce the exact JSON an HTTP API sends: it
// always emits requestContext.authentication (only present with mutual TLS)
// and omits "scopes" when nil where the HTTP API sends "scopes": null. The
// field names and order follow the payload 2.0 example in the AWS docs, and
// the result decodes into events.APIGatewayV2HTTPRequest (tested).
type event struct {
	Version               string            `json:"version"`
	RouteKey              string            `json:"routeKey"`
	RawPath               string            `json:"rawPath"`
	RawQueryString        string            `json:"rawQueryString"`
	Cookies               []string          `json:"cookies,omitempty"`
	Headers               map[string]string `json:"headers"`
	QueryStringParameters map[string]string `json:"queryStringParameters,omitempty"`
	PathParameters        map[string]string `json:"pathParameters,omitempty"`
	RequestContext        requestContext    `json:"requestContext"`
	Body                  string            `json:"body,omitempty"`
	IsBase64Encoded       bool              `json:"isBase64Encoded"`
}

type requestContext struct {
	AccountID    string          `json:"accountId"`
	APIID        string          `json:"apiId"`
	Authorizer   *authorizerDesc `json:"authorizer,omitempty"`
	DomainName   string          `json:"domainName"`
	DomainPrefix string          `json:"domainPrefix"`
	HTTP         httpDesc        `json:"http"`
	RequestID    string          `json:"requestId"`
	RouteKey     string          `json:"routeKey"`
	Stage        string          `json:"stage"`
	Time         string          `json:"time"`
	TimeEpoch    int64           `json:"timeEpoch"`
}

type authorizerDesc struct {
	JWT jwtDesc `json:"jwt"`
}

type jwtDesc struct {
	Claims map[string]string `json:"claims"`
	Scopes []string          `json:"scopes"` // null unless the route has scopes
}

type httpDesc struct {
	Method    string `json:"method"`
	Path      string `json:"path"`
	Protocol  string `json:"protocol"`
	SourceIP  string `json:"sourceIp"`
	UserAgent string `json:"userAgent"`
}

// timeLayout is requestContext.time's format, e.g. "21/Apr/2020:15:08:21 +0000".
const timeLayout = "02/Jan/2006:15:04:05 -0700"

func (g *Gateway) buildEvent(r *http.Request, route *compiledRoute, params map[string]string, auth *authorizerDesc, body []byte, reqID string, now time.Time) event {
	sourceIP := hostOnly(r.RemoteAddr)
	domain := hostOnly(r.Host)
	prefix, _, _ := strings.Cut(domain, ".")

	headers, cookies := eventHeaders(r, len(body))
	headers["host"] = r.Host
	if xff := headers["x-forwarded-for"]; xff != "" {
		headers["x-forwarded-for"] = xff + ", " + sourceIP
	} else {
		headers["x-forwarded-for"] = sourceIP
	}
	if _, port, err := splitPort(r.Host); err == nil {
		headers["x-forwarded-port"] = port
	}
	headers["x-forwarded-proto"] = "http"
	if r.TLS != nil {
		headers["x-forwarded-proto"] = "https"
	}
	if headers["x-amzn-trace-id"] == "" {
		headers["x-amzn-trace-id"] = g.traceID(now)
	}

	b, b64 := bodyField(r.Header.Get("Content-Type"), body)
	utc := now.UTC()
	return event{
		Version:               "2.0",
		RouteKey:              route.key,
		RawPath:               r.URL.Path,
		RawQueryString:        r.URL.RawQuery,
		Cookies:               cookies,
		Headers:               headers,
		QueryStringParameters: queryParams(r.URL.RawQuery),
		PathParameters:        params,
		RequestContext: requestContext{
			AccountID:    g.cfg.accountID,
			APIID:        g.cfg.apiID,
			Authorizer:   auth,
			DomainName:   domain,
			DomainPrefix: prefix,
			HTTP: httpDesc{
				Method:    r.Method,
				Path:      r.URL.Path,
				Protocol:  r.Proto,
				SourceIP:  sourceIP,
				UserAgent: r.UserAgent(),
			},
			RequestID: reqID,
			RouteKey:  route.key,
			Stage:     Stage,
			Time:      utc.Format(timeLayout),
			TimeEpoch: utc.UnixMilli(),
		},
		Body:            b,
		IsBase64Encoded: b64,
	}
}

// eventHeaders lower-cases header names and comma-joins repeated values, as
// payload 2.0 does; Cookie headers are taken out and split into the cookies
// list, one "name=value" per element.
func eventHeaders(r *http.Request, bodyLen int) (map[string]string, []string) {
	headers := make(map[string]string, len(r.Header)+6)
	var cookies []string
	for name, values := range r.Header {
		lname := strings.ToLower(name)
		if lname == "cookie" {
			for _, v := range values {
				for _, c := range strings.Split(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						cookies = append(cookies, c)
					}
				}
			}
			continue
		}
		headers[lname] = strings.Join(values, ",")
	}
	// Go moves Content-Length out of the header map for some requests;
	// API Gateway forwards it whenever there is a body.
	if bodyLen > 0 || r.Header.Get("Content-Length") != "" {
		headers["content-length"] = itoa(bodyLen)
	}
	return headers, cookies
}

// queryParams decodes the query string into queryStringParameters: values of
// a repeated name comma-joined in order, nil when there is no parameter (the
// field is then absent from the event).
func queryParams(raw string) map[string]string {
	if raw == "" {
		return nil
	}
	out := map[string]string{}
	for _, pair := range strings.Split(raw, "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k, v = unescape(k), unescape(v)
		if prev, ok := out[k]; ok {
			out[k] = prev + "," + v
		} else {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func unescape(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

// splitPort returns the port of a Host value, defaulting to 80 like the
// x-forwarded-port of a plain-HTTP request.
func splitPort(host string) (string, string, error) {
	if i := strings.LastIndex(host, ":"); i >= 0 && !strings.Contains(host[i:], "]") {
		return host[:i], host[i+1:], nil
	}
	return host, "80", nil
}
