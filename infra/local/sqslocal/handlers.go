package sqslocal

import (
	"encoding/base64"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// handlerFunc implements one operation: it decodes the JSON request body and
// returns a value to encode as the JSON response, or an error.
type handlerFunc func(rc *request, body []byte) (any, *APIError)

var handlers map[string]handlerFunc

func init() {
	handlers = map[string]handlerFunc{
		"CreateQueue":                  (*request).createQueue,
		"GetQueueUrl":                  (*request).getQueueURL,
		"ListQueues":                   (*request).listQueues,
		"GetQueueAttributes":           (*request).getQueueAttributes,
		"SetQueueAttributes":           (*request).setQueueAttributes,
		"DeleteQueue":                  (*request).deleteQueue,
		"PurgeQueue":                   (*request).purgeQueue,
		"TagQueue":                     (*request).tagQueue,
		"UntagQueue":                   (*request).untagQueue,
		"ListQueueTags":                (*request).listQueueTags,
		"ListDeadLetterSourceQueues":   (*request).listDeadLetterSourceQueues,
		"SendMessage":                  (*request).sendMessage,
		"SendMessageBatch":             (*request).sendMessageBatch,
		"ReceiveMessage":               (*request).receiveMessage,
		"DeleteMessage":                (*request).deleteMessage,
		"DeleteMessageBatch":           (*request).deleteMessageBatch,
		"ChangeMessageVisibility":      (*request).changeMessageVisibility,
		"ChangeMessageVisibilityBatch": (*request).changeMessageVisibilityBatch,
	}
}

type empty struct{}

type queueURLOut struct {
	QueueUrl string
}

var (
	queueNameRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)
	batchIDRe   = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)
)

// queueLocked resolves the request's QueueUrl and returns the queue locked;
// the caller must unlock it.
func (rc *request) queueLocked(rawURL *string) (*queue, *APIError) {
	q, err := rc.s.queueByURL(rawURL)
	if err != nil {
		return nil, err
	}
	q.mu.Lock()
	if q.deleted {
		q.mu.Unlock()
		return nil, errQueueDoesNotExist()
	}
	return q, nil
}

func (rc *request) dlqExists(arn string) bool { return rc.s.queueByArn(arn) != nil }

// ---- queues ----

func (rc *request) createQueue(body []byte) (any, *APIError) {
	var in struct {
		QueueName  *string
		Attributes map[string]string
		Tags       map[string]string `json:"tags"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.QueueName == nil {
		return nil, errMissingParameter("QueueName")
	}
	name := *in.QueueName
	if strings.HasSuffix(name, ".fifo") {
		return nil, errUnsupported("sqslocal supports standard queues only; FIFO queue %q is not implemented.", name)
	}
	if !queueNameRe.MatchString(name) {
		return nil, errInvalidParameter("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
	}
	cfg := defaultConfig()
	if err := cfg.applyAttributes(in.Attributes, rc.dlqExists); err != nil {
		return nil, err
	}
	for {
		rc.s.mu.Lock()
		q := rc.s.queues[name]
		if q == nil {
			tags := maps.Clone(in.Tags)
			if tags == nil {
				tags = map[string]string{}
			}
			q = newQueue(name, rc.s.arn(name), rc.s.gen.Add(1), cfg, tags, time.Now())
			rc.s.queues[name] = q
			rc.s.mu.Unlock()
			return queueURLOut{rc.queueURL(q)}, nil
		}
		rc.s.mu.Unlock()
		// Like SQS: the same name with the same values for the given
		// attributes returns the existing queue; different values fail.
		q.mu.Lock()
		if q.deleted {
			q.mu.Unlock()
			continue // raced with DeleteQueue; create anew
		}
		want := q.cfg
		want.applyAttributes(in.Attributes, nil) // validated above
		same := want == q.cfg
		q.mu.Unlock()
		if !same {
			return nil, errQueueNameExists(name)
		}
		return queueURLOut{rc.queueURL(q)}, nil
	}
}

func (rc *request) getQueueURL(body []byte) (any, *APIError) {
	var in struct {
		QueueName              *string
		QueueOwnerAWSAccountId *string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.QueueName == nil {
		return nil, errMissingParameter("QueueName")
	}
	if in.QueueOwnerAWSAccountId != nil && *in.QueueOwnerAWSAccountId != rc.s.accountID {
		return nil, errQueueDoesNotExist()
	}
	q, err := rc.s.queueByName(*in.QueueName)
	if err != nil {
		return nil, err
	}
	return queueURLOut{rc.queueURL(q)}, nil
}

// sortedQueues returns the queues whose name has prefix, by name.
func (s *Server) sortedQueues(prefix string) []*queue {
	s.mu.RLock()
	qs := make([]*queue, 0, len(s.queues))
	for name, q := range s.queues {
		if strings.HasPrefix(name, prefix) {
			qs = append(qs, q)
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(qs, func(a, b *queue) int { return strings.Compare(a.name, b.name) })
	return qs
}

// paginate applies MaxResults / NextToken (an opaque form of the last name
// returned) to qs. Without MaxResults SQS returns up to 1,000 and no token.
func paginate(qs []*queue, maxResults *int32, token *string) ([]*queue, *string, *APIError) {
	if token != nil && *token != "" {
		last, err := base64.RawURLEncoding.DecodeString(*token)
		if err != nil {
			return nil, nil, errInvalidParameter("Invalid NextToken value.")
		}
		i, _ := slices.BinarySearchFunc(qs, string(last), func(q *queue, name string) int { return strings.Compare(q.name, name) })
		for i < len(qs) && qs[i].name <= string(last) {
			i++
		}
		qs = qs[i:]
	}
	limit := 1000
	if maxResults != nil {
		if *maxResults < 1 || *maxResults > 1000 {
			return nil, nil, errInvalidParameter("Value %d for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.", *maxResults)
		}
		limit = int(*maxResults)
	}
	if len(qs) <= limit {
		return qs, nil, nil
	}
	qs = qs[:limit]
	if maxResults == nil {
		return qs, nil, nil
	}
	next := base64.RawURLEncoding.EncodeToString([]byte(qs[len(qs)-1].name))
	return qs, &next, nil
}

func (rc *request) listQueues(body []byte) (any, *APIError) {
	var in struct {
		QueueNamePrefix *string
		MaxResults      *int32
		NextToken       *string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	qs, next, err := paginate(rc.s.sortedQueues(derefString(in.QueueNamePrefix)), in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := struct {
		QueueUrls []string `json:",omitempty"`
		NextToken *string  `json:",omitempty"`
	}{NextToken: next}
	for _, q := range qs {
		out.QueueUrls = append(out.QueueUrls, rc.queueURL(q))
	}
	return out, nil
}

func (rc *request) getQueueAttributes(body []byte) (any, *APIError) {
	var in struct {
		QueueUrl       *string
		AttributeNames []string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	for _, n := range in.AttributeNames {
		if !knownQueueAttributes[n] {
			return nil, errInvalidAttributeName(n)
		}
	}
	q, err := rc.queueLocked(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	visible, inflight, delayed := q.countsLocked(time.Now())
	all := q.cfg.configAttributes()
	created, modified := q.created, q.modified
	q.mu.Unlock()
	all["ApproximateNumberOfMessages"] = strconv.Itoa(visible)
	all["ApproximateNumberOfMessagesNotVisible"] = strconv.Itoa(inflight)
	all["ApproximateNumberOfMessagesDelayed"] = strconv.Itoa(delayed)
	all["QueueArn"] = q.arn
	all["CreatedTimestamp"] = strconv.FormatInt(created.Unix(), 10)
	all["LastModifiedTimestamp"] = strconv.FormatInt(modified.Unix(), 10)

	out := struct {
		Attributes map[string]string `json:",omitempty"`
	}{}
	if slices.Contains(in.AttributeNames, "All") {
		out.Attributes = all
		return out, nil
	}
	for _, n := range in.AttributeNames {
		if v, ok := all[n]; ok {
			if out.Attributes == nil {
				out.Attributes = map[string]string{}
			}
			out.Attributes[n] = v
		}
	}
	return out, nil
}

func (rc *request) setQueueAttributes(body []byte) (any, *APIError) {
	var in struct {
		QueueUrl   *string
		Attributes map[string]string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if _, err := rc.s.queueByURL(in.QueueUrl); err != nil {
		return nil, err
	}
	// Validate first, without the queue lock: checking a dead-letter
	// target takes the server lock.
	scratch := defaultConfig()
	if err := scratch.applyAttributes(in.Attributes, rc.dlqExists); err != nil {
		return nil, err
	}
	q, err := rc.queueLocked(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	defer q.mu.Unlock()
	q.cfg.applyAttributes(in.Attributes, nil)
	q.modified = time.Now()
	q.signalLocked() // long polls re-read the queue settings
	return empty{}, nil
}

func (rc *request) deleteQueue(body []byte) (any, *APIError) {
	var in struct{ QueueUrl *string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	q, err := rc.s.queueByURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	rc.s.mu.Lock()
	if rc.s.queues[q.name] == q {
		delete(rc.s.queues, q.name)
	}
	rc.s.mu.Unlock()
	q.mu.Lock()
	q.deleted = true
	q.resetLocked()
	q.signalLocked()
	q.mu.Unlock()
	return empty{}, nil
}

func (rc *request) purgeQueue(body []byte) (any, *APIError) {
	var in struct{ QueueUrl *string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	q, err := rc.queueLocked(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	for m := range maps.Values(q.msgs) {
		m.state = stateGone
	}
	q.resetLocked()
	q.mu.Unlock()
	return empty{}, nil
}

func (rc *request) tagQueue(body []byte) (any, *APIError) {
	var in struct {
		QueueUrl *string
		Tags     map[string]string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	q, err := rc.queueLocked(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	maps.Copy(q.tags, in.Tags)
	q.mu.Unlock()
	return empty{}, nil
}

func (rc *request) untagQueue(body []byte) (any, *APIError) {
	var in struct {
		QueueUrl *string
		TagKeys  []string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	q, err := rc.queueLocked(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	for _, k := range in.TagKeys {
		delete(q.tags, k)
	}
	q.mu.Unlock()
	return empty{}, nil
}

func (rc *request) listQueueTags(body []byte) (any, *APIError) {
	var in struct{ QueueUrl *string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	q, err := rc.queueLocked(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	tags := maps.Clone(q.tags)
	q.mu.Unlock()
	return struct {
		Tags map[string]string `json:",omitempty"`
	}{tags}, nil
}

func (rc *request) listDeadLetterSourceQueues(body []byte) (any, *APIError) {
	var in struct {
		QueueUrl   *string
		MaxResults *int32
		NextToken  *string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	target, err := rc.s.queueByURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	var sources []*queue
	for _, q := range rc.s.sortedQueues("") {
		q.mu.Lock()
		if q.cfg.redrive.dlqArn == target.arn {
			sources = append(sources, q)
		}
		q.mu.Unlock()
	}
	sources, next, err := paginate(sources, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := struct {
		QueueUrls []string `json:"queueUrls"`
		NextToken *string  `json:",omitempty"`
	}{QueueUrls: []string{}, NextToken: next}
	for _, q := range sources {
		out.QueueUrls = append(out.QueueUrls, rc.queueURL(q))
	}
	return out, nil
}

// ---- messages ----

// sendEntry is the body of SendMessage and one entry of SendMessageBatch.
type sendEntry struct {
	Id                      *string
	MessageBody             *string
	DelaySeconds            *int32
	MessageAttributes       map[string]attrValue
	MessageSystemAttributes map[string]attrValue
	MessageDeduplicationId  *string
	MessageGroupId          *string
}

// rawSize is the size SQS counts for a batch-length check, before validation.
func (e *sendEntry) rawSize() int {
	n := len(derefString(e.MessageBody))
	for k, a := range e.MessageAttributes {
		n += len(k) + len(a.DataType) + len(derefString(a.StringValue)) + len(a.BinaryValue)
	}
	return n
}

// prepareMessage validates e against the queue settings cfg and builds the
// message to store with its delay.
func prepareMessage(e *sendEntry, cfg queueConfig, now time.Time) (*message, time.Duration, *APIError) {
	if e.MessageBody == nil || *e.MessageBody == "" {
		return nil, 0, errMissingParameter("MessageBody")
	}
	body := *e.MessageBody
	if !validChars(body) {
		return nil, 0, errInvalidMessageContents()
	}
	delay := cfg.delay
	if e.DelaySeconds != nil {
		d := int(*e.DelaySeconds)
		if d < 0 || d > maxDelay {
			return nil, 0, errInvalidParameter("Value %d for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.", d)
		}
		delay = d
	}
	if e.MessageDeduplicationId != nil {
		return nil, 0, errInvalidParameter("The request include parameter MessageDeduplicationId which is not valid for this queue type")
	}
	attrSize, err := validateMessageAttributes(e.MessageAttributes)
	if err != nil {
		return nil, 0, err
	}
	if err := validateSystemAttributes(e.MessageSystemAttributes); err != nil {
		return nil, 0, err
	}
	size := len(body) + attrSize
	if size > cfg.maxMessageSize {
		return nil, 0, errInvalidParameter("One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", cfg.maxMessageSize)
	}
	m := &message{
		id:       newUUID(),
		body:     body,
		md5Body:  md5Hex(body),
		attrs:    e.MessageAttributes,
		md5Attrs: md5OfAttributes(e.MessageAttributes, nil),
		sysAttrs: e.MessageSystemAttributes,
		md5Sys:   md5OfAttributes(e.MessageSystemAttributes, nil),
		groupID:  derefString(e.MessageGroupId),
		sentAt:   now,
	}
	return m, time.Duration(delay) * time.Second, nil
}

type sendResult struct {
	Id                           string `json:",omitempty"`
	MessageId                    string
	MD5OfMessageBody             string
	MD5OfMessageAttributes       string `json:",omitempty"`
	MD5OfMessageSystemAttributes string `json:",omitempty"`
}

func resultOf(m *message) sendResult {
	return sendResult{MessageId: m.id, MD5OfMessageBody: m.md5Body, MD5OfMessageAttributes: m.md5Attrs, MD5OfMessageSystemAttributes: m.md5Sys}
}

// batchError is a BatchResultErrorEntry: one failed entry of a batch call.
type batchError struct {
	Id          string
	SenderFault bool
	Code        string
	Message     string
}

func entryError(id string, e *APIError) batchError {
	return batchError{Id: id, SenderFault: !e.Receiver, Code: e.code(), Message: e.Message}
}

// configOf snapshots the queue settings so validation can run unlocked.
func (rc *request) configOf(rawURL *string) (*queue, queueConfig, *APIError) {
	q, err := rc.queueLocked(rawURL)
	if err != nil {
		return nil, queueConfig{}, err
	}
	cfg := q.cfg
	q.mu.Unlock()
	return q, cfg, nil
}

func (rc *request) sendMessage(body []byte) (any, *APIError) {
	var in struct {
		QueueUrl *string
		sendEntry
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	q, cfg, err := rc.configOf(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	m, delay, err := prepareMessage(&in.sendEntry, cfg, now)
	if err != nil {
		return nil, err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.deleted {
		return nil, errQueueDoesNotExist()
	}
	q.enqueueLocked(m, delay, now)
	return resultOf(m), nil
}

// checkBatchIDs applies the whole-request checks SQS makes on batch entries.
func checkBatchIDs(ids []*string) *APIError {
	if len(ids) == 0 {
		return errEmptyBatch()
	}
	if len(ids) > maxBatchEntries {
		return errTooManyEntries(len(ids))
	}
	seen := make(map[string]bool, len(ids))
	for _, p := range ids {
		if p == nil {
			return errMissingParameter("Id")
		}
		if !batchIDRe.MatchString(*p) {
			return errInvalidBatchEntryID(*p)
		}
		if seen[*p] {
			return errIdsNotDistinct(*p)
		}
		seen[*p] = true
	}
	return nil
}

func (rc *request) sendMessageBatch(body []byte) (any, *APIError) {
	var in struct {
		QueueUrl *string
		Entries  []sendEntry
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	q, cfg, err := rc.configOf(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	ids := make([]*string, len(in.Entries))
	total := 0
	for i := range in.Entries {
		ids[i] = in.Entries[i].Id
		total += in.Entries[i].rawSize()
	}
	if err := checkBatchIDs(ids); err != nil {
		return nil, err
	}
	if total > maxMessageSize {
		return nil, errBatchTooLong(total, maxMessageSize)
	}
	now := time.Now()
	type accepted struct {
		id    string
		m     *message
		delay time.Duration
	}
	var ok []accepted
	out := struct {
		Successful []sendResult
		Failed     []batchError
	}{Successful: []sendResult{}, Failed: []batchError{}}
	for i := range in.Entries {
		id := *in.Entries[i].Id
		m, delay, err := prepareMessage(&in.Entries[i], cfg, now)
		if err != nil {
			out.Failed = append(out.Failed, entryError(id, err))
			continue
		}
		ok = append(ok, accepted{id, m, delay})
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.deleted {
		return nil, errQueueDoesNotExist()
	}
	for _, a := range ok {
		q.enqueueLocked(a.m, a.delay, now)
		r := resultOf(a.m)
		r.Id = a.id
		out.Successful = append(out.Successful, r)
	}
	return out, nil
}

// nameFilter selects attributes by the names a ReceiveMessage asks for:
// "All" or ".*" for all, "prefix.*" for a prefix, or exact names.
type nameFilter struct {
	all      bool
	exact    map[string]bool
	prefixes []string
}

func newNameFilter(lists ...[]string) nameFilter {
	f := nameFilter{exact: map[string]bool{}}
	for _, l := range lists {
		for _, n := range l {
			switch {
			case n == "All" || n == ".*":
				f.all = true
			case strings.HasSuffix(n, ".*"):
				f.prefixes = append(f.prefixes, strings.TrimSuffix(n, "*"))
			default:
				f.exact[n] = true
			}
		}
	}
	return f
}

func (f nameFilter) match(name string) bool {
	if f.all || f.exact[name] {
		return true
	}
	for _, p := range f.prefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

func (f nameFilter) none() bool { return !f.all && len(f.exact) == 0 && len(f.prefixes) == 0 }

type outMessage struct {
	MessageId              string
	ReceiptHandle          string
	MD5OfBody              string
	Body                   string
	Attributes             map[string]string    `json:",omitempty"`
	MD5OfMessageAttributes string               `json:",omitempty"`
	MessageAttributes      map[string]attrValue `json:",omitempty"`
}

func (rc *request) render(d delivery, sys, user nameFilter) outMessage {
	m := d.m
	o := outMessage{MessageId: m.id, ReceiptHandle: d.handle, MD5OfBody: m.md5Body, Body: m.body}
	if !sys.none() {
		a := map[string]string{}
		put := func(name, v string) {
			if v != "" && sys.match(name) {
				a[name] = v
			}
		}
		put("SenderId", rc.s.accountID)
		put("SentTimestamp", millis(m.sentAt))
		put("ApproximateReceiveCount", strconv.Itoa(d.receiveCount))
		put("ApproximateFirstReceiveTimestamp", millis(d.firstRecv))
		put("DeadLetterQueueSourceArn", m.dlqSource)
		put("MessageGroupId", m.groupID)
		if t, ok := m.sysAttrs["AWSTraceHeader"]; ok {
			put("AWSTraceHeader", derefString(t.StringValue))
		}
		if len(a) > 0 {
			o.Attributes = a
		}
	}
	if len(m.attrs) > 0 && !user.none() {
		if user.all {
			o.MessageAttributes, o.MD5OfMessageAttributes = m.attrs, m.md5Attrs
		} else {
			sel := map[string]attrValue{}
			for k, v := range m.attrs {
				if user.match(k) {
					sel[k] = v
				}
			}
			if len(sel) > 0 {
				// The digest covers the attributes returned, which is
				// what SDKs that check it recompute.
				o.MessageAttributes, o.MD5OfMessageAttributes = sel, md5OfAttributes(sel, nil)
			}
		}
	}
	return o
}

func (rc *request) receiveMessage(body []byte) (any, *APIError) {
	var in struct {
		QueueUrl                    *string
		AttributeNames              []string
		MessageSystemAttributeNames []string
		MessageAttributeNames       []string
		MaxNumberOfMessages         *int32
		VisibilityTimeout           *int32
		WaitTimeSeconds             *int32
		ReceiveRequestAttemptId     *string // FIFO only; ignored
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	max := 1
	if in.MaxNumberOfMessages != nil {
		max = int(*in.MaxNumberOfMessages)
		if max < 1 || max > 10 {
			return nil, errInvalidParameter("Value %d for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.", max)
		}
	}
	if v := in.VisibilityTimeout; v != nil && (*v < 0 || *v > maxVisibility) {
		return nil, errInvalidParameter("Value %d for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200, if provided.", *v)
	}
	if w := in.WaitTimeSeconds; w != nil && (*w < 0 || *w > maxWait) {
		return nil, errInvalidParameter("Value %d for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.", *w)
	}
	sys := newNameFilter(in.AttributeNames, in.MessageSystemAttributeNames)
	user := newNameFilter(in.MessageAttributeNames)

	q, err := rc.s.queueByURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	var deadline time.Time
	for {
		now := time.Now()
		q.mu.Lock()
		if q.deleted {
			q.mu.Unlock()
			return nil, errQueueDoesNotExist()
		}
		if deadline.IsZero() {
			wait := q.cfg.receiveWait
			if in.WaitTimeSeconds != nil {
				wait = int(*in.WaitTimeSeconds)
			}
			deadline = start.Add(time.Duration(wait) * time.Second)
		}
		vis := q.cfg.visibilityTimeout
		if in.VisibilityTimeout != nil {
			vis = int(*in.VisibilityTimeout)
		}
		dlqArn := q.cfg.redrive.dlqArn
		// s.mu is a leaf lock, so looking the target up here is safe.
		redrive := dlqArn != "" && dlqArn != q.arn && rc.s.queueByArn(dlqArn) != nil
		got, moved := q.receiveLocked(now, max, time.Duration(vis)*time.Second, redrive)
		var wake <-chan struct{}
		var next time.Time
		waiting := len(got) == 0 && len(moved) == 0 && now.Before(deadline)
		if waiting {
			wake, next = q.waitLocked()
		}
		q.mu.Unlock()

		if len(moved) > 0 {
			rc.s.moveToDLQ(q, dlqArn, moved, now)
		}
		if len(got) > 0 {
			out := struct{ Messages []outMessage }{make([]outMessage, len(got))}
			for i, d := range got {
				out.Messages[i] = rc.render(d, sys, user)
			}
			return out, nil
		}
		if len(moved) > 0 {
			continue // more messages may be visible behind the moved ones
		}
		if !waiting {
			return empty{}, nil
		}
		until := deadline
		if !next.IsZero() && next.Before(until) {
			until = next
		}
		timer := time.NewTimer(time.Until(until))
		select {
		case <-wake:
		case <-timer.C:
		case <-rc.ctx.Done():
			timer.Stop()
			return empty{}, nil
		case <-rc.s.closed:
			timer.Stop()
			return empty{}, nil
		}
		timer.Stop()
	}
}

// moveToDLQ puts messages a redrive took from src into the dead-letter
// queue. Queue locks are never nested, so this runs after src is unlocked;
// if the dead-letter queue vanished meanwhile the messages go back to src.
func (s *Server) moveToDLQ(src *queue, dlqArn string, msgs []*message, now time.Time) {
	if dlq := s.queueByArn(dlqArn); dlq != nil {
		dlq.mu.Lock()
		if !dlq.deleted {
			for _, m := range msgs {
				m.dlqSource = src.arn
				dlq.enqueueLocked(m, 0, now)
			}
			dlq.mu.Unlock()
			return
		}
		dlq.mu.Unlock()
	}
	src.mu.Lock()
	defer src.mu.Unlock()
	if !src.deleted {
		for _, m := range msgs {
			src.enqueueLocked(m, 0, now)
		}
	}
}

func (rc *request) deleteMessage(body []byte) (any, *APIError) {
	var in struct {
		QueueUrl      *string
		ReceiptHandle *string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.ReceiptHandle == nil {
		return nil, errMissingParameter("ReceiptHandle")
	}
	q, err := rc.queueLocked(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	defer q.mu.Unlock()
	if err := q.deleteLocked(*in.ReceiptHandle); err != nil {
		return nil, err
	}
	return empty{}, nil
}

type batchIDResult struct{ Id string }

type batchOut struct {
	Successful []batchIDResult
	Failed     []batchError
}

// runBatch applies fn to each entry of a DeleteMessageBatch or
// ChangeMessageVisibilityBatch under one queue lock.
func (rc *request) runBatch(rawURL *string, ids []*string, fn func(q *queue, i int, now time.Time) *APIError) (any, *APIError) {
	q, err := rc.queueLocked(rawURL)
	if err != nil {
		return nil, err
	}
	defer q.mu.Unlock()
	if err := checkBatchIDs(ids); err != nil {
		return nil, err
	}
	now := time.Now()
	out := batchOut{Successful: []batchIDResult{}, Failed: []batchError{}}
	for i, id := range ids {
		if err := fn(q, i, now); err != nil {
			out.Failed = append(out.Failed, entryError(*id, err))
		} else {
			out.Successful = append(out.Successful, batchIDResult{*id})
		}
	}
	return out, nil
}

func (rc *request) deleteMessageBatch(body []byte) (any, *APIError) {
	var in struct {
		QueueUrl *string
		Entries  []struct {
			Id            *string
			ReceiptHandle *string
		}
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	ids := make([]*string, len(in.Entries))
	for i, e := range in.Entries {
		ids[i] = e.Id
	}
	return rc.runBatch(in.QueueUrl, ids, func(q *queue, i int, _ time.Time) *APIError {
		h := in.Entries[i].ReceiptHandle
		if h == nil {
			return errMissingParameter("ReceiptHandle")
		}
		return q.deleteLocked(*h)
	})
}

func (rc *request) changeMessageVisibility(body []byte) (any, *APIError) {
	var in struct {
		QueueUrl          *string
		ReceiptHandle     *string
		VisibilityTimeout *int32
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.ReceiptHandle == nil {
		return nil, errMissingParameter("ReceiptHandle")
	}
	if in.VisibilityTimeout == nil {
		return nil, errMissingParameter("VisibilityTimeout")
	}
	q, err := rc.queueLocked(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	defer q.mu.Unlock()
	if err := q.changeVisibilityLocked(*in.ReceiptHandle, int(*in.VisibilityTimeout), time.Now()); err != nil {
		return nil, err
	}
	return empty{}, nil
}

func (rc *request) changeMessageVisibilityBatch(body []byte) (any, *APIError) {
	var in struct {
		QueueUrl *string
		Entries  []struct {
			Id                *string
			ReceiptHandle     *string
			VisibilityTimeout *int32
		}
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	ids := make([]*string, len(in.Entries))
	for i, e := range in.Entries {
		ids[i] = e.Id
	}
	return rc.runBatch(in.QueueUrl, ids, func(q *queue, i int, now time.Time) *APIError {
		e := in.Entries[i]
		if e.ReceiptHandle == nil {
			return errMissingParameter("ReceiptHandle")
		}
		vis := 0
		if e.VisibilityTimeout != nil {
			vis = int(*e.VisibilityTimeout)
		}
		return q.changeVisibilityLocked(*e.ReceiptHandle, vis, now)
	})
}
