import { CfnResource, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, IConstruct } from 'constructs';
import { ValidationError } from './errors';

/**
 * Secure-by-default builders for the stateful resources the workloads create. Each applies our
 * defaults, then the caller's values, then what the library requires (encryption, TLS only).
 */

/**
 * Throws when `policy` cannot apply to the stateful resources the workloads create: CloudFormation
 * takes snapshots of databases and volumes only, and rejects `Snapshot` on buckets, queues, log
 * groups, file systems and keys at deploy time. @internal
 */
export function checkRemovalPolicy(scope: IConstruct, prop: string, policy: RemovalPolicy | undefined): void {
  if (policy === RemovalPolicy.SNAPSHOT) {
    throw new ValidationError(scope,
      `${prop} is SNAPSHOT, but CloudFormation snapshots databases and volumes only, not the S3 buckets, SQS queues, log groups, ` +
      'EFS file systems or KMS keys it covers. Use RemovalPolicy.RETAIN (the default), RETAIN_ON_UPDATE_OR_DELETE or DESTROY.');
  }
}

/** @internal */
export interface QueueBuildProps {
  readonly encryptionKey: kms.IKey;
  readonly visibilityTimeout?: Duration;
  readonly retentionPeriod?: Duration;
  readonly deadLetterQueue?: sqs.DeadLetterQueue;
  readonly removalPolicy?: RemovalPolicy;
  /** A FIFO queue (its dead-letter queue must be one too). */
  readonly fifo?: boolean;
  /** FIFO only: identical message bodies sent within 5 minutes are delivered once. */
  readonly contentBasedDeduplication?: boolean;
}

/** An SQS queue encrypted with the workload key, TLS only, retained on stack deletion. @internal */
export function buildQueue(scope: Construct, id: string, props: QueueBuildProps): sqs.Queue {
  return new sqs.Queue(scope, id, {
    retentionPeriod: props.retentionPeriod ?? Duration.days(4),
    visibilityTimeout: props.visibilityTimeout,
    deadLetterQueue: props.deadLetterQueue,
    removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    encryption: sqs.QueueEncryption.KMS,
    encryptionMasterKey: props.encryptionKey,
    fifo: props.fifo,
    contentBasedDeduplication: props.contentBasedDeduplication,
    dataKeyReuse: Duration.hours(1),
    enforceSSL: true,
  });
}

/** @internal */
export interface TopicBuildProps {
  readonly encryptionKey: kms.IKey;
  readonly displayName?: string;
}

/** An SNS topic encrypted with the workload key, TLS only. @internal */
export function buildTopic(scope: Construct, id: string, props: TopicBuildProps): sns.Topic {
  return new sns.Topic(scope, id, {
    masterKey: props.encryptionKey,
    enforceSSL: true,
    displayName: props.displayName,
  });
}

/**
 * Lets CloudWatch alarms of this account publish to the topic. A topic policy replaces the topic's
 * default access policy, and a service principal may publish only where that policy allows it (being
 * allowed to use the topic's key is not enough). Topics without a policy of their own keep the
 * default policy, which already lets alarms of the owner account publish: adding a statement there
 * would create a policy that replaces it, so they are left alone. @internal
 */
export function allowAlarmsToPublish(topic: sns.ITopic): void {
  if (!(topic instanceof sns.Topic) || !hasTopicPolicy(topic)) return;
  const stack = Stack.of(topic);
  topic.addToResourcePolicy(new iam.PolicyStatement({
    principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
    actions: ['sns:Publish'],
    resources: [topic.topicArn],
    conditions: {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*` },
    },
  }));
}

/** Whether the topic carries an `AWS::SNS::TopicPolicy` (which replaces its default access policy). */
function hasTopicPolicy(topic: sns.Topic): boolean {
  return topic.node.children.some(c => c instanceof sns.TopicPolicy);
}

/**
 * Lets exactly one EventBridge rule publish to a topic: the rule target's allow statement names no
 * rule, so every other rule (of any account that can reach the topic) is denied. @internal
 */
export function onlyRulePublishes(topic: sns.ITopic, rule: events.IRule): void {
  topic.addToResourcePolicy(new iam.PolicyStatement({
    effect: iam.Effect.DENY,
    principals: [new iam.ServicePrincipal('events.amazonaws.com')],
    actions: ['sns:Publish'],
    resources: [topic.topicArn],
    conditions: { ArnNotEquals: { 'aws:SourceArn': rule.ruleArn } },
  }));
}

/** @internal */
export interface BucketBuildProps {
  readonly encryptionKey: kms.IKey;
  /** Bucket that receives the server access logs. */
  readonly serverAccessLogsBucket?: s3.IBucket;
  readonly serverAccessLogsPrefix?: string;
  readonly eventBridgeEnabled?: boolean;
  readonly removalPolicy?: RemovalPolicy;
  readonly noncurrentVersionExpiration?: Duration;
}

/**
 * An S3 bucket: KMS-encrypted with the workload key (bucket key on), versioned, object lock on (no
 * default retention), TLS only, public access blocked, ACLs disabled, retained on stack deletion. @internal
 */
export function buildBucket(scope: Construct, id: string, props: BucketBuildProps): s3.Bucket {
  const bucket = new s3.Bucket(scope, id, {
    encryption: s3.BucketEncryption.KMS,
    encryptionKey: props.encryptionKey,
    bucketKeyEnabled: true,
    versioned: true,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    objectLockEnabled: true,
    removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    lifecycleRules: [{
      noncurrentVersionExpiration: props.noncurrentVersionExpiration ?? Duration.days(30),
      abortIncompleteMultipartUploadAfter: Duration.days(7),
    }],
  });
  if (props.serverAccessLogsBucket) logAccessTo(bucket, props.serverAccessLogsBucket, props.serverAccessLogsPrefix ?? `${id}/`);
  if (props.eventBridgeEnabled) enableEventBridge(bucket);
  acknowledgeReplication(bucket);
  return bucket;
}

/**
 * Delivers the bucket's server access logs under `prefix` of `logs`, granted by bucket policy (ACLs
 * stay disabled on both buckets). When `logs` lives in another stack, the statement is conditioned on
 * the account and the prefix, not on this bucket's ARN: the ARN would make the log bucket's stack
 * depend on this one, which already depends on it (a cycle). @internal
 */
export function logAccessTo(bucket: s3.Bucket, logs: s3.IBucket, prefix: string): void {
  // L1: without the serverAccessLogsUseBucketPolicy feature flag the L2 grants delivery through an ACL.
  (bucket.node.defaultChild as s3.CfnBucket).loggingConfiguration = {
    destinationBucketName: logs.bucketName,
    logFilePrefix: prefix,
  };
  const stack = Stack.of(bucket);
  const sameStack = Stack.of(logs) === stack;
  logs.addToResourcePolicy(new iam.PolicyStatement({
    principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
    actions: ['s3:PutObject'],
    resources: [logs.arnForObjects(`${prefix}*`)],
    conditions: {
      ArnLike: { 'aws:SourceArn': sameStack ? bucket.bucketArn : `arn:${stack.partition}:s3:::*` },
      StringEquals: { 'aws:SourceAccount': stack.account },
    },
  }));
}

/**
 * Sends the bucket's object events to EventBridge natively. @internal
 */
export function enableEventBridge(bucket: s3.Bucket): void {
  // L1: the L2's eventBridgeEnabled deploys a Lambda-backed custom resource; S3 supports it natively.
  (bucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = {
    eventBridgeConfiguration: { eventBridgeEnabled: true },
  };
}

/** Cross-Region replication needs a destination bucket the user owns in another Region. @internal */
export function acknowledgeReplication(bucket: s3.Bucket): void {
  for (const pack of ['NIST.800.53.R5', 'HIPAA.Security']) {
    Validations.of(bucket).acknowledge({
      id: `${pack}-S3BucketReplicationEnabled`,
      reason: 'Cross-Region replication needs a destination bucket in another Region that the user owns; add a replication rule to this bucket (a public member) when the data warrants it.',
    });
  }
}

/**
 * Lets an AWS service principal encrypt and decrypt with the key (needed when EventBridge, Scheduler
 * or CloudWatch alarms deliver to an encrypted queue or topic). A no-op on an imported key, whose
 * policy the user owns. @internal
 */
export function allowServiceToUseKey(key: kms.IKey, service: string): void {
  key.addToResourcePolicy(new iam.PolicyStatement({
    principals: [new iam.ServicePrincipal(service)],
    actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
    resources: ['*'],
  }), /* allowNoOp */ true);
}

/**
 * Suppresses one cfn-guard rule on a resource (template metadata that cfn-guard reads), for rules
 * whose check is out of date with the service. Each call states why. @internal
 */
export function suppressGuardRule(construct: IConstruct, rule: string, reason: string): void {
  const resource = (construct instanceof CfnResource ? construct : construct.node.defaultChild) as CfnResource;
  const existing = resource.getMetadata('guard') as { SuppressedRules?: string[]; Reasons?: { [rule: string]: string } } | undefined;
  resource.addMetadata('guard', {
    SuppressedRules: [...existing?.SuppressedRules ?? [], rule],
    Reasons: { ...existing?.Reasons, [rule]: reason },
  });
}
