/**
 * Issue 13 (deploy-proof), lifecycle order: every workload's resources are created after what they
 * need and deleted before it, and `cdk destroy` is not blocked by anything but what the defaults
 * keep on purpose. The rules themselves are in `lifecycle.ts`, the dependency graph they read in
 * `graph.ts`; the first half of this file shows the graph and each rule catching its defect on a tiny
 * hand-written template, the second half runs them over the construct scenarios and the example app.
 */
import { CfnElement, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { CfnTemplate, DeployModel, listOf, ResourceNode, StackTemplate, stackTemplates } from './graph';
import { deletionBlockers, orderChecks, orderProblems, OrderRule, retainedOnDelete } from './lifecycle';
import { G5, IMAGE, M7G, ScenarioName, scenarioTemplates, workloadStack } from './scenarios';
import { logicalIdOf } from './template';
import { BatchQueueWorker, Capacity, DaemonAgent, FsxWindowsFileSystem, InferenceService, LoadBalancerType, WorkloadCluster } from '../../src';

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

/** Rules each scenario must actually exercise, so that an empty problem list is not an empty check. */
const EXERCISED: { [name in ScenarioName]?: OrderRule[] } = {
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
  'example app (6 stacks)': Object.values(OrderRule),
};

describe.each(Object.entries(EXERCISED) as [ScenarioName, OrderRule[]][])('%s', (name, exercised) => {
  test('every ordering rule it needs is exercised', () => {
    const rules = new Set(orderChecks(scenarioTemplates(name)).map(c => c.rule));
    for (const rule of exercised) expect([...rules]).toContain(rule);
  });

  test('resources are created after, and deleted before, what they need', () => {
    expect(orderProblems(scenarioTemplates(name))).toEqual([]);
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
    ['example app (6 stacks)', [
      lbBlocker('EcsWorkloads-InferenceService/TritonLoadBalancer[0-9A-F]{8}'),
      lbBlocker('EcsWorkloads-InferenceService/TorchServeLoadBalancer[0-9A-F]{8}'),
      asgBlocker('EcsWorkloads-Cluster/ClusterGravitonAutoScalingGroupASG[0-9A-F]{8}', 'EcsWorkloads-Cluster/ClusterGravitonCapacityProvider[0-9A-F]{8}'),
      asgBlocker('EcsWorkloads-Cluster/ClusterGpuAutoScalingGroupASG[0-9A-F]{8}', 'EcsWorkloads-Cluster/ClusterGpuCapacityProvider[0-9A-F]{8}'),
    ]],
  ] as const)('%s', (name, expected) => {
    const blockers = deletionBlockers(scenarioTemplates(name));
    // Load balancers come first, then Auto Scaling groups, each in template order.
    expect(blockers).toEqual([...expected]);
  });

  test('stateful resources are retained on delete by default, never blockers', () => {
    const retained = retainedOnDelete(scenarioTemplates('InferenceService with a model store'));
    expect(retained).toEqual(expect.arrayContaining([
      expect.stringMatching(/^ClusterKey[0-9A-F]{8} \(AWS::KMS::Key\)$/),
      expect.stringMatching(/^InferenceModelStore[0-9A-F]{8} \(AWS::EFS::FileSystem\)$/),
      expect.stringMatching(/^InferenceLogGroup[0-9A-F]{8} \(AWS::Logs::LogGroup\)$/),
    ]));
    const blockers = deletionBlockers(scenarioTemplates('InferenceService with a model store'));
    for (const r of retained) expect(blockers.some(b => b.startsWith(r.split(' ')[0]))).toBe(false);
  });
});

// `WorkloadClusterProps.allowDestroy`: with it, nothing may block `cdk destroy`.
describe('deletion blockers with allowDestroy', () => {
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
    const { stack } = workloadStack(make, { cluster: { allowDestroy: true } });
    expect(deletionBlockers(stackTemplates(stack)[0].template)).toEqual([]);
  });
});

// An FSx file system keeps its network interfaces in its subnets: retained, it blocks the VPC's deletion.
describe('deletion blockers: a retained FSx for Windows File Server file system', () => {
  test.each<[string, RemovalPolicy | undefined, RegExp[]]>([
    ['DESTROY (the default: FSx takes a final backup)', undefined, []],
    ['RETAIN, in the stack of its VPC', RemovalPolicy.RETAIN,
      [/^Share\w* \(AWS::FSx::FileSystem\) is retained, and its network interfaces stay in subnet\(s\) .*PrivateSubnet1\w*, .*PrivateSubnet2\w*, which the stacks delete: .*DELETE_FAILED/]],
  ])('%s', (_name, removalPolicy, expected) => {
    const { stack } = workloadStack((s: Stack, c: WorkloadCluster) => {
      new FsxWindowsFileSystem(s, 'Share', { vpc: c.vpc, activeDirectoryId: 'd-1234567890', removalPolicy });
    });
    const blockers = deletionBlockers(stackTemplates(stack)[0].template).filter(b => b.includes('AWS::FSx::FileSystem'));
    expect(blockers).toEqual(expected.map(e => expect.stringMatching(e)));
  });
});

// ---------------------------------------------------------------------------------------------
// Issue 14: the wake-up path of a BatchQueueWorker (rule → FIFO gate → EventBridge Pipe → Step
// Functions Express → ECS). Each pair below must be ordered; CloudFormation deletes in reverse.

/** One pair of the wake-up path: `after` must be created after (and deleted before) `before`. */
interface WakeUpOrder {
  readonly after: string;
  readonly before: string;
  readonly ok: boolean;
  readonly message: string;
}

/** Every ordered pair the wake-up path needs, found from the templates (pipes, their roles, targets and sources). */
function wakeUpOrderChecks(input: CfnTemplate | StackTemplate[]): WakeUpOrder[] {
  const model = new DeployModel(input);
  const checks: WakeUpOrder[] = [];
  const policies = [...model.ofType('AWS::IAM::Policy'), ...model.ofType('AWS::IAM::ManagedPolicy')];
  const policiesOf = (role: ResourceNode) => policies.filter(p => listOf(p.properties.Roles).some(r => model.resolve(p.stackName, r) === role));
  const check = (after: ResourceNode, before: ResourceNode, why: string) => checks.push({
    after: model.name(after),
    before: model.name(before),
    ok: model.dependsOn(after, before),
    message: `${model.name(after)} (${after.type}) does not depend on ${model.name(before)} (${before.type}): ${why}`,
  });

  for (const pipe of model.ofType('AWS::Pipes::Pipe')) {
    const role = model.resolveOfType(pipe.stackName, pipe.properties.RoleArn, 'AWS::IAM::Role');
    if (role) {
      for (const policy of policiesOf(role)) {
        check(pipe, policy, 'the pipe polls its source as soon as it exists; without the policy of its role its first ReceiveMessage ' +
          'and StartSyncExecution calls are denied, and on cdk destroy the policy may go while the pipe still runs.');
      }
    }
    const target = model.resolve(pipe.stackName, pipe.properties.Target);
    if (target) {
      check(pipe, target, 'the pipe would start executions of a state machine that does not exist yet (or no longer exists on cdk destroy).');
      if (target.type === 'AWS::StepFunctions::StateMachine') {
        // What the state machine acts on: the ECS services its role may update.
        const machineRole = model.resolveOfType(target.stackName, target.properties.RoleArn, 'AWS::IAM::Role');
        const services = machineRole ? policiesOf(machineRole).flatMap(p => model.refsIn(p.stackName, p.properties.PolicyDocument))
          .filter(n => n.type === 'AWS::ECS::Service') : [];
        for (const service of services) {
          check(pipe, service, 'a wake-up request could reach the state machine before the service it updates exists, and on cdk destroy ' +
            'the pipe could still call UpdateService on a service being deleted.');
        }
      }
    }
    const source = model.resolve(pipe.stackName, pipe.properties.Source);
    if (source) check(pipe, source, 'CreatePipe fails when its source queue does not exist.');
  }

  for (const machine of model.ofType('AWS::StepFunctions::StateMachine')) {
    const role = model.resolveOfType(machine.stackName, machine.properties.RoleArn, 'AWS::IAM::Role');
    if (!role) continue;
    for (const policy of policiesOf(role)) {
      check(machine, policy, 'CreateStateMachine checks that the role may deliver logs ("The state machine IAM Role is not authorized to ' +
        'access the Log Destination"), and its first executions call ECS and CloudWatch with that policy.');
    }
  }

  for (const rule of model.ofType('AWS::Events::Rule')) {
    for (const target of listOf(rule.properties.Targets)) {
      for (const expr of [target?.Arn, target?.DeadLetterConfig?.Arn]) {
        const queue = model.resolveOfType(rule.stackName, expr, 'AWS::SQS::Queue');
        if (queue) check(rule, queue, 'the rule would deliver to a queue that does not exist yet, and on cdk destroy to one already deleted.');
      }
    }
  }
  return checks;
}

function wakeUpOrderProblems(input: CfnTemplate | StackTemplate[]): string[] {
  return wakeUpOrderChecks(input).filter(c => !c.ok).map(c => c.message);
}

describe('BatchQueueWorker wake-up path (default worker)', () => {
  const { stack, workload: worker } = workloadStack((s, c) => new BatchQueueWorker(s, 'Worker', { cluster: c, image: IMAGE, maxTasks: 10 }));
  const template = stackTemplates(stack)[0].template;
  const path = worker.node.findChild('WakeUp');
  const id = (c: IConstruct) => logicalIdOf(c);
  const pipe = id(path.node.findChild('Pipe'));
  const pipeRole = path.node.findChild('PipeRole');
  const machine = id(worker.wakeUpStateMachine!);
  const machineRole = path.node.findChild('StateMachineRole');
  const pipePolicy = id(pipeRole.node.findChild('Permissions'));
  const machinePolicy = id(machineRole.node.findChild('Permissions'));
  const pair = (after: string, before: string) => expect.objectContaining({ after, before });

  test('the pipe is created after its role\'s policy, the state machine and the service; the state machine after its role\'s policy', () => {
    const checks = wakeUpOrderChecks(template);
    // The checks look at exactly the pairs of the wake-up path (plus the job queue targets of the rule).
    expect(checks).toEqual(expect.arrayContaining([
      pair(pipe, pipePolicy),
      pair(pipe, machine),
      pair(pipe, id(worker.service)),
      pair(pipe, id(path.node.findChild('Queue'))),
      pair(machine, machinePolicy),
      pair(id(worker.rule!), id(path.node.findChild('Queue'))),
      pair(id(worker.rule!), id(path.node.findChild('EventDeadLetterQueue'))),
    ]));
    expect(wakeUpOrderProblems(template)).toEqual([]);
    // The ordering rules of lifecycle.ts hold as well.
    expect(orderProblems(template)).toEqual([]);
  });

  test('a pipe or state machine racing its role\'s policy is caught', () => {
    const broken = JSON.parse(JSON.stringify(template));
    delete broken.Resources[pipe].DependsOn;
    delete broken.Resources[machine].DependsOn;
    expect(wakeUpOrderProblems(broken)).toEqual([
      expect.stringMatching(new RegExp(`^${pipe} \\(AWS::Pipes::Pipe\\) does not depend on ${pipePolicy} \\(AWS::IAM::ManagedPolicy\\): the pipe polls its source`)),
      expect.stringMatching(new RegExp(`^${machine} \\(AWS::StepFunctions::StateMachine\\) does not depend on ${machinePolicy} \\(AWS::IAM::ManagedPolicy\\): CreateStateMachine`)),
    ]);
  });

  test('the example app\'s wake-up path is ordered too (its cluster in another stack)', () => {
    const checks = wakeUpOrderChecks(scenarioTemplates('example app (6 stacks)'));
    expect(checks.filter(c => /\/PdfToTextWakeUpPipe[0-9A-F]{8}$/.test(c.after)).length).toBeGreaterThanOrEqual(4);
    expect(checks.filter(c => !c.ok).map(c => c.message)).toEqual([]);
  });

  test('nothing of the wake-up path blocks cdk destroy; its queues and log group are retained (the worker\'s removalPolicy)', () => {
    expect(deletionBlockers(template)).toEqual([]);
    const wakeUpIds = new Set(path.node.findAll().filter(c => CfnElement.isCfnElement(c)).map(c => stack.getLogicalId(c as CfnElement)));
    expect(wakeUpIds.size).toBeGreaterThan(5);
    const retained = retainedOnDelete(template).filter(r => wakeUpIds.has(r.split(' ')[0])).sort();
    expect(retained).toEqual([
      `${id(path.node.findChild('DeadLetterQueue'))} (AWS::SQS::Queue)`,
      `${id(path.node.findChild('EventDeadLetterQueue'))} (AWS::SQS::Queue)`,
      `${id(path.node.findChild('Queue'))} (AWS::SQS::Queue)`,
      `${id(path.node.findChild('StateMachineLogs'))} (AWS::Logs::LogGroup)`,
    ].sort());
  });
});
