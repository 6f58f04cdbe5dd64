/**
 * Issue 8, point 3: the logical IDs of every resource that holds data are pinned.
 *
 * CloudFormation identifies a resource by its logical ID. A refactor that changes one (a renamed
 * construct id, a construct moved under another parent, a new wrapper) makes CloudFormation create a
 * new resource and delete or orphan the old one on the user's next deploy: a new, empty bucket,
 * queue, file system or log group, a new key. The lists below are written out by hand, not a jest
 * snapshot, so `jest -u` cannot update them.
 *
 * CHANGING AN ID BELOW REPLACES THE USER'S DATA ON THEIR NEXT DEPLOY. Do it only in a major version,
 * with a migration note in the changelog (see docs/upgrade-guarantee.md). Adding a new stateful
 * resource means adding its ID here.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { BatchQueueWorker, DaemonAgent, InferenceService, ScheduledTask, WorkloadCluster } from '../../src';

const IMAGE = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:stable');
const HOURLY = scheduler.ScheduleExpression.rate(Duration.hours(1));

/** Resource types that hold data (or, for access points, how the data is reached). */
const STATEFUL_TYPES = [
  'AWS::S3::Bucket',
  'AWS::EFS::FileSystem',
  'AWS::EFS::AccessPoint',
  'AWS::SQS::Queue',
  'AWS::Logs::LogGroup',
  'AWS::KMS::Key',
];

/** Types whose deletion destroys data: retained on stack deletion and replacement by default. */
const RETAINED_TYPES = STATEFUL_TYPES.filter(t => t !== 'AWS::EFS::AccessPoint');

/** The cluster's stateful resources, present in every stack below. */
const CLUSTER_IDS = [
  'AWS::KMS::Key ClusterKeyB247D7DD',
  'AWS::Logs::LogGroup ClusterExecLogs956D313E',
  'AWS::Logs::LogGroup ClusterFlowLogs8372B953',
];
/** The cluster's access log bucket, created when a workload first logs to it (S3 server access or load balancer logs). */
const ACCESS_LOGS_ID = 'AWS::S3::Bucket ClusterAccessLogsB535E130';

interface Case {
  readonly name: string;
  readonly build: (stack: Stack, cluster: WorkloadCluster) => void;
  /** Every stateful resource of the stack, as `<type> <logical ID>`, sorted. */
  readonly ids: string[];
}

function graviton(cluster: WorkloadCluster): ecs.AsgCapacityProvider {
  return cluster.addAsgCapacity('Graviton', { instanceType: new ec2.InstanceType('m7g.large'), maxCapacity: 2 });
}

// CHANGING AN ID BELOW REPLACES THE USER'S DATA ON THEIR NEXT DEPLOY (see the top of this file).
const CASES: Case[] = [
  {
    name: 'WorkloadCluster with one addAsgCapacity',
    build: (_stack, cluster) => { graviton(cluster); },
    ids: [...CLUSTER_IDS],
  },
  {
    name: 'BatchQueueWorker (defaults)',
    build: (stack, cluster) => { new BatchQueueWorker(stack, 'Worker', { cluster, image: IMAGE, maxTasks: 4 }); },
    ids: [
      ...CLUSTER_IDS,
      ACCESS_LOGS_ID,
      'AWS::Logs::LogGroup WorkerLogGroup67ABCFFE',
      'AWS::S3::Bucket WorkerInputBucket2A2B6DF1',
      'AWS::SQS::Queue WorkerDeadLetterQueue2879C389',
      'AWS::SQS::Queue WorkerQueue9380F652',
      'AWS::Logs::LogGroup WorkerWakeUpStateMachineLogs6B140104',
      'AWS::SQS::Queue WorkerWakeUpDeadLetterQueue4872891D',
      'AWS::SQS::Queue WorkerWakeUpEventDeadLetterQueue9F3016B4',
      'AWS::SQS::Queue WorkerWakeUpQueue293FE905',
    ],
  },
  {
    name: 'InferenceService (defaults)',
    build: (stack, cluster) => { new InferenceService(stack, 'Inference', { cluster, image: IMAGE }); },
    ids: [
      ...CLUSTER_IDS,
      ACCESS_LOGS_ID,
      'AWS::Logs::LogGroup InferenceLogGroup09EBFCBD',
    ],
  },
  {
    name: 'InferenceService with a new model store',
    build: (stack, cluster) => { new InferenceService(stack, 'Inference', { cluster, image: IMAGE, modelStore: { mountPath: '/models' } }); },
    ids: [
      ...CLUSTER_IDS,
      ACCESS_LOGS_ID,
      'AWS::EFS::AccessPoint InferenceModelStoreAccessPointA00D740C',
      'AWS::EFS::FileSystem InferenceModelStore6CB9B8D5',
      'AWS::Logs::LogGroup InferenceLogGroup09EBFCBD',
    ],
  },
  {
    name: 'DaemonAgent (defaults)',
    build: (stack, cluster) => {
      graviton(cluster);
      new DaemonAgent(stack, 'Agent', { cluster, image: IMAGE, memoryReservationMiB: 64 });
    },
    ids: [
      ...CLUSTER_IDS,
      'AWS::Logs::LogGroup AgentLogGroup60F973C0',
    ],
  },
  {
    name: 'ScheduledTask (defaults)',
    build: (stack, cluster) => { new ScheduledTask(stack, 'Job', { cluster, image: IMAGE, schedule: HOURLY }); },
    ids: [
      ...CLUSTER_IDS,
      'AWS::Logs::LogGroup JobLogGroup1FE34A36',
      'AWS::SQS::Queue JobDeadLetterQueueC4697666',
    ],
  },
  {
    name: 'ScheduledTask run to completion (timeout)',
    build: (stack, cluster) => { new ScheduledTask(stack, 'Job', { cluster, image: IMAGE, schedule: HOURLY, timeout: Duration.minutes(30) }); },
    ids: [
      ...CLUSTER_IDS,
      'AWS::Logs::LogGroup JobLogGroup1FE34A36',
      'AWS::Logs::LogGroup JobStateMachineLogsBF40ACEE',
      'AWS::SQS::Queue JobDeadLetterQueueC4697666',
    ],
  },
];

function synth(c: Case): { [logicalId: string]: any } {
  const stack = new Stack(new App(), 'Test', { env: { account: '123456789012', region: 'us-east-1' } });
  c.build(stack, new WorkloadCluster(stack, 'Cluster'));
  return Template.fromStack(stack).toJSON().Resources;
}

function stateful(resources: { [logicalId: string]: any }): [string, any][] {
  return Object.entries(resources).filter(([, r]) => STATEFUL_TYPES.includes(r.Type));
}

describe.each(CASES.map(c => [c.name, c] as const))('%s', (_, c) => {
  const resources = synth(c);

  test('the logical IDs of its stateful resources are exactly the pinned ones', () => {
    const actual = stateful(resources).map(([id, r]) => `${r.Type} ${id}`).sort();
    expect(actual).toEqual([...c.ids].sort());
  });

  test('every resource that holds data is retained on stack deletion and on replacement', () => {
    const notRetained = stateful(resources)
      .filter(([, r]) => RETAINED_TYPES.includes(r.Type))
      .filter(([, r]) => r.DeletionPolicy !== 'Retain' || r.UpdateReplacePolicy !== 'Retain')
      .map(([id, r]) => `${id}: DeletionPolicy ${r.DeletionPolicy}, UpdateReplacePolicy ${r.UpdateReplacePolicy}`);
    expect(notRetained).toEqual([]);
  });

  test('EFS access points hold no data and are deleted with the stack (the file system and its files are retained)', () => {
    for (const [, r] of stateful(resources).filter(([, x]) => x.Type === 'AWS::EFS::AccessPoint')) {
      expect(r.DeletionPolicy).toBeUndefined();
    }
  });
});

test('every construct of the library has a case', () => {
  const names = CASES.map(c => c.name).join('\n');
  for (const construct of ['WorkloadCluster', 'BatchQueueWorker', 'InferenceService', 'DaemonAgent', 'ScheduledTask']) {
    expect(names).toContain(construct);
  }
});

test('the pinned types are every stateful type the library creates (a new one must be added to this file)', () => {
  const all = new Set<string>();
  for (const c of CASES) {
    for (const r of Object.values(synth(c))) all.add(r.Type);
  }
  // Candidates for state, so that a new one must be judged here. Mount targets, topics (SNS stores no
  // message) and state machines (definitions, rebuilt from the template) hold no data of the user's.
  const judged = [...all].filter(t => /S3::Bucket$|EFS::|SQS::Queue$|Logs::LogGroup$|KMS::Key$|DynamoDB|RDS|SNS::Topic$|StepFunctions::StateMachine$/.test(t)).sort();
  expect(judged).toEqual([
    'AWS::EFS::AccessPoint',
    'AWS::EFS::FileSystem',
    'AWS::EFS::MountTarget',
    'AWS::KMS::Key',
    'AWS::Logs::LogGroup',
    'AWS::S3::Bucket',
    'AWS::SNS::Topic',
    'AWS::SQS::Queue',
    'AWS::StepFunctions::StateMachine',
  ]);
});
