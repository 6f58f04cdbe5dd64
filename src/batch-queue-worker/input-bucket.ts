import { Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { WorkloadCluster } from '../core/cluster';
import { buildBucket } from '../core/resources';

/**
 * The worker's input bucket: the core bucket with native EventBridge notifications, logging its
 * access into the cluster's access log bucket under a prefix of its own.
 *
 * When the cluster lives in another stack, the core's log-delivery statement (conditioned on this
 * bucket's ARN) would make the cluster stack depend on this one, which already depends on the
 * cluster: a cycle. Across stacks the statement is conditioned on the account and the prefix only.
 * @internal
 */
export function buildInputBucket(scope: Construct, id: string, cluster: WorkloadCluster, removalPolicy?: RemovalPolicy): s3.Bucket {
  const logs = cluster.accessLogsBucket;
  const prefix = `${Names.uniqueId(scope)}/`;
  const sameStack = Stack.of(logs) === Stack.of(scope);
  const bucket = buildBucket(scope, id, {
    encryptionKey: cluster.encryptionKey,
    eventBridgeEnabled: true,
    serverAccessLogsBucket: sameStack ? logs : undefined,
    serverAccessLogsPrefix: prefix,
    removalPolicy,
  });
  if (!sameStack) {
    const stack = Stack.of(scope);
    // L1: without the serverAccessLogsUseBucketPolicy feature flag the L2 grants delivery through an ACL.
    (bucket.node.defaultChild as s3.CfnBucket).loggingConfiguration = {
      destinationBucketName: logs.bucketName,
      logFilePrefix: prefix,
    };
    logs.addToResourcePolicy(new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
      actions: ['s3:PutObject'],
      resources: [logs.arnForObjects(`${prefix}*`)],
      conditions: {
        ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:s3:::*` },
        StringEquals: { 'aws:SourceAccount': stack.account },
      },
    }));
  }
  return bucket;
}
