import { App, Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Capacity, WorkloadCluster, WorkloadVolume } from '../../src';
import { InferenceService, InferenceServiceProps, LoadBalancerType } from '../../src/inference-service/inference-service';
import { complianceFindings, expectCompliant, newStack, stableTemplate, statefulPolicies } from '../compliance';
import { expectDeployable } from '../deploy-proof';

const IMAGE = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/python:3.12-slim');
const CERT_ARN = 'arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555';
const WEB_ACL_ARN = 'arn:aws:wafv2:us-east-1:123456789012:regional/webacl/inference/abcd';

interface Setup {
  readonly stack: Stack;
  readonly cluster: WorkloadCluster;
  readonly certificate: acm.ICertificate;
  readonly gpu: ecs.AsgCapacityProvider;
}

function setup(options: { gpu?: boolean } = {}): Setup {
  const stack = newStack();
  const cluster = new WorkloadCluster(stack, 'Cluster');
  const gpu = options.gpu
    ? cluster.addAsgCapacity('Gpu', {
      instanceType: new ec2.InstanceType('g5.xlarge'),
      additionalInstanceTypes: [new ec2.InstanceType('g4dn.xlarge')],
      gpu: true,
      maxCapacity: 2,
    })
    : undefined as unknown as ecs.AsgCapacityProvider;
  const certificate = acm.Certificate.fromCertificateArn(stack, 'Certificate', CERT_ARN);
  return { stack, cluster, certificate, gpu };
}

type Built = Setup & { service: InferenceService; template: Template };

function build(props: Partial<InferenceServiceProps> = {}, options: { gpu?: boolean } = {}): Built {
  const s = setup(options);
  const service = new InferenceService(s.stack, 'Inference', { cluster: s.cluster, image: IMAGE, ...props });
  return { ...s, service, template: Template.fromStack(s.stack) };
}

function ids(template: Template, type: string): string[] {
  return Object.keys(template.findResources(type));
}

describe('defaults (internal ALB, Fargate, no certificate)', () => {
  const { template, service, stack } = build();

  test('an internal ALB in the private subnets, invalid headers dropped, deletion protection on, access logs per service', () => {
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 1);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Type: 'application',
      Scheme: 'internal',
      Subnets: [{ Ref: Match.stringLikeRegexp('ClusterVpcPrivateSubnet1') }, { Ref: Match.stringLikeRegexp('ClusterVpcPrivateSubnet2') }],
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'deletion_protection.enabled', Value: 'true' },
        { Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' },
        { Key: 'routing.http.desync_mitigation_mode', Value: 'defensive' },
        { Key: 'access_logs.s3.enabled', Value: 'true' },
        { Key: 'access_logs.s3.bucket', Value: { Ref: Match.stringLikeRegexp('ClusterAccessLogs') } },
        { Key: 'access_logs.s3.prefix', Value: Match.stringLikeRegexp('^Test-Inference-') },
      ]),
    });
  });

  test('the access log bucket lets Elastic Load Balancing write under the service prefix only', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Action: 's3:PutObject',
          Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::127311923021:root']] } },
          Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('ClusterAccessLogs'), 'Arn'] }, Match.stringLikeRegexp('^/Test-Inference-.*/AWSLogs/123456789012/\\*$')]] },
        })]),
      },
    });
  });

  test('one plain-HTTP listener on 80 that forwards to the tasks, no redirect', () => {
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 1);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: [{ Type: 'forward', TargetGroupArn: { Ref: Match.stringLikeRegexp('InferenceTargetGroup') } }],
      Certificates: Match.absent(),
      SslPolicy: Match.absent(),
    });
    expect(service.listenerPort).toBe(80);
  });

  test('the plain listener is acknowledged (the certificate is the user\'s fix) for the rules that ask for HTTPS', () => {
    const json = template.toJSON();
    const listenerId = ids(template, 'AWS::ElasticLoadBalancingV2::Listener')[0];
    expect(json.Resources[listenerId].Metadata.guard.SuppressedRules).toEqual(['alb_http_to_https_redirection_check']);
    expect(json.Resources[listenerId].Metadata.guard.Reasons.alb_http_to_https_redirection_check).toMatch(/No certificate was given/);
  });

  test('an IP target group on the container port 8080 with a /health check, 5-minute deregistration delay (ends when requests finish), no slow start', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      TargetType: 'ip',
      Protocol: 'HTTP',
      Port: 8080,
      HealthCheckPath: '/health',
      HealthCheckProtocol: 'HTTP',
      HealthCheckIntervalSeconds: 15,
      HealthCheckTimeoutSeconds: 5,
      HealthyThresholdCount: 2,
      UnhealthyThresholdCount: 3,
      Matcher: { HttpCode: '200' },
      TargetGroupAttributes: Match.arrayWith([{ Key: 'deregistration_delay.timeout_seconds', Value: '300' }]),
    });
    const attributes = Object.values(template.findResources('AWS::ElasticLoadBalancingV2::TargetGroup'))
      .flatMap(r => r.Properties.TargetGroupAttributes).map((a: { Key: string }) => a.Key);
    expect(attributes).not.toContain('slow_start.duration_seconds');
    expect(service.containerPort).toBe(8080);
  });

  test('a Fargate service in the private subnets: circuit breaker with rollback, 5-minute grace period, no public IP', () => {
    template.hasResourceProperties('AWS::ECS::Service', {
      CapacityProviderStrategy: [{ CapacityProvider: 'FARGATE', Weight: 1 }],
      PlatformVersion: 'LATEST',
      HealthCheckGracePeriodSeconds: 300,
      DesiredCount: Match.absent(),
      DeploymentConfiguration: Match.objectLike({
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
        MinimumHealthyPercent: 100,
        MaximumPercent: 200,
      }),
      EnableECSManagedTags: true,
      PropagateTags: 'SERVICE',
      LoadBalancers: [{ ContainerName: 'main', ContainerPort: 8080, TargetGroupArn: { Ref: Match.stringLikeRegexp('InferenceTargetGroup') } }],
      NetworkConfiguration: {
        AwsvpcConfiguration: {
          AssignPublicIp: 'DISABLED',
          SecurityGroups: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('InferenceSecurityGroup'), 'GroupId'] }],
          Subnets: [{ Ref: Match.stringLikeRegexp('ClusterVpcPrivateSubnet1') }, { Ref: Match.stringLikeRegexp('ClusterVpcPrivateSubnet2') }],
        },
      },
    });
    expect(service.service).toBeInstanceOf(ecs.FargateService);
  });

  test('the container listens on 8080 and receives PORT', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RequiresCompatibilities: ['FARGATE'],
      ContainerDefinitions: [Match.objectLike({
        Name: 'main',
        PortMappings: [{ ContainerPort: 8080, Protocol: 'tcp' }],
        Environment: [{ Name: 'PORT', Value: '8080' }],
        MountPoints: Match.absent(),
      })],
    });
  });

  test('only the load balancer reaches the tasks, only on the container port', () => {
    const ingress = template.findResources('AWS::EC2::SecurityGroupIngress');
    const toTasks = Object.values(ingress).filter((r: any) => JSON.stringify(r.Properties.GroupId).includes('InferenceSecurityGroup'));
    expect(toTasks).toHaveLength(1);
    expect(toTasks[0].Properties).toEqual(expect.objectContaining({
      IpProtocol: 'tcp',
      FromPort: 8080,
      ToPort: 8080,
      SourceSecurityGroupId: { 'Fn::GetAtt': [expect.stringMatching(/InferenceLoadBalancerSecurityGroup/), 'GroupId'] },
    }));
    // The task security group itself has no inline ingress.
    const sgs = template.findResources('AWS::EC2::SecurityGroup', { Properties: { GroupDescription: 'Tasks of Test/Inference' } });
    expect(Object.values(sgs)[0].Properties.SecurityGroupIngress).toBeUndefined();
  });

  test('the load balancer accepts clients from the VPC\'s subnets on 80 and sends only to the tasks', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'Load balancer of Test/Inference',
      SecurityGroupIngress: [
        { CidrIp: '10.0.0.0/24', FromPort: 80, ToPort: 80, IpProtocol: 'tcp', Description: 'Clients on 80' },
        { CidrIp: '10.0.1.0/24', FromPort: 80, ToPort: 80, IpProtocol: 'tcp', Description: 'Clients on 80' },
        { CidrIp: '10.0.16.0/20', FromPort: 80, ToPort: 80, IpProtocol: 'tcp', Description: 'Clients on 80' },
        { CidrIp: '10.0.32.0/20', FromPort: 80, ToPort: 80, IpProtocol: 'tcp', Description: 'Clients on 80' },
      ],
      // allowAllOutbound is false: the only egress is the separate rule to the tasks below.
      SecurityGroupEgress: Match.absent(),
    });
    template.resourceCountIs('AWS::EC2::SecurityGroupEgress', 1);
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      FromPort: 8080,
      ToPort: 8080,
      DestinationSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('InferenceSecurityGroup'), 'GroupId'] },
    });
  });

  test('1 to 4 tasks, request-count-per-target tracking at 60, no CPU policy', () => {
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 1, MaxCapacity: 4 });
    template.resourceCountIs('AWS::ApplicationAutoScaling::ScalingPolicy', 1);
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: {
        PredefinedMetricSpecification: { PredefinedMetricType: 'ALBRequestCountPerTarget', ResourceLabel: Match.anyValue() },
        TargetValue: 60,
      },
    });
  });

  test('no model store, no WAF association', () => {
    template.resourceCountIs('AWS::EFS::FileSystem', 0);
    template.resourceCountIs('AWS::EFS::AccessPoint', 0);
    template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
    expect(service.fileSystem).toBeUndefined();
    expect(service.accessPoint).toBeUndefined();
  });

  test('typed members', () => {
    expect(service.applicationLoadBalancer).toBeInstanceOf(elbv2.ApplicationLoadBalancer);
    expect(service.networkLoadBalancer).toBeUndefined();
    expect(service.loadBalancer).toBe(service.applicationLoadBalancer);
    expect(service.listener).toBeInstanceOf(elbv2.ApplicationListener);
    expect(service.targetGroup).toBeInstanceOf(elbv2.ApplicationTargetGroup);
    expect(service.grantPrincipal).toBe(service.taskDefinition.taskRole);
    expect(service.container.containerName).toBe('main');
    expect(service.loadBalancerConnections.defaultPort?.toString()).toBe('80');
    expect(service.connections.defaultPort).toBeUndefined();
  });

  test('metrics of the target group and the service', () => {
    const resolve = (m: any) => stack.resolve(m.dimensions);
    expect(service.metricHealthyHostCount().metricName).toBe('HealthyHostCount');
    expect(service.metricUnhealthyHostCount().metricName).toBe('UnHealthyHostCount');
    expect(service.metricTargetResponseTime().metricName).toBe('TargetResponseTime');
    expect(service.metricRequestCountPerTarget().metricName).toBe('RequestCountPerTarget');
    expect(service.metricTarget5xxCount().metricName).toBe('HTTPCode_Target_5XX_Count');
    expect(service.metricTargetResponseTime().namespace).toBe('AWS/ApplicationELB');
    expect(Object.keys(resolve(service.metricHealthyHostCount())).sort()).toEqual(['LoadBalancer', 'TargetGroup']);
    expect(service.metricCpuUtilization().namespace).toBe('AWS/ECS');
    expect(service.metricMemoryUtilization().metricName).toBe('MemoryUtilization');
  });

  test('grants land on the task role', () => {
    const s = setup();
    const inference = new InferenceService(s.stack, 'Inference', { cluster: s.cluster, image: IMAGE });
    inference.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::models/*'] }));
    Template.fromStack(s.stack).hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: Match.stringLikeRegexp('InferenceTaskRole') }],
      PolicyDocument: { Statement: [Match.objectLike({ Action: 's3:GetObject' })] },
    });
  });

  test('is compliant', async () => {
    const s = build();
    expectCompliant(s.stack);
    await expectDeployable(s.stack);
  });
});

describe('certificate', () => {
  test('ALB: HTTPS on 443 with the recommended TLS 1.3/1.2 policy, port 80 redirects to 443', () => {
    const s = setup();
    new InferenceService(s.stack, 'Inference', { cluster: s.cluster, image: IMAGE, certificate: s.certificate });
    const t = Template.fromStack(s.stack);
    t.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 2);
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      Certificates: [{ CertificateArn: CERT_ARN }],
      SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
    });
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } }],
    });
    t.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'Load balancer of Test/Inference',
      SecurityGroupIngress: Match.arrayWith([
        Match.objectLike({ CidrIp: '10.0.16.0/20', FromPort: 443 }),
        Match.objectLike({ CidrIp: '10.0.16.0/20', FromPort: 80 }),
      ]),
    });
    // Nothing was acknowledged for plain HTTP: no guard suppression on any listener.
    for (const r of Object.values(t.findResources('AWS::ElasticLoadBalancingV2::Listener'))) {
      expect((r as any).Metadata?.guard).toBeUndefined();
    }
  });

  test('ALB: sslPolicy, listenerPort and redirectHttp: false override the defaults', () => {
    const s = setup();
    const inference = new InferenceService(s.stack, 'Inference', {
      cluster: s.cluster,
      image: IMAGE,
      certificate: s.certificate,
      sslPolicy: elbv2.SslPolicy.TLS13_13,
      listenerPort: 8443,
      redirectHttp: false,
    });
    const t = Template.fromStack(s.stack);
    t.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 1);
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 8443, Protocol: 'HTTPS', SslPolicy: 'ELBSecurityPolicy-TLS13-1-3-2021-06',
    });
    expect(inference.loadBalancerConnections.defaultPort?.toString()).toBe('8443');
  });

  test('ALB: the redirect goes to a custom listenerPort', () => {
    const s = setup();
    new InferenceService(s.stack, 'Inference', { cluster: s.cluster, image: IMAGE, certificate: s.certificate, listenerPort: 8443 });
    Template.fromStack(s.stack).hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80, DefaultActions: [Match.objectLike({ RedirectConfig: Match.objectLike({ Port: '8443' }) })],
    });
  });

  test('NLB: a TLS listener on 443 with the recommended policy and no redirect', () => {
    const s = setup();
    new InferenceService(s.stack, 'Inference', {
      cluster: s.cluster, image: IMAGE, certificate: s.certificate, loadBalancerType: LoadBalancerType.NETWORK,
    });
    const t = Template.fromStack(s.stack);
    t.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 1);
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443, Protocol: 'TLS', Certificates: [{ CertificateArn: CERT_ARN }], SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
    });
  });
});

describe('network load balancer', () => {
  const { template, service } = build({ loadBalancerType: LoadBalancerType.NETWORK });

  test('an internal NLB with a security group, cross-zone, deletion protection and access logs', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Type: 'network',
      Scheme: 'internal',
      SecurityGroups: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('InferenceLoadBalancerSecurityGroup'), 'GroupId'] }],
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'deletion_protection.enabled', Value: 'true' },
        { Key: 'load_balancing.cross_zone.enabled', Value: 'true' },
        { Key: 'access_logs.s3.enabled', Value: 'true' },
      ]),
    });
  });

  test('a TCP listener on 80 and a TCP target group with an HTTP health check', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 80, Protocol: 'TCP', Certificates: Match.absent() });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Protocol: 'TCP', Port: 8080, TargetType: 'ip', HealthCheckProtocol: 'HTTP', HealthCheckPath: '/health',
    });
  });

  test('only the NLB reaches the tasks, only on the container port', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 8080,
      ToPort: 8080,
      GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('InferenceSecurityGroup'), 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('InferenceLoadBalancerSecurityGroup'), 'GroupId'] },
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      FromPort: 8080, DestinationSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('InferenceSecurityGroup'), 'GroupId'] },
    });
  });

  test('CPU tracking at 60 %, no request-count policy', () => {
    template.resourceCountIs('AWS::ApplicationAutoScaling::ScalingPolicy', 1);
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: {
        PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
        TargetValue: 60,
      },
    });
  });

  test('typed members and metrics', () => {
    expect(service.networkLoadBalancer).toBeInstanceOf(elbv2.NetworkLoadBalancer);
    expect(service.applicationLoadBalancer).toBeUndefined();
    expect(service.listener).toBeInstanceOf(elbv2.NetworkListener);
    expect(service.targetGroup).toBeInstanceOf(elbv2.NetworkTargetGroup);
    expect(service.metricHealthyHostCount().namespace).toBe('AWS/NetworkELB');
    expect(service.metricUnhealthyHostCount().metricName).toBe('UnHealthyHostCount');
  });

  test.each([
    ['metricTargetResponseTime', (s: InferenceService) => s.metricTargetResponseTime()],
    ['metricRequestCountPerTarget', (s: InferenceService) => s.metricRequestCountPerTarget()],
    ['metricTarget5xxCount', (s: InferenceService) => s.metricTarget5xxCount()],
  ])('%s() is ALB only', (name, call) => {
    expect(() => call(service)).toThrow(new RegExp(`${name}\\(\\) reads an Application Load Balancer metric, but loadBalancerType is NETWORK`));
  });

  test('is compliant', async () => {
    const s = build({ loadBalancerType: LoadBalancerType.NETWORK });
    expectCompliant(s.stack);
    await expectDeployable(s.stack);
  });
});

describe('model store', () => {
  test('a new file system: encrypted with the cluster key, automatic backups, Elastic, retained, in the private subnets', () => {
    const { template, service } = build({ modelStore: { mountPath: '/models' } });
    template.hasResource('AWS::EFS::FileSystem', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        Encrypted: true,
        KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('ClusterKey'), 'Arn'] },
        BackupPolicy: { Status: 'ENABLED' },
        ThroughputMode: 'elastic',
        PerformanceMode: 'generalPurpose',
        FileSystemPolicy: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Deny', Principal: { AWS: '*' }, Action: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }],
        },
      },
    });
    template.resourceCountIs('AWS::EFS::MountTarget', 2);
    template.hasResourceProperties('AWS::EFS::MountTarget', {
      SubnetId: { Ref: Match.stringLikeRegexp('ClusterVpcPrivateSubnet1') },
      SecurityGroups: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('InferenceModelStoreSecurityGroup'), 'GroupId'] }],
    });
    expect(service.fileSystem).toBeInstanceOf(efs.FileSystem);
    expect(service.accessPoint).toBeDefined();
  });

  test('mounted read-only through an access point on /models, transit encryption and IAM, MODEL_DIR set', () => {
    const { template } = build({ modelStore: { mountPath: '/opt/ml/model' } });
    template.hasResourceProperties('AWS::EFS::AccessPoint', {
      RootDirectory: { Path: '/models', CreationInfo: { OwnerUid: '1000', OwnerGid: '1000', Permissions: '755' } },
      PosixUser: { Uid: '1000', Gid: '1000' },
    });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Volumes: [{
        Name: 'models',
        EFSVolumeConfiguration: {
          FilesystemId: { Ref: Match.stringLikeRegexp('InferenceModelStore') },
          TransitEncryption: 'ENABLED',
          AuthorizationConfig: { AccessPointId: { Ref: Match.stringLikeRegexp('InferenceModelStoreAccessPoint') }, IAM: 'ENABLED' },
        },
      }],
      ContainerDefinitions: [Match.objectLike({
        MountPoints: [{ SourceVolume: 'models', ContainerPath: '/opt/ml/model', ReadOnly: true }],
        Environment: [{ Name: 'PORT', Value: '8080' }, { Name: 'MODEL_DIR', Value: '/opt/ml/model' }],
      })],
    });
  });

  test('read-only: the task role may mount only, through that access point', () => {
    const { template } = build({ modelStore: { mountPath: '/models' } });
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: Match.stringLikeRegexp('InferenceTaskRole') }],
      PolicyDocument: {
        Statement: [{
          Effect: 'Allow',
          Action: 'elasticfilesystem:ClientMount',
          Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('InferenceModelStore'), 'Arn'] },
          Condition: {
            StringEquals: { 'elasticfilesystem:AccessPointArn': Match.anyValue() },
            Bool: { 'elasticfilesystem:AccessedViaMountTarget': 'true' },
          },
        }],
      },
    });
  });

  test('writable: ClientWrite too, and a writable mount', () => {
    const { template } = build({ modelStore: { mountPath: '/models', readOnly: false } });
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: Match.stringLikeRegexp('InferenceTaskRole') }],
      PolicyDocument: { Statement: [Match.objectLike({ Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'] })] },
    });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({ MountPoints: [{ SourceVolume: 'models', ContainerPath: '/models', ReadOnly: false }] })],
    });
  });

  test('port 2049 is open only from the tasks; the file system sends nothing', () => {
    const { template } = build({ modelStore: { mountPath: '/models' } });
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'))
      .filter((r: any) => JSON.stringify(r.Properties.GroupId).includes('InferenceModelStoreSecurityGroup'));
    expect(ingress).toHaveLength(1);
    expect((ingress[0] as any).Properties).toEqual(expect.objectContaining({
      FromPort: 2049,
      ToPort: 2049,
      IpProtocol: 'tcp',
      SourceSecurityGroupId: { 'Fn::GetAtt': [expect.stringMatching(/^InferenceSecurityGroup/), 'GroupId'] },
    }));
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'EFS model store of Test/Inference',
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '255.255.255.255/32' })],
    });
  });

  test('rootDirectory, throughputMode and removalPolicy override the defaults', () => {
    const { template } = build({
      modelStore: { mountPath: '/models', rootDirectory: '/llm', throughputMode: efs.ThroughputMode.BURSTING, removalPolicy: RemovalPolicy.DESTROY },
    });
    template.hasResourceProperties('AWS::EFS::AccessPoint', { RootDirectory: Match.objectLike({ Path: '/llm' }) });
    template.hasResource('AWS::EFS::FileSystem', { DeletionPolicy: 'Delete', Properties: Match.objectLike({ ThroughputMode: 'bursting' }) });
  });

  test('a given file system and access point: nothing new is created, 2049 opened on its security group', () => {
    const s = setup();
    const sg = new ec2.SecurityGroup(s.stack, 'ExistingEfsSg', { vpc: s.cluster.vpc, allowAllOutbound: false });
    const fileSystem = efs.FileSystem.fromFileSystemAttributes(s.stack, 'Existing', { fileSystemId: 'fs-12345678', securityGroup: sg });
    const accessPoint = efs.AccessPoint.fromAccessPointAttributes(s.stack, 'ExistingAp', { accessPointId: 'fsap-12345678', fileSystem });
    const inference = new InferenceService(s.stack, 'Inference', {
      cluster: s.cluster, image: IMAGE, modelStore: { mountPath: '/models', fileSystem, accessPoint },
    });
    const t = Template.fromStack(s.stack);
    t.resourceCountIs('AWS::EFS::FileSystem', 0);
    t.resourceCountIs('AWS::EFS::AccessPoint', 0);
    t.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Volumes: [{ Name: 'models', EFSVolumeConfiguration: Match.objectLike({ FilesystemId: 'fs-12345678', AuthorizationConfig: { AccessPointId: 'fsap-12345678', IAM: 'ENABLED' } }) }],
    });
    t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 2049, GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('ExistingEfsSg'), 'GroupId'] },
    });
    expect(inference.fileSystem).toBe(fileSystem);
    expect(inference.accessPoint).toBe(accessPoint);
  });

  test('a given file system without access point gets one on /models', () => {
    const s = setup();
    const fileSystem = efs.FileSystem.fromFileSystemAttributes(s.stack, 'Existing', {
      fileSystemId: 'fs-12345678', securityGroup: ec2.SecurityGroup.fromSecurityGroupId(s.stack, 'Sg', 'sg-12345678'),
    });
    new InferenceService(s.stack, 'Inference', { cluster: s.cluster, image: IMAGE, modelStore: { mountPath: '/models', fileSystem } });
    Template.fromStack(s.stack).hasResourceProperties('AWS::EFS::AccessPoint', { FileSystemId: 'fs-12345678', RootDirectory: Match.objectLike({ Path: '/models' }) });
  });
});

describe('GPU', () => {
  test('gpuCount places an EC2 service on the cluster\'s GPU capacity provider', () => {
    const { template, service } = build({ gpuCount: 1, cpu: 4096, memoryLimitMiB: 15360 }, { gpu: true });
    expect(service.service).toBeInstanceOf(ecs.Ec2Service);
    template.hasResourceProperties('AWS::ECS::Service', {
      CapacityProviderStrategy: [{ CapacityProvider: { Ref: Match.stringLikeRegexp('ClusterGpuCapacityProvider') }, Weight: 1 }],
      NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'DISABLED' }) },
      PlatformVersion: Match.absent(),
    });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RequiresCompatibilities: ['EC2'],
      NetworkMode: 'awsvpc',
      ContainerDefinitions: [Match.objectLike({ ResourceRequirements: [{ Type: 'GPU', Value: '1' }] })],
    });
  });

  test('placement strategies and constraints apply on EC2', () => {
    const { template } = build({
      gpuCount: 1,
      placementStrategies: [ecs.PlacementStrategy.spreadAcrossInstances()],
      placementConstraints: [ecs.PlacementConstraint.distinctInstances()],
    }, { gpu: true });
    template.hasResourceProperties('AWS::ECS::Service', {
      PlacementStrategies: [{ Type: 'spread', Field: 'instanceId' }],
      PlacementConstraints: [{ Type: 'distinctInstance' }],
    });
  });

  test('an explicit EC2 capacity is used as given', () => {
    const s = setup({ gpu: true });
    new InferenceService(s.stack, 'Inference', { cluster: s.cluster, image: IMAGE, gpuCount: 1, capacity: Capacity.ec2(s.gpu, { base: 1 }) });
    Template.fromStack(s.stack).hasResourceProperties('AWS::ECS::Service', {
      CapacityProviderStrategy: [{ CapacityProvider: Match.anyValue(), Base: 1, Weight: 1 }],
    });
  });

  test('Fargate Spot capacity', () => {
    const { template } = build({ capacity: Capacity.fargateSpot({ onDemandBase: 1 }) });
    template.hasResourceProperties('AWS::ECS::Service', {
      CapacityProviderStrategy: [{ CapacityProvider: 'FARGATE_SPOT', Weight: 1 }, { CapacityProvider: 'FARGATE', Base: 1, Weight: 0 }],
    });
  });
});

describe('overrides', () => {
  test('internet-facing: public subnets, clients from anywhere', () => {
    const { template } = build({ internetFacing: true });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internet-facing',
      Subnets: [{ Ref: Match.stringLikeRegexp('ClusterVpcPublicSubnet1') }, { Ref: Match.stringLikeRegexp('ClusterVpcPublicSubnet2') }],
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'Load balancer of Test/Inference',
      SecurityGroupIngress: [Match.objectLike({ CidrIp: '0.0.0.0/0', FromPort: 80 })],
    });
  });

  test('allowedPeers, subnets, ports, health check, deregistration delay, grace period, deletion protection', () => {
    const s = setup();
    new InferenceService(s.stack, 'Inference', {
      cluster: s.cluster,
      image: IMAGE,
      allowedPeers: [ec2.Peer.ipv4('192.168.0.0/16')],
      loadBalancerSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      containerPort: 9000,
      listenerPort: 8080,
      healthCheckPath: '/v2/health/ready',
      deregistrationDelay: Duration.seconds(120),
      healthCheckGracePeriod: Duration.minutes(20),
      deletionProtection: false,
    });
    const t = Template.fromStack(s.stack);
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internal',
      Subnets: [{ Ref: Match.stringLikeRegexp('ClusterVpcPublicSubnet1') }, { Ref: Match.stringLikeRegexp('ClusterVpcPublicSubnet2') }],
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'deletion_protection.enabled', Value: 'false' }]),
    });
    t.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'Load balancer of Test/Inference',
      SecurityGroupIngress: [{ CidrIp: '192.168.0.0/16', FromPort: 8080, ToPort: 8080, IpProtocol: 'tcp', Description: 'Clients on 8080' }],
    });
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 8080, Protocol: 'HTTP' });
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: 9000,
      HealthCheckPath: '/v2/health/ready',
      TargetGroupAttributes: Match.arrayWith([{ Key: 'deregistration_delay.timeout_seconds', Value: '120' }]),
    });
    t.hasResourceProperties('AWS::ECS::Service', {
      HealthCheckGracePeriodSeconds: 1200,
      NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ Subnets: [{ Ref: Match.stringLikeRegexp('ClusterVpcPublicSubnet1') }, Match.anyValue()] }) },
    });
    t.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({ PortMappings: [{ ContainerPort: 9000, Protocol: 'tcp' }], Environment: [{ Name: 'PORT', Value: '9000' }] })],
    });
    t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { FromPort: 9000, ToPort: 9000 });
  });

  test('scaling: min/max tasks, request target and an extra CPU policy on the ALB', () => {
    const { template } = build({ minTasks: 2, maxTasks: 10, requestsPerTarget: 300, targetCpuUtilizationPercent: 70 });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 2, MaxCapacity: 10 });
    template.resourceCountIs('AWS::ApplicationAutoScaling::ScalingPolicy', 2);
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({ TargetValue: 300 }),
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: {
        PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' }, TargetValue: 70,
      },
    });
  });

  test('scaling: CPU target on the NLB', () => {
    const { template } = build({ loadBalancerType: LoadBalancerType.NETWORK, targetCpuUtilizationPercent: 45 });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({ TargetValue: 45 }),
    });
  });

  test('webAclArn associates the web ACL with the ALB', () => {
    const { template } = build({ webAclArn: WEB_ACL_ARN });
    template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      ResourceArn: { Ref: Match.stringLikeRegexp('InferenceLoadBalancer') },
      WebACLArn: WEB_ACL_ARN,
    });
  });

  test('environment-agnostic stack: access logs through the log delivery service principal', () => {
    const app = new App();
    const stack = new Stack(app, 'Agnostic');
    const cluster = new WorkloadCluster(stack, 'Cluster');
    new InferenceService(stack, 'Inference', { cluster, image: IMAGE });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Action: 's3:PutObject',
          Principal: { Service: 'logdelivery.elasticloadbalancing.amazonaws.com' },
        })]),
      },
    });
    t.hasResource('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      DependsOn: Match.arrayWith([Match.stringLikeRegexp('ClusterAccessLogsPolicy')]),
      Properties: Match.objectLike({
        LoadBalancerAttributes: Match.arrayWith([{ Key: 'access_logs.s3.prefix', Value: Match.stringLikeRegexp('^Agnostic-Inference-') }]),
      }),
    });
  });

  test('imported VPC without subnet CIDRs: clients from the VPC CIDR block', () => {
    const app = new App();
    const stack = new Stack(app, 'Imported', { env: { account: '123456789012', region: 'us-east-1' } });
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
      vpcId: 'vpc-1234',
      vpcCidrBlock: '172.16.0.0/16',
      availabilityZones: ['us-east-1a', 'us-east-1b'],
      privateSubnetIds: ['subnet-1', 'subnet-2'],
      publicSubnetIds: ['subnet-3', 'subnet-4'],
    });
    const cluster = new WorkloadCluster(stack, 'Cluster', { vpc });
    new InferenceService(stack, 'Inference', { cluster, image: IMAGE });
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'Load balancer of Imported/Inference',
      SecurityGroupIngress: [Match.objectLike({ CidrIp: '172.16.0.0/16', FromPort: 80 })],
    });
  });

  test('VPC CIDR known only at deploy time: clients from that CIDR, the rules that cannot resolve it acknowledged', () => {
    const app = new App();
    const stack = new Stack(app, 'Tokens', { env: { account: '123456789012', region: 'us-east-1' } });
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
      vpcId: 'vpc-1234',
      vpcCidrBlock: Fn.importValue('VpcCidr'),
      availabilityZones: ['us-east-1a', 'us-east-1b'],
      privateSubnetIds: ['subnet-1', 'subnet-2'],
      publicSubnetIds: ['subnet-3', 'subnet-4'],
    });
    const cluster = new WorkloadCluster(stack, 'Cluster', { vpc });
    new InferenceService(stack, 'Inference', { cluster, image: IMAGE });
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'Load balancer of Tokens/Inference',
      SecurityGroupIngress: [Match.objectLike({ CidrIp: { 'Fn::ImportValue': 'VpcCidr' }, FromPort: 80 })],
    });
    const findings = complianceFindings(stack).filter(f => f.resource.includes('LoadBalancerSecurityGroup'));
    expect(findings).toEqual([]);
  });

  test('a fully customised service (HTTPS, WAF, model store, GPU) is compliant', async () => {
    const s = setup({ gpu: true });
    new InferenceService(s.stack, 'Inference', {
      cluster: s.cluster,
      image: IMAGE,
      cpu: 4096,
      memoryLimitMiB: 15360,
      gpuCount: 1,
      certificate: s.certificate,
      sslPolicy: elbv2.SslPolicy.TLS13_13,
      webAclArn: WEB_ACL_ARN,
      internetFacing: true,
      allowedPeers: [ec2.Peer.ipv4('203.0.113.0/24')],
      modelStore: { mountPath: '/models', readOnly: false, rootDirectory: '/llm' },
      healthCheckPath: '/ready',
      healthCheckGracePeriod: Duration.minutes(15),
      deregistrationDelay: Duration.seconds(60),
      minTasks: 1,
      maxTasks: 2,
      requestsPerTarget: 20,
      placementStrategies: [ecs.PlacementStrategy.spreadAcrossInstances()],
    });
    expectCompliant(s.stack);
    await expectDeployable(s.stack);
  });

  test('internet-facing on a custom port without allowedPeers: open to anyone by request, acknowledged as such', async () => {
    const s = setup();
    new InferenceService(s.stack, 'Inference', {
      cluster: s.cluster, image: IMAGE, certificate: s.certificate, internetFacing: true, listenerPort: 8443,
    });
    expectCompliant(s.stack);
    await expectDeployable(s.stack);
  });

  test('snapshot of a service with HTTPS and a model store', () => {
    const s = setup();
    new InferenceService(s.stack, 'Inference', {
      cluster: s.cluster, image: IMAGE, certificate: s.certificate, modelStore: { mountPath: '/models' },
    });
    expect(stableTemplate(s.stack)).toMatchSnapshot();
  });
});

describe('validation', () => {
  test.each<[string, Partial<InferenceServiceProps>, RegExp]>([
    ['request-count scaling on an NLB', { loadBalancerType: LoadBalancerType.NETWORK, requestsPerTarget: 100 },
      /requestsPerTarget \(100\) scales on ALB request counts, but loadBalancerType is NETWORK.*Remove requestsPerTarget/],
    ['a web ACL on an NLB', { loadBalancerType: LoadBalancerType.NETWORK, webAclArn: WEB_ACL_ARN },
      /webAclArn \(arn:aws:wafv2.*\) applies to an Application Load Balancer only/],
    ['redirectHttp without a certificate', { redirectHttp: true },
      /redirectHttp is true without a certificate, so there is no HTTPS listener to redirect to. Pass certificate/],
    ['redirectHttp on an NLB', { loadBalancerType: LoadBalancerType.NETWORK, redirectHttp: true },
      /redirectHttp is true, but an NLB forwards TCP\/TLS/],
    ['sslPolicy without a certificate', { sslPolicy: elbv2.SslPolicy.TLS13_13 },
      /sslPolicy \(ELBSecurityPolicy-TLS13-1-3-2021-06\) needs a certificate: without one the listener is plain HTTP/],
    ['listenerPort 80 with a certificate', { listenerPort: 80, certificate: 'CERT' as any },
      /listenerPort is 80 with a certificate: port 80 is plain HTTP by convention and carries the redirect to HTTPS/],
    ['a model store with PROVISIONED throughput', { modelStore: { mountPath: '/models', throughputMode: efs.ThroughputMode.PROVISIONED } },
      /modelStore.throughputMode is PROVISIONED, which needs a provisioned throughput this construct does not take.*Use ELASTIC/],
    ['a model store path that is not absolute', { modelStore: { mountPath: 'models' } },
      /modelStore.mountPath must be an absolute path without '\.\.', got 'models'/],
    ['a model store root directory that is not absolute', { modelStore: { mountPath: '/models', rootDirectory: 'llm' } },
      /modelStore.rootDirectory must be an absolute path without '\.\.', got 'llm'/],
    ['an access point without its file system', { modelStore: { mountPath: '/models', accessPoint: 'AP' as any } },
      /modelStore.accessPoint was given without modelStore.fileSystem/],
    ['minTasks > maxTasks', { minTasks: 5, maxTasks: 2 }, /minTasks \(5\) must not exceed maxTasks \(2\)/],
    ['minTasks 0', { minTasks: 0 }, /minTasks must be a whole number between 1 and 5000, got 0. Run at least one task/],
    ['maxTasks too large', { maxTasks: 6000 }, /maxTasks must be a whole number between 1 and 5000, got 6000/],
    ['healthCheckGracePeriod out of range', { healthCheckGracePeriod: Duration.days(30000) },
      /healthCheckGracePeriod must be a whole number between 0 and 2147483647 seconds, got 2592000000/],
    ['deregistrationDelay out of range', { deregistrationDelay: Duration.hours(2) },
      /deregistrationDelay must be a whole number between 0 and 3600 seconds, got 7200. Elastic Load Balancing accepts 0–3600 seconds/],
    ['containerPort 0', { containerPort: 0 }, /containerPort must be a whole number between 1 and 65535, got 0/],
    ['containerPort 70000', { containerPort: 70000 }, /containerPort must be a whole number between 1 and 65535, got 70000/],
    ['listenerPort 0', { listenerPort: 0 }, /listenerPort must be a whole number between 1 and 65535, got 0/],
    ['targetCpuUtilizationPercent 0', { targetCpuUtilizationPercent: 0 }, /targetCpuUtilizationPercent must be a whole number between 1 and 100, got 0/],
    ['requestsPerTarget 0', { requestsPerTarget: 0 }, /requestsPerTarget must be a whole number between 1 and 1000000, got 0/],
    ['a health check path without a slash', { healthCheckPath: 'health' }, /healthCheckPath must start with '\/', got 'health'/],
    ['gpuCount on a cluster without GPU capacity', { gpuCount: 1 },
      /gpuCount is 1, but cluster 'Test\/Cluster' has no GPU capacity and Fargate has no GPUs. Add one with cluster.addAsgCapacity/],
    ['gpuCount on explicit Fargate capacity', { gpuCount: 1, capacity: Capacity.fargate() }, /gpuCount is 1, but Fargate has no GPUs/],
    ['placement on Fargate', { placementStrategies: [ecs.PlacementStrategy.packedByCpu()] },
      /placementStrategies \(1 given\) apply to EC2 capacity only/],
    ['removalPolicy SNAPSHOT', { removalPolicy: RemovalPolicy.SNAPSHOT },
      /Test\/Inference: removalPolicy is SNAPSHOT, but CloudFormation snapshots databases and volumes only/],
    ['modelStore.removalPolicy SNAPSHOT', { modelStore: { mountPath: '/models', removalPolicy: RemovalPolicy.SNAPSHOT } },
      /modelStore\.removalPolicy is SNAPSHOT, but CloudFormation snapshots databases and volumes only/],
  ])('rejects %s', (_name, props, message) => {
    const s = setup();
    const fixed: Partial<InferenceServiceProps> = { ...props };
    if ((props.certificate as any) === 'CERT') (fixed as any).certificate = s.certificate;
    if (props.modelStore && (props.modelStore.accessPoint as any) === 'AP') {
      (fixed as any).modelStore = { ...props.modelStore, accessPoint: efs.AccessPoint.fromAccessPointId(s.stack, 'Ap', 'fsap-1') };
    }
    expect(() => new InferenceService(s.stack, 'Inference', { cluster: s.cluster, image: IMAGE, ...fixed })).toThrow(message);
  });

  test('rejects rootDirectory together with an access point', () => {
    const s = setup();
    const fileSystem = efs.FileSystem.fromFileSystemAttributes(s.stack, 'Fs', {
      fileSystemId: 'fs-1', securityGroup: ec2.SecurityGroup.fromSecurityGroupId(s.stack, 'Sg', 'sg-1'),
    });
    const accessPoint = efs.AccessPoint.fromAccessPointAttributes(s.stack, 'Ap', { accessPointId: 'fsap-1', fileSystem });
    expect(() => new InferenceService(s.stack, 'Inference', {
      cluster: s.cluster, image: IMAGE, modelStore: { mountPath: '/models', fileSystem, accessPoint, rootDirectory: '/llm' },
    })).toThrow(/modelStore.rootDirectory \('\/llm'\) is ignored with modelStore.accessPoint/);
  });

  test('rejects new-file-system settings with a given file system', () => {
    const s = setup();
    const fileSystem = efs.FileSystem.fromFileSystemAttributes(s.stack, 'Fs', {
      fileSystemId: 'fs-1', securityGroup: ec2.SecurityGroup.fromSecurityGroupId(s.stack, 'Sg', 'sg-1'),
    });
    expect(() => new InferenceService(s.stack, 'Inference', {
      cluster: s.cluster, image: IMAGE, modelStore: { mountPath: '/models', fileSystem, throughputMode: efs.ThroughputMode.ELASTIC },
    })).toThrow(/modelStore.throughputMode and modelStore.removalPolicy configure a new file system, but modelStore.fileSystem was given/);
  });

  test('errors carry the construct path', () => {
    const s = setup();
    expect(() => new InferenceService(s.stack, 'Inference', { cluster: s.cluster, image: IMAGE, minTasks: 3, maxTasks: 1 }))
      .toThrow(/^Test\/Inference: minTasks/);
  });
});


describe('removalPolicy', () => {
  test('by default the log group and a new model store file system are retained', () => {
    expect(statefulPolicies(build({ modelStore: { mountPath: '/models' } }).service)).toEqual([
      'Test/Inference/LogGroup/Resource: Retain/Retain',
      'Test/Inference/ModelStore/Resource: Retain/Retain',
    ]);
  });

  test('DESTROY deletes the log group and the model store file system', () => {
    expect(statefulPolicies(build({ modelStore: { mountPath: '/models' }, removalPolicy: RemovalPolicy.DESTROY }).service)).toEqual([
      'Test/Inference/LogGroup/Resource: Delete/Delete',
      'Test/Inference/ModelStore/Resource: Delete/Delete',
    ]);
  });

  test('modelStore.removalPolicy wins for the file system', () => {
    const built = build({ modelStore: { mountPath: '/models', removalPolicy: RemovalPolicy.RETAIN }, removalPolicy: RemovalPolicy.DESTROY });
    expect(statefulPolicies(built.service)).toEqual([
      'Test/Inference/LogGroup/Resource: Delete/Delete',
      'Test/Inference/ModelStore/Resource: Retain/Retain',
    ]);
  });

  test('removalPolicy applies to the log group with a given file system', () => {
    const s = setup();
    const fileSystem = efs.FileSystem.fromFileSystemAttributes(s.stack, 'Fs', {
      fileSystemId: 'fs-1', securityGroup: ec2.SecurityGroup.fromSecurityGroupId(s.stack, 'Sg', 'sg-1'),
    });
    const service = new InferenceService(s.stack, 'Inference', {
      cluster: s.cluster, image: IMAGE, modelStore: { mountPath: '/models', fileSystem }, removalPolicy: RemovalPolicy.DESTROY,
    });
    expect(statefulPolicies(service)).toEqual(['Test/Inference/LogGroup/Resource: Delete/Delete']);
  });
});

describe('what AWS does with the service (deploy-proof)', () => {
  /** A worker-style EFS file system of the stack with its own security group. */
  function sharedFileSystem(stack: Stack, cluster: WorkloadCluster): efs.FileSystem {
    return new efs.FileSystem(stack, 'Shared', { vpc: cluster.vpc, encrypted: true });
  }

  test('NFS (2049) is open from the tasks to an EFS file system given in volumes, not only to the model store', () => {
    const s = setup();
    const fs = sharedFileSystem(s.stack, s.cluster);
    new InferenceService(s.stack, 'Inference', {
      cluster: s.cluster,
      image: IMAGE,
      volumes: [WorkloadVolume.efs({ fileSystem: fs, containerPath: '/shared' })],
    });
    const template = Template.fromStack(s.stack);
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: 2049,
      ToPort: 2049,
      GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SharedEfsSecurityGroup'), 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^InferenceSecurityGroup'), 'GroupId'] },
    });
  });

  test('the service starts after the mount targets of the file systems it mounts and after the capacity provider association', () => {
    const s = setup();
    const fs = sharedFileSystem(s.stack, s.cluster);
    new InferenceService(s.stack, 'Inference', {
      cluster: s.cluster,
      image: IMAGE,
      modelStore: { mountPath: '/models' },
      volumes: [WorkloadVolume.efs({ fileSystem: fs, containerPath: '/shared' })],
    });
    const template = Template.fromStack(s.stack);
    const [service] = Object.values(template.findResources('AWS::ECS::Service')) as any[];
    expect(service.DependsOn).toEqual(expect.arrayContaining([
      ...ids(template, 'AWS::EFS::MountTarget'),
      ...ids(template, 'AWS::ECS::ClusterCapacityProviderAssociations'),
    ]));
    expect(ids(template, 'AWS::EFS::MountTarget')).toHaveLength(4);
  });

  test('a file system of another stack orders through the stacks, not through DependsOn', () => {
    const stack = newStack();
    const storage = new Stack(stack.node.scope as App, 'Storage', { env: { account: '123456789012', region: 'us-east-1' } });
    const vpc = new ec2.Vpc(storage, 'Vpc');
    const fs = new efs.FileSystem(storage, 'Shared', { vpc, encrypted: true });
    new InferenceService(stack, 'Inference', {
      cluster: new WorkloadCluster(stack, 'Cluster', { vpc }),
      image: IMAGE,
      volumes: [WorkloadVolume.efs({ fileSystem: fs, containerPath: '/shared' })],
    });
    const template = Template.fromStack(stack);
    expect(stack.dependencies).toContain(storage);
    const [service] = Object.values(template.findResources('AWS::ECS::Service')) as any[];
    expect(service.DependsOn.filter((d: string) => d.includes('MountTarget'))).toEqual([]);
  });

  test('with the cluster\'s allowDestroy the load balancer has no deletion protection; an explicit value wins', () => {
    const stack = newStack();
    const cluster = new WorkloadCluster(stack, 'Cluster', { allowDestroy: true });
    new InferenceService(stack, 'A', { cluster, image: IMAGE });
    new InferenceService(stack, 'B', { cluster, image: IMAGE, deletionProtection: true });
    const template = Template.fromStack(stack);
    const protection = Object.entries(template.findResources('AWS::ElasticLoadBalancingV2::LoadBalancer'))
      .map(([id, lb]: [string, any]) => `${id.slice(0, 1)} ${lb.Properties.LoadBalancerAttributes.find((a: any) => a.Key === 'deletion_protection.enabled').Value}`)
      .sort();
    expect(protection).toEqual(['A false', 'B true']);
  });
});
