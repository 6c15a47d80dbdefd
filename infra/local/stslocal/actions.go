package stslocal

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/datalake-platform/s3connections/infra/local/iamlocal"
)

// unsupported are AssumeRole parameters (or their list prefixes) that are
// refused: honouring them half would issue sessions other than the ones
// asked for.
var unsupported = []string{"Policy", "PolicyArns.", "SerialNumber", "TokenCode", "SourceIdentity", "ProvidedContexts."}

// assumeRoleResult is AssumeRole's <AssumeRoleResult>.
type assumeRoleResult struct {
	AssumedRoleUser struct {
		Arn, AssumedRoleId string
	}
	Credentials struct {
		AccessKeyId, SecretAccessKey, SessionToken string
		Expiration                                 string
	}
	PackedPolicySize *int `xml:",omitempty"`
}

// callerIdentityResult is GetCallerIdentity's <GetCallerIdentityResult>.
type callerIdentityResult struct {
	Arn, UserId, Account string
}

func (s *Server) assumeRole(caller iamlocal.Principal, params url.Values, now time.Time) (any, error) {
	in, err := assumeRoleInput(params)
	if err != nil {
		return nil, err
	}
	session, err := s.registry.AssumeRole(caller, in, now)
	if err != nil {
		return nil, err
	}
	var out assumeRoleResult
	out.AssumedRoleUser.Arn, out.AssumedRoleUser.AssumedRoleId = session.AssumedRoleArn, session.AssumedRoleId
	out.Credentials.AccessKeyId = session.AccessKeyId
	out.Credentials.SecretAccessKey = session.SecretAccessKey
	out.Credentials.SessionToken = session.SessionToken
	out.Credentials.Expiration = session.Expiration.UTC().Format("2006-01-02T15:04:05.000Z")
	if len(in.Tags) > 0 {
		size := packedSize(in.Tags)
		out.PackedPolicySize = &size
	}
	return out, nil
}

func getCallerIdentity(caller iamlocal.Principal) any {
	return callerIdentityResult{Arn: caller.ARN, UserId: caller.UserID(), Account: caller.Account}
}

// assumeRoleInput reads AssumeRole's parameters.
func assumeRoleInput(params url.Values) (iamlocal.AssumeRoleInput, error) {
	var in iamlocal.AssumeRoleInput
	for k := range params {
		for _, u := range unsupported {
			if k == u || (strings.HasSuffix(u, ".") && strings.HasPrefix(k, u)) {
				return in, validation(fmt.Sprintf("The local STS does not support the AssumeRole parameter %s.", strings.TrimSuffix(u, ".")))
			}
		}
	}
	for _, name := range []string{"RoleArn", "RoleSessionName"} {
		if _, ok := params[name]; !ok {
			field := strings.ToLower(name[:1]) + name[1:]
			return in, validation("1 validation error detected: Value null at '" + field + "' failed to satisfy constraint: Member must not be null")
		}
	}
	in.RoleArn, in.RoleSessionName, in.ExternalId = params.Get("RoleArn"), params.Get("RoleSessionName"), params.Get("ExternalId")
	if d := params.Get("DurationSeconds"); d != "" {
		n, err := strconv.ParseInt(d, 10, 32)
		if err != nil {
			return in, validation("1 validation error detected: Value '" + d + "' at 'durationSeconds' failed to satisfy constraint: Member must be a number")
		}
		if n < 900 { // 0 would read as "not sent"
			return in, validation(fmt.Sprintf("1 validation error detected: Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900", n))
		}
		in.Duration = time.Duration(n) * time.Second
	}
	for i := 1; ; i++ {
		prefix := fmt.Sprintf("Tags.member.%d.", i)
		key, hasKey := params[prefix+"Key"]
		value, hasValue := params[prefix+"Value"]
		if !hasKey && !hasValue {
			break
		}
		if !hasKey {
			return in, validation(fmt.Sprintf("1 validation error detected: Value null at 'tags.%d.member.key' failed to satisfy constraint: Member must not be null", i))
		}
		in.Tags = append(in.Tags, iamlocal.Tag{Key: key[0], Value: first(value)})
	}
	for i := 1; params.Has(fmt.Sprintf("TransitiveTagKeys.member.%d", i)); i++ {
		in.TransitiveTagKeys = append(in.TransitiveTagKeys, params.Get(fmt.Sprintf("TransitiveTagKeys.member.%d", i)))
	}
	return in, nil
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func validation(msg string) error {
	return &iamlocal.Error{Status: http.StatusBadRequest, Code: "ValidationError", Message: msg}
}

// packedSize stands in for AWS's PackedPolicySize, the percentage of the
// packed limit the session's tags take; AWS's packing is not public, so
// this counts the tags' characters against 2,048.
func packedSize(tags []iamlocal.Tag) int {
	n := 0
	for _, t := range tags {
		n += len(t.Key) + len(t.Value)
	}
	return (n*100 + 2047) / 2048
}
