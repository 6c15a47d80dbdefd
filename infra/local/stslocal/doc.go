// Package stslocal is the local platform's stand-in for AWS STS: an
// http.Handler that serves the STS Query protocol (POST / with a form
// body, or GET with the same parameters in the query) for AssumeRole and
// GetCallerIdentity, issuing and answering for the sessions of an
// iamlocal.Registry, so the platform's real SDK code (stscreds) runs
// unchanged against it.
//
// Every request must carry a SigV4 Authorization header (service "sts",
// any region) signed with a key the registry knows
// (iamlocal.Registry.Authenticate, which the local IAM shares); session callers must
// send their X-Amz-Security-Token. Errors come in the Query XML error
// envelope with AWS's codes and messages.
//
// Not served: the other STS actions (AssumeRoleWithWebIdentity, SAML,
// GetSessionToken, GetFederationToken, DecodeAuthorizationMessage, ...),
// presigned (query-string) signatures, SigV4A, and the AssumeRole
// parameters Policy, PolicyArns, SerialNumber/TokenCode, SourceIdentity
// and ProvidedContexts, which are refused with a ValidationError rather
// than ignored: a session policy ignored would leave the session more
// powerful than its caller asked for. Expired sessions read as unknown
// keys (InvalidClientTokenId), not ExpiredToken.
package stslocal
