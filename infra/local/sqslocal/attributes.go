package sqslocal

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits from the SQS developer guide (the 1 MiB message size applies since
// August 2025 and is the default MaximumMessageSize of new queues).
const (
	maxMessageSize     = 1 << 20 // also the limit on a whole batch
	maxBatchEntries    = 10
	maxMessageAttrs    = 10
	maxVisibility      = 43200
	maxDelay           = 900
	maxWait            = 20
	defaultVisibility  = 30
	defaultRetention   = 345600
	defaultKMSReuse    = 300
	defaultMaxReceives = 10
)

// queueConfig holds the settable attributes of a queue. It is comparable so
// that CreateQueue can tell whether a repeated call asks for the same queue.
type queueConfig struct {
	visibilityTimeout int
	maxMessageSize    int
	retention         int
	delay             int
	receiveWait       int
	redrive           redrivePolicy // zero value: no dead-letter queue
	kmsKeyID          string
	kmsReuse          int // 0: not set
	sseDisabled       bool
	policy            string
	redriveAllow      string
}

type redrivePolicy struct {
	dlqArn          string
	maxReceiveCount int
}

func defaultConfig() queueConfig {
	return queueConfig{
		visibilityTimeout: defaultVisibility,
		maxMessageSize:    maxMessageSize,
		retention:         defaultRetention,
	}
}

// intRange lists the integer queue attributes and their valid ranges.
var intRange = map[string][2]int{
	"VisibilityTimeout":             {0, maxVisibility},
	"MaximumMessageSize":            {1024, maxMessageSize},
	"MessageRetentionPeriod":        {60, 1209600},
	"DelaySeconds":                  {0, maxDelay},
	"ReceiveMessageWaitTimeSeconds": {0, maxWait},
	"KmsDataKeyReusePeriodSeconds":  {60, 86400},
}

// applyAttributes sets the given queue attributes on c. dlqExists reports
// whether a dead-letter target ARN names an existing queue.
func (c *queueConfig) applyAttributes(attrs map[string]string, dlqExists func(arn string) bool) *APIError {
	// Validate in a stable order so errors are deterministic.
	names := make([]string, 0, len(attrs))
	for k := range attrs {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, name := range names {
		v := attrs[name]
		if r, ok := intRange[name]; ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < r[0] || n > r[1] {
				return errInvalidAttributeValue("Invalid value for the parameter %s.", name)
			}
			switch name {
			case "VisibilityTimeout":
				c.visibilityTimeout = n
			case "MaximumMessageSize":
				c.maxMessageSize = n
			case "MessageRetentionPeriod":
				c.retention = n
			case "DelaySeconds":
				c.delay = n
			case "ReceiveMessageWaitTimeSeconds":
				c.receiveWait = n
			case "KmsDataKeyReusePeriodSeconds":
				c.kmsReuse = n
			}
			continue
		}
		switch name {
		case "RedrivePolicy":
			rp, err := parseRedrivePolicy(v, dlqExists)
			if err != nil {
				return err
			}
			c.redrive = rp
		case "KmsMasterKeyId":
			c.kmsKeyID = v
		case "SqsManagedSseEnabled":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return errInvalidAttributeValue("Invalid value for the parameter SqsManagedSseEnabled.")
			}
			c.sseDisabled = !b
		case "Policy":
			c.policy = v
		case "RedriveAllowPolicy":
			c.redriveAllow = v
		case "FifoQueue":
			if b, _ := strconv.ParseBool(v); b {
				return errUnsupported("sqslocal supports standard queues only; FIFO queues are not implemented.")
			}
		default:
			// Includes the read-only attributes and the FIFO-only ones
			// (ContentBasedDeduplication, DeduplicationScope,
			// FifoThroughputLimit), which SQS rejects on standard queues.
			return errInvalidAttributeName(name)
		}
	}
	return nil
}

func parseRedrivePolicy(v string, dlqExists func(string) bool) (redrivePolicy, *APIError) {
	if strings.TrimSpace(v) == "" {
		return redrivePolicy{}, nil
	}
	var raw struct {
		DeadLetterTargetArn string          `json:"deadLetterTargetArn"`
		MaxReceiveCount     json.RawMessage `json:"maxReceiveCount"`
	}
	bad := func(reason string) *APIError {
		return errInvalidParameter("Value %s for parameter RedrivePolicy is invalid. Reason: %s", v, reason)
	}
	if err := json.Unmarshal([]byte(v), &raw); err != nil {
		return redrivePolicy{}, bad("Redrive policy is not a valid JSON map.")
	}
	if raw.DeadLetterTargetArn == "" {
		return redrivePolicy{}, bad("Redrive policy does not contain mandatory attribute: deadLetterTargetArn.")
	}
	rp := redrivePolicy{dlqArn: raw.DeadLetterTargetArn, maxReceiveCount: defaultMaxReceives}
	if len(raw.MaxReceiveCount) > 0 {
		// SQS accepts the count as a JSON number or a string.
		s := strings.Trim(string(raw.MaxReceiveCount), `"`)
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			return redrivePolicy{}, bad("Invalid value for maxReceiveCount: " + s + ", valid values are from 1 to 1000 both inclusive.")
		}
		rp.maxReceiveCount = n
	}
	if strings.HasSuffix(rp.dlqArn, ".fifo") {
		return redrivePolicy{}, bad("Dead-letter queue and source queue must be of the same type.")
	}
	if dlqExists != nil && !dlqExists(rp.dlqArn) {
		return redrivePolicy{}, bad("Dead letter target does not exist.")
	}
	return rp, nil
}

// String renders the policy the way GetQueueAttributes reports it.
func (r redrivePolicy) String() string {
	b, _ := json.Marshal(struct {
		DeadLetterTargetArn string `json:"deadLetterTargetArn"`
		MaxReceiveCount     int    `json:"maxReceiveCount"`
	}{r.dlqArn, r.maxReceiveCount})
	return string(b)
}

// knownQueueAttributes are the names GetQueueAttributes accepts; FIFO-only
// names are accepted and reported as absent, as SQS does for standard queues.
var knownQueueAttributes = map[string]bool{
	"All": true, "ApproximateNumberOfMessages": true, "ApproximateNumberOfMessagesDelayed": true,
	"ApproximateNumberOfMessagesNotVisible": true, "CreatedTimestamp": true, "DelaySeconds": true,
	"LastModifiedTimestamp": true, "MaximumMessageSize": true, "MessageRetentionPeriod": true,
	"Policy": true, "QueueArn": true, "ReceiveMessageWaitTimeSeconds": true, "RedrivePolicy": true,
	"RedriveAllowPolicy": true, "VisibilityTimeout": true, "KmsMasterKeyId": true,
	"KmsDataKeyReusePeriodSeconds": true, "SqsManagedSseEnabled": true, "FifoQueue": true,
	"ContentBasedDeduplication": true, "DeduplicationScope": true, "FifoThroughputLimit": true,
}

// configAttributes returns the reportable attributes derived from c.
func (c *queueConfig) configAttributes() map[string]string {
	m := map[string]string{
		"VisibilityTimeout":             strconv.Itoa(c.visibilityTimeout),
		"MaximumMessageSize":            strconv.Itoa(c.maxMessageSize),
		"MessageRetentionPeriod":        strconv.Itoa(c.retention),
		"DelaySeconds":                  strconv.Itoa(c.delay),
		"ReceiveMessageWaitTimeSeconds": strconv.Itoa(c.receiveWait),
		"SqsManagedSseEnabled":          strconv.FormatBool(!c.sseDisabled && c.kmsKeyID == ""),
	}
	if c.redrive.dlqArn != "" {
		m["RedrivePolicy"] = c.redrive.String()
	}
	if c.kmsKeyID != "" {
		m["KmsMasterKeyId"] = c.kmsKeyID
		reuse := c.kmsReuse
		if reuse == 0 {
			reuse = defaultKMSReuse
		}
		m["KmsDataKeyReusePeriodSeconds"] = strconv.Itoa(reuse)
	}
	if c.policy != "" {
		m["Policy"] = c.policy
	}
	if c.redriveAllow != "" {
		m["RedriveAllowPolicy"] = c.redriveAllow
	}
	return m
}

// attrValue is a message attribute as it travels in the JSON protocol
// (binary values are base64 strings, which encoding/json does for []byte).
type attrValue struct {
	DataType         string   `json:"DataType"`
	StringValue      *string  `json:"StringValue,omitempty"`
	BinaryValue      []byte   `json:"BinaryValue,omitempty"`
	StringListValues []string `json:"StringListValues,omitempty"`
	BinaryListValues [][]byte `json:"BinaryListValues,omitempty"`
}

var (
	attrNameRe = regexp.MustCompile(`^[A-Za-z0-9_.\-]{1,256}$`)
	numberRe   = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`)
)

// validateMessageAttributes checks attributes as SQS does and returns the
// number of bytes they count towards MaximumMessageSize.
func validateMessageAttributes(attrs map[string]attrValue) (int, *APIError) {
	if len(attrs) > maxMessageAttrs {
		return 0, errInvalidParameter("Number of message attributes [%d] exceeds the allowed maximum [%d].", len(attrs), maxMessageAttrs)
	}
	size := 0
	for name, a := range attrs {
		lower := strings.ToLower(name)
		if !attrNameRe.MatchString(name) || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") ||
			strings.Contains(name, "..") || strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon.") {
			return 0, errInvalidParameter("Message (user) attribute '%s' has an invalid name.", name)
		}
		if a.StringListValues != nil || a.BinaryListValues != nil {
			return 0, errInvalidParameter("Message attribute list values in SendMessage operation are not supported.")
		}
		base, _, _ := strings.Cut(a.DataType, ".")
		if len(a.DataType) > 256 {
			return 0, errInvalidParameter("Message (user) attribute '%s' has an invalid data type.", name)
		}
		switch base {
		case "String", "Number":
			if a.StringValue == nil || *a.StringValue == "" {
				return 0, errInvalidParameter("Message (user) attribute '%s' must contain a non-empty value of message attribute type '%s'.", name, a.DataType)
			}
			if base == "Number" && !numberRe.MatchString(*a.StringValue) {
				return 0, errInvalidParameter("Can't cast the value of message (user) attribute '%s' to a number.", name)
			}
			if !validChars(*a.StringValue) {
				return 0, errInvalidMessageContents()
			}
			size += len(*a.StringValue)
		case "Binary":
			if len(a.BinaryValue) == 0 {
				return 0, errInvalidParameter("Message (user) attribute '%s' must contain a non-empty value of message attribute type '%s'.", name, a.DataType)
			}
			size += len(a.BinaryValue)
		default:
			return 0, errInvalidParameter("The type of message (user) attribute '%s' is invalid. You must use only the following supported type prefixes: Binary, Number, String.", name)
		}
		size += len(name) + len(a.DataType)
	}
	return size, nil
}

// validateSystemAttributes accepts the only system attribute a sender may
// set, AWSTraceHeader, as a String.
func validateSystemAttributes(attrs map[string]attrValue) *APIError {
	for name, a := range attrs {
		if name != "AWSTraceHeader" {
			return errInvalidParameter("Message system attribute name '%s' is invalid.", name)
		}
		if a.DataType != "String" || a.StringValue == nil || *a.StringValue == "" {
			return errInvalidParameter("Message system attribute 'AWSTraceHeader' must be a non-empty String.")
		}
	}
	return nil
}

// validChars reports whether s holds only the characters SQS allows in a
// message: #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF.
func validChars(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != 0x9 && c != 0xA && c != 0xD {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			return false
		}
		if (r >= 0xD800 && r <= 0xDFFF) || r == 0xFFFE || r == 0xFFFF {
			return false
		}
		i += n
	}
	return true
}

// md5Hex is the lower-case hex MD5 the SDK compares MD5OfMessageBody with.
func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// md5OfAttributes computes MD5OfMessageAttributes (and
// MD5OfMessageSystemAttributes) as documented by AWS: attributes sorted by
// name, each encoded as length-prefixed name, length-prefixed data type, a
// transport byte (1 string/number, 2 binary) and the length-prefixed value;
// lengths are 4-byte big-endian. It returns "" for no attributes, in which
// case SQS omits the field.
func md5OfAttributes(attrs map[string]attrValue, include func(string) bool) string {
	names := make([]string, 0, len(attrs))
	for k := range attrs {
		if include == nil || include(k) {
			names = append(names, k)
		}
	}
	if len(names) == 0 {
		return ""
	}
	slices.Sort(names)
	h := md5.New()
	var lenBuf [4]byte
	put := func(b []byte) {
		binary.BigEndian.PutUint32(lenBuf[:], uint32(len(b)))
		h.Write(lenBuf[:])
		h.Write(b)
	}
	for _, name := range names {
		a := attrs[name]
		put([]byte(name))
		put([]byte(a.DataType))
		if strings.HasPrefix(a.DataType, "Binary") {
			h.Write([]byte{2})
			put(a.BinaryValue)
		} else {
			h.Write([]byte{1})
			put([]byte(derefString(a.StringValue)))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func derefString(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
