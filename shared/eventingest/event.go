// Package eventingest turns the S3 "Object Created" events that source
// owners forward to the platform's inbound bus into copy tasks, with no
// listing: the events function's use case. Events are hostile input from
// other accounts: one is accepted only when its account is the
// connection's S3BucketOwner and its bucket and key match an event-driven
// dataset (DirectoryPath and FileType, then the version rules, as the
// planner decides a listed file); every other one is dropped and counted.
// Each accepted event becomes a task of the run that holds the dataset's
// lease (a rolling run it starts, or the reconciling run in progress), sent
// to the workers' queue, where it goes through the same access checks and
// exactly-once commit as a planned task.
package eventingest

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/datalake-platform/s3connections/shared/sourceevents"
)

// Event is an S3 "Object Created" event as the inbound bus's rule
// delivers it (AWS-FACTS §4.2).
type Event struct {
	Version    string    `json:"version"`
	ID         string    `json:"id"`
	DetailType string    `json:"detail-type"`
	Source     string    `json:"source"`
	Account    string    `json:"account"`
	Time       time.Time `json:"time"`
	Region     string    `json:"region"`
	Resources  []string  `json:"resources"`
	Detail     Detail    `json:"detail"`
}

// Detail is an Object Created event's detail.
type Detail struct {
	Bucket struct {
		Name string `json:"name"`
	} `json:"bucket"`
	Object struct {
		Key       string `json:"key"`
		Size      int64  `json:"size"`
		ETag      string `json:"etag"`
		VersionID string `json:"version-id"`
		Sequencer string `json:"sequencer"`
	} `json:"object"`
	Reason string `json:"reason"`
}

// Decode reads an event; a payload that is not one is an error.
func Decode(raw []byte) (Event, error) {
	var ev Event
	if err := json.Unmarshal(raw, &ev); err != nil {
		return Event{}, fmt.Errorf("not an EventBridge event: %w", err)
	}
	return ev, nil
}

// object checks what an Object Created event must name and returns its
// bucket and decoded key, or why it is dropped.
func (ev Event) object() (bucket, key, reason string) {
	switch {
	case ev.Source != sourceevents.Source || ev.DetailType != sourceevents.DetailType:
		return "", "", "not an S3 Object Created event"
	case ev.Account == "" || ev.Detail.Bucket.Name == "" || ev.Detail.Object.Key == "" || ev.Time.IsZero():
		return "", "", "the event names no account, bucket, key or time"
	}
	key, err := sourceevents.DecodeKey(ev.Detail.Object.Key)
	if err != nil {
		return "", "", "the event's key is not URL-encoded"
	}
	return ev.Detail.Bucket.Name, key, ""
}

// Gate is the time the event's task commits under (ingest.Task's
// RunStarted): the catalog's exactly-once gate orders the versions of a
// name by it. It is the event's second plus one (S3 keeps LastModified to
// the second: the task copies the version the event announced and no
// later one, which its own event brings) and, within that second, the low
// bits of the sequencer, which grows with each write of a key. So a
// duplicate event has the same gate as the first (committed once), and an
// older event than a name's catalogued version has a lower one (refused).
func (ev Event) Gate() time.Time {
	sub := int64(0)
	if seq := ev.Detail.Object.Sequencer; seq != "" {
		low := seq[max(0, len(seq)-7):]
		if n, err := strconv.ParseInt(low, 16, 64); err == nil {
			sub = n // < 2^28 ns
		}
	}
	return ev.Time.Truncate(time.Second).Add(time.Second + time.Duration(sub))
}
