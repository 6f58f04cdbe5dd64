import { estimate, StackTemplate } from '../../src/cost/model';
import { PRICES } from '../../src/cost/prices';
import { formatReport } from '../../src/cost/report';
import { exampleApp } from '../deploy-proof/scenarios';

const HOURS = PRICES.hoursPerMonth;
const ref = (id: string) => ({ Ref: id });
const getAtt = (id: string, attribute: string) => ({ 'Fn::GetAtt': [id, attribute] });
const metricStat = (name: string) => ({ Metric: { Namespace: 'AWS/SQS', MetricName: name }, Period: 60, Stat: 'Maximum' });

/** One of each thing the model prices while idle, written out by hand. */
const IDLE_TEMPLATE = {
  Resources: {
    Eip: { Type: 'AWS::EC2::EIP', Properties: { Domain: 'vpc' } },
    Nat: { Type: 'AWS::EC2::NatGateway', Properties: { AllocationId: getAtt('Eip', 'AllocationId'), SubnetId: 'subnet-public-a' } },
    SsmEndpoint: { Type: 'AWS::EC2::VPCEndpoint', Properties: { VpcEndpointType: 'Interface', ServiceName: 'com.amazonaws.us-east-1.ssm', SubnetIds: ['subnet-a', 'subnet-b'] } },
    LogsEndpoint: { Type: 'AWS::EC2::VPCEndpoint', Properties: { VpcEndpointType: 'Interface', ServiceName: 'com.amazonaws.us-east-1.logs', SubnetIds: ['subnet-a', 'subnet-b'] } },
    S3Endpoint: { Type: 'AWS::EC2::VPCEndpoint', Properties: { ServiceName: 'com.amazonaws.us-east-1.s3', RouteTableIds: ['rtb-a'] } },
    Key: { Type: 'AWS::KMS::Key', Properties: { EnableKeyRotation: true } },
    Alb: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { Type: 'application', Scheme: 'internal', Subnets: ['subnet-a', 'subnet-b'] } },
    Nlb: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { Type: 'network', Scheme: 'internet-facing', Subnets: ['subnet-public-a', 'subnet-public-b'] } },
    MathAlarm: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Metrics: [
          { Id: 'expr', Expression: 'a + b + c', ReturnData: true },
          { Id: 'a', MetricStat: metricStat('ApproximateNumberOfMessagesVisible'), ReturnData: false },
          { Id: 'b', MetricStat: metricStat('ApproximateNumberOfMessagesNotVisible'), ReturnData: false },
          { Id: 'c', MetricStat: metricStat('ApproximateAgeOfOldestMessage'), ReturnData: false },
        ],
      },
    },
    SingleAlarm: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: { Namespace: 'AWS/SQS', MetricName: 'ApproximateAgeOfOldestMessage', Period: 60, Statistic: 'Maximum', EvaluationPeriods: 1, Threshold: 60, ComparisonOperator: 'GreaterThanThreshold' },
    },
    Dashboard: { Type: 'AWS::CloudWatch::Dashboard', Properties: { DashboardBody: '{"widgets":[]}' } },
    LaunchTemplate: {
      Type: 'AWS::EC2::LaunchTemplate',
      Properties: { LaunchTemplateData: { InstanceType: 'm7g.large', BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeSize: 30, VolumeType: 'gp3' } }] } },
    },
    Group: {
      Type: 'AWS::AutoScaling::AutoScalingGroup',
      Properties: { MinSize: '1', MaxSize: '4', LaunchTemplate: { LaunchTemplateId: ref('LaunchTemplate'), Version: getAtt('LaunchTemplate', 'LatestVersionNumber') } },
    },
    Cluster: { Type: 'AWS::ECS::Cluster', Properties: {} },
    TaskDefinition: {
      Type: 'AWS::ECS::TaskDefinition',
      Properties: { Cpu: '1024', Memory: '2048', RequiresCompatibilities: ['FARGATE'], RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' } },
    },
    Service: {
      Type: 'AWS::ECS::Service',
      Properties: { Cluster: ref('Cluster'), TaskDefinition: ref('TaskDefinition'), CapacityProviderStrategy: [{ CapacityProvider: 'FARGATE_SPOT', Weight: 1 }] },
    },
    ScalableTarget: {
      Type: 'AWS::ApplicationAutoScaling::ScalableTarget',
      Properties: {
        MinCapacity: 2,
        MaxCapacity: 10,
        ServiceNamespace: 'ecs',
        ScalableDimension: 'ecs:service:DesiredCount',
        ResourceId: { 'Fn::Join': ['', ['service/', ref('Cluster'), '/', getAtt('Service', 'Name')]] },
      },
    },
  },
};

describe('fixed monthly cost of a hand-written template', () => {
  const result = estimate([{ name: 'Idle', template: IDLE_TEMPLATE }]);
  const stack = result.stacks[0];
  const lineOf = (logicalId: string) => stack.fixed.filter(l => l.logicalId === logicalId).reduce((sum, l) => sum + (l.usdPerMonth ?? NaN), 0);

  test('each resource costs what its prices say', () => {
    expect(lineOf('Nat')).toBeCloseTo(HOURS * PRICES.vpc.natGatewayHour, 6);
    expect(lineOf('Eip')).toBeCloseTo(HOURS * PRICES.vpc.publicIpv4Hour, 6);
    expect(lineOf('SsmEndpoint')).toBeCloseTo(2 * HOURS * PRICES.vpc.interfaceEndpointAzHour, 6);
    expect(lineOf('Key')).toBeCloseTo(PRICES.kms.keyMonth, 6);
    expect(lineOf('Alb')).toBeCloseTo(HOURS * PRICES.elb.albHour, 6); // internal: no public IPv4
    expect(lineOf('Nlb')).toBeCloseTo(HOURS * PRICES.elb.nlbHour + 2 * HOURS * PRICES.vpc.publicIpv4Hour, 6);
    expect(lineOf('MathAlarm')).toBeCloseTo(3 * PRICES.cloudwatch.alarmMetricMonth, 6);
    expect(lineOf('SingleAlarm')).toBeCloseTo(PRICES.cloudwatch.alarmMetricMonth, 6);
    expect(lineOf('Dashboard')).toBeCloseTo(PRICES.cloudwatch.dashboardMonth, 6);
    expect(lineOf('Group')).toBeCloseTo(HOURS * PRICES.ec2InstanceHour['m7g.large']! + 30 * PRICES.ebsGp3GbMonth, 6);
    expect(lineOf('Service')).toBeCloseTo(2 * HOURS * (1 * PRICES.fargate.arm.vcpuHour + 2 * PRICES.fargate.arm.gbHour) * (1 - PRICES.fargate.spotDiscount), 6);
  });

  test('the total is the sum computed by hand', () => {
    const expected =
      HOURS * PRICES.vpc.natGatewayHour + HOURS * PRICES.vpc.publicIpv4Hour // NAT gateway + its Elastic IP
      + 2 * 2 * HOURS * PRICES.vpc.interfaceEndpointAzHour // two interface endpoints × two subnets
      + PRICES.kms.keyMonth
      + HOURS * PRICES.elb.albHour // internal ALB
      + HOURS * PRICES.elb.nlbHour + 2 * HOURS * PRICES.vpc.publicIpv4Hour // internet-facing NLB in two subnets
      + 3 * PRICES.cloudwatch.alarmMetricMonth + 1 * PRICES.cloudwatch.alarmMetricMonth
      + PRICES.cloudwatch.dashboardMonth
      + 1 * HOURS * PRICES.ec2InstanceHour['m7g.large']! + 1 * 30 * PRICES.ebsGp3GbMonth
      + 2 * HOURS * (1 * PRICES.fargate.arm.vcpuHour + 2 * PRICES.fargate.arm.gbHour) * (1 - PRICES.fargate.spotDiscount);
    expect(stack.fixedTotal).toBeCloseTo(expected, 4);
    expect(result.fixedTotal).toBeCloseTo(expected, 4);
    expect(stack.fixedIncomplete).toBe(false);
    expect(formatReport(result)).toContain(`**$${expected.toFixed(2)}**`);
  });

  test('the gateway endpoint, the cluster and the scalable target cost nothing while idle, and nothing is unpriced', () => {
    expect(stack.fixed.map(l => l.logicalId)).not.toEqual(expect.arrayContaining(['S3Endpoint']));
    expect(stack.notPriced).toEqual([]);
    expect(stack.usageOnly).toEqual(expect.arrayContaining([{ type: 'AWS::ApplicationAutoScaling::ScalableTarget', count: 1 }]));
  });

  test('unit costs: task-hour of the service and a million ALB requests', () => {
    const unit = (logicalId: string, per: string) => stack.units.find(u => u.logicalId === logicalId && u.unit === per)?.usd;
    expect(unit('Service', 'task-hour')).toBeCloseTo((PRICES.fargate.arm.vcpuHour + 2 * PRICES.fargate.arm.gbHour) * (1 - PRICES.fargate.spotDiscount), 8);
    // 25 new connections per second per LCU: one LCU-hour serves 90,000 requests.
    expect(unit('Alb', 'million requests')).toBeCloseTo(1e6 / (25 * 3600) * PRICES.elb.albLcuHour, 8);
    expect(unit('Group', 'instance-hour')).toBe(PRICES.ec2InstanceHour['m7g.large']);
  });

  test('the scalable target decides the idle tasks; without one, DesiredCount does', () => {
    const withoutTarget = structuredClone(IDLE_TEMPLATE) as any;
    delete withoutTarget.Resources.ScalableTarget;
    withoutTarget.Resources.Service.Properties.DesiredCount = 3;
    const service = estimate([{ name: 'S', template: withoutTarget }]).stacks[0].fixed.find(l => l.logicalId === 'Service')!;
    const taskHour = (PRICES.fargate.arm.vcpuHour + 2 * PRICES.fargate.arm.gbHour) * (1 - PRICES.fargate.spotDiscount);
    expect(service.usdPerMonth).toBeCloseTo(3 * HOURS * taskHour, 6);
    expect(service.what).toMatch(/DesiredCount/);
  });
});

describe('Fargate strategies', () => {
  const service = (strategy: any[], min: number) => {
    const resources: any = structuredClone(IDLE_TEMPLATE.Resources);
    resources.Service.Properties.CapacityProviderStrategy = strategy;
    resources.ScalableTarget.Properties.MinCapacity = min;
    const { TaskDefinition, Cluster, Service, ScalableTarget } = resources;
    return estimate([{ name: 'S', template: { Resources: { TaskDefinition, Cluster, Service, ScalableTarget } } }]).stacks[0];
  };
  const armHour = PRICES.fargate.arm.vcpuHour + 2 * PRICES.fargate.arm.gbHour;

  test('base on Fargate first, the rest split by weight', () => {
    const s = service([{ CapacityProvider: 'FARGATE', Weight: 1, Base: 1 }, { CapacityProvider: 'FARGATE_SPOT', Weight: 3 }], 5);
    // 1 base task on demand, then 4 tasks split 1:3 → 1 more on demand, 3 on Spot.
    expect(s.fixedTotal).toBeCloseTo(HOURS * (2 * armHour + 3 * armHour * (1 - PRICES.fargate.spotDiscount)), 6);
    expect(s.units.find(u => u.unit === 'task-hour')!.usd).toBeCloseTo(0.25 * armHour + 0.75 * armHour * (1 - PRICES.fargate.spotDiscount), 8);
  });

  test('a Windows task: the Windows vCPU and GB prices plus the license fee per vCPU, never the Spot discount', () => {
    const resources: any = structuredClone(IDLE_TEMPLATE.Resources);
    resources.TaskDefinition.Properties.RuntimePlatform = { OperatingSystemFamily: 'WINDOWS_SERVER_2022_CORE', CpuArchitecture: 'X86_64' };
    resources.Service.Properties.CapacityProviderStrategy = [{ CapacityProvider: 'FARGATE', Weight: 1 }];
    const { TaskDefinition, Cluster, Service, ScalableTarget } = resources;
    const s = estimate([{ name: 'S', template: { Resources: { TaskDefinition, Cluster, Service, ScalableTarget } } }]).stacks[0];
    const w = PRICES.fargate.windows;
    const hour = w.vcpuHour + w.licenseVcpuHour + 2 * w.gbHour;
    expect(s.units.find(u => u.unit === 'task-hour')!.usd).toBeCloseTo(hour, 8);
    expect(s.fixedTotal).toBeCloseTo(2 * HOURS * hour, 6);
    expect(s.notPriced).toEqual([]);
  });

  test('a service at 0 tasks costs nothing while idle but keeps its task-hour price', () => {
    const s = service([{ CapacityProvider: 'FARGATE', Weight: 1 }], 0);
    expect(s.fixed).toEqual([]);
    expect(s.units.find(u => u.unit === 'task-hour')!.usd).toBeCloseTo(armHour, 8);
  });
});

describe('EBS task volumes: one per running task', () => {
  const withVolume = (volume: Record<string, unknown>, minTasks = 2) => {
    const resources: any = structuredClone(IDLE_TEMPLATE.Resources);
    resources.Service.Properties.VolumeConfigurations = [{ Name: 'ebs', ManagedEBSVolume: { RoleArn: 'arn:aws:iam::123456789012:role/ebs', Encrypted: true, ...volume } }];
    resources.ScalableTarget.Properties.MinCapacity = minTasks;
    const { TaskDefinition, Cluster, Service, ScalableTarget } = resources;
    return estimate([{ name: 'W', template: { Resources: { TaskDefinition, Cluster, Service, ScalableTarget } } }]).stacks[0];
  };
  const ebsFixed = (s: ReturnType<typeof withVolume>) => s.fixed.filter(l => l.what.includes('EBS volume'));
  const ebsUnit = (s: ReturnType<typeof withVolume>) => s.units.find(u => u.unit === 'task-hour (EBS volume)');
  const e = PRICES.ebs;

  test('a worker with a 200 GiB gp3 volume at 2 idle tasks: two volumes a month, and the volume per task-hour', () => {
    const s = withVolume({ VolumeType: 'gp3', SizeInGiB: 200 });
    const volumeMonth = 200 * PRICES.ebsGp3GbMonth; // 3,000 IOPS and 125 MiB/s are included
    expect(ebsFixed(s).map(l => l.usdPerMonth)).toEqual([2 * volumeMonth]);
    expect(ebsFixed(s)[0].what).toBe('2 task(s) (MinCapacity of ScalableTarget) × one 200 GiB gp3 EBS volume');
    expect(ebsUnit(s)!.usd).toBeCloseTo(volumeMonth / HOURS, 10);
    // The Fargate tasks are priced as before, the volumes on top.
    const taskHour = (PRICES.fargate.arm.vcpuHour + 2 * PRICES.fargate.arm.gbHour) * (1 - PRICES.fargate.spotDiscount);
    expect(s.fixedTotal).toBeCloseTo(2 * HOURS * taskHour + 2 * volumeMonth, 4);
    expect(s.notPriced).toEqual([]);
  });

  test('gp3 IOPS and throughput above the included baseline are charged', () => {
    const s = withVolume({ VolumeType: 'gp3', SizeInGiB: 100, Iops: 10000, Throughput: 500 }, 1);
    const volumeMonth = 100 * PRICES.ebsGp3GbMonth + (10000 - 3000) * e.gp3IopsMonth + (500 - 125) * e.gp3ThroughputMiBpsMonth;
    expect(ebsFixed(s)[0].usdPerMonth).toBeCloseTo(volumeMonth, 8);
    expect(ebsUnit(s)!.what).toMatch(/^one 100 GiB gp3, 10000 IOPS, 500 MiB\/s EBS volume per running task/);
  });

  test.each<[string, Record<string, unknown>, () => number]>([
    ['gp2', { VolumeType: 'gp2', SizeInGiB: 50 }, () => 50 * e.gp2GbMonth],
    ['io1', { VolumeType: 'io1', SizeInGiB: 100, Iops: 5000 }, () => 100 * e.io1GbMonth + 5000 * e.io1IopsMonth],
    ['io2 across all three IOPS tiers', { VolumeType: 'io2', SizeInGiB: 100, Iops: 70000 },
      () => 100 * e.io2GbMonth
        + 32000 * e.io2IopsMonthTiers[0].iopsMonth + 32000 * e.io2IopsMonthTiers[1].iopsMonth + 6000 * e.io2IopsMonthTiers[2].iopsMonth],
    ['st1', { VolumeType: 'st1', SizeInGiB: 500 }, () => 500 * e.st1GbMonth],
    ['sc1', { VolumeType: 'sc1', SizeInGiB: 500 }, () => 500 * e.sc1GbMonth],
  ])('%s: priced per volume-month', (_type, volume, expected) => {
    expect(ebsFixed(withVolume(volume, 1))[0].usdPerMonth).toBeCloseTo(expected(), 8);
  });

  test('a magnetic volume has no price: the line and the total say so', () => {
    expect(e.standardGbMonth).toBeNull();
    const s = withVolume({ VolumeType: 'standard', SizeInGiB: 100 }, 1);
    expect(ebsFixed(s)[0].usdPerMonth).toBeNull();
    expect(s.fixedIncomplete).toBe(true);
  });

  test('a volume sized by its snapshot, and an initialization rate, are listed as not priced', () => {
    const s = withVolume({ VolumeType: 'gp3', SnapshotId: 'snap-0123456789abcdef0', VolumeInitializationRate: 200 });
    expect(ebsFixed(s)).toEqual([]);
    expect(s.notPriced).toEqual([
      expect.stringMatching(/^Service \(AWS::ECS::Service\): the provisioned initialization rate .* billed per GB of the snapshot/),
      'Service (AWS::ECS::Service): the EBS volume of each task: its size comes from the snapshot (SizeInGiB not given)',
    ]);
  });

  test('a service at 0 tasks has no volume while idle', () => {
    const s = withVolume({ VolumeType: 'gp3', SizeInGiB: 200 }, 0);
    expect(ebsFixed(s)).toEqual([]);
    expect(ebsUnit(s)!.usd).toBeCloseTo(200 * PRICES.ebsGp3GbMonth / HOURS, 10);
  });
});

describe('S3 Files', () => {
  const template = {
    Resources: {
      Files: { Type: 'AWS::S3Files::FileSystem', Properties: { Bucket: 'arn:aws:s3:::models', RoleArn: 'arn:aws:iam::123456789012:role/sync' } },
      MountTarget1: { Type: 'AWS::S3Files::MountTarget', Properties: { FileSystemId: getAtt('Files', 'FileSystemId'), SubnetId: 'subnet-a' } },
    },
  };
  const stack = estimate([{ name: 'F', template }]).stacks[0];

  test('nothing while idle; storage, reads and writes by use', () => {
    expect(stack.fixed).toEqual([]);
    expect(stack.notPriced).toEqual([]);
    const unit = (per: string) => stack.units.find(u => u.logicalId === 'Files' && u.unit === per)?.usd;
    expect([unit('GB-month stored'), unit('GB read'), unit('GB written')])
      .toEqual([PRICES.s3Files.highPerformanceGbMonth, PRICES.s3Files.readGb, PRICES.s3Files.writeGb]);
    expect(stack.usageOnly).toEqual([{ type: 'AWS::S3Files::FileSystem', count: 1 }, { type: 'AWS::S3Files::MountTarget', count: 1 }]);
  });
});

describe('unknown prices and resources', () => {
  const template = {
    Resources: {
      LaunchTemplate: { Type: 'AWS::EC2::LaunchTemplate', Properties: { LaunchTemplateData: { InstanceType: 'c7g.large', BlockDeviceMappings: [{ Ebs: { VolumeSize: 20, VolumeType: 'gp3' } }] } } },
      Group: { Type: 'AWS::AutoScaling::AutoScalingGroup', Properties: { MinSize: '2', MaxSize: '2', LaunchTemplate: { LaunchTemplateId: ref('LaunchTemplate') } } },
      Database: { Type: 'AWS::RDS::DBInstance', Properties: {} },
    },
  };
  const result = estimate([{ name: 'U', template }]);

  test('an instance type without a price is "unknown", never invented, and the total says so', () => {
    const instances = result.stacks[0].fixed.find(l => l.what.includes('c7g.large'))!;
    expect(PRICES.ec2InstanceHour['c7g.large']).toBeNull();
    expect(instances.usdPerMonth).toBeNull();
    expect(result.stacks[0].fixedTotal).toBeCloseTo(2 * 20 * PRICES.ebsGp3GbMonth, 6); // the volumes only
    expect(result.fixedIncomplete).toBe(true);
    const report = formatReport(result);
    expect(report).toMatch(/c7g\.large.*\| unknown \|/);
    expect(report).toContain('≥ $3.20 (some prices unknown)');
  });

  test('a resource type the model does not know is listed as not priced', () => {
    expect(result.stacks[0].notPriced).toEqual(['Database (AWS::RDS::DBInstance): no price in the model for this resource type']);
  });
});

describe('queue worker: per million jobs', () => {
  const template = {
    Resources: {
      Bucket: { Type: 'AWS::S3::Bucket', Properties: {} },
      Queue: { Type: 'AWS::SQS::Queue', Properties: {} },
      Gate: { Type: 'AWS::SQS::Queue', Properties: { FifoQueue: true, ContentBasedDeduplication: true } },
      Rule: {
        Type: 'AWS::Events::Rule',
        Properties: {
          EventPattern: { 'source': ['aws.s3'], 'detail-type': ['Object Created'], 'detail': { bucket: { name: [ref('Bucket')] } } },
          Targets: [{ Id: 'Target0', Arn: getAtt('Queue', 'Arn') }, { Id: 'Target1', Arn: getAtt('Gate', 'Arn'), SqsParameters: { MessageGroupId: 'wake-up' } }],
        },
      },
      StateMachine: { Type: 'AWS::StepFunctions::StateMachine', Properties: { StateMachineType: 'EXPRESS', DefinitionString: '{}' } },
      Pipe: { Type: 'AWS::Pipes::Pipe', Properties: { Source: getAtt('Gate', 'Arn'), Target: ref('StateMachine') } },
    },
  };

  test('job requests, the task\'s GET and the wake-up path at one execution per upload', () => {
    const stack = estimate([{ name: 'W', template }]).stacks[0];
    const perMillion =
      3 * PRICES.sqs.standardPerMillion // send, receive, delete of the job
      + 1000 * PRICES.s3.getPer1k // the task reads the object
      + 3 * PRICES.sqs.fifoPerMillion // gate: send, receive, delete
      + PRICES.pipesPerMillion
      + PRICES.stepFunctions.expressPerMillion + 1e6 * 0.3 * (64 / 1024) * PRICES.stepFunctions.expressGbSecond;
    const jobs = stack.units.filter(u => u.unit === 'million jobs');
    expect(jobs.map(u => u.logicalId)).toEqual(['Queue']);
    expect(jobs[0].usd).toBeCloseTo(perMillion, 8);
    // The wake-up state machine is part of the job price, not a unit line of its own.
    expect(stack.units.find(u => u.logicalId === 'StateMachine')).toBeUndefined();
    expect(stack.notPriced).toEqual(expect.arrayContaining([expect.stringMatching(/^Pipe .*polling of Gate/)]));
  });
});

describe('the example app', () => {
  const { app } = exampleApp();
  const assembly = app.synth();
  const stacks: StackTemplate[] = assembly.stacks.map(s => ({ name: s.stackName, template: s.template }));
  const result = estimate(stacks);
  const byName = (name: string) => result.stacks.find(s => s.name === name)!;

  test('every stack has an estimate', () => {
    expect(result.stacks.map(s => s.name).sort()).toEqual(stacks.map(s => s.name).sort());
    expect(result.stacks).toHaveLength(6);
    expect(result.fixedTotal).toBeCloseTo(result.stacks.reduce((sum, s) => sum + s.fixedTotal, 0), 4);
  });

  test('the cluster stack idles with its NAT gateway, KMS key and the Graviton group\'s instance', () => {
    const cluster = byName('EcsWorkloads-Cluster');
    const types = cluster.fixed.map(l => l.type);
    expect(types).toEqual(expect.arrayContaining(['AWS::EC2::NatGateway', 'AWS::EC2::EIP', 'AWS::KMS::Key']));
    const graviton = cluster.fixed.filter(l => /Graviton/.test(l.logicalId));
    expect(graviton.map(l => l.what)).toEqual([expect.stringMatching(/^MinSize 1: 1 × m7g\.large/), expect.stringMatching(/30 GiB gp3/)]);
    expect(graviton.reduce((sum, l) => sum + l.usdPerMonth!, 0)).toBeCloseTo(HOURS * PRICES.ec2InstanceHour['m7g.large']! + 30 * PRICES.ebsGp3GbMonth, 6);
    // The GPU group has MinSize 0: no idle instance of its own.
    expect(cluster.fixed.some(l => /Gpu/.test(l.logicalId))).toBe(false);
  });

  test('a GPU service with one task keeps one g5.xlarge running although its group\'s MinSize is 0', () => {
    const inference = byName('EcsWorkloads-InferenceService');
    const gpu = inference.fixed.find(l => l.logicalId.startsWith('TritonService') && l.what.includes('g5.xlarge'))!;
    expect(gpu.usdPerMonth).toBeCloseTo(HOURS * PRICES.ec2InstanceHour['g5.xlarge']!, 6);
  });

  test('the worker idles at 0 tasks and has a price per million jobs', () => {
    const worker = byName('EcsWorkloads-BatchQueueWorker');
    expect(worker.fixed.every(l => l.type === 'AWS::CloudWatch::Alarm')).toBe(true);
    expect(worker.units.filter(u => u.unit === 'million jobs')).toHaveLength(1);
  });

  test('each running worker task adds its 200 GiB gp3 scratch volume', () => {
    const worker = byName('EcsWorkloads-BatchQueueWorker');
    const volume = worker.units.filter(u => u.unit === 'task-hour (EBS volume)');
    expect(volume).toHaveLength(1);
    expect(volume[0].usd).toBeCloseTo(200 * PRICES.ebsGp3GbMonth / HOURS, 10);
    expect(volume[0].what).toMatch(/^one 200 GiB gp3 EBS volume per running task/);
  });

  test('nothing is "not priced" but these, each with its reason', () => {
    const expected: Record<string, RegExp[]> = {
      'EcsWorkloads-Cluster': [
        /FlowLog.*vended-log price .* not found/, // flow log volume depends on traffic
        /Container Insights \(enhanced\).*no per-observation price/,
        /Graviton.*detailed monitoring/, // EC2 detailed monitoring: metrics per instance not in the price list
        /ServiceConnectNamespace.*Cloud Map prices the instances ECS registers/, // per registered task and lookup
        /ManagedCapacityProvider.*Managed Instances.*management fee per instance-hour/, // no instance while idle
      ],
      'EcsWorkloads-BatchQueueWorker': [
        /WakeUpPipe.*polling of .*WakeUpQueue.*poll rate is not documented/,
        /WakeUpStateMachine.*execution logs/,
      ],
      'EcsWorkloads-InferenceService': [/TritonService.*detailed monitoring of .*Gpu/],
    };
    for (const stack of result.stacks) {
      const patterns = expected[stack.name] ?? [];
      expect({ stack: stack.name, notPriced: stack.notPriced }).toEqual({
        stack: stack.name,
        notPriced: patterns.length ? expect.arrayContaining(patterns.map(p => expect.stringMatching(p))) : [],
      });
      expect(stack.notPriced).toHaveLength(patterns.length);
    }
  });
});
