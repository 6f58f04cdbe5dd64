import { Stack, Validations } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import { EXEC_LOG_PREFIX, WorkloadCluster } from './cluster';
import { ValidationError } from './errors';
import { acknowledgeResourceWildcards, WildcardResource } from './policy-findings';
import { suppressGuardRule } from './resources';

/**
 * ECS Exec: the SSM agent ECS injects into the main container opens the session. It writes to the
 * container's root file system, so ECS does not support ECS Exec with a read-only one.
 * @internal
 */
export function checkExec(scope: IConstruct, props: { readonly enableExec?: boolean; readonly readonlyRootFilesystem?: boolean }): void {
  if (props.enableExec && props.readonlyRootFilesystem === true) {
    throw new ValidationError(scope,
      'enableExec is true, but readonlyRootFilesystem is true: the SSM agent that ECS Exec runs in the main container writes to its root file system, ' +
      'and ECS does not support ECS Exec with a read-only one. Remove readonlyRootFilesystem (enableExec makes the root file system writable), or remove enableExec.');
  }
}

/**
 * What every task with ECS Exec needs beyond what aws-cdk-lib's services grant: the writable root
 * file system is acknowledged, and the session log bucket (when the cluster has one) is granted on
 * that bucket only. With `grantSession` (tasks that no ECS service starts: aws-cdk-lib grants nothing
 * for them), also the session channels, the log group and the key, as a service would.
 * @internal
 */
export function grantExec(scope: IConstruct, cluster: WorkloadCluster, taskDefinition: ecs.TaskDefinition,
  options: { readonly grantSession: boolean }): void {
  const role = taskDefinition.taskRole;
  const stack = Stack.of(scope);
  // Without NAT gateways the session channels and the cluster key are reached through VPC endpoints.
  cluster._addExecEndpoints();
  suppressGuardRule(taskDefinition, 'ecs_containers_readonly_access_check',
    'enableExec is true: the SSM agent that ECS Exec runs in the main container writes to its root file system (ECS does not support ECS Exec with a read-only one).');
  if (options.grantSession) {
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['ssmmessages:CreateControlChannel', 'ssmmessages:CreateDataChannel', 'ssmmessages:OpenControlChannel', 'ssmmessages:OpenDataChannel'],
      resources: ['*'],
    }));
    if (cluster.execLogGroup) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['logs:DescribeLogGroups'], resources: ['*'] }));
      role.addToPrincipalPolicy(new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
        resources: [execLogStreams(stack, cluster)],
      }));
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [cluster.encryptionKey.keyArn] }));
    }
  }
  const wildcards: WildcardResource[] = [];
  if (cluster.execLogGroup) {
    wildcards.push({
      resource: execLogStreams(stack, cluster),
      reason: 'ECS Exec writes each session to a log stream of its own, named at run time; the wildcard covers only the cluster\'s exec log group.',
    });
  }
  const bucket = cluster.execSessionLogBucket;
  if (bucket) {
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetBucketLocation', 's3:GetEncryptionConfiguration'], resources: [bucket.bucketArn] }));
    const objects = bucket.arnForObjects(`${EXEC_LOG_PREFIX}/*`);
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [objects] }));
    bucket.encryptionKey?.grant(role, 'kms:GenerateDataKey');
    wildcards.push({ resource: objects, reason: 'ECS Exec uploads each session log under a key named at run time; the wildcard covers only the exec prefix of the session log bucket.' });
  }
  acknowledgeResourceWildcards(role, wildcards);
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'ECS Exec: the ssmmessages channel actions and logs:DescribeLogGroups support no resource-level permissions (AWS requires Resource "*"); session log writes are scoped to the cluster\'s exec log group.',
  });
}

/** The log streams of the cluster's exec log group, as aws-cdk-lib's services grant them. */
function execLogStreams(stack: Stack, cluster: WorkloadCluster): string {
  return `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:${cluster.execLogGroup!.logGroupName}:*`;
}
