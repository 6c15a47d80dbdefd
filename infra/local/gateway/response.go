package gateway

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// response is what the gateway writes back for one Lambda result.
type response struct {
	status                   int
	headers                  [][2]string
	cookies                  []string
	body                     []byte
	ignoredMultiValueHeaders bool
}

// parseResponse reads a Lambda result by the payload 2.0 rules:
//   - a JSON object with a statusCode is a structured response: statusCode,
//     headers, cookies, body, isBase64Encoded. multiValueHeaders is not part
//     of the 2.0 response format and the HTTP API ignores it;
//   - any other valid JSON (a string, a number, an object without
//     statusCode) is an inferred response: 200, content-type
//     application/json, the JSON itself as body;
//   - anything else (not JSON, a malformed structured response, a body that
//     is not valid base64) is an integration failure: 500.
func parseResponse(out []byte) (*response, error) {
	trimmed := bytes.TrimSpace(out)
	if !json.Valid(trimmed) {
		return nil, fmt.Errorf("function returned invalid JSON (%d bytes)", len(out))
	}
	var fields map[string]json.RawMessage
	if trimmed[0] != '{' || json.Unmarshal(trimmed, &fields) != nil || fields["statusCode"] == nil {
		return &response{
			status:  http.StatusOK,
			headers: [][2]string{{"Content-Type", "application/json"}},
			body:    trimmed,
		}, nil
	}

	resp := &response{}
	raw := bytes.TrimSpace(fields["statusCode"])
	if len(raw) == 0 || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) {
		// Strict on purpose: a quoted or null statusCode is a handler bug.
		return nil, fmt.Errorf("statusCode is not a number: %s", raw)
	}
	code := json.Number(raw)
	n, err := code.Int64()
	if err != nil || n < 100 || n > 599 {
		return nil, fmt.Errorf("statusCode %s is not an HTTP status", code)
	}
	resp.status = int(n)

	if raw, ok := fields["headers"]; ok && !isNull(raw) {
		var hs map[string]any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber() // a numeric header value is written as the handler wrote it
		if err := dec.Decode(&hs); err != nil {
			return nil, fmt.Errorf("headers is not an object: %w", err)
		}
		for k, v := range hs {
			var s string
			switch x := v.(type) {
			case string:
				s = x
			case json.Number:
				s = x.String()
			case bool:
				s = fmt.Sprint(x)
			case nil:
				continue
			default:
				return nil, fmt.Errorf("header %q has a %T value", k, v)
			}
			resp.headers = append(resp.headers, [2]string{k, s})
		}
	}
	if raw, ok := fields["multiValueHeaders"]; ok && !isNull(raw) && !bytes.Equal(bytes.TrimSpace(raw), []byte("{}")) {
		resp.ignoredMultiValueHeaders = true
	}
	if raw, ok := fields["cookies"]; ok && !isNull(raw) {
		if err := json.Unmarshal(raw, &resp.cookies); err != nil {
			return nil, fmt.Errorf("cookies is not a list of strings: %w", err)
		}
	}
	var body string
	if raw, ok := fields["body"]; ok && !isNull(raw) {
		if err := json.Unmarshal(raw, &body); err != nil {
			return nil, errors.New("body is not a string")
		}
	}
	var b64 bool
	if raw, ok := fields["isBase64Encoded"]; ok && !isNull(raw) {
		if err := json.Unmarshal(raw, &b64); err != nil {
			return nil, errors.New("isBase64Encoded is not a boolean")
		}
	}
	if b64 {
		dec, err := base64.StdEncoding.DecodeString(body)
		if err != nil {
			return nil, fmt.Errorf("body is not valid base64: %w", err)
		}
		resp.body = dec
	} else {
		resp.body = []byte(body)
	}
	if !hasHeader(resp.headers, "content-type") {
		// What an HTTP API was observed to send for a structured response
		// that sets no content type.
		resp.headers = append(resp.headers, [2]string{"Content-Type", "text/plain; charset=utf-8"})
	}
	return resp, nil
}

// hopByHop are headers the gateway computes itself; a handler's values for
// them would corrupt the framing of the response.
var hopByHop = map[string]bool{
	"connection": true, "content-length": true, "keep-alive": true,
	"transfer-encoding": true, "upgrade": true, "trailer": true,
}

func (resp *response) write(w http.ResponseWriter) int {
	h := w.Header()
	for _, kv := range resp.headers {
		if hopByHop[strings.ToLower(kv[0])] || strings.EqualFold(kv[0], "apigw-requestid") {
			continue
		}
		h.Add(kv[0], kv[1])
	}
	for _, c := range resp.cookies {
		h.Add("Set-Cookie", c)
	}
	w.WriteHeader(resp.status)
	w.Write(resp.body)
	return resp.status
}

func hasHeader(hs [][2]string, name string) bool {
	for _, kv := range hs {
		if strings.EqualFold(kv[0], name) {
			return true
		}
	}
	return false
}

func isNull(raw json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(raw), []byte("null")) }
