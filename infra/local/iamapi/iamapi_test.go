package iamapi

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/datalake-platform/s3connections/infra/local/iamlocal"
)

func TestOwnerCreatesTheRoleThePlatformAssumes(t *testing.T) {
	e := start(t, registry(t))
	admin := e.createRole(t)
	out, err := admin.GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String("platform-access")})
	if err != nil {
		t.Fatalf("GetRole: %v", err)
	}
	r := out.Role
	if aws.ToString(r.Arn) != customerARN || aws.ToString(r.Path) != "/" || !strings.HasPrefix(aws.ToString(r.RoleId), "AROA") ||
		aws.ToInt32(r.MaxSessionDuration) != 3600 || r.CreateDate == nil {
		t.Errorf("GetRole = %s %s %s %d %v", aws.ToString(r.Arn), aws.ToString(r.Path), aws.ToString(r.RoleId), aws.ToInt32(r.MaxSessionDuration), r.CreateDate)
	}
	if trust, err := url.QueryUnescape(aws.ToString(r.AssumeRolePolicyDocument)); err != nil || trust != e.trust {
		t.Errorf("AssumeRolePolicyDocument = %s, want the URL-encoded %s", aws.ToString(r.AssumeRolePolicyDocument), e.trust)
	}
	creds, err := e.assume(customerARN, "ext-1")
	if err != nil {
		t.Fatalf("AssumeRole with the right ExternalId: %v", err)
	}
	id, err := e.stsClient(aws.NewCredentialsCache(credsProvider(creds))).GetCallerIdentity(context.Background(), nil)
	if err != nil || aws.ToString(id.Arn) != "arn:aws:sts::"+owner+":assumed-role/platform-access/conn-1" {
		t.Fatalf("GetCallerIdentity as the session = %v, %v", id, err)
	}
	if !strings.HasPrefix(aws.ToString(id.UserId), aws.ToString(r.RoleId)+":") {
		t.Errorf("UserId = %s, want the role's id %s", aws.ToString(id.UserId), aws.ToString(r.RoleId))
	}
	if !e.may(t, creds.AccessKeyID, "s3:GetObject", "arn:aws:s3:::owner-bucket/a.csv") || e.may(t, creds.AccessKeyID, "s3:GetObject", "arn:aws:s3:::other/a.csv") {
		t.Error("the session does not have exactly the role's permissions")
	}
	_, err = e.assume(customerARN, "ext-2")
	if code, msg, status := apiError(t, err); code != "AccessDenied" || status != 403 || !strings.Contains(msg, "sts:AssumeRole on resource: "+customerARN) {
		t.Errorf("a wrong ExternalId: %d %s %s, want 403 AccessDenied", status, code, msg)
	}
}

func credsProvider(c aws.Credentials) aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return c, nil })
}

func TestSessionsActWithTheRolesCurrentPolicies(t *testing.T) {
	e := start(t, registry(t))
	admin := e.createRole(t)
	ctx, name := context.Background(), aws.String("platform-access")
	creds, err := e.assume(customerARN, "ext-1")
	if err != nil {
		t.Fatal(err)
	}
	put := "arn:aws:s3:::owner-bucket/out/a.csv"
	if e.may(t, creds.AccessKeyID, "s3:PutObject", put) {
		t.Fatal("the session may write before any policy lets it")
	}
	if _, err := admin.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: name, PolicyName: aws.String("write"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::owner-bucket/out/*"}}`)}); err != nil {
		t.Fatal(err)
	}
	if !e.may(t, creds.AccessKeyID, "s3:PutObject", put) {
		t.Error("a policy put after the session was issued does not apply to it")
	}
	list, err := admin.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: name})
	if err != nil || strings.Join(list.PolicyNames, ",") != "read-bucket,write" || list.IsTruncated {
		t.Errorf("ListRolePolicies = %v, %v", list, err)
	}
	for _, p := range []string{"read-bucket", "write"} {
		if _, err := admin.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: name, PolicyName: aws.String(p)}); err != nil {
			t.Fatal(err)
		}
	}
	if e.may(t, creds.AccessKeyID, "s3:GetObject", "arn:aws:s3:::owner-bucket/a.csv") {
		t.Error("a deleted policy still applies to the session")
	}
	if _, err := admin.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: name}); err != nil {
		t.Fatal(err)
	}
	e.createRole(t) // the same name again: another role
	if e.may(t, creds.AccessKeyID, "s3:GetObject", "arn:aws:s3:::owner-bucket/a.csv") {
		t.Error("a session of a deleted role acts with the policies of a new role of the same name")
	}
}

// refusal is a call IAM refuses, and how.
type refusal struct {
	name    string
	call    func() error
	status  int
	code    string
	message string // a prefix
}

// refusals are the calls that the owner (admin) and a user without IAM
// permissions (reader) make and IAM refuses, once e's role exists.
func refusals(e env, admin, reader *iam.Client) []refusal {
	ctx, name := context.Background(), aws.String("platform-access")
	return []refusal{
		{"an existing name", func() error {
			_, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: name, Path: aws.String("/other/"), AssumeRolePolicyDocument: aws.String(e.trust)})
			return err
		}, 409, "EntityAlreadyExists", "Role with name platform-access already exists."},
		{"no such role", func() error {
			_, err := admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("nobody")})
			return err
		}, 404, "NoSuchEntity", "The role with name nobody cannot be found."},
		{"no such policy", func() error {
			_, err := admin.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: name, PolicyName: aws.String("none")})
			return err
		}, 404, "NoSuchEntity", "The role policy with name none cannot be found."},
		{"a trust policy without a principal", func() error {
			_, err := admin.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: name, PolicyDocument: aws.String(e.permits)})
			return err
		}, 400, "MalformedPolicyDocument", "Missing required field Principal"},
		{"a permissions policy with a principal", func() error {
			_, err := admin.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: name, PolicyName: aws.String("p"), PolicyDocument: aws.String(e.trust)})
			return err
		}, 400, "MalformedPolicyDocument", "Policy document should not specify a principal."},
		{"not JSON", func() error {
			_, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r2"), AssumeRolePolicyDocument: aws.String("trust me")})
			return err
		}, 400, "MalformedPolicyDocument", "Syntax errors in policy"},
		{"a bad name", func() error {
			_, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("bad name"), AssumeRolePolicyDocument: aws.String(e.trust)})
			return err
		}, 400, "ValidationError", "1 validation error detected: Value 'bad name' at 'roleName'"},
		{"a role with policies", func() error {
			_, err := admin.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: name})
			return err
		}, 409, "DeleteConflict", "Cannot delete entity, must delete policies first."},
		{"a caller without IAM permissions", func() error {
			_, err := reader.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r3"), AssumeRolePolicyDocument: aws.String(e.trust)})
			return err
		}, 403, "AccessDenied", "User: arn:aws:iam::" + owner + ":user/reader is not authorized to perform: iam:CreateRole on resource: arn:aws:iam::" + owner + ":role/r3"},
		{"reading another's role", func() error {
			_, err := reader.GetRole(ctx, &iam.GetRoleInput{RoleName: name})
			return err
		}, 403, "AccessDenied", "User: arn:aws:iam::" + owner + ":user/reader is not authorized to perform: iam:GetRole"},
	}
}

func TestRefusals(t *testing.T) {
	e := start(t, registry(t))
	admin := e.createRole(t)
	ctx := context.Background()
	for _, tt := range refusals(e, admin, e.iamClient(static(readerKey, readerSecret))) {
		t.Run(tt.name, func(t *testing.T) {
			code, message, status := apiError(t, tt.call())
			if status != tt.status || code != tt.code || !strings.HasPrefix(message, tt.message) {
				t.Errorf("%d %s %q, want %d %s %q", status, code, message, tt.status, tt.code, tt.message)
			}
		})
	}
	if _, err := admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("r3")}); err == nil {
		t.Error("a refused CreateRole created the role")
	}
}

func TestRolesAreAccountScoped(t *testing.T) {
	e := start(t, registry(t))
	e.createRole(t)
	_, err := e.iamClient(static(functionsKey, functionsSecret)).GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String("platform-access")})
	if code, _, _ := apiError(t, err); code != "NoSuchEntity" {
		t.Errorf("the platform sees the owner's role: %s", code)
	}
}

func TestRolesSurviveAReload(t *testing.T) {
	file := filepath.Join(t.TempDir(), "iam.json")
	r := registry(t)
	if err := r.Persist(file); err != nil {
		t.Fatal(err)
	}
	e := start(t, r)
	e.createRole(t)
	before, _ := r.RoleNamed(owner, "platform-access")

	reloaded := registry(t)
	if err := reloaded.Persist(file); err != nil {
		t.Fatal(err)
	}
	after, err := reloaded.RoleNamed(owner, "platform-access")
	if err != nil {
		t.Fatalf("the created role is gone after a reload: %v", err)
	}
	if after.ID != before.ID || after.TrustText != e.trust || after.Inline["read-bucket"].Text != e.permits || !after.Created.Equal(before.Created) {
		t.Errorf("reloaded %+v, want %+v", after, before)
	}
	if _, err := start(t, reloaded).assume(customerARN, "ext-1"); err != nil {
		t.Errorf("the reloaded role cannot be assumed: %v", err)
	}
	b, _ := os.ReadFile(file)
	if strings.Contains(string(b), `"Arn": "`+callerARN) || strings.Contains(string(b), ownerKey) {
		t.Errorf("the file holds more than the created roles:\n%s", b)
	}
	if left, _ := filepath.Glob(file + ".*"); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestErrorEnvelope(t *testing.T) {
	e := start(t, iamlocal.New())
	resp, err := http.Post(e.iam, "application/x-www-form-urlencoded", strings.NewReader("Action=GetRole&Version=2010-05-08&RoleName=x"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	_, _ = io.Copy(&b, resp.Body)
	want := `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>MissingAuthenticationToken</Code>` +
		`<Message>Request is missing Authentication Token</Message></Error><RequestId>`
	if resp.StatusCode != 403 || !strings.Contains(b.String(), want) {
		t.Errorf("%d %s, want 403 %s", resp.StatusCode, b.String(), want)
	}
}
