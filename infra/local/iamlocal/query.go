package iamlocal

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
)

// maxQueryBody bounds a Query request's body; STS and IAM requests are
// small forms (a policy document is at most a few kilobytes).
const maxQueryBody = 1 << 20

// ReadQuery returns a Query protocol request's parameters, from its query
// and, for a POST, its form body, and the body as sent, which the
// signature covers: the local STS and IAM read their requests alike.
func ReadQuery(r *http.Request) (url.Values, []byte, error) {
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		return nil, nil, &Error{Status: http.StatusMethodNotAllowed, Code: "InvalidAction",
			Message: "Query requests are POST (or GET) requests only."}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxQueryBody+1))
	if err != nil || len(body) > maxQueryBody {
		return nil, nil, &Error{Status: http.StatusBadRequest, Code: "MalformedInput", Message: "The request body cannot be read."}
	}
	params := r.URL.Query()
	if r.Method == http.MethodPost && len(body) > 0 {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, nil, &Error{Status: http.StatusBadRequest, Code: "MalformedInput", Message: "The request body is not a form: " + err.Error()}
		}
		for k, v := range form {
			params[k] = append(params[k], v...)
		}
	}
	return params, body, nil
}

// InvalidAction is the Query protocol's refusal of an action (or
// version) an endpoint does not serve.
func InvalidAction(action, version string) error {
	return &Error{Status: http.StatusBadRequest, Code: "InvalidAction",
		Message: "Could not find operation " + action + " for version " + version}
}

// responseMetadata ends every Query response.
type responseMetadata struct {
	RequestId string
}

// WriteQueryResult sends <ActionResponse xmlns=namespace><ActionResult>
// result</ActionResult><ResponseMetadata/></ActionResponse>, as AWS's
// Query services answer; a nil result (DeleteRole, PutRolePolicy, ...)
// sends no ActionResult element, as they do.
func WriteQueryResult(w http.ResponseWriter, namespace, requestID, action string, result any) {
	type response struct {
		XMLName          xml.Name
		Xmlns            string `xml:"xmlns,attr"`
		Result           any    `xml:",omitempty"`
		ResponseMetadata responseMetadata
	}
	out := response{XMLName: xml.Name{Local: action + "Response"}, Xmlns: namespace, ResponseMetadata: responseMetadata{RequestId: requestID}}
	if result != nil {
		out.Result = wrapped{name: action + "Result", v: result}
	}
	b, err := xml.Marshal(out)
	if err != nil {
		WriteQueryError(w, namespace, requestID, err)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append([]byte(xml.Header), b...))
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

// WriteQueryError sends err in the Query error envelope of namespace: an
// *Error with its own status and code, anything else as an
// InternalFailure.
func WriteQueryError(w http.ResponseWriter, namespace, requestID string, err error) {
	e, ok := err.(*Error)
	if !ok {
		e = &Error{Status: http.StatusInternalServerError, Code: "InternalFailure", Message: err.Error()}
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
