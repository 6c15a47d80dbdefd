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
}

// NewAPI creates the user pool and its app client, the HTTP API, its
// routes and its default stage.
func NewAPI(scope constructs.Construct, id string, p APIProps) *API {
	c := constructs.NewConstruct(scope, jsii.String(id))
	pool := awscognito.NewUserPool(c, jsii.String("Users"), &awscognito.UserPoolProps{
		UserPoolName:      jsii.String(p.Names.UserPool),
		SelfSignUpEnabled: jsii.Bool(false), // administrators create users
		SignInAliases:     &awscognito.SignInAliases{Username: jsii.Bool(true), Email: jsii.Bool(true)},
		PasswordPolicy: &awscognito.PasswordPolicy{
			MinLength: jsii.Number(12), RequireDigits: jsii.Bool(true), RequireLowercase: jsii.Bool(true),
			RequireUppercase: jsii.Bool(true), RequireSymbols: jsii.Bool(true),
			TempPasswordValidity: awscdk.Duration_Days(jsii.Number(3)),
		},
		Mfa:                awscognito.Mfa_OPTIONAL,
		MfaSecondFactor:    &awscognito.MfaSecondFactor{Otp: jsii.Bool(true), Sms: jsii.Bool(false)},
		AccountRecovery:    awscognito.AccountRecovery_EMAIL_ONLY,
		DeletionProtection: jsii.Bool(true),
		RemovalPolicy:      awscdk.RemovalPolicy_RETAIN,
	})
	client := pool.AddClient(jsii.String("Client"), &awscognito.UserPoolClientOptions{
		UserPoolClientName:         jsii.String(platform.Prefix + "-client"),
		AuthFlows:                  &awscognito.AuthFlow{UserPassword: jsii.Bool(true), UserSrp: jsii.Bool(true)},
		GenerateSecret:             jsii.Bool(false),
		DisableOAuth:               jsii.Bool(true),
		PreventUserExistenceErrors: jsii.Bool(true),
		IdTokenValidity:            awscdk.Duration_Hours(jsii.Number(1)),
		AccessTokenValidity:        awscdk.Duration_Hours(jsii.Number(1)),
		RefreshTokenValidity:       awscdk.Duration_Days(jsii.Number(30)),
		EnableTokenRevocation:      jsii.Bool(true),
	})
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
	// One integration, one invoke permission for the whole API.
	integration := awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String("ApiFunction"), p.Function,
		&awsapigatewayv2integrations.HttpLambdaIntegrationProps{
			PayloadFormatVersion:   awsapigatewayv2.PayloadFormatVersion_VERSION_2_0(),
			ScopePermissionToRoute: jsii.Bool(false),
		})
	for _, r := range p.Routes {
		var auth awsapigatewayv2.IHttpRouteAuthorizer = authorizer
		if r.Public {
			auth = awsapigatewayv2.NewHttpNoneAuthorizer()
		}
		api.AddRoutes(&awsapigatewayv2.AddRoutesOptions{
			Path:        jsii.String(r.Path),
			Methods:     &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod(r.Method)},
			Integration: integration,
			Authorizer:  auth,
		})
	}
	tag(c, "api")
	return &API{Scope: c, UserPool: pool, Client: client, HTTP: api, Stage: stage}
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
