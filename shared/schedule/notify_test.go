package schedule

import (
	"encoding/json"
	"testing"
)

// Notify is {"On": "failure"|"always"}, or absent or null for none; any
// other shape or value is a 400 naming Notify or Notify.On.
func TestNotifyInput(t *testing.T) {
	testCases := []struct {
		raw         string
		want        string // the parsed On
		field, says string
	}{
		{"", "", "", ""},
		{"null", "", "", ""},
		{`{"On": "failure"}`, NotifyOnFailure, "", ""},
		{`{"On": "always"}`, NotifyOnAlways, "", ""},
		{`{}`, "", "Notify.On", "is required"},
		{`{"On": "never"}`, "", "Notify.On", `not "never"`},
		{`{"On": "FAILURE"}`, "", "Notify.On", "must be"},
		{`{"On": 1}`, "", "Notify", "a string"},
		{`{"On": "always", "TopicArn": "arn:aws:sns:us-east-1:111122223333:mine"}`, "", "Notify", "only the member On"},
		{`"failure"`, "", "Notify", "JSON object"},
		{`["always"]`, "", "Notify", "JSON object"},
		{`true`, "", "Notify", "JSON object"},
	}
	for _, tc := range testCases {
		t.Run(tc.raw, func(t *testing.T) {
			var raw json.RawMessage
			if tc.raw != "" {
				raw = json.RawMessage(tc.raw)
			}
			in := CreateInput{ScheduleName: "s", DatasetId: "d", Notify: raw}
			err := in.normalize(testNow)
			wantInvalid(t, err, tc.field, tc.says)
			if err == nil && in.notify.When() != tc.want {
				t.Errorf("Notify %s parsed as %q, want %q", tc.raw, in.notify.When(), tc.want)
			}
			up := UpdateInput{Notify: raw}
			if tc.raw == "" {
				return // nothing to update
			}
			wantInvalid(t, up.validate(Schedule{}, testNow), tc.field, tc.says)
		})
	}
}

// An update sets Notify, clears it with null, and leaves it alone when
// absent; GET shows it.
func TestUpdateNotify(t *testing.T) {
	cur := Schedule{CreatedBy: "alice", Notify: &Notify{On: NotifyOnFailure}}
	keep := UpdateInput{Description: ptr("x")}
	if err := keep.validate(cur, testNow); err != nil || keep.Notify != nil {
		t.Fatalf("an update without Notify: %v", err)
	}
	clear := UpdateInput{Notify: json.RawMessage("null")}
	if err := clear.validate(cur, testNow); err != nil || clear.notify != nil {
		t.Fatalf("Notify null: %v %+v", err, clear.notify)
	}
	if v := cur.View(); v.Notify == nil || v.Notify.On != NotifyOnFailure {
		t.Errorf("the view shows Notify %+v", v.Notify)
	}
}
