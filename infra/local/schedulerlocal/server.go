package schedulerlocal

import (
	"container/heap"
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/datalake-platform/s3connections/shared/scheduleexpr"
)

// Options configures a Server. The zero value is usable (fires are then
// only logged).
type Options struct {
	// AccountID and Region appear in ARNs. Defaults "000000000000" and
	// "us-east-1", the local platform's.
	AccountID, Region string
	// Fire delivers a schedule's target when it is due. It runs in its own
	// goroutine, one per fire; it should hand the work off (as Scheduler
	// invokes a Lambda asynchronously) and return promptly once ctx is
	// done, which Close causes. A non-nil error is logged and retried within
	// the target's RetryPolicy. Nil means log the fire and do nothing else.
	Fire func(ctx context.Context, target Target) error
	// Now is the clock; default time.Now. Tests inject one they control and
	// call Server.Wake after moving it.
	Now func() time.Time
	// Logger receives the firing log; default slog.Default(). Target inputs
	// are never logged.
	Logger *slog.Logger
	// RetryDelay is the wait before the first retry of a failed Fire; each
	// further retry doubles it, up to one minute. Zero means one second.
	RetryDelay time.Duration
	// DeadLetters sends the dead-letter event of a fire that exhausted its
	// target's RetryPolicy to the target's DeadLetterConfig queue (the
	// local SQS: sqslocal.ARNSender). Nil sends none: the failure is only
	// logged.
	DeadLetters DeadLetters
}

// Target is what a fire delivers: the schedule's target and which schedule
// and time it fired for.
type Target struct {
	// Arn and RoleArn are the schedule target's; RoleArn is what Scheduler
	// would assume (locally nothing is assumed).
	Arn, RoleArn string
	// Input is the target's Input after context-attribute substitution ("" when
	// the schedule has none).
	Input string
	// ScheduleName, GroupName and ScheduleArn identify the schedule.
	ScheduleName, GroupName, ScheduleArn string
	// ScheduledTime is the time the schedule was due (not the time of the
	// call, which a busy process or a retry makes later).
	ScheduledTime time.Time
	// ExecutionID identifies this fire; it is the same for every attempt.
	ExecutionID string
	// Attempt counts attempts from 1.
	Attempt int
}

// Server is an in-memory EventBridge Scheduler endpoint and firing loop.
// Create it with New, serve it with any net/http server, and Close it when
// done. It is safe for concurrent use.
//
// Locking: mu guards groups, schedules, the fire queue and the recent
// deletions; it is never held while Fire runs.
type Server struct {
	account, region string
	fire            func(context.Context, Target) error
	now             func() time.Time
	log             *slog.Logger
	retryDelay      time.Duration
	deadLetters     DeadLetters

	mu      sync.Mutex
	groups  map[string]*group
	queue   fireQueue
	deleted recentDeletes

	wake      chan struct{}
	ctx       context.Context // parent of every Fire's context
	cancel    context.CancelFunc
	loopDone  chan struct{}
	fires     sync.WaitGroup
	closeOnce sync.Once
}

type group struct {
	name, arn         string
	created, modified time.Time
	clientToken       string
	tags              []tag
	schedules         map[string]*schedule
}

type schedule struct {
	name, arn   string
	group       *group
	spec        *scheduleSpec
	created     time.Time
	modified    time.Time
	clientToken string // of the CreateSchedule that made it

	// expr is spec.expr, anchored for rate(): at StartDate, or at the time
	// the expression was set.
	expr scheduleexpr.Expression
	// next is the next fire time while the schedule is in the queue
	// (queueIndex >= 0).
	next       time.Time
	queueIndex int
}

// New returns a Server holding only the "default" group, with its firing
// loop running.
func New(opts Options) *Server {
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		account:     orDefault(opts.AccountID, "000000000000"),
		region:      orDefault(opts.Region, "us-east-1"),
		fire:        opts.Fire,
		now:         opts.Now,
		log:         opts.Logger,
		retryDelay:  opts.RetryDelay,
		deadLetters: opts.DeadLetters,
		groups:      map[string]*group{},
		wake:        make(chan struct{}, 1),
		ctx:         ctx,
		cancel:      cancel,
		loopDone:    make(chan struct{}),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.retryDelay <= 0 {
		s.retryDelay = time.Second
	}
	now := s.now()
	s.groups[defaultGroup] = &group{name: defaultGroup, arn: s.groupARN(defaultGroup), created: now, modified: now, schedules: map[string]*schedule{}}
	go s.loop()
	return s
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// Close stops the firing loop, cancels the context of fires in flight and
// waits for them to return. The API keeps answering; schedules no longer
// fire. Close is idempotent.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.cancel()
		<-s.loopDone
		s.fires.Wait()
	})
}

// Wake makes the firing loop read the clock again now. Call it after moving
// the clock given as Options.Now forward; with the real clock it is never
// needed.
func (s *Server) Wake() {
	select {
	case s.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// NextFireTime returns when the schedule will fire next, and false when it
// will not (disabled, completed, or no such schedule). groupName "" means
// "default".
func (s *Server) NextFireTime(groupName, name string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[orDefault(groupName, defaultGroup)]
	if g == nil {
		return time.Time{}, false
	}
	sc := g.schedules[name]
	if sc == nil || sc.queueIndex < 0 {
		return time.Time{}, false
	}
	return sc.next, true
}

func (s *Server) scheduleARN(group, name string) string {
	return "arn:aws:scheduler:" + s.region + ":" + s.account + ":schedule/" + group + "/" + name
}

func (s *Server) groupARN(name string) string {
	return "arn:aws:scheduler:" + s.region + ":" + s.account + ":schedule-group/" + name
}

// maxBody bounds request bodies; Scheduler's largest input (a schedule with
// an 8 KB-ish Input and templated parameters) is far below it.
const maxBody = 1 << 20

// ServeHTTP routes the Scheduler REST-JSON operations by method and path,
// as the SDK's serializers build them.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Amzn-Requestid", newID())
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	// Split the escaped path: a tag resource ARN arrives as one
	// %2F-escaped segment.
	segs := strings.Split(strings.Trim(r.URL.EscapedPath(), "/"), "/")
	for i, seg := range segs {
		u, err := url.PathUnescape(seg)
		if err != nil {
			writeError(w, errValidation("Invalid URI path segment %q.", truncate(seg)))
			return
		}
		segs[i] = u
	}
	q := r.URL.Query()
	var out any
	var err *apiError
	switch {
	case len(segs) == 1 && segs[0] == "schedules" && r.Method == http.MethodGet:
		out, err = s.listSchedules(q)
	case len(segs) == 2 && segs[0] == "schedules":
		switch r.Method {
		case http.MethodPost:
			out, err = s.createSchedule(segs[1], r)
		case http.MethodGet:
			out, err = s.getSchedule(segs[1], q)
		case http.MethodPut:
			out, err = s.updateSchedule(segs[1], r)
		case http.MethodDelete:
			out, err = s.deleteSchedule(segs[1], q)
		default:
			err = errUnknownOperation(r)
		}
	case len(segs) == 1 && segs[0] == "schedule-groups" && r.Method == http.MethodGet:
		out, err = s.listGroups(q)
	case len(segs) == 2 && segs[0] == "schedule-groups":
		switch r.Method {
		case http.MethodPost:
			out, err = s.createGroup(segs[1], r)
		case http.MethodGet:
			out, err = s.getGroup(segs[1])
		case http.MethodDelete:
			out, err = s.deleteGroup(segs[1], q)
		default:
			err = errUnknownOperation(r)
		}
	case len(segs) == 2 && segs[0] == "tags":
		switch r.Method {
		case http.MethodGet:
			out, err = s.listTags(segs[1])
		case http.MethodPost:
			out, err = s.tagResource(segs[1], r)
		case http.MethodDelete:
			out, err = s.untagResource(segs[1], q)
		default:
			err = errUnknownOperation(r)
		}
	default:
		err = errUnknownOperation(r)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func errUnknownOperation(r *http.Request) *apiError {
	return &apiError{http.StatusNotFound, "UnknownOperationException", "No operation matches " + r.Method + " " + r.URL.Path}
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// fireQueue is a min-heap of the enabled schedules that have a next fire
// time, soonest first.
type fireQueue []*schedule

func (q fireQueue) Len() int           { return len(q) }
func (q fireQueue) Less(i, j int) bool { return q[i].next.Before(q[j].next) }
func (q fireQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].queueIndex, q[j].queueIndex = i, j
}
func (q *fireQueue) Push(x any) {
	sc := x.(*schedule)
	sc.queueIndex = len(*q)
	*q = append(*q, sc)
}
func (q *fireQueue) Pop() any {
	old := *q
	sc := old[len(old)-1]
	old[len(old)-1] = nil
	sc.queueIndex = -1
	*q = old[:len(old)-1]
	return sc
}

// setNext puts sc in the queue at t, or takes it out when ok is false.
// Callers hold s.mu.
func (s *Server) setNext(sc *schedule, t time.Time, ok bool) {
	switch {
	case ok && sc.queueIndex >= 0:
		sc.next = t
		heap.Fix(&s.queue, sc.queueIndex)
	case ok:
		sc.next = t
		heap.Push(&s.queue, sc)
	case sc.queueIndex >= 0:
		heap.Remove(&s.queue, sc.queueIndex)
	}
}

// recentDeletes remembers the ClientTokens of recent DeleteSchedule calls,
// so that a retried delete succeeds instead of reporting not-found.
type recentDeletes struct {
	tokens map[string]string // token -> group/name
	order  []string
}

const maxRecentDeletes = 1000

func (d *recentDeletes) add(token, key string) {
	if token == "" {
		return
	}
	if d.tokens == nil {
		d.tokens = map[string]string{}
	}
	if len(d.order) >= maxRecentDeletes {
		delete(d.tokens, d.order[0])
		d.order = d.order[1:]
	}
	d.tokens[token] = key
	d.order = append(d.order, token)
}
