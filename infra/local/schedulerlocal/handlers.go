package schedulerlocal

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// decode reads a JSON request body; an empty body is an empty object, as the
// SDK sends for operations without body members.
func decode(r *http.Request, v any) *apiError {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &apiError{http.StatusRequestEntityTooLarge, "ValidationException", "Request body is too large."}
		}
		return &apiError{http.StatusBadRequest, "SerializationException", "Cannot read the request body."}
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return &apiError{http.StatusBadRequest, "SerializationException", "The request body is not valid: " + err.Error()}
	}
	return nil
}

// lookup finds a schedule; callers hold s.mu.
func (s *Server) lookup(groupName, name string) (*schedule, *apiError) {
	g := s.groups[groupName]
	if g == nil {
		return nil, errGroupNotFound(groupName)
	}
	sc := g.schedules[name]
	if sc == nil {
		return nil, errScheduleNotFound(name)
	}
	return sc, nil
}

// groupParam reads the optional groupName query parameter.
func groupParam(q url.Values, key string) (string, *apiError) {
	if !q.Has(key) {
		return defaultGroup, nil
	}
	g := q.Get(key)
	if err := validateName(key, g); err != nil {
		return "", err
	}
	return g, nil
}

func (s *Server) createSchedule(name string, r *http.Request) (any, *apiError) {
	if err := validateName("name", name); err != nil {
		return nil, err
	}
	var in scheduleInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	sp, err := validateSchedule(&in, now, nil)
	if err != nil {
		return nil, err
	}
	g := s.groups[sp.group]
	if g == nil {
		return nil, errGroupNotFound(sp.group)
	}
	if old := g.schedules[name]; old != nil {
		if sp.clientToken != "" && sp.clientToken == old.clientToken {
			return map[string]string{"ScheduleArn": old.arn}, nil // a retry of the call that created it
		}
		return nil, errConflict("Schedule %s already exists.", name)
	}
	sc := &schedule{
		name: name, arn: s.scheduleARN(g.name, name), group: g,
		created: now, clientToken: sp.clientToken, queueIndex: -1,
	}
	g.schedules[name] = sc
	s.apply(sc, sp, now)
	return map[string]string{"ScheduleArn": sc.arn}, nil
}

// apply installs a validated spec on sc (a create, or UpdateSchedule's full
// replace) and queues its next fire. Callers hold s.mu.
func (s *Server) apply(sc *schedule, sp *scheduleSpec, now time.Time) {
	old := sc.spec
	sc.spec, sc.modified = sp, now
	// A rate series starts at StartDate or when its expression is set, and
	// keeps that anchor through updates that leave the timing alone.
	timingChanged := old == nil || old.expr.String() != sp.expr.String() || old.timezone != sp.timezone || !sameTime(old.startDate, sp.startDate)
	if timingChanged {
		anchor := now
		if sp.startDate != nil {
			anchor = *sp.startDate
		}
		sc.expr = sp.expr.Anchor(anchor)
	}
	t, ok := s.nextFire(sc, now.Add(-time.Nanosecond))
	s.setNext(sc, t, ok)
	s.Wake()
}

// deref reads an optional string member.
func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

func (s *Server) getSchedule(name string, q url.Values) (any, *apiError) {
	if err := validateName("name", name); err != nil {
		return nil, err
	}
	groupName, err := groupParam(q, "groupName")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sc, err := s.lookup(groupName, name)
	if err != nil {
		return nil, err
	}
	sp := sc.spec
	return scheduleOutput{
		ActionAfterCompletion:      sp.action,
		Arn:                        sc.arn,
		CreationDate:               epoch(sc.created),
		Description:                sp.description,
		EndDate:                    epochPtr(sp.endDate),
		FlexibleTimeWindow:         sp.flex,
		GroupName:                  sc.group.name,
		KmsKeyArn:                  sp.kmsKeyArn,
		LastModificationDate:       epoch(sc.modified),
		Name:                       sc.name,
		ScheduleExpression:         sp.expr.String(),
		ScheduleExpressionTimezone: sp.timezone,
		StartDate:                  epochPtr(sp.startDate),
		State:                      sp.state,
		Target:                     sp.target,
	}, nil
}

func (s *Server) updateSchedule(name string, r *http.Request) (any, *apiError) {
	if err := validateName("name", name); err != nil {
		return nil, err
	}
	var in scheduleInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	// Validate before looking up (a bad request is a 400 even for a missing
	// schedule), but with the stored dates at hand.
	var prev *scheduleSpec
	if g := s.groups[orDefault(deref(in.GroupName), defaultGroup)]; g != nil && g.schedules[name] != nil {
		prev = g.schedules[name].spec
	}
	sp, err := validateSchedule(&in, now, prev)
	if err != nil {
		return nil, err
	}
	sc, err := s.lookup(sp.group, name)
	if err != nil {
		return nil, err
	}
	s.apply(sc, sp, now)
	return map[string]string{"ScheduleArn": sc.arn}, nil
}

func (s *Server) deleteSchedule(name string, q url.Values) (any, *apiError) {
	if err := validateName("name", name); err != nil {
		return nil, err
	}
	groupName, err := groupParam(q, "groupName")
	if err != nil {
		return nil, err
	}
	var token string
	if q.Has("clientToken") {
		token = q.Get("clientToken")
		if err := validateClientToken(&token); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := groupName + "/" + name
	sc, err := s.lookup(groupName, name)
	if err != nil {
		if token != "" && s.deleted.tokens[token] == key {
			return struct{}{}, nil // a retry of the call that deleted it
		}
		return nil, err
	}
	s.removeSchedule(sc)
	s.deleted.add(token, key)
	return struct{}{}, nil
}

// removeSchedule forgets sc; callers hold s.mu.
func (s *Server) removeSchedule(sc *schedule) {
	delete(sc.group.schedules, sc.name)
	s.setNext(sc, time.Time{}, false)
	s.Wake()
}

// pageToken is an opaque NextToken: the sort key of the last item returned.
func pageToken(key string) *string {
	t := base64.RawURLEncoding.EncodeToString([]byte(key))
	return &t
}

func pageParams(q url.Values) (after string, max int, err *apiError) {
	max = 100
	if q.Has("MaxResults") {
		n, convErr := strconv.Atoi(q.Get("MaxResults"))
		if convErr != nil || n < 1 || n > 100 {
			return "", 0, errConstraint(q.Get("MaxResults"), "maxResults", "Member must have value between 1 and 100")
		}
		max = n
	}
	if q.Has("NextToken") {
		b, decErr := base64.RawURLEncoding.DecodeString(q.Get("NextToken"))
		if decErr != nil || len(b) == 0 {
			return "", 0, errValidation("The NextToken is not valid.")
		}
		after = string(b)
	}
	return after, max, nil
}

func namePrefixParam(q url.Values) (string, *apiError) {
	if !q.Has("NamePrefix") {
		return "", nil
	}
	p := q.Get("NamePrefix")
	if len(p) < 1 || len(p) > 64 || !namePrefixPattern.MatchString(p) {
		return "", errConstraint(p, "namePrefix", "Member must satisfy regular expression pattern: ^[a-zA-Z][0-9a-zA-Z-_]*$")
	}
	return p, nil
}

func (s *Server) listSchedules(q url.Values) (any, *apiError) {
	after, max, err := pageParams(q)
	if err != nil {
		return nil, err
	}
	prefix, err := namePrefixParam(q)
	if err != nil {
		return nil, err
	}
	var groupName string
	if q.Has("ScheduleGroup") {
		if groupName, err = groupParam(q, "ScheduleGroup"); err != nil {
			return nil, err
		}
	}
	state := q.Get("State")
	if q.Has("State") && state != stateEnabled && state != stateDisabled {
		return nil, errConstraint(state, "state", "Member must satisfy enum value set: [ENABLED, DISABLED]")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if groupName != "" && s.groups[groupName] == nil {
		return nil, errGroupNotFound(groupName)
	}
	var all []*schedule
	for _, g := range s.groups {
		if groupName != "" && g.name != groupName {
			continue
		}
		for _, sc := range g.schedules {
			if strings.HasPrefix(sc.name, prefix) && (state == "" || sc.spec.state == state) {
				all = append(all, sc)
			}
		}
	}
	// Group then name: a stable order, so NextToken can be "after this key".
	key := func(sc *schedule) string { return sc.group.name + "/" + sc.name }
	slices.SortFunc(all, func(a, b *schedule) int { return strings.Compare(key(a), key(b)) })
	out := struct {
		Schedules []scheduleSummary `json:"Schedules"`
		NextToken *string           `json:"NextToken,omitempty"`
	}{Schedules: []scheduleSummary{}}
	last := ""
	for _, sc := range all {
		if after != "" && key(sc) <= after {
			continue
		}
		if len(out.Schedules) == max {
			out.NextToken = pageToken(last)
			break
		}
		last = key(sc)
		out.Schedules = append(out.Schedules, scheduleSummary{
			Arn: sc.arn, CreationDate: epoch(sc.created), GroupName: sc.group.name,
			LastModificationDate: epoch(sc.modified), Name: sc.name, State: sc.spec.state,
			Target: map[string]string{"Arn": *sc.spec.target.Arn},
		})
	}
	return out, nil
}

func (s *Server) createGroup(name string, r *http.Request) (any, *apiError) {
	if err := validateName("name", name); err != nil {
		return nil, err
	}
	var in struct {
		ClientToken *string `json:"ClientToken"`
		Tags        []tag   `json:"Tags"`
	}
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if err := validateClientToken(in.ClientToken); err != nil {
		return nil, err
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	var token string
	if in.ClientToken != nil {
		token = *in.ClientToken
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.groups[name]; g != nil {
		if token != "" && token == g.clientToken {
			return map[string]string{"ScheduleGroupArn": g.arn}, nil
		}
		return nil, errConflict("Schedule group %s already exists.", name)
	}
	now := s.now()
	g := &group{name: name, arn: s.groupARN(name), created: now, modified: now, clientToken: token, tags: in.Tags, schedules: map[string]*schedule{}}
	s.groups[name] = g
	return map[string]string{"ScheduleGroupArn": g.arn}, nil
}

func (g *group) summary() groupSummary {
	return groupSummary{Arn: g.arn, CreationDate: epoch(g.created), LastModificationDate: epoch(g.modified), Name: g.name, State: "ACTIVE"}
}

func (s *Server) getGroup(name string) (any, *apiError) {
	if err := validateName("name", name); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[name]
	if g == nil {
		return nil, errGroupNotFound(name)
	}
	return g.summary(), nil
}

func (s *Server) deleteGroup(name string, q url.Values) (any, *apiError) {
	if err := validateName("name", name); err != nil {
		return nil, err
	}
	if q.Has("clientToken") {
		tok := q.Get("clientToken")
		if err := validateClientToken(&tok); err != nil {
			return nil, err
		}
	}
	if name == defaultGroup {
		return nil, errValidation("The default schedule group cannot be deleted.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[name]
	if g == nil {
		return nil, errGroupNotFound(name)
	}
	for _, sc := range g.schedules {
		s.removeSchedule(sc)
	}
	delete(s.groups, name)
	return struct{}{}, nil
}

func (s *Server) listGroups(q url.Values) (any, *apiError) {
	after, max, err := pageParams(q)
	if err != nil {
		return nil, err
	}
	prefix, err := namePrefixParam(q)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	for n := range s.groups {
		if strings.HasPrefix(n, prefix) && (after == "" || n > after) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	out := struct {
		ScheduleGroups []groupSummary `json:"ScheduleGroups"`
		NextToken      *string        `json:"NextToken,omitempty"`
	}{ScheduleGroups: []groupSummary{}}
	for i, n := range names {
		if i == max {
			out.NextToken = pageToken(names[i-1])
			break
		}
		out.ScheduleGroups = append(out.ScheduleGroups, s.groups[n].summary())
	}
	return out, nil
}

// taggedGroup resolves a TagResource-style ARN; only schedule groups take
// tags on Scheduler. Callers hold s.mu.
func (s *Server) taggedGroup(arn string) (*group, *apiError) {
	m := groupArnPattern.FindStringSubmatch(arn)
	if m == nil {
		return nil, errConstraint(truncate(arn), "resourceArn", "Member must satisfy regular expression pattern: arn:aws(-[a-z]+)?:scheduler:[a-z0-9\\-]+:\\d{12}:schedule-group\\/[0-9a-zA-Z-_.]+")
	}
	g := s.groups[m[2]]
	if g == nil || g.arn != arn {
		return nil, errNotFound("Resource %s does not exist.", arn)
	}
	return g, nil
}

func (s *Server) listTags(arn string) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.taggedGroup(arn)
	if err != nil {
		return nil, err
	}
	return map[string][]tag{"Tags": append([]tag{}, g.tags...)}, nil
}

func (s *Server) tagResource(arn string, r *http.Request) (any, *apiError) {
	var in struct {
		Tags []tag `json:"Tags"`
	}
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if in.Tags == nil {
		return nil, errValidation("Tags is required.")
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.taggedGroup(arn)
	if err != nil {
		return nil, err
	}
	merged := slices.Clone(g.tags)
	for _, t := range in.Tags {
		i := slices.IndexFunc(merged, func(old tag) bool { return *old.Key == *t.Key })
		if i >= 0 {
			merged[i] = t
		} else {
			merged = append(merged, t)
		}
	}
	if len(merged) > 200 {
		return nil, errValidation("A schedule group can have at most 200 tags.")
	}
	g.tags = merged
	return struct{}{}, nil
}

func (s *Server) untagResource(arn string, q url.Values) (any, *apiError) {
	keys := q["TagKeys"]
	if keys == nil {
		return nil, errValidation("TagKeys is required.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.taggedGroup(arn)
	if err != nil {
		return nil, err
	}
	g.tags = slices.DeleteFunc(g.tags, func(t tag) bool { return slices.Contains(keys, *t.Key) })
	return struct{}{}, nil
}
