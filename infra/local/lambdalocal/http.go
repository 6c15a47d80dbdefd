package lambdalocal

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/google/uuid"
)

// The Invoke operation's route in the Lambda REST API.
const (
	invokePathPrefix = "/2015-03-31/functions/"
	invokePathSuffix = "/invocations"
)

// ServeHTTP implements the Lambda Invoke REST API
// (POST /2015-03-31/functions/{FunctionName}/invocations), answering with
// the status codes, headers and error bodies the aws-sdk-go-v2 Lambda client
// decodes, so callers' code is the code that runs on AWS. Other Lambda
// operations answer 404 UnknownOperationException.
//
// Request headers honored: X-Amz-Invocation-Type, X-Amz-Client-Context
// (RequestResponse only, as on Lambda) and X-Amz-Tenant-Id; the Qualifier
// query parameter is accepted like a ":qualifier" suffix. X-Amz-Log-Type:
// Tail is accepted but ignored: no X-Amz-Log-Result is returned.
func (r *Runtime) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	path := req.URL.EscapedPath()
	if !strings.HasPrefix(path, invokePathPrefix) || !strings.HasSuffix(path, invokePathSuffix) ||
		len(path) <= len(invokePathPrefix)+len(invokePathSuffix) {
		r.writeServiceError(w, "", &ServiceError{StatusCode: http.StatusNotFound, Code: "UnknownOperationException",
			Message: "the local Lambda runtime only serves Invoke: POST " + invokePathPrefix + "{FunctionName}" + invokePathSuffix})
		return
	}
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		r.writeServiceError(w, "", &ServiceError{StatusCode: http.StatusMethodNotAllowed, Code: "UnknownOperationException",
			Message: "Invoke is POST, not " + req.Method})
		return
	}
	target, err := url.PathUnescape(path[len(invokePathPrefix) : len(path)-len(invokePathSuffix)])
	if err != nil || strings.Contains(target, "/") {
		r.writeServiceError(w, "", serviceErr(ErrFunctionNotFound, "Function not found: %s", target))
		return
	}

	kind := req.Header.Get("X-Amz-Invocation-Type")
	switch kind {
	case "":
		kind = InvocationTypeRequestResponse
	case InvocationTypeRequestResponse, InvocationTypeEvent, InvocationTypeDryRun:
	default:
		r.writeServiceError(w, target, serviceErr(ErrInvalidParameter,
			"X-Amz-Invocation-Type must be RequestResponse, Event or DryRun, not %q", kind))
		return
	}
	limit := int64(MaxSyncPayload)
	if kind == InvocationTypeEvent {
		limit = MaxAsyncPayload
	}
	// Read one byte past the quota so prepare can tell "too large" apart
	// without buffering an arbitrarily large body.
	payload, err := io.ReadAll(io.LimitReader(req.Body, limit+1))
	if err != nil {
		r.writeServiceError(w, target, serviceErr(ErrInvalidRequestContent, "could not read request body: %v", err))
		return
	}
	prepKind := kind
	if kind == InvocationTypeDryRun {
		prepKind = InvocationTypeRequestResponse // validated like the sync call it stands for
	}
	inv, err := r.prepare(target, req.URL.Query().Get("Qualifier"), payload, prepKind)
	if err != nil {
		r.logRejected(target, kind, err)
		r.writeServiceError(w, target, err)
		return
	}
	inv.tenantID = req.Header.Get("X-Amz-Tenant-Id")

	switch kind {
	case InvocationTypeDryRun:
		w.Header().Set("X-Amzn-Requestid", inv.requestID)
		w.WriteHeader(http.StatusNoContent)

	case InvocationTypeEvent:
		if err := r.enqueue(inv); err != nil {
			r.logRejected(target, kind, err)
			r.writeServiceError(w, target, err)
			return
		}
		w.Header().Set("X-Amzn-Requestid", inv.requestID)
		w.WriteHeader(http.StatusAccepted)

	default: // RequestResponse
		if cc := req.Header.Get("X-Amz-Client-Context"); cc != "" {
			inv.clientContext, err = decodeClientContext(cc)
			if err != nil {
				r.writeServiceError(w, target, serviceErr(ErrInvalidRequestContent,
					"Client context must be a valid Base64-encoded JSON object: %v", err))
				return
			}
		}
		out, err := r.invokeSync(req.Context(), inv)
		var fe *FunctionError
		switch {
		case errors.As(err, &fe):
			// Lambda reports function errors in-band: 200, the error as
			// the payload, and X-Amz-Function-Error, which the SDK maps to
			// InvokeOutput.FunctionError.
			out = fe.Payload()
			w.Header().Set("X-Amz-Function-Error", "Unhandled")
		case err != nil:
			if req.Context().Err() != nil {
				return // the caller hung up; nobody to answer
			}
			r.writeServiceError(w, target, err)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("X-Amz-Executed-Version", "$LATEST")
		h.Set("X-Amzn-Requestid", inv.requestID)
		w.WriteHeader(http.StatusOK)
		if _, err := w.Write(out); err != nil {
			r.log.Debug("lambda response not delivered", slog.String("request_id", inv.requestID), slog.String("error", err.Error()))
		}
	}
}

func decodeClientContext(s string) (*lambdacontext.ClientContext, error) {
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	var cc lambdacontext.ClientContext
	if err := json.Unmarshal(raw, &cc); err != nil {
		return nil, err
	}
	return &cc, nil
}

// writeServiceError answers in Lambda's REST-JSON error shape: the code in
// X-Amzn-Errortype (which the SDK resolves to its typed error, e.g.
// *types.ResourceNotFoundException) and a {"Type","message"} body, the
// members Lambda's error shapes model.
func (r *Runtime) writeServiceError(w http.ResponseWriter, target string, err error) {
	var se *ServiceError
	if !errors.As(err, &se) {
		se = serviceErr(&ServiceError{StatusCode: http.StatusInternalServerError, Code: "ServiceException"}, "%v", err)
	}
	body := map[string]string{"Type": "User", "message": se.Message}
	if se.StatusCode >= 500 {
		body["Type"] = "Service"
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-Errortype", se.Code)
	h.Set("X-Amzn-Requestid", uuid.NewString())
	if se.Code == ErrTooManyRequests.Code {
		h.Set("Retry-After", "1")
		body["Reason"] = se.Reason
	}
	w.WriteHeader(se.StatusCode)
	if err := json.NewEncoder(w).Encode(body); err != nil {
		r.log.Debug("lambda error response not delivered", slog.String("function", target), slog.String("error", err.Error()))
	}
}
