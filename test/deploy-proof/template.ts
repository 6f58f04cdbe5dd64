/**
 * Synthesized templates with every intrinsic resolved to a concrete value, so that IAM policies can
 * be evaluated as AWS would see them after deployment.
 *
 * Pseudo parameters resolve to one fixed environment (also for environment-agnostic stacks), and
 * `Ref` / `Fn::GetAtt` of a resource to a deterministic synthetic physical value of its type: a
 * physical name given in the template wins, otherwise `<stack>-<logicalId>`. An intrinsic, or an
 * attribute, this module does not know throws rather than guess.
 */
import { createHash } from 'crypto';
import { App, CfnElement, Stack, Stage } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { CfnResourceJson, CfnTemplate, logicalIdsOfType, SUB_REFERENCE } from './graph';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const PARTITION = 'aws';
/** Another account, for abuses and cross-account hops. */
export const OTHER_ACCOUNT = '111111111111';

/** A synthesized template whose values can be resolved. */
export class ResolvedTemplate {
  private readonly resolvedProps = new Map<string, { [key: string]: any }>();

  constructor(
    /** The stack name (the `AWS::StackName` pseudo parameter). */
    public readonly stackName: string,
    /** The raw template, as synthesized. */
    public readonly raw: CfnTemplate,
    /** All templates of the app, for `Fn::ImportValue`. */
    public readonly app: AppTemplates,
  ) {}

  /** Logical ids of the resources of one type. */
  public logicalIds(type: string): string[] {
    return logicalIdsOfType(this.raw, type);
  }

  /** The type of a resource; throws when the template has no such resource. */
  public typeOf(logicalId: string): string {
    return this.rawResource(logicalId).Type;
  }

  /** The resource's Properties with every intrinsic resolved (cached). */
  public properties(logicalId: string): { [key: string]: any } {
    let props = this.resolvedProps.get(logicalId);
    if (!props) {
      props = this.resolve(this.rawResource(logicalId).Properties ?? {}, `${logicalId}.Properties`) as { [key: string]: any };
      this.resolvedProps.set(logicalId, props);
    }
    return props;
  }

  /** `Ref` of a resource, a parameter or a pseudo parameter. */
  public ref(name: string): any {
    switch (name) {
      case 'AWS::AccountId': return ACCOUNT;
      case 'AWS::Region': return REGION;
      case 'AWS::Partition': return PARTITION;
      case 'AWS::URLSuffix': return 'amazonaws.com';
      case 'AWS::StackName': return this.stackName;
      case 'AWS::StackId': return `arn:${PARTITION}:cloudformation:${REGION}:${ACCOUNT}:stack/${this.stackName}/00000000-0000-0000-0000-000000000000`;
      case 'AWS::NoValue': return NO_VALUE;
    }
    const parameter = this.raw.Parameters?.[name];
    if (parameter) {
      if (parameter.Default === undefined) throw new Error(`${this.stackName}: parameter ${name} has no default to resolve Ref with`);
      return parameter.Default;
    }
    const type = this.typeOf(name);
    const n = this.physicalName(name);
    const arn = (service: string, resource: string) => `arn:${PARTITION}:${service}:${REGION}:${ACCOUNT}:${resource}`;
    switch (type) {
      case 'AWS::SQS::Queue': return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${n}`;
      case 'AWS::SNS::Topic': return arn('sns', n);
      case 'AWS::IAM::ManagedPolicy': return `arn:${PARTITION}:iam::${ACCOUNT}:policy/${n}`;
      case 'AWS::KMS::Key': return keyId(this.stackName, name);
      case 'AWS::ECS::TaskDefinition': return arn('ecs', `task-definition/${n}:1`);
      case 'AWS::ECS::Service': return arn('ecs', `service/${this.clusterNameOf(name)}/${n}`);
      case 'AWS::StepFunctions::StateMachine': return arn('states', `stateMachine:${n}`);
      case 'AWS::EFS::FileSystem': return `fs-${hex(this.stackName, name)}`;
      case 'AWS::EFS::AccessPoint': return `fsap-${hex(this.stackName, name)}${hex(name, this.stackName)}`;
      case 'AWS::EFS::MountTarget': return `fsmt-${hex(this.stackName, name)}`;
      case 'AWS::ElasticLoadBalancingV2::LoadBalancer': return arn('elasticloadbalancing', `loadbalancer/${this.lbKind(name)}/${n.slice(0, 32)}/${hex(this.stackName, name)}`);
      case 'AWS::ElasticLoadBalancingV2::TargetGroup': return arn('elasticloadbalancing', `targetgroup/${n.slice(0, 32)}/${hex(this.stackName, name)}`);
      // As Elastic Load Balancing forms them: listener/{app|net}/<lb name>/<lb id>/<listener id>, listener-rule/app/.../<rule id>.
      case 'AWS::ElasticLoadBalancingV2::Listener':
        return `${String(this.resolve(this.rawResource(name).Properties?.LoadBalancerArn, `${name}.LoadBalancerArn`)).replace(':loadbalancer/', ':listener/')}/${hex(this.stackName, name)}`;
      case 'AWS::ElasticLoadBalancingV2::ListenerRule':
        return `${String(this.resolve(this.rawResource(name).Properties?.ListenerArn, `${name}.ListenerArn`)).replace(':listener/', ':listener-rule/')}/${hex(this.stackName, name)}`;
      case 'AWS::EC2::SecurityGroup': return `sg-${hex(this.stackName, name)}`;
      case 'AWS::EC2::VPC': return `vpc-${hex(this.stackName, name)}`;
      case 'AWS::EC2::Subnet': return `subnet-${hex(this.stackName, name)}`;
      case 'AWS::EC2::LaunchTemplate': return `lt-${hex(this.stackName, name)}`;
      default: return n;
    }
  }

  /** `Fn::GetAtt` of a resource. Throws on an attribute this module does not know. */
  public getAtt(logicalId: string, attribute: string): any {
    const type = this.typeOf(logicalId);
    const n = this.physicalName(logicalId);
    const ref = this.ref(logicalId);
    const arn = (service: string, resource: string, region = REGION, account = ACCOUNT) => `arn:${PARTITION}:${service}:${region}:${account}:${resource}`;
    const table: { [type: string]: { [attribute: string]: () => any } } = {
      'AWS::S3::Bucket': {
        Arn: () => `arn:${PARTITION}:s3:::${n}`,
        DomainName: () => `${n}.s3.amazonaws.com`,
        RegionalDomainName: () => `${n}.s3.${REGION}.amazonaws.com`,
      },
      'AWS::SQS::Queue': { Arn: () => arn('sqs', n), QueueName: () => n, QueueUrl: () => ref },
      'AWS::SNS::Topic': { TopicArn: () => ref, TopicName: () => n },
      'AWS::IAM::Role': { Arn: () => `arn:${PARTITION}:iam::${ACCOUNT}:role/${n}`, RoleId: () => `AROA${hex(this.stackName, logicalId).toUpperCase()}` },
      'AWS::IAM::InstanceProfile': { Arn: () => `arn:${PARTITION}:iam::${ACCOUNT}:instance-profile/${n}` },
      'AWS::IAM::ManagedPolicy': { PolicyArn: () => ref },
      'AWS::KMS::Key': { Arn: () => arn('kms', `key/${ref}`), KeyId: () => ref },
      'AWS::Events::Rule': { Arn: () => arn('events', `rule/${n}`) },
      'AWS::Scheduler::Schedule': { Arn: () => arn('scheduler', `schedule/${this.properties(logicalId).GroupName ?? 'default'}/${n}`) },
      'AWS::Scheduler::ScheduleGroup': { Arn: () => arn('scheduler', `schedule-group/${n}`) },
      'AWS::Logs::LogGroup': { Arn: () => arn('logs', `log-group:${n}:*`) },
      'AWS::ECS::Cluster': { Arn: () => arn('ecs', `cluster/${n}`) },
      'AWS::ECS::Service': { Name: () => n, ServiceArn: () => ref },
      'AWS::ECS::TaskDefinition': { TaskDefinitionArn: () => ref },
      'AWS::StepFunctions::StateMachine': { Arn: () => ref, Name: () => n },
      'AWS::EFS::FileSystem': { Arn: () => arn('elasticfilesystem', `file-system/${ref}`), FileSystemId: () => ref },
      'AWS::EFS::AccessPoint': { Arn: () => arn('elasticfilesystem', `access-point/${ref}`), AccessPointId: () => ref },
      'AWS::ElasticLoadBalancingV2::LoadBalancer': {
        LoadBalancerArn: () => ref,
        LoadBalancerFullName: () => String(ref).split(':loadbalancer/')[1],
        LoadBalancerName: () => n.slice(0, 32),
        DNSName: () => `${n.slice(0, 32)}.${REGION}.elb.amazonaws.com`,
      },
      'AWS::ElasticLoadBalancingV2::TargetGroup': {
        TargetGroupArn: () => ref,
        TargetGroupFullName: () => String(ref).split(':')[5],
        TargetGroupName: () => n.slice(0, 32),
      },
      'AWS::ElasticLoadBalancingV2::Listener': { ListenerArn: () => ref },
      'AWS::ElasticLoadBalancingV2::ListenerRule': { RuleArn: () => ref },
      'AWS::S3Files::FileSystem': { FileSystemArn: () => arn('s3files', `file-system/${ref}`), FileSystemId: () => ref },
      'AWS::EC2::SecurityGroup': { GroupId: () => ref, VpcId: () => this.resolve(this.rawResource(logicalId).Properties?.VpcId, `${logicalId}.VpcId`) },
      'AWS::EC2::VPC': { VpcId: () => ref, CidrBlock: () => this.properties(logicalId).CidrBlock ?? '10.0.0.0/16', DefaultSecurityGroup: () => `sg-${hex('default', logicalId)}` },
      'AWS::EC2::Subnet': { SubnetId: () => ref, AvailabilityZone: () => this.properties(logicalId).AvailabilityZone },
      'AWS::EC2::LaunchTemplate': { LaunchTemplateId: () => ref, LatestVersionNumber: () => '1', DefaultVersionNumber: () => '1' },
      'AWS::CloudWatch::Alarm': { Arn: () => arn('cloudwatch', `alarm:${n}`) },
      'AWS::ECS::CapacityProvider': {},
    };
    const get = table[type]?.[attribute];
    if (!get) throw new Error(`${this.stackName}: Fn::GetAtt ${logicalId}.${attribute} (${type}) is not supported by the template resolver; add it to its table`);
    return get();
  }

  /** Resolves every intrinsic in a template value. `where` names the value in error messages. */
  public resolve(value: any, where: string = '(value)'): any {
    if (Array.isArray(value)) return value.map((v, i) => this.resolve(v, `${where}[${i}]`)).filter(v => v !== NO_VALUE);
    if (value === null || typeof value !== 'object') return value;
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === 'Condition') return this.condition(value.Condition, where);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'))) {
      return this.intrinsic(keys[0], value[keys[0]], where);
    }
    const out: { [key: string]: any } = {};
    for (const k of keys) {
      const v = this.resolve(value[k], `${where}.${k}`);
      if (v !== NO_VALUE) out[k] = v;
    }
    return out;
  }

  /** The physical name of a resource: the name the template gives it, or `<stack>-<logicalId>`. */
  public physicalName(logicalId: string): string {
    const type = this.typeOf(logicalId);
    const nameProperty = NAME_PROPERTIES[type];
    const given = nameProperty ? this.rawResource(logicalId).Properties?.[nameProperty] : undefined;
    if (given !== undefined) return String(this.resolve(given, `${logicalId}.${nameProperty}`));
    const generated = `${this.stackName}-${logicalId}`;
    return type === 'AWS::S3::Bucket' ? generated.toLowerCase().slice(0, 63) : generated;
  }

  private intrinsic(name: string, arg: any, where: string): any {
    switch (name) {
      case 'Ref': return this.ref(arg);
      case 'Fn::GetAtt': {
        const [logicalId, ...path] = Array.isArray(arg) ? arg : String(arg).split('.');
        return this.getAtt(this.resolve(logicalId, where), path.map(p => this.resolve(p, where)).join('.'));
      }
      case 'Fn::Join': {
        const [delimiter, items] = arg;
        return (this.resolve(items, where) as any[]).map(String).join(delimiter);
      }
      case 'Fn::Sub': {
        const [text, variables] = Array.isArray(arg) ? arg : [arg, {}];
        const vars = this.resolve(variables ?? {}, where);
        return String(text).replace(SUB_REFERENCE, (_m, v: string) => {
          if (v in vars) return String(vars[v]);
          const [id, ...attr] = v.split('.');
          return String(attr.length > 0 ? this.getAtt(id, attr.join('.')) : this.ref(id));
        }).replace(/\$\{!/g, '${');
      }
      case 'Fn::Select': {
        const [index, list] = this.resolve(arg, where);
        const i = Number(index);
        if (!Array.isArray(list) || !(i >= 0 && i < list.length)) throw new Error(`${this.stackName} ${where}: Fn::Select index ${index} out of range`);
        return list[i];
      }
      case 'Fn::Split': {
        const [delimiter, text] = arg;
        return String(this.resolve(text, where)).split(delimiter);
      }
      case 'Fn::ImportValue': return this.app.importValue(String(this.resolve(arg, where)), `${this.stackName} ${where}`);
      case 'Fn::FindInMap': {
        const [map, top, second] = this.resolve(arg, where);
        const found = this.raw.Mappings?.[map]?.[top]?.[second];
        if (found === undefined) throw new Error(`${this.stackName} ${where}: Fn::FindInMap ${map}.${top}.${second} has no value`);
        return found;
      }
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = arg;
        return this.resolve(this.condition(condition, where) ? whenTrue : whenFalse, where);
      }
      case 'Fn::Equals': {
        const [a, b] = this.resolve(arg, where);
        return JSON.stringify(a) === JSON.stringify(b);
      }
      case 'Fn::Not': return !this.resolve(arg[0], where);
      case 'Fn::And': return (arg as any[]).every(c => this.resolve(c, where) === true);
      case 'Fn::Or': return (arg as any[]).some(c => this.resolve(c, where) === true);
      case 'Fn::GetAZs': return [`${REGION}a`, `${REGION}b`, `${REGION}c`];
      case 'Fn::Base64': return Buffer.from(String(this.resolve(arg, where))).toString('base64');
      default: throw new Error(`${this.stackName} ${where}: intrinsic ${name} is not supported by the template resolver`);
    }
  }

  /** The value of a named condition of the template. */
  public condition(name: string, where: string): boolean {
    const expression = this.raw.Conditions?.[name];
    if (expression === undefined) throw new Error(`${this.stackName} ${where}: no condition ${name}`);
    return this.resolve(expression, `Conditions.${name}`) === true;
  }

  /** A resource as synthesized; throws when the template has no such resource. */
  private rawResource(logicalId: string): CfnResourceJson {
    const r = this.raw.Resources?.[logicalId];
    if (!r) throw new Error(`${this.stackName} has no resource ${logicalId}`);
    return r;
  }

  private clusterNameOf(serviceId: string): string {
    const cluster = this.resolve(this.rawResource(serviceId).Properties?.Cluster, `${serviceId}.Cluster`);
    return cluster === undefined ? 'default' : String(cluster).split('/').pop()!;
  }

  private lbKind(logicalId: string): string {
    return this.rawResource(logicalId).Properties?.Type === 'network' ? 'net' : 'app';
  }
}

/** Every template of one app, resolved. */
export class AppTemplates {
  /** The templates, by stack name. */
  public readonly stacks: ReadonlyMap<string, ResolvedTemplate>;

  constructor(templates: { [stackName: string]: { [key: string]: any } }) {
    const map = new Map<string, ResolvedTemplate>();
    for (const [name, t] of Object.entries(templates)) map.set(name, new ResolvedTemplate(name, t, this));
    this.stacks = map;
  }

  /** The template of one stack. */
  public of(stack: Stack | string): ResolvedTemplate {
    const name = typeof stack === 'string' ? stack : stack.stackName;
    const t = this.stacks.get(name);
    if (!t) throw new Error(`no template of stack ${name} in this app`);
    return t;
  }

  /** Every template. */
  public all(): ResolvedTemplate[] {
    return [...this.stacks.values()];
  }

  /** `Ref` of the construct's resource (its default child). */
  public refOf(construct: IConstruct): any {
    return this.of(Stack.of(construct)).ref(logicalIdOf(construct));
  }

  /** `Fn::GetAtt` of the construct's resource (its default child). */
  public attOf(construct: IConstruct, attribute: string): any {
    return this.of(Stack.of(construct)).getAtt(logicalIdOf(construct), attribute);
  }

  /** The ARN of the construct's resource: its `Arn`-like attribute, or `Ref` for types whose Ref is the ARN. */
  public arnOf(construct: IConstruct): string {
    const t = this.of(Stack.of(construct));
    const id = logicalIdOf(construct);
    const type = t.typeOf(id);
    const attribute = ARN_ATTRIBUTES[type];
    if (attribute === undefined) throw new Error(`arnOf: no ARN known for ${type} (${construct.node.path})`);
    return attribute === 'Ref' ? t.ref(id) : t.getAtt(id, attribute);
  }

  /** The value of the output exported under `name` by a stack of this app. */
  public importValue(name: string, where: string): any {
    for (const t of this.stacks.values()) {
      for (const [outputId, output] of Object.entries<any>(t.raw.Outputs ?? {})) {
        if (output.Export && t.resolve(output.Export.Name, `Outputs.${outputId}.Export.Name`) === name) {
          return t.resolve(output.Value, `Outputs.${outputId}.Value`);
        }
      }
    }
    throw new Error(`${where}: Fn::ImportValue ${name}: no stack of the app exports it`);
  }
}

const cache = new WeakMap<Stage, AppTemplates>();

/**
 * The resolved templates of every stack of the app that `scope` belongs to (an `App`, or a `Stack`
 * in one). Synthesizes the app (a second `synth()` of an app returns its first assembly); cached per app.
 */
export function appTemplates(scope: App | Stack): AppTemplates {
  const root: Stage = Stack.isStack(scope) ? Stage.of(scope)! : scope;
  let templates = cache.get(root);
  if (!templates) {
    const assembly = root.synth();
    const raw: { [name: string]: any } = {};
    for (const s of assembly.stacks) raw[s.stackName] = s.template;
    templates = new AppTemplates(raw);
    cache.set(root, templates);
  }
  return templates;
}

/** The logical id of a construct's CloudFormation resource: the construct itself or its default child. */
export function logicalIdOf(construct: IConstruct): string {
  const element = CfnElement.isCfnElement(construct) ? construct : construct.node.defaultChild;
  if (!element || !CfnElement.isCfnElement(element)) throw new Error(`${construct.node.path} has no CloudFormation resource as default child`);
  return Stack.of(construct).getLogicalId(element as CfnElement);
}

/** Marker of `AWS::NoValue`: removed from objects and lists. */
const NO_VALUE = Symbol('AWS::NoValue');

/** The property that names a resource, per type. */
const NAME_PROPERTIES: { [type: string]: string } = {
  'AWS::S3::Bucket': 'BucketName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
  'AWS::IAM::InstanceProfile': 'InstanceProfileName',
  'AWS::Events::Rule': 'Name',
  'AWS::Scheduler::Schedule': 'Name',
  'AWS::Scheduler::ScheduleGroup': 'Name',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::ECS::Cluster': 'ClusterName',
  'AWS::ECS::Service': 'ServiceName',
  'AWS::ECS::TaskDefinition': 'Family',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
  'AWS::CloudWatch::Alarm': 'AlarmName',
  'AWS::ElasticLoadBalancingV2::LoadBalancer': 'Name',
  'AWS::ElasticLoadBalancingV2::TargetGroup': 'Name',
};

/** How to get a resource's ARN, per type (`Ref` where Ref is the ARN). */
const ARN_ATTRIBUTES: { [type: string]: string } = {
  'AWS::S3::Bucket': 'Arn',
  'AWS::SQS::Queue': 'Arn',
  'AWS::SNS::Topic': 'Ref',
  'AWS::IAM::Role': 'Arn',
  'AWS::IAM::ManagedPolicy': 'Ref',
  'AWS::KMS::Key': 'Arn',
  'AWS::Events::Rule': 'Arn',
  'AWS::Scheduler::Schedule': 'Arn',
  'AWS::Logs::LogGroup': 'Arn',
  'AWS::ECS::Cluster': 'Arn',
  'AWS::ECS::Service': 'Ref',
  'AWS::ECS::TaskDefinition': 'Ref',
  'AWS::StepFunctions::StateMachine': 'Ref',
  'AWS::EFS::FileSystem': 'Arn',
  'AWS::EFS::AccessPoint': 'Arn',
  'AWS::ElasticLoadBalancingV2::LoadBalancer': 'Ref',
  'AWS::ElasticLoadBalancingV2::TargetGroup': 'Ref',
  'AWS::ElasticLoadBalancingV2::Listener': 'Ref',
  'AWS::ElasticLoadBalancingV2::ListenerRule': 'Ref',
  'AWS::CloudWatch::Alarm': 'Arn',
};

/** 17 deterministic hex digits from two strings. */
function hex(a: string, b: string): string {
  return createHash('sha256').update(`${a}/${b}`).digest('hex').slice(0, 17);
}

function keyId(stackName: string, logicalId: string): string {
  const h = hex(stackName, logicalId) + hex(logicalId, stackName);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
