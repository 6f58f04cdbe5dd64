/**
 * Issue 13 (deploy-proof), lifecycle order: every workload's resources are created after what they
 * need and deleted before it, and `cdk destroy` is not blocked by anything but what the defaults
 * keep on purpose. The rules themselves are in `lifecycle.ts`; the first half of this file shows each
 * rule catching its defect on a tiny hand-written template, the second half runs them over the
 * constructs and the example app.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { BatchQueueWorkerStack } from '../../examples/batch-queue-worker-stack';
import { ClusterStack } from '../../examples/cluster-stack';
import { DaemonAgentStack } from '../../examples/daemon-agent-stack';
import { InferenceServiceStack } from '../../examples/inference-service-stack';
import { ScheduledTaskStack } from '../../examples/scheduled-task-stack';
import {
  BatchQueueWorker, Capacity, DaemonAgent, InferenceService, LoadBalancerType, ScheduledTask, WorkloadCluster,
  WorkloadClusterProps, WorkloadVolume,
} from '../../src';
import { newStack } from '../compliance';
import {
  CfnTemplate, deletionBlockers, DeployModel, orderChecks, orderProblems, OrderRule, retainedOnDelete, StackTemplate, stackTemplates,
} from './lifecycle';

const IMAGE = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:stable');

// ---------------------------------------------------------------------------------------------
// The dependency graph on tiny templates.

describe('dependency graph', () => {
  const template: CfnTemplate = {
    Resources: {
      A: { Type: 'T', Properties: {} },
      B: { Type: 'T', Properties: { X: { Ref: 'A' } } },
      C: { Type: 'T', Properties: { X: { 'Fn::GetAtt': ['B', 'Arn'] } } },
      D: { Type: 'T', Properties: { X: { 'Fn::GetAtt': 'C.Arn' } } },
      E: { Type: 'T', Properties: { X: { 'Fn::Sub': 'arn:${AWS::Partition}:x:${D}:${!Literal}' } } },
      F: { Type: 'T', Properties: { X: { 'Fn::Sub': ['${A.Arn}/${Var}', { Var: { Ref: 'B' } }] } } },
      G: { Type: 'T', DependsOn: 'E', Properties: {} },
      H: { Type: 'T', DependsOn: ['A'], Properties: { X: { 'Fn::Sub': ['${Literal}', { Literal: 'x' }] } } },
      Literal: { Type: 'T', Properties: {} },
      Alone: { Type: 'T', Properties: { X: 'A' } },
    },
  };
  const model = new DeployModel(template);
  const deps = (id: string) => model.directDependencies(model.get(id)!).map(n => n.logicalId).sort();
  const after = (a: string, b: string) => model.dependsOn(model.get(a)!, model.get(b)!);

  test('Ref, Fn::GetAtt (both forms), Fn::Sub (${X}, ${X.Attr}, variables) and DependsOn are edges', () => {
    expect(deps('B')).toEqual(['A']);
    expect(deps('C')).toEqual(['B']);
    expect(deps('D')).toEqual(['C']);
    expect(deps('E')).toEqual(['D']); // ${AWS::Partition} is a pseudo parameter, ${!Literal} is literal text
    expect(deps('F')).toEqual(['A', 'B']); // ${Var} is a variable of the Sub, whose value refers to B
    expect(deps('G')).toEqual(['E']);
    expect(deps('H')).toEqual(['A']); // ${Literal} is the Sub's variable, not the resource Literal
    expect(deps('Alone')).toEqual([]); // a plain string is not a reference
  });

  test('dependencies are transitive and one-way', () => {
    expect(after('G', 'A')).toBe(true);
    expect(after('A', 'G')).toBe(false);
    expect(after('Alone', 'A')).toBe(false);
  });

  test('across stacks: a stack dependency orders every resource after the other stack, Fn::ImportValue resolves to the exporter', () => {
    const stacks: StackTemplate[] = [
      {
        stackName: 'Base',
        template: {
          Resources: { Cluster: { Type: 'AWS::ECS::Cluster' }, Other: { Type: 'T' } },
          Outputs: { ClusterOut: { Value: { Ref: 'Cluster' }, Export: { Name: 'Base:Cluster' } } },
        },
      },
      {
        stackName: 'App',
        dependencies: ['Base'],
        template: { Resources: { Service: { Type: 'AWS::ECS::Service', Properties: { Cluster: { 'Fn::ImportValue': 'Base:Cluster' } } } } },
      },
      { stackName: 'Unrelated', template: { Resources: { X: { Type: 'T' } } } },
    ];
    const m = new DeployModel(stacks);
    const service = m.get('App/Service')!;
    expect(m.resolve('App', service.properties.Cluster)?.key).toBe('Base/Cluster');
    expect(m.directDependencies(service).map(n => n.key)).toEqual(['Base/Cluster']);
    expect(m.dependsOn(service, m.get('Base/Other')!)).toBe(true);
    expect(m.dependsOn(m.get('Base/Other')!, service)).toBe(false);
    expect(m.dependsOn(m.get('Unrelated/X')!, m.get('Base/Other')!)).toBe(false);
    expect(m.name(service)).toBe('App/Service');
  });
});

// ---------------------------------------------------------------------------------------------
// Each ordering rule on a tiny template: the defect is caught, the fix passes.

/** A Fargate service in a cluster with an association, a listener, an EFS volume, roles and a scalable target. */
function tinyApp(fix: { service?: string[]; lb?: string[]; target?: string[] } = {}): CfnTemplate {
  return {
    Resources: {
      Cluster: { Type: 'AWS::ECS::Cluster' },
      Association: {
        Type: 'AWS::ECS::ClusterCapacityProviderAssociations',
        Properties: { Cluster: { Ref: 'Cluster' }, CapacityProviders: ['FARGATE', 'FARGATE_SPOT'], DefaultCapacityProviderStrategy: [] },
      },
      Bucket: { Type: 'AWS::S3::Bucket' },
      BucketPolicy: { Type: 'AWS::S3::BucketPolicy', Properties: { Bucket: { Ref: 'Bucket' }, PolicyDocument: {} } },
      LoadBalancer: {
        Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer',
        DependsOn: fix.lb,
        Properties: {
          LoadBalancerAttributes: [
            { Key: 'access_logs.s3.enabled', Value: 'true' },
            { Key: 'access_logs.s3.bucket', Value: { Ref: 'Bucket' } },
          ],
        },
      },
      TargetGroup: { Type: 'AWS::ElasticLoadBalancingV2::TargetGroup', Properties: { Port: 8080 } },
      Listener: {
        Type: 'AWS::ElasticLoadBalancingV2::Listener',
        Properties: { LoadBalancerArn: { Ref: 'LoadBalancer' }, DefaultActions: [{ Type: 'forward', TargetGroupArn: { Ref: 'TargetGroup' } }] },
      },
      FileSystem: { Type: 'AWS::EFS::FileSystem' },
      MountTargetA: { Type: 'AWS::EFS::MountTarget', Properties: { FileSystemId: { Ref: 'FileSystem' } } },
      MountTargetB: { Type: 'AWS::EFS::MountTarget', Properties: { FileSystemId: { Ref: 'FileSystem' } } },
      TaskRole: { Type: 'AWS::IAM::Role' },
      TaskPolicy: { Type: 'AWS::IAM::Policy', Properties: { Roles: [{ Ref: 'TaskRole' }], PolicyDocument: {} } },
      ExecutionRole: { Type: 'AWS::IAM::Role' },
      ExecutionPolicy: { Type: 'AWS::IAM::ManagedPolicy', Properties: { Roles: [{ Ref: 'ExecutionRole' }], PolicyDocument: {} } },
      TaskDefinition: {
        Type: 'AWS::ECS::TaskDefinition',
        Properties: {
          TaskRoleArn: { 'Fn::GetAtt': ['TaskRole', 'Arn'] },
          ExecutionRoleArn: { 'Fn::GetAtt': ['ExecutionRole', 'Arn'] },
          Volumes: [{ Name: 'data', EFSVolumeConfiguration: { FilesystemId: { Ref: 'FileSystem' } } }],
        },
      },
      Service: {
        Type: 'AWS::ECS::Service',
        DependsOn: fix.service,
        Properties: {
          Cluster: { Ref: 'Cluster' },
          CapacityProviderStrategy: [{ CapacityProvider: 'FARGATE', Weight: 1 }],
          TaskDefinition: { Ref: 'TaskDefinition' },
          LoadBalancers: [{ ContainerName: 'main', ContainerPort: 8080, TargetGroupArn: { Ref: 'TargetGroup' } }],
        },
      },
      Target: {
        Type: 'AWS::ApplicationAutoScaling::ScalableTarget',
        DependsOn: fix.target,
        Properties: { ServiceNamespace: 'ecs', ResourceId: { 'Fn::Join': ['', ['service/', { Ref: 'Cluster' }, '/my-service']] } },
      },
    },
  };
}

describe('ordering rules on a tiny template', () => {
  const broken = tinyApp();
  // The target names the service only by its literal name: the rule matches it through ServiceName.
  (broken.Resources!.Service.Properties as any).ServiceName = 'my-service';
  const problems = orderProblems(broken);
  const ofRule = (rule: OrderRule) => problems.filter(p => p.startsWith(`[${rule}]`));

  test('a service racing its cluster\'s capacity provider association is caught', () => {
    expect(ofRule(OrderRule.CAPACITY_PROVIDER_ASSOCIATION)).toEqual([
      expect.stringMatching(/^\[service-after-capacity-provider-association\] ECS service Service uses capacity provider\(s\) FARGATE but does not depend on Association .*"The specified capacity provider is in use"/),
    ]);
  });

  test('a capacity provider the cluster does not list is caught', () => {
    const t = tinyApp({ service: ['Association'] });
    (t.Resources!.Service.Properties as any).CapacityProviderStrategy = [{ CapacityProvider: 'MyProvider', Weight: 1 }];
    expect(orderProblems(t).filter(p => p.startsWith('[service-after-capacity-provider-association]'))).toEqual([
      expect.stringMatching(/uses capacity provider MyProvider, which no ClusterCapacityProviderAssociations of cluster Cluster lists/),
    ]);
  });

  test('a service racing the listener of its target group is caught', () => {
    expect(ofRule(OrderRule.LISTENER)).toEqual([
      expect.stringMatching(/^\[service-after-listener\] ECS service Service does not depend on Listener .* target group TargetGroup/),
    ]);
  });

  test('a service racing the mount targets of its EFS file system is caught, once per mount target', () => {
    expect(ofRule(OrderRule.EFS_MOUNT_TARGETS)).toEqual([
      expect.stringMatching(/mounts EFS file system FileSystem but does not depend on its mount target MountTargetA: .*ResourceInitializationError/),
      expect.stringMatching(/mounts EFS file system FileSystem but does not depend on its mount target MountTargetB: /),
    ]);
  });

  test('a load balancer racing the policy of its access log bucket is caught', () => {
    expect(ofRule(OrderRule.ACCESS_LOG_BUCKET_POLICY)).toEqual([
      expect.stringMatching(/^\[load-balancer-after-access-log-bucket-policy\] Load balancer LoadBalancer .* bucket policy BucketPolicy: .*Access Denied/),
    ]);
  });

  test('a scalable target racing its service is caught', () => {
    expect(ofRule(OrderRule.SCALABLE_TARGET)).toEqual([
      expect.stringMatching(/^\[scalable-target-after-service\] Scalable target Target scales ECS service Service but does not depend on it/),
    ]);
  });

  test('a service racing the policies of its task role and execution role is caught', () => {
    expect(ofRule(OrderRule.ROLE_POLICIES)).toEqual([
      expect.stringMatching(/ECS service Service does not depend on TaskPolicy \(AWS::IAM::Policy\), the policy of its task role TaskRole/),
      expect.stringMatching(/ECS service Service does not depend on ExecutionPolicy \(AWS::IAM::ManagedPolicy\), the policy of its execution role ExecutionRole/),
    ]);
  });

  test('with the dependencies in place, every rule passes (transitively: the service waits for the policy through DependsOn)', () => {
    const fixed = tinyApp({
      service: ['Association', 'Listener', 'MountTargetA', 'MountTargetB', 'TaskPolicy', 'ExecutionPolicy'],
      lb: ['BucketPolicy'],
    });
    (fixed.Resources!.Target.Properties as any).ResourceId = { 'Fn::Join': ['', ['service/', { Ref: 'Cluster' }, '/', { 'Fn::GetAtt': ['Service', 'Name'] }]] };
    const checks = orderChecks(fixed);
    expect(new Set(checks.map(c => c.rule))).toEqual(new Set(Object.values(OrderRule)));
    expect(orderProblems(fixed)).toEqual([]);
  });

  test('missing pieces are problems too: no listener for the target group, no policy on the log bucket', () => {
    const t = tinyApp({ service: ['Association', 'MountTargetA', 'MountTargetB', 'TaskPolicy', 'ExecutionPolicy'] });
    delete t.Resources!.Listener;
    delete t.Resources!.BucketPolicy;
    expect(orderProblems(t)).toEqual([
      expect.stringMatching(/^\[service-after-listener\] No listener or listener rule forwards to target group TargetGroup/),
      expect.stringMatching(/^\[load-balancer-after-access-log-bucket-policy\] Load balancer LoadBalancer writes access logs to bucket Bucket, which has no AWS::S3::BucketPolicy/),
    ]);
  });
});

describe('deletion blockers and retained resources on a tiny template', () => {
  const template: CfnTemplate = {
    Resources: {
      ProtectedLb: {
        Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer',
        Properties: { LoadBalancerAttributes: [{ Key: 'deletion_protection.enabled', Value: 'true' }] },
      },
      OpenLb: {
        Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer',
        Properties: { LoadBalancerAttributes: [{ Key: 'deletion_protection.enabled', Value: 'false' }] },
      },
      ScaleInProtected: { Type: 'AWS::AutoScaling::AutoScalingGroup', Properties: { NewInstancesProtectedFromScaleIn: true } },
      ManagedProtected: { Type: 'AWS::AutoScaling::AutoScalingGroup', Properties: {} },
      Provider: {
        Type: 'AWS::ECS::CapacityProvider',
        Properties: { AutoScalingGroupProvider: { AutoScalingGroupArn: { Ref: 'ManagedProtected' }, ManagedTerminationProtection: 'ENABLED' } },
      },
      Plain: { Type: 'AWS::AutoScaling::AutoScalingGroup', Properties: {} },
      PlainProvider: {
        Type: 'AWS::ECS::CapacityProvider',
        Properties: { AutoScalingGroupProvider: { AutoScalingGroupArn: { Ref: 'Plain' }, ManagedTerminationProtection: 'DISABLED' } },
      },
      Kept: { Type: 'AWS::S3::Bucket', DeletionPolicy: 'Retain' },
      Gone: { Type: 'AWS::S3::Bucket', DeletionPolicy: 'Delete' },
    },
  };

  test('protected load balancers and scale-in protected groups block deletion; unprotected ones do not', () => {
    expect(deletionBlockers(template)).toEqual([
      expect.stringMatching(/^ProtectedLb \(AWS::ElasticLoadBalancingV2::LoadBalancer\): deletion_protection.enabled is true/),
      expect.stringMatching(/^ScaleInProtected \(AWS::AutoScaling::AutoScalingGroup\): NewInstancesProtectedFromScaleIn is true/),
      expect.stringMatching(/^ManagedProtected \(AWS::AutoScaling::AutoScalingGroup\): capacity provider Provider has ManagedTerminationProtection ENABLED/),
    ]);
  });

  test('retained resources are listed apart: they are left behind on purpose, not blockers', () => {
    expect(retainedOnDelete(template)).toEqual(['Kept (AWS::S3::Bucket)']);
    expect(deletionBlockers(template).some(b => b.startsWith('Kept'))).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// The constructs and the example app.

interface Scenario {
  /** Template(s) to check. */
  readonly templates: CfnTemplate | StackTemplate[];
}

function build(make: (stack: Stack, cluster: WorkloadCluster) => void, clusterProps: WorkloadClusterProps = {}): Scenario {
  const stack = newStack();
  const cluster = new WorkloadCluster(stack, 'Cluster', clusterProps);
  make(stack, cluster);
  return { templates: stackTemplates(stack)[0].template };
}

const G5 = new ec2.InstanceType('g5.xlarge');
const M7G = new ec2.InstanceType('m7g.large');
const NIGHTLY = scheduler.ScheduleExpression.cron({ hour: '2', minute: '30' });

const SCENARIOS: { [name: string]: () => Scenario } = {
  'WorkloadCluster (default)': () => build(() => undefined),
  'BatchQueueWorker (default)': () => build((s, c) => new BatchQueueWorker(s, 'Worker', { cluster: c, image: IMAGE, maxTasks: 10 })),
  'BatchQueueWorker on EC2 capacity': () => build((s, c) => {
    const provider = c.addAsgCapacity('Graviton', { instanceType: M7G, maxCapacity: 2 });
    new BatchQueueWorker(s, 'Worker', { cluster: c, image: IMAGE, maxTasks: 10, capacity: Capacity.ec2(provider) });
  }),
  'InferenceService (default, ALB)': () => build((s, c) => new InferenceService(s, 'Inference', { cluster: c, image: IMAGE })),
  'InferenceService (NLB)': () => build((s, c) => new InferenceService(s, 'Inference', { cluster: c, image: IMAGE, loadBalancerType: LoadBalancerType.NETWORK })),
  'InferenceService with a GPU on EC2': () => build((s, c) => {
    c.addAsgCapacity('Gpu', { instanceType: G5, gpu: true, maxCapacity: 2 });
    new InferenceService(s, 'Inference', { cluster: c, image: IMAGE, gpuCount: 1, cpu: 2048, memoryLimitMiB: 8192 });
  }),
  'InferenceService with a model store': () => build((s, c) => new InferenceService(s, 'Inference', { cluster: c, image: IMAGE, modelStore: { mountPath: '/models' } })),
  'InferenceService with an EFS volume': () => build((s, c) => {
    const fileSystem = new efs.FileSystem(s, 'Data', { vpc: c.vpc });
    new InferenceService(s, 'Inference', { cluster: c, image: IMAGE, volumes: [WorkloadVolume.efs({ fileSystem, containerPath: '/data' })] });
  }),
  'DaemonAgent (default)': () => build((s, c) => {
    const provider = c.addAsgCapacity('Graviton', { instanceType: M7G, maxCapacity: 2 });
    new DaemonAgent(s, 'Agent', { cluster: c, image: IMAGE, memoryReservationMiB: 64, capacityProvider: provider });
  }),
  'ScheduledTask (default)': () => build((s, c) => new ScheduledTask(s, 'Task', { cluster: c, image: IMAGE, schedule: NIGHTLY })),
  'example app (5 stacks)': () => {
    const app = new App();
    const clusterStack = new ClusterStack(app, 'EcsWorkloads-Cluster');
    const { cluster, graviton } = clusterStack;
    const stacks = [
      clusterStack,
      new BatchQueueWorkerStack(app, 'EcsWorkloads-BatchQueueWorker', { cluster }),
      new InferenceServiceStack(app, 'EcsWorkloads-InferenceService', { cluster }),
      new DaemonAgentStack(app, 'EcsWorkloads-DaemonAgent', { cluster, capacityProvider: graviton }),
      new ScheduledTaskStack(app, 'EcsWorkloads-ScheduledTask', { cluster }),
    ];
    return { templates: stackTemplates(...stacks) };
  },
};

/** Synthesized once per file: the scenarios are shared by every test below. */
const built = new Map<string, Scenario>();
function scenario(name: string): Scenario {
  if (!built.has(name)) built.set(name, SCENARIOS[name]());
  return built.get(name)!;
}

/** Rules each scenario must actually exercise, so that an empty problem list is not an empty check. */
const EXERCISED: { [name: string]: OrderRule[] } = {
  'WorkloadCluster (default)': [],
  'BatchQueueWorker (default)': [OrderRule.CAPACITY_PROVIDER_ASSOCIATION, OrderRule.SCALABLE_TARGET, OrderRule.ROLE_POLICIES],
  'BatchQueueWorker on EC2 capacity': [OrderRule.CAPACITY_PROVIDER_ASSOCIATION, OrderRule.SCALABLE_TARGET, OrderRule.ROLE_POLICIES],
  'InferenceService (default, ALB)': [OrderRule.CAPACITY_PROVIDER_ASSOCIATION, OrderRule.LISTENER, OrderRule.ACCESS_LOG_BUCKET_POLICY, OrderRule.SCALABLE_TARGET, OrderRule.ROLE_POLICIES],
  'InferenceService (NLB)': [OrderRule.CAPACITY_PROVIDER_ASSOCIATION, OrderRule.LISTENER, OrderRule.ACCESS_LOG_BUCKET_POLICY, OrderRule.SCALABLE_TARGET, OrderRule.ROLE_POLICIES],
  'InferenceService with a GPU on EC2': [OrderRule.CAPACITY_PROVIDER_ASSOCIATION, OrderRule.LISTENER, OrderRule.SCALABLE_TARGET, OrderRule.ROLE_POLICIES],
  'InferenceService with a model store': [OrderRule.CAPACITY_PROVIDER_ASSOCIATION, OrderRule.LISTENER, OrderRule.EFS_MOUNT_TARGETS, OrderRule.ROLE_POLICIES],
  'InferenceService with an EFS volume': [OrderRule.CAPACITY_PROVIDER_ASSOCIATION, OrderRule.LISTENER, OrderRule.EFS_MOUNT_TARGETS, OrderRule.ROLE_POLICIES],
  'DaemonAgent (default)': [OrderRule.ROLE_POLICIES],
  'ScheduledTask (default)': [],
  'example app (5 stacks)': Object.values(OrderRule),
};

describe.each(Object.keys(SCENARIOS))('%s', name => {
  test('every ordering rule it needs is exercised', () => {
    const rules = new Set(orderChecks(scenario(name).templates).map(c => c.rule));
    for (const rule of EXERCISED[name]) expect([...rules]).toContain(rule);
  });

  test('resources are created after, and deleted before, what they need', () => {
    expect(orderProblems(scenario(name).templates)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// cdk destroy: what blocks it by default (production defaults, on purpose), and with allowDestroy.

describe('deletion blockers with the production defaults', () => {
  const lbBlocker = (id: string) => expect.stringMatching(new RegExp(`^${id} \\(AWS::ElasticLoadBalancingV2::LoadBalancer\\): deletion_protection.enabled is true`));
  const asgBlocker = (id: string, provider: string) => expect.stringMatching(new RegExp(
    `^${id} \\(AWS::AutoScaling::AutoScalingGroup\\): NewInstancesProtectedFromScaleIn is true and capacity provider ${provider} has ManagedTerminationProtection ENABLED`));

  test.each([
    ['WorkloadCluster (default)', []],
    ['BatchQueueWorker (default)', []],
    ['ScheduledTask (default)', []],
    ['BatchQueueWorker on EC2 capacity', [asgBlocker('ClusterGravitonAutoScalingGroupASG[0-9A-F]{8}', 'ClusterGravitonCapacityProvider[0-9A-F]{8}')]],
    ['DaemonAgent (default)', [asgBlocker('ClusterGravitonAutoScalingGroupASG[0-9A-F]{8}', 'ClusterGravitonCapacityProvider[0-9A-F]{8}')]],
    ['InferenceService (default, ALB)', [lbBlocker('InferenceLoadBalancer[0-9A-F]{8}')]],
    ['InferenceService (NLB)', [lbBlocker('InferenceLoadBalancer[0-9A-F]{8}')]],
    ['InferenceService with a GPU on EC2', [lbBlocker('InferenceLoadBalancer[0-9A-F]{8}'), asgBlocker('ClusterGpuAutoScalingGroupASG[0-9A-F]{8}', 'ClusterGpuCapacityProvider[0-9A-F]{8}')]],
    ['example app (5 stacks)', [
      lbBlocker('EcsWorkloads-InferenceService/TritonLoadBalancer[0-9A-F]{8}'),
      lbBlocker('EcsWorkloads-InferenceService/TorchServeLoadBalancer[0-9A-F]{8}'),
      asgBlocker('EcsWorkloads-Cluster/ClusterGravitonAutoScalingGroupASG[0-9A-F]{8}', 'EcsWorkloads-Cluster/ClusterGravitonCapacityProvider[0-9A-F]{8}'),
      asgBlocker('EcsWorkloads-Cluster/ClusterGpuAutoScalingGroupASG[0-9A-F]{8}', 'EcsWorkloads-Cluster/ClusterGpuCapacityProvider[0-9A-F]{8}'),
    ]],
  ] as const)('%s', (name, expected) => {
    const blockers = deletionBlockers(scenario(name).templates);
    // Load balancers come first, then Auto Scaling groups, each in template order.
    expect(blockers).toEqual([...expected]);
  });

  test('stateful resources are retained on delete by default, never blockers', () => {
    const retained = retainedOnDelete(scenario('InferenceService with a model store').templates);
    expect(retained).toEqual(expect.arrayContaining([
      expect.stringMatching(/^ClusterKey[0-9A-F]{8} \(AWS::KMS::Key\)$/),
      expect.stringMatching(/^InferenceModelStore[0-9A-F]{8} \(AWS::EFS::FileSystem\)$/),
      expect.stringMatching(/^InferenceLogGroup[0-9A-F]{8} \(AWS::Logs::LogGroup\)$/),
    ]));
    const blockers = deletionBlockers(scenario('InferenceService with a model store').templates);
    for (const r of retained) expect(blockers.some(b => b.startsWith(r.split(' ')[0]))).toBe(false);
  });
});

// `WorkloadClusterProps.allowDestroy`: with it, nothing may block `cdk destroy`.
describe('deletion blockers with allowDestroy', () => {
  const props: WorkloadClusterProps = { allowDestroy: true };

  test.each([
    ['InferenceService (ALB) on a cluster with GPU capacity', (s: Stack, c: WorkloadCluster) => {
      c.addAsgCapacity('Gpu', { instanceType: G5, gpu: true, maxCapacity: 2 });
      new InferenceService(s, 'Inference', { cluster: c, image: IMAGE });
      new InferenceService(s, 'Gpu', { cluster: c, image: IMAGE, gpuCount: 1, cpu: 2048, memoryLimitMiB: 8192, loadBalancerType: LoadBalancerType.NETWORK });
    }],
    ['DaemonAgent and BatchQueueWorker on EC2 capacity', (s: Stack, c: WorkloadCluster) => {
      const provider = c.addAsgCapacity('Graviton', { instanceType: M7G, maxCapacity: 2 });
      new DaemonAgent(s, 'Agent', { cluster: c, image: IMAGE, memoryReservationMiB: 64, capacityProvider: provider });
      new BatchQueueWorker(s, 'Worker', { cluster: c, image: IMAGE, maxTasks: 10, capacity: Capacity.ec2(provider), jobTimeout: Duration.minutes(5) });
    }],
  ])('%s: nothing blocks cdk destroy', (_name, make) => {
    const { templates } = build(make, props);
    expect(deletionBlockers(templates)).toEqual([]);
  });
});
