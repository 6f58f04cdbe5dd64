import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Capacity, WorkloadCluster, WorkloadVolume } from '../../src';
import { ValidationError } from '../../src/core/errors';
import { startAfterDependencies, taskSecurityGroup } from '../../src/core/service';
import { FARGATE_MEMORY_BY_CPU } from '../../src/core/task-definition';
import { expectCompliant, newStack } from '../compliance';
import { expectDeployable } from '../deploy-proof';
import { IMAGE, TestWorkload, TestWorkloadProps } from './workload';

function setup() {
  const stack = newStack();
  const cluster = new WorkloadCluster(stack, 'Cluster');
  return { stack, cluster };
}

/** Builds one workload on a fresh cluster and returns its stack's template. */
function build(props: Partial<TestWorkloadProps> = {}): Template {
  const { stack, cluster } = setup();
  new TestWorkload(stack, 'Work', { cluster, image: IMAGE, ...props });
  return Template.fromStack(stack);
}

function mainContainer(template: Template): any {
  const [taskDefinition] = Object.values(template.findResources('AWS::ECS::TaskDefinition')) as any[];
  return taskDefinition.Properties.ContainerDefinitions.find((c: any) => c.Name === 'main');
}

function policyOf(template: Template, rolePath: string): any[] {
  const policies = template.findResources('AWS::IAM::ManagedPolicy', {
    Properties: { Description: `Permissions of ${rolePath}` },
  });
  const found = Object.values(policies) as any[];
  return found.length ? found[0].Properties.PolicyDocument.Statement : [];
}

const TRUST_CONDITIONS = {
  StringEquals: { 'aws:SourceAccount': '123456789012' },
  ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ecs:us-east-1:123456789012:*']] } },
};

describe('defaults', () => {
  const template = build();

  test('a Fargate task of 256 CPU / 512 MiB on ARM64 Linux in awsvpc mode', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Cpu: '256',
      Memory: '512',
      NetworkMode: 'awsvpc',
      RequiresCompatibilities: ['FARGATE'],
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
    });
  });

  test('the main container: read-only root FS, user 1000, hard memory limit, 30 s stop timeout, no port', () => {
    const main = mainContainer(template);
    expect(main).toMatchObject({
      Name: 'main',
      Essential: true,
      ReadonlyRootFilesystem: true,
      User: '1000',
      Memory: 512,
      StopTimeout: 30,
    });
    expect(main.PortMappings).toBeUndefined();
    expect(main.Environment).toBeUndefined();
    expect(main.ResourceRequirements).toBeUndefined();
    expect(main.Privileged).toBeUndefined();
  });

  test('logs go non-blocking to the workload log group', () => {
    expect(mainContainer(template).LogConfiguration).toEqual({
      LogDriver: 'awslogs',
      Options: {
        'awslogs-group': { Ref: expect.stringMatching(/^WorkLogGroup/) },
        'awslogs-stream-prefix': 'main',
        'awslogs-region': 'us-east-1',
        'mode': 'non-blocking',
        'max-buffer-size': '26214400b',
      },
    });
  });

  test('the log group keeps logs 1 year, is encrypted with the cluster key and is retained', () => {
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: {
        RetentionInDays: 365,
        KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ClusterKey'), 'Arn'] },
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('task role and execution role are two roles, both trusted only by ECS tasks of this account', () => {
    const taskDefinition = Object.values(template.findResources('AWS::ECS::TaskDefinition'))[0] as any;
    expect(taskDefinition.Properties.TaskRoleArn['Fn::GetAtt'][0]).toMatch(/^WorkTaskRole/);
    expect(taskDefinition.Properties.ExecutionRoleArn['Fn::GetAtt'][0]).toMatch(/^WorkExecutionRole/);
    for (const description of ['Application permissions of Test/Work', 'Image pull, logs and secrets of Test/Work']) {
      template.hasResourceProperties('AWS::IAM::Role', {
        Description: description,
        AssumeRolePolicyDocument: {
          Statement: [{
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'ecs-tasks.amazonaws.com' },
            Condition: TRUST_CONDITIONS,
          }],
        },
        ManagedPolicyArns: Match.absent(),
        Policies: Match.absent(),
      });
    }
  });

  test('the execution role may only write the task logs; the task role has no permission at all', () => {
    expect(policyOf(template, 'Test/Work/ExecutionRole')).toEqual([{
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Effect: 'Allow',
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/^WorkLogGroup/), 'Arn'] },
    }]);
    expect(policyOf(template, 'Test/Work/TaskRole')).toEqual([]);
    template.resourceCountIs('AWS::IAM::Policy', 0);
  });
});

describe('Fargate CPU/memory combinations', () => {
  test('the table matches the Fargate documentation', () => {
    expect(FARGATE_MEMORY_BY_CPU[256]).toEqual([512, 1024, 2048]);
    expect(FARGATE_MEMORY_BY_CPU[512]).toEqual([1024, 2048, 3072, 4096]);
    expect(FARGATE_MEMORY_BY_CPU[1024]).toEqual([2048, 3072, 4096, 5120, 6144, 7168, 8192]);
    expect(FARGATE_MEMORY_BY_CPU[2048]).toHaveLength(13);
    expect(FARGATE_MEMORY_BY_CPU[4096]).toHaveLength(23);
    expect(FARGATE_MEMORY_BY_CPU[8192]).toEqual([16384, 20480, 24576, 28672, 32768, 36864, 40960, 45056, 49152, 53248, 57344, 61440]);
    expect(FARGATE_MEMORY_BY_CPU[16384][0]).toBe(32768);
    expect(FARGATE_MEMORY_BY_CPU[16384][1]).toBe(40960);
    expect(FARGATE_MEMORY_BY_CPU[16384][FARGATE_MEMORY_BY_CPU[16384].length - 1]).toBe(122880);
  });

  test.each([
    [256, 512], [256, 1024], [256, 2048],
    [512, 1024], [512, 4096],
    [1024, 2048], [1024, 8192],
    [2048, 4096], [2048, 16384],
    [4096, 8192], [4096, 30720],
    [8192, 16384], [8192, 61440],
    [16384, 32768], [16384, 122880],
  ])('accepts cpu %d with %d MiB', (cpu, memoryLimitMiB) => {
    const template = build({ cpu, memoryLimitMiB });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', { Cpu: String(cpu), Memory: String(memoryLimitMiB) });
    expect(mainContainer(template).Memory).toBe(memoryLimitMiB);
  });

  test.each([
    [256, 4096, /memoryLimitMiB 4096 is not valid with cpu 256 on Fargate\. Valid memoryLimitMiB values for cpu 256: 512, 1024, 2048\./],
    [512, 512, /memoryLimitMiB 512 is not valid with cpu 512 on Fargate\. Valid memoryLimitMiB values for cpu 512: 1024, 2048, 3072, 4096\./],
    [1024, 1536, /memoryLimitMiB 1536 is not valid with cpu 1024 on Fargate\. Valid memoryLimitMiB values for cpu 1024: 2048 to 8192 in steps of 1024 \(2048, 3072, 4096, 5120, 6144, 7168, 8192\)\./],
    [2048, 32768, /Valid memoryLimitMiB values for cpu 2048: 4096 to 16384 in steps of 1024/],
    [4096, 31744, /Valid memoryLimitMiB values for cpu 4096: 8192 to 30720 in steps of 1024/],
    [8192, 17408, /memoryLimitMiB 17408 is not valid with cpu 8192 on Fargate\. Valid memoryLimitMiB values for cpu 8192: 16384 to 61440 in steps of 4096/],
    [16384, 36864, /Valid memoryLimitMiB values for cpu 16384: 32768 to 122880 in steps of 8192/],
  ])('rejects cpu %d with %s MiB and lists the valid memory values', (cpu, memoryLimitMiB, message) => {
    expect(() => build({ cpu, memoryLimitMiB })).toThrow(ValidationError);
    expect(() => build({ cpu, memoryLimitMiB })).toThrow(message);
  });

  test.each([[256, 512], [512, 1024], [1024, 2048], [2048, 4096], [4096, 8192], [8192, 16384], [16384, 32768]])(
    'cpu %d without memoryLimitMiB gets the smallest valid Fargate memory, %d MiB', (cpu, memory) => {
      build({ cpu }).hasResourceProperties('AWS::ECS::TaskDefinition', { Cpu: String(cpu), Memory: String(memory) });
    });

  test.each([128, 300, 3072, 32768])('rejects cpu %d, which Fargate does not offer', (cpu) => {
    expect(() => build({ cpu, memoryLimitMiB: 2048 }))
      .toThrow(new RegExp(`cpu ${cpu} is not a Fargate CPU value\\. Use one of 256, 512, 1024, 2048, 4096, 8192, 16384 \\(1024 = 1 vCPU\\)\\.`));
  });
});

describe('CPU architecture', () => {
  test('ARM64 by default on Fargate, X86_64 when asked for', () => {
    build().hasResourceProperties('AWS::ECS::TaskDefinition', { RuntimePlatform: { CpuArchitecture: 'ARM64' } });
    build({ cpuArchitecture: ecs.CpuArchitecture.X86_64 })
      .hasResourceProperties('AWS::ECS::TaskDefinition', { RuntimePlatform: { CpuArchitecture: 'X86_64' } });
  });

  test.each([
    ['m7g.large', ecs.CpuArchitecture.ARM64],
    ['m7i.large', ecs.CpuArchitecture.X86_64],
  ])('follows the EC2 provider: %s accepts its own architecture and leaves it to the AMI', (instanceType, architecture) => {
    const { stack, cluster } = setup();
    const provider = cluster.addAsgCapacity('Asg', { instanceType: new ec2.InstanceType(instanceType), maxCapacity: 2 });
    new TestWorkload(stack, 'Default', { cluster, image: IMAGE, capacity: Capacity.ec2(provider) });
    new TestWorkload(stack, 'Explicit', { cluster, image: IMAGE, capacity: Capacity.ec2(provider), cpuArchitecture: architecture });
    // aws-cdk-lib renders no RuntimePlatform for EC2 task definitions: the provider's AMI decides.
    Template.fromStack(stack).resourcePropertiesCountIs('AWS::ECS::TaskDefinition', {
      RequiresCompatibilities: ['EC2'],
      NetworkMode: 'awsvpc',
      Cpu: '256',
      Memory: '512',
      RuntimePlatform: Match.absent(),
    }, 2);
  });

  test('X86_64 with a GPU reservation when gpuCount > 0 on a GPU provider', () => {
    const { stack, cluster } = setup();
    const gpu = cluster.addAsgCapacity('Gpu', { instanceType: new ec2.InstanceType('g5.xlarge'), maxCapacity: 2, gpu: true });
    new TestWorkload(stack, 'Work', { cluster, image: IMAGE, capacity: Capacity.ec2(gpu), gpuCount: 1, memoryLimitMiB: 8192, cpu: 2048 });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ECS::TaskDefinition', { RequiresCompatibilities: ['EC2'], Cpu: '2048', Memory: '8192' });
    expect(mainContainer(template).ResourceRequirements).toEqual([{ Type: 'GPU', Value: '1' }]);
  });

  test('an existing cluster\'s own EC2 provider is accepted, and gpuCount > 0 picks X86_64', () => {
    const { stack, provider, cluster } = existingClusterWithGpuProvider();
    // gpuCount picks X86_64 (else the ARM64 default would be rejected with gpuCount > 0).
    new TestWorkload(stack, 'Work', { cluster, image: IMAGE, capacity: Capacity.ec2(provider), gpuCount: 1 });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ECS::TaskDefinition', { RequiresCompatibilities: ['EC2'] });
    expect(mainContainer(template).ResourceRequirements).toEqual([{ Type: 'GPU', Value: '1' }]);
  });
});

describe('container overrides', () => {
  test('read-only root FS, user and memory can each be overridden', () => {
    const main = mainContainer(build({ readonlyRootFilesystem: false, user: 'root', cpu: 1024, memoryLimitMiB: 2048 }));
    expect(main).toMatchObject({ ReadonlyRootFilesystem: false, User: 'root', Memory: 2048 });
  });

  test('command, entry point, port, health check, stop timeout and environment', () => {
    const template = build({
      command: ['serve'],
      entryPoint: ['/bin/app'],
      containerPort: 9000,
      healthCheck: { command: ['CMD-SHELL', 'true'] },
      stopTimeout: Duration.seconds(120),
      environment: { MODE: 'fast' },
      constructEnvironment: { QUEUE_URL: 'https://queue' },
    });
    expect(mainContainer(template)).toMatchObject({
      Command: ['serve'],
      EntryPoint: ['/bin/app'],
      PortMappings: [{ ContainerPort: 9000, Protocol: 'tcp' }],
      HealthCheck: { Command: ['CMD-SHELL', 'true'] },
      StopTimeout: 120,
      Environment: [{ Name: 'MODE', Value: 'fast' }, { Name: 'QUEUE_URL', Value: 'https://queue' }],
    });
  });

  test('the construct default port applies when containerPort is not given', () => {
    expect(mainContainer(build({ defaultContainerPort: 8080 })).PortMappings).toEqual([{ ContainerPort: 8080, Protocol: 'tcp' }]);
  });

  test('the construct environment wins over a user variable of the same name', () => {
    const main = mainContainer(build({ environment: { QUEUE_URL: 'mine' }, constructEnvironment: { QUEUE_URL: 'construct' } }));
    expect(main.Environment).toEqual([{ Name: 'QUEUE_URL', Value: 'construct' }]);
  });

  test('only-construct environment variables are acknowledged for AwsSolutions-ECS2 (compliance passes)', async () => {
    const { stack, cluster } = setup();
    new TestWorkload(stack, 'Work', { cluster, image: IMAGE, constructEnvironment: { QUEUE_URL: 'https://queue' } });
    expectCompliant(stack);
    await expectDeployable(stack);
  });

  test('logRetention overrides the log group retention', () => {
    build({ logRetention: logs.RetentionDays.ONE_MONTH })
      .hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30, KmsKeyId: Match.anyValue() });
  });

  test('EC2 tasks may leave the task-level memory to a soft reservation', () => {
    const { stack, cluster } = setup();
    const provider = cluster.addAsgCapacity('Asg', { instanceType: new ec2.InstanceType('m7g.large'), maxCapacity: 2 });
    new TestWorkload(stack, 'Work', {
      cluster,
      image: IMAGE,
      capacity: Capacity.ec2(provider),
      taskLevelResources: false,
      memoryReservationMiB: 256,
      networkMode: ecs.NetworkMode.BRIDGE,
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Cpu: Match.absent(),
      Memory: Match.absent(),
      NetworkMode: 'bridge',
    });
    expect(mainContainer(template).MemoryReservation).toBe(256);
    expect(mainContainer(template).Memory).toBeUndefined();
  });
});

describe('roles', () => {
  test('image pull and secrets go to the execution role only; the task role gets neither', () => {
    const { stack, cluster } = setup();
    const repository = new ecr.Repository(stack, 'Repo');
    const secret = new secretsmanager.Secret(stack, 'Secret');
    new TestWorkload(stack, 'Work', {
      cluster,
      image: ecs.ContainerImage.fromEcrRepository(repository),
      secrets: { TOKEN: ecs.Secret.fromSecretsManager(secret) },
    });
    const template = Template.fromStack(stack);
    const execution = policyOf(template, 'Test/Work/ExecutionRole');
    expect(execution).toEqual([
      {
        Action: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^Repo/), 'Arn'] },
      },
      { Action: 'ecr:GetAuthorizationToken', Effect: 'Allow', Resource: '*' },
      {
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^WorkLogGroup/), 'Arn'] },
      },
      {
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        Effect: 'Allow',
        Resource: { Ref: expect.stringMatching(/^Secret/) },
      },
    ]);
    expect(policyOf(template, 'Test/Work/TaskRole')).toEqual([]);
    expect(mainContainer(template).Secrets).toEqual([{ Name: 'TOKEN', ValueFrom: { Ref: expect.stringMatching(/^Secret/) } }]);
  });

  test('grants to the task role land in a customer-managed policy of the task role', () => {
    const { stack, cluster } = setup();
    const work = new TestWorkload(stack, 'Work', { cluster, image: IMAGE });
    const repository = new ecr.Repository(stack, 'Repo');
    repository.grantPull(work.task.taskDefinition.taskRole);
    const template = Template.fromStack(stack);
    expect(policyOf(template, 'Test/Work/TaskRole')).toEqual(expect.arrayContaining([
      expect.objectContaining({ Action: 'ecr:GetAuthorizationToken' }),
    ]));
    expect(policyOf(template, 'Test/Work/ExecutionRole')).toHaveLength(1);
    template.resourceCountIs('AWS::IAM::Policy', 0);
  });
});

describe('sidecars', () => {
  test('start before the main container and take their memory out of the task memory', () => {
    const template = build({
      cpu: 512,
      memoryLimitMiB: 1024,
      sidecars: [
        { name: 'proxy', image: IMAGE, memoryLimitMiB: 256 },
        {
          name: 'init',
          image: IMAGE,
          mainContainerWaitsFor: ecs.ContainerDependencyCondition.SUCCESS,
          command: ['setup'],
          environment: { STEP: 'init' },
        },
        {
          name: 'agent',
          image: IMAGE,
          essential: true,
          cpu: 64,
          mainContainerWaitsFor: ecs.ContainerDependencyCondition.HEALTHY,
          healthCheck: { command: ['CMD-SHELL', 'true'] },
          readonlyRootFilesystem: false,
          user: '0',
        },
      ],
    });
    const [taskDefinition] = Object.values(template.findResources('AWS::ECS::TaskDefinition')) as any[];
    const byName = Object.fromEntries(taskDefinition.Properties.ContainerDefinitions.map((c: any) => [c.Name, c]));
    // 1024 - 256 - 128 - 128
    expect(byName.main.Memory).toBe(512);
    expect(byName.main.DependsOn).toEqual([
      { ContainerName: 'proxy', Condition: 'START' },
      { ContainerName: 'init', Condition: 'SUCCESS' },
      { ContainerName: 'agent', Condition: 'HEALTHY' },
    ]);
    expect(byName.proxy).toMatchObject({ Memory: 256, Essential: false, ReadonlyRootFilesystem: true, User: '1000' });
    expect(byName.proxy.LogConfiguration.Options['awslogs-stream-prefix']).toBe('proxy');
    expect(byName.init).toMatchObject({ Memory: 128, Command: ['setup'], Environment: [{ Name: 'STEP', Value: 'init' }] });
    expect(byName.agent).toMatchObject({ Memory: 128, Essential: true, Cpu: 64, ReadonlyRootFilesystem: false, User: '0' });
  });

  test('sidecar secrets are read by the execution role', () => {
    const { stack, cluster } = setup();
    const secret = new secretsmanager.Secret(stack, 'Secret');
    new TestWorkload(stack, 'Work', {
      cluster,
      image: IMAGE,
      sidecars: [{ name: 'agent', image: IMAGE, secrets: { KEY: ecs.Secret.fromSecretsManager(secret) } }],
    });
    expect(policyOf(Template.fromStack(stack), 'Test/Work/ExecutionRole')).toEqual(expect.arrayContaining([
      expect.objectContaining({ Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'] }),
    ]));
  });
});

describe('invalid task inputs', () => {
  test.each<[string, Partial<TestWorkloadProps>, RegExp]>([
    ['stopTimeout above 120 s', { stopTimeout: Duration.seconds(121) },
      /stopTimeout must be a whole number between 2 and 120 seconds, got 121\. ECS waits at most 120 seconds/],
    ['stopTimeout below 2 s', { stopTimeout: Duration.seconds(1) }, /stopTimeout must be a whole number between 2 and 120 seconds, got 1/],
    ['stopTimeout of fractional seconds', { stopTimeout: Duration.millis(2500) }, /stopTimeout must be a whole number between 2 and 120 seconds, got 2\.5/],
    ['an essential init container', { sidecars: [{ name: 'init', image: IMAGE, essential: true, mainContainerWaitsFor: ecs.ContainerDependencyCondition.SUCCESS }] },
      /sidecars\[0\] \('init'\) is essential and the main container waits for it to SUCCESS.*Set essential: false for an init container/],
    ['sidecars reserving more CPU than the task', { cpu: 256, sidecars: [{ name: 'a', image: IMAGE, cpu: 200 }, { name: 'b', image: IMAGE, cpu: 100 }] },
      /sidecars reserve 300 CPU units in all, more than the task's cpu \(256\)\. Raise cpu or lower the sidecars' cpu\./],
    ['two volumes on one containerPath', { volumes: [WorkloadVolume.bindMount({ name: 'a', containerPath: '/data' }), WorkloadVolume.bindMount({ name: 'b', containerPath: '/data' })] },
      /volumes 'a' and 'b' are both mounted at containerPath '\/data'.*Give each volume its own containerPath\./],
    ['gpuCount on Fargate', { gpuCount: 1 },
      /gpuCount is 1, but Fargate has no GPUs\. Add a GPU capacity provider with cluster\.addAsgCapacity\(id, \{ gpu: true, \.\.\. \}\)/],
    ['gpuCount above 16', { gpuCount: 17 }, /gpuCount must be a whole number between 0 and 16, got 17/],
    ['a log retention CloudWatch Logs does not accept', { logRetention: 2 as logs.RetentionDays },
      /Test\/Work: logRetention 2 is not a retention CloudWatch Logs accepts \(1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 days\), so it rejects the log group at deploy\. Use a logs\.RetentionDays value/],
    ['duplicate sidecar names', { sidecars: [{ name: 'proxy', image: IMAGE }, { name: 'proxy', image: IMAGE }] },
      /sidecars\[1\]\.name 'proxy' is used twice \(or is the reserved 'main'\)\. Give every container its own name\./],
    ['a sidecar named main', { sidecars: [{ name: 'main', image: IMAGE }] }, /sidecars\[0\]\.name 'main' is used twice \(or is the reserved 'main'\)/],
    ['a sidecar waiting for HEALTHY without a health check',
      { sidecars: [{ name: 'db', image: IMAGE, mainContainerWaitsFor: ecs.ContainerDependencyCondition.HEALTHY }] },
      /sidecars 'db'\.mainContainerWaitsFor is HEALTHY, but the sidecar has no healthCheck, so it never becomes healthy\. Add a healthCheck or wait for START\./],
    ['sidecar memory below 6 MiB', { sidecars: [{ name: 'tiny', image: IMAGE, memoryLimitMiB: 4 }] },
      /sidecars\[0\]\.memoryLimitMiB must be a whole number between 6 and 122880, got 4\. Docker needs at least 6 MiB/],
    ['sidecars leaving under 64 MiB to the main container', { sidecars: [{ name: 'big', image: IMAGE, memoryLimitMiB: 480 }] },
      /sidecars reserve 480 MiB of the task's 512 MiB, leaving 32 MiB for the main container\. Raise memoryLimitMiB/],
    ['containerPort 0', { containerPort: 0 }, /containerPort must be a whole number between 1 and 65535, got 0/],
    ['containerPort 70000', { containerPort: 70000 }, /containerPort must be a whole number between 1 and 65535, got 70000/],
    ['memoryReservationMiB on Fargate', { memoryReservationMiB: 256 },
      /memoryReservationMiB \(256\) applies to EC2 capacity only; Fargate reserves the task memory\./],
    ['10 sidecars (11 containers)', { cpu: 1024, memoryLimitMiB: 4096, sidecars: Array.from({ length: 10 }, (_, i) => ({ name: `s${i}`, image: IMAGE })) },
      /sidecars has 10 containers: with the main container that makes 11, but an ECS task definition holds at most 10 containers\. Run at most 9 sidecars/],
    ['a sidecar name with a dot', { sidecars: [{ name: 'log.router', image: IMAGE }] },
      /sidecars\[0\]\.name 'log\.router' contains '\.', but it may only contain letters, digits, '_' and '-' \(ECS container names\)\. Rename it\./],
    ['an empty sidecar name', { sidecars: [{ name: '', image: IMAGE }] }, /sidecars\[0\]\.name is 0 characters long, but it must have 1 to 255/],
    ['a sidecar name over 255 characters', { sidecars: [{ name: 'x'.repeat(256), image: IMAGE }] }, /sidecars\[0\]\.name is 256 characters long/],
    ['a volume name with a slash', { volumes: [WorkloadVolume.bindMount({ name: 'a/b', containerPath: '/tmp' })] },
      /volumes\[0\]\.name 'a\/b' contains '\/', but it may only contain letters, digits, '_' and '-' \(ECS volume names\)/],
    ['a health check interval below 5 s', { healthCheck: { command: ['CMD', 'true'], interval: Duration.seconds(4) } },
      /healthCheck\.interval must be a whole number between 5 and 300 seconds, got 4\. ECS runs a health check every 5 to 300 seconds\./],
    ['a health check interval above 300 s', { healthCheck: { command: ['CMD', 'true'], interval: Duration.seconds(301) } },
      /healthCheck\.interval must be a whole number between 5 and 300 seconds, got 301/],
    ['a health check timeout above 120 s', { healthCheck: { command: ['CMD', 'true'], interval: Duration.seconds(300), timeout: Duration.seconds(121) } },
      /healthCheck\.timeout must be a whole number between 2 and 120 seconds, got 121/],
    ['0 health check retries', { healthCheck: { command: ['CMD', 'true'], retries: 0 } },
      /healthCheck\.retries must be a whole number between 1 and 10, got 0\. ECS retries a failed health check 1 to 10 times\./],
    ['a health check start period above 300 s', { healthCheck: { command: ['CMD', 'true'], startPeriod: Duration.seconds(301) } },
      /healthCheck\.startPeriod must be a whole number between 0 and 300 seconds, got 301\. .*grace period/],
    ['a health check timeout above the default interval', { healthCheck: { command: ['CMD', 'true'], timeout: Duration.seconds(60) } },
      /healthCheck\.timeout \(60\) must not exceed healthCheck\.interval \(30\)\. Lower healthCheck\.timeout or raise healthCheck\.interval\./],
    ['a sidecar health check with 11 retries', { sidecars: [{ name: 'proxy', image: IMAGE, healthCheck: { command: ['CMD', 'true'], retries: 11 } }] },
      /sidecars\[0\]\.healthCheck\.retries must be a whole number between 1 and 10, got 11/],
    ['removalPolicy SNAPSHOT', { removalPolicy: RemovalPolicy.SNAPSHOT },
      /Test\/Work: removalPolicy is SNAPSHOT, but CloudFormation snapshots databases and volumes only/],
  ])('rejects %s', (_, props, message) => {
    expect(() => build(props)).toThrow(ValidationError);
    expect(() => build(props)).toThrow(message);
  });

  type Providers = { graviton: ecs.AsgCapacityProvider; x86: ecs.AsgCapacityProvider; gpu: ecs.AsgCapacityProvider };
  test.each<[string, (p: Providers) => Partial<TestWorkloadProps>, RegExp]>([
    ['cpuArchitecture that differs from the EC2 provider', ({ graviton }) => ({ capacity: Capacity.ec2(graviton), cpuArchitecture: ecs.CpuArchitecture.X86_64 }),
      /cpuArchitecture is X86_64 but capacity provider 'Test\/Cluster\/Graviton\/CapacityProvider' runs ARM64 instances\. Remove cpuArchitecture/],
    ['gpuCount on a provider without GPUs', ({ x86 }) => ({ capacity: Capacity.ec2(x86), gpuCount: 1 }),
      /gpuCount is 1 but capacity provider 'Test\/Cluster\/X86\/CapacityProvider' has no GPUs\. Use a provider added with addAsgCapacity\(id, \{ gpu: true/],
    ['EC2 cpu below 128 units', ({ x86 }) => ({ capacity: Capacity.ec2(x86), cpu: 64 }),
      /cpu must be a whole number between 128 and 196608, got 64\. EC2 task CPU is given in CPU units/],
    ['EC2 memory below 6 MiB', ({ x86 }) => ({ capacity: Capacity.ec2(x86), memoryLimitMiB: 4 }),
      /memoryLimitMiB must be a whole number between 6 and 3145728, got 4/],
    ['memoryReservationMiB above memoryLimitMiB', ({ x86 }) => ({ capacity: Capacity.ec2(x86), memoryLimitMiB: 512, memoryReservationMiB: 1024 }),
      /memoryReservationMiB \(1024\) exceeds memoryLimitMiB \(512\); the soft limit must not exceed the hard limit\./],
    // Graviton: m7g.large (2 vCPUs, 8 GiB) and c7g.large (2 vCPUs, 4 GiB); GPU: g5.xlarge and g4dn.xlarge (4 vCPUs, 16 GiB, 1 GPU each).
    ['cpu above every instance type\'s vCPUs', ({ graviton }) => ({ capacity: Capacity.ec2(graviton), cpu: 4096, memoryLimitMiB: 4096 }),
      /Test\/Work: cpu \(4096\) is more than the 2048 CPU units \(2 vCPUs x 1024\) of m7g.large, the largest instance type of capacity provider 'Test\/Cluster\/Graviton\/CapacityProvider', so ECS can place the task on none of its instances\. Lower cpu to at most 2048, or use larger instance types\./],
    ['memoryLimitMiB above every instance type\'s memory', ({ graviton }) => ({ capacity: Capacity.ec2(graviton), cpu: 1024, memoryLimitMiB: 16384 }),
      /memoryLimitMiB \(16384\) is more than the 8192 MiB installed in m7g.large, the largest instance type of capacity provider 'Test\/Cluster\/Graviton\/CapacityProvider' \(ECS registers somewhat less\), so ECS can place the task on none of its instances/],
    ['gpuCount above every instance type\'s GPUs', ({ gpu }) => ({ capacity: Capacity.ec2(gpu), gpuCount: 2 }),
      /gpuCount \(2\) is more than the 1 GPU of g5.xlarge, the instance type with the most GPUs of capacity provider 'Test\/Cluster\/Gpu\/CapacityProvider', so ECS can place the task on none of its instances\. Lower gpuCount to at most 1/],
  ])('rejects %s on EC2 capacity', (_, props, message) => {
    const { stack, cluster } = setup();
    const graviton = cluster.addAsgCapacity('Graviton', {
      instanceType: new ec2.InstanceType('m7g.large'), additionalInstanceTypes: [new ec2.InstanceType('c7g.large')], maxCapacity: 2,
    });
    const x86 = cluster.addAsgCapacity('X86', { instanceType: new ec2.InstanceType('m7i.large'), maxCapacity: 2 });
    const gpu = cluster.addAsgCapacity('Gpu', {
      instanceType: new ec2.InstanceType('g5.xlarge'), additionalInstanceTypes: [new ec2.InstanceType('g4dn.xlarge')], gpu: true, maxCapacity: 2,
    });
    expect(() => new TestWorkload(stack, 'Work', { cluster, image: IMAGE, ...props({ graviton, x86, gpu }) })).toThrow(message);
  });

  test.each<[string, Partial<TestWorkloadProps>]>([
    ['the largest instance type\'s vCPUs and memory', { cpu: 2048, memoryLimitMiB: 8192 }],
    ['an instance type missing from the table', { cpu: 8192, memoryLimitMiB: 30000 }],
  ])('accepts %s on EC2 capacity', (name, props) => {
    const { stack, cluster } = setup();
    const types = name.includes('missing') ? ['m7g.large', 'm7g.metal'] : ['m7g.large', 'c7g.large'];
    const graviton = cluster.addAsgCapacity('Graviton', {
      instanceType: new ec2.InstanceType(types[0]), additionalInstanceTypes: [new ec2.InstanceType(types[1])], maxCapacity: 2,
    });
    expect(() => new TestWorkload(stack, 'Work', { cluster, image: IMAGE, capacity: Capacity.ec2(graviton), ...props })).not.toThrow();
  });

  test('accepts the GPUs of the largest GPU instance type', () => {
    const { stack, cluster } = setup();
    const gpu = cluster.addAsgCapacity('Gpu', {
      instanceType: new ec2.InstanceType('g5.xlarge'), additionalInstanceTypes: [new ec2.InstanceType('g5.12xlarge')], gpu: true, maxCapacity: 2,
    });
    expect(() => new TestWorkload(stack, 'Work', { cluster, image: IMAGE, capacity: Capacity.ec2(gpu), gpuCount: 4 })).not.toThrow();
  });

  test('rejects gpuCount with ARM64 on an existing cluster provider', () => {
    const { stack, provider, cluster } = existingClusterWithGpuProvider();
    expect(() => new TestWorkload(stack, 'Work', {
      cluster, image: IMAGE, capacity: Capacity.ec2(provider), gpuCount: 1, cpuArchitecture: ecs.CpuArchitecture.ARM64,
    })).toThrow(/cpuArchitecture is ARM64 with gpuCount > 0, but the ECS GPU AMI is x86_64 only\. Set cpuArchitecture to ecs\.CpuArchitecture\.X86_64\./);
  });
});

describe('compliance', () => {
  test('a Fargate task built by the builder behind an ecs.FargateService has no unacknowledged finding', async () => {
    const { stack, cluster } = setup();
    const parameter = ssm.StringParameter.fromSecureStringParameterAttributes(stack, 'Token', { parameterName: '/app/token' });
    const work = new TestWorkload(stack, 'Work', {
      cluster,
      image: IMAGE,
      cpu: 512,
      memoryLimitMiB: 1024,
      containerPort: 8080,
      secrets: { TOKEN: ecs.Secret.fromSsmParameter(parameter) },
      sidecars: [{ name: 'proxy', image: IMAGE }],
      capacity: Capacity.fargateSpot({ onDemandBase: 1, onDemandWeight: 1 }),
    });
    const service = new ecs.FargateService(work, 'Service', {
      cluster: cluster.cluster,
      taskDefinition: work.task.taskDefinition,
      capacityProviderStrategies: work.capacity.strategies,
      securityGroups: [taskSecurityGroup(work, cluster)],
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      minHealthyPercent: 100,
      circuitBreaker: { rollback: true },
    });
    // What every workload construct does for its service (the deploy-proof check fails without it).
    startAfterDependencies(service, cluster, work.task);
    expectCompliant(stack);
    await expectDeployable(stack);
  });
});

describe('limits at their edges are accepted', () => {
  test('9 sidecars, 255-character names, health check limits', () => {
    const template = build({
      cpu: 4096,
      memoryLimitMiB: 8192,
      healthCheck: { command: ['CMD', 'true'], interval: Duration.seconds(300), timeout: Duration.seconds(120), retries: 10, startPeriod: Duration.seconds(300) },
      sidecars: Array.from({ length: 9 }, (_, i) => ({
        name: `${i}${'s'.repeat(254)}`,
        image: IMAGE,
        healthCheck: { command: ['CMD', 'true'], interval: Duration.seconds(5), timeout: Duration.seconds(2), retries: 1, startPeriod: Duration.seconds(0) },
      })),
      volumes: [WorkloadVolume.bindMount({ name: 'Scratch_tmp-1', containerPath: '/tmp' })],
    });
    const [taskDefinition] = Object.values(template.findResources('AWS::ECS::TaskDefinition')) as any[];
    expect(taskDefinition.Properties.ContainerDefinitions).toHaveLength(10);
    expect(mainContainer(template).HealthCheck).toEqual({ Command: ['CMD', 'true'], Interval: 300, Timeout: 120, Retries: 10, StartPeriod: 300 });
  });
});

describe('log group removal policy', () => {
  // Three log groups: the cluster's flow logs and ECS Exec sessions (retained here) and the workload's.
  test.each<[RemovalPolicy | undefined, string[]]>([
    [undefined, ['Retain', 'Retain', 'Retain']],
    [RemovalPolicy.RETAIN, ['Retain', 'Retain', 'Retain']],
    [RemovalPolicy.DESTROY, ['Delete', 'Retain', 'Retain']],
  ])('removalPolicy %s gives the log groups DeletionPolicy %j', (removalPolicy, policies) => {
    const groups = Object.values(build({ removalPolicy }).findResources('AWS::Logs::LogGroup')) as any[];
    expect(groups.map(g => g.DeletionPolicy).sort()).toEqual(policies);
    expect(groups.map(g => g.UpdateReplacePolicy).sort()).toEqual(policies);
  });
});

/** A WorkloadCluster over an existing ECS cluster that has its own GPU (g5) capacity provider. */
function existingClusterWithGpuProvider() {
  const stack = newStack();
  const vpc = new ec2.Vpc(stack, 'Vpc');
  const ecsCluster = new ecs.Cluster(stack, 'Existing', { vpc });
  const asg = new autoscaling.AutoScalingGroup(stack, 'Asg', {
    vpc,
    instanceType: new ec2.InstanceType('g5.xlarge'),
    machineImage: ecs.EcsOptimizedImage.amazonLinux2023(ecs.AmiHardwareType.GPU),
    maxCapacity: 1,
  });
  const provider = new ecs.AsgCapacityProvider(stack, 'Provider', { autoScalingGroup: asg });
  ecsCluster.addAsgCapacityProvider(provider);
  const cluster = new WorkloadCluster(stack, 'Cluster', { vpc, cluster: ecsCluster });
  return { stack, provider, cluster };
}

describe('cluster without NAT gateways', () => {
  test.each<[string, Partial<TestWorkloadProps>, RegExp]>([
    ['a public registry image', {},
      /Test\/Workload: image 'public\.ecr\.aws\/docker\/library\/busybox:stable' is not in a private ECR repository, but cluster 'Test\/Cluster' has natGateways 0: .*Copy the image into ECR/],
    ['a Docker Hub sidecar', {
      sidecars: [{ name: 'proxy', image: ecs.ContainerImage.fromRegistry('envoyproxy/envoy:v1.31') }],
      image: ecs.ContainerImage.fromRegistry('123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1'),
    },
    /sidecars\[0\]\.image 'envoyproxy\/envoy:v1\.31' is not in a private ECR repository/],
  ])('rejects %s: the tasks reach AWS only through VPC endpoints', (_name, props, message) => {
    const stack = newStack();
    const cluster = new WorkloadCluster(stack, 'Cluster', { natGateways: 0 });
    expect(() => new TestWorkload(stack, 'Workload', { cluster, image: IMAGE, ...props })).toThrow(message);
  });

  test.each<[string, ecs.ContainerImage]>([
    ['a private ECR image given by URI', ecs.ContainerImage.fromRegistry('123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1')],
    ['an ECR repository of the stack', ecs.ContainerImage.fromEcrRepository(ecr.Repository.fromRepositoryName(newStack(), 'Repo', 'app'))],
  ])('accepts %s', (_name, image) => {
    const stack = newStack();
    const cluster = new WorkloadCluster(stack, 'Cluster', { natGateways: 0 });
    expect(() => new TestWorkload(stack, 'Workload', { cluster, image })).not.toThrow();
  });

  test('with a NAT gateway any registry is allowed', () => {
    expect(() => build()).not.toThrow();
  });
});
