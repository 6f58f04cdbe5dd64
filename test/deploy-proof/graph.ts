/**
 * The resources of synthesized templates and the references between them, read the way CloudFormation
 * reads them before it deploys anything: a `Ref`, a `Fn::GetAtt`, a `${X}` in a `Fn::Sub` or an
 * `Fn::ImportValue` of another stack's export names a resource, and CloudFormation creates the
 * resource that names it afterwards (and deletes it first). No value is resolved here (see
 * `template.ts` for that); the lifecycle and network checks only need to know which resource an
 * expression names.
 */
import { Stack, Stage } from 'aws-cdk-lib';

/** One resource of a template, as JSON. */
export interface CfnResourceJson {
  readonly Type: string;
  readonly Properties?: { [key: string]: any };
  readonly DependsOn?: string | string[];
  readonly DeletionPolicy?: string;
  readonly [key: string]: any;
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

/**
 * `${Name}` and `${Name.Attribute}` in the text of a `Fn::Sub` (group 1); `${!Literal}` is literal
 * text. Use with `replace` or `matchAll`.
 */
export const SUB_REFERENCE = /\$\{([^}!][^}]*)\}/g;

/** A property that takes one value or a list, as a list. */
export function listOf(value: unknown): any[] {
  return Array.isArray(value) ? value : value === undefined ? [] : [value];
}

/** The logical ids of a template's resources of one type, in template order. */
export function logicalIdsOfType(template: CfnTemplate, type: string): string[] {
  return Object.entries(template.Resources ?? {}).filter(([, r]) => r.Type === type).map(([id]) => id);
}

/**
 * Synthesizes the app of the given stacks once and returns their templates with their stack
 * dependencies.
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

/** The logical id and attribute a `Fn::GetAtt` names, in either of its forms (`[id, attr]` or `"id.attr"`). */
function getAttParts(getAtt: unknown): { logicalId: string; attribute: string } | undefined {
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return { logicalId: getAtt[0], attribute: String(getAtt[1]) };
  if (typeof getAtt === 'string') {
    const [logicalId, ...attribute] = getAtt.split('.');
    return { logicalId, attribute: attribute.join('.') };
  }
  return undefined;
}

/** The resources of one template or app, their references and dependency graph. */
export class DeployModel {
  /** Every resource, in template order. */
  public readonly nodes: ResourceNode[] = [];
  private readonly byKey = new Map<string, ResourceNode>();
  private readonly stackDeps = new Map<string, Set<string>>();
  private readonly exports = new Map<string, { stackName: string; value: unknown }>();
  private readonly deps = new Map<string, Set<string>>();
  private readonly single: boolean;

  constructor(input: Templates) {
    const stacks: StackTemplate[] = Array.isArray(input) ? input : [{ stackName: '', template: input }];
    this.single = !Array.isArray(input);
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
      for (const id of listOf(node.resource.DependsOn)) {
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
    if (Object.keys(o).length !== 1) return undefined;
    const local = (id: string) => this.byKey.get(`${stackName}/${id}`);
    if (typeof o.Ref === 'string') return local(o.Ref);
    if (o['Fn::GetAtt'] !== undefined) {
      const getAtt = getAttParts(o['Fn::GetAtt']);
      return getAtt ? local(getAtt.logicalId) : undefined;
    }
    const imported = o['Fn::ImportValue'];
    if (typeof imported === 'string') {
      const exp = this.exports.get(imported);
      return exp ? this.resolve(exp.stackName, exp.value) : undefined;
    }
    const sub = o['Fn::Sub'];
    if (typeof sub === 'string') {
      const m = /^\$\{([A-Za-z0-9]+)(\.[A-Za-z0-9.]+)?\}$/.exec(sub);
      return m ? local(m[1]) : undefined;
    }
    return undefined;
  }

  /** The resource an expression names when it has the given type, else undefined. */
  public resolveOfType(stackName: string, expr: unknown, type: string): ResourceNode | undefined {
    const node = this.resolve(stackName, expr);
    return node?.type === type ? node : undefined;
  }

  /** A key that compares expressions: the model key of the resource it names, or its JSON (a literal, or an id outside the model). */
  public keyOf(stackName: string, expr: unknown): string {
    return this.resolve(stackName, expr)?.key ?? JSON.stringify(expr);
  }

  /** How messages name an expression: the resource it names, a literal string, or its JSON. */
  public describe(stackName: string, expr: unknown): string {
    const n = this.resolve(stackName, expr);
    return n ? this.name(n) : typeof expr === 'string' ? expr : JSON.stringify(expr);
  }

  /** The attribute an expression reads (`Fn::GetAtt` attribute, or `Ref`). */
  public attributeOf(expr: unknown): string | undefined {
    if (expr === null || typeof expr !== 'object') return undefined;
    const o = expr as { [k: string]: any };
    if (typeof o.Ref === 'string') return 'Ref';
    return getAttParts(o['Fn::GetAtt'])?.attribute;
  }

  /** Every resource referenced anywhere in a value (what CloudFormation derives dependencies from). */
  public refsIn(stackName: string, value: unknown): ResourceNode[] {
    const found = new Map<string, ResourceNode>();
    const add = (n: ResourceNode | undefined) => {
      if (n) found.set(n.key, n);
    };
    const local = (id: string) => add(this.byKey.get(`${stackName}/${id}`));
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) {
        v.forEach(walk);
        return;
      }
      if (v === null || typeof v !== 'object') return;
      const o = v as { [k: string]: any };
      if (typeof o.Ref === 'string') local(o.Ref);
      const getAtt = getAttParts(o['Fn::GetAtt']);
      if (getAtt) local(getAtt.logicalId);
      if (o['Fn::ImportValue'] !== undefined) add(this.resolve(stackName, { 'Fn::ImportValue': o['Fn::ImportValue'] }));
      const sub = o['Fn::Sub'];
      if (sub !== undefined) {
        const [text, vars] = Array.isArray(sub) ? [sub[0], sub[1] ?? {}] : [sub, {}];
        if (typeof text === 'string') {
          for (const m of text.matchAll(SUB_REFERENCE)) {
            const name = m[1].trim().split('.')[0];
            if (!(name in vars)) local(name);
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

  /** The sub-expressions of a value that name a resource of a type (`Ref`, `Fn::GetAtt`, `Fn::ImportValue`). */
  public expressionsNaming(stackName: string, value: unknown, type: string): unknown[] {
    const out: unknown[] = [];
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) {
        v.forEach(walk);
      } else if (v !== null && typeof v === 'object') {
        if (this.resolve(stackName, v)?.type === type) out.push(v);
        else Object.values(v).forEach(walk);
      }
    };
    walk(value);
    return out;
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

/** One case a check over the model looked at (a pair of resources, a packet path), passing or not. */
export interface RuleCheck<Rule extends string> {
  /** The rule or hop, as named at the start of its message. */
  readonly rule: Rule;
  readonly ok: boolean;
  /** What goes wrong in AWS when `ok` is false. */
  readonly message: string;
}

// ---------------------------------------------------------------------------------------------
// How the resources of an ECS workload name each other.

/** The task definition of an ECS service. */
export function taskDefinitionOf(model: DeployModel, service: ResourceNode): ResourceNode | undefined {
  return model.resolveOfType(service.stackName, service.properties.TaskDefinition, 'AWS::ECS::TaskDefinition');
}

/** EFS file systems of the model that a task definition mounts, with the raw ids it could not resolve. */
export function efsVolumesOf(model: DeployModel, taskDefinition: ResourceNode): { fileSystems: ResourceNode[]; external: unknown[] } {
  const fileSystems: ResourceNode[] = [];
  const external: unknown[] = [];
  for (const v of listOf(taskDefinition.properties.Volumes)) {
    const id = v?.EFSVolumeConfiguration?.FilesystemId;
    if (id === undefined) continue;
    const fs = model.resolveOfType(taskDefinition.stackName, id, 'AWS::EFS::FileSystem');
    if (!fs) external.push(id);
    else if (!fileSystems.includes(fs)) fileSystems.push(fs);
  }
  return { fileSystems, external };
}

/** The mount targets of a file system. */
export function mountTargetsOf(model: DeployModel, fileSystem: ResourceNode): ResourceNode[] {
  return model.ofType('AWS::EFS::MountTarget')
    .filter(mt => model.resolve(mt.stackName, mt.properties.FileSystemId) === fileSystem);
}

/** Target groups a listener or listener rule forwards to. */
function forwardedTargetGroups(model: DeployModel, listener: ResourceNode): ResourceNode[] {
  const arns: unknown[] = [];
  for (const a of listOf(listener.properties.DefaultActions ?? listener.properties.Actions)) {
    if (a?.TargetGroupArn !== undefined) arns.push(a.TargetGroupArn);
    for (const tg of listOf(a?.ForwardConfig?.TargetGroups)) arns.push(tg?.TargetGroupArn);
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
  return model.resolveOfType(listener.stackName, listener.properties.LoadBalancerArn, 'AWS::ElasticLoadBalancingV2::LoadBalancer');
}

/** `Key`/`Value` load balancer attributes as a map (values kept as expressions). */
export function lbAttributes(lb: ResourceNode): Map<string, unknown> {
  return new Map(listOf(lb.properties.LoadBalancerAttributes).map(a => [String(a?.Key), a?.Value]));
}
