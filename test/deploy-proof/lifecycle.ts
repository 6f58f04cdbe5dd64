/**
 * Lifecycle order of synthesized templates, evaluated the way CloudFormation orders work.
 *
 * CloudFormation creates a resource only after every resource it depends on (`DependsOn`, `Ref`,
 * `Fn::GetAtt`, `Fn::Sub` `${X}` / `${X.Attr}`, and across stacks `Fn::ImportValue` and the stack's
 * own dependencies), and deletes it before them. Two resources with no path between them are created
 * and deleted in parallel. The rules below name the pairs where parallel is not good enough: AWS
 * accepts the API call but the workload fails to start, or `cdk destroy` fails.
 */
import { Stack, Stage } from 'aws-cdk-lib';

/** One resource of a template, as JSON. */
export interface CfnResourceJson {
  readonly Type: string;
  readonly Properties?: { [key: string]: any };
  readonly DependsOn?: string | string[];
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
  readonly Metadata?: { [key: string]: any };
}

/** A CloudFormation template, as JSON (`Template.fromStack(stack).toJSON()`). */
export interface CfnTemplate {
  readonly Resources?: { [logicalId: string]: CfnResourceJson };
  readonly Outputs?: { [id: string]: any };
  readonly [section: string]: any;
}

/** The template of one stack of an app, with the names of the stacks it is deployed after. */
export interface StackTemplate {
  readonly stackName: string;
  readonly template: CfnTemplate;
  /** Stacks this one depends on (`stack.dependencies`): all of its resources come after theirs. */
  readonly dependencies?: string[];
}

/** One template, or the templates of the stacks of one app. */
export type Templates = CfnTemplate | StackTemplate[];

/** A resource of the model. */
export interface ResourceNode {
  /** `stackName/logicalId`, unique in the model. */
  readonly key: string;
  readonly stackName: string;
  readonly logicalId: string;
  readonly type: string;
  readonly resource: CfnResourceJson;
  readonly properties: { [key: string]: any };
}

/**
 * Synthesizes the app of the given stacks once and returns their templates with their stack
 * dependencies, ready for {@link orderProblems} and the network checks.
 */
export function stackTemplates(...stacks: Stack[]): StackTemplate[] {
  const stage = Stage.of(stacks[0]);
  if (!stage) throw new Error('the stacks are not in an app');
  const assembly = stage.synth();
  return stacks.map(stack => ({
    stackName: stack.stackName,
    template: assembly.getStackArtifact(stack.artifactId).template as CfnTemplate,
    dependencies: stack.dependencies.map(d => d.stackName),
  }));
}

function isStackList(input: Templates): input is StackTemplate[] {
  return Array.isArray(input);
}

/**
 * The resources of one template or app, their references and dependency graph.
 */
export class DeployModel {
  /** Every resource, in template order. */
  public readonly nodes: ResourceNode[] = [];
  private readonly byKey = new Map<string, ResourceNode>();
  private readonly stackDeps = new Map<string, Set<string>>();
  private readonly exports = new Map<string, { stackName: string; value: unknown }>();
  private readonly deps = new Map<string, Set<string>>();
  private readonly single: boolean;

  constructor(input: Templates) {
    const stacks: StackTemplate[] = isStackList(input) ? input : [{ stackName: '', template: input }];
    this.single = !isStackList(input);
    for (const s of stacks) {
      for (const [logicalId, resource] of Object.entries(s.template.Resources ?? {})) {
        const node: ResourceNode = {
          key: `${s.stackName}/${logicalId}`,
          stackName: s.stackName,
          logicalId,
          type: resource.Type,
          resource,
          properties: resource.Properties ?? {},
        };
        this.nodes.push(node);
        this.byKey.set(node.key, node);
      }
      for (const output of Object.values<any>(s.template.Outputs ?? {})) {
        const name = output?.Export?.Name;
        if (typeof name === 'string') this.exports.set(name, { stackName: s.stackName, value: output.Value });
      }
    }
    // Transitive closure of the stack dependencies.
    const direct = new Map(stacks.map(s => [s.stackName, s.dependencies ?? []]));
    for (const s of stacks) {
      const seen = new Set<string>();
      const todo = [...direct.get(s.stackName) ?? []];
      while (todo.length > 0) {
        const d = todo.pop()!;
        if (seen.has(d)) continue;
        seen.add(d);
        todo.push(...direct.get(d) ?? []);
      }
      this.stackDeps.set(s.stackName, seen);
    }
    for (const node of this.nodes) {
      const out = new Set<string>();
      const dependsOn = node.resource.DependsOn;
      for (const id of typeof dependsOn === 'string' ? [dependsOn] : dependsOn ?? []) {
        if (this.byKey.has(`${node.stackName}/${id}`)) out.add(`${node.stackName}/${id}`);
      }
      for (const ref of this.refsIn(node.stackName, node.resource.Properties)) out.add(ref.key);
      out.delete(node.key);
      this.deps.set(node.key, out);
    }
  }

  /** The resources of a type. */
  public ofType(type: string): ResourceNode[] {
    return this.nodes.filter(n => n.type === type);
  }

  /** A resource by `logicalId` (one template) or `stackName/logicalId`. */
  public get(id: string): ResourceNode | undefined {
    return this.byKey.get(id) ?? this.byKey.get(`/${id}`);
  }

  /** How messages name a resource: its logical id, prefixed by its stack when the model has several. */
  public name(node: ResourceNode): string {
    return this.single ? node.logicalId : `${node.stackName}/${node.logicalId}`;
  }

  /** The resources a node depends on directly. */
  public directDependencies(node: ResourceNode): ResourceNode[] {
    return [...this.deps.get(node.key) ?? []].map(k => this.byKey.get(k)!);
  }

  /**
   * The resource an expression names (`Ref`, `Fn::GetAtt`, `Fn::ImportValue` of an export of the
   * model, or a `Fn::Sub` that is exactly one `${X}`), or undefined for literals and anything else.
   */
  public resolve(stackName: string, expr: unknown): ResourceNode | undefined {
    if (expr === null || typeof expr !== 'object' || Array.isArray(expr)) return undefined;
    const o = expr as { [k: string]: any };
    const keys = Object.keys(o);
    if (keys.length !== 1) return undefined;
    if (typeof o.Ref === 'string') return this.byKey.get(`${stackName}/${o.Ref}`);
    const getAtt = o['Fn::GetAtt'];
    if (getAtt !== undefined) {
      const id = Array.isArray(getAtt) ? getAtt[0] : typeof getAtt === 'string' ? getAtt.split('.')[0] : undefined;
      return typeof id === 'string' ? this.byKey.get(`${stackName}/${id}`) : undefined;
    }
    const imported = o['Fn::ImportValue'];
    if (typeof imported === 'string') {
      const exp = this.exports.get(imported);
      return exp ? this.resolve(exp.stackName, exp.value) : undefined;
    }
    const sub = o['Fn::Sub'];
    if (typeof sub === 'string') {
      const m = /^\$\{([A-Za-z0-9]+)(\.[A-Za-z0-9.]+)?\}$/.exec(sub);
      return m ? this.byKey.get(`${stackName}/${m[1]}`) : undefined;
    }
    return undefined;
  }

  /** The attribute an expression reads (`Fn::GetAtt` attribute, or `Ref`). */
  public attributeOf(expr: unknown): string | undefined {
    if (expr === null || typeof expr !== 'object') return undefined;
    const o = expr as { [k: string]: any };
    if (typeof o.Ref === 'string') return 'Ref';
    const getAtt = o['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return String(getAtt[1]);
    if (typeof getAtt === 'string') return getAtt.split('.').slice(1).join('.');
    return undefined;
  }

  /** Every resource referenced anywhere in a value (what CloudFormation derives dependencies from). */
  public refsIn(stackName: string, value: unknown): ResourceNode[] {
    const found = new Map<string, ResourceNode>();
    const add = (id: string) => {
      const n = this.byKey.get(`${stackName}/${id}`);
      if (n) found.set(n.key, n);
    };
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) {
        v.forEach(walk);
        return;
      }
      if (v === null || typeof v !== 'object') return;
      const o = v as { [k: string]: any };
      if (typeof o.Ref === 'string') add(o.Ref);
      const getAtt = o['Fn::GetAtt'];
      if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') add(getAtt[0]);
      else if (typeof getAtt === 'string') add(getAtt.split('.')[0]);
      const imported = o['Fn::ImportValue'];
      if (imported !== undefined) {
        const n = this.resolve(stackName, { 'Fn::ImportValue': imported });
        if (n) found.set(n.key, n);
      }
      const sub = o['Fn::Sub'];
      if (sub !== undefined) {
        const [text, vars] = Array.isArray(sub) ? [sub[0], sub[1] ?? {}] : [sub, {}];
        if (typeof text === 'string') {
          for (const m of text.matchAll(/\$\{([^}!][^}]*)\}/g)) {
            const name = m[1].trim().split('.')[0];
            if (!(name in vars)) add(name);
          }
        }
        walk(vars);
      }
      for (const [k, child] of Object.entries(o)) {
        if (k !== 'Fn::Sub' && k !== 'Ref') walk(child);
      }
    };
    walk(value);
    return [...found.values()];
  }

  /**
   * Whether CloudFormation creates `after` only once `before` exists (and deletes it first): a path
   * of dependencies, or a stack dependency of a stack on the path.
   */
  public dependsOn(after: ResourceNode, before: ResourceNode): boolean {
    const seen = new Set<string>([after.key]);
    const todo = [after.key];
    while (todo.length > 0) {
      const k = todo.pop()!;
      const n = this.byKey.get(k)!;
      if (n.stackName !== before.stackName && this.stackDeps.get(n.stackName)?.has(before.stackName)) return true;
      for (const d of this.deps.get(k) ?? []) {
        if (d === before.key) return true;
        if (!seen.has(d)) {
          seen.add(d);
          todo.push(d);
        }
      }
    }
    return false;
  }
}

/** Names of the ordering rules, as they appear at the start of each message. */
export enum OrderRule {
  CAPACITY_PROVIDER_ASSOCIATION = 'service-after-capacity-provider-association',
  LISTENER = 'service-after-listener',
  EFS_MOUNT_TARGETS = 'service-after-efs-mount-targets',
  ACCESS_LOG_BUCKET_POLICY = 'load-balancer-after-access-log-bucket-policy',
  SCALABLE_TARGET = 'scalable-target-after-service',
  ROLE_POLICIES = 'service-after-role-policies',
}

/** One pair a rule looked at: `after` must depend on `before`. */
export interface OrderCheck {
  readonly rule: OrderRule;
  readonly after: string;
  readonly before?: string;
  readonly ok: boolean;
  /** What goes wrong in AWS when `ok` is false. */
  readonly message: string;
}

function listOf(v: unknown): unknown[] {
  return Array.isArray(v) ? v : v === undefined ? [] : [v];
}

/** The strategy/association entries of capacity providers, as comparable keys. */
function providerKey(model: DeployModel, stackName: string, expr: unknown): string {
  const n = model.resolve(stackName, expr);
  return n ? n.key : JSON.stringify(expr);
}

function taskDefinitionOf(model: DeployModel, service: ResourceNode): ResourceNode | undefined {
  const td = model.resolve(service.stackName, service.properties.TaskDefinition);
  return td?.type === 'AWS::ECS::TaskDefinition' ? td : undefined;
}

/** EFS file systems of the model that a task definition mounts, with the raw ids it could not resolve. */
export function efsVolumesOf(model: DeployModel, taskDefinition: ResourceNode): { fileSystems: ResourceNode[]; external: unknown[] } {
  const fileSystems: ResourceNode[] = [];
  const external: unknown[] = [];
  for (const v of listOf(taskDefinition.properties.Volumes) as any[]) {
    const id = v?.EFSVolumeConfiguration?.FilesystemId;
    if (id === undefined) continue;
    const fs = model.resolve(taskDefinition.stackName, id);
    if (fs?.type === 'AWS::EFS::FileSystem') {
      if (!fileSystems.includes(fs)) fileSystems.push(fs);
    } else {
      external.push(id);
    }
  }
  return { fileSystems, external };
}

/** The mount targets of a file system. */
export function mountTargetsOf(model: DeployModel, fileSystem: ResourceNode): ResourceNode[] {
  return model.ofType('AWS::EFS::MountTarget')
    .filter(mt => model.resolve(mt.stackName, mt.properties.FileSystemId) === fileSystem);
}

/** Target groups a listener or listener rule forwards to. */
export function forwardedTargetGroups(model: DeployModel, listener: ResourceNode): ResourceNode[] {
  const actions = listOf(listener.properties.DefaultActions ?? listener.properties.Actions) as any[];
  const arns: unknown[] = [];
  for (const a of actions) {
    if (a?.TargetGroupArn !== undefined) arns.push(a.TargetGroupArn);
    for (const tg of listOf(a?.ForwardConfig?.TargetGroups) as any[]) arns.push(tg?.TargetGroupArn);
  }
  return arns.map(arn => model.resolve(listener.stackName, arn)).filter((n): n is ResourceNode => n !== undefined);
}

/** Listeners and listener rules that forward to a target group. */
export function listenersOf(model: DeployModel, targetGroup: ResourceNode): ResourceNode[] {
  return [...model.ofType('AWS::ElasticLoadBalancingV2::Listener'), ...model.ofType('AWS::ElasticLoadBalancingV2::ListenerRule')]
    .filter(l => forwardedTargetGroups(model, l).includes(targetGroup));
}

/** The load balancer of a listener, or of the listener of a listener rule. */
export function loadBalancerOf(model: DeployModel, listener: ResourceNode): ResourceNode | undefined {
  if (listener.type === 'AWS::ElasticLoadBalancingV2::ListenerRule') {
    const l = model.resolve(listener.stackName, listener.properties.ListenerArn);
    return l ? loadBalancerOf(model, l) : undefined;
  }
  const lb = model.resolve(listener.stackName, listener.properties.LoadBalancerArn);
  return lb?.type === 'AWS::ElasticLoadBalancingV2::LoadBalancer' ? lb : undefined;
}

/** `Key`/`Value` load balancer attributes as a map (values kept as expressions). */
export function lbAttributes(lb: ResourceNode): Map<string, unknown> {
  return new Map((listOf(lb.properties.LoadBalancerAttributes) as any[]).map(a => [String(a?.Key), a?.Value]));
}

/** Every pair the ordering rules look at, passing or not. */
export function orderChecks(input: Templates | DeployModel): OrderCheck[] {
  const model = input instanceof DeployModel ? input : new DeployModel(input);
  const checks: OrderCheck[] = [];
  const name = (n: ResourceNode) => model.name(n);
  const services = model.ofType('AWS::ECS::Service');

  // 1. Capacity provider strategy after the cluster's capacity provider associations.
  for (const service of services) {
    const strategy = listOf(service.properties.CapacityProviderStrategy) as any[];
    if (strategy.length === 0) continue;
    const cluster = model.resolve(service.stackName, service.properties.Cluster);
    if (!cluster) continue;
    const associations = model.ofType('AWS::ECS::ClusterCapacityProviderAssociations')
      .filter(a => model.resolve(a.stackName, a.properties.Cluster) === cluster);
    const used = strategy.map(s => ({ expr: s?.CapacityProvider, key: providerKey(model, service.stackName, s?.CapacityProvider) }));
    for (const association of associations) {
      const ok = model.dependsOn(service, association);
      checks.push({
        rule: OrderRule.CAPACITY_PROVIDER_ASSOCIATION,
        after: name(service),
        before: name(association),
        ok,
        message: `ECS service ${name(service)} uses capacity provider(s) ${used.map(u => describe(model, service.stackName, u.expr)).join(', ')} ` +
          `but does not depend on ${name(association)} (AWS::ECS::ClusterCapacityProviderAssociations of cluster ${name(cluster)}): ` +
          'CloudFormation may create the service before the providers are associated with the cluster (CreateService fails), and on ' +
          'cdk destroy it may delete the association while the service still runs tasks on them ("The specified capacity provider is in use").',
      });
    }
    if (associations.length > 0) {
      const associated = new Set(associations.flatMap(a =>
        (listOf(a.properties.CapacityProviders) as unknown[]).map(p => providerKey(model, a.stackName, p))));
      for (const u of used) {
        if (associated.has(u.key)) continue;
        checks.push({
          rule: OrderRule.CAPACITY_PROVIDER_ASSOCIATION,
          after: name(service),
          ok: false,
          message: `ECS service ${name(service)} uses capacity provider ${describe(model, service.stackName, u.expr)}, which no ` +
            `ClusterCapacityProviderAssociations of cluster ${name(cluster)} lists: CreateService fails ("The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster").`,
        });
      }
    }
  }

  // 2. Load-balanced services after the listeners that forward to their target groups.
  for (const service of services) {
    for (const lb of listOf(service.properties.LoadBalancers) as any[]) {
      const tg = model.resolve(service.stackName, lb?.TargetGroupArn);
      if (tg?.type !== 'AWS::ElasticLoadBalancingV2::TargetGroup') continue;
      const listeners = listenersOf(model, tg);
      if (listeners.length === 0) {
        checks.push({
          rule: OrderRule.LISTENER,
          after: name(service),
          before: name(tg),
          ok: false,
          message: `No listener or listener rule forwards to target group ${name(tg)} of ECS service ${name(service)}: ` +
            'CreateService fails ("The target group ... does not have an associated load balancer").',
        });
      }
      for (const listener of listeners) {
        checks.push({
          rule: OrderRule.LISTENER,
          after: name(service),
          before: name(listener),
          ok: model.dependsOn(service, listener),
          message: `ECS service ${name(service)} does not depend on ${name(listener)} (${listener.type}), which forwards to its target group ${name(tg)}: ` +
            'CloudFormation may create the service before the target group is attached to a load balancer, and CreateService fails ' +
            '("The target group ... does not have an associated load balancer").',
        });
      }
    }
  }

  // 3. Services that mount EFS after the file system's mount targets.
  for (const service of services) {
    const td = taskDefinitionOf(model, service);
    if (!td) continue;
    for (const fs of efsVolumesOf(model, td).fileSystems) {
      for (const mt of mountTargetsOf(model, fs)) {
        checks.push({
          rule: OrderRule.EFS_MOUNT_TARGETS,
          after: name(service),
          before: name(mt),
          ok: model.dependsOn(service, mt),
          message: `ECS service ${name(service)} mounts EFS file system ${name(fs)} but does not depend on its mount target ${name(mt)}: ` +
            'CloudFormation may start tasks before the mount target is available, and they stop with "ResourceInitializationError: ' +
            'failed to invoke EFS utils commands to set up EFS volumes" (and on cdk destroy the mount target may go while tasks still use it).',
        });
      }
    }
  }

  // 4. Load balancers that write access logs after the bucket policy that lets them.
  for (const lb of model.ofType('AWS::ElasticLoadBalancingV2::LoadBalancer')) {
    const attributes = lbAttributes(lb);
    if (String(attributes.get('access_logs.s3.enabled')) !== 'true') continue;
    const bucket = model.resolve(lb.stackName, attributes.get('access_logs.s3.bucket'));
    if (bucket?.type !== 'AWS::S3::Bucket') continue;
    const policies = model.ofType('AWS::S3::BucketPolicy').filter(p => model.resolve(p.stackName, p.properties.Bucket) === bucket);
    if (policies.length === 0) {
      checks.push({
        rule: OrderRule.ACCESS_LOG_BUCKET_POLICY,
        after: name(lb),
        before: name(bucket),
        ok: false,
        message: `Load balancer ${name(lb)} writes access logs to bucket ${name(bucket)}, which has no AWS::S3::BucketPolicy: ` +
          'the load balancer cannot write there, and CloudFormation fails it with "Access Denied for bucket ... Please check S3bucket permission".',
      });
    }
    for (const policy of policies) {
      checks.push({
        rule: OrderRule.ACCESS_LOG_BUCKET_POLICY,
        after: name(lb),
        before: name(policy),
        ok: model.dependsOn(lb, policy),
        message: `Load balancer ${name(lb)} writes access logs to bucket ${name(bucket)} but does not depend on its bucket policy ${name(policy)}: ` +
          'Elastic Load Balancing checks it can write when the attribute is set, and CloudFormation fails the load balancer with ' +
          '"Access Denied for bucket ... Please check S3bucket permission" when the policy is not there yet.',
      });
    }
  }

  // 5. Scalable targets of ECS services after the service.
  for (const target of model.ofType('AWS::ApplicationAutoScaling::ScalableTarget')) {
    if (target.properties.ServiceNamespace !== 'ecs') continue;
    let targeted = model.refsIn(target.stackName, target.properties.ResourceId).filter(n => n.type === 'AWS::ECS::Service');
    if (targeted.length === 0) {
      const literal = JSON.stringify(target.properties.ResourceId ?? '');
      targeted = services.filter(s => typeof s.properties.ServiceName === 'string' && literal.includes(`/${s.properties.ServiceName}"`));
    }
    for (const service of targeted) {
      checks.push({
        rule: OrderRule.SCALABLE_TARGET,
        after: name(target),
        before: name(service),
        ok: model.dependsOn(target, service),
        message: `Scalable target ${name(target)} scales ECS service ${name(service)} but does not depend on it: RegisterScalableTarget ` +
          'fails while the service does not exist yet, and on cdk destroy the service may be deleted first.',
      });
    }
  }

  // 6. Services after the IAM policies of their task role and execution role.
  const policies = [...model.ofType('AWS::IAM::Policy'), ...model.ofType('AWS::IAM::ManagedPolicy')];
  for (const service of services) {
    const td = taskDefinitionOf(model, service);
    if (!td) continue;
    for (const [prop, what] of [['TaskRoleArn', 'task role'], ['ExecutionRoleArn', 'execution role']] as const) {
      const role = model.resolve(td.stackName, td.properties[prop]);
      if (role?.type !== 'AWS::IAM::Role') continue;
      for (const policy of policies) {
        const attached = (listOf(policy.properties.Roles) as unknown[]).some(r => model.resolve(policy.stackName, r) === role);
        if (!attached) continue;
        checks.push({
          rule: OrderRule.ROLE_POLICIES,
          after: name(service),
          before: name(policy),
          ok: model.dependsOn(service, policy),
          message: `ECS service ${name(service)} does not depend on ${name(policy)} (${policy.type}), the policy of its ${what} ${name(role)}: ` +
            'CloudFormation may start tasks before the policy is attached, and their first calls are denied ' +
            (what === 'execution role'
              ? '(image pull or log stream creation fails: CannotPullContainerError / ResourceInitializationError, and the deployment circuit breaker may roll back).'
              : '(the application\'s first AWS calls fail with AccessDenied).'),
        });
      }
    }
  }
  return checks;
}

function describe(model: DeployModel, stackName: string, expr: unknown): string {
  const n = model.resolve(stackName, expr);
  return n ? model.name(n) : typeof expr === 'string' ? expr : JSON.stringify(expr);
}

/**
 * The ordering problems of a template (or of the stacks of one app): one message per pair of
 * resources that CloudFormation may create or delete in the wrong order, starting with the rule's name.
 */
export function orderProblems(input: Templates): string[] {
  return orderChecks(input).filter(c => !c.ok).map(c => `[${c.rule}] ${c.message}`);
}

/**
 * Resources whose deletion does not complete on `cdk destroy` as configured, one message each:
 * load balancers with deletion protection, and Auto Scaling groups whose instances are protected
 * from scale-in (directly, or by the managed termination protection of a capacity provider).
 */
export function deletionBlockers(input: Templates): string[] {
  const model = new DeployModel(input);
  const out: string[] = [];
  for (const lb of model.ofType('AWS::ElasticLoadBalancingV2::LoadBalancer')) {
    if (String(lbAttributes(lb).get('deletion_protection.enabled')) === 'true') {
      out.push(`${model.name(lb)} (${lb.type}): deletion_protection.enabled is true, so cdk destroy fails with ` +
        '"Load balancer ... cannot be deleted because deletion protection is enabled" and the stack ends in DELETE_FAILED.');
    }
  }
  const providers = model.ofType('AWS::ECS::CapacityProvider');
  for (const asg of model.ofType('AWS::AutoScaling::AutoScalingGroup')) {
    const why: string[] = [];
    if (asg.properties.NewInstancesProtectedFromScaleIn === true || asg.properties.NewInstancesProtectedFromScaleIn === 'true') {
      why.push('NewInstancesProtectedFromScaleIn is true');
    }
    for (const p of providers) {
      const provider = p.properties.AutoScalingGroupProvider ?? {};
      if (provider.ManagedTerminationProtection === 'ENABLED' && model.resolve(p.stackName, provider.AutoScalingGroupArn) === asg) {
        why.push(`capacity provider ${model.name(p)} has ManagedTerminationProtection ENABLED`);
      }
    }
    if (why.length > 0) {
      out.push(`${model.name(asg)} (${asg.type}): ${why.join(' and ')}, so its instances keep their scale-in protection ` +
        'after the capacity provider is gone and the group cannot terminate them: deleting the group hangs until it times out ' +
        '(aws/aws-cdk#18179, aws/containers-roadmap#2862).');
    }
  }
  return out;
}

/** Resources CloudFormation leaves in the account on stack deletion (`DeletionPolicy: Retain`), as `name (Type)`. */
export function retainedOnDelete(input: Templates): string[] {
  const model = new DeployModel(input);
  return model.nodes
    .filter(n => n.resource.DeletionPolicy === 'Retain' || n.resource.DeletionPolicy === 'RetainExceptOnCreate')
    .map(n => `${model.name(n)} (${n.type})`);
}
