/**
 * Offline IAM evaluation of one *hop* of a runtime path: "will AWS allow this caller this action on
 * this resource, with this request context?", from the resolved templates of an app.
 *
 * The caller's identity policies come from the templates (every `AWS::IAM::ManagedPolicy` /
 * `AWS::IAM::Policy` attached to its role, and the role's inline `Policies`); the resource policy is
 * found by the resource's ARN (bucket, queue, topic, key, file system policy, role trust policy).
 * Evaluation is `@cloud-copilot/iam-simulate` (AGPL-3.0-or-later, test-only devDependency).
 */
import { getDenialReasons, getGrantReasons, runSimulation, type RequestAnalysis, type SimulationIdentityPolicy } from '@cloud-copilot/iam-simulate';
import { App, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { ACCOUNT, AppTemplates, OTHER_ACCOUNT, PARTITION, REGION, ResolvedTemplate, appTemplates, logicalIdOf } from './template';

/** A policy document. */
export type PolicyDocument = { readonly Version?: string; readonly Statement: any[] | any };

/** Request context keys and values. */
export type Context = { readonly [key: string]: string | string[] };

/** Who makes the call. */
export type Caller =
  /** A role of the app: its construct, or its logical id (with the stack name when several stacks have one). */
  | { readonly role: IConstruct | string; readonly stack?: string }
  /** A service principal calling on its own behalf (`events.amazonaws.com`). */
  | { readonly service: string }
  /** Any other principal ARN (another account's role, a service-linked role) with the identity policies given. */
  | { readonly arn: string; readonly identityPolicies?: PolicyDocument[]; readonly name?: string };

/** One call of a runtime path. */
export interface Hop {
  readonly caller: Caller;
  readonly action: string;
  /** The ARN of the resource, or `*` for an action called without one (its resource types all optional). */
  readonly resource: string;
  /** Request context, on top of the defaults (TLS on, `aws:PrincipalArn`, `aws:PrincipalAccount`, ...). */
  readonly context?: Context;
  /** What the hop is, for messages. */
  readonly label?: string;
}

/** The verdict on a hop. */
interface HopResult {
  readonly hop: Hop;
  readonly decision: 'ALLOW' | 'DENY';
  /** iam-simulate's result: Allowed, ExplicitlyDenied or ImplicitlyDenied. */
  readonly result: string;
  /** The decisive statements, and near misses for an implicit deny. */
  readonly reasons: string[];
  /** One line: the hop, the decision and why. */
  readonly summary: string;
}

/** Allow-all identity policy of a role in another account: the question is only whether our resource policy lets it in. */
export function otherAccountRole(account: string = OTHER_ACCOUNT, name: string = 'Intruder'): Caller {
  return {
    arn: `arn:${PARTITION}:iam::${account}:role/${name}`,
    name: `role ${name} of account ${account}`,
    identityPolicies: [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }],
  };
}

/**
 * The EC2 Auto Scaling service-linked role of the account. Its AWS managed policy
 * (`AutoScalingServiceRolePolicy`) cannot be loaded offline; `identityPolicies` holds the one
 * permission of it the hops here need (SNS notifications: `sns:Publish` on any topic), as AWS
 * documents it. KMS permissions of this role come only from key policies.
 */
export const AUTOSCALING_SERVICE_LINKED_ROLE: Caller = {
  arn: `arn:${PARTITION}:iam::${ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`,
  name: 'AWSServiceRoleForAutoScaling',
  identityPolicies: [{ Version: '2012-10-17', Statement: [{ Sid: 'AutoScalingServiceRolePolicyExcerpt', Effect: 'Allow', Action: 'sns:Publish', Resource: '*' }] }],
};

/** Evaluates one hop against the resolved templates of an app (or of the app of a stack). */
export async function evaluateHop(scope: AppTemplates | App | Stack, hop: Hop): Promise<HopResult> {
  const templates = scope instanceof AppTemplates ? scope : appTemplates(scope);
  const index = indexOf(templates);
  const caller = resolveCaller(templates, index, hop.caller);
  const target = resourcePolicyFor(index, hop);
  const resourceAccount = accountOfArn(hop.resource);

  const context: { [key: string]: string | string[] } = { 'aws:SecureTransport': 'true', ...caller.context };
  if (hop.action.toLowerCase().startsWith('s3:')) context['s3:TlsVersion'] = '1.3';
  Object.assign(context, hop.context ?? {});
  // The default SNS topic policy admits callers by AWS:SourceOwner, which SNS sets to the account a
  // service publishes for (aws:SourceAccount) and to the caller's account otherwise.
  if (target?.defaultTopicPolicy) context['AWS:SourceOwner'] = String(context['aws:SourceAccount'] ?? caller.account);

  const simulation = {
    request: {
      principal: caller.principal,
      action: hop.action,
      resource: { resource: hop.resource, accountId: resourceAccount },
      contextVariables: rewriteContext(context),
    },
    identityPolicies: caller.identityPolicies.map(p => ({ name: p.name, policy: rewritePolicy(p.policy) })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: target ? rewritePolicy(target.policy) : undefined,
  };
  const response = await runSimulation(simulation, {});
  const call = `${caller.name} ${hop.action} ${hop.resource}`;
  const label = hop.label ? `${hop.label} (${call})` : call;
  if (response.resultType === 'error') {
    throw new Error(`${label}: iam-simulate rejected the request: ${response.errors.message} ${JSON.stringify(response.errors)}`);
  }
  let analysis: RequestAnalysis | undefined;
  let ignored: string[];
  if (response.resultType === 'single') {
    analysis = response.result.analysis;
    ignored = response.result.ignoredContextKeys ?? [];
  } else if (hop.resource === '*') {
    // `*` for an action whose resource types are all optional (cloudwatch:PutMetricData without a
    // dataset): AWS authorizes the call against `*`. iam-simulate answers per resource type, and
    // leaves out the analyses that were implicitly denied.
    const found = response.results.find(r => r.analysis.result === response.overallResult) ?? response.results[0];
    analysis = found?.analysis;
    ignored = found?.ignoredContextKeys ?? [];
  } else {
    throw new Error(`${label}: give a concrete resource ARN, not a pattern (${hop.resource})`);
  }
  const reasons = analysis
    ? explain(analysis, caller, target).map(unrewrite)
    : [`no statement allows it on * with this request context ${JSON.stringify(hop.context ?? {})}`];
  if (ignored.length > 0) reasons.push(`context keys not applicable to ${hop.action}, ignored: ${ignored.map(unrewrite).join(', ')}`);
  if (caller.unloaded.length > 0) reasons.push(`AWS managed policies of the caller not loaded (their permissions are missing): ${caller.unloaded.join(', ')}`);
  const decision = response.overallResult === 'Allowed' ? 'ALLOW' : 'DENY';
  const summary = `${label} → ${decision} (${response.overallResult}): ${reasons.join('; ')}`;
  return { hop, decision, result: response.overallResult, reasons, summary };
}

/** `sts:AssumeRole` of a role (by construct or ARN) by a principal, evaluated against its trust policy. */
export function assumeRoleHop(role: string, caller: Caller, context: Context = {}, label?: string): Hop {
  return { caller, action: 'sts:AssumeRole', resource: role, context, label: label ?? `assume ${role.split('/').pop()}` };
}

/** How a KMS call is made: through which service, for which resource (sets the encryption context). */
interface KmsUse {
  /** The service that calls KMS for the caller, or whose resource is encrypted: sqs, sns, logs, s3, scheduler. */
  readonly service: 'sqs' | 'sns' | 'logs' | 's3' | 'scheduler';
  /** The ARN of the encrypted resource (queue, topic, log group without `:*`, bucket or object, schedule). */
  readonly resourceArn: string;
  /** The account of the caller (kms:CallerAccount); the app's account by default. */
  readonly callerAccount?: string;
  /** Whether the call comes through the service for a role (sets kms:ViaService); false when a service principal calls itself. */
  readonly viaService?: boolean;
}

/**
 * A KMS hop with the request context AWS sends: `kms:EncryptionContext:<key>` of the service
 * (`aws:sqs:arn`, `aws:sns:topicArn`, `aws:logs:arn`, `aws:s3:arn`, `aws:scheduler:schedule-arn`),
 * `kms:EncryptionContextKeys`, `kms:CallerAccount` and, for calls made through a service,
 * `kms:ViaService`.
 */
export function kmsHop(caller: Caller, action: string, keyArn: string, use: KmsUse, context: Context = {}, label?: string): Hop {
  const ecKey = { sqs: 'aws:sqs:arn', sns: 'aws:sns:topicArn', logs: 'aws:logs:arn', s3: 'aws:s3:arn', scheduler: 'aws:scheduler:schedule-arn' }[use.service];
  const full: { [key: string]: string | string[] } = {
    [`kms:EncryptionContext:${ecKey}`]: use.resourceArn.replace(/:\*$/, ''),
    'kms:EncryptionContextKeys': [ecKey],
    'kms:CallerAccount': use.callerAccount ?? ACCOUNT,
  };
  if (use.viaService ?? !('service' in caller)) full['kms:ViaService'] = `${use.service}.${REGION}.amazonaws.com`;
  return { caller, action, resource: keyArn, context: { ...full, ...context }, label: label ?? `${action} on ${keyArn.split('/').pop()} for ${use.service}` };
}

// ~~~ derived hops ~~~

/**
 * The hops every template implies, without a table:
 * - each `AWS::CloudWatch::Alarm` action that is an SNS topic of the app: cloudwatch.amazonaws.com
 *   may `sns:Publish` to it (aws:SourceArn = the alarm, aws:SourceAccount) and use its KMS key;
 * - each `AWS::Events::Rule` target (and target dead-letter queue) that is an SQS queue or SNS topic:
 *   events.amazonaws.com may send / publish with aws:SourceArn = the rule (+ KMS); a target role
 *   trusts events.amazonaws.com;
 * - each `AWS::Scheduler::Schedule`: its role trusts scheduler.amazonaws.com (aws:SourceArn = its
 *   schedule group), may call the target's action, pass the task's roles, send to its dead-letter
 *   queue, and decrypt with the schedule's key.
 */
export function derivedHops(template: ResolvedTemplate): Hop[] {
  const index = indexOf(template.app);
  const hops: Hop[] = [];
  const source = (arn: string) => ({ 'aws:SourceArn': arn, 'aws:SourceAccount': ACCOUNT });
  const deliveryHops = (service: string, what: string, targetArn: string, context: Context) => {
    const caller = { service };
    if (targetArn.startsWith(`arn:${PARTITION}:sns:`) && index.topics.has(targetArn)) {
      hops.push({ caller, action: 'sns:Publish', resource: targetArn, context, label: `${what} publishes to topic ${nameOfArn(targetArn)}` });
      const key = index.topics.get(targetArn)!;
      if (key) hops.push(...keyHops(caller, key, { service: 'sns', resourceArn: targetArn, viaService: false }, context, `${what} encrypts for topic ${nameOfArn(targetArn)}`));
    } else if (targetArn.startsWith(`arn:${PARTITION}:sqs:`) && index.queues.has(targetArn)) {
      hops.push({ caller, action: 'sqs:SendMessage', resource: targetArn, context, label: `${what} sends to queue ${nameOfArn(targetArn)}` });
      const key = index.queues.get(targetArn)!;
      if (key) hops.push(...keyHops(caller, key, { service: 'sqs', resourceArn: targetArn, viaService: false }, context, `${what} encrypts for queue ${nameOfArn(targetArn)}`));
    }
  };

  for (const id of template.logicalIds('AWS::CloudWatch::Alarm')) {
    const p = template.properties(id);
    const alarmArn = template.getAtt(id, 'Arn');
    for (const action of new Set<string>([...p.AlarmActions ?? [], ...p.OKActions ?? [], ...p.InsufficientDataActions ?? []])) {
      deliveryHops('cloudwatch.amazonaws.com', `alarm ${id}`, action, source(alarmArn));
    }
  }

  for (const id of template.logicalIds('AWS::Events::Rule')) {
    const p = template.properties(id);
    const ruleArn = template.getAtt(id, 'Arn');
    for (const target of p.Targets ?? []) {
      deliveryHops('events.amazonaws.com', `rule ${id}`, target.Arn, source(ruleArn));
      if (target.DeadLetterConfig?.Arn) deliveryHops('events.amazonaws.com', `rule ${id} (dead letters)`, target.DeadLetterConfig.Arn, source(ruleArn));
      if (target.RoleArn && index.roles.has(target.RoleArn)) hops.push(assumeRoleHop(target.RoleArn, { service: 'events.amazonaws.com' }, source(ruleArn), `rule ${id} assumes its target role`));
    }
  }

  for (const id of template.logicalIds('AWS::Scheduler::Schedule')) {
    const p = template.properties(id);
    const scheduleArn = template.getAtt(id, 'Arn');
    const groupArn = `arn:${PARTITION}:scheduler:${REGION}:${ACCOUNT}:schedule-group/${p.GroupName ?? 'default'}`;
    const roleArn: string = p.Target.RoleArn;
    // A role from outside the app: its policies are unknown here.
    if (!index.roles.has(roleArn)) continue;
    const roleCaller = roleCallerOf(index, roleArn);
    hops.push(assumeRoleHop(roleArn, { service: 'scheduler.amazonaws.com' }, { 'aws:SourceArn': groupArn, 'aws:SourceAccount': ACCOUNT }, `scheduler assumes the role of schedule ${id}`));
    const targetArn: string = p.Target.Arn;
    const service = targetArn.split(':')[2];
    if (p.Target.EcsParameters) {
      const taskDefinitionArn: string = p.Target.EcsParameters.TaskDefinitionArn;
      hops.push({ caller: roleCaller, action: 'ecs:RunTask', resource: taskDefinitionArn, context: { 'ecs:cluster': targetArn }, label: `schedule ${id} runs its task` });
      for (const passed of index.taskDefinitionRoles.get(stripRevision(taskDefinitionArn)) ?? []) {
        hops.push({ caller: roleCaller, action: 'iam:PassRole', resource: passed, context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' }, label: `schedule ${id} passes ${nameOfArn(passed)}` });
      }
    } else if (service === 'states') {
      hops.push({ caller: roleCaller, action: 'states:StartExecution', resource: targetArn, label: `schedule ${id} starts its state machine` });
    } else if (service === 'sqs') {
      hops.push({ caller: roleCaller, action: 'sqs:SendMessage', resource: targetArn, label: `schedule ${id} sends to its queue` });
    } else if (service === 'sns') {
      hops.push({ caller: roleCaller, action: 'sns:Publish', resource: targetArn, label: `schedule ${id} publishes to its topic` });
    } else if (service === 'lambda') {
      hops.push({ caller: roleCaller, action: 'lambda:InvokeFunction', resource: targetArn, label: `schedule ${id} invokes its function` });
    }
    const dlq: string | undefined = p.Target.DeadLetterConfig?.Arn;
    if (dlq) {
      hops.push({ caller: roleCaller, action: 'sqs:SendMessage', resource: dlq, label: `schedule ${id} sends to its dead-letter queue` });
      const key = index.queues.get(dlq);
      if (key) hops.push(...keyHops(roleCaller, key, { service: 'sqs', resourceArn: dlq }, {}, `schedule ${id} encrypts for its dead-letter queue`));
    }
    if (p.KmsKeyArn) {
      hops.push(kmsHop(roleCaller, 'kms:Decrypt', p.KmsKeyArn, { service: 'scheduler', resourceArn: scheduleArn, viaService: false }, {}, `schedule ${id} decrypts its target with its key`));
    }
  }
  return hops;
}

/**
 * Evaluates every derived hop of the stack's template (or of every template of the app) and returns
 * one line per hop AWS would not allow; empty means the paths the templates imply are allowed.
 */
export async function policyProblems(scope: App | Stack): Promise<string[]> {
  const templates = appTemplates(scope);
  const selected = Stack.isStack(scope) ? [templates.of(scope)] : templates.all();
  const hops = selected.flatMap(t => derivedHops(t).map(h => ({ ...h, label: `${t.stackName}: ${h.label}` })));
  return (await Promise.all(hops.map(h => evaluateHop(templates, h)))).filter(r => r.decision !== 'ALLOW').map(r => r.summary);
}

// ~~~ internals ~~~

interface ResolvedCaller {
  readonly principal: string;
  readonly name: string;
  readonly account: string;
  readonly identityPolicies: SimulationIdentityPolicy[];
  readonly unloaded: string[];
  readonly context: Context;
}

interface ResourcePolicy {
  readonly policy: { Version: string; Statement: any[] };
  /** Where each statement came from, by index. */
  readonly sources: string[];
  readonly defaultTopicPolicy?: boolean;
}

interface RoleEntry { readonly template: ResolvedTemplate; readonly logicalId: string; readonly name: string; readonly arn: string }

interface Index {
  readonly roles: Map<string, RoleEntry>;
  readonly rolePolicies: Map<string, SimulationIdentityPolicy[]>;
  readonly managedPolicies: Map<string, PolicyDocument>;
  readonly bucketPolicies: Map<string, ResourcePolicy>;
  readonly queuePolicies: Map<string, ResourcePolicy>;
  readonly topicPolicies: Map<string, ResourcePolicy>;
  /** Queue ARN → its KMS key ARN ('' when not encrypted with a key of the app). */
  readonly queues: Map<string, string>;
  /** Topic ARN → its KMS key ARN ('' when not encrypted with a key of the app). */
  readonly topics: Map<string, string>;
  readonly keyPolicies: Map<string, ResourcePolicy>;
  readonly fileSystemPolicies: Map<string, ResourcePolicy | undefined>;
  /** Task definition ARN without revision → its task and execution role ARNs. */
  readonly taskDefinitionRoles: Map<string, string[]>;
}

const indexes = new WeakMap<AppTemplates, Index>();

function indexOf(templates: AppTemplates): Index {
  let index = indexes.get(templates);
  if (index) return index;
  index = {
    roles: new Map(),
    rolePolicies: new Map(),
    managedPolicies: new Map(),
    bucketPolicies: new Map(),
    queuePolicies: new Map(),
    topicPolicies: new Map(),
    queues: new Map(),
    topics: new Map(),
    keyPolicies: new Map(),
    fileSystemPolicies: new Map(),
    taskDefinitionRoles: new Map(),
  };
  const keyArnOf = (value: unknown): string => {
    if (typeof value !== 'string') return '';
    // An AWS managed key (alias/aws/sqs, alias/aws/sns): modelled by its documented key policy.
    const managed = /(?:^|:)alias\/aws\/([a-z0-9-]+)$/.exec(value);
    if (managed) return `${AWS_MANAGED_KEY_PREFIX}${managed[1]}`;
    // A key of the app, by ARN or key id.
    for (const tt of templates.all()) {
      for (const id of tt.logicalIds('AWS::KMS::Key')) {
        const keyArn = tt.getAtt(id, 'Arn');
        if (value === keyArn || value === tt.ref(id)) return keyArn;
      }
    }
    // A key outside the app: its policy is unknown, so no KMS hop can be evaluated.
    return '';
  };
  const add = (map: Map<string, ResourcePolicy>, key: string, doc: PolicyDocument, source: string) => {
    const statements = [doc.Statement].flat();
    const existing = map.get(key);
    map.set(key, {
      policy: { Version: doc.Version ?? '2012-10-17', Statement: [...existing?.policy.Statement ?? [], ...statements] },
      sources: [...existing?.sources ?? [], ...statements.map(() => source)],
    });
  };
  for (const t of templates.all()) {
    for (const id of t.logicalIds('AWS::IAM::Role')) {
      const entry = { template: t, logicalId: id, name: t.physicalName(id), arn: t.getAtt(id, 'Arn') };
      index.roles.set(entry.arn, entry);
    }
    for (const id of t.logicalIds('AWS::IAM::ManagedPolicy')) index.managedPolicies.set(t.ref(id), t.properties(id).PolicyDocument);
    for (const type of ['AWS::IAM::ManagedPolicy', 'AWS::IAM::Policy']) {
      for (const id of t.logicalIds(type)) {
        const p = t.properties(id);
        for (const role of p.Roles ?? []) {
          const list = index.rolePolicies.get(role) ?? [];
          list.push({ name: `${t.stackName}/${id}`, policy: p.PolicyDocument });
          index.rolePolicies.set(role, list);
        }
      }
    }
    for (const id of t.logicalIds('AWS::S3::BucketPolicy')) {
      const p = t.properties(id);
      add(index.bucketPolicies, p.Bucket, p.PolicyDocument, `bucket policy ${t.stackName}/${id}`);
    }
    for (const id of t.logicalIds('AWS::SQS::QueuePolicy')) {
      const p = t.properties(id);
      for (const url of p.Queues ?? []) add(index.queuePolicies, queueArnOfUrl(url), p.PolicyDocument, `queue policy ${t.stackName}/${id}`);
    }
    for (const id of t.logicalIds('AWS::SNS::TopicPolicy')) {
      const p = t.properties(id);
      for (const arn of p.Topics ?? []) add(index.topicPolicies, arn, p.PolicyDocument, `topic policy ${t.stackName}/${id}`);
    }
    for (const id of t.logicalIds('AWS::SQS::Queue')) index.queues.set(t.getAtt(id, 'Arn'), keyArnOf(t.properties(id).KmsMasterKeyId));
    for (const id of t.logicalIds('AWS::SNS::Topic')) index.topics.set(t.ref(id), keyArnOf(t.properties(id).KmsMasterKeyId));
    for (const id of t.logicalIds('AWS::KMS::Key')) add(index.keyPolicies, t.getAtt(id, 'Arn'), t.properties(id).KeyPolicy, `key policy of ${t.stackName}/${id}`);
    for (const id of t.logicalIds('AWS::EFS::FileSystem')) {
      const doc = t.properties(id).FileSystemPolicy;
      const map = new Map<string, ResourcePolicy>();
      if (doc) add(map, 'fs', doc, `file system policy of ${t.stackName}/${id}`);
      index.fileSystemPolicies.set(t.getAtt(id, 'Arn'), map.get('fs'));
    }
    for (const id of t.logicalIds('AWS::ECS::TaskDefinition')) {
      const p = t.properties(id);
      index.taskDefinitionRoles.set(stripRevision(t.ref(id)), [p.TaskRoleArn, p.ExecutionRoleArn].filter((r): r is string => typeof r === 'string'));
    }
  }
  indexes.set(templates, index);
  return index;
}

function roleCallerOf(index: Index, roleArn: string): Caller {
  const entry = index.roles.get(roleArn)!;
  return { role: entry.logicalId, stack: entry.template.stackName };
}

function resolveCaller(templates: AppTemplates, index: Index, caller: Caller): ResolvedCaller {
  if ('service' in caller) {
    return {
      principal: caller.service,
      name: caller.service,
      account: ACCOUNT,
      identityPolicies: [],
      unloaded: [],
      context: { 'aws:PrincipalIsAWSService': 'true', 'aws:PrincipalServiceName': caller.service },
    };
  }
  if ('arn' in caller) {
    const account = accountOfArn(caller.arn);
    return {
      principal: caller.arn,
      name: caller.name ?? caller.arn,
      account,
      identityPolicies: (caller.identityPolicies ?? []).map((policy, i) => ({ name: `given-${i + 1}`, policy })),
      unloaded: [],
      context: { 'aws:PrincipalArn': caller.arn, 'aws:PrincipalAccount': account, 'aws:PrincipalIsAWSService': 'false' },
    };
  }
  let entry: RoleEntry | undefined;
  if (typeof caller.role === 'string') {
    const matches = [...index.roles.values()]
      .filter(r => r.logicalId === caller.role && (caller.stack === undefined || r.template.stackName === caller.stack));
    if (matches.length !== 1) throw new Error(`role ${caller.role}${caller.stack ? ` in ${caller.stack}` : ''}: ${matches.length} roles of the app have this logical id`);
    entry = matches[0];
  } else {
    const t = templates.of(Stack.of(caller.role));
    const arn = t.getAtt(logicalIdOf(caller.role), 'Arn');
    entry = index.roles.get(arn);
  }
  if (!entry) throw new Error(`caller ${JSON.stringify(caller.role)} is not a role of the app`);
  const props = entry.template.properties(entry.logicalId);
  const policies = [...index.rolePolicies.get(entry.name) ?? []];
  for (const inline of props.Policies ?? []) policies.push({ name: `${entry.logicalId}/${inline.PolicyName}`, policy: inline.PolicyDocument });
  const unloaded: string[] = [];
  for (const arn of props.ManagedPolicyArns ?? []) {
    const doc = index.managedPolicies.get(arn);
    if (doc) policies.push({ name: arn, policy: doc });
    else unloaded.push(arn);
  }
  return {
    principal: entry.arn,
    name: `role ${entry.logicalId}`,
    account: ACCOUNT,
    identityPolicies: policies,
    unloaded,
    context: { 'aws:PrincipalArn': entry.arn, 'aws:PrincipalAccount': ACCOUNT, 'aws:PrincipalIsAWSService': 'false' },
  };
}

/** The resource policy AWS evaluates for the hop, or undefined when the resource has none. */
function resourcePolicyFor(index: Index, hop: Hop): ResourcePolicy | undefined {
  const arn = hop.resource;
  const [, , service, , , rest] = arn.split(':');
  if (/^sts:AssumeRole/i.test(hop.action)) {
    const role = index.roles.get(arn);
    if (!role) throw new Error(`${hop.action} on ${arn}: no role of the app has this ARN`);
    const doc = role.template.properties(role.logicalId).AssumeRolePolicyDocument;
    const statements = [doc.Statement].flat();
    return { policy: { Version: doc.Version ?? '2012-10-17', Statement: statements }, sources: statements.map(() => `trust policy of ${role.template.stackName}/${role.logicalId}`) };
  }
  switch (service) {
    case 's3': return index.bucketPolicies.get(arn.split(':::')[1].split('/')[0]);
    case 'sqs': return index.queuePolicies.get(arn);
    case 'sns': {
      const found = index.topicPolicies.get(arn);
      if (found) return found;
      // Without a TopicPolicy, a topic has its default policy: principals of the owner account only.
      const statement = {
        Sid: '__default_statement_ID',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: ['SNS:GetTopicAttributes', 'SNS:SetTopicAttributes', 'SNS:AddPermission', 'SNS:RemovePermission', 'SNS:DeleteTopic', 'SNS:Subscribe', 'SNS:ListSubscriptionsByTopic', 'SNS:Publish'],
        Resource: arn,
        Condition: { StringEquals: { 'AWS:SourceOwner': accountOfArn(arn) } },
      };
      return { policy: { Version: '2008-10-17', Statement: [statement] }, sources: ['default topic policy (no AWS::SNS::TopicPolicy)'], defaultTopicPolicy: true };
    }
    case 'kms': {
      if (arn.startsWith(AWS_MANAGED_KEY_PREFIX)) return awsManagedKeyPolicy(arn.slice(AWS_MANAGED_KEY_PREFIX.length));
      const policy = index.keyPolicies.get(arn);
      if (!policy) throw new Error(`${hop.action} on ${arn}: not a KMS key of the app (an AWS managed key or an alias cannot be evaluated here)`);
      return policy;
    }
    case 'elasticfilesystem':
      if (rest?.startsWith('file-system/')) return index.fileSystemPolicies.get(arn);
      return undefined;
    default: return undefined;
  }
}

/** Synthetic key ARN of the AWS managed key of a service (`alias/aws/<service>`). */
const AWS_MANAGED_KEY_PREFIX = `arn:${PARTITION}:kms:${REGION}:${ACCOUNT}:key/aws-managed-`;

/**
 * The key policy AWS gives its managed key of a service: principals of the account, through that
 * service only. A service principal (cloudwatch.amazonaws.com, events.amazonaws.com) cannot use it.
 */
function awsManagedKeyPolicy(service: string): ResourcePolicy {
  const statement = {
    Sid: `Allow access through ${service} for all principals in the account that are authorized to use ${service}`,
    Effect: 'Allow',
    Principal: { AWS: '*' },
    Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:CreateGrant', 'kms:DescribeKey'],
    Resource: '*',
    Condition: { StringEquals: { 'kms:CallerAccount': ACCOUNT, 'kms:ViaService': `${service}.${REGION}.amazonaws.com` } },
  };
  return { policy: { Version: '2012-10-17', Statement: [statement] }, sources: [`policy of the AWS managed key alias/aws/${service}`] };
}

/** The decisive statements of an analysis, and near misses when nothing allows. */
function explain(analysis: RequestAnalysis, caller: ResolvedCaller, target: ResourcePolicy | undefined): string[] {
  const reasons: string[] = [];
  const identityStatement = (policyName: string, i: number) => {
    const p = caller.identityPolicies.find(x => x.name === policyName);
    return p ? [p.policy.Statement].flat()[i - 1] : undefined;
  };
  const show = (s: unknown) => compact(JSON.stringify(s));
  if (analysis.result === 'Allowed') {
    for (const g of getGrantReasons(analysis)) {
      if (g.policyType === 'resource') reasons.push(`allowed by ${target?.sources[g.statementIndex - 1] ?? 'resource policy'} #${g.statementIndex}: ${show(target?.policy.Statement[g.statementIndex - 1])}`);
      else if (g.policyType === 'identity') reasons.push(`allowed by identity policy ${g.policyIdentifier} #${g.statementIndex}: ${show(identityStatement(g.policyIdentifier, g.statementIndex))}`);
      else reasons.push(`allowed by ${g.policyType}`);
    }
    return reasons;
  }
  for (const d of getDenialReasons(analysis)) {
    if (d.denialType === 'Explicit') {
      const statement = d.policyType === 'resource' ? target?.policy.Statement[d.statementIndex - 1] : identityStatement(d.policyIdentifier ?? '', d.statementIndex);
      const where = d.policyType === 'resource' ? target?.sources[d.statementIndex - 1] ?? 'resource policy' : `identity policy ${d.policyIdentifier}`;
      reasons.push(`explicitly denied by ${where} #${d.statementIndex}: ${show(statement)}`);
    } else if (d.policyType === 'resource') {
      reasons.push(target ? `no statement of the ${target.sources[0]} allows it` : 'the resource has no resource policy to allow it');
    } else if (d.policyType === 'identity') {
      reasons.push(caller.identityPolicies.length > 0 ? `no identity policy of ${caller.name} allows it` : `${caller.name} has no identity policy: only a resource-policy allow can admit it`);
    } else {
      reasons.push(`implicitly denied by ${d.policyType}`);
    }
  }
  // Near misses: statements that match action, resource and principal but not their condition.
  const nearMisses = [
    ...(analysis.resourceAnalysis?.unmatchedStatements ?? []).map(s => ({ s, where: 'resource policy' })),
    ...(analysis.identityAnalysis?.unmatchedStatements ?? []).map(s => ({ s, where: `identity policy ${s.policyId}` })),
  ].filter(({ s }) => s.explain.effect === 'Allow' && s.explain.actionMatch && s.explain.resourceMatch && s.explain.principalMatch !== 'NoMatch' && !s.explain.conditionMatch);
  for (const { s, where } of nearMisses) {
    const failed = (s.explain.conditions ?? []).filter(c => !c.matches)
      .map(c => `${c.operator} ${c.conditionKeyValue} ${[c.values].flat().map(v => v.value).join('|')} (request: ${c.resolvedConditionKeyValue ?? 'absent'})`);
    reasons.push(`${where} statement ${s.explain.identifier} would allow it, but its condition fails: ${failed.join(', ')}`);
  }
  return reasons;
}

/** iam-simulate drops context keys like `kms:EncryptionContext:aws:logs:arn` (a variable key without '/'); carry them under a key it keeps. */
const EC_PREFIX = 'kms:encryptioncontext:';
const EC_CARRIER = 'aws:RequestTag/';

function rewriteKey(key: string): string {
  return key.toLowerCase().startsWith(EC_PREFIX) ? `${EC_CARRIER}${key}` : key;
}

function rewriteContext(context: Context): { [key: string]: string | string[] } {
  return Object.fromEntries(Object.entries(context).map(([k, v]) => [rewriteKey(k), v]));
}

function rewritePolicy(policy: any): any {
  const statements = [policy.Statement].flat().map((s: any) => {
    if (!s.Condition) return s;
    const condition: { [op: string]: any } = {};
    for (const [op, keys] of Object.entries<any>(s.Condition)) {
      condition[op] = Object.fromEntries(Object.entries(keys).map(([k, v]) => [rewriteKey(k), v]));
    }
    return { ...s, Condition: condition };
  });
  return { ...policy, Statement: statements };
}

function unrewrite(text: string): string {
  return text.split(EC_CARRIER + 'kms:').join('kms:').split(EC_CARRIER.toLowerCase() + 'kms:').join('kms:');
}

function keyHops(caller: Caller, keyArn: string, use: KmsUse, context: Context, label: string): Hop[] {
  if (!keyArn) return [];
  return ['kms:GenerateDataKey', 'kms:Decrypt'].map(action => kmsHop(caller, action, keyArn, use, context, `${label} (${action})`));
}

function queueArnOfUrl(url: string): string {
  const m = /^https:\/\/sqs\.([^.]+)\.[^/]+\/(\d+)\/(.+)$/.exec(url);
  if (!m) throw new Error(`not a queue URL: ${url}`);
  return `arn:${PARTITION}:sqs:${m[1]}:${m[2]}:${m[3]}`;
}

function accountOfArn(arn: string): string {
  return arn.split(':')[4] || ACCOUNT;
}

function nameOfArn(arn: string): string {
  return arn.split(/[:/]/).pop() ?? arn;
}

function stripRevision(taskDefinitionArn: string): string {
  return taskDefinitionArn.replace(/:\d+$/, '');
}

function compact(text: string | undefined): string {
  if (text === undefined) return '(statement not found)';
  return text.length > 400 ? `${text.slice(0, 400)}…` : text;
}
