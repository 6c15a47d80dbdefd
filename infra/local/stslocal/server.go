package stslocal

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/datalake-platform/s3connections/infra/local/iamlocal"
	"github.com/google/uuid"
)

// namespace is the XML namespace of every STS response.
const namespace = "https://sts.amazonaws.com/doc/2011-06-15/"

// version is the only STS API version there is.
const version = "2011-06-15"

// maxBody bounds a request body; STS requests are small forms.
const maxBody = 1 << 20

// Server serves STS for the keys, roles and sessions of a registry.
type Server struct {
	registry *iamlocal.Registry
	now      func() time.Time
}

// Option configures a Server, for tests that need another clock.
type Option func(*Server)

// WithClock makes the server read the time from now: it decides signature
// expiry, session expiry and which sessions are still known.
func WithClock(now func() time.Time) Option {
	return func(s *Server) { s.now = now }
}

// New returns an STS endpoint for registry's principals, so local clients
// can start role sessions and learn who they are as they would in AWS.
func New(registry *iamlocal.Registry, opts ...Option) *Server {
	s := &Server{registry: registry, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

// ServeHTTP answers one STS Query request: it authenticates the caller,
// then runs the action its Action parameter names.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := uuid.NewString()
	w.Header().Set("x-amzn-RequestId", requestID)
	params, body, err := readParams(r)
	if err != nil {
		writeError(w, requestID, err)
		return
	}
	now := s.now()
	caller, err := s.authenticate(r, body, now)
	if err != nil {
		writeError(w, requestID, err)
		return
	}
	var result any
	switch action := params.Get("Action"); {
	case params.Get("Version") != version:
		err = invalidAction(action, params.Get("Version"))
	case action == "AssumeRole":
		result, err = s.assumeRole(caller, params, now)
	case action == "GetCallerIdentity":
		result = getCallerIdentity(caller)
	default:
		err = invalidAction(action, version)
	}
	if err != nil {
		writeError(w, requestID, err)
		return
	}
	writeResult(w, requestID, params.Get("Action"), result)
}

// readParams returns a request's parameters, from its query and, for a
// POST, its form body, and the body as sent, which the signature covers.
func readParams(r *http.Request) (url.Values, []byte, error) {
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		return nil, nil, &iamlocal.Error{Status: http.StatusMethodNotAllowed, Code: "InvalidAction",
			Message: "STS takes POST (or GET) requests only."}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		return nil, nil, &iamlocal.Error{Status: http.StatusBadRequest, Code: "MalformedInput", Message: "The request body cannot be read."}
	}
	params := r.URL.Query()
	if r.Method == http.MethodPost && len(body) > 0 {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, nil, &iamlocal.Error{Status: http.StatusBadRequest, Code: "MalformedInput", Message: "The request body is not a form: " + err.Error()}
		}
		for k, v := range form {
			params[k] = append(params[k], v...)
		}
	}
	return params, body, nil
}

func invalidAction(action, v string) error {
	return &iamlocal.Error{Status: http.StatusBadRequest, Code: "InvalidAction",
		Message: "Could not find operation " + action + " for version " + v}
}

// responseMetadata ends every Query response.
type responseMetadata struct {
	RequestId string
}

// writeResult sends <ActionResponse><ActionResult>result</ActionResult>
// <ResponseMetadata/></ActionResponse>.
func writeResult(w http.ResponseWriter, requestID, action string, result any) {
	type response struct {
		XMLName          xml.Name
		Xmlns            string `xml:"xmlns,attr"`
		Result           any
		ResponseMetadata responseMetadata
	}
	out, err := xml.Marshal(response{
		XMLName: xml.Name{Local: action + "Response"}, Xmlns: namespace,
		Result: wrapped{name: action + "Result", v: result}, ResponseMetadata: responseMetadata{RequestId: requestID},
	})
	if err != nil {
		writeError(w, requestID, err)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append([]byte(xml.Header), out...))
}

// wrapped marshals v as an element called name.
type wrapped struct {
	name string
	v    any
}

// MarshalXML writes the value under the wrapper's name, so one response
// type serves every action.
func (w wrapped) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	return e.EncodeElement(w.v, xml.StartElement{Name: xml.Name{Local: w.name}})
}

// writeError sends err in the Query error envelope: an *iamlocal.Error
// with its own status and code, anything else as an InternalFailure.
func writeError(w http.ResponseWriter, requestID string, err error) {
	e, ok := err.(*iamlocal.Error)
	if !ok {
		e = &iamlocal.Error{Status: http.StatusInternalServerError, Code: "InternalFailure", Message: err.Error()}
	}
	type detail struct {
		Type, Code, Message string
	}
	type envelope struct {
		XMLName   xml.Name `xml:"ErrorResponse"`
		Xmlns     string   `xml:"xmlns,attr"`
		Error     detail
		RequestId string
	}
	kind := "Sender"
	if e.Status >= 500 {
		kind = "Receiver"
	}
	out, _ := xml.Marshal(envelope{Xmlns: namespace, Error: detail{Type: kind, Code: e.Code, Message: e.Message}, RequestId: requestID})
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(e.Status)
	_, _ = w.Write(append([]byte(xml.Header), out...))
}
