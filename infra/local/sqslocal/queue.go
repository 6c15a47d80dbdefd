package sqslocal

import (
	"container/heap"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// msgState is where a message currently lives inside its queue.
type msgState uint8

const (
	stateReady    msgState = iota + 1 // in the ready list, receivable
	stateDelayed                      // in the timed heap, never received yet
	stateInflight                     // in the timed heap, received and invisible
	stateGone                         // deleted, expired, purged or moved
)

// links are intrusive list pointers, so list moves cost no allocation.
type links struct{ prev, next *message }

// message is one stored message. Fields above the blank line never change
// after the send and may be read without the queue lock.
type message struct {
	id        string
	body      string
	md5Body   string
	attrs     map[string]attrValue
	md5Attrs  string
	sysAttrs  map[string]attrValue
	md5Sys    string
	groupID   string
	sentAt    time.Time
	dlqSource string // ARN of the queue a redrive moved it from

	seq          uint64 // per queue; identifies it in receipt handles
	receiveCount int
	firstRecv    time.Time
	state        msgState
	visibleAt    time.Time // for stateDelayed and stateInflight
	heapIdx      int
	ready        links // ready list
	all          links // every live message, in enqueue order (retention)
}

// msgList is a doubly linked list threaded through one links field.
type msgList struct {
	head, tail *message
	n          int
	sel        func(*message) *links
}

func (l *msgList) pushBack(m *message) {
	lk := l.sel(m)
	lk.prev, lk.next = l.tail, nil
	if l.tail != nil {
		l.sel(l.tail).next = m
	} else {
		l.head = m
	}
	l.tail = m
	l.n++
}

func (l *msgList) remove(m *message) {
	lk := l.sel(m)
	if lk.prev != nil {
		l.sel(lk.prev).next = lk.next
	} else {
		l.head = lk.next
	}
	if lk.next != nil {
		l.sel(lk.next).prev = lk.prev
	} else {
		l.tail = lk.prev
	}
	lk.prev, lk.next = nil, nil
	l.n--
}

// timedHeap orders delayed and in-flight messages by visibleAt.
type timedHeap []*message

func (h timedHeap) Len() int           { return len(h) }
func (h timedHeap) Less(i, j int) bool { return h[i].visibleAt.Before(h[j].visibleAt) }
func (h timedHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapIdx, h[j].heapIdx = i, j
}
func (h *timedHeap) Push(x any) { m := x.(*message); m.heapIdx = len(*h); *h = append(*h, m) }
func (h *timedHeap) Pop() any {
	old := *h
	m := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	m.heapIdx = -1
	return m
}

// queue is one standard queue. All mutable fields are guarded by mu.
type queue struct {
	name    string
	arn     string
	gen     uint64 // unique per queue instance; stale handles of a re-created queue fail
	created time.Time

	mu       sync.Mutex
	cfg      queueConfig
	modified time.Time
	tags     map[string]string
	deleted  bool
	nextSeq  uint64
	msgs     map[uint64]*message
	readyQ   msgList
	allQ     msgList
	timed    timedHeap
	nDelayed int
	nFlight  int
	waitCh   chan struct{} // closed when a message becomes ready; nil if nobody waits
}

func newQueue(name, arn string, gen uint64, cfg queueConfig, tags map[string]string, now time.Time) *queue {
	q := &queue{name: name, arn: arn, gen: gen, created: now, cfg: cfg, modified: now, tags: tags}
	q.resetLocked()
	return q
}

func (q *queue) resetLocked() {
	q.msgs = make(map[uint64]*message)
	q.readyQ = msgList{sel: func(m *message) *links { return &m.ready }}
	q.allQ = msgList{sel: func(m *message) *links { return &m.all }}
	q.timed = nil
	q.nDelayed, q.nFlight = 0, 0
}

// signalLocked wakes long polls waiting for a message.
func (q *queue) signalLocked() {
	if q.waitCh != nil {
		close(q.waitCh)
		q.waitCh = nil
	}
}

// waitLocked returns a channel closed at the next signal and the time the
// next delayed or in-flight message becomes visible (zero if none).
func (q *queue) waitLocked() (<-chan struct{}, time.Time) {
	if q.waitCh == nil {
		q.waitCh = make(chan struct{})
	}
	var next time.Time
	if len(q.timed) > 0 {
		next = q.timed[0].visibleAt
	}
	return q.waitCh, next
}

func (q *queue) expired(m *message, now time.Time) bool {
	return now.Sub(m.sentAt) >= time.Duration(q.cfg.retention)*time.Second
}

// tickLocked drops messages past the retention period (oldest first, so
// amortised O(1)) and makes delayed and in-flight messages whose time has
// come visible.
func (q *queue) tickLocked(now time.Time) {
	for m := q.allQ.head; m != nil && q.expired(m, now); m = q.allQ.head {
		q.removeLocked(m)
	}
	promoted := false
	for len(q.timed) > 0 && !q.timed[0].visibleAt.After(now) {
		m := heap.Pop(&q.timed).(*message)
		if m.state == stateDelayed {
			q.nDelayed--
		} else {
			q.nFlight--
		}
		m.state = stateReady
		q.readyQ.pushBack(m)
		promoted = true
	}
	if promoted {
		q.signalLocked()
	}
}

// pushTimedLocked adds m to the timed heap. Long polls sleep until the heap's
// earliest time, so they are woken to re-arm when m becomes the earliest.
func (q *queue) pushTimedLocked(m *message) {
	heap.Push(&q.timed, m)
	if m.heapIdx == 0 {
		q.signalLocked()
	}
}

// removeLocked takes m out of the queue for good.
func (q *queue) removeLocked(m *message) {
	switch m.state {
	case stateReady:
		q.readyQ.remove(m)
	case stateDelayed:
		heap.Remove(&q.timed, m.heapIdx)
		q.nDelayed--
	case stateInflight:
		heap.Remove(&q.timed, m.heapIdx)
		q.nFlight--
	default:
		return
	}
	q.allQ.remove(m)
	delete(q.msgs, m.seq)
	m.state = stateGone
}

// enqueueLocked adds m, visible after delay. m's per-queue fields are reset,
// so a message moved by a redrive gets a new sequence number here.
func (q *queue) enqueueLocked(m *message, delay time.Duration, now time.Time) {
	q.nextSeq++
	m.seq = q.nextSeq
	m.ready, m.all = links{}, links{}
	q.msgs[m.seq] = m
	q.allQ.pushBack(m)
	if delay > 0 {
		m.state = stateDelayed
		m.visibleAt = now.Add(delay)
		q.pushTimedLocked(m)
		q.nDelayed++
		return
	}
	m.state = stateReady
	q.readyQ.pushBack(m)
	q.signalLocked()
}

// delivery is what one receive hands out, copied under the lock because
// the message may be received again as soon as the lock is released.
type delivery struct {
	m            *message
	handle       string
	receiveCount int
	firstRecv    time.Time
}

// receiveLocked takes up to max visible messages and makes them invisible
// for vis. When redrive is true, messages that have already been received
// maxReceiveCount times are removed and returned in moved instead, for the
// caller to put in the dead-letter queue.
func (q *queue) receiveLocked(now time.Time, max int, vis time.Duration, redrive bool) (out []delivery, moved []*message) {
	q.tickLocked(now)
	for len(out) < max && q.readyQ.head != nil {
		m := q.readyQ.head
		if q.expired(m, now) {
			q.removeLocked(m)
			continue
		}
		if redrive && m.receiveCount >= q.cfg.redrive.maxReceiveCount {
			q.removeLocked(m)
			moved = append(moved, m)
			continue
		}
		q.readyQ.remove(m)
		m.receiveCount++
		if m.firstRecv.IsZero() {
			m.firstRecv = now
		}
		m.state = stateInflight
		m.visibleAt = now.Add(vis)
		q.pushTimedLocked(m)
		q.nFlight++
		out = append(out, delivery{m: m, handle: q.handle(m), receiveCount: m.receiveCount, firstRecv: m.firstRecv})
	}
	return out, moved
}

// Receipt handles encode the queue instance, the message and its receive
// count, so a handle changes on every receive and an older one is
// recognisably stale.
func (q *queue) handle(m *message) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "sqslocal:%d:%d:%d", q.gen, m.seq, m.receiveCount))
}

type parsedHandle struct {
	gen, seq uint64
	count    int
}

func parseHandle(h string) (parsedHandle, bool) {
	b, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		return parsedHandle{}, false
	}
	parts := strings.Split(string(b), ":")
	if len(parts) != 4 || parts[0] != "sqslocal" {
		return parsedHandle{}, false
	}
	var p parsedHandle
	var e1, e2, e3 error
	p.gen, e1 = strconv.ParseUint(parts[1], 10, 64)
	p.seq, e2 = strconv.ParseUint(parts[2], 10, 64)
	p.count, e3 = strconv.Atoi(parts[3])
	return p, e1 == nil && e2 == nil && e3 == nil
}

// lookupLocked resolves a receipt handle. It fails with ReceiptHandleIsInvalid
// for a handle this queue did not issue; m is nil when the message is gone,
// and current is false when the message has been received again since.
func (q *queue) lookupLocked(h string) (m *message, current bool, err *APIError) {
	p, ok := parseHandle(h)
	if !ok || p.gen != q.gen || p.seq == 0 || p.seq > q.nextSeq {
		return nil, false, errReceiptHandleInvalid(h)
	}
	m = q.msgs[p.seq]
	if m == nil {
		return nil, false, nil
	}
	return m, m.receiveCount == p.count, nil
}

// deleteLocked implements DeleteMessage: a gone message or a stale handle
// succeed without effect, as SQS documents.
func (q *queue) deleteLocked(h string) *APIError {
	m, current, err := q.lookupLocked(h)
	if err != nil {
		return err
	}
	if m != nil && current {
		q.removeLocked(m)
	}
	return nil
}

// changeVisibilityLocked implements ChangeMessageVisibility.
func (q *queue) changeVisibilityLocked(h string, vis int, now time.Time) *APIError {
	m, current, err := q.lookupLocked(h)
	if err != nil {
		return err
	}
	if m == nil || !current {
		return errReceiptHandleExpired(h)
	}
	if vis < 0 || vis > maxVisibility {
		return errInvalidParameter("Value %d for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200.", vis)
	}
	if m.state != stateInflight || !m.visibleAt.After(now) {
		return errMessageNotInflight()
	}
	m.visibleAt = now.Add(time.Duration(vis) * time.Second)
	heap.Fix(&q.timed, m.heapIdx)
	if vis == 0 {
		q.tickLocked(now)
	} else if m.heapIdx == 0 {
		q.signalLocked() // long polls re-arm their timers
	}
	return nil
}

// counts returns ApproximateNumberOfMessages, ...NotVisible and ...Delayed.
func (q *queue) countsLocked(now time.Time) (visible, inflight, delayed int) {
	q.tickLocked(now)
	return q.readyQ.n, q.nFlight, q.nDelayed
}
