import { App, CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as directoryservice from 'aws-cdk-lib/aws-directoryservice';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { IConstruct } from 'constructs';
import { Capacity, WorkloadCluster, WorkloadVolume } from '../../src';
import { BatchQueueWorker } from '../../src/batch-queue-worker/batch-queue-worker';
import { WindowsDirectoryJoinOptions } from '../../src/core/domain-join';
import { FsxWindowsFileSystem } from '../../src/core/fsx-windows';
import { expectCompliant, newStack } from '../compliance';
import { expectDeployable } from '../deploy-proof';
import { evaluateHop } from '../deploy-proof/policy';
import { ACCOUNT, PARTITION, REGION } from '../deploy-proof/template';

const WINDOWS_IMAGE = ecs.ContainerImage.fromRegistry('mcr.microsoft.com/windows/servercore:ltsc2022');
const DIRECTORY = 'd-0123456789';
const JOIN: WindowsDirectoryJoinOptions = { directoryId: DIRECTORY, domainName: 'corp.example.com', dnsIpAddresses: ['10.0.0.10', '10.0.1.10'] };

const idOf = (stack: Stack, c: IConstruct) => stack.getLogicalId((c.node.defaultChild ?? c) as CfnElement);

function windowsCapacity(cluster: WorkloadCluster, joinDirectory?: WindowsDirectoryJoinOptions) {
  return cluster.addAsgCapacity('Windows', {
    instanceType: new ec2.InstanceType('m6i.xlarge'),
    // Control Tower wants more than one instance type in the group (the user's choice, not the join's).
    additionalInstanceTypes: [new ec2.InstanceType('m7i.xlarge')],
    windows: ecs.WindowsOptimizedVersion.SERVER_2022,
    maxCapacity: 2,
    joinDirectory,
  });
}

/** Statements of the instance role's customer-managed policy. */
function instanceRoleStatements(stack: Stack, cluster: WorkloadCluster): any[] {
  const role = cluster.node.findChild('Windows').node.findChild('InstanceRole');
  const policies = Template.fromStack(stack).findResources('AWS::IAM::ManagedPolicy', { Properties: { Roles: [{ Ref: idOf(stack, role) }] } });
  return Object.values(policies).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

const SSM_AGENT_ACTIONS = [
  'ssm:UpdateInstanceInformation', 'ssm:ListInstanceAssociations', 'ssm:DescribeAssociation', 'ssm:UpdateInstanceAssociationStatus', 'ssm:PutComplianceItems',
  'ssmmessages:CreateControlChannel', 'ssmmessages:CreateDataChannel', 'ssmmessages:OpenControlChannel', 'ssmmessages:OpenDataChannel',
  'ec2messages:AcknowledgeMessage', 'ec2messages:DeleteMessage', 'ec2messages:FailMessage', 'ec2messages:GetEndpoint', 'ec2messages:GetMessages', 'ec2messages:SendReply',
];

describe('Windows instances that join an AWS Managed Microsoft AD directory, with a worker that maps an FSx share (defaults)', () => {
  const stack = newStack();
  const cluster = new WorkloadCluster(stack, 'Cluster');
  const windows = windowsCapacity(cluster, JOIN);
  const fileSystem = new FsxWindowsFileSystem(stack, 'Share', { vpc: cluster.vpc, activeDirectoryId: DIRECTORY });
  const secret = secretsmanager.Secret.fromSecretCompleteArn(stack, 'Credentials', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:fsx/ecs-AbCdEf');
  new BatchQueueWorker(stack, 'Reports', {
    cluster,
    image: WINDOWS_IMAGE,
    maxTasks: 2,
    capacity: Capacity.ec2(windows),
    cpu: 1024,
    memoryLimitMiB: 2048,
    volumes: [WorkloadVolume.fsxWindows({ fileSystem, containerPath: 'C:\\reports', domain: JOIN.domainName, credentialsSecret: secret })],
  });
  const template = Template.fromStack(stack);
  const group = windows.autoScalingGroup;
  const role = cluster.node.findChild('Windows').node.findChild('InstanceRole');

  test('one State Manager association runs AWS-JoinDirectoryServiceDomain on the group\'s instances, by tag, once each (no schedule)', () => {
    const associations = template.findResources('AWS::SSM::Association');
    expect(Object.values(associations)).toEqual([{
      Type: 'AWS::SSM::Association',
      Properties: {
        Name: 'AWS-JoinDirectoryServiceDomain',
        Targets: [{ Key: 'tag:aws:autoscaling:groupName', Values: [{ Ref: idOf(stack, group) }] }],
        Parameters: { directoryId: [DIRECTORY], directoryName: ['corp.example.com'], dnsIpAddresses: ['10.0.0.10', '10.0.1.10'] },
      },
    }]);
    // No credential anywhere near the join: the user data only starts the ECS agent.
    const lt = Object.values(template.findResources('AWS::EC2::LaunchTemplate'))[0] as any;
    expect(JSON.stringify(lt.Properties.LaunchTemplateData.UserData)).not.toMatch(/Add-Computer|domainJoin|password/i);
  });

  test('the instance role gets exactly the agent\'s calls, the document, and CreateComputer on this directory, in its customer-managed policy', () => {
    const baselineStack = newStack();
    const baselineCluster = new WorkloadCluster(baselineStack, 'Cluster');
    windowsCapacity(baselineCluster);
    const baseline = instanceRoleStatements(baselineStack, baselineCluster);
    // Nothing is added without joinDirectory.
    expect(Template.fromStack(baselineStack).findResources('AWS::SSM::Association')).toEqual({});
    expect(JSON.stringify(baseline)).not.toMatch(/ssm:|ssmmessages:|ec2messages:|ds:/);

    const statements = instanceRoleStatements(stack, cluster);
    expect(statements.slice(0, baseline.length)).toEqual(baseline);
    expect(statements.slice(baseline.length)).toEqual([
      { Effect: 'Allow', Action: SSM_AGENT_ACTIONS, Resource: '*' },
      {
        Effect: 'Allow',
        Action: ['ssm:GetDocument', 'ssm:DescribeDocument'],
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ssm:us-east-1:*:document/AWS-JoinDirectoryServiceDomain']] },
      },
      {
        Effect: 'Allow',
        Action: 'ds:CreateComputer',
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:ds:us-east-1:123456789012:directory/${DIRECTORY}`]] },
      },
      { Effect: 'Allow', Action: 'ds:DescribeDirectories', Resource: '*' },
    ]);
    expect(template.findResources('AWS::IAM::Role', { Properties: { ManagedPolicyArns: [] } })).toEqual({});
    expect(JSON.stringify(template.findResources('AWS::IAM::Role'))).not.toContain('AmazonSSM');
  });

  test('the group is created after those permissions, so its first instances can join', () => {
    const policy = Object.keys(template.findResources('AWS::IAM::ManagedPolicy', { Properties: { Roles: [{ Ref: idOf(stack, role) }] } }));
    expect(template.toJSON().Resources[idOf(stack, group)].DependsOn).toEqual(expect.arrayContaining(policy));
  });

  test('the instances may join this directory and read this document only', async () => {
    const app = stack.node.root as App;
    const decision = async (action: string, resource: string) => (await evaluateHop(app, { caller: { role }, action, resource })).decision;
    const directory = (id: string) => `arn:${PARTITION}:ds:${REGION}:${ACCOUNT}:directory/${id}`;
    // The policy leaves the account of AWS-owned documents open; iam-simulate needs one in the ARN.
    const document = (name: string) => `arn:${PARTITION}:ssm:${REGION}:${ACCOUNT}:document/${name}`;
    expect(await decision('ds:CreateComputer', directory(DIRECTORY))).toBe('ALLOW');
    expect(await decision('ds:CreateComputer', directory('d-9876543210'))).toBe('DENY');
    expect(await decision('ds:DescribeDirectories', '*')).toBe('ALLOW');
    expect(await decision('ssm:GetDocument', document('AWS-JoinDirectoryServiceDomain'))).toBe('ALLOW');
    expect(await decision('ssm:GetDocument', document('AWS-RunPowerShellScript'))).toBe('DENY');
    expect(await decision('ssm:UpdateInstanceInformation', `arn:${PARTITION}:ec2:${REGION}:${ACCOUNT}:instance/i-0123456789abcdef0`)).toBe('ALLOW');
    expect(await decision('ssm:SendCommand', document('AWS-RunPowerShellScript'))).toBe('DENY');
    expect(await decision('ssm:GetParameter', `arn:${PARTITION}:ssm:${REGION}:${ACCOUNT}:parameter/fsx/password`)).toBe('DENY');
  });

  test('has no unacknowledged cdk-nag / cfn-guard finding and deploys', async () => {
    expectCompliant(stack);
    await expectDeployable(stack);
  });
});

describe('joinDirectory overrides', () => {
  test('an organizational unit becomes directoryOU; the attributes of a directory of the same app pass as tokens', () => {
    const stack = newStack();
    const cluster = new WorkloadCluster(stack, 'Cluster');
    const directory = new directoryservice.CfnMicrosoftAD(stack, 'Directory', {
      name: 'corp.example.com',
      password: '{{resolve:secretsmanager:ad-admin}}',
      vpcSettings: { vpcId: cluster.vpc.vpcId, subnetIds: cluster.vpc.privateSubnets.map(s => s.subnetId) },
    });
    windowsCapacity(cluster, {
      directoryId: directory.ref,
      domainName: 'corp.example.com',
      dnsIpAddresses: directory.attrDnsIpAddresses,
      organizationalUnit: 'OU=Computers,OU=corp,DC=corp,DC=example,DC=com',
    });
    const template = Template.fromStack(stack);
    const association = Object.values(template.findResources('AWS::SSM::Association'))[0] as any;
    expect(association.Properties.Parameters).toEqual({
      directoryId: [{ Ref: 'Directory' }],
      directoryName: ['corp.example.com'],
      dnsIpAddresses: { 'Fn::GetAtt': ['Directory', 'DnsIpAddresses'] },
      directoryOU: ['OU=Computers,OU=corp,DC=corp,DC=example,DC=com'],
    });
    const statements = instanceRoleStatements(stack, cluster);
    expect(statements.find(s => s.Action === 'ds:CreateComputer').Resource).toEqual(
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ds:us-east-1:123456789012:directory/', { Ref: 'Directory' }]] });
  });
});

describe('invalid joinDirectory', () => {
  const cluster = new WorkloadCluster(newStack(), 'Cluster');
  let n = 0;
  const add = (join: Partial<WindowsDirectoryJoinOptions>, linux = false) => () => cluster.addAsgCapacity(`Capacity${n++}`, {
    instanceType: new ec2.InstanceType('m6i.xlarge'),
    maxCapacity: 2,
    windows: linux ? undefined : ecs.WindowsOptimizedVersion.SERVER_2022,
    joinDirectory: { ...JOIN, ...join },
  });

  test('refused on Linux instances', () => {
    expect(add({}, true)).toThrow(/joinDirectory \('d-0123456789'\) is set, but windows is not: only Windows instances join the directory here .* Set windows \(e\.g\. ecs\.WindowsOptimizedVersion\.SERVER_2022\), or remove joinDirectory/);
  });

  test('refused on a cluster without NAT gateways', () => {
    const isolated = new WorkloadCluster(newStack(), 'Cluster', { natGateways: 0 });
    expect(() => windowsCapacity(isolated, JOIN)).toThrow(
      /joinDirectory \('d-0123456789'\) needs the instances to reach the Systems Manager and Directory Service APIs, but the cluster's VPC has no NAT gateways \(natGateways 0\).* Give the cluster natGateways 1 or 2/);
  });

  test.each<[string, Partial<WindowsDirectoryJoinOptions>, RegExp]>([
    ['a short directory id', { directoryId: 'd-12345' }, /joinDirectory\.directoryId 'd-12345' is not an AWS Directory Service directory id \('d-' and 10 lowercase hex digits\)\. Give the Directory ID shown by AWS Directory Service/],
    ['a directory id in capitals', { directoryId: 'D-0123456789' }, /joinDirectory\.directoryId 'D-0123456789' is not an AWS Directory Service directory id/],
    ['a NetBIOS name', { domainName: 'CORP' }, /joinDirectory\.domainName 'CORP' is not a fully qualified domain name\. Give the directory's DNS name .*, not its NetBIOS name/],
    ['a label with an underscore', { domainName: 'corp_ad.example.com' }, /joinDirectory\.domainName 'corp_ad\.example\.com' is not a fully qualified domain name/],
    ['a trailing dot', { domainName: 'corp.example.com.' }, /joinDirectory\.domainName 'corp\.example\.com\.' is not a fully qualified domain name/],
    ['no DNS address', { dnsIpAddresses: [] }, /joinDirectory\.dnsIpAddresses is empty, but the join finds the domain through the directory's DNS servers .* Give the DNS addresses AWS Directory Service shows/],
    ['a DNS name for an address', { dnsIpAddresses: ['10.0.0.10', 'dc1.corp.example.com'] }, /joinDirectory\.dnsIpAddresses\[1\] 'dc1\.corp\.example\.com' is not an IPv4 address/],
    ['an address out of range', { dnsIpAddresses: ['10.0.0.256'] }, /joinDirectory\.dnsIpAddresses\[0\] '10\.0\.0\.256' is not an IPv4 address/],
    ['a container for an OU', { organizationalUnit: 'CN=Computers,DC=corp,DC=example,DC=com' },
      /joinDirectory\.organizationalUnit 'CN=Computers,DC=corp,DC=example,DC=com' is not the distinguished name of an organizational unit of 'corp\.example\.com'\. Give one that starts with 'OU=' and ends with 'DC=corp,DC=example,DC=com', e\.g\. 'OU=Computers,OU=corp,DC=corp,DC=example,DC=com'/],
    ['an OU of another domain', { organizationalUnit: 'OU=Computers,DC=other,DC=example,DC=com' }, /joinDirectory\.organizationalUnit 'OU=Computers,DC=other,DC=example,DC=com' is not the distinguished name of an organizational unit of 'corp\.example\.com'/],
  ])('refuses %s', (_name, join, message) => {
    expect(add(join)).toThrow(message);
  });
});
