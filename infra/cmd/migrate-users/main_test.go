package main

import (
	"maps"
	"strings"
	"testing"
)

func TestSubsToNames(t *testing.T) {
	const listed = `{"Users":[
	  {"Username":"alice","Attributes":[{"Name":"email","Value":"a@example.com"},{"Name":"sub","Value":"11111111-aaaa"}],"Enabled":true},
	  {"Username":"bob","Attributes":[{"Name":"sub","Value":"22222222-bbbb"}]},
	  {"Username":"nosub","Attributes":[]}]}`
	got, err := subsToNames(strings.NewReader(listed))
	want := map[string]string{"11111111-aaaa": "alice", "22222222-bbbb": "bob"}
	if err != nil || !maps.Equal(got, want) {
		t.Fatalf("%v %v, want %v", got, err, want)
	}
	for name, in := range map[string]string{
		"not a user id": `{"Users":[{"Username":"carol smith","Attributes":[{"Name":"sub","Value":"x"}]}]}`,
		"no subs":       `{"Users":[]}`,
		"not JSON":      `Users: alice`,
	} {
		if _, err := subsToNames(strings.NewReader(in)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
