package platformlocal

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
)

// journal keeps the local Scheduler's schedules across restarts of the
// platform (the tables persist, so must the schedules that fire their runs):
// it appends every successful change request to a file and replays the file
// into the fresh Scheduler at start.
type journal struct {
	next http.Handler
	mu   sync.Mutex
	file *os.File
}

type journalEntry struct {
	Method, URL string
	Body        []byte
}

// openJournal replays path into next, then records into it.
func openJournal(path string, next http.Handler) (*journal, error) {
	if data, err := os.ReadFile(path); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var e journalEntry
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				return nil, fmt.Errorf("scheduler journal %s: %w", path, err)
			}
			next.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(e.Method, e.URL, bytes.NewReader(e.Body)))
		}
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	return &journal{next: next, file: f}, nil
}

func (j *journal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		j.next.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	j.next.ServeHTTP(sw, r)
	if sw.status >= 300 {
		return
	}
	line, _ := json.Marshal(journalEntry{Method: r.Method, URL: r.URL.RequestURI(), Body: body})
	j.mu.Lock()
	defer j.mu.Unlock()
	_, _ = j.file.Write(append(line, '\n'))
}

func (j *journal) Close() { _ = j.file.Close() }

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}
