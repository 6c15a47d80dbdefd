package stack

import (
	"encoding/json"
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/datalake-platform/s3connections/shared/platform"
	"github.com/datalake-platform/s3connections/shared/policy"
)

// The source reader is the only identity that reads bucket-policy sources:
// the planner and the worker start one session per connection (tagged with
// its ConnectionId), so a connection never reads with the platform's own
// rights. Its policies are shared/policy's, which the local platform
// enforces too: the stack renders them, it does not restate them.
//
// Deploy order, without a cycle: the planner and worker roles name the
// reader by an ARN built from its name (sourceReaderARN), not by a
// reference, so they do not depend on it; the reader's trust policy names
// their ARNs by reference (IAM refuses a trust policy naming a role that
// does not exist yet), so it is created after them; the functions get its
// ARN by reference, so they start only once it exists.

// sourceReader is the reader's policy.Reader in this stack: its zones are
// the LZ and DLZ buckets, its key the platform key.
func sourceReader(r Resources) policy.Reader {
	st := awscdk.Stack_Of(r.Scope)
	return policy.Reader{
		Partition: *st.Partition(), Region: *st.Region(), Account: *st.Account(),
		Zones:  []string{*r.Storage.LZ.BucketName(), *r.Storage.DLZ.BucketName()},
		KeyARN: *r.Key.KeyArn(),
	}
}

// sourceReaderARN is the reader role's ARN built from its name, so the
// callers' policies may name it without depending on the role.
func sourceReaderARN(r Resources) string {
	st := awscdk.Stack_Of(r.Scope)
	return platform.RoleARN(*st.Partition(), *st.Account(), r.Names.SourceReaderRole)
}

// newSourceReader builds the reader role: identity policy
// policy.Reader.Identity, trust policy policy.Reader.Trust(callers), the
// default maximum session duration (1 h).
func newSourceReader(c constructs.Construct, r Resources, callers []awsiam.Role) (awsiam.Role, error) {
	if len(callers) == 0 {
		return nil, fmt.Errorf("no ingestion function may assume the source reader role")
	}
	reader := sourceReader(r)
	var arns []string
	var principals []awsiam.IPrincipal
	for _, role := range callers {
		arns = append(arns, *role.RoleArn())
		principals = append(principals, awsiam.NewArnPrincipal(role.RoleArn()))
	}
	identity, err := document(reader.Identity())
	if err != nil {
		return nil, err
	}
	trust, err := asMap(reader.Trust(arns))
	if err != nil {
		return nil, err
	}
	role := awsiam.NewRole(c, jsii.String("SourceReaderRole"), &awsiam.RoleProps{
		RoleName:    jsii.String(r.Names.SourceReaderRole),
		Description: jsii.String("Reads bucket-policy sources, one session per connection, for the ingestion functions"),
		// Replaced below by the Go trust policy; it names the same callers.
		AssumedBy:      awsiam.NewCompositePrincipal(principals...).WithSessionTags(),
		InlinePolicies: &map[string]awsiam.PolicyDocument{"source-reader": identity},
	})
	// The template's trust policy is policy.Reader.Trust itself, as the
	// local platform enforces it, not CDK's rendering of the principals.
	role.Node().DefaultChild().(awsiam.CfnRole).AddPropertyOverride(jsii.String("AssumeRolePolicyDocument"), trust)
	return role, nil
}

// document renders a shared/policy document for CDK; tokens (account,
// region, bucket names, key ARN) are strings and survive the round trip.
func document(d policy.Document) (awsiam.PolicyDocument, error) {
	m, err := asMap(d)
	if err != nil {
		return nil, err
	}
	return awsiam.PolicyDocument_FromJson(m), nil
}

// goStatement renders one shared/policy statement for CDK.
func goStatement(s policy.Statement) awsiam.PolicyStatement {
	m, err := asMap(s)
	if err != nil {
		panic(err) // a policy.Statement always marshals
	}
	return awsiam.PolicyStatement_FromJson(m)
}

// asMap is v's JSON as a map, the shape CDK's FromJson functions read.
func asMap(v any) (map[string]any, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal(raw, &m)
}
