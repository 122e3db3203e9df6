package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/errs"
)

// Guards against load and misbehaving clients. Each is its own middleware
// so the routes say which they pass.

// Defaults of the guards; Deps may override them (tests do).
const (
	// DefaultMaxInFlight is how many API requests run at once; more wait
	// at most DefaultQueueWait and are then refused with 503.
	DefaultMaxInFlight = 64
	DefaultQueueWait   = 250 * time.Millisecond
	// DefaultBodyTimeout is how long a client may take to send a GraphQL
	// body; uploads get UploadBodyTimeout.
	DefaultBodyTimeout = 10 * time.Second
	UploadBodyTimeout  = 2 * time.Minute
)

// shedLoad lets at most max requests through at once. A request that
// cannot get in within wait is answered 503 UNAVAILABLE at once, so that
// a burst beyond capacity is refused quickly instead of queueing for
// minutes and taking the requests already running down with it.
func shedLoad(max int, wait time.Duration, next http.Handler) http.Handler {
	slots := make(chan struct{}, max)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case slots <- struct{}{}:
		default:
			timer := time.NewTimer(wait)
			defer timer.Stop()
			select {
			case slots <- struct{}{}:
			case <-timer.C:
				w.Header().Set("Retry-After", "1")
				leaveBodyUnread(w, r)
				writeErrorStatus(w, http.StatusServiceUnavailable, errs.E(errs.Unavailable, "the server is busy: try again in a second"))
				return
			case <-r.Context().Done():
				return
			}
		}
		defer func() { <-slots }()
		next.ServeHTTP(w, r)
	})
}

// requireSessionForUploads refuses a multipart request (a file upload)
// from a caller without a valid session before a byte of its body is
// read, and closes the connection so the body is never drained.
func requireSessionForUploads(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isMultipart(r) {
			if _, signed := authz.SignerFrom(r.Context()); !signed {
				leaveBodyUnread(w, r)
				writeError(w, errs.E(errs.Unauthenticated, "sign in before uploading a file: send Authorization: Bearer <token>"))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// leaveBodyUnread closes the connection after a refusal, so the server
// does not read (up to 256 kB of) a body nobody wants before answering.
func leaveBodyUnread(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength != 0 {
		w.Header().Set("Connection", "close")
	}
}

func isMultipart(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data")
}

// readBodyInTime gives the client timeout to send the body (uploads get
// UploadBodyTimeout), then lifts the deadline so a long operation is not
// cut once its body is in. A JSON body is read here and checked to be a
// GraphQL request, so that a malformed one is refused without echoing it
// back (gqlgen's own message quotes the body).
func readBodyInTime(timeout time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		if isMultipart(r) {
			_ = rc.SetReadDeadline(time.Now().Add(UploadBodyTimeout))
			r.Body = &liftDeadlineOnEOF{ReadCloser: r.Body, rc: rc}
			next.ServeHTTP(w, r)
			return
		}
		_ = rc.SetReadDeadline(time.Now().Add(timeout))
		body, err := io.ReadAll(r.Body)
		_ = rc.SetReadDeadline(time.Time{})
		if err != nil {
			w.Header().Set("Connection", "close")
			var tooLarge *http.MaxBytesError
			switch {
			case errors.As(err, &tooLarge):
				writeErrorStatus(w, http.StatusRequestEntityTooLarge, errs.E(errs.Invalid, "the request body is larger than %d bytes", tooLarge.Limit))
			case errors.Is(err, os.ErrDeadlineExceeded):
				writeErrorStatus(w, http.StatusRequestTimeout, errs.E(errs.Invalid, "the request body took longer than %s to arrive", timeout))
			default:
				w.WriteHeader(statusClientClosed) // nobody reads it; the log does
			}
			return
		}
		var params struct {
			Query         string         `json:"query"`
			OperationName string         `json:"operationName"`
			Variables     map[string]any `json:"variables"`
			Extensions    map[string]any `json:"extensions"`
		}
		if err := json.Unmarshal(body, &params); err != nil {
			writeErrorStatus(w, http.StatusBadRequest, errs.E(errs.Invalid,
				`the body is not a GraphQL request: send JSON {"query": "…", "variables": {…}}`))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

// statusClientClosed marks a request whose client hung up before it was
// answered (nginx's 499), so the log says so instead of an error.
const statusClientClosed = 499

// liftDeadlineOnEOF clears the connection's read deadline once the body
// has been read to its end.
type liftDeadlineOnEOF struct {
	io.ReadCloser
	rc   *http.ResponseController
	done bool
}

func (b *liftDeadlineOnEOF) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && !b.done {
		b.done = true
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

// answerStatus lets the error presenter, which runs after gqlgen has
// chosen 200, turn an answer into a 503 when the database was unavailable,
// so that load balancers and clients retry.
type answerStatus struct{ unavailable atomic.Bool }

type answerStatusKey struct{}

func withAnswerStatus(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := &answerStatus{}
		ctx := context.WithValue(r.Context(), answerStatusKey{}, st)
		next.ServeHTTP(&statusUpgrader{ResponseWriter: w, st: st}, r.WithContext(ctx))
	})
}

// markUnavailable notes that the request's answer reports UNAVAILABLE.
func markUnavailable(ctx context.Context) {
	if st, ok := ctx.Value(answerStatusKey{}).(*answerStatus); ok {
		st.unavailable.Store(true)
	}
}

type statusUpgrader struct {
	http.ResponseWriter
	st      *answerStatus
	written bool
}

func (w *statusUpgrader) WriteHeader(code int) {
	if !w.written && code == http.StatusOK && w.st.unavailable.Load() {
		w.Header().Set("Retry-After", "1")
		code = http.StatusServiceUnavailable
	}
	w.written = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusUpgrader) Write(b []byte) (int, error) {
	if !w.written {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusUpgrader) Unwrap() http.ResponseWriter { return w.ResponseWriter }
