package app

import "github.com/datalake-platform/s3connections/shared/platform"

// The settings each function reads. The CDK stack gives every function
// exactly its settings (infra/cdk/functions), and the local platform builds it
// from those alone (platform.Config.Only), so a builder that reads a
// setting not declared here sees it unset in every test. Connection secrets
// are under their own key (SECRETS_KEY_ID): the API seals with it, the
// planner opens with it; only the worker also needs the platform key
// (KMS_KEY_ID), to encrypt what it writes to the zones.
var (
	APISettings = platform.Settings{
		Required: []string{platform.EnvTable, platform.EnvSecretsKey, platform.EnvPlannerFunction, platform.EnvPlannerFunctionARN,
			platform.EnvScheduleGroup, platform.EnvSchedulerRoleARN, platform.EnvSourceReaderRoleARN, platform.EnvPlatformBuckets,
			platform.EnvSchedulerDLQARN},
		Optional: []string{platform.EnvMaxConnectionsPerUser, platform.EnvMaxDatasetsPerUser, platform.EnvMaxSchedulesPerUser,
			platform.EnvRunRetentionDays, platform.EnvOTLPEndpoint, platform.EnvReportURLExpiry, platform.EnvS3PathStyle, platform.EnvInboundBusARN},
	}
	PlannerSettings = platform.Settings{
		Required: []string{platform.EnvTable, platform.EnvSecretsKey, platform.EnvTaskQueueURL, platform.EnvPlannerFunction,
			platform.EnvSourceReaderRoleARN, platform.EnvEventBus, platform.EnvReportsBucket},
		Optional: []string{platform.EnvEnabledOptInRegions, platform.EnvPlannerBudget, platform.EnvS3PathStyle,
			platform.EnvRunRetentionDays, platform.EnvOTLPEndpoint, platform.EnvRollingQuiet, platform.EnvRollingCap},
	}
	// EventsSettings are the events function's: it reads the metadata
	// table and sends tasks to the workers' queue, and reads no source.
	EventsSettings = platform.Settings{
		Required: []string{platform.EnvTable, platform.EnvTaskQueueURL},
		Optional: []string{platform.EnvRollingCap, platform.EnvRunRetentionDays, platform.EnvOTLPEndpoint},
	}
	WorkerSettings = platform.Settings{
		Required: []string{platform.EnvTable, platform.EnvKMSKey, platform.EnvSecretsKey, platform.EnvLZBucket, platform.EnvDLZBucket, platform.EnvTaskQueueURL,
			platform.EnvSourceReaderRoleARN, platform.EnvEventBus, platform.EnvReportsBucket},
		Optional: []string{platform.EnvEnabledOptInRegions, platform.EnvMaxReceiveCount, platform.EnvPartSize, platform.EnvCopyThreshold,
			platform.EnvS3PathStyle, platform.EnvRunRetentionDays, platform.EnvOTLPEndpoint, platform.EnvRestoreWaits},
	}
)
