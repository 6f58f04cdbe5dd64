/**
 * Issue 13 (deploy-proof), network path: every packet a workload needs passes its security groups,
 * evaluated as the VPC does (egress of the sender AND ingress of the receiver). The evaluator is in
 * `network.ts`; the first half of this file shows it on tiny hand-written templates, the second half
 * runs the hops over the constructs and the example app.
 */
import { CfnTemplate, logicalIdsOfType } from './graph';
import { canReach, cidrContains, exactnessProblems, NetworkHop, networkHops, networkProblems, networkUnknowns } from './network';
import { ScenarioName, scenarioTemplates } from './scenarios';

// ---------------------------------------------------------------------------------------------
// The evaluator on tiny templates.

const ALL_OUT = [{ CidrIp: '0.0.0.0/0', IpProtocol: '-1' }];
/** What aws-cdk-lib writes for `allowAllOutbound: false`: a rule that matches no packet. */
const NO_OUT = [{ CidrIp: '255.255.255.255/32', Description: 'Disallow all traffic', FromPort: 252, IpProtocol: 'icmp', ToPort: 86 }];
const sgId = (id: string) => ({ 'Fn::GetAtt': [id, 'GroupId'] });

function sgTemplate(resources: { [id: string]: any }): CfnTemplate {
  return {
    Resources: {
      SubnetA: { Type: 'AWS::EC2::Subnet', Properties: { CidrBlock: '10.0.16.0/20' } },
      SubnetB: { Type: 'AWS::EC2::Subnet', Properties: { CidrBlock: '10.0.32.0/20' } },
      ...resources,
    },
  };
}

describe('security group evaluation', () => {
  test('CIDR containment', () => {
    expect(cidrContains('0.0.0.0/0', '10.0.16.0/20')).toBe(true);
    expect(cidrContains('10.0.0.0/16', '10.0.16.0/20')).toBe(true);
    expect(cidrContains('10.0.16.0/20', '10.0.16.0/20')).toBe(true);
    expect(cidrContains('10.0.16.0/20', '10.0.0.0/16')).toBe(false);
    expect(cidrContains('10.0.0.0/20', '10.0.16.0/20')).toBe(false);
    expect(cidrContains('192.168.0.0/16', '10.0.16.0/20')).toBe(false);
  });

  test('a group reference in B\'s ingress and all-outbound egress of A: allowed on that port only', () => {
    const t = sgTemplate({
      A: { Type: 'AWS::EC2::SecurityGroup', Properties: { SecurityGroupEgress: ALL_OUT } },
      B: { Type: 'AWS::EC2::SecurityGroup', Properties: { SecurityGroupEgress: ALL_OUT } },
      BFromA: { Type: 'AWS::EC2::SecurityGroupIngress', Properties: { GroupId: sgId('B'), IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, SourceSecurityGroupId: sgId('A') } },
    });
    expect(canReach(t, 'A', 'B', 8080)).toEqual({ allowed: true, reason: expect.stringMatching(/^A → B on TCP 8080 allowed by egress inline egress #1 .* of A and ingress BFromA \(tcp 8080 from A\) of B$/) });
    expect(canReach(t, 'A', 'B', 8081)).toEqual({ allowed: false, reason: expect.stringMatching(/dropped by B's ingress: no rule allows it from A \(ingress rules: BFromA \(tcp 8080 from A\)\)/) });
    expect(canReach(t, 'B', 'A', 8080).allowed).toBe(false);
  });

  test('egress matters too: the "disallow all" placeholder lets nothing out, a standalone egress rule to B does', () => {
    const t = sgTemplate({
      A: { Type: 'AWS::EC2::SecurityGroup', Properties: { SecurityGroupEgress: NO_OUT } },
      B: { Type: 'AWS::EC2::SecurityGroup', Properties: { SecurityGroupIngress: [{ IpProtocol: 'tcp', FromPort: 0, ToPort: 65535, SourceSecurityGroupId: sgId('A') }] } },
      C: { Type: 'AWS::EC2::SecurityGroup', Properties: { SecurityGroupIngress: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, SourceSecurityGroupId: sgId('A') }] } },
      AToB: { Type: 'AWS::EC2::SecurityGroupEgress', Properties: { GroupId: sgId('A'), IpProtocol: 'tcp', FromPort: 2049, ToPort: 2049, DestinationSecurityGroupId: sgId('B') } },
    });
    expect(canReach(t, 'A', 'B', 2049).allowed).toBe(true);
    expect(canReach(t, 'A', 'B', 443)).toEqual({ allowed: false, reason: expect.stringMatching(/dropped by A's egress: no rule allows it \(egress rules: inline egress #1 \(icmp 252-86 to 255.255.255.255\/32, "Disallow all traffic"\); AToB/) });
    expect(canReach(t, 'A', 'C', 443).allowed).toBe(false);
    expect(canReach(t, 'A', '0.0.0.0/0', 443).allowed).toBe(false);
  });

  test('a group created without egress rules keeps AWS\'s default all-traffic egress rule', () => {
    const t = sgTemplate({ A: { Type: 'AWS::EC2::SecurityGroup', Properties: {} } });
    expect(canReach(t, 'A', '0.0.0.0/0', 443)).toEqual({ allowed: true, reason: expect.stringMatching(/the default all-traffic egress rule/) });
  });

  test('a CIDR rule allows a group only when it covers every subnet the group\'s ENIs are in', () => {
    const t = sgTemplate({
      Tasks: { Type: 'AWS::EC2::SecurityGroup', Properties: { SecurityGroupEgress: ALL_OUT } },
      Service: {
        Type: 'AWS::ECS::Service',
        Properties: { NetworkConfiguration: { AwsvpcConfiguration: { SecurityGroups: [sgId('Tasks')], Subnets: [{ Ref: 'SubnetA' }, { Ref: 'SubnetB' }] } } },
      },
      Wide: { Type: 'AWS::EC2::SecurityGroup', Properties: { SecurityGroupIngress: [{ IpProtocol: 'tcp', FromPort: 2049, ToPort: 2049, CidrIp: '10.0.0.0/16' }] } },
      Narrow: { Type: 'AWS::EC2::SecurityGroup', Properties: { SecurityGroupIngress: [{ IpProtocol: 'tcp', FromPort: 2049, ToPort: 2049, CidrIp: '10.0.16.0/20' }] } },
      Unplaced: { Type: 'AWS::EC2::SecurityGroup', Properties: { SecurityGroupEgress: ALL_OUT } },
    });
    expect(canReach(t, 'Tasks', 'Wide', 2049).allowed).toBe(true);
    expect(canReach(t, 'Tasks', 'Narrow', 2049).allowed).toBe(false); // SubnetB is outside 10.0.16.0/20
    expect(canReach(t, 'Unplaced', 'Wide', 2049).allowed).toBe(false); // nowhere known: a CIDR cannot be shown to cover it
  });

  test('all-traffic rules match every port; UDP and ICMP rules match no TCP packet', () => {
    const t = sgTemplate({
      A: { Type: 'AWS::EC2::SecurityGroup', Properties: { SecurityGroupEgress: ALL_OUT } },
      All: { Type: 'AWS::EC2::SecurityGroup', Properties: { SecurityGroupIngress: [{ IpProtocol: '-1', SourceSecurityGroupId: sgId('A') }] } },
      Udp: { Type: 'AWS::EC2::SecurityGroup', Properties: { SecurityGroupIngress: [{ IpProtocol: 'udp', FromPort: 0, ToPort: 65535, SourceSecurityGroupId: sgId('A') }] } },
    });
    expect(canReach(t, 'A', 'All', 31337).allowed).toBe(true);
    expect(canReach(t, 'A', 'Udp', 53).allowed).toBe(false);
  });
});

/** A load-balanced awsvpc service that mounts an EFS file system. */
function tinyService(opts: { taskIngress?: any[]; efsIngress?: any[]; taskEgress?: any[]; lbEgress?: any[] } = {}): CfnTemplate {
  return sgTemplate({
    LbSg: { Type: 'AWS::EC2::SecurityGroup', Properties: { SecurityGroupEgress: opts.lbEgress ?? ALL_OUT } },
    TaskSg: { Type: 'AWS::EC2::SecurityGroup', Properties: { SecurityGroupEgress: opts.taskEgress ?? ALL_OUT, SecurityGroupIngress: opts.taskIngress ?? [] } },
    EfsSg: { Type: 'AWS::EC2::SecurityGroup', Properties: { SecurityGroupEgress: NO_OUT, SecurityGroupIngress: opts.efsIngress ?? [] } },
    LoadBalancer: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { SecurityGroups: [sgId('LbSg')], Subnets: [{ Ref: 'SubnetA' }] } },
    TargetGroup: { Type: 'AWS::ElasticLoadBalancingV2::TargetGroup', Properties: { Port: 8080, TargetType: 'ip' } },
    Listener: {
      Type: 'AWS::ElasticLoadBalancingV2::Listener',
      Properties: { LoadBalancerArn: { Ref: 'LoadBalancer' }, DefaultActions: [{ Type: 'forward', TargetGroupArn: { Ref: 'TargetGroup' } }] },
    },
    FileSystem: { Type: 'AWS::EFS::FileSystem' },
    MountTarget: { Type: 'AWS::EFS::MountTarget', Properties: { FileSystemId: { Ref: 'FileSystem' }, SecurityGroups: [sgId('EfsSg')], SubnetId: { Ref: 'SubnetA' } } },
    TaskDefinition: { Type: 'AWS::ECS::TaskDefinition', Properties: { Volumes: [{ Name: 'data', EFSVolumeConfiguration: { FilesystemId: { Ref: 'FileSystem' } } }] } },
    Service: {
      Type: 'AWS::ECS::Service',
      Properties: {
        TaskDefinition: { Ref: 'TaskDefinition' },
        LoadBalancers: [{ ContainerName: 'main', ContainerPort: 8080, TargetGroupArn: { Ref: 'TargetGroup' } }],
        NetworkConfiguration: { AwsvpcConfiguration: { SecurityGroups: [sgId('TaskSg')], Subnets: [{ Ref: 'SubnetA' }, { Ref: 'SubnetB' }] } },
      },
    },
  });
}

const FROM_LB_8080 = { IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, SourceSecurityGroupId: sgId('LbSg') };
const FROM_TASKS_2049 = { IpProtocol: 'tcp', FromPort: 2049, ToPort: 2049, SourceSecurityGroupId: sgId('TaskSg') };

describe('network hops on a tiny template', () => {
  test('each hop is derived from the template: load balancer → tasks, tasks → each mount target, tasks → AWS APIs', () => {
    const hops = networkHops(tinyService({ taskIngress: [FROM_LB_8080], efsIngress: [FROM_TASKS_2049] }));
    expect(hops.map(h => [h.rule, h.from, h.to, h.port, h.ok])).toEqual([
      [NetworkHop.LOAD_BALANCER_TO_TASKS, 'LbSg', 'TaskSg', 8080, true],
      [NetworkHop.TASKS_TO_EFS, 'TaskSg', 'EfsSg', 2049, true],
      [NetworkHop.TASKS_TO_AWS_APIS, 'TaskSg', '0.0.0.0/0', 443, true],
    ]);
  });

  test('a task group that does not admit the load balancer is caught', () => {
    expect(networkProblems(tinyService({ efsIngress: [FROM_TASKS_2049] }))).toEqual([
      expect.stringMatching(/^\[load-balancer-to-tasks\] load balancer LoadBalancer → tasks of ECS service Service \(target group TargetGroup\): LbSg → TaskSg on TCP 8080 is dropped by TaskSg's ingress.* never becomes healthy/),
    ]);
  });

  test('a load balancer group that may not send to the tasks is caught', () => {
    expect(networkProblems(tinyService({ lbEgress: NO_OUT, taskIngress: [FROM_LB_8080], efsIngress: [FROM_TASKS_2049] }))).toEqual([
      expect.stringMatching(/^\[load-balancer-to-tasks\] .*dropped by LbSg's egress/),
    ]);
  });

  test('a file system that does not admit the tasks on 2049 is caught', () => {
    expect(networkProblems(tinyService({ taskIngress: [FROM_LB_8080] }))).toEqual([
      expect.stringMatching(/^\[tasks-to-efs\] ECS service Service → EFS file system FileSystem mount target MountTarget: TaskSg → EfsSg on TCP 2049 is dropped by EfsSg's ingress.*ResourceInitializationError/),
    ]);
  });

  test('tasks without a way out on 443 are caught', () => {
    const t = tinyService({ taskEgress: [{ IpProtocol: 'tcp', FromPort: 2049, ToPort: 2049, DestinationSecurityGroupId: sgId('EfsSg') }], taskIngress: [FROM_LB_8080], efsIngress: [FROM_TASKS_2049] });
    expect(networkProblems(t)).toEqual([
      expect.stringMatching(/^\[tasks-egress-443\] ECS service Service → AWS APIs: TaskSg → 0.0.0.0\/0 on TCP 443 is dropped by TaskSg's egress.*CannotPullContainerError/),
    ]);
  });

  test('a file system outside the template is reported as unverifiable', () => {
    const t = tinyService({ taskIngress: [FROM_LB_8080] });
    (t.Resources!.TaskDefinition.Properties as any).Volumes[0].EFSVolumeConfiguration.FilesystemId = 'fs-12345678';
    expect(networkUnknowns(t)).toEqual([expect.stringMatching(/^\[tasks-to-efs\] ECS service Service mount\(s\) EFS file system "fs-12345678", which is not in the template\(s\)/)]);
    expect(networkProblems(t)).toEqual([]);
  });

  test('exactness: tasks admit only the load balancer on the container port', () => {
    expect(exactnessProblems(tinyService({ taskIngress: [FROM_LB_8080] }))).toEqual([]);
    expect(exactnessProblems(tinyService({
      taskIngress: [
        FROM_LB_8080,
        { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, CidrIp: '0.0.0.0/0' },
        { IpProtocol: 'tcp', FromPort: 0, ToPort: 65535, SourceSecurityGroupId: sgId('LbSg') },
      ],
    }))).toEqual([
      expect.stringMatching(/^\[task-ingress-exact\] task security group TaskSg of load-balanced ECS service Service admits 0.0.0.0\/0 by inline ingress #2/),
      expect.stringMatching(/^\[task-ingress-exact\] task security group TaskSg of ECS service Service admits its load balancer beyond the container port 8080 by inline ingress #3 \(tcp 0-65535 from LbSg\)/),
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// The constructs and the example app.

/** How many hops of each kind a scenario must have, so that an empty problem list is not an empty check. */
const HOPS: { [name in ScenarioName]?: { [hop in NetworkHop]?: number } } = {
  'BatchQueueWorker (default)': { [NetworkHop.TASKS_TO_AWS_APIS]: 1 },
  'BatchQueueWorker on EC2 capacity': { [NetworkHop.TASKS_TO_AWS_APIS]: 1 },
  'InferenceService (default, ALB)': { [NetworkHop.LOAD_BALANCER_TO_TASKS]: 1, [NetworkHop.TASKS_TO_AWS_APIS]: 1 },
  'InferenceService (NLB)': { [NetworkHop.LOAD_BALANCER_TO_TASKS]: 1, [NetworkHop.TASKS_TO_AWS_APIS]: 1 },
  'InferenceService with a GPU on EC2': { [NetworkHop.LOAD_BALANCER_TO_TASKS]: 1, [NetworkHop.TASKS_TO_AWS_APIS]: 1 },
  // One hop per mount target (one per AZ of the cluster's two).
  'InferenceService with a model store': { [NetworkHop.LOAD_BALANCER_TO_TASKS]: 1, [NetworkHop.TASKS_TO_EFS]: 2, [NetworkHop.TASKS_TO_AWS_APIS]: 1 },
  'InferenceService with an EFS volume': { [NetworkHop.LOAD_BALANCER_TO_TASKS]: 1, [NetworkHop.TASKS_TO_EFS]: 2, [NetworkHop.TASKS_TO_AWS_APIS]: 1 },
  // Bridge mode: the agent uses its instance's network, no awsvpc hop.
  'DaemonAgent (default)': {},
  'ScheduledTask (default)': { [NetworkHop.TASKS_TO_AWS_APIS]: 1 },
  'ScheduledTask with task retries (Step Functions)': { [NetworkHop.TASKS_TO_AWS_APIS]: 1 },
  // Egress of the worker, the two inference services and the two scheduled tasks (one on Fargate Windows).
  'example app (6 stacks)': { [NetworkHop.LOAD_BALANCER_TO_TASKS]: 2, [NetworkHop.TASKS_TO_EFS]: 2, [NetworkHop.TASKS_TO_AWS_APIS]: 5 },
};

describe.each(Object.entries(HOPS) as [ScenarioName, { [hop in NetworkHop]?: number }][])('%s', (name, expectedHops) => {
  test('the hops it needs are derived from its template', () => {
    const hops = networkHops(scenarioTemplates(name));
    const counts: { [hop: string]: number } = {};
    for (const h of hops) counts[h.rule] = (counts[h.rule] ?? 0) + 1;
    expect(counts).toEqual(expectedHops);
  });

  test('every packet it needs passes both security groups', () => {
    expect(networkProblems(scenarioTemplates(name))).toEqual([]);
  });

  test('its load-balanced tasks admit nothing but the load balancer on the container port', () => {
    expect(exactnessProblems(scenarioTemplates(name))).toEqual([]);
  });
});

test('InferenceService: the load balancer reaches the tasks on the container port and no other', () => {
  const t = scenarioTemplates('InferenceService (default, ALB)') as CfnTemplate;
  const ids = logicalIdsOfType(t, 'AWS::EC2::SecurityGroup');
  const lbSg = ids.find(id => id.startsWith('InferenceLoadBalancerSecurityGroup'))!;
  const taskSg = ids.find(id => id.startsWith('InferenceSecurityGroup'))!;
  expect(canReach(t, lbSg, taskSg, 8080).allowed).toBe(true);
  expect(canReach(t, lbSg, taskSg, 22).allowed).toBe(false);
  expect(canReach(t, taskSg, lbSg, 80).allowed).toBe(false);
});
