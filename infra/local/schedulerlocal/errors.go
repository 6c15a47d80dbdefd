package schedulerlocal

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// apiError is an error as Scheduler returns it over REST-JSON: the shape
// name in the x-amzn-errortype header (which the SDK maps to its typed
// errors) and {"Message": ...} in the body.
type apiError struct {
	status int
	typ    string
	msg    string
}

func (e *apiError) Error() string { return e.typ + ": " + e.msg }

// Status codes are the Smithy model's httpError traits.
func errValidation(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, "ValidationException", fmt.Sprintf(format, args...)}
}

func errNotFound(format string, args ...any) *apiError {
	return &apiError{http.StatusNotFound, "ResourceNotFoundException", fmt.Sprintf(format, args...)}
}

func errConflict(format string, args ...any) *apiError {
	return &apiError{http.StatusConflict, "ConflictException", fmt.Sprintf(format, args...)}
}

// errConstraint words a model-constraint violation the way AWS services do,
// so that messages read the same locally and on AWS.
func errConstraint(value any, member, constraint string) *apiError {
	return errValidation("1 validation error detected: Value '%v' at '%s' failed to satisfy constraint: %s", value, member, constraint)
}

func errScheduleNotFound(name string) *apiError {
	return errNotFound("Schedule %s does not exist.", name)
}

func errGroupNotFound(name string) *apiError {
	return errNotFound("Schedule group %s does not exist.", name)
}

func writeError(w http.ResponseWriter, err *apiError) {
	w.Header().Set("X-Amzn-Errortype", err.typ)
	writeJSON(w, err.status, map[string]string{"Message": err.msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil { // only plain structs and maps are written
		status, body = http.StatusInternalServerError, []byte(`{"Message":"internal error"}`)
		w.Header().Set("X-Amzn-Errortype", "InternalServerException")
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
