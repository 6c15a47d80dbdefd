package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Tag keys every resource carries, so the console finds them at a glance.
const (
	TagProject   = "Project"
	TagComponent = "Component"
)

// tag marks every resource under c as part of component.
func tag(c constructs.IConstruct, component string) {
	awscdk.Tags_Of(c).Add(jsii.String(TagComponent), jsii.String(component), nil)
}

func strs(ss ...string) *[]*string { return jsii.Strings(ss...) }

// functionARN is the ARN of the function named name, built from the name
// rather than from the function, so a role may name its own function (the
// planner invokes itself) without a dependency cycle.
func functionARN(scope constructs.IConstruct, name string) *string {
	st := awscdk.Stack_Of(scope)
	return st.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("lambda"), Resource: jsii.String("function"),
		ResourceName: jsii.String(name), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
}
