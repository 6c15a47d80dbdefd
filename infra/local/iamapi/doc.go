// Package iamapi is the local platform's IAM endpoint for roles: an
// http.Handler serving the IAM Query protocol (Version 2010-05-08, POST
// form bodies) for CreateRole, GetRole, UpdateAssumeRolePolicy,
// PutRolePolicy, GetRolePolicy, DeleteRolePolicy, ListRolePolicies and
// DeleteRole on an iamlocal.Registry, so that a source owner creates the
// role an assume_role connection assumes as it would in AWS, with the SDK
// or the CLI (AWS_ENDPOINT_URL_IAM).
//
// Each request must be SigV4-signed (service "iam") with a key the
// registry knows (iamlocal.Registry.Authenticate). AWS's IAM wants the
// signature scoped to us-east-1, but the SDK and the CLI sign for their
// configured region whenever an endpoint URL is set, so any region is
// accepted. Each action acts in the caller's account and needs the
// caller's identity policies to allow iam:<Action> on
// arn:aws:iam::<account>:role/<path><name> (the account's root may do
// anything). Trust policies must name a Principal and only sts: actions;
// inline policies must not name one and must have a Resource; both must
// be documents iamlocal can evaluate (iamlocal.Check). Errors come in
// IAM's Query error envelope with its codes: ValidationError,
// MalformedPolicyDocument, LimitExceeded, AccessDenied, NoSuchEntity,
// EntityAlreadyExists, DeleteConflict.
//
// Not served: users, groups, managed policies (AttachRolePolicy, ...),
// instance profiles, permissions boundaries, ListRoles, TagRole and the
// other IAM actions (InvalidAction); GET requests and presigned URLs.
// Tags given to CreateRole are kept and returned, not evaluated.
package iamapi
