// Command cdk is the platform's CDK app: `make synth` and `make deploy` run
// it through the CDK CLI (cdk.json at the repository root).
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/datalake-platform/s3connections/infra/cdk/stack"
	"github.com/datalake-platform/s3connections/shared/platform"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "cdk app:", err)
		jsii.Close()
		os.Exit(1)
	}
	jsii.Close()
}

func run() error {
	// Node 20 is what this project's machines run (LOCAL.md): silence its
	// end-of-life banner. The jsii runtime captured the environment when
	// its packages initialized, so restart it to pick the variable up.
	if os.Getenv("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION") == "" {
		os.Setenv("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
		jsii.Close()
	}
	app := awscdk.NewApp(nil)
	props, err := stack.PropsFromContext(app.Node())
	if err != nil {
		return err
	}
	if err := props.CheckAssets(); err != nil {
		return err
	}
	if _, err := stack.New(app, platform.Prefix, props); err != nil {
		return err
	}
	app.Synth(nil)
	return nil
}
