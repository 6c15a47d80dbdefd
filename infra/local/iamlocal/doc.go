// Package iamlocal is the local platform's stand-in for IAM: the accounts'
// principals and their keys, roles and the sessions STS issues for them,
// and the evaluation of identity and resource policies the local S3 and
// STS ask before they act, as AWS evaluates them (an explicit deny wins;
// within one account an allow in either policy suffices, across accounts
// both must allow; a resource policy naming only an account delegates to
// that account's identity policies; a role's trust policy must always
// allow).
//
// Roles are owned by the account in their ARN. A session's permissions
// are its role's policies as they are when it acts (Lookup resolves
// them), so PutRolePolicy after AssumeRole applies, and a deleted role's
// sessions have none. CreateRole, UpdateRole and DeleteRole serve the
// local IAM API (infra/local/iamapi); Persist saves the roles it created
// to a file. Authenticate, ReadQuery and WriteQuery* are the SigV4 check
// and the Query protocol envelopes the local STS and IAM share.
//
// Conditions are evaluated for the operators the platform's policies use
// (String*, Arn*, Bool, Null, and their IfExists forms); Check refuses a
// policy with any other, rather than evaluating it wrongly. Policy
// variables, multi-valued keys (aws:TagKeys, ForAnyValue/ForAllValues),
// session policies, NotAction, NotResource and NotPrincipal are not
// supported (policy.Document cannot even hold the Not* elements, so Check
// cannot see them).
package iamlocal
