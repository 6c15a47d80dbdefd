package chain_test

import (
	"errors"
	"testing"

	"github.com/datalake-platform/s3connections/shared/chain"
	"github.com/datalake-platform/s3connections/shared/connection"
	"github.com/datalake-platform/s3connections/shared/dataset"
)

func TestRunNamesTheBrokenLink(t *testing.T) {
	conn := connection.Connection{ConnectionId: "c1", CreatedBy: "alice", AuthorizedUsers: []string{"alice", "bob"}}
	ds := dataset.Dataset{DatasetId: "d1", ConnectionId: "c1", CreatedBy: "bob", AuthorizedUsers: []string{"bob", "mallory"}}
	sch := chain.Of("schedule", "s1", func(u string) bool { return u == "bob" || u == "mallory" })
	revoked := conn
	revoked.AuthorizedUsers = []string{"alice"}
	testCases := []struct {
		name string
		c    connection.Connection
		by   string
		want string
	}{
		{"bob, all shared", conn, "bob", ""},
		{"mallory, never on the connection", conn, "mallory", "mallory may no longer use connection c1"},
		{"bob after alice removed him", revoked, "bob", "bob may no longer use connection c1"},
		{"mallory after alice removed bob", revoked, "mallory", "bob may no longer use connection c1"},
		{"alice, not on the schedule", conn, "alice", "alice may no longer use schedule s1"},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			err := chain.Run(tc.c, ds, sch, "bob", tc.by)
			var ce *chain.Error
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (!errors.As(err, &ce) || err.Error() != tc.want):
				t.Fatalf("%v, want %q", err, tc.want)
			}
		})
	}
}
