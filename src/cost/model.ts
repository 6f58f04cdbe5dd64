/**
 * A cost model of synthesized CloudFormation templates (as `cdk synth` writes them): for each stack, what
 * it costs every month while idle, and the unit costs of the work it does. Prices come from `./prices.ts`.
 *
 * Idle means: no request, no job, no scheduled run; services at their minimum task count, Auto Scaling
 * groups at their MinSize. Account-wide free tiers are not deducted. Whatever the model cannot price is
 * listed in `notPriced` with the reason, never dropped.
 */
import { PRICES, Prices } from './prices';

/** One synthesized stack: its name and its template (parsed JSON). */
export interface StackTemplate {
  readonly name: string;
  readonly template: any;
}

/** One fixed monthly cost. */
export interface Line {
  readonly logicalId: string;
  readonly type: string;
  readonly what: string;
  /** USD per month; `null` when a price it needs is unknown. */
  readonly usdPerMonth: number | null;
}

/** The price of one unit of work. */
export interface UnitLine {
  readonly logicalId: string;
  /** What one unit is, e.g. 'task-hour', 'million jobs'. */
  readonly unit: string;
  readonly what: string;
  /** USD per unit; `null` when a price it needs is unknown. */
  readonly usd: number | null;
}

export interface StackEstimate {
  readonly name: string;
  readonly fixed: Line[];
  /** Sum of the fixed lines whose price is known. */
  readonly fixedTotal: number;
  /** True when some fixed line has an unknown price: `fixedTotal` is then a lower bound. */
  readonly fixedIncomplete: boolean;
  readonly units: UnitLine[];
  readonly notPriced: string[];
  /** Resource types billed by use only (no charge while idle), with their count. */
  readonly usageOnly: { readonly type: string; readonly count: number }[];
}

export interface CostEstimate {
  readonly stacks: StackEstimate[];
  readonly fixedTotal: number;
  readonly fixedIncomplete: boolean;
  readonly region: string;
  readonly asOf: string;
  /** Assumptions that apply to every stack. */
  readonly assumptions: string[];
}

/** Resource types that cost nothing while idle (free, or billed per request, GB or run only). */
const USAGE_ONLY = new Set([
  'AWS::ApplicationAutoScaling::ScalableTarget', 'AWS::ApplicationAutoScaling::ScalingPolicy',
  'AWS::AutoScaling::LifecycleHook', 'AWS::CDK::Metadata', 'AWS::CloudFormation::CustomResource',
  'AWS::EC2::InternetGateway', 'AWS::EC2::LaunchTemplate', 'AWS::EC2::Route', 'AWS::EC2::RouteTable',
  'AWS::EC2::SecurityGroup', 'AWS::EC2::SecurityGroupEgress', 'AWS::EC2::SecurityGroupIngress',
  'AWS::EC2::Subnet', 'AWS::EC2::SubnetRouteTableAssociation', 'AWS::EC2::VPC', 'AWS::EC2::VPCGatewayAttachment',
  'AWS::ECS::CapacityProvider', 'AWS::ECS::Cluster', 'AWS::ECS::ClusterCapacityProviderAssociations', 'AWS::ECS::Daemon',
  'AWS::ECS::DaemonTaskDefinition',
  'AWS::ECS::TaskDefinition', 'AWS::EFS::AccessPoint', 'AWS::EFS::FileSystem', 'AWS::EFS::MountTarget',
  'AWS::S3Files::AccessPoint', 'AWS::S3Files::FileSystem', 'AWS::S3Files::MountTarget',
  'AWS::ElasticLoadBalancingV2::Listener', 'AWS::ElasticLoadBalancingV2::ListenerCertificate',
  'AWS::ElasticLoadBalancingV2::ListenerRule', 'AWS::ElasticLoadBalancingV2::TargetGroup', 'AWS::EC2::FlowLog',
  'AWS::Events::Rule', 'AWS::IAM::InstanceProfile', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::Policy', 'AWS::IAM::Role',
  'AWS::KMS::Alias', 'AWS::Lambda::Function', 'AWS::Lambda::Permission', 'AWS::Logs::LogGroup', 'AWS::Pipes::Pipe',
  'AWS::S3::Bucket', 'AWS::S3::BucketPolicy', 'AWS::Scheduler::Schedule', 'AWS::SNS::Subscription',
  'AWS::SNS::Topic', 'AWS::SNS::TopicPolicy', 'AWS::SQS::Queue', 'AWS::SQS::QueuePolicy',
  'AWS::SSM::Parameter', 'AWS::StepFunctions::StateMachine',
]);

const ALB_NEW_CONNECTIONS_PER_LCU_SECOND = 25;
/** The wake-up path's Express execution, worst case: duration and memory billed. */
const WAKE_UP_EXECUTION = { seconds: 0.3, gb: 64 / 1024 };

interface Ref { readonly stack: Ctx; readonly id: string }

/** One stack being estimated, with a view of the whole app for cross-stack references. */
class Ctx {
  public readonly fixed: Line[] = [];
  public readonly units: UnitLine[] = [];
  public readonly notPriced: string[] = [];
  public readonly resources: Record<string, any>;

  constructor(public readonly name: string, template: any, public readonly app: App) {
    this.resources = template?.Resources ?? {};
  }

  /** The resource a `Ref`, `Fn::GetAtt` or `Fn::ImportValue` points at, if the app holds it. */
  target(value: any): Ref | undefined {
    if (value?.Ref !== undefined && this.resources[value.Ref]) return { stack: this, id: value.Ref };
    const getAtt = value?.['Fn::GetAtt'];
    if (Array.isArray(getAtt) && this.resources[getAtt[0]]) return { stack: this, id: getAtt[0] };
    const imported = value?.['Fn::ImportValue'];
    if (typeof imported === 'string') {
      const exported = this.app.exports.get(imported);
      return exported ? exported.stack.target(exported.value) : undefined;
    }
    return undefined;
  }

  /** The `Ref`/`Fn::GetAtt` targets anywhere inside `value` (e.g. the parts of an `Fn::Join`). */
  targetsWithin(value: any): Ref[] {
    const direct = this.target(value);
    if (direct) return [direct];
    if (Array.isArray(value)) return value.flatMap(v => this.targetsWithin(v));
    if (value && typeof value === 'object') return Object.values(value).flatMap(v => this.targetsWithin(v));
    return [];
  }
}

class App {
  public readonly exports = new Map<string, { stack: Ctx; value: any }>();
  public readonly stacks: Ctx[];
  /** Auto Scaling groups whose first instance an idle service already requires (counted once). */
  public readonly flooredGroups = new Set<string>();

  constructor(stacks: readonly StackTemplate[], public readonly prices: Prices) {
    this.stacks = stacks.map(s => new Ctx(s.name, s.template, this));
    stacks.forEach((s, i) => {
      for (const output of Object.values<any>(s.template?.Outputs ?? {})) {
        const name = output?.Export?.Name;
        if (typeof name === 'string') this.exports.set(name, { stack: this.stacks[i], value: output.Value });
      }
    });
  }
}

const round = (n: number) => Math.round(n * 1e6) / 1e6;
/** USD with cents, or more digits for amounts under a dollar; `unknown` when the price is unknown. */
export function formatUsd(value: number | null): string {
  if (value === null) return 'unknown';
  if (value === 0) return '$0.00';
  if (value < 0.01) return `$${value.toPrecision(3)}`;
  return `$${value < 1 ? value.toFixed(4).replace(/(\.\d\d\d*?)0+$/, '$1') : value.toFixed(2)}`;
}
const usd = formatUsd;
const num = (v: any): number | undefined => (typeof v === 'number' || (typeof v === 'string' && v.trim() !== '')) && !isNaN(Number(v)) ? Number(v) : undefined;
const count = (v: any): number | undefined => Array.isArray(v) ? v.length : undefined;

/** Estimates the idle monthly cost and the unit costs of each stack. */
export function estimate(stacks: readonly StackTemplate[], prices: Prices = PRICES): CostEstimate {
  const app = new App(stacks, prices);
  const result = app.stacks.map(ctx => estimateStack(ctx));
  const fixedTotal = round(result.reduce((sum, s) => sum + s.fixedTotal, 0));
  return {
    stacks: result,
    fixedTotal,
    fixedIncomplete: result.some(s => s.fixedIncomplete),
    region: prices.region,
    asOf: prices.asOf,
    assumptions: [
      `${prices.hoursPerMonth} hours per month; on-demand prices; account-wide free tiers not deducted.`,
      'Alarms: every MetricStat of a metric-math alarm is billed as one alarm metric (the usual reading; not confirmed by a source).',
      `Fargate Spot at the planning discount of ${prices.fargate.spotDiscount * 100}% ("up to"; the real discount varies); tasks split between Fargate and Fargate Spot by the strategy's base and weights.`,
      'Auto Scaling groups with a mixed instances policy launch their first override on demand (the "prioritized" default).',
      'Data transfer, NAT gateway and endpoint GBs, log volumes and storage are billed by use and not included.',
      'EBS volumes that ECS creates for service tasks: one per running task, billed while the task runs; the volumes of the idle tasks are in the fixed cost.',
    ],
  };
}

function estimateStack(ctx: Ctx): StackEstimate {
  const usage = new Map<string, number>();
  for (const [id, resource] of Object.entries<any>(ctx.resources)) {
    const type: string = resource?.Type ?? '';
    const handler: Handler | undefined = HANDLERS[type];
    handler?.(ctx, id, resource.Properties ?? {});
    if (USAGE_ONLY.has(type) || type.startsWith('Custom::')) usage.set(type, (usage.get(type) ?? 0) + 1);
    else if (!handler) ctx.notPriced.push(`${id} (${type}): no price in the model for this resource type`);
  }
  queueWorkers(ctx);
  taskDefinitionsWithoutService(ctx);
  const logGroups = usage.get('AWS::Logs::LogGroup') ?? 0;
  if (logGroups > 0) {
    const p = ctx.app.prices.cloudwatch;
    ctx.units.push({
      logicalId: `${logGroups} log group(s)`,
      unit: 'GB ingested',
      usd: p.logsIngestionGb,
      what: `CloudWatch Logs ingestion; storage ${usd(p.logsStorageGbMonth)} per GB-month on top`,
    });
  }
  const fixedTotal = round(ctx.fixed.reduce((sum, l) => sum + (l.usdPerMonth ?? 0), 0));
  return {
    name: ctx.name,
    fixed: ctx.fixed,
    fixedTotal,
    fixedIncomplete: ctx.fixed.some(l => l.usdPerMonth === null),
    units: ctx.units,
    notPriced: ctx.notPriced,
    usageOnly: [...usage].map(([type, n]) => ({ type, count: n })).sort((a, b) => a.type.localeCompare(b.type)),
  };
}

type Handler = (ctx: Ctx, id: string, props: any) => void;

const HANDLERS: Record<string, Handler> = {
  'AWS::EC2::NatGateway': (ctx, id) => {
    const p = ctx.app.prices;
    ctx.fixed.push({
      logicalId: id,
      type: 'AWS::EC2::NatGateway',
      what: `NAT gateway-hours (${usd(p.vpc.natGatewayHour)}/h; GBs processed on top)`,
      usdPerMonth: p.hoursPerMonth * p.vpc.natGatewayHour,
    });
  },
  'AWS::EC2::EIP': (ctx, id) => {
    const p = ctx.app.prices;
    const nat = Object.entries<any>(ctx.resources).find(([, r]) => r.Type === 'AWS::EC2::NatGateway'
      && ctx.target(r.Properties?.AllocationId)?.id === id)?.[0];
    ctx.fixed.push({
      logicalId: id,
      type: 'AWS::EC2::EIP',
      what: `public IPv4 address${nat ? ` of ${nat}` : ''} (Elastic IP)`,
      usdPerMonth: p.hoursPerMonth * p.vpc.publicIpv4Hour,
    });
  },
  'AWS::EC2::VPCEndpoint': (ctx, id, props) => {
    const p = ctx.app.prices;
    const kind = props.VpcEndpointType ?? 'Gateway';
    if (kind === 'Gateway') {
      ctx.units.push({ logicalId: id, unit: 'GB', usd: 0, what: 'gateway endpoint: free' });
      return;
    }
    const subnets = count(props.SubnetIds);
    if (kind !== 'Interface' || subnets === undefined) {
      ctx.notPriced.push(`${id} (AWS::EC2::VPCEndpoint): ${kind !== 'Interface' ? `${kind} endpoints are not in the price list` : 'subnet count unknown (SubnetIds is not a list)'}`);
      return;
    }
    ctx.fixed.push({
      logicalId: id,
      type: 'AWS::EC2::VPCEndpoint',
      what: `interface endpoint${serviceName(props.ServiceName)} in ${subnets} subnet(s) = AZ(s) (${usd(p.vpc.interfaceEndpointAzHour)}/AZ-hour)`,
      usdPerMonth: subnets * p.hoursPerMonth * p.vpc.interfaceEndpointAzHour,
    });
  },
  'AWS::KMS::Key': (ctx, id, props) => {
    const rotation = props.EnableKeyRotation === true || props.EnableKeyRotation === 'true';
    ctx.fixed.push({
      logicalId: id,
      type: 'AWS::KMS::Key',
      what: `customer-managed KMS key${rotation ? ' (rotation on: +$1/month for each of its first two yearly rotations)' : ''}`,
      usdPerMonth: ctx.app.prices.kms.keyMonth,
    });
  },
  'AWS::ElasticLoadBalancingV2::LoadBalancer': loadBalancer,
  'AWS::CloudWatch::Alarm': alarm,
  'AWS::CloudWatch::CompositeAlarm': (ctx, id) => {
    ctx.fixed.push({ logicalId: id, type: 'AWS::CloudWatch::CompositeAlarm', what: 'composite alarm', usdPerMonth: ctx.app.prices.cloudwatch.compositeAlarmMonth });
  },
  'AWS::CloudWatch::Dashboard': (ctx, id) => {
    ctx.fixed.push({ logicalId: id, type: 'AWS::CloudWatch::Dashboard', what: 'CloudWatch dashboard', usdPerMonth: ctx.app.prices.cloudwatch.dashboardMonth });
  },
  'AWS::AutoScaling::AutoScalingGroup': autoScalingGroup,
  'AWS::ECS::Service': ecsService,
  'AWS::ECS::Cluster': (ctx, id, props) => {
    const insights = (props.ClusterSettings ?? []).find((s: any) => s?.Name === 'containerInsights')?.Value;
    if (insights === 'enabled' || insights === 'enhanced') {
      ctx.notPriced.push(`${id} (AWS::ECS::Cluster): Container Insights (${insights}) is billed per observation while tasks run; ` +
        'no per-observation price was found. Metrics are sent only for running tasks: $0 while idle');
    }
  },
  'AWS::EC2::FlowLog': (ctx, id, props) => {
    ctx.notPriced.push(`${id} (AWS::EC2::FlowLog): flow records to ${props.LogDestinationType ?? 'cloud-watch-logs'} are billed ` +
      'per GB as vended logs; their volume depends on traffic and the us-east-1 vended-log price for CloudWatch Logs was not found');
  },
  'AWS::ECS::CapacityProvider': (ctx, id, props) => {
    if (props.ManagedInstancesProvider === undefined) return;
    ctx.notPriced.push(`${id} (AWS::ECS::CapacityProvider, Managed Instances): ECS launches instances only for tasks that need them ` +
      '($0 while idle); each costs its EC2 price plus a management fee per instance-hour by type, which is not in the model');
  },
  'AWS::ServiceDiscovery::HttpNamespace': (ctx, id) => {
    ctx.notPriced.push(`${id} (AWS::ServiceDiscovery::HttpNamespace): AWS Cloud Map prices the instances ECS registers for the tasks ` +
      'of Service Connect services and the discovery calls; those prices are not in the model (the namespace has no hosted zone)');
  },
  'AWS::Pipes::Pipe': (ctx, id, props) => {
    const source = ctx.target(props.Source);
    if (source && source.stack.resources[source.id]?.Type === 'AWS::SQS::Queue') {
      ctx.notPriced.push(`${id} (AWS::Pipes::Pipe): its polling of ${source.id} makes SQS receive requests even while idle; ` +
        'the poll rate is not documented');
    }
  },
  'AWS::StepFunctions::StateMachine': (ctx, id, props) => {
    const p = ctx.app.prices.stepFunctions;
    if (props.StateMachineType === 'EXPRESS') {
      if (!isWakeUpStateMachine(ctx, id)) {
        ctx.units.push({ logicalId: id, unit: 'million executions', usd: p.expressPerMillion, what: `Express requests; duration ${usd(p.expressGbSecond)} per GB-second on top` });
      }
    } else {
      ctx.units.push({ logicalId: id, unit: 'thousand state transitions', usd: p.standardPer1kTransitions, what: 'Standard workflow' });
    }
  },
  'AWS::Scheduler::Schedule': (ctx, id) => {
    ctx.units.push({ logicalId: id, unit: 'million invocations', usd: ctx.app.prices.schedulerPerMillion, what: 'EventBridge Scheduler, after the monthly free invocations' });
  },
  'AWS::EFS::FileSystem': (ctx, id) => {
    ctx.units.push({ logicalId: id, unit: 'GB-month stored', usd: ctx.app.prices.efsStandardGbMonth, what: 'EFS Standard storage; no minimum; throughput and transfers on top' });
  },
  'AWS::S3Files::FileSystem': (ctx, id) => {
    const p = ctx.app.prices.s3Files;
    ctx.units.push(
      { logicalId: id, unit: 'GB-month stored', usd: p.highPerformanceGbMonth, what: 'S3 Files high-performance storage: the active data and metadata only; the bucket\'s own storage on top' },
      { logicalId: id, unit: 'GB read', usd: p.readGb, what: 'S3 Files reads from high-performance storage; reads served straight from the bucket cost the S3 GET only' },
      { logicalId: id, unit: 'GB written', usd: p.writeGb, what: 'S3 Files writes; the synchronization to the bucket adds its own reads and S3 requests' },
    );
  },
};

function serviceName(value: any): string {
  return typeof value === 'string' ? ` (${value})` : '';
}

function loadBalancer(ctx: Ctx, id: string, props: any): void {
  const p = ctx.app.prices;
  const kind = props.Type ?? 'application';
  const type = 'AWS::ElasticLoadBalancingV2::LoadBalancer';
  if (kind !== 'application' && kind !== 'network') {
    ctx.notPriced.push(`${id} (${type}): ${kind} load balancers are not in the price list`);
    return;
  }
  const alb = kind === 'application';
  ctx.fixed.push({
    logicalId: id,
    type,
    what: `${alb ? 'Application' : 'Network'} Load Balancer-hours (${usd(alb ? p.elb.albHour : p.elb.nlbHour)}/h; ${alb ? 'LCU' : 'NLCU'}s on top)`,
    usdPerMonth: p.hoursPerMonth * (alb ? p.elb.albHour : p.elb.nlbHour),
  });
  if ((props.Scheme ?? 'internet-facing') === 'internet-facing') {
    const subnets = count(props.SubnetMappings) ?? count(props.Subnets);
    if (subnets === undefined) {
      ctx.notPriced.push(`${id} (${type}): internet-facing, but its subnet count (one public IPv4 per AZ) is unknown`);
    } else {
      ctx.fixed.push({
        logicalId: id,
        type,
        what: `${subnets} public IPv4 address(es), one per subnet = AZ (internet-facing)`,
        usdPerMonth: subnets * p.hoursPerMonth * p.vpc.publicIpv4Hour,
      });
    }
  }
  if (alb) {
    const lcuHours = 1e6 / (ALB_NEW_CONNECTIONS_PER_LCU_SECOND * 3600);
    ctx.units.push({
      logicalId: id,
      unit: 'million requests',
      usd: lcuHours * p.elb.albLcuHour,
      what: `LCUs from new connections only: ${ALB_NEW_CONNECTIONS_PER_LCU_SECOND} per second per LCU, one connection per request ` +
        `(${lcuHours.toFixed(2)} LCU-hours); a larger dimension (active connections, bytes, rule evaluations) would cost more`,
    });
  } else {
    ctx.units.push({ logicalId: id, unit: 'NLCU-hour', usd: p.elb.nlbLcuHour, what: 'Network Load Balancer capacity unit' });
  }
}

function alarm(ctx: Ctx, id: string, props: any): void {
  const p = ctx.app.prices.cloudwatch;
  const type = 'AWS::CloudWatch::Alarm';
  const metrics: any[] | undefined = Array.isArray(props.Metrics) ? props.Metrics : undefined;
  if (props.ThresholdMetricId !== undefined || metrics?.some(m => typeof m.Expression === 'string' && /SELECT|ANOMALY_DETECTION_BAND/i.test(m.Expression))) {
    ctx.notPriced.push(`${id} (${type}): anomaly-detection and Metrics Insights alarms are billed differently and not in the model`);
    return;
  }
  const stats = metrics ? metrics.filter(m => m.MetricStat !== undefined) : [props];
  const periods = stats.map(m => num(m.MetricStat?.Period ?? m.Period)).filter((n): n is number => n !== undefined);
  const highResolution = periods.some(period => period < 60);
  const price = highResolution ? p.highResolutionAlarmMetricMonth : p.alarmMetricMonth;
  ctx.fixed.push({
    logicalId: id,
    type,
    what: metrics ? `metric-math alarm: ${stats.length} alarm metric(s), one per MetricStat` : `alarm on one metric${highResolution ? ' (high resolution)' : ''}`,
    usdPerMonth: stats.length * price,
  });
}

interface InstanceGroup {
  readonly id: string;
  readonly stack: Ctx;
  /** Instance types, the one launched on demand first. */
  readonly types: string[];
  readonly rootGp3GiB?: number;
  readonly volumeIssue?: string;
  readonly monitoring: boolean;
}

/** The instance types (primary first) and root volume of an Auto Scaling group. */
function instanceGroup(ctx: Ctx, id: string): InstanceGroup {
  const props = ctx.resources[id]?.Properties ?? {};
  const mixed = props.MixedInstancesPolicy?.LaunchTemplate;
  const spec = mixed?.LaunchTemplateSpecification ?? props.LaunchTemplate;
  const template = spec ? ctx.target(spec.LaunchTemplateId ?? spec.LaunchTemplateName) : undefined;
  const data = template?.stack.resources[template.id]?.Properties?.LaunchTemplateData;
  const config = props.LaunchConfigurationName ? ctx.target(props.LaunchConfigurationName) : undefined;
  const source = data ?? config?.stack.resources[config.id]?.Properties ?? {};
  const overrides: string[] = (mixed?.Overrides ?? []).map((o: any) => o?.InstanceType).filter((t: any) => typeof t === 'string');
  const types = overrides.length > 0 ? overrides : typeof source.InstanceType === 'string' ? [source.InstanceType] : [];
  const volumes: any[] = source.BlockDeviceMappings ?? [];
  const ebs = volumes.map(v => v?.Ebs).filter(Boolean);
  let rootGp3GiB: number | undefined;
  let volumeIssue: string | undefined;
  if (ebs.length === 0) volumeIssue = 'root volume size comes from the AMI (no BlockDeviceMappings)';
  else if (ebs.some(v => (v.VolumeType ?? 'gp2') !== 'gp3' || num(v.VolumeSize) === undefined)) volumeIssue = 'a volume that is not gp3 or has no size';
  else rootGp3GiB = ebs.reduce((sum, v) => sum + Number(v.VolumeSize), 0);
  const monitoring = source.Monitoring?.Enabled === true || source.InstanceMonitoring === true;
  return { id, stack: ctx, types, rootGp3GiB, volumeIssue, monitoring };
}

/** Fixed lines for `instances` on-demand instances of a group, charged to `ctx` under `logicalId`. */
function instanceLines(ctx: Ctx, logicalId: string, type: string, group: InstanceGroup, instances: number, why: string): void {
  const p = ctx.app.prices;
  const instanceType = group.types[0];
  const hour = instanceType ? p.ec2InstanceHour[instanceType] ?? null : null;
  ctx.fixed.push({
    logicalId,
    type,
    what: `${why}: ${instances} × ${instanceType ?? 'unknown instance type'} on-demand (${hour === null ? 'price unknown' : `${usd(hour)}/h`})`,
    usdPerMonth: hour === null ? null : instances * p.hoursPerMonth * hour,
  });
  if (group.rootGp3GiB !== undefined) {
    ctx.fixed.push({
      logicalId,
      type,
      what: `${instances} × ${group.rootGp3GiB} GiB gp3 EBS volume(s) of those instances`,
      usdPerMonth: instances * group.rootGp3GiB * p.ebsGp3GbMonth,
    });
  } else {
    ctx.notPriced.push(`${logicalId}: EBS volumes of ${group.id}'s instances: ${group.volumeIssue}`);
  }
  if (group.monitoring) {
    ctx.notPriced.push(`${logicalId}: detailed monitoring of ${group.id}'s instances is billed as CloudWatch metrics; ` +
      'the metric count per instance is not in the price list');
  }
}

function autoScalingGroup(ctx: Ctx, id: string, props: any): void {
  const p = ctx.app.prices;
  const group = instanceGroup(ctx, id);
  for (const type of group.types) {
    const hour = p.ec2InstanceHour[type] ?? null;
    ctx.units.push({ logicalId: id, unit: 'instance-hour', usd: hour, what: `${type} on demand${group.rootGp3GiB ? ` + ${group.rootGp3GiB} GiB gp3 per instance-month` : ''}` });
  }
  const minSize = num(props.MinSize);
  if (minSize === undefined) {
    ctx.notPriced.push(`${id} (AWS::AutoScaling::AutoScalingGroup): MinSize is not a number`);
    return;
  }
  if (minSize === 0) return;
  const distribution = props.MixedInstancesPolicy?.InstancesDistribution ?? {};
  const base = Math.min(minSize, num(distribution.OnDemandBaseCapacity) ?? 0);
  const onDemandShare = (num(distribution.OnDemandPercentageAboveBaseCapacity) ?? 100) / 100;
  const onDemand = base + (minSize - base) * onDemandShare;
  const spot = minSize - onDemand;
  if (onDemand > 0) instanceLines(ctx, id, 'AWS::AutoScaling::AutoScalingGroup', group, onDemand, `MinSize ${minSize}`);
  if (spot > 0) ctx.notPriced.push(`${id} (AWS::AutoScaling::AutoScalingGroup): ${spot} of its MinSize instances are EC2 Spot, whose price varies`);
}

type ProviderKind = 'FARGATE' | 'FARGATE_SPOT' | 'EC2';
interface StrategyItem { readonly kind: ProviderKind; readonly weight: number; readonly base: number; readonly provider?: Ref }

function strategyOf(ctx: Ctx, items: any[] | undefined, launchType: any): StrategyItem[] | undefined {
  if (Array.isArray(items) && items.length > 0) {
    return items.map(i => {
      const name = i?.CapacityProvider;
      const kind: ProviderKind = name === 'FARGATE' || name === 'FARGATE_SPOT' ? name : 'EC2';
      return { kind, weight: num(i?.Weight) ?? 0, base: num(i?.Base) ?? 0, provider: kind === 'EC2' ? ctx.target(name) : undefined };
    });
  }
  if (launchType === 'FARGATE') return [{ kind: 'FARGATE', weight: 1, base: 0 }];
  if (launchType === 'EC2') return [{ kind: 'EC2', weight: 1, base: 0 }];
  return undefined;
}

/** Expected number of `tasks` on each kind of capacity: the base first, the rest split by weight. */
function split(strategy: StrategyItem[], tasks: number): Record<ProviderKind, number> {
  const out: Record<ProviderKind, number> = { FARGATE: 0, FARGATE_SPOT: 0, EC2: 0 };
  let rest = tasks;
  for (const item of strategy) {
    const onBase = Math.min(rest, item.base);
    out[item.kind] += onBase;
    rest -= onBase;
  }
  const total = strategy.reduce((sum, i) => sum + i.weight, 0);
  for (const item of strategy) out[item.kind] += total > 0 ? rest * item.weight / total : 0;
  return out;
}

interface TaskSize {
  readonly onDemandHour: number;
  readonly spotHour: number;
  /** e.g. '1 vCPU / 2 GB ARM64' */
  readonly label: string;
}

/** The Fargate price of one task-hour of a task definition, or why it cannot be priced. */
function taskSize(ctx: Ctx, props: any): TaskSize | string {
  const p = ctx.app.prices.fargate;
  const cpu = num(props.Cpu);
  const memory = num(props.Memory);
  if (cpu === undefined || memory === undefined) return 'task-level Cpu/Memory are not numbers';
  const os = props.RuntimePlatform?.OperatingSystemFamily ?? 'LINUX';
  const windows = os.startsWith('WINDOWS_SERVER_');
  if (os !== 'LINUX' && !windows) return `${os} tasks are not in the price list`;
  const arm = props.RuntimePlatform?.CpuArchitecture === 'ARM64';
  const vcpu = cpu / 1024;
  const gb = memory / 1024;
  const compute = windows
    ? vcpu * (p.windows.vcpuHour + p.windows.licenseVcpuHour) + gb * p.windows.gbHour
    : vcpu * (arm ? p.arm : p.x86).vcpuHour + gb * (arm ? p.arm : p.x86).gbHour;
  const storage = Math.max(0, (num(props.EphemeralStorage?.SizeInGiB) ?? 20) - 20) * p.ephemeralGbHour;
  return {
    onDemandHour: compute + storage,
    // Fargate Spot runs no Windows task.
    spotHour: windows ? compute + storage : compute * (1 - p.spotDiscount) + storage,
    label: `${vcpu} vCPU / ${gb} GB ${windows ? 'Windows x86_64 (license included)' : arm ? 'ARM64' : 'x86_64'}`,
  };
}

/** The minimum tasks of a service: its scalable target's MinCapacity, else its DesiredCount. */
function idleTasks(ctx: Ctx, serviceId: string, props: any): { tasks: number; source: string } {
  for (const [id, r] of Object.entries<any>(ctx.resources)) {
    if (r.Type !== 'AWS::ApplicationAutoScaling::ScalableTarget' || r.Properties?.ServiceNamespace !== 'ecs') continue;
    if (ctx.targetsWithin(r.Properties?.ResourceId).some(t => t.id === serviceId && t.stack === ctx)) {
      const min = num(r.Properties?.MinCapacity);
      if (min !== undefined) return { tasks: min, source: `MinCapacity of ${id}` };
    }
  }
  const desired = num(props.DesiredCount);
  return desired !== undefined ? { tasks: desired, source: 'DesiredCount' } : { tasks: 1, source: 'CloudFormation\'s default DesiredCount of 1' };
}

interface EbsVolumePrice {
  /** USD per volume-month; `null` when its type has no price in the list. */
  readonly usdPerMonth: number | null;
  /** e.g. '200 GiB gp3, 6000 IOPS, 250 MiB/s' */
  readonly label: string;
}

/** The monthly price of one EBS volume (`ManagedEBSVolume` of a service), or why it cannot be priced. */
function ebsVolumePrice(prices: Prices, volume: any): EbsVolumePrice | string {
  const e = prices.ebs;
  const type: string = volume?.VolumeType ?? 'gp2';
  const gib = num(volume?.SizeInGiB);
  if (gib === undefined) {
    return volume?.SnapshotId !== undefined ? 'its size comes from the snapshot (SizeInGiB not given)' : 'SizeInGiB is not a number';
  }
  const iops = num(volume?.Iops);
  const throughput = num(volume?.Throughput);
  const perf = [iops !== undefined ? `${iops} IOPS` : '', throughput !== undefined ? `${throughput} MiB/s` : ''].filter(Boolean);
  const label = [`${gib} GiB ${type}`, ...perf].join(', ');
  switch (type) {
    case 'gp3':
      return {
        label,
        usdPerMonth: gib * prices.ebsGp3GbMonth
          + Math.max(0, (iops ?? 3000) - 3000) * e.gp3IopsMonth
          + Math.max(0, (throughput ?? 125) - 125) * e.gp3ThroughputMiBpsMonth,
      };
    case 'gp2': return { label, usdPerMonth: gib * e.gp2GbMonth };
    case 'io1': return iops === undefined ? 'io1 without a number of IOPS' : { label, usdPerMonth: gib * e.io1GbMonth + iops * e.io1IopsMonth };
    case 'io2': {
      if (iops === undefined) return 'io2 without a number of IOPS';
      let rest = iops;
      let floor = 0;
      let iopsUsd = 0;
      for (const tier of e.io2IopsMonthTiers) {
        const inTier = Math.max(0, Math.min(rest, tier.upToIops - floor));
        iopsUsd += inTier * tier.iopsMonth;
        rest -= inTier;
        floor = tier.upToIops;
      }
      return { label, usdPerMonth: gib * e.io2GbMonth + iopsUsd };
    }
    case 'st1': return { label, usdPerMonth: gib * e.st1GbMonth };
    case 'sc1': return { label, usdPerMonth: gib * e.sc1GbMonth };
    case 'standard': return { label, usdPerMonth: e.standardGbMonth === null ? null : gib * e.standardGbMonth };
    default: return `volume type ${type} is not in the price list`;
  }
}

/**
 * EBS volumes ECS creates for a service: one per running task, billed while the task runs. The idle
 * tasks' volumes are a fixed cost; each further task adds a volume for as long as it runs.
 */
function taskEbsVolumes(ctx: Ctx, id: string, props: any): void {
  const p = ctx.app.prices;
  const type = 'AWS::ECS::Service';
  const volumes = (Array.isArray(props.VolumeConfigurations) ? props.VolumeConfigurations : [])
    .map((v: any) => v?.ManagedEBSVolume).filter((v: any) => v !== undefined);
  const { tasks, source } = idleTasks(ctx, id, props);
  for (const volume of volumes) {
    if (volume.VolumeInitializationRate !== undefined) {
      ctx.notPriced.push(`${id} (${type}): the provisioned initialization rate of its EBS volumes is billed per GB of the snapshot ` +
        'for every volume created; the snapshot size is not in the template');
    }
    const price = ebsVolumePrice(p, volume);
    if (typeof price === 'string') {
      ctx.notPriced.push(`${id} (${type}): the EBS volume of each task: ${price}`);
      continue;
    }
    const hour = price.usdPerMonth === null ? null : price.usdPerMonth / p.hoursPerMonth;
    ctx.units.push({
      logicalId: id,
      unit: 'task-hour (EBS volume)',
      usd: hour,
      what: `one ${price.label} EBS volume per running task (${usd(price.usdPerMonth)}/volume-month), created and deleted with the task`,
    });
    if (tasks > 0) {
      ctx.fixed.push({
        logicalId: id,
        type,
        what: `${tasks} task(s) (${source}) × one ${price.label} EBS volume`,
        usdPerMonth: price.usdPerMonth === null ? null : tasks * price.usdPerMonth,
      });
    }
  }
}

function ecsService(ctx: Ctx, id: string, props: any): void {
  serviceTasks(ctx, id, props);
  if (props.SchedulingStrategy !== 'DAEMON') taskEbsVolumes(ctx, id, props);
}

function serviceTasks(ctx: Ctx, id: string, props: any): void {
  const p = ctx.app.prices;
  const type = 'AWS::ECS::Service';
  const taskDefRef = ctx.target(props.TaskDefinition);
  const taskDef = taskDefRef?.stack.resources[taskDefRef.id]?.Properties;
  if (props.SchedulingStrategy === 'DAEMON') {
    ctx.fixed.push({ logicalId: id, type, what: 'daemon: one task per EC2 container instance, counted with the Auto Scaling groups', usdPerMonth: 0 });
    return;
  }
  const strategy = strategyOf(ctx, props.CapacityProviderStrategy, props.LaunchType);
  if (!strategy) {
    ctx.notPriced.push(`${id} (${type}): no launch type or capacity provider strategy: its capacity is the cluster default`);
    return;
  }
  const fargate = strategy.some(s => s.kind !== 'EC2');
  let size: TaskSize | undefined;
  if (fargate) {
    const sized = taskDef ? taskSize(ctx, taskDef) : 'task definition not found';
    if (typeof sized === 'string') {
      ctx.notPriced.push(`${id} (${type}): ${sized}`);
      return;
    }
    size = sized;
  }
  if (size && strategy.every(s => s.kind !== 'EC2')) {
    const total = strategy.reduce((sum, s) => sum + s.weight, 0);
    const spotShare = total > 0 ? strategy.filter(s => s.kind === 'FARGATE_SPOT').reduce((sum, s) => sum + s.weight, 0) / total : 0;
    ctx.units.push({
      logicalId: id,
      unit: 'task-hour',
      usd: size.onDemandHour * (1 - spotShare) + size.spotHour * spotShare,
      what: `${size.label} on Fargate, ${Math.round(spotShare * 100)}% Fargate Spot (by weight, above any base)`,
    });
  }
  const { tasks, source } = idleTasks(ctx, id, props);
  if (tasks <= 0) return;
  const onEach = split(strategy, tasks);
  if (size && (onEach.FARGATE > 0 || onEach.FARGATE_SPOT > 0)) {
    const parts = [onEach.FARGATE > 0 ? `${round(onEach.FARGATE)} on Fargate (${usd(size.onDemandHour)}/task-hour)` : '',
      onEach.FARGATE_SPOT > 0 ? `${round(onEach.FARGATE_SPOT)} on Fargate Spot (${usd(size.spotHour)}/task-hour)` : ''].filter(Boolean);
    ctx.fixed.push({
      logicalId: id,
      type,
      what: `${tasks} task(s) (${source}) × ${size.label}: ${parts.join(', ')}`,
      usdPerMonth: p.hoursPerMonth * (onEach.FARGATE * size.onDemandHour + onEach.FARGATE_SPOT * size.spotHour),
    });
  }
  if (onEach.EC2 > 0) ec2Floor(ctx, id, strategy, round(onEach.EC2), source);
}

/**
 * Tasks on EC2 capacity cost nothing beyond their instances. If their group's MinSize is 0, the idle
 * service still keeps at least one instance running: that first instance is charged here, once per group.
 */
function ec2Floor(ctx: Ctx, id: string, strategy: StrategyItem[], tasks: number, source: string): void {
  const groups = strategy.filter(s => s.kind === 'EC2').map(s => {
    const provider = s.provider ? s.provider.stack.resources[s.provider.id]?.Properties : undefined;
    const asg = provider ? s.provider!.stack.target(provider.AutoScalingGroupProvider?.AutoScalingGroupArn) : undefined;
    return asg;
  });
  for (const asg of groups) {
    const minSize = asg ? num(asg.stack.resources[asg.id]?.Properties?.MinSize) : undefined;
    if (!asg || minSize === undefined) {
      ctx.fixed.push({ logicalId: id, type: 'AWS::ECS::Service', what: `${tasks} task(s) (${source}) on EC2 capacity whose Auto Scaling group is not in the app`, usdPerMonth: null });
      continue;
    }
    const key = `${asg.stack.name}/${asg.id}`;
    if (minSize > 0) {
      ctx.fixed.push({ logicalId: id, type: 'AWS::ECS::Service', what: `${tasks} task(s) (${source}) on the instances of ${asg.id} (counted with the group)`, usdPerMonth: 0 });
    } else if (!ctx.app.flooredGroups.has(key)) {
      ctx.app.flooredGroups.add(key);
      instanceLines(ctx, id, 'AWS::ECS::Service', instanceGroup(asg.stack, asg.id), 1,
        `${tasks} task(s) (${source}) keep at least one instance of ${asg.id} (MinSize 0) running; more if they do not fit on one`);
    } else {
      ctx.fixed.push({ logicalId: id, type: 'AWS::ECS::Service', what: `${tasks} task(s) (${source}) on ${asg.id}, whose first instance another service already keeps running`, usdPerMonth: 0 });
    }
  }
}

/** Task definitions that no service uses (e.g. run by a schedule): the price of a task-hour. */
function taskDefinitionsWithoutService(ctx: Ctx): void {
  const used = new Set<string>();
  for (const stack of ctx.app.stacks) {
    for (const r of Object.values<any>(stack.resources)) {
      if (r.Type !== 'AWS::ECS::Service') continue;
      const t = stack.target(r.Properties?.TaskDefinition);
      if (t) used.add(`${t.stack.name}/${t.id}`);
    }
  }
  for (const [id, r] of Object.entries<any>(ctx.resources)) {
    if (r.Type !== 'AWS::ECS::TaskDefinition' || used.has(`${ctx.name}/${id}`)) continue;
    if (!(r.Properties?.RequiresCompatibilities ?? []).includes('FARGATE')) continue;
    const size = taskSize(ctx, r.Properties);
    if (typeof size !== 'object') {
      ctx.notPriced.push(`${id} (AWS::ECS::TaskDefinition): ${size}`);
      continue;
    }
    const strategy = runTaskStrategy(ctx, id, r.Properties.Family);
    const total = strategy?.reduce((sum, s) => sum + s.weight, 0) ?? 0;
    const spotShare = strategy && total > 0 ? strategy.filter(s => s.kind === 'FARGATE_SPOT').reduce((sum, s) => sum + s.weight, 0) / total : 0;
    ctx.units.push({
      logicalId: id,
      unit: 'task-hour',
      usd: size.onDemandHour * (1 - spotShare) + size.spotHour * spotShare,
      what: `${size.label} on Fargate, ${Math.round(spotShare * 100)}% Fargate Spot (${strategy ? 'strategy of the state machine that runs it' : 'no strategy found: on demand'})`,
    });
  }
}

/** The capacity provider strategy a state machine's `ecs:runTask` uses for a task definition. */
function runTaskStrategy(ctx: Ctx, taskDefId: string, family: unknown): StrategyItem[] | undefined {
  for (const r of Object.values<any>(ctx.resources)) {
    if (r.Type !== 'AWS::StepFunctions::StateMachine') continue;
    const definition = definitionOf(r.Properties);
    let found: StrategyItem[] | undefined;
    const walk = (v: any): void => {
      if (found || !v || typeof v !== 'object') return;
      const td = v.TaskDefinition;
      if (td !== undefined && (td === family || td === `{${taskDefId}}`) && Array.isArray(v.CapacityProviderStrategy)) {
        found = strategyOf(ctx, v.CapacityProviderStrategy, undefined);
      }
      Object.values(v).forEach(walk);
    };
    walk(definition);
    if (found) return found;
  }
  return undefined;
}

/** A state machine's definition as JSON; intrinsic parts of `DefinitionString` become `{LogicalId}` or `?`. */
function definitionOf(props: any): any {
  if (props?.Definition && typeof props.Definition === 'object') return props.Definition;
  const source = props?.DefinitionString;
  const parts: any[] = typeof source === 'string' ? [source] : source?.['Fn::Join']?.[1] ?? [];
  const text = parts.map(part => typeof part === 'string' ? part
    : part?.Ref !== undefined ? `{${part.Ref}}` : '?').join('');
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The pipe and Express state machine that read a FIFO wake-up (gate) queue, if any. */
function wakeUpPath(ctx: Ctx, gateId: string): { pipe: string; stateMachine: string; tracing: boolean } | undefined {
  for (const [id, r] of Object.entries<any>(ctx.resources)) {
    if (r.Type !== 'AWS::Pipes::Pipe' || ctx.target(r.Properties?.Source)?.id !== gateId) continue;
    const target = ctx.target(r.Properties?.Target);
    const machine = target ? target.stack.resources[target.id] : undefined;
    if (machine?.Type === 'AWS::StepFunctions::StateMachine' && machine.Properties?.StateMachineType === 'EXPRESS') {
      return { pipe: id, stateMachine: target!.id, tracing: machine.Properties?.TracingConfiguration?.Enabled === true };
    }
  }
  return undefined;
}

/** Whether a state machine is the target of a pipe that reads a FIFO queue (a wake-up path). */
function isWakeUpStateMachine(ctx: Ctx, id: string): boolean {
  return Object.values<any>(ctx.resources).some(r => {
    if (r.Type !== 'AWS::Pipes::Pipe' || ctx.target(r.Properties?.Target)?.id !== id) return false;
    const source = ctx.target(r.Properties?.Source);
    return source?.stack.resources[source.id]?.Properties?.FifoQueue === true;
  });
}

/** SQS queues that receive S3 "Object Created" events: EventBridge rule targets and bucket notifications. */
function objectCreatedQueues(ctx: Ctx): { source: string; queues: Ref[] }[] {
  const queue = (t: Ref | undefined): t is Ref => t !== undefined && t.stack.resources[t.id]?.Type === 'AWS::SQS::Queue';
  const found: { source: string; queues: Ref[] }[] = [];
  for (const [id, r] of Object.entries<any>(ctx.resources)) {
    const detailType = r.Type === 'AWS::Events::Rule' ? r.Properties?.EventPattern?.['detail-type'] : undefined;
    if (Array.isArray(detailType) && detailType.includes('Object Created')) {
      found.push({ source: `rule ${id}`, queues: (r.Properties?.Targets ?? []).map((t: any) => ctx.target(t?.Arn)).filter(queue) });
    }
    const notifications = r.Type === 'AWS::S3::Bucket' || r.Type === 'Custom::S3BucketNotifications' ? r.Properties?.NotificationConfiguration : undefined;
    const created = (notifications?.QueueConfigurations ?? []).filter((c: any) => String(c?.Event ?? c?.Events?.[0] ?? '').startsWith('s3:ObjectCreated'));
    if (created.length > 0) {
      found.push({ source: `bucket notification ${id}`, queues: created.map((c: any) => ctx.target(c.Queue ?? c.QueueArn)).filter(queue) });
    }
  }
  return found;
}

/**
 * Queue workers: an SQS queue that receives S3 "Object Created" events. Per million jobs: the job's SQS
 * requests, the task's S3 GET and, where the rule also feeds a FIFO gate queue read by a pipe that starts
 * an Express state machine, that wake-up path at its worst case (one execution per upload). Task time excluded.
 */
function queueWorkers(ctx: Ctx): void {
  const p = ctx.app.prices;
  for (const { source, queues } of objectCreatedQueues(ctx)) {
    const fifo = (q: Ref) => q.stack.resources[q.id]?.Properties?.FifoQueue === true;
    const gates = queues.filter((q: Ref) => fifo(q) && wakeUpPath(q.stack, q.id));
    for (const job of queues.filter((q: Ref) => !gates.includes(q))) {
      const sqsPerMillion = fifo(job) ? p.sqs.fifoPerMillion : p.sqs.standardPerMillion;
      const jobCost = 3 * sqsPerMillion + 1000 * p.s3.getPer1k;
      const parts = [`SQS send + receive + delete (3 × ${usd(sqsPerMillion)}/M)`, `S3 GET by the task (${usd(1000 * p.s3.getPer1k)}/M)`];
      let total = jobCost;
      for (const gate of gates) {
        const path = wakeUpPath(gate.stack, gate.id)!;
        const gbSeconds = 1e6 * WAKE_UP_EXECUTION.seconds * WAKE_UP_EXECUTION.gb;
        const execution = p.stepFunctions.expressPerMillion + gbSeconds * p.stepFunctions.expressGbSecond;
        const wakeUp = 3 * p.sqs.fifoPerMillion + p.pipesPerMillion + execution + (path.tracing ? p.xrayPerMillionTraces : 0);
        total += wakeUp;
        parts.push(`wake-up path at worst case, one per upload (${usd(wakeUp)}/M): FIFO gate send + receive + delete, ` +
          `one pipe request, one Express execution of ${WAKE_UP_EXECUTION.seconds} s at 64 MB` +
          `${path.tracing ? ', one X-Ray trace (tracing on)' : ''}`);
        ctx.notPriced.push(`${path.stateMachine} (AWS::StepFunctions::StateMachine): its execution logs (CloudWatch Logs per GB); the log volume per execution is not modelled`);
      }
      ctx.units.push({
        logicalId: job.id,
        unit: 'million jobs',
        usd: total,
        what: `${parts.join('; ')}. Excludes task time and the producer's S3 PUT; S3 events to EventBridge are assumed free (AWS service events); ` +
          `SQS SSE-KMS reuses data keys (KMS requests negligible); one 64 KB request chunk per message (from ${source})`,
      });
    }
  }
}
