package connection

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/datalake-platform/s3connections/shared/access"
	"github.com/datalake-platform/s3connections/shared/apperr"
	"github.com/datalake-platform/s3connections/shared/inventory"
	"github.com/datalake-platform/s3connections/shared/rules"
	"github.com/google/uuid"
)

// Store keeps connections. Implementations are safe for concurrent use.
type Store interface {
	// CreateConnection writes c and claims its name; ErrNameTaken when the
	// name (case-insensitive) is already claimed.
	CreateConnection(ctx context.Context, c Connection) error
	// GetConnection returns a *apperr.Error of KindNotFound when absent.
	GetConnection(ctx context.Context, id string) (Connection, error)
	// ListConnections pages through the connections user may see, oldest
	// first; next is "" on the last page.
	ListConnections(ctx context.Context, user string, limit int, next string) (page []Connection, nextToken string, err error)
	// UpdateConnection replaces old with updated if nobody changed old since it
	// was read (ErrConcurrentChange otherwise), keeping the per-user access
	// entries in step with AuthorizedUsers.
	UpdateConnection(ctx context.Context, old, updated Connection) error
	// DeleteConnection removes c, its name claim and its access entries;
	// ErrInUse while datasets use it, ErrConcurrentChange if c changed.
	DeleteConnection(ctx context.Context, c Connection) error
	// DatasetsOfConnection lists the datasets that use the connection.
	DatasetsOfConnection(ctx context.Context, id string) ([]DatasetRef, error)
}

// Sealer encrypts a secret for one connection, so that only the ingestion
// functions (which may decrypt) can recover it.
type Sealer interface {
	Seal(ctx context.Context, connectionID, plaintext string) ([]byte, error)
}

// Tester checks from the ingestion side that a connection can list its bucket.
type Tester interface {
	TestConnection(ctx context.Context, connectionID string) (TestResult, error)
}

// TestResult is the answer of POST /connections/{id}/test.
type TestResult struct {
	Ok     bool
	Detail string
}

// Errors that stores return for the service to explain.
var (
	ErrNameTaken        = errors.New("connection name taken")
	ErrInUse            = errors.New("connection used by datasets")
	ErrConcurrentChange = errors.New("connection changed concurrently")
)

// Service runs the connection use cases for one caller at a time.
type Service struct {
	Store  Store
	Sealer Sealer
	Tester Tester
	// SourceReaderRoleARN is the role whose per-connection sessions read
	// bucket-policy sources: the principal generated policies admit.
	SourceReaderRoleARN string
	// PlatformBuckets are the platform's own buckets, which no connection
	// may name.
	PlatformBuckets []string
	// InboundBusARN is the platform's bus for sources' S3 events, the
	// target of the owners' rules (EventsSetup).
	InboundBusARN string
	Now           func() time.Time
}

// refusePlatformBucket stops a connection from naming one of the
// platform's own buckets: their contents belong to every user's datasets.
func (s *Service) refusePlatformBucket(bucket string) error {
	if slices.Contains(s.PlatformBuckets, bucket) {
		return apperr.Invalid("S3Bucket", "%s is one of the platform's own buckets: it cannot be a source", bucket)
	}
	return nil
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Create validates in, seals its secret and stores a new connection owned by caller.
func (s *Service) Create(ctx context.Context, caller string, in CreateInput) (View, error) {
	if err := in.normalize(); err != nil {
		return View{}, err
	}
	if err := s.refusePlatformBucket(in.S3Bucket); err != nil {
		return View{}, err
	}
	if platform := RoleAccount(s.SourceReaderRoleARN); in.RoleArn != "" && RoleAccount(in.RoleArn) == platform {
		return View{}, apperr.Invalid("RoleArn", "is a role of the platform's own account: the role must belong to the bucket's owner")
	}
	id, err := uuid.NewV7()
	if err != nil {
		return View{}, fmt.Errorf("new connection id: %w", err)
	}
	now := s.now()
	c := Connection{
		ConnectionId:         id.String(),
		ConnectionName:       in.ConnectionName,
		ConnectionType:       in.ConnectionType,
		Description:          in.Description,
		CreatedBy:            caller,
		AuthorizedUsers:      access.WithOwner(caller, in.AuthorizedUsers),
		S3Bucket:             in.S3Bucket,
		S3BucketRegion:       in.S3BucketRegion,
		S3BucketOwner:        in.S3BucketOwner,
		RequesterPays:        in.RequesterPays,
		ConnectionAccessType: in.ConnectionAccessType,
		Version:              in.Version,
		CreatedAt:            now,
		UpdatedAt:            now,
		Revision:             1,
	}
	if in.ConnectionAccessType == AssumeRole {
		c.RoleArn = in.RoleArn
		if c.ExternalId, err = newExternalID(); err != nil {
			return View{}, err
		}
	}
	if in.ConnectionAccessType == AccessKeys {
		c.AccessKeyId = in.AccessKeyId
		if c.SecretCiphertext, err = s.Sealer.Seal(ctx, c.ConnectionId, in.SecretAccessKey.Reveal()); err != nil {
			return View{}, fmt.Errorf("seal secret of new connection: %w", err)
		}
	}
	if err := s.Store.CreateConnection(ctx, c); err != nil {
		if errors.Is(err, ErrNameTaken) {
			return View{}, apperr.Conflict("ConnectionName", "a connection named %q already exists (names are unique, ignoring case)", in.ConnectionName)
		}
		return View{}, err
	}
	return c.View(), nil
}

// Get returns a connection the caller may see.
func (s *Service) Get(ctx context.Context, caller, id string) (View, error) {
	c, err := s.visible(ctx, caller, id)
	return c.View(), err
}

// List pages through the connections the caller may see.
func (s *Service) List(ctx context.Context, caller string, limit int, next string) ([]View, string, error) {
	page, token, err := s.Store.ListConnections(ctx, caller, limit, next)
	if err != nil {
		return nil, "", err
	}
	views := make([]View, len(page))
	for i, c := range page {
		views[i] = c.View()
	}
	return views, token, nil
}

// Update changes the description, the authorized users or the access keys.
func (s *Service) Update(ctx context.Context, caller, id string, in UpdateInput) (View, error) {
	old, err := s.owned(ctx, caller, id)
	if err != nil {
		return View{}, err
	}
	if err := in.validate(old.ConnectionAccessType); err != nil {
		return View{}, err
	}
	if err := s.refusePlatformBucket(old.S3Bucket); err != nil { // made before the rule
		return View{}, err
	}
	if in.S3BucketOwner != nil && *in.S3BucketOwner == "" && old.S3BucketOwner != "" {
		if err := s.refuseOwnerRemoval(ctx, old); err != nil {
			return View{}, err
		}
	}
	c := old
	if in.S3BucketOwner != nil {
		c.S3BucketOwner = *in.S3BucketOwner
	}
	if in.RequesterPays != nil {
		c.RequesterPays = *in.RequesterPays
	}
	if in.Description != nil {
		c.Description = *in.Description
	}
	if in.AuthorizedUsers != nil {
		c.AuthorizedUsers = access.WithOwner(c.CreatedBy, *in.AuthorizedUsers)
	}
	if in.AccessKeyId != nil {
		c.AccessKeyId = *in.AccessKeyId
		if c.SecretCiphertext, err = s.Sealer.Seal(ctx, c.ConnectionId, in.SecretAccessKey.Reveal()); err != nil {
			return View{}, fmt.Errorf("seal rotated secret of connection %s: %w", id, err)
		}
	}
	return s.save(ctx, old, c)
}

// Delete removes a connection that no dataset uses.
func (s *Service) Delete(ctx context.Context, caller, id string) error {
	c, err := s.owned(ctx, caller, id)
	if err != nil {
		return err
	}
	err = s.Store.DeleteConnection(ctx, c)
	switch {
	case errors.Is(err, ErrInUse):
		refs, lerr := s.Store.DatasetsOfConnection(ctx, id)
		if lerr != nil {
			return lerr
		}
		return apperr.Conflict("", "connection %s is used by datasets %s: delete them first", c.ConnectionName, names(refs))
	case errors.Is(err, ErrConcurrentChange):
		return apperr.Conflict("", "connection %s changed while it was being deleted: try again", c.ConnectionName)
	}
	return err
}

// Policies returns what the bucket's owner attaches: the bucket and key
// policies of a bucket_policy connection, the role's trust and permissions
// policies of an assume_role one.
func (s *Service) Policies(ctx context.Context, caller, id string) (Policies, error) {
	c, err := s.visible(ctx, caller, id)
	if err != nil {
		return Policies{}, err
	}
	refs, err := s.Store.DatasetsOfConnection(ctx, id)
	if err != nil {
		return Policies{}, err
	}
	events := eventsSetupFor(c, refs, s.InboundBusARN)
	if c.ConnectionAccessType == AccessKeys && events != nil {
		return Policies{Events: events}, nil
	}
	if c.ConnectionAccessType == AccessKeys {
		return Policies{}, apperr.Conflict("ConnectionAccessType", "connection %s uses access keys: it needs no policy", c.ConnectionName)
	}
	var inventories []inventory.Location
	for _, r := range refs {
		if r.Inventory != nil {
			inventories = append(inventories, *r.Inventory)
		}
	}
	switch c.ConnectionAccessType {
	case BucketPolicy:
		p := withRestores(PoliciesFor(c, s.SourceReaderRoleARN, inventories...), c, s.SourceReaderRoleARN, RestorePrefixes(refs))
		p.Events = events
		return p, nil
	case AssumeRole:
		p := withRestores(RolePoliciesFor(c, s.SourceReaderRoleARN, inventories...), c, s.SourceReaderRoleARN, RestorePrefixes(refs))
		p.Events = events
		return p, nil
	}
	return Policies{}, apperr.Conflict("ConnectionAccessType", "connection %s uses access keys: it needs no policy", c.ConnectionName)
}

// newExternalID is an unguessable ExternalId: 192 random bits. It is no
// secret (the owner writes it into a trust policy) but no one else can
// choose it, which is what stops another connection from using the role.
func newExternalID() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("new external id: %w", err)
	}
	return "s3connections-" + hex.EncodeToString(b), nil
}

// Test checks that the ingestion side can list the connection's bucket.
func (s *Service) Test(ctx context.Context, caller, id string) (TestResult, error) {
	if _, err := s.visible(ctx, caller, id); err != nil {
		return TestResult{}, err
	}
	return s.Tester.TestConnection(ctx, id)
}

// Upgrade moves a connection to target, or to the latest version when target is "".
func (s *Service) Upgrade(ctx context.Context, caller, id string, target rules.Version) (View, error) {
	old, err := s.owned(ctx, caller, id)
	if err != nil {
		return View{}, err
	}
	if target == "" {
		target = rules.Latest
	}
	switch {
	case !target.Known():
		return View{}, apperr.Invalid("Version", "must be one of %s", versionList())
	case target == old.Version && target == rules.Latest:
		return View{}, apperr.Conflict("Version", "connection is already at the latest version %s", target)
	case !target.AtLeast(old.Version) || target == old.Version:
		return View{}, apperr.Invalid("Version", "%s is not newer than the current version %s: use downgrade to go back", target, old.Version)
	}
	c := old
	c.PreviousVersions = append(slices.Clone(old.PreviousVersions), old.Version)
	c.Version = target
	return s.save(ctx, old, c)
}

// Downgrade returns a connection to the version it had before its last
// upgrade, when no dataset depends on what that version lacks.
func (s *Service) Downgrade(ctx context.Context, caller, id string) (View, error) {
	old, err := s.owned(ctx, caller, id)
	if err != nil {
		return View{}, err
	}
	target, ok := old.DowngradeTarget()
	if !ok {
		return View{}, apperr.Conflict("Version", "connection %s has no upgrade to undo: only an upgraded connection can be downgraded", old.ConnectionName)
	}
	if err := s.strandsNoDataset(ctx, id, target); err != nil {
		return View{}, err
	}
	c := old
	c.PreviousVersions = slices.Clone(old.PreviousVersions[:len(old.PreviousVersions)-1])
	c.Version = target
	return s.save(ctx, old, c)
}

// strandsNoDataset refuses a downgrade to target while a dataset of the
// connection uses an option that target lacks.
func (s *Service) strandsNoDataset(ctx context.Context, id string, target rules.Version) error {
	if target.AllowsSkipLZ() && target.AllowsRestore() {
		return nil
	}
	refs, err := s.Store.DatasetsOfConnection(ctx, id)
	if err != nil {
		return err
	}
	var skipLZ, restore []DatasetRef
	for _, r := range refs {
		if r.SkipLZ && !target.AllowsSkipLZ() {
			skipLZ = append(skipLZ, r)
		}
		if r.RestoreArchived && !target.AllowsRestore() {
			restore = append(restore, r)
		}
	}
	switch {
	case len(skipLZ) > 0:
		return apperr.Conflict("Version", "cannot downgrade to %s: datasets %s use SkipLZ, which needs %s or later", target, names(skipLZ), rules.V1_8)
	case len(restore) > 0:
		return apperr.Conflict("Version", "cannot downgrade to %s: datasets %s use RestoreArchived, which needs %s or later", target, names(restore), rules.V1_7)
	}
	return nil
}

func (s *Service) save(ctx context.Context, old, c Connection) (View, error) {
	c.UpdatedAt = s.now()
	c.Revision = old.Revision + 1
	if err := s.Store.UpdateConnection(ctx, old, c); err != nil {
		if errors.Is(err, ErrConcurrentChange) {
			return View{}, apperr.Conflict("", "connection %s was changed by another request: read it again and retry", old.ConnectionName)
		}
		return View{}, err
	}
	return c.View(), nil
}

// visible loads a connection the caller may see.
func (s *Service) visible(ctx context.Context, caller, id string) (Connection, error) {
	c, err := s.Store.GetConnection(ctx, id)
	return access.Visible(c, err, caller, notFound(id))
}

// owned loads a connection for a change, which only its owner may make.
func (s *Service) owned(ctx context.Context, caller, id string) (Connection, error) {
	c, err := s.Store.GetConnection(ctx, id)
	return access.Owned(c, err, caller, notFound(id))
}

func notFound(id string) error { return apperr.NotFound("connection %s not found", id) }

// NotFound is the error for an absent connection, for stores to return.
func NotFound(id string) error { return notFound(id) }

func names(refs []DatasetRef) string {
	s := make([]string, len(refs))
	for i, r := range refs {
		s[i] = fmt.Sprintf("%s/%s (%s)", r.Domain, r.DatasetName, r.DatasetId)
	}
	return strings.Join(s, ", ")
}
