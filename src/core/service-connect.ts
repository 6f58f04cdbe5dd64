import { Names, Stack } from 'aws-cdk-lib';
import * as acmpca from 'aws-cdk-lib/aws-acmpca';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { Construct, IConstruct } from 'constructs';
import type { WorkloadCluster } from './cluster';
import { ValidationError } from './errors';
import { acknowledgeResourceWildcards } from './policy-findings';
import { WorkloadRole } from './roles';

const NAMESPACE_ID = 'ServiceConnectNamespace';

/**
 * The AWS Cloud Map namespace of a cluster's Service Connect services, created on first use as a child
 * of the `WorkloadCluster` (an HTTP namespace: Service Connect resolves names in its proxy, not in DNS).
 * @internal
 */
export function serviceConnectNamespace(cluster: WorkloadCluster): servicediscovery.HttpNamespace {
  const existing = cluster.node.tryFindChild(NAMESPACE_ID);
  if (existing) return existing as servicediscovery.HttpNamespace;
  return new servicediscovery.HttpNamespace(cluster, NAMESPACE_ID, {
    name: Names.uniqueResourceName(cluster, { maxLength: 64, separator: '-' }).toLowerCase(),
    description: `Service Connect services of ${cluster.node.path}`,
  });
}

/** The discovery names taken in each namespace (ECS requires them unique within the namespace). */
const namesTaken = new WeakMap<servicediscovery.INamespace, Map<string, string>>();

/**
 * Reserves `name` in `namespace` for `scope`, or throws when another service of this app took it:
 * ECS refuses a second service with the same discovery name in a namespace at deploy. @internal
 */
export function claimServiceConnectName(scope: IConstruct, namespace: servicediscovery.INamespace, name: string): void {
  let taken = namesTaken.get(namespace);
  if (!taken) {
    taken = new Map();
    namesTaken.set(namespace, taken);
  }
  const owner = taken.get(name);
  if (owner !== undefined) {
    throw new ValidationError(scope,
      `serviceConnect.dnsName '${name}' is already the name of '${owner}' in the cluster's Service Connect namespace, and ECS requires ` +
      'each name to be unique there (the second service would fail to deploy). Give this service another dnsName.');
  }
  taken.set(name, scope.node.path);
}

/** The namespace (path) each service has joined through this library, to configure each service once. */
const clients = new WeakMap<ecs.BaseService, string>();

/** Records that `service` joined `namespace` with a configuration of its own (a server). @internal */
export function markServiceConnected(service: ecs.BaseService, namespace: servicediscovery.INamespace): void {
  clients.set(service, namespace.node.path);
}

/**
 * Makes `client` a Service Connect client of `namespace` (idempotent) and lets its tasks reach the
 * server's tasks on `port` only. The rule lives in the client's stack, so a client of another stack
 * needs no reference from the server's stack back to it.
 * @internal
 */
export function connectClient(
  server: IConstruct,
  serverGroups: ec2.ISecurityGroup[],
  client: ecs.BaseService,
  namespace: servicediscovery.INamespace,
  port: number,
): void {
  const current = clients.get(client);
  if (current === undefined) {
    try {
      client.enableServiceConnect({ namespace: namespace.namespaceArn });
    } catch (e) {
      throw new ValidationError(server,
        `the client service '${client.node.path}' already has a Service Connect configuration of its own, so it cannot also join ` +
        `namespace ${namespace.node.path}. Give it the namespace in that configuration (it then reaches this service by name) and ` +
        `allow the port with connections.allowFrom. (${(e as Error).message})`);
    }
    clients.set(client, namespace.node.path);
  } else if (current !== namespace.node.path) {
    throw new ValidationError(server,
      `the client service '${client.node.path}' is a Service Connect client of namespace ${current}, and a service joins one namespace only. ` +
      'Put both servers in the same cluster (one namespace per WorkloadCluster), or call this one through its load balancer.');
  }
  if (client.connections.securityGroups.length === 0) {
    throw new ValidationError(server,
      `the client service '${client.node.path}' has no security group (it does not use awsvpc networking), so no rule can admit exactly its tasks. ` +
      'Run the client with awsvpc networking (every workload of this library does).');
  }
  for (const serverGroup of serverGroups) {
    for (const clientGroup of client.connections.securityGroups) {
      serverGroup.addIngressRule(clientGroup, ec2.Port.tcp(port), `Service Connect from ${client.node.path}`, /* remoteRule */ true);
    }
  }
}

/**
 * The role ECS assumes to issue the Service Connect TLS certificates of one service: the statements of
 * the AWS managed policy `AmazonECSInfrastructureRolePolicyForServiceConnectTransportLayerSecurity`
 * (v4), with the certificate authority and the secrets limited to this account and Region.
 * @internal
 */
export function serviceConnectTlsRole(scope: Construct, authority: acmpca.ICertificateAuthority): iam.IRole {
  const stack = Stack.of(scope);
  const role = new WorkloadRole(scope, 'ServiceConnectTlsRole', {
    assumedBy: new iam.ServicePrincipal('ecs.amazonaws.com'),
    description: `ECS issues the Service Connect TLS certificates of ${scope.node.path}`,
  });
  const secrets = `arn:${stack.partition}:secretsmanager:${stack.region}:${stack.account}:secret:ecs-sc!*`;
  const createdBy = {
    'aws:RequestTag/AmazonECSCreated': [
      `arn:${stack.partition}:ecs:${stack.region}:${stack.account}:service/*/*`,
      `arn:${stack.partition}:ecs:${stack.region}:${stack.account}:task-set/*/*`,
    ],
  };
  const requestTags = { 'aws:RequestTag/AmazonECSManaged': 'true', 'aws:ResourceAccount': stack.account };
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['secretsmanager:CreateSecret', 'secretsmanager:TagResource'],
    resources: [secrets],
    conditions: { ArnLike: createdBy, StringEquals: requestTags },
  }));
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: [
      'secretsmanager:UpdateSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue',
      'secretsmanager:DeleteSecret', 'secretsmanager:RotateSecret', 'secretsmanager:UpdateSecretVersionStage',
    ],
    resources: [secrets],
    conditions: { StringEquals: { 'secretsmanager:ResourceTag/aws:secretsmanager:owningService': 'ecs-sc', 'aws:ResourceAccount': stack.account } },
  }));
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['secretsmanager:DescribeSecret'],
    resources: [secrets],
    conditions: { StringEquals: { 'aws:ResourceAccount': stack.account } },
  }));
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['acm-pca:GetCertificate', 'acm-pca:GetCertificateAuthorityCertificate', 'acm-pca:DescribeCertificateAuthority'],
    resources: [authority.certificateAuthorityArn],
    conditions: { StringEquals: { 'aws:ResourceTag/AmazonECSManaged': 'true' } },
  }));
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['acm-pca:IssueCertificate'],
    resources: [authority.certificateAuthorityArn],
    conditions: {
      StringEquals: {
        'aws:ResourceTag/AmazonECSManaged': 'true',
        'acm-pca:TemplateArn': `arn:${stack.partition}:acm-pca:::template/EndEntityCertificate/V1`,
      },
    },
  }));
  acknowledgeResourceWildcards(role, [{
    resource: secrets,
    reason: 'ECS names the secrets that hold each task\'s TLS key at run time (prefix ecs-sc!); creation needs the AmazonECSManaged and AmazonECSCreated tags of this account\'s services, and every other action the ecs-sc owning-service tag.',
  }]);
  return role;
}
