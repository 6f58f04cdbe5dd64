import * as cxapi from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';

/**
 * Call first thing in a construct's constructor. aws-cdk-lib records a creation stack trace for every
 * CloudFormation resource (about a tenth of a millisecond each, 5 % of synthesizing this library's
 * workloads): for the resources below this construct it would point into this library's own code.
 * The CDK CLI shows such traces only with `--debug`, and with `CDK_DEBUG` set aws-cdk-lib records
 * them all the same.
 * @internal
 */
export function skipCreationStackTraces(scope: Construct): void {
  scope.node.setContext(cxapi.DISABLE_CREATION_STACK_TRACES, true);
}
