import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as acmpca from 'aws-cdk-lib/aws-acmpca';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { BatchQueueWorker, InferenceService, InferenceServiceProps, WorkloadCluster } from '../../src';
import { expectCompliant, newStack } from '../compliance';
import { expectDeployable } from '../deploy-proof';
import { canReach } from '../deploy-proof/network';

const IMAGE = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/python:3.12-slim');
const CA_ARN = 'arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/11111111-2222-3333-4444-555555555555';

function setup() {
  const stack = newStack();
  const cluster = new WorkloadCluster(stack, 'Cluster');
  return { stack, cluster };
}

function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } } | undefined): string {
  return stack.getLogicalId(construct!.node.defaultChild as never);
}

describe('publishing an inference service', () => {
  const { stack, cluster } = setup();
  const server = new InferenceService(stack, 'Embeddings', { cluster, image: IMAGE, serviceConnect: { dnsName: 'embeddings' } });
  new InferenceService(stack, 'Ranker', { cluster, image: IMAGE, containerPort: 9000, serviceConnect: { dnsName: 'ranker', port: 80 } });
  const template = Template.fromStack(stack);

  test('one HTTP namespace per cluster, created on first use, named after the cluster', () => {
    template.resourceCountIs('AWS::ServiceDiscovery::HttpNamespace', 1);
    template.hasResourceProperties('AWS::ServiceDiscovery::HttpNamespace', {
      Name: Match.stringLikeRegexp('^test-cluster-[0-9a-f]{8}$'),
      Description: 'Service Connect services of Test/Cluster',
    });
  });

  test('the service joins the namespace under its name, on the named container port, with the proxy logging beside the container', () => {
    template.hasResourceProperties('AWS::ECS::Service', {
      ServiceConnectConfiguration: {
        Enabled: true,
        Namespace: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ClusterServiceConnectNamespace'), 'Arn'] },
        Services: [{ PortName: 'main', DiscoveryName: 'embeddings', ClientAliases: [{ DnsName: 'embeddings', Port: 8080 }] }],
        LogConfiguration: {
          LogDriver: 'awslogs',
          Options: Match.objectLike({ 'awslogs-group': { Ref: Match.stringLikeRegexp('^EmbeddingsLogGroup') }, 'awslogs-stream-prefix': 'service-connect' }),
        },
      },
    });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Family: Match.stringLikeRegexp('Embeddings'),
      ContainerDefinitions: Match.arrayWith([Match.objectLike({ Name: 'main', PortMappings: [{ ContainerPort: 8080, Protocol: 'tcp', Name: 'main' }] })]),
    });
    expect(server.serviceConnectEndpoint).toBe('http://embeddings:8080');
  });

  test('a port of its own for the clients', () => {
    template.hasResourceProperties('AWS::ECS::Service', {
      ServiceConnectConfiguration: Match.objectLike({ Services: [Match.objectLike({ DiscoveryName: 'ranker', ClientAliases: [{ DnsName: 'ranker', Port: 80 }] })] }),
    });
  });

  test('without serviceConnect the port mapping stays unnamed and no namespace exists', () => {
    const s = setup();
    new InferenceService(s.stack, 'Plain', { cluster: s.cluster, image: IMAGE });
    const t = Template.fromStack(s.stack);
    t.resourceCountIs('AWS::ServiceDiscovery::HttpNamespace', 0);
    t.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: Match.arrayWith([Match.objectLike({ Name: 'main', PortMappings: [{ ContainerPort: 8080, Protocol: 'tcp' }] })]),
    });
    t.hasResourceProperties('AWS::ECS::Service', { ServiceConnectConfiguration: Match.absent() });
  });
});

describe('clients', () => {
  function build() {
    const { stack, cluster } = setup();
    const server = new InferenceService(stack, 'Embeddings', { cluster, image: IMAGE, serviceConnect: { dnsName: 'embeddings' } });
    const worker = new BatchQueueWorker(stack, 'Worker', { cluster, image: IMAGE, maxTasks: 2 });
    const bystander = new BatchQueueWorker(stack, 'Bystander', { cluster, image: IMAGE, maxTasks: 2 });
    server.allowServiceConnectFrom(worker.service);
    server.allowServiceConnectFrom(worker.service); // idempotent
    return { stack, cluster, server, worker, bystander, template: Template.fromStack(stack) };
  }
  // Built on first use, so that a failure shows in these tests only; the tests only read it.
  let built: ReturnType<typeof build> | undefined;
  const connected = () => {
    built ??= build();
    return built;
  };

  test('a worker becomes a Service Connect client of the namespace, without services of its own', () => {
    const { template, stack, worker } = connected();
    const services = template.findResources('AWS::ECS::Service');
    const workerService = services[logicalId(stack, worker.service)];
    expect(workerService.Properties.ServiceConnectConfiguration).toEqual({
      Enabled: true,
      Namespace: { 'Fn::GetAtt': [expect.stringMatching(/^ClusterServiceConnectNamespace/), 'Arn'] },
    });
  });

  test('exactly one ingress rule: the client\'s tasks to the container port, even when called twice', () => {
    const { template, stack, server, worker } = connected();
    const rules = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'))
      .filter(r => String(r.Properties.Description).startsWith('Service Connect from'));
    expect(rules).toEqual([{
      Type: 'AWS::EC2::SecurityGroupIngress',
      Properties: {
        Description: 'Service Connect from Test/Worker/Service',
        GroupId: { 'Fn::GetAtt': [logicalId(stack, server.connections.securityGroups[0]), 'GroupId'] },
        SourceSecurityGroupId: { 'Fn::GetAtt': [logicalId(stack, worker.connections.securityGroups[0]), 'GroupId'] },
        IpProtocol: 'tcp',
        FromPort: 8080,
        ToPort: 8080,
      },
    }]);
  });

  test('the packet path: the client reaches the server on 8080 only; a workload that was not connected does not', () => {
    const { template, stack, server, worker, bystander } = connected();
    const t = template.toJSON();
    const serverSg = logicalId(stack, server.connections.securityGroups[0]);
    const workerSg = logicalId(stack, worker.connections.securityGroups[0]);
    const bystanderSg = logicalId(stack, bystander.connections.securityGroups[0]);
    expect(canReach(t, workerSg, serverSg, 8080).allowed).toBe(true);
    expect(canReach(t, workerSg, serverSg, 8081).allowed).toBe(false);
    expect(canReach(t, bystanderSg, serverSg, 8080).allowed).toBe(false);
  });

  test('a published service may call another one: it keeps its own configuration and gets the rule', () => {
    const { stack, cluster } = setup();
    const a = new InferenceService(stack, 'A', { cluster, image: IMAGE, serviceConnect: { dnsName: 'a' } });
    const b = new InferenceService(stack, 'B', { cluster, image: IMAGE, serviceConnect: { dnsName: 'b' } });
    a.allowServiceConnectFrom(b.service);
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::ECS::Service', {
      ServiceConnectConfiguration: Match.objectLike({ Services: [Match.objectLike({ DiscoveryName: 'b' })] }),
    });
    t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { Description: 'Service Connect from Test/B/Service', FromPort: 8080 });
  });

  test('a client in another stack: the rule lives in the client\'s stack, the server\'s stack does not refer to it', () => {
    const app = new App();
    const env = { account: '123456789012', region: 'us-east-1' };
    const base = new Stack(app, 'Base', { env });
    const cluster = new WorkloadCluster(base, 'Cluster');
    const server = new InferenceService(base, 'Embeddings', { cluster, image: IMAGE, serviceConnect: { dnsName: 'embeddings' } });
    const other = new Stack(app, 'Other', { env });
    const worker = new BatchQueueWorker(other, 'Worker', { cluster, image: IMAGE, maxTasks: 2 });
    server.allowServiceConnectFrom(worker.service);
    const scRules = (s: Stack) => Object.values(Template.fromStack(s).findResources('AWS::EC2::SecurityGroupIngress'))
      .filter(r => String(r.Properties.Description).startsWith('Service Connect'));
    expect(scRules(base)).toHaveLength(0);
    expect(scRules(other)).toHaveLength(1);
    expect(other.dependencies).toContain(base);
  });

  test('is compliant and deployable (policy, order, network)', async () => {
    const { stack } = connected();
    expectCompliant(stack);
    await expectDeployable(stack);
  });
});

describe('TLS between the proxies', () => {
  const { stack, cluster } = setup();
  const authority = acmpca.CertificateAuthority.fromCertificateAuthorityArn(stack, 'Ca', CA_ARN);
  new InferenceService(stack, 'Embeddings', { cluster, image: IMAGE, serviceConnect: { dnsName: 'embeddings', certificateAuthority: authority } });
  const template = Template.fromStack(stack);

  test('the service names the authority and the role ECS issues certificates with', () => {
    template.hasResourceProperties('AWS::ECS::Service', {
      ServiceConnectConfiguration: Match.objectLike({
        Services: [Match.objectLike({
          Tls: {
            IssuerCertificateAuthority: { AwsPcaAuthorityArn: CA_ARN },
            RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EmbeddingsServiceConnectTlsRole'), 'Arn'] },
          },
        })],
      }),
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'ecs.amazonaws.com' } }] },
      Description: 'ECS issues the Service Connect TLS certificates of Test/Embeddings',
    });
  });

  test('the role may issue certificates only from that authority, and touch only ECS\'s own secrets of this account and Region', () => {
    const policy = Object.values(template.findResources('AWS::IAM::ManagedPolicy'))
      .find(p => String(p.Properties.Description).includes('ServiceConnectTlsRole'))!;
    const statements = policy.Properties.PolicyDocument.Statement;
    const secrets = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':secretsmanager:us-east-1:123456789012:secret:ecs-sc!*']] };
    expect(statements).toEqual(expect.arrayContaining([
      expect.objectContaining({
        Action: ['secretsmanager:CreateSecret', 'secretsmanager:TagResource'],
        Resource: secrets,
        Condition: expect.objectContaining({ StringEquals: { 'aws:RequestTag/AmazonECSManaged': 'true', 'aws:ResourceAccount': '123456789012' } }),
      }),
      expect.objectContaining({ Action: 'acm-pca:IssueCertificate', Resource: CA_ARN }),
      expect.objectContaining({
        Action: ['acm-pca:GetCertificate', 'acm-pca:GetCertificateAuthorityCertificate', 'acm-pca:DescribeCertificateAuthority'],
        Resource: CA_ARN,
        Condition: { StringEquals: { 'aws:ResourceTag/AmazonECSManaged': 'true' } },
      }),
    ]));
    expect(JSON.stringify(statements)).not.toContain('"Resource":"*"');
  });

  test('is compliant and deployable', async () => {
    expectCompliant(stack);
    await expectDeployable(stack);
  });
});

describe('invalid input', () => {
  const cases: [string, Partial<InferenceServiceProps>, RegExp][] = [
    ['upper case', { serviceConnect: { dnsName: 'Embeddings' } }, /serviceConnect\.dnsName must be 1–63 lowercase letters, digits and hyphens.*got 'Embeddings'\. Give the short name clients call/],
    ['a leading hyphen', { serviceConnect: { dnsName: '-x' } }, /serviceConnect\.dnsName .* got '-x'/],
    ['64 characters', { serviceConnect: { dnsName: 'a'.repeat(64) } }, /serviceConnect\.dnsName .* got 'a{64}'/],
    ['an underscore', { serviceConnect: { dnsName: 'a_b' } }, /serviceConnect\.dnsName .* got 'a_b'/],
    ['port 0', { serviceConnect: { dnsName: 'a', port: 0 } }, /serviceConnect\.port must be a whole number between 1 and 65535, got 0\. Give the port clients call\./],
    ['port 70000', { serviceConnect: { dnsName: 'a', port: 70000 } }, /serviceConnect\.port must be .* got 70000/],
  ];
  test.each(cases)('%s', (_name, props, message) => {
    const { stack, cluster } = setup();
    expect(() => new InferenceService(stack, 'Embeddings', { cluster, image: IMAGE, ...props })).toThrow(message);
  });

  test('a dnsName another service of the cluster already has', () => {
    const { stack, cluster } = setup();
    new InferenceService(stack, 'A', { cluster, image: IMAGE, serviceConnect: { dnsName: 'embeddings' } });
    expect(() => new InferenceService(stack, 'B', { cluster, image: IMAGE, serviceConnect: { dnsName: 'embeddings' } })).toThrow(
      /Test\/B: serviceConnect\.dnsName 'embeddings' is already the name of 'Test\/A' in the cluster's Service Connect namespace, and ECS requires each name to be unique there .* Give this service another dnsName\./);
  });

  test('allowServiceConnectFrom on a service that is not published', () => {
    const { stack, cluster } = setup();
    const server = new InferenceService(stack, 'Embeddings', { cluster, image: IMAGE });
    const worker = new BatchQueueWorker(stack, 'Worker', { cluster, image: IMAGE, maxTasks: 2 });
    expect(() => server.allowServiceConnectFrom(worker.service)).toThrow(
      /allowServiceConnectFrom\('Test\/Worker\/Service'\) needs serviceConnect, but this service is not published to Service Connect\. Pass serviceConnect: \{ dnsName: '\.\.\.' \}, or let the client call the load balancer/);
  });

  test('a client that joined the namespace of another cluster', () => {
    const { stack, cluster } = setup();
    const otherCluster = new WorkloadCluster(stack, 'OtherCluster');
    const a = new InferenceService(stack, 'A', { cluster, image: IMAGE, serviceConnect: { dnsName: 'a' } });
    const b = new InferenceService(stack, 'B', { cluster: otherCluster, image: IMAGE, serviceConnect: { dnsName: 'b' } });
    const worker = new BatchQueueWorker(stack, 'Worker', { cluster, image: IMAGE, maxTasks: 2 });
    a.allowServiceConnectFrom(worker.service);
    expect(() => b.allowServiceConnectFrom(worker.service)).toThrow(
      /the client service 'Test\/Worker\/Service' is a Service Connect client of namespace Test\/Cluster\/ServiceConnectNamespace, and a service joins one namespace only/);
  });

  test('a client with a Service Connect configuration of its own', () => {
    const { stack, cluster } = setup();
    const server = new InferenceService(stack, 'Embeddings', { cluster, image: IMAGE, serviceConnect: { dnsName: 'embeddings' } });
    const worker = new BatchQueueWorker(stack, 'Worker', { cluster, image: IMAGE, maxTasks: 2 });
    worker.service.enableServiceConnect({ namespace: 'elsewhere' });
    expect(() => server.allowServiceConnectFrom(worker.service)).toThrow(
      /the client service 'Test\/Worker\/Service' already has a Service Connect configuration of its own, so it cannot also join namespace Test\/Cluster\/ServiceConnectNamespace/);
  });
});
