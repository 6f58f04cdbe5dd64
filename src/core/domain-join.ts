import { Stack } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { isUnresolved, show, ValidationError } from './errors';
import { acknowledgeResourceWildcards } from './policy-findings';

/**
 * The AWS Managed Microsoft AD directory that Windows container instances join (`joinDirectory` of
 * `addAsgCapacity`). ECS maps FSx for Windows File Server shares only on instances joined to the
 * domain of the file system.
 */
export interface WindowsDirectoryJoinOptions {
  /** ID of the directory in AWS Directory Service: `d-` and 10 hex digits (for a shared directory, its ID in this account). */
  readonly directoryId: string;

  /** Fully qualified DNS name of the directory, e.g. `'corp.example.com'` (not its NetBIOS name). */
  readonly domainName: string;

  /**
   * IPv4 addresses of the directory's DNS servers (its domain controllers), e.g. the DNS addresses
   * AWS Directory Service shows, or `CfnMicrosoftAD.attrDnsIpAddresses`. The join finds the domain
   * through them, so it does not depend on the VPC's DHCP options.
   */
  readonly dnsIpAddresses: string[];

  /**
   * Distinguished name of the organizational unit that receives the instances' computer objects,
   * e.g. `'OU=Computers,OU=corp,DC=corp,DC=example,DC=com'`. It must exist already.
   * @default - the directory's default OU for computers
   */
  readonly organizationalUnit?: string;
}

/** The SSM document of the documented "seamless domain join" of EC2 Windows instances. @internal */
export const JOIN_DOCUMENT = 'AWS-JoinDirectoryServiceDomain';

/** An AWS Directory Service directory id: `d-` and 10 hex digits. @internal */
export const DIRECTORY_ID = /^d-[0-9a-f]{10}$/;
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;
const IPV4 = /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** What `joinDirectory` needs to know of the capacity it is set on. @internal */
export interface DirectoryJoinTarget {
  /** Whether the group runs Windows (`windows` of `addAsgCapacity`). */
  readonly windows: boolean;
  /** Whether the instances reach AWS APIs only through VPC endpoints (a cluster VPC without NAT gateways). */
  readonly withoutNat: boolean;
}

/** Refuses what cannot join the instances to the directory, each with the fix. @internal */
export function checkDirectoryJoin(scope: Construct, join: WindowsDirectoryJoinOptions, target: DirectoryJoinTarget): void {
  if (!target.windows) {
    throw new ValidationError(scope,
      `joinDirectory (${show(join.directoryId)}) is set, but windows is not: only Windows instances join the directory here ` +
      '(ECS maps FSx for Windows File Server shares on domain-joined Windows instances only). ' +
      'Set windows (e.g. ecs.WindowsOptimizedVersion.SERVER_2022), or remove joinDirectory.');
  }
  if (target.withoutNat) {
    throw new ValidationError(scope,
      `joinDirectory (${show(join.directoryId)}) needs the instances to reach the Systems Manager and Directory Service APIs, ` +
      'but the cluster\'s VPC has no NAT gateways (natGateways 0), and AWS Directory Service offers an interface VPC endpoint in a few Regions only. ' +
      'Give the cluster natGateways 1 or 2 (or a vpc of yours with a route to those APIs), or remove joinDirectory and join the instances yourself.');
  }
  if (!isUnresolved(join.directoryId) && !DIRECTORY_ID.test(join.directoryId)) {
    throw new ValidationError(scope,
      `joinDirectory.directoryId ${show(join.directoryId)} is not an AWS Directory Service directory id ('d-' and 10 lowercase hex digits). ` +
      'Give the Directory ID shown by AWS Directory Service, e.g. \'d-1234567890\'.');
  }
  const labels = join.domainName.split('.');
  if (!isUnresolved(join.domainName) && (labels.length < 2 || join.domainName.length > 253 || !labels.every(l => DNS_LABEL.test(l)))) {
    throw new ValidationError(scope,
      `joinDirectory.domainName ${show(join.domainName)} is not a fully qualified domain name. ` +
      'Give the directory\'s DNS name (at least two labels of letters, digits and \'-\', e.g. \'corp.example.com\'), not its NetBIOS name.');
  }
  if (!isUnresolved(join.dnsIpAddresses)) {
    if (join.dnsIpAddresses.length === 0) {
      throw new ValidationError(scope,
        'joinDirectory.dnsIpAddresses is empty, but the join finds the domain through the directory\'s DNS servers ' +
        '(AWS-JoinDirectoryServiceDomain goes without them only when the VPC\'s DHCP options already point at the directory). ' +
        'Give the DNS addresses AWS Directory Service shows for the directory (two for AWS Managed Microsoft AD), or CfnMicrosoftAD.attrDnsIpAddresses.');
    }
    for (const [i, address] of join.dnsIpAddresses.entries()) {
      if (!isUnresolved(address) && !IPV4.test(address)) {
        throw new ValidationError(scope,
          `joinDirectory.dnsIpAddresses[${i}] ${show(address)} is not an IPv4 address. Give the IP addresses of the directory's DNS servers, e.g. '10.0.0.10'.`);
      }
    }
  }
  const ou = join.organizationalUnit;
  if (ou !== undefined && !isUnresolved(ou) && !isUnresolved(join.domainName)) {
    const parts = ou.split(',').map(p => p.trim());
    const domainParts = parts.filter(p => /^DC=/i.test(p)).map(p => p.slice(3).toLowerCase());
    if (!/^OU=[^=]+$/i.test(parts[0]) || domainParts.join('.') !== join.domainName.toLowerCase()) {
      const expected = labels.map(l => `DC=${l}`).join(',');
      throw new ValidationError(scope,
        `joinDirectory.organizationalUnit ${show(ou)} is not the distinguished name of an organizational unit of ${show(join.domainName)}. ` +
        `Give one that starts with 'OU=' and ends with '${expected}', e.g. 'OU=Computers,OU=${labels[0]},${expected}', or leave it unset for the directory's default.`);
    }
  }
}

/**
 * Joins the Windows instances of an Auto Scaling group to an AWS Managed Microsoft AD directory, the
 * way AWS documents a "seamless domain join": a State Manager association runs the
 * `AWS-JoinDirectoryServiceDomain` document on every instance of the group, found by the tag EC2 Auto
 * Scaling gives each instance (`aws:autoscaling:groupName`). No credential is involved: the instance
 * role allows `ds:CreateComputer` on this directory only, and the Systems Manager Agent calls that
 * the association needs.
 * @internal
 */
export function joinDirectory(
  scope: Construct, role: iam.IRole, group: autoscaling.AutoScalingGroup, join: WindowsDirectoryJoinOptions,
): ssm.CfnAssociation {
  const stack = Stack.of(scope);
  const parameters: { [name: string]: string[] } = {
    directoryId: [join.directoryId],
    directoryName: [join.domainName],
    dnsIpAddresses: join.dnsIpAddresses,
  };
  if (join.organizationalUnit !== undefined) parameters.directoryOU = [join.organizationalUnit];
  // L1: aws-cdk-lib has no L2 for State Manager associations.
  const association = new ssm.CfnAssociation(scope, 'DomainJoin', {
    name: JOIN_DOCUMENT,
    // Without a schedule, State Manager runs the document once on each instance the tag selects,
    // including every instance the group launches later.
    targets: [{ key: 'tag:aws:autoscaling:groupName', values: [group.autoScalingGroupName] }],
    parameters,
  });

  // The Systems Manager Agent: registration, the association's calls, and its two message channels
  // (ssmmessages, or ec2messages where that is unreachable), on "*" as AmazonSSMManagedInstanceCore
  // grants them; without inventory, patching, Distributor and parameters.
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: [
      'ssm:UpdateInstanceInformation',
      'ssm:ListInstanceAssociations',
      'ssm:DescribeAssociation',
      'ssm:UpdateInstanceAssociationStatus',
      'ssm:PutComplianceItems',
      'ssmmessages:CreateControlChannel',
      'ssmmessages:CreateDataChannel',
      'ssmmessages:OpenControlChannel',
      'ssmmessages:OpenDataChannel',
      'ec2messages:AcknowledgeMessage',
      'ec2messages:DeleteMessage',
      'ec2messages:FailMessage',
      'ec2messages:GetEndpoint',
      'ec2messages:GetMessages',
      'ec2messages:SendReply',
    ],
    resources: ['*'],
  }));
  // The account of an AWS-owned document is left open, as AWS's own policies do for such documents.
  const document = `arn:${stack.partition}:ssm:${stack.region}:*:document/${JOIN_DOCUMENT}`;
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ssm:GetDocument', 'ssm:DescribeDocument'], resources: [document] }));
  acknowledgeResourceWildcards(role, [{
    resource: document,
    reason: `Only the account of the document ARN is open: ${JOIN_DOCUMENT} is owned by AWS, and SSM reserves document names starting with 'AWS' for AWS.`,
  }]);
  // What AmazonSSMDirectoryServiceAccess grants, with CreateComputer bound to this directory.
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['ds:CreateComputer'],
    resources: [`arn:${stack.partition}:ds:${stack.region}:${stack.account}:directory/${join.directoryId}`],
  }));
  const { policyDependable } = role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ds:DescribeDirectories'], resources: ['*'] }));
  // Instances launched with the group already hold these permissions when their agent starts.
  if (policyDependable) group.node.addDependency(policyDependable);

  return association;
}
