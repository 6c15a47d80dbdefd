package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2authorizers"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/datalake-platform/s3connections/shared/httpapi"
	"github.com/datalake-platform/s3connections/shared/platform"
)

// API is the front door: an HTTP API (HTTPS only) whose routes are the
// API function's routes (httpapi.Routes, which the OpenAPI document
// mirrors), a JWT authorizer on a Cognito user pool on every route but the
// public ones, throttling and access logs.
type API struct {
	Scope    constructs.Construct
	UserPool awscognito.UserPool
	Client   awscognito.UserPoolClient
	HTTP     awsapigatewayv2.HttpApi
	Stage    awsapigatewayv2.HttpStage
}

// APIProps configures NewAPI.
type APIProps struct {
	Names                 platform.Names
	Function              awslambda.IFunction
	AccessLogs            awslogs.ILogGroup
	Routes                []httpapi.Route
	RateLimit, BurstLimit int
	// MFA is MFARequired (or empty) or MFAOptional.
	MFA string
}

// The throttle of each public (unauthenticated) route, requests per
// second: anyone may call them, so they must not be a way to spend the
// stage's whole budget or the API function's concurrency.
const (
	PublicRouteRateLimit  = 5
	PublicRouteBurstLimit = 10
)

// Logical ids of the user pool. Cognito refuses to turn MFA on in an
// existing pool (UpdateUserPool: "Cannot turn MFA functionality ON, once
// the user pool has been created"), so the MFA mode is part of the pool's
// identity: changing it makes CloudFormation create a new pool (the old one
// is retained) instead of failing the update. "Users" is the id pools had
// when MFA was optional, so trial stacks keep theirs.
const (
	userPoolIDRequired = "MfaUsers"
	userPoolIDOptional = "Users"
)

// NewAPI creates the user pool and its app client, the HTTP API, its
// routes and its default stage.
func NewAPI(scope constructs.Construct, id string, p APIProps) *API {
	c := constructs.NewConstruct(scope, jsii.String(id))
	pool, client := newUserPool(c, p)
	authorizer := awsapigatewayv2authorizers.NewHttpUserPoolAuthorizer(jsii.String("Cognito"), pool,
		&awsapigatewayv2authorizers.HttpUserPoolAuthorizerProps{
			AuthorizerName:  jsii.String(platform.Prefix + "-cognito"),
			UserPoolClients: &[]awscognito.IUserPoolClient{client},
		})
	api := awsapigatewayv2.NewHttpApi(c, jsii.String("HttpApi"), &awsapigatewayv2.HttpApiProps{
		ApiName:            jsii.String(p.Names.APIName),
		Description:        jsii.String("S3 Connections REST API"),
		CreateDefaultStage: jsii.Bool(false),
	})
	stage := api.AddStage(jsii.String("DefaultStage"), &awsapigatewayv2.HttpStageOptions{
		StageName:  jsii.String("$default"),
		AutoDeploy: jsii.Bool(true),
		Throttle: &awsapigatewayv2.ThrottleSettings{
			RateLimit: jsii.Number(p.RateLimit), BurstLimit: jsii.Number(p.BurstLimit),
		},
		AccessLogSettings: &accessLogSettings{
			destination: awsapigatewayv2.NewLogGroupLogDestination(p.AccessLogs),
			format:      accessLogFormat(),
		},
	})
	addRoutes(api, stage, authorizer, p)
	tag(c, "api")
	return &API{Scope: c, UserPool: pool, Client: client, HTTP: api, Stage: stage}
}

// newUserPool creates the pool of the API's users (administrators create
// them; TOTP is their second factor, never SMS) and the app client the
// JWT authorizer admits.
func newUserPool(c constructs.Construct, p APIProps) (awscognito.UserPool, awscognito.UserPoolClient) {
	mfa, id := awscognito.Mfa_REQUIRED, userPoolIDRequired
	if p.MFA == MFAOptional {
		mfa, id = awscognito.Mfa_OPTIONAL, userPoolIDOptional
	}
	pool := awscognito.NewUserPool(c, jsii.String(id), &awscognito.UserPoolProps{
		UserPoolName:      jsii.String(p.Names.UserPool),
		SelfSignUpEnabled: jsii.Bool(false), // administrators create users
		SignInAliases:     &awscognito.SignInAliases{Username: jsii.Bool(true), Email: jsii.Bool(true)},
		// Essentials (the plan of new pools) allows password history at no
		// extra decision; threat protection needs Plus, priced per user:
		// left to the operator (infra/cdk/README.md).
		FeaturePlan: awscognito.FeaturePlan_ESSENTIALS,
		PasswordPolicy: &awscognito.PasswordPolicy{
			MinLength: jsii.Number(12), RequireDigits: jsii.Bool(true), RequireLowercase: jsii.Bool(true),
			RequireUppercase: jsii.Bool(true), RequireSymbols: jsii.Bool(true),
			PasswordHistorySize:  jsii.Number(5),
			TempPasswordValidity: awscdk.Duration_Days(jsii.Number(3)),
		},
		Mfa:                mfa,
		MfaSecondFactor:    &awscognito.MfaSecondFactor{Otp: jsii.Bool(true), Sms: jsii.Bool(false)},
		AccountRecovery:    awscognito.AccountRecovery_EMAIL_ONLY,
		DeletionProtection: jsii.Bool(true),
		RemovalPolicy:      awscdk.RemovalPolicy_RETAIN,
	})
	client := pool.AddClient(jsii.String("Client"), &awscognito.UserPoolClientOptions{
		UserPoolClientName: jsii.String(platform.Prefix + "-client"),
		// USER_PASSWORD_AUTH is what `make login` uses (over TLS); SRP for
		// clients that have an SRP library.
		AuthFlows:                  &awscognito.AuthFlow{UserPassword: jsii.Bool(true), UserSrp: jsii.Bool(true)},
		GenerateSecret:             jsii.Bool(false),
		DisableOAuth:               jsii.Bool(true),
		PreventUserExistenceErrors: jsii.Bool(true),
		IdTokenValidity:            awscdk.Duration_Hours(jsii.Number(1)),
		AccessTokenValidity:        awscdk.Duration_Hours(jsii.Number(1)),
		RefreshTokenValidity:       awscdk.Duration_Days(jsii.Number(30)),
		EnableTokenRevocation:      jsii.Bool(true),
	})
	return pool, client
}

// addRoutes adds one route per httpapi route to one Lambda integration
// (one invoke permission for the whole API), the JWT authorizer on all but
// the public ones, which get a tight throttle of their own on the stage.
func addRoutes(api awsapigatewayv2.HttpApi, stage awsapigatewayv2.HttpStage, authorizer awsapigatewayv2.IHttpRouteAuthorizer, p APIProps) {
	integration := awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String("ApiFunction"), p.Function,
		&awsapigatewayv2integrations.HttpLambdaIntegrationProps{
			PayloadFormatVersion:   awsapigatewayv2.PayloadFormatVersion_VERSION_2_0(),
			ScopePermissionToRoute: jsii.Bool(false),
		})
	cfnStage := stage.Node().DefaultChild().(awsapigatewayv2.CfnStage)
	publicSettings := map[string]any{}
	for _, r := range p.Routes {
		auth := authorizer
		if r.Public {
			auth = awsapigatewayv2.NewHttpNoneAuthorizer()
		}
		routes := api.AddRoutes(&awsapigatewayv2.AddRoutesOptions{
			Path:        jsii.String(r.Path),
			Methods:     &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod(r.Method)},
			Integration: integration,
			Authorizer:  auth,
		})
		if r.Public {
			// RouteSettings is untyped JSON: CloudFormation's names, as is.
			publicSettings[r.Key()] = map[string]any{
				"ThrottlingRateLimit": PublicRouteRateLimit, "ThrottlingBurstLimit": PublicRouteBurstLimit,
			}
			// A stage's RouteSettings may only name routes that exist.
			for _, route := range *routes {
				cfnStage.Node().AddDependency(route)
			}
		}
	}
	if len(publicSettings) > 0 {
		cfnStage.SetRouteSettings(publicSettings)
	}
}

// accessLogSettings implements IAccessLogSettings.
type accessLogSettings struct {
	destination awsapigatewayv2.IAccessLogDestination
	format      awsapigateway.AccessLogFormat
}

func (s *accessLogSettings) Destination() awsapigatewayv2.IAccessLogDestination { return s.destination }
func (s *accessLogSettings) Format() awsapigateway.AccessLogFormat              { return s.format }

// accessLogFormat is one JSON object per request: who called what, with
// which result, how fast, and why the authorizer or integration failed.
func accessLogFormat() awsapigateway.AccessLogFormat {
	return awsapigateway.AccessLogFormat_Custom(jsii.String(`{"requestId":"$context.requestId","ip":"$context.identity.sourceIp",` +
		`"requestTime":"$context.requestTime","routeKey":"$context.routeKey","status":"$context.status",` +
		`"protocol":"$context.protocol","responseLength":"$context.responseLength","latency":"$context.responseLatency",` +
		`"integrationLatency":"$context.integrationLatency","integrationError":"$context.integrationErrorMessage",` +
		`"authorizerError":"$context.authorizer.error","sub":"$context.authorizer.claims.sub"}`))
}
