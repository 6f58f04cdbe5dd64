/**
 * ECS Exec (`enableExec`): the cluster's session logging, and what each workload construct sets on
 * its service (or schedule / state machine), its main container and its task role.
 */
import { CfnElement, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { IConstruct } from 'constructs';
import { BatchQueueWorker, DaemonAgent, InferenceService, ScheduledTask, SidecarContainerOptions, WorkloadCluster } from '../../src';
import { ValidationError } from '../../src/core/errors';
import { buildBucket, logAccessTo } from '../../src/core/resources';
import { expectCompliant, newStack } from '../compliance';
import { expectDeployable } from '../deploy-proof';
import { IMAGE } from './workload';

const HOURLY = scheduler.ScheduleExpression.rate(Duration.hours(1));
const M7G = new ec2.InstanceType('m7g.large');
const C7G = new ec2.InstanceType('c7g.large');
const SSM_MESSAGES = ['ssmmessages:CreateControlChannel', 'ssmmessages:CreateDataChannel', 'ssmmessages:OpenControlChannel', 'ssmmessages:OpenDataChannel'];

const id = (c: IConstruct) => Stack.of(c).getLogicalId(c.node.defaultChild as CfnElement);
const getAtt = (c: IConstruct, attr = 'Arn') => ({ 'Fn::GetAtt': [id(c), attr] });

/**
 * A bucket built like the library's own: encrypted with a key of its own (the cluster key does not
 * exist before the cluster), versioned, TLS only, events to EventBridge; its access logs go to the
 * cluster's log bucket once the cluster exists (`withAccessLogs`).
 */
function sessionLogBucket(stack: Stack): s3.Bucket {
  const key = new kms.Key(stack, 'SessionLogKey', { description: 'Encrypts the ECS Exec session logs', enableKeyRotation: true });
  // Control Tower CT.KMS.PR.3, as the cluster key has it: only AWS services may create grants on the key.
  key.addToResourcePolicy(new iam.PolicyStatement({
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: ['kms:CreateGrant'],
    resources: ['*'],
    conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
  }));
  return buildBucket(stack, 'SessionLogs', { encryptionKey: key, eventBridgeEnabled: true });
}

function withAccessLogs(bucket: s3.Bucket, cluster: WorkloadCluster): void {
  logAccessTo(bucket, cluster.accessLogsBucket, 'SessionLogs/');
}

/** What `attempt` throws, built once for several assertions (undefined if it does not throw). */
function thrownBy(attempt: () => unknown): unknown {
  try {
    attempt();
  } catch (e) {
    return e;
  }
  return undefined;
}

// ~~~ the cluster ~~~

describe('WorkloadCluster ECS Exec logging', () => {
  // A default cluster, built on first use; the tests only read it.
  let defaults: { cluster: WorkloadCluster; template: Template } | undefined;
  const defaultCluster = () => {
    if (!defaults) {
      const stack = newStack();
      const cluster = new WorkloadCluster(stack, 'Cluster');
      defaults = { cluster, template: Template.fromStack(stack) };
    }
    return defaults;
  };

  test('the exec log group is encrypted with the cluster key, keeps sessions 365 days and is retained by default', () => {
    const { cluster, template } = defaultCluster();
    expect(cluster.execLogGroup).toBeDefined();
    expect(cluster.execSessionLogBucket).toBeUndefined();
    const group = template.toJSON().Resources[id(cluster.execLogGroup!)];
    expect(group).toEqual({
      Type: 'AWS::Logs::LogGroup',
      Properties: { KmsKeyId: getAtt(cluster.encryptionKey), RetentionInDays: 365 },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('removalPolicy DESTROY deletes the exec log group with the stack', () => {
    const stack = newStack();
    const cluster = new WorkloadCluster(stack, 'Cluster', { removalPolicy: RemovalPolicy.DESTROY });
    const group = Template.fromStack(stack).toJSON().Resources[id(cluster.execLogGroup!)];
    expect(group.DeletionPolicy).toBe('Delete');
    expect(group.UpdateReplacePolicy).toBe('Delete');
  });

  test('the cluster encrypts sessions with the cluster key and logs them to the exec log group (encrypted), and nowhere else', () => {
    const { cluster, template } = defaultCluster();
    const resource = template.toJSON().Resources[id(cluster.cluster)];
    expect(resource.Type).toBe('AWS::ECS::Cluster');
    expect(resource.Properties.Configuration).toEqual({
      ExecuteCommandConfiguration: {
        KmsKeyId: getAtt(cluster.encryptionKey),
        Logging: 'OVERRIDE',
        LogConfiguration: { CloudWatchEncryptionEnabled: true, CloudWatchLogGroupName: { Ref: id(cluster.execLogGroup!) } },
      },
    });
  });

  test('execSessionLogBucket adds an encrypted copy of each session log under ecs-exec/ of the bucket', () => {
    const stack = newStack();
    const bucket = sessionLogBucket(stack);
    const cluster = new WorkloadCluster(stack, 'Cluster', { execSessionLogBucket: bucket });
    const resource = Template.fromStack(stack).toJSON().Resources[id(cluster.cluster)];
    expect(cluster.execSessionLogBucket).toBe(bucket);
    expect(resource.Properties.Configuration.ExecuteCommandConfiguration).toEqual({
      KmsKeyId: getAtt(cluster.encryptionKey),
      Logging: 'OVERRIDE',
      LogConfiguration: {
        CloudWatchEncryptionEnabled: true,
        CloudWatchLogGroupName: { Ref: id(cluster.execLogGroup!) },
        S3BucketName: { Ref: id(bucket) },
        S3EncryptionEnabled: true,
        S3KeyPrefix: 'ecs-exec',
      },
    });
  });

  test('an existing cluster gets no exec log group: its own executeCommandConfiguration applies', () => {
    const stack = newStack();
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2 });
    const cluster = new WorkloadCluster(stack, 'Cluster', { vpc, cluster: ecs.Cluster.fromClusterAttributes(stack, 'Existing', { clusterName: 'prod', vpc }) });
    expect(cluster.execLogGroup).toBeUndefined();
    expect(Template.fromStack(stack).findResources('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 365, KmsKeyId: getAtt(cluster.encryptionKey) } }))
      .toEqual({});
  });

  test('execSessionLogBucket with an existing cluster is refused, naming the prop and the fix', () => {
    const make = () => {
      const stack = newStack();
      const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2 });
      const bucket = new s3.Bucket(stack, 'SessionLogs');
      return new WorkloadCluster(stack, 'Cluster', {
        vpc,
        cluster: ecs.Cluster.fromClusterAttributes(stack, 'Existing', { clusterName: 'prod', vpc }),
        execSessionLogBucket: bucket,
      });
    };
    const error = thrownBy(make);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toMatch(/^Test\/Cluster: execSessionLogBucket \(Test\/SessionLogs\) configures the ECS Exec logging of a cluster this construct creates, but cluster was given\. /);
    expect((error as Error).message).toMatch(/Configure executeCommandConfiguration on your cluster instead, and remove execSessionLogBucket\.$/);
  });
});

// ~~~ the workloads ~~~

interface ExecProps {
  readonly enableExec?: boolean;
  readonly readonlyRootFilesystem?: boolean;
  readonly sidecars?: SidecarContainerOptions[];
}

/** What a test reads from a built workload. */
interface Built {
  readonly taskDefinition: ecs.TaskDefinition;
  readonly taskRole: iam.IRole;
  /** The EnableExecuteCommand ECS receives when it starts the workload's tasks. */
  readonly execSetting: (template: Template) => unknown;
}

interface WorkloadCase {
  readonly name: string;
  readonly make: (stack: Stack, cluster: WorkloadCluster, props: ExecProps) => Built;
}

/** EnableExecuteCommand of an ECS service. */
const serviceSetting = (service: ecs.BaseService) => (template: Template) =>
  template.toJSON().Resources[id(service)].Properties.EnableExecuteCommand;

/** The state machine's definition, with every token replaced by a placeholder string, parsed. */
function definition(template: Template, machine: IConstruct): any {
  const parts: unknown[] = template.toJSON().Resources[id(machine)].Properties.DefinitionString['Fn::Join'][1];
  return JSON.parse(parts.map(p => typeof p === 'string' ? p : 'TOKEN').join(''));
}

const WORKLOADS: WorkloadCase[] = [
  {
    name: 'BatchQueueWorker',
    make: (stack, cluster, props) => {
      const worker = new BatchQueueWorker(stack, 'Workload', { cluster, image: IMAGE, maxTasks: 4, ...props });
      return { taskDefinition: worker.taskDefinition, taskRole: worker.taskDefinition.taskRole, execSetting: serviceSetting(worker.service) };
    },
  },
  {
    name: 'InferenceService (ALB)',
    make: (stack, cluster, props) => {
      const svc = new InferenceService(stack, 'Workload', { cluster, image: IMAGE, ...props });
      return { taskDefinition: svc.taskDefinition, taskRole: svc.taskDefinition.taskRole, execSetting: serviceSetting(svc.service) };
    },
  },
  {
    name: 'DaemonAgent (EC2 capacity provider)',
    make: (stack, cluster, props) => {
      const provider = cluster.addAsgCapacity('Graviton', { instanceType: M7G, additionalInstanceTypes: [C7G], maxCapacity: 2 });
      const agent = new DaemonAgent(stack, 'Workload', { cluster, image: IMAGE, memoryReservationMiB: 64, capacityProvider: provider, ...props });
      return { taskDefinition: agent.taskDefinition, taskRole: agent.taskRole, execSetting: serviceSetting(agent.service) };
    },
  },
  {
    name: 'ScheduledTask (direct)',
    make: (stack, cluster, props) => {
      const job = new ScheduledTask(stack, 'Workload', { cluster, image: IMAGE, schedule: HOURLY, ...props });
      return {
        taskDefinition: job.taskDefinition,
        taskRole: job.taskDefinition.taskRole,
        execSetting: template => template.toJSON().Resources[id(job.schedule)].Properties.Target.EcsParameters.EnableExecuteCommand,
      };
    },
  },
  {
    name: 'ScheduledTask (with timeout)',
    make: (stack, cluster, props) => {
      const job = new ScheduledTask(stack, 'Workload', { cluster, image: IMAGE, schedule: HOURLY, timeout: Duration.hours(1), ...props });
      return {
        taskDefinition: job.taskDefinition,
        taskRole: job.taskDefinition.taskRole,
        execSetting: template => {
          const states = definition(template, job.stateMachine!).States;
          const runTask = Object.values<any>(states).find(s => typeof s.Resource === 'string' && s.Resource.endsWith(':states:::ecs:runTask.sync'));
          expect(runTask).toBeDefined();
          return runTask.Parameters.EnableExecuteCommand;
        },
      };
    },
  },
];

type Statement = { readonly Effect: string; readonly Action: string[]; readonly Resource: unknown; readonly Condition?: unknown };

/** Every statement of the role's identity policies (managed and inline), actions as sorted lists. */
function roleStatements(template: Template, role: iam.IRole): Statement[] {
  const ref = JSON.stringify({ Ref: id(role) });
  const policies = Object.values<any>(template.toJSON().Resources)
    .filter(r => (r.Type === 'AWS::IAM::ManagedPolicy' || r.Type === 'AWS::IAM::Policy') && (r.Properties.Roles ?? []).some((x: unknown) => JSON.stringify(x) === ref));
  return policies.flatMap(p => [p.Properties.PolicyDocument.Statement].flat()).map(normalize);
}

function normalize(s: any): Statement {
  return { ...s, Action: [s.Action].flat().sort() };
}

/** The statements of `after` that `before` does not have (a multiset difference); fails if `before` has one `after` lacks. */
function added(before: Statement[], after: Statement[]): Statement[] {
  const rest = after.map(s => JSON.stringify(s));
  for (const s of before.map(x => JSON.stringify(x))) {
    const i = rest.indexOf(s);
    expect(i === -1 ? `missing with enableExec: ${s}` : 'kept').toBe('kept');
    if (i !== -1) rest.splice(i, 1);
  }
  return rest.map(s => JSON.parse(s));
}

const sortStatements = (statements: Statement[]) => [...statements].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

/** The statements ECS Exec adds to a task role, as AWS documents them, scoped to the cluster's log group and key. */
function execStatements(cluster: WorkloadCluster): Statement[] {
  return [
    { Effect: 'Allow', Action: SSM_MESSAGES, Resource: '*' },
    { Effect: 'Allow', Action: ['logs:DescribeLogGroups'], Resource: '*' },
    {
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:us-east-1:123456789012:log-group:', { Ref: id(cluster.execLogGroup!) }, ':*']] },
    },
    { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: getAtt(cluster.encryptionKey) },
  ];
}

/** ... and with `execSessionLogBucket`: the bucket's location and encryption, and objects under ecs-exec/ only. */
function bucketStatements(bucket: s3.Bucket): Statement[] {
  return [
    { Effect: 'Allow', Action: ['s3:GetBucketLocation', 's3:GetEncryptionConfiguration'], Resource: getAtt(bucket) },
    { Effect: 'Allow', Action: ['s3:PutObject'], Resource: { 'Fn::Join': ['', [getAtt(bucket), '/ecs-exec/*']] } },
    { Effect: 'Allow', Action: ['kms:GenerateDataKey'], Resource: getAtt(bucket.encryptionKey!) },
  ];
}

function containers(template: Template, taskDefinition: ecs.TaskDefinition): any[] {
  return template.toJSON().Resources[id(taskDefinition)].Properties.ContainerDefinitions;
}

const SIDECAR: SidecarContainerOptions = { name: 'proxy', image: IMAGE, memoryLimitMiB: 32 };

describe.each(WORKLOADS)('$name', ({ make }) => {
  /** Builds the workload in a stack of its own; with `bucket`, on a cluster with an execSessionLogBucket. */
  function build(props: ExecProps, options: { readonly bucket?: boolean } = {}) {
    const stack = newStack();
    const bucket = options.bucket ? sessionLogBucket(stack) : undefined;
    const cluster = new WorkloadCluster(stack, 'Cluster', { execSessionLogBucket: bucket });
    const built = make(stack, cluster, props);
    return { stack, cluster, bucket, built, template: Template.fromStack(stack) };
  }

  // The workload with default props, built on first use and read by two tests.
  let defaults: ReturnType<typeof build> | undefined;
  const withDefaults = () => {
    defaults ??= build({});
    return defaults;
  };

  test('default: ECS Exec off, main container read-only, no ssmmessages in the task role', () => {
    const { built, template } = withDefaults();
    expect([undefined, false]).toContain(built.execSetting(template));
    const main = containers(template, built.taskDefinition).find(c => c.Name === 'main');
    expect(main.ReadonlyRootFilesystem).toBe(true);
    expect(main.LinuxParameters).toBeUndefined();
    const actions = roleStatements(template, built.taskRole).flatMap(s => s.Action);
    expect(actions.filter(a => a.startsWith('ssmmessages:'))).toEqual([]);
    expect(actions.filter(a => a.startsWith('logs:'))).toEqual([]);
  });

  test('enableExec: ECS Exec on, main container writable with an init process, sidecars still read-only', () => {
    const { built, template } = build({ enableExec: true, sidecars: [SIDECAR] });
    expect(built.execSetting(template)).toBe(true);
    const defs = containers(template, built.taskDefinition);
    const main = defs.find(c => c.Name === 'main');
    expect(main.ReadonlyRootFilesystem).toBe(false);
    expect(main.LinuxParameters).toEqual(expect.objectContaining({ InitProcessEnabled: true }));
    const sidecar = defs.find(c => c.Name === 'proxy');
    expect(sidecar.ReadonlyRootFilesystem).toBe(true);
    expect(sidecar.LinuxParameters).toBeUndefined();
  });

  test('enableExec: the task role gains exactly the session channels, the exec log group\'s streams and the cluster key', () => {
    const before = withDefaults();
    const after = build({ enableExec: true });
    const gained = added(roleStatements(before.template, before.built.taskRole), roleStatements(after.template, after.built.taskRole));
    expect(sortStatements(gained)).toEqual(sortStatements(execStatements(after.cluster)));
  });

  test('enableExec with execSessionLogBucket: also the bucket\'s location and encryption, and objects under ecs-exec/ only', () => {
    const before = build({}, { bucket: true });
    const after = build({ enableExec: true }, { bucket: true });
    const gained = added(roleStatements(before.template, before.built.taskRole), roleStatements(after.template, after.built.taskRole));
    expect(sortStatements(gained)).toEqual(sortStatements([...execStatements(after.cluster), ...bucketStatements(after.bucket!)]));
    // The default path grants nothing on the session log bucket.
    expect(JSON.stringify(roleStatements(before.template, before.built.taskRole))).not.toContain(id(before.bucket!));
  });

  test('enableExec with readonlyRootFilesystem: true is refused, naming both props and the fix', () => {
    const error = thrownBy(() => build({ enableExec: true, readonlyRootFilesystem: true }));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toMatch(/^Test\/Workload: enableExec is true, but readonlyRootFilesystem is true: /);
    expect((error as Error).message).toMatch(/ECS does not support ECS Exec with a read-only one\. Remove readonlyRootFilesystem \(enableExec makes the root file system writable\), or remove enableExec\.$/);
  });

  test('enableExec with readonlyRootFilesystem: false is accepted', () => {
    const { built, template } = build({ enableExec: true, readonlyRootFilesystem: false });
    expect(containers(template, built.taskDefinition).find(c => c.Name === 'main').ReadonlyRootFilesystem).toBe(false);
  });
});

// ~~~ compliance and deployability ~~~

describe('compliance', () => {
  /** Every workload with enableExec, on one cluster; the DaemonAgent on EC2 capacity. */
  function everyWorkload(options: { readonly bucket: boolean }): Stack {
    const stack = newStack();
    const bucket = options.bucket ? sessionLogBucket(stack) : undefined;
    const cluster = new WorkloadCluster(stack, 'Cluster', { execSessionLogBucket: bucket });
    if (bucket) withAccessLogs(bucket, cluster);
    new BatchQueueWorker(stack, 'Worker', { cluster, image: IMAGE, maxTasks: 4, enableExec: true });
    new InferenceService(stack, 'Inference', { cluster, image: IMAGE, enableExec: true });
    const provider = cluster.addAsgCapacity('Graviton', { instanceType: M7G, additionalInstanceTypes: [C7G], maxCapacity: 2 });
    new DaemonAgent(stack, 'Agent', { cluster, image: IMAGE, memoryReservationMiB: 64, capacityProvider: provider, enableExec: true });
    new ScheduledTask(stack, 'Job', { cluster, image: IMAGE, schedule: HOURLY, enableExec: true });
    new ScheduledTask(stack, 'RunToCompletion', { cluster, image: IMAGE, schedule: HOURLY, timeout: Duration.hours(1), enableExec: true });
    return stack;
  }

  test.each([
    ['on a cluster with execSessionLogBucket', true],
    ['on a cluster without execSessionLogBucket', false],
  ])('every workload with enableExec %s has no unacknowledged finding and deploys', async (_name, bucket) => {
    const stack = everyWorkload({ bucket });
    expectCompliant(stack);
    await expectDeployable(stack);
  });
});

describe('a cluster without NAT gateways', () => {
  const endpointServices = (stack: Stack) => Object.values(Template.fromStack(stack).findResources('AWS::EC2::VPCEndpoint'))
    .map(r => JSON.stringify(r.Properties.ServiceName)).filter(n => /ssmmessages|\.kms/.test(n));

  test('gets the ssmmessages and kms endpoints (once) when workloads enable ECS Exec: the session channels and the cluster key', () => {
    const stack = newStack();
    const cluster = new WorkloadCluster(stack, 'Cluster', { natGateways: 0 });
    const image = ecs.ContainerImage.fromEcrRepository(new ecr.Repository(stack, 'Repo'));
    new BatchQueueWorker(stack, 'Worker', { cluster, image, maxTasks: 2, enableExec: true });
    new InferenceService(stack, 'Inference', { cluster, image, enableExec: true });
    expect(endpointServices(stack)).toEqual([
      expect.stringContaining('.ssmmessages'),
      expect.stringContaining('.kms'),
    ]);
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Interface', PrivateDnsEnabled: true, ServiceName: 'com.amazonaws.us-east-1.ssmmessages',
    });
  });

  test('gets none of them while no workload enables ECS Exec, and a cluster with NAT never does', () => {
    const withoutExec = newStack();
    const c1 = new WorkloadCluster(withoutExec, 'Cluster', { natGateways: 0 });
    const image = ecs.ContainerImage.fromEcrRepository(new ecr.Repository(withoutExec, 'Repo'));
    new BatchQueueWorker(withoutExec, 'Worker', { cluster: c1, image, maxTasks: 2 });
    expect(endpointServices(withoutExec)).toEqual([]);
    const withNat = newStack();
    const c2 = new WorkloadCluster(withNat, 'Cluster');
    new BatchQueueWorker(withNat, 'Worker', { cluster: c2, image: IMAGE, maxTasks: 2, enableExec: true });
    expect(endpointServices(withNat)).toEqual([]);
  });
});
