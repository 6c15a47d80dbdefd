package eventsource

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// record is one entry of the SQS event Lambda sends. It mirrors
// events.SQSMessage field for field (same JSON names, so the worker decodes
// it with aws-lambda-go's type) with two differences that make the bytes
// match what Lambda sends rather than what that struct would re-encode:
// md5OfMessageAttributes is null, not "", when the message has no
// attributes, and the field order is the one of the Lambda developer guide.
type record struct {
	MessageID              string               `json:"messageId"`
	ReceiptHandle          string               `json:"receiptHandle"`
	Body                   string               `json:"body"`
	Attributes             map[string]string    `json:"attributes"`
	MessageAttributes      map[string]attribute `json:"messageAttributes"`
	Md5OfMessageAttributes *string              `json:"md5OfMessageAttributes"`
	Md5OfBody              string               `json:"md5OfBody"`
	EventSource            string               `json:"eventSource"`
	EventSourceARN         string               `json:"eventSourceARN"`
	AWSRegion              string               `json:"awsRegion"`
}

// attribute mirrors events.SQSMessageAttribute: the two list fields are
// always present (as [] when empty), binary values are base64 in JSON.
type attribute struct {
	StringValue      *string  `json:"stringValue,omitempty"`
	BinaryValue      []byte   `json:"binaryValue,omitempty"`
	StringListValues []string `json:"stringListValues"`
	BinaryListValues [][]byte `json:"binaryListValues"`
	DataType         string   `json:"dataType"`
}

type event struct {
	Records []record `json:"Records"`
}

// eventSource is the constant eventSource of every SQS record.
const eventSource = "aws:sqs"

// buildEvent returns the JSON payload Lambda would invoke the function with
// for msgs, received from the queue queueARN in region.
func buildEvent(msgs []types.Message, queueARN, region string) ([]byte, error) {
	ev := event{Records: make([]record, len(msgs))}
	for i, m := range msgs {
		r := record{
			MessageID:              deref(m.MessageId),
			ReceiptHandle:          deref(m.ReceiptHandle),
			Body:                   deref(m.Body),
			Attributes:             m.Attributes,
			MessageAttributes:      make(map[string]attribute, len(m.MessageAttributes)),
			Md5OfMessageAttributes: m.MD5OfMessageAttributes,
			Md5OfBody:              deref(m.MD5OfBody),
			EventSource:            eventSource,
			EventSourceARN:         queueARN,
			AWSRegion:              region,
		}
		if r.Attributes == nil {
			r.Attributes = map[string]string{}
		}
		for name, v := range m.MessageAttributes {
			a := attribute{
				StringValue:      v.StringValue,
				BinaryValue:      v.BinaryValue,
				StringListValues: v.StringListValues,
				BinaryListValues: v.BinaryListValues,
				DataType:         deref(v.DataType),
			}
			if a.StringListValues == nil {
				a.StringListValues = []string{}
			}
			if a.BinaryListValues == nil {
				a.BinaryListValues = [][]byte{}
			}
			r.MessageAttributes[name] = a
		}
		if len(r.MessageAttributes) == 0 {
			r.Md5OfMessageAttributes = nil
		}
		ev.Records[i] = r
	}
	return json.Marshal(ev)
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// errBadResponse marks a function response that makes Lambda treat the
// whole batch as failed although the invocation itself succeeded.
var errBadResponse = errors.New("eventsource: invalid batch item failures response")

// failedItems applies Lambda's ReportBatchItemFailures rules to a function's
// response for a batch whose message ids are ids. It returns the set of ids
// to keep on the queue, or an error wrapping errBadResponse when the whole
// batch counts as failed.
//
// Success of the whole batch: an empty response, null, an object without
// batchItemFailures, a null or empty batchItemFailures list. Failure of the
// whole batch: a response that is not JSON or not a JSON object, an entry
// whose itemIdentifier is missing, null, empty, not a string, or not the
// messageId of a record of the batch.
func failedItems(resp []byte, ids map[string]bool) (map[string]bool, error) {
	resp = bytes.TrimSpace(resp)
	if len(resp) == 0 || bytes.Equal(resp, []byte("null")) {
		return nil, nil
	}
	if resp[0] != '{' {
		return nil, fmt.Errorf("%w: not a JSON object", errBadResponse)
	}
	var r struct {
		BatchItemFailures []struct {
			ItemIdentifier *string `json:"itemIdentifier"`
		} `json:"batchItemFailures"`
	}
	if err := json.Unmarshal(resp, &r); err != nil {
		return nil, fmt.Errorf("%w: %v", errBadResponse, err)
	}
	if len(r.BatchItemFailures) == 0 {
		return nil, nil
	}
	failed := make(map[string]bool, len(r.BatchItemFailures))
	for i, f := range r.BatchItemFailures {
		switch {
		case f.ItemIdentifier == nil:
			return nil, fmt.Errorf("%w: batchItemFailures[%d] has no itemIdentifier", errBadResponse, i)
		case *f.ItemIdentifier == "":
			return nil, fmt.Errorf("%w: batchItemFailures[%d] has an empty itemIdentifier", errBadResponse, i)
		case !ids[*f.ItemIdentifier]:
			return nil, fmt.Errorf("%w: batchItemFailures[%d] itemIdentifier %q is not a messageId of the batch", errBadResponse, i, *f.ItemIdentifier)
		}
		failed[*f.ItemIdentifier] = true
	}
	return failed, nil
}
