import { Duration, Lazy, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AsgCapacityOptions, WorkloadCluster, WorkloadClusterProps } from '../../src';
import { ValidationError } from '../../src/core/errors';
import { expectCompliant, newStack, stableTemplate, statefulPolicies } from '../compliance';
import { expectDeployable } from '../deploy-proof';

const M7G = new ec2.InstanceType('m7g.large');
const C7G = new ec2.InstanceType('c7g.large');
const G5 = new ec2.InstanceType('g5.xlarge');
const G4DN = new ec2.InstanceType('g4dn.xlarge');

/** ARM64 (Graviton) and GPU capacity with two Nitro types each, as Control Tower asks. */
function withArmAndGpu(stack: Stack, props: WorkloadClusterProps = {}): WorkloadCluster {
  const cluster = new WorkloadCluster(stack, 'Cluster', props);
  cluster.addAsgCapacity('Graviton', { instanceType: M7G, additionalInstanceTypes: [C7G], maxCapacity: 4 });
  cluster.addAsgCapacity('Gpu', { instanceType: G5, additionalInstanceTypes: [G4DN], maxCapacity: 2, gpu: true });
  return cluster;
}

function addCapacity(options: Partial<AsgCapacityOptions> = {}): { stack: Stack; cluster: WorkloadCluster; template: Template } {
  const stack = newStack();
  const cluster = new WorkloadCluster(stack, 'Cluster');
  cluster.addAsgCapacity('Asg', { instanceType: M7G, maxCapacity: 4, ...options });
  return { stack, cluster, template: Template.fromStack(stack) };
}

function ssmImageParameters(template: Template): string[] {
  const parameters = template.toJSON().Parameters as { [name: string]: { Type: string; Default: string } };
  return Object.values(parameters)
    .filter(p => p.Type === 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>')
    .map(p => p.Default);
}

describe('new VPC (defaults)', () => {
  const stack = newStack();
  const cluster = new WorkloadCluster(stack, 'Cluster');
  const template = Template.fromStack(stack);

  test('spans 2 AZs with a public and a private subnet in each, and 1 NAT gateway', () => {
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.resourceCountIs('AWS::EC2::Subnet', 4);
    template.resourcePropertiesCountIs('AWS::EC2::Subnet', {
      MapPublicIpOnLaunch: false,
      Tags: Match.arrayWith([{ Key: 'aws-cdk:subnet-type', Value: 'Public' }]),
    }, 2);
    template.resourcePropertiesCountIs('AWS::EC2::Subnet', {
      MapPublicIpOnLaunch: false,
      Tags: Match.arrayWith([{ Key: 'aws-cdk:subnet-type', Value: 'Private' }]),
    }, 2);
    template.hasResourceProperties('AWS::EC2::Subnet', { CidrBlock: '10.0.0.0/24', AvailabilityZone: 'dummy1a' });
    template.hasResourceProperties('AWS::EC2::Subnet', { CidrBlock: Match.stringLikeRegexp('/20$'), AvailabilityZone: 'dummy1b' });
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
    expect(cluster.vpc.privateSubnets).toHaveLength(2);
    expect(cluster.vpc.publicSubnets).toHaveLength(2);
  });

  test('logs all traffic to a KMS-encrypted log group kept 1 year and retained', () => {
    template.hasResourceProperties('AWS::EC2::FlowLog', {
      ResourceType: 'VPC',
      TrafficType: 'ALL',
      LogDestinationType: 'cloud-watch-logs',
      LogGroupName: { Ref: Match.stringLikeRegexp('^ClusterFlowLogs') },
      DeliverLogsPermissionArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ClusterFlowLogsRole'), 'Arn'] },
    });
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 365, KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ClusterKey'), 'Arn'] } },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('the flow log role may only write to its log group, through a customer-managed policy', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'vpc-flow-logs.amazonaws.com' } })] },
      ManagedPolicyArns: Match.absent(),
      Policies: Match.absent(),
    });
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Description: 'Permissions of Test/Cluster/FlowLogsRole',
      PolicyDocument: {
        Statement: [{
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
          Effect: 'Allow',
          Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ClusterFlowLogs'), 'Arn'] },
        }],
      },
    });
    template.resourceCountIs('AWS::IAM::Policy', 0);
  });

  test('leaves the default security group alone unless asked (no custom resource)', () => {
    template.resourceCountIs('Custom::VpcRestrictDefaultSG', 0);
    template.resourceCountIs('AWS::Lambda::Function', 0);
  });

  test('an ECS cluster with Container Insights enhanced and the Fargate + Fargate Spot providers', () => {
    template.hasResource('AWS::ECS::Cluster', {
      Properties: { ClusterSettings: [{ Name: 'containerInsights', Value: 'enhanced' }] },
      Metadata: { guard: { SuppressedRules: ['ecs_container_insights_enabled_check'] } },
    });
    template.hasResourceProperties('AWS::ECS::ClusterCapacityProviderAssociations', {
      CapacityProviders: ['FARGATE', 'FARGATE_SPOT'],
      Cluster: { Ref: Match.stringLikeRegexp('^Cluster') },
      DefaultCapacityProviderStrategy: [],
    });
    expect(cluster.cluster).toBeInstanceOf(ecs.Cluster);
  });

  test('a KMS key with rotation, retained, whose policy lets CloudWatch Logs use it and denies CreateGrant to non-AWS services', () => {
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResource('AWS::KMS::Key', {
      Properties: {
        EnableKeyRotation: true,
        KeyPolicy: {
          Statement: Match.arrayWith([
            {
              Sid: Match.absent(),
              Effect: 'Allow',
              Principal: { Service: 'logs.us-east-1.amazonaws.com' },
              Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
              Resource: '*',
              Condition: {
                ArnLike: {
                  'kms:EncryptionContext:aws:logs:arn': {
                    'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:us-east-1:123456789012:log-group:*']],
                  },
                },
              },
            },
            {
              Sid: Match.absent(),
              Effect: 'Deny',
              Principal: { AWS: '*' },
              Action: 'kms:CreateGrant',
              Resource: '*',
              Condition: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
            },
            Match.objectLike({
              Effect: 'Allow',
              Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
              Condition: {
                StringEquals: {
                  'aws:PrincipalArn': {
                    'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling']],
                  },
                  'kms:CallerAccount': '123456789012',
                },
              },
            }),
          ]),
        },
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    expect(cluster.encryptionKey).toBeInstanceOf(kms.Key);
  });

  test('one shared instance security group, open outbound, and no EC2 capacity until asked', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'EC2 container instances of Test/Cluster',
      VpcId: { Ref: 'ClusterVpcFAA3CEDF' },
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '0.0.0.0/0', IpProtocol: '-1' })],
    });
    expect(cluster.connections.securityGroups).toHaveLength(1);
    template.resourceCountIs('AWS::AutoScaling::AutoScalingGroup', 0);
    template.resourceCountIs('AWS::SNS::Topic', 0);
    template.resourceCountIs('AWS::S3::Bucket', 0);
    expect(cluster.asgCapacity).toEqual([]);
    expect(cluster.gpuCapacity).toBeUndefined();
    expect(cluster.capacityEvents).toBeUndefined();
  });

  test('creates no CloudFormation output', () => {
    expect(template.toJSON().Outputs).toBeUndefined();
  });
});

describe('WorkloadCluster overrides', () => {
  test.each([0, 2])('natGateways: %d', (natGateways) => {
    const stack = newStack();
    new WorkloadCluster(stack, 'Cluster', { natGateways });
    Template.fromStack(stack).resourceCountIs('AWS::EC2::NatGateway', natGateways);
  });

  test('flowLogRetention', () => {
    const stack = newStack();
    new WorkloadCluster(stack, 'Cluster', { flowLogRetention: logs.RetentionDays.THREE_MONTHS });
    Template.fromStack(stack).hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  test('restrictDefaultSecurityGroup: true closes the default security group', () => {
    const stack = newStack();
    new WorkloadCluster(stack, 'Cluster', { restrictDefaultSecurityGroup: true });
    Template.fromStack(stack).resourceCountIs('Custom::VpcRestrictDefaultSG', 1);
  });

  test.each([
    [ecs.ContainerInsights.ENABLED, 'enabled'],
    [ecs.ContainerInsights.DISABLED, 'disabled'],
  ])('containerInsights: %s, without the guard suppression meant for enhanced', (containerInsights, value) => {
    const stack = newStack();
    new WorkloadCluster(stack, 'Cluster', { containerInsights });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ECS::Cluster', { ClusterSettings: [{ Name: 'containerInsights', Value: value }] });
    template.hasResource('AWS::ECS::Cluster', { Metadata: Match.absent() });
  });

  test('a given key is used for the flow logs and no key is created', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'MyKey', { enableKeyRotation: true });
    const cluster = new WorkloadCluster(stack, 'Cluster', { encryptionKey: key });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^MyKey'), 'Arn'] } });
    expect(cluster.encryptionKey).toBe(key);
  });

  test('a given VPC is used as is: no VPC, subnet, NAT or flow log is created', () => {
    const stack = newStack();
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
      vpcId: 'vpc-1234',
      availabilityZones: ['us-east-1a', 'us-east-1b'],
      privateSubnetIds: ['subnet-a', 'subnet-b'],
    });
    const cluster = new WorkloadCluster(stack, 'Cluster', { vpc });
    cluster.addAsgCapacity('Graviton', { instanceType: M7G, maxCapacity: 2 });
    const template = Template.fromStack(stack);
    expect(cluster.vpc).toBe(vpc);
    for (const type of ['AWS::EC2::VPC', 'AWS::EC2::Subnet', 'AWS::EC2::NatGateway', 'AWS::EC2::FlowLog']) {
      template.resourceCountIs(type, 0);
    }
    // The only log group is the cluster's ECS Exec log group: no flow log group for a given VPC.
    template.resourceCountIs('AWS::Logs::LogGroup', 1);
    expect(Object.keys(template.findResources('AWS::Logs::LogGroup'))[0]).toMatch(/^ClusterExecLogs/);
    template.resourceCountIs('AWS::ECS::Cluster', 1);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', { VpcId: 'vpc-1234' });
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      VPCZoneIdentifier: ['subnet-a', 'subnet-b'],
      AvailabilityZones: ['us-east-1a', 'us-east-1b'],
    });
  });

  test('a given cluster is used as is: no cluster and no capacity provider association is created', () => {
    const stack = newStack();
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2 });
    const existing = ecs.Cluster.fromClusterAttributes(stack, 'Existing', { clusterName: 'prod', vpc });
    const cluster = new WorkloadCluster(stack, 'Cluster', { vpc, cluster: existing });
    const template = Template.fromStack(stack);
    expect(cluster.cluster).toBe(existing);
    expect(cluster.vpc).toBe(vpc);
    template.resourceCountIs('AWS::ECS::Cluster', 0);
    template.resourceCountIs('AWS::ECS::ClusterCapacityProviderAssociations', 0);
    template.resourceCountIs('AWS::KMS::Key', 1);
  });
});

describe('addAsgCapacity', () => {
  test.each<[string, Partial<AsgCapacityOptions> & { instanceType: ec2.InstanceType }, string]>([
    ['ARM64 (Graviton)', { instanceType: M7G, additionalInstanceTypes: [C7G] }, '/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id'],
    ['x86_64', { instanceType: new ec2.InstanceType('m7i.large') }, '/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id'],
    ['GPU', { instanceType: G5, additionalInstanceTypes: [G4DN], gpu: true }, '/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id'],
  ])('%s instances boot the matching ECS-optimized AL2023 image', (_, options, parameter) => {
    const { template, cluster } = addCapacity(options);
    expect(ssmImageParameters(template)).toEqual([parameter]);
    const [capacity] = cluster.asgCapacity;
    expect(capacity.cpuArchitecture).toBe(options.instanceType === M7G ? ecs.CpuArchitecture.ARM64 : ecs.CpuArchitecture.X86_64);
    expect(capacity.gpu).toBe(options.gpu ?? false);
    expect(capacity.instanceTypes).toEqual([options.instanceType, ...options.additionalInstanceTypes ?? []]);
  });

  test('GPU instances enable GPU support in the ECS agent; every instance blocks IMDS from awsvpc tasks', () => {
    const { template, cluster } = addCapacity({ instanceType: G5, gpu: true });
    const userData = JSON.stringify(template.toJSON().Resources[
      Object.keys(template.findResources('AWS::EC2::LaunchTemplate'))[0]].Properties.LaunchTemplateData.UserData);
    expect(userData).toContain('ECS_ENABLE_GPU_SUPPORT=true');
    expect(userData).toContain('ECS_AWSVPC_BLOCK_IMDS=true');
    expect(userData).toContain('ECS_CLUSTER=');
    expect(cluster.gpuCapacity).toBe(cluster.asgCapacity[0]);
  });

  test('non-GPU instances do not enable GPU support', () => {
    const { template } = addCapacity();
    const launchTemplate = Object.values(template.findResources('AWS::EC2::LaunchTemplate'))[0] as any;
    expect(JSON.stringify(launchTemplate.Properties.LaunchTemplateData.UserData)).not.toContain('ECS_ENABLE_GPU_SUPPORT');
  });

  test('defaults: on-demand instances of every listed type, 0 to max, in the private subnets and their AZs, with notifications', () => {
    const { template, cluster } = addCapacity({ additionalInstanceTypes: [C7G] });
    template.hasResource('AWS::AutoScaling::AutoScalingGroup', {
      Properties: {
        MinSize: '0',
        MaxSize: '4',
        VPCZoneIdentifier: [{ Ref: 'ClusterVpcPrivateSubnet1SubnetA4EB481A' }, { Ref: 'ClusterVpcPrivateSubnet2SubnetBD1ECB6E' }],
        AvailabilityZones: ['dummy1a', 'dummy1b'],
        HealthCheckType: 'EC2',
        HealthCheckGracePeriod: 300,
        MetricsCollection: [{ Granularity: '1Minute' }],
        NewInstancesProtectedFromScaleIn: true,
        MixedInstancesPolicy: {
          InstancesDistribution: {
            OnDemandBaseCapacity: 0,
            OnDemandPercentageAboveBaseCapacity: 100,
            SpotAllocationStrategy: 'price-capacity-optimized',
          },
          LaunchTemplate: {
            LaunchTemplateSpecification: Match.objectLike({ LaunchTemplateId: { Ref: Match.stringLikeRegexp('^ClusterAsgLaunchTemplate') } }),
            Overrides: [{ InstanceType: 'm7g.large' }, { InstanceType: 'c7g.large' }],
          },
        },
        NotificationConfigurations: [{
          TopicARN: { Ref: Match.stringLikeRegexp('^ClusterCapacityEvents') },
          NotificationTypes: [
            'autoscaling:EC2_INSTANCE_LAUNCH',
            'autoscaling:EC2_INSTANCE_LAUNCH_ERROR',
            'autoscaling:EC2_INSTANCE_TERMINATE',
            'autoscaling:EC2_INSTANCE_TERMINATE_ERROR',
          ],
        }],
      },
    });
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ClusterKey'), 'Arn'] } });
    expect(cluster.capacityEvents).toBeDefined();
    expect(cluster.asgCapacity[0].spot).toBe(false);
  });

  test('the capacity events topic is shared by every group', () => {
    const stack = newStack();
    withArmAndGpu(stack);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.resourcePropertiesCountIs('AWS::AutoScaling::AutoScalingGroup', {
      NotificationConfigurations: [Match.objectLike({ TopicARN: { Ref: Match.stringLikeRegexp('^ClusterCapacityEvents') } })],
    }, 2);
  });

  test('spot: true buys every instance on Spot, price-capacity-optimized', () => {
    const { template, cluster } = addCapacity({ spot: true, additionalInstanceTypes: [C7G] });
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      MixedInstancesPolicy: Match.objectLike({
        InstancesDistribution: {
          OnDemandBaseCapacity: 0,
          OnDemandPercentageAboveBaseCapacity: 0,
          SpotAllocationStrategy: 'price-capacity-optimized',
        },
      }),
    });
    expect(cluster.asgCapacity[0].spot).toBe(true);
  });

  test('default managed scaling, managed termination protection and managed draining', () => {
    const { template } = addCapacity();
    template.hasResourceProperties('AWS::ECS::CapacityProvider', {
      Name: Match.absent(),
      AutoScalingGroupProvider: {
        AutoScalingGroupArn: { Ref: Match.stringLikeRegexp('^ClusterAsgAutoScalingGroup') },
        ManagedScaling: {
          Status: 'ENABLED',
          TargetCapacity: 100,
          MinimumScalingStepSize: 1,
          MaximumScalingStepSize: 10,
          InstanceWarmupPeriod: 300,
        },
        ManagedTerminationProtection: 'ENABLED',
        ManagedDraining: 'ENABLED',
      },
    });
    template.hasResourceProperties('AWS::ECS::ClusterCapacityProviderAssociations', {
      CapacityProviders: ['FARGATE', 'FARGATE_SPOT', { Ref: Match.stringLikeRegexp('^ClusterAsgCapacityProvider') }],
    });
  });

  test('managed scaling, protection, draining, sizes, name and image overrides', () => {
    const { template } = addCapacity({
      minCapacity: 1,
      maxCapacity: 8,
      targetCapacityPercent: 80,
      minimumScalingStepSize: 2,
      maximumScalingStepSize: 4,
      instanceWarmupPeriod: Duration.minutes(3),
      managedTerminationProtection: false,
      managedDraining: false,
      rootVolumeSizeGiB: 100,
      capacityProviderName: 'graviton',
      machineImage: ec2.MachineImage.genericLinux({ 'us-east-1': 'ami-1234' }),
    });
    template.hasResourceProperties('AWS::ECS::CapacityProvider', {
      Name: 'graviton',
      AutoScalingGroupProvider: Match.objectLike({
        ManagedScaling: { Status: 'ENABLED', TargetCapacity: 80, MinimumScalingStepSize: 2, MaximumScalingStepSize: 4, InstanceWarmupPeriod: 180 },
        ManagedTerminationProtection: 'DISABLED',
        ManagedDraining: 'DISABLED',
      }),
    });
    // Without managed protection and draining, aws-cdk-lib would add its Lambda drain hook: never here.
    template.resourceCountIs('AWS::Lambda::Function', 0);
    template.resourceCountIs('AWS::AutoScaling::LifecycleHook', 0);
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      MinSize: '1',
      MaxSize: '8',
      NewInstancesProtectedFromScaleIn: Match.absent(),
    });
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        ImageId: 'ami-1234',
        BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { DeleteOnTermination: true, Encrypted: true, VolumeSize: 100, VolumeType: 'gp3' } }],
      }),
    });
    expect(ssmImageParameters(template)).toEqual([]);
  });

  test('launch template: IMDSv2 required with hop limit 1, encrypted gp3 root volume, detailed monitoring, shared security group', () => {
    const { template } = addCapacity();
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
        BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { DeleteOnTermination: true, Encrypted: true, VolumeSize: 30, VolumeType: 'gp3' } }],
        Monitoring: { Enabled: true },
        SecurityGroupIds: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^ClusterInstanceSecurityGroup'), 'GroupId'] }],
        IamInstanceProfile: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ClusterAsgLaunchTemplateProfile'), 'Arn'] } },
      }),
    });
  });

  test('instance role: no AWS-managed policy, no inline policy, only the ECS agent permissions scoped to the cluster', () => {
    const { template } = addCapacity();
    template.hasResourceProperties('AWS::IAM::Role', {
      Description: 'ECS container instances of Test/Cluster/Asg',
      AssumeRolePolicyDocument: { Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' } }] },
      ManagedPolicyArns: Match.absent(),
      Policies: Match.absent(),
    });
    template.resourceCountIs('AWS::IAM::Policy', 0);
    const clusterArn = { 'Fn::GetAtt': ['ClusterC2E21B66', 'Arn'] };
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Description: 'Permissions of Test/Cluster/Asg/InstanceRole',
      Roles: [{ Ref: Match.stringLikeRegexp('^ClusterAsgInstanceRole') }],
      PolicyDocument: {
        Statement: [
          { Action: ['ecs:DeregisterContainerInstance', 'ecs:RegisterContainerInstance', 'ecs:Submit*'], Effect: 'Allow', Resource: clusterArn },
          { Action: ['ecs:Poll', 'ecs:StartTelemetrySession'], Effect: 'Allow', Resource: '*', Condition: { ArnEquals: { 'ecs:cluster': clusterArn } } },
          { Action: ['ecs:DiscoverPollEndpoint', 'ecr:GetAuthorizationToken', 'logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow', Resource: '*' },
        ],
      },
    });
  });

  test('returns the capacity provider and records it with its group', () => {
    const stack = newStack();
    const cluster = new WorkloadCluster(stack, 'Cluster');
    const provider = cluster.addAsgCapacity('Graviton', { instanceType: M7G, maxCapacity: 2 });
    expect(provider).toBeInstanceOf(ecs.AsgCapacityProvider);
    expect(cluster.asgCapacity).toHaveLength(1);
    expect(cluster.asgCapacity[0].capacityProvider).toBe(provider);
    expect(cluster.asgCapacity[0].autoScalingGroup).toBe(provider.autoScalingGroup);
    // A copy: callers cannot add to the list behind the cluster's back.
    cluster.asgCapacity.pop();
    expect(cluster.asgCapacity).toHaveLength(1);
  });

  test('skips token values in its range checks', () => {
    const stack = newStack();
    const cluster = new WorkloadCluster(stack, 'Cluster');
    expect(() => cluster.addAsgCapacity('Graviton', {
      instanceType: M7G,
      maxCapacity: Token.asNumber(Lazy.number({ produce: () => 3 })),
    })).not.toThrow();
  });
});

describe('accessLogsBucket', () => {
  test('is created on first use only, once, SSE-S3, TLS-only, versioned, object lock, retained, expiring after 1 year', () => {
    const unused = newStack();
    new WorkloadCluster(unused, 'Cluster');
    Template.fromStack(unused).resourceCountIs('AWS::S3::Bucket', 0);
    const stack = newStack();
    const cluster = new WorkloadCluster(stack, 'Cluster');
    expect(cluster.accessLogsBucket).toBe(cluster.accessLogsBucket);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::S3::Bucket', 1);
    template.hasResource('AWS::S3::Bucket', {
      Properties: {
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        VersioningConfiguration: { Status: 'Enabled' },
        ObjectLockEnabled: true,
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        LifecycleConfiguration: { Rules: [{ ExpirationInDays: 365, NoncurrentVersionExpiration: { NoncurrentDays: 30 }, Status: 'Enabled' }] },
        NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
        LoggingConfiguration: Match.absent(),
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Metadata: { guard: { SuppressedRules: ['s3_bucket_default_encryption_kms_check', 's3_bucket_logging_enabled_check'] } },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
        ]),
      },
    });
    template.resourceCountIs('Custom::S3BucketNotifications', 0);
  });
});

describe('invalid WorkloadCluster inputs', () => {
  test.each<[string, (stack: Stack) => void, RegExp]>([
    ['natGateways with a given vpc', (stack) => new WorkloadCluster(stack, 'Cluster', { vpc: new ec2.Vpc(stack, 'Vpc'), natGateways: 2 }),
      /Test\/Cluster: natGateways \(2\) only applies to a new VPC, but vpc was given\. Remove natGateways\./],
    ['natGateways above the 2 AZs of the new VPC', (stack) => new WorkloadCluster(stack, 'Cluster', { natGateways: 3 }),
      /natGateways must be a whole number between 0 and 2, got 3\. The new VPC spans 2 AZs/],
    ['negative natGateways', (stack) => new WorkloadCluster(stack, 'Cluster', { natGateways: -1 }),
      /natGateways must be a whole number between 0 and 2, got -1/],
    ['a flowLogRetention CloudWatch Logs does not accept', (stack) => new WorkloadCluster(stack, 'Cluster', { flowLogRetention: 100 as logs.RetentionDays }),
      /Test\/Cluster: flowLogRetention 100 is not a retention CloudWatch Logs accepts \(1, 3, 5, .*3653 days\), so it rejects the log group at deploy/],
    ['a cluster without its vpc', (stack) => new WorkloadCluster(stack, 'Cluster', {
      cluster: ecs.Cluster.fromClusterAttributes(stack, 'Existing', { clusterName: 'prod', vpc: new ec2.Vpc(stack, 'Vpc') }),
    }), /cluster \(prod\) was given without vpc\. Pass the cluster's VPC as vpc too/],
    ['addAsgCapacity on an existing cluster', (stack) => {
      const vpc = new ec2.Vpc(stack, 'Vpc');
      const cluster = new WorkloadCluster(stack, 'Cluster', { vpc, cluster: ecs.Cluster.fromClusterAttributes(stack, 'Existing', { clusterName: 'prod', vpc }) });
      cluster.addAsgCapacity('Graviton', { instanceType: M7G, maxCapacity: 2 });
    }, /addAsgCapacity\('Graviton'\) needs a cluster created by WorkloadCluster, but an existing cluster was given\. Add the capacity provider to the existing cluster where it is defined/],
  ])('rejects %s', (_, make, message) => {
    expect(() => make(newStack())).toThrow(ValidationError);
    expect(() => make(newStack())).toThrow(message);
  });

  test.each<[string, Partial<AsgCapacityOptions>, RegExp]>([
    ['minCapacity > maxCapacity', { minCapacity: 5, maxCapacity: 2 },
      /Test\/Cluster\/Asg: minCapacity \(5\) must not exceed maxCapacity \(2\)\. Lower minCapacity or raise maxCapacity\./],
    ['maxCapacity 0', { maxCapacity: 0 }, /maxCapacity must be a whole number between 1 and 10000, got 0\. Give the most instances the group may run\./],
    ['negative minCapacity', { minCapacity: -1 }, /minCapacity must be a whole number between 0 and 10000, got -1/],
    ['targetCapacityPercent 0', { targetCapacityPercent: 0 },
      /targetCapacityPercent must be a whole number between 1 and 100, got 0\. ECS managed scaling accepts 1–100/],
    ['targetCapacityPercent 101', { targetCapacityPercent: 101 }, /targetCapacityPercent must be a whole number between 1 and 100, got 101/],
    ['minimumScalingStepSize 0', { minimumScalingStepSize: 0 }, /minimumScalingStepSize must be a whole number between 1 and 10000, got 0/],
    ['maximumScalingStepSize < minimumScalingStepSize', { minimumScalingStepSize: 5, maximumScalingStepSize: 2 },
      /minimumScalingStepSize \(5\) must not exceed maximumScalingStepSize \(2\)/],
    ['minimumScalingStepSize above the default maximum', { minimumScalingStepSize: 20 },
      /minimumScalingStepSize \(20\) must not exceed maximumScalingStepSize \(10\)/],
    ['rootVolumeSizeGiB < 30', { rootVolumeSizeGiB: 20 },
      /rootVolumeSizeGiB must be a whole number between 30 and 16384, got 20\. The ECS-optimized AMIs need at least 30 GiB/],
    ['instanceWarmupPeriod above 10000 s', { instanceWarmupPeriod: Duration.hours(3) },
      /instanceWarmupPeriod must be a whole number between 0 and 10000 seconds, got 10800/],
    ['gpu on an ARM64 instance type', { instanceType: new ec2.InstanceType('g5g.xlarge'), gpu: true },
      /gpu is true but instanceType 'g5g\.xlarge' is ARM64, and the ECS GPU AMI is x86_64 only\. Pick an x86_64 GPU instance type/],
    ['mixed architectures in additionalInstanceTypes', { additionalInstanceTypes: [C7G, new ec2.InstanceType('m7i.large')] },
      /additionalInstanceTypes\[1\] 'm7i\.large' is x86_64 but instanceType 'm7g\.large' is ARM64; one AMI serves the whole group\. Use instance types of one architecture\./],
    ['an ARM64 additional type in an x86 group', { instanceType: new ec2.InstanceType('m7i.large'), additionalInstanceTypes: [M7G] },
      /additionalInstanceTypes\[0\] 'm7g\.large' is ARM64 but instanceType 'm7i\.large' is x86_64/],
    ['duplicate instance types', { additionalInstanceTypes: [C7G, new ec2.InstanceType('m7g.large')] },
      /additionalInstanceTypes repeats an instance type \(m7g\.large, c7g\.large, m7g\.large\)\. List each type once\./],
  ])('addAsgCapacity rejects %s', (_, options, message) => {
    const attempt = () => new WorkloadCluster(newStack(), 'Cluster').addAsgCapacity('Asg', { instanceType: M7G, maxCapacity: 4, ...options });
    expect(attempt).toThrow(ValidationError);
    expect(attempt).toThrow(message);
  });

  test.each(['Graviton', 'Vpc'])('addAsgCapacity rejects the id %s, already used in the cluster', (id) => {
    const cluster = new WorkloadCluster(newStack(), 'Cluster');
    cluster.addAsgCapacity('Graviton', { instanceType: M7G, maxCapacity: 2 });
    const attempt = () => cluster.addAsgCapacity(id, { instanceType: C7G, maxCapacity: 2 });
    expect(attempt).toThrow(ValidationError);
    expect(attempt).toThrow(new RegExp(`addAsgCapacity id '${id}' is already used in this cluster\\. Give each capacity provider its own id\\.`));
  });
});

describe('compliance', () => {
  test('WorkloadCluster with defaults has no unacknowledged finding', async () => {
    const stack = newStack();
    new WorkloadCluster(stack, 'Cluster');
    expectCompliant(stack);
    await expectDeployable(stack);
  });

  test('WorkloadCluster with ARM64 and GPU capacity, Spot and the access log bucket has no unacknowledged finding', async () => {
    const stack = newStack();
    const cluster = withArmAndGpu(stack, { natGateways: 2, flowLogRetention: logs.RetentionDays.TWO_YEARS });
    cluster.addAsgCapacity('Spot', { instanceType: C7G, additionalInstanceTypes: [M7G], maxCapacity: 4, spot: true, targetCapacityPercent: 80 });
    cluster.accessLogsBucket;
    expectCompliant(stack);
    await expectDeployable(stack);
  });
});

test('snapshot: WorkloadCluster with ARM64 and GPU capacity', () => {
  const stack = newStack();
  withArmAndGpu(stack);
  expect(stableTemplate(stack)).toMatchSnapshot();
});


describe('removalPolicy', () => {
  function clusterWithLogs(props: WorkloadClusterProps = {}): WorkloadCluster {
    const cluster = new WorkloadCluster(newStack(), 'Cluster', props);
    void cluster.accessLogsBucket;
    return cluster;
  }

  test('by default the key, the flow and exec log groups and the access log bucket are retained', () => {
    expect(statefulPolicies(clusterWithLogs())).toEqual([
      'Test/Cluster/AccessLogs/Resource: Retain/Retain',
      'Test/Cluster/ExecLogs/Resource: Retain/Retain',
      'Test/Cluster/FlowLogs/Resource: Retain/Retain',
      'Test/Cluster/Key/Resource: Retain/Retain',
    ]);
  });

  test('DESTROY deletes them with the stack', () => {
    expect(statefulPolicies(clusterWithLogs({ removalPolicy: RemovalPolicy.DESTROY }))).toEqual([
      'Test/Cluster/AccessLogs/Resource: Delete/Delete',
      'Test/Cluster/ExecLogs/Resource: Delete/Delete',
      'Test/Cluster/FlowLogs/Resource: Delete/Delete',
      'Test/Cluster/Key/Resource: Delete/Delete',
    ]);
  });

  test('RETAIN_ON_UPDATE_OR_DELETE is passed through', () => {
    expect(statefulPolicies(clusterWithLogs({ removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE }))).toEqual([
      'Test/Cluster/AccessLogs/Resource: RetainExceptOnCreate/Retain',
      'Test/Cluster/ExecLogs/Resource: RetainExceptOnCreate/Retain',
      'Test/Cluster/FlowLogs/Resource: RetainExceptOnCreate/Retain',
      'Test/Cluster/Key/Resource: RetainExceptOnCreate/Retain',
    ]);
  });

  test('SNAPSHOT is rejected: CloudFormation snapshots none of these resource types', () => {
    const attempt = () => new WorkloadCluster(newStack(), 'Cluster', { removalPolicy: RemovalPolicy.SNAPSHOT });
    expect(attempt).toThrow(ValidationError);
    expect(attempt).toThrow(/Test\/Cluster: removalPolicy is SNAPSHOT, but CloudFormation snapshots databases and volumes only.*Use RemovalPolicy\.RETAIN \(the default\), RETAIN_ON_UPDATE_OR_DELETE or DESTROY\./);
  });
});

describe('capacityProviderName', () => {
  test('a valid name is passed to the capacity provider', () => {
    const { template } = addCapacity({ capacityProviderName: `Graviton_spot-${'x'.repeat(241)}` });
    template.hasResourceProperties('AWS::ECS::CapacityProvider', { Name: `Graviton_spot-${'x'.repeat(241)}` });
  });

  test('a name that merely contains a reserved word is accepted', () => {
    const { template } = addCapacity({ capacityProviderName: 'my-ecs-fargate-aws' });
    template.hasResourceProperties('AWS::ECS::CapacityProvider', { Name: 'my-ecs-fargate-aws' });
  });

  test.each<[string, string, RegExp]>([
    ['longer than 255 characters', 'a'.repeat(256), /Test\/Cluster\/Asg: capacityProviderName is 256 characters long, but it must have 1 to 255\. Shorten it\./],
    ['empty', '', /capacityProviderName is 0 characters long, but it must have 1 to 255\. Give a non-empty name\./],
    ['with a space', 'my provider', /capacityProviderName 'my provider' contains ' ', but it may only contain letters, digits, '_' and '-'\. Rename it\./],
    ['starting with aws', 'awsGraviton', /capacityProviderName 'awsGraviton' starts with 'aws', a prefix ECS reserves for its own capacity providers .*Rename it, or leave it unset/],
    ['starting with ecs', 'ecs-graviton', /capacityProviderName 'ecs-graviton' starts with 'ecs'/],
    ['starting with fargate', 'fargate2', /capacityProviderName 'fargate2' starts with 'fargate'/],
  ])('rejects a name %s', (_, capacityProviderName, message) => {
    const attempt = () => addCapacity({ capacityProviderName });
    expect(attempt).toThrow(ValidationError);
    expect(attempt).toThrow(message);
  });

  test('skips a name that is a token', () => {
    expect(() => addCapacity({ capacityProviderName: Lazy.string({ produce: () => 'aws' }) })).not.toThrow(ValidationError);
  });
});

/** The user data of the only launch template of the template, as one string. */
function launchTemplateUserData(template: Template): string {
  const [launchTemplate] = Object.values(template.findResources('AWS::EC2::LaunchTemplate'));
  return JSON.stringify(launchTemplate.Properties.LaunchTemplateData.UserData);
}

describe('what AWS does with the cluster (deploy-proof)', () => {
  test('Spot instances drain their tasks on the interruption notice and are rebalanced early', () => {
    const { template } = addCapacity({ spot: true, additionalInstanceTypes: [C7G] });
    expect(launchTemplateUserData(template)).toContain('ECS_ENABLE_SPOT_INSTANCE_DRAINING=true');
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { CapacityRebalance: true });
  });

  test('on-demand instances neither set Spot draining nor Capacity Rebalancing', () => {
    const { template } = addCapacity();
    expect(launchTemplateUserData(template)).not.toContain('ECS_ENABLE_SPOT_INSTANCE_DRAINING');
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { CapacityRebalance: Match.absent() });
  });

  test('only VPC flow logs of this account may assume the flow log role (confused deputy)', () => {
    const template = Template.fromStack((() => {
      const stack = newStack();
      new WorkloadCluster(stack, 'Cluster');
      return stack;
    })());
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({
          Principal: { Service: 'vpc-flow-logs.amazonaws.com' },
          Condition: {
            StringEquals: { 'aws:SourceAccount': '123456789012' },
            ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ec2:us-east-1:123456789012:vpc-flow-log/*']] } },
          },
        })],
      },
    });
  });

  describe('natGateways: 0', () => {
    const endpointServices = (template: Template) => Object.values(template.findResources('AWS::EC2::VPCEndpoint'))
      .map((e: any) => {
        // 'com.amazonaws.us-east-1.ecr.api', or a Join ending in '.s3' for the gateway endpoint.
        const name = e.Properties.ServiceName;
        const last: string = typeof name === 'string' ? name : name['Fn::Join'][1].at(-1);
        return last.replace(/^(com\.amazonaws\.[a-z0-9-]+)?\./, '');
      })
      .sort();

    test('adds the endpoints Fargate tasks need instead of the internet: S3 (gateway), ECR, CloudWatch Logs, SQS', () => {
      const stack = newStack();
      new WorkloadCluster(stack, 'Cluster', { natGateways: 0 });
      const template = Template.fromStack(stack);
      template.resourceCountIs('AWS::EC2::NatGateway', 0);
      expect(endpointServices(template)).toEqual(['ecr.api', 'ecr.dkr', 'logs', 's3', 'sqs']);
      template.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway' });
      template.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Interface', PrivateDnsEnabled: true });
    });

    test('EC2 capacity adds the ECS agent endpoints, once', () => {
      const stack = newStack();
      const cluster = new WorkloadCluster(stack, 'Cluster', { natGateways: 0 });
      cluster.addAsgCapacity('A', { instanceType: M7G, maxCapacity: 2 });
      cluster.addAsgCapacity('B', { instanceType: G5, maxCapacity: 2, gpu: true });
      expect(endpointServices(Template.fromStack(stack))).toEqual(['ecr.api', 'ecr.dkr', 'ecs', 'ecs-agent', 'ecs-telemetry', 'logs', 's3', 'sqs']);
    });

    test('with a NAT gateway no endpoint is added', () => {
      const stack = newStack();
      new WorkloadCluster(stack, 'Cluster').addAsgCapacity('A', { instanceType: M7G, maxCapacity: 2 });
      Template.fromStack(stack).resourceCountIs('AWS::EC2::VPCEndpoint', 0);
    });

    test('is compliant', async () => {
      const stack = newStack();
      new WorkloadCluster(stack, 'Cluster', { natGateways: 0 }).addAsgCapacity('A', { instanceType: M7G, additionalInstanceTypes: [C7G], maxCapacity: 2 });
      expectCompliant(stack);
      await expectDeployable(stack);
    });
  });

  describe('allowDestroy', () => {
    test('is off by default: instances are protected from scale-in', () => {
      const { template, cluster } = addCapacity();
      expect(cluster.allowDestroy).toBe(false);
      template.hasResourceProperties('AWS::ECS::CapacityProvider', {
        AutoScalingGroupProvider: Match.objectLike({ ManagedTerminationProtection: 'ENABLED' }),
      });
    });

    test('turns managed termination protection off, so that the Auto Scaling group can be deleted', () => {
      const stack = newStack();
      const cluster = new WorkloadCluster(stack, 'Cluster', { allowDestroy: true });
      cluster.addAsgCapacity('Asg', { instanceType: M7G, maxCapacity: 2 });
      const template = Template.fromStack(stack);
      expect(cluster.allowDestroy).toBe(true);
      template.hasResourceProperties('AWS::ECS::CapacityProvider', {
        AutoScalingGroupProvider: Match.objectLike({ ManagedTerminationProtection: 'DISABLED' }),
      });
      template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { NewInstancesProtectedFromScaleIn: Match.absent() });
    });

    test('an explicit managedTerminationProtection still wins', () => {
      const stack = newStack();
      const cluster = new WorkloadCluster(stack, 'Cluster', { allowDestroy: true });
      cluster.addAsgCapacity('Asg', { instanceType: M7G, maxCapacity: 2, managedTerminationProtection: true });
      Template.fromStack(stack).hasResourceProperties('AWS::ECS::CapacityProvider', {
        AutoScalingGroupProvider: Match.objectLike({ ManagedTerminationProtection: 'ENABLED' }),
      });
    });
  });

  test('exposes the Container Insights level of a cluster it creates, and none for a given cluster', () => {
    const stack = newStack();
    expect(new WorkloadCluster(stack, 'A').containerInsights).toBe(ecs.ContainerInsights.ENHANCED);
    expect(new WorkloadCluster(stack, 'B', { containerInsights: ecs.ContainerInsights.DISABLED }).containerInsights).toBe(ecs.ContainerInsights.DISABLED);
    const vpc = new ec2.Vpc(stack, 'Vpc');
    const given = ecs.Cluster.fromClusterAttributes(stack, 'Given', { clusterName: 'given', vpc });
    expect(new WorkloadCluster(stack, 'C', { vpc, cluster: given }).containerInsights).toBeUndefined();
  });
});
