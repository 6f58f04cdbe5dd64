/**
 * Security group evaluation of synthesized templates, the way the VPC evaluates a packet.
 *
 * A TCP packet from an ENI with security group A to an ENI with security group B on port P passes
 * when A's egress rules allow it (to B, or to a CIDR that covers B's subnets) and B's ingress rules
 * allow it (from A, or from a CIDR that covers A's subnets). Rules come from the inline
 * `SecurityGroupIngress` / `SecurityGroupEgress` of `AWS::EC2::SecurityGroup` and from standalone
 * `AWS::EC2::SecurityGroupIngress` / `AWS::EC2::SecurityGroupEgress` resources. A security group
 * created without inline egress rules gets AWS's default "all traffic to 0.0.0.0/0" egress rule;
 * aws-cdk-lib writes `255.255.255.255/32` ICMP 252-86 as a placeholder that matches nothing, to
 * remove that default.
 */
import { DeployModel, efsVolumesOf, listenersOf, listOf, loadBalancerOf, mountTargetsOf, ResourceNode, RuleCheck, Templates } from './graph';

/** The verdict on one packet path, with why. */
interface Reach {
  readonly allowed: boolean;
  readonly reason: string;
}

/** One security group rule, normalized. */
interface SgRule {
  readonly protocol: string;
  readonly fromPort: number;
  readonly toPort: number;
  readonly cidr?: string;
  /** Key of the peer security group (a model key, or the JSON of an id outside the model). */
  readonly peerSg?: string;
  readonly prefixList?: string;
  readonly label: string;
}

/** A security group's rules, and where the ENIs that carry it are. */
interface SgInfo {
  readonly ingress: SgRule[];
  readonly egress: SgRule[];
  /** CIDRs of the subnets of the ENIs that carry the group; undefined when any is unknown. */
  cidrs?: string[];
  unknownSubnets: boolean;
}

/** One end of a packet path: a security group, or plain addresses (no security group). */
type Peer = { readonly sg: string } | { readonly cidrs: string[] };

const ANYWHERE = '0.0.0.0/0';

function parseCidr(cidr: string): { addr: number; bits: number } | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!m) return undefined;
  const addr = [m[1], m[2], m[3], m[4]].reduce((acc, octet) => acc * 256 + Number(octet), 0);
  return { addr, bits: Number(m[5]) };
}

/** Whether `outer` contains every address of `inner` (both IPv4 CIDRs). */
export function cidrContains(outer: string, inner: string): boolean {
  const o = parseCidr(outer);
  const i = parseCidr(inner);
  if (!o || !i || o.bits > i.bits) return false;
  // Same network prefix: the first o.bits bits of both addresses agree.
  const block = 2 ** (32 - o.bits);
  return Math.floor(o.addr / block) === Math.floor(i.addr / block);
}

/** The CIDR block of a subnet of the model that an expression names, or undefined. */
function subnetCidr(m: DeployModel, stackName: string, subnet: unknown): string | undefined {
  const block = m.resolveOfType(stackName, subnet, 'AWS::EC2::Subnet')?.properties.CidrBlock;
  return typeof block === 'string' ? block : undefined;
}

/** The subnets of a load balancer, from `Subnets` or `SubnetMappings`. */
function loadBalancerSubnets(lb: ResourceNode): unknown[] {
  return lb.properties.Subnets ?? listOf(lb.properties.SubnetMappings).map(s => s?.SubnetId);
}

/** The security groups of a template or app, with their rules and where their ENIs live. */
class NetworkModel {
  public readonly model: DeployModel;
  private readonly sgs = new Map<string, SgInfo>();

  constructor(input: Templates) {
    this.model = new DeployModel(input);
    const m = this.model;
    for (const node of m.ofType('AWS::EC2::SecurityGroup')) {
      const inlineEgress = listOf(node.properties.SecurityGroupEgress);
      const info: SgInfo = {
        ingress: listOf(node.properties.SecurityGroupIngress).map((r, i) => this.rule(node.stackName, r, 'ingress', `inline ingress #${i + 1}`)),
        egress: inlineEgress.map((r, i) => this.rule(node.stackName, r, 'egress', `inline egress #${i + 1}`)),
        unknownSubnets: false,
      };
      if (inlineEgress.length === 0) {
        info.egress.push({ protocol: '-1', fromPort: 0, toPort: 65535, cidr: ANYWHERE, label: 'the default all-traffic egress rule (no egress rule in the template)' });
      }
      this.sgs.set(node.key, info);
    }
    for (const [type, direction] of [['AWS::EC2::SecurityGroupIngress', 'ingress'], ['AWS::EC2::SecurityGroupEgress', 'egress']] as const) {
      for (const node of m.ofType(type)) {
        const sg = m.resolve(node.stackName, node.properties.GroupId);
        const info = sg ? this.sgs.get(sg.key) : undefined;
        if (!info) continue;
        info[direction].push(this.rule(node.stackName, node.properties, direction, m.name(node)));
      }
    }
    // Where each group's ENIs are: subnets of services, tasks, load balancers, mount targets, instances.
    const place = (stackName: string, groups: unknown, subnets: unknown) => {
      const cidrs = listOf(subnets).map(s => subnetCidr(m, stackName, s));
      for (const g of listOf(groups)) {
        const sg = m.resolve(stackName, g);
        const info = sg ? this.sgs.get(sg.key) : undefined;
        if (!info) continue;
        if (cidrs.length === 0 || cidrs.some(c => c === undefined)) info.unknownSubnets = true;
        info.cidrs = [...new Set([...info.cidrs ?? [], ...cidrs.filter((c): c is string => c !== undefined)])];
      }
    };
    for (const p of awsvpcPlacements(m)) place(p.node.stackName, p.securityGroups, p.subnets);
    for (const lb of m.ofType('AWS::ElasticLoadBalancingV2::LoadBalancer')) {
      place(lb.stackName, lb.properties.SecurityGroups, loadBalancerSubnets(lb));
    }
    for (const mt of m.ofType('AWS::EFS::MountTarget')) place(mt.stackName, mt.properties.SecurityGroups, [mt.properties.SubnetId]);
    for (const asg of m.ofType('AWS::AutoScaling::AutoScalingGroup')) {
      const spec = asg.properties.LaunchTemplate ?? asg.properties.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
      const lt = m.resolve(asg.stackName, spec?.LaunchTemplateId);
      const data = lt?.properties.LaunchTemplateData ?? {};
      const groups = [...listOf(data.SecurityGroupIds), ...listOf(data.NetworkInterfaces).flatMap(n => listOf(n?.Groups))];
      place(asg.stackName, groups, asg.properties.VPCZoneIdentifier);
    }
  }

  /** A security group of the model by logical id (or `stackName/logicalId`). */
  public securityGroup(id: string): ResourceNode {
    const node = this.model.get(id);
    if (!node || !this.sgs.has(node.key)) throw new Error(`no AWS::EC2::SecurityGroup ${id} in the template(s)`);
    return node;
  }

  /** The security group keys an expression list names (model keys, or JSON for ids outside the model). */
  public groupKeys(stackName: string, groups: unknown): string[] {
    return listOf(groups).map(g => this.model.keyOf(stackName, g));
  }

  /** Whether a TCP packet from `from` to `to` on `port` passes both security groups: the sender's egress, then the receiver's ingress. */
  public reach(from: Peer, to: Peer, port: number): Reach {
    const path = `${this.peerName(from)} → ${this.peerName(to)} on TCP ${port}`;
    const allowedBy: string[] = [];
    for (const [end, other, direction] of [[from, to, 'egress'], [to, from, 'ingress']] as const) {
      if (!('sg' in end)) continue;
      const info = this.sgs.get(end.sg);
      if (!info) return { allowed: false, reason: `${path}: security group ${this.peerName(end)} is not in the template(s), its rules cannot be read` };
      const rules = info[direction];
      const rule = rules.find(r => portMatches(r, port) && this.ruleCovers(r, other));
      if (!rule) {
        const source = direction === 'ingress' ? ` from ${this.peerName(from)}` : '';
        return { allowed: false, reason: `${path} is dropped by ${this.peerName(end)}'s ${direction}: no rule allows it${source} (${direction} rules: ${summary(rules)})` };
      }
      allowedBy.push(`${direction} ${rule.label} of ${this.peerName(end)}`);
    }
    return { allowed: true, reason: `${path} allowed by ${allowedBy.join(' and ')}` };
  }

  /** The ingress rules of a security group (by model key). */
  public ingressOf(sgKey: string): SgRule[] {
    return this.sgs.get(sgKey)?.ingress ?? [];
  }

  /** Name of a peer for messages. */
  public peerName(p: Peer): string {
    if ('cidrs' in p) return p.cidrs.join(',');
    const node = this.model.get(p.sg);
    return node ? this.model.name(node) : p.sg;
  }

  /** Whether a rule's peer (CIDR or group) covers every address of `peer`. */
  private ruleCovers(rule: SgRule, peer: Peer): boolean {
    if ('sg' in peer) {
      if (rule.peerSg === peer.sg) return true;
      if (rule.cidr === undefined) return false;
      if (rule.cidr === ANYWHERE) return true;
      const info = this.sgs.get(peer.sg);
      if (!info || info.unknownSubnets || !info.cidrs || info.cidrs.length === 0) return false;
      return info.cidrs.every(c => cidrContains(rule.cidr!, c));
    }
    return rule.cidr !== undefined && peer.cidrs.every(c => cidrContains(rule.cidr!, c));
  }

  private cidrOf(stackName: string, expr: unknown): string | undefined {
    if (typeof expr === 'string') return expr;
    const node = this.model.resolve(stackName, expr);
    if (node?.type === 'AWS::EC2::VPC' && this.model.attributeOf(expr) === 'CidrBlock' && typeof node.properties.CidrBlock === 'string') {
      return node.properties.CidrBlock;
    }
    return undefined;
  }

  private rule(stackName: string, r: any, direction: 'ingress' | 'egress', where: string): SgRule {
    const protocol = String(r?.IpProtocol ?? '-1').toLowerCase();
    const peer = direction === 'ingress' ? r?.SourceSecurityGroupId : r?.DestinationSecurityGroupId;
    const prefixList = direction === 'ingress' ? r?.SourcePrefixListId : r?.DestinationPrefixListId;
    const cidr = r?.CidrIp !== undefined ? this.cidrOf(stackName, r.CidrIp) : undefined;
    const rule = {
      protocol,
      fromPort: Number(r?.FromPort ?? 0),
      toPort: Number(r?.ToPort ?? 65535),
      cidr: r?.CidrIp !== undefined ? cidr ?? `unresolved ${JSON.stringify(r.CidrIp)}` : undefined,
      peerSg: peer !== undefined ? this.model.keyOf(stackName, peer) : undefined,
      prefixList: prefixList !== undefined ? JSON.stringify(prefixList) : undefined,
    };
    const peerText = rule.cidr ?? (rule.peerSg !== undefined ? this.peerName({ sg: rule.peerSg }) : rule.prefixList ?? (r?.CidrIpv6 ? String(r.CidrIpv6) : '?'));
    const ports = protocol === '-1' ? 'all traffic' : `${protocol} ${rule.fromPort}${rule.toPort !== rule.fromPort ? `-${rule.toPort}` : ''}`;
    return { ...rule, label: `${where} (${ports} ${direction === 'ingress' ? 'from' : 'to'} ${peerText}${r?.Description ? `, "${r.Description}"` : ''})` };
  }
}

function portMatches(rule: SgRule, port: number): boolean {
  if (rule.protocol === '-1' || rule.protocol === 'all') return true;
  if (rule.protocol !== 'tcp' && rule.protocol !== '6') return false;
  return rule.fromPort <= port && port <= rule.toPort;
}

function summary(rules: SgRule[]): string {
  return rules.length === 0 ? 'none' : rules.map(r => r.label).join('; ');
}

/** ENIs that ECS places in awsvpc mode: services, and tasks started by EventBridge Scheduler or rules. */
interface AwsvpcPlacement {
  readonly node: ResourceNode;
  readonly what: string;
  readonly securityGroups: unknown;
  readonly subnets: unknown;
  readonly taskDefinition?: unknown;
}

/** Every awsvpc placement of ECS tasks in the model. */
function awsvpcPlacements(model: DeployModel): AwsvpcPlacement[] {
  const out: AwsvpcPlacement[] = [];
  for (const s of model.ofType('AWS::ECS::Service')) {
    const c = s.properties.NetworkConfiguration?.AwsvpcConfiguration;
    if (c) out.push({ node: s, what: `ECS service ${model.name(s)}`, securityGroups: c.SecurityGroups, subnets: c.Subnets, taskDefinition: s.properties.TaskDefinition });
  }
  for (const s of model.ofType('AWS::Scheduler::Schedule')) {
    const ecs = s.properties.Target?.EcsParameters;
    const c = ecs?.NetworkConfiguration?.AwsvpcConfiguration;
    if (c) out.push({ node: s, what: `tasks of schedule ${model.name(s)}`, securityGroups: c.SecurityGroups, subnets: c.Subnets, taskDefinition: ecs.TaskDefinitionArn });
  }
  // Step Functions `ecs:runTask` states: the network configuration is written inside the definition.
  for (const sm of model.ofType('AWS::StepFunctions::StateMachine')) {
    const definition = sm.properties.DefinitionString ?? sm.properties.Definition;
    if (!JSON.stringify(definition ?? '').includes('ecs:runTask')) continue;
    const families = new Set(model.ofType('AWS::ECS::TaskDefinition').filter(td => typeof td.properties.Family === 'string'
      && JSON.stringify(definition).includes(td.properties.Family)));
    const td = model.refsIn(sm.stackName, definition).find(n => n.type === 'AWS::ECS::TaskDefinition') ?? [...families][0];
    out.push({
      node: sm,
      what: `tasks of state machine ${model.name(sm)}`,
      securityGroups: model.expressionsNaming(sm.stackName, definition, 'AWS::EC2::SecurityGroup'),
      subnets: model.expressionsNaming(sm.stackName, definition, 'AWS::EC2::Subnet'),
      taskDefinition: td ? { Ref: td.logicalId } : undefined,
    });
  }
  for (const r of model.ofType('AWS::Events::Rule')) {
    for (const t of listOf(r.properties.Targets)) {
      const ecs = t?.EcsParameters;
      const c = ecs?.NetworkConfiguration?.AwsVpcConfiguration;
      if (c) out.push({ node: r, what: `tasks of rule ${model.name(r)}`, securityGroups: c.SecurityGroups, subnets: c.Subnets, taskDefinition: ecs.TaskDefinitionArn });
    }
  }
  return out;
}

function peerOf(id: string): Peer {
  return /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(id) ? { cidrs: [id] } : { sg: id };
}

/**
 * Whether a TCP packet from security group `fromSg` to security group `toSg` (or to a CIDR such as
 * `0.0.0.0/0`) on `port` passes, and why. Ids are logical ids (or `stackName/logicalId` for an app).
 */
export function canReach(input: Templates, fromSg: string, toSg: string, port: number): Reach {
  const net = new NetworkModel(input);
  const key = (id: string) => {
    const p = peerOf(id);
    return 'sg' in p ? { sg: net.securityGroup(id).key } : p;
  };
  return net.reach(key(fromSg), key(toSg), port);
}

/** The hops the network check derives from a template. */
export enum NetworkHop {
  LOAD_BALANCER_TO_TASKS = 'load-balancer-to-tasks',
  TASKS_TO_EFS = 'tasks-to-efs',
  TASKS_TO_AWS_APIS = 'tasks-egress-443',
}

/** One packet path the network check evaluated; `rule` is its hop. */
interface HopCheck extends RuleCheck<NetworkHop> {
  readonly from: string;
  readonly to: string;
  readonly port: number;
  /** The other end is outside the templates (an imported file system): neither proven nor refuted here. */
  readonly unverifiable?: boolean;
}

/** One `LoadBalancers` entry of an ECS service: the ports its load balancers must reach, and those load balancers. */
interface LoadBalancedTarget {
  readonly containerPort: number;
  readonly targetGroup?: ResourceNode;
  /** A health check port of the target group other than the traffic port. */
  readonly healthCheckPort?: number;
  readonly loadBalancers: ResourceNode[];
}

function loadBalancedTargets(m: DeployModel, service: ResourceNode): LoadBalancedTarget[] {
  return listOf(service.properties.LoadBalancers).map(entry => {
    const containerPort = Number(entry?.ContainerPort);
    const tg = m.resolve(service.stackName, entry?.TargetGroupArn);
    if (!tg) return { containerPort, loadBalancers: [] };
    const hc = tg.properties.HealthCheckPort;
    const loadBalancers = listenersOf(m, tg).map(l => loadBalancerOf(m, l)).filter((n): n is ResourceNode => n !== undefined);
    return {
      containerPort,
      targetGroup: tg,
      healthCheckPort: hc !== undefined && hc !== 'traffic-port' ? Number(hc) : undefined,
      loadBalancers: [...new Set(loadBalancers)],
    };
  });
}

/** The security groups of an ECS service's awsvpc tasks. */
function taskGroups(net: NetworkModel, service: ResourceNode): string[] {
  return net.groupKeys(service.stackName, service.properties.NetworkConfiguration?.AwsvpcConfiguration?.SecurityGroups);
}

/** Every hop a workload needs, derived from the template(s), passing or not. */
export function networkHops(input: Templates): HopCheck[] {
  const net = new NetworkModel(input);
  const m = net.model;
  const hops: HopCheck[] = [];
  const push = (hop: NetworkHop, from: Peer, to: Peer, port: number, what: string, consequence: string) => {
    const r = net.reach(from, to, port);
    hops.push({
      rule: hop,
      from: net.peerName(from),
      to: net.peerName(to),
      port,
      ok: r.allowed,
      message: `[${hop}] ${what}: ${r.reason}. ${consequence}`,
    });
  };

  // (a) Load balancer → tasks on the container port (and a separate health check port).
  for (const service of m.ofType('AWS::ECS::Service')) {
    for (const target of loadBalancedTargets(m, service)) {
      const tg = target.targetGroup;
      if (!tg) continue;
      const ports = [target.containerPort];
      if (target.healthCheckPort !== undefined && !ports.includes(target.healthCheckPort)) ports.push(target.healthCheckPort);
      for (const lb of target.loadBalancers) {
        const lbGroups = net.groupKeys(lb.stackName, lb.properties.SecurityGroups);
        const sources: Peer[] = lbGroups.length > 0 ? lbGroups.map(sg => ({ sg }))
          : [{ cidrs: loadBalancerSubnets(lb).map(s => subnetCidr(m, lb.stackName, s)).filter((c): c is string => c !== undefined) }];
        for (const source of sources) {
          for (const dest of taskGroups(net, service)) {
            for (const port of ports) {
              push(NetworkHop.LOAD_BALANCER_TO_TASKS, source, { sg: dest }, port,
                `load balancer ${m.name(lb)} → tasks of ECS service ${m.name(service)} (target group ${m.name(tg)})`,
                'Targets fail their health checks, so the service never becomes healthy and the deployment rolls back.');
            }
          }
        }
      }
    }
  }

  // (b) Tasks → every mount target of the EFS file systems they mount, on NFS 2049.
  for (const p of awsvpcPlacements(m)) {
    const td = m.resolveOfType(p.node.stackName, p.taskDefinition, 'AWS::ECS::TaskDefinition');
    if (!td) continue;
    const { fileSystems, external } = efsVolumesOf(m, td);
    for (const id of external) {
      hops.push({
        rule: NetworkHop.TASKS_TO_EFS,
        from: p.what,
        to: JSON.stringify(id),
        port: 2049,
        ok: false,
        unverifiable: true,
        message: `[${NetworkHop.TASKS_TO_EFS}] ${p.what} mount(s) EFS file system ${JSON.stringify(id)}, which is not in the template(s): ` +
          'the NFS 2049 path to its mount targets cannot be verified here.',
      });
    }
    for (const fs of fileSystems) {
      for (const mt of mountTargetsOf(m, fs)) {
        for (const src of net.groupKeys(p.node.stackName, p.securityGroups)) {
          for (const dst of net.groupKeys(mt.stackName, mt.properties.SecurityGroups)) {
            push(NetworkHop.TASKS_TO_EFS, { sg: src }, { sg: dst }, 2049,
              `${p.what} → EFS file system ${m.name(fs)} mount target ${m.name(mt)}`,
              'Tasks stop with "ResourceInitializationError: failed to invoke EFS utils commands to set up EFS volumes" (mount.nfs4: Connection timed out).');
          }
        }
      }
    }
  }

  // (c) Tasks → AWS APIs (ECR, ECS, CloudWatch Logs, SQS ...) on 443, through NAT or VPC endpoints.
  for (const p of awsvpcPlacements(m)) {
    for (const src of net.groupKeys(p.node.stackName, p.securityGroups)) {
      push(NetworkHop.TASKS_TO_AWS_APIS, { sg: src }, { cidrs: [ANYWHERE] }, 443, `${p.what} → AWS APIs`,
        'Tasks cannot pull their image or write logs (CannotPullContainerError / ResourceInitializationError) nor call SQS, S3 or other AWS APIs.');
    }
  }
  return hops;
}

/** The hops that a packet cannot take, one message each, starting with the hop's name. */
export function networkProblems(input: Templates): string[] {
  return networkHops(input).filter(h => !h.ok && !h.unverifiable).map(h => h.message);
}

/**
 * Hops whose other end is outside the templates (an imported EFS file system, whose mount targets'
 * security groups are unknown): not problems, but paths the README lists as unchecked before deploy.
 */
export function networkUnknowns(input: Templates): string[] {
  return networkHops(input).filter(h => h.unverifiable).map(h => h.message);
}

/**
 * Exactness of the load balancer → task hop: a load-balanced service's task security groups admit
 * nothing from `0.0.0.0/0`, and nothing from the load balancer's groups beyond the container port
 * (and a separate health check port).
 */
export function exactnessProblems(input: Templates): string[] {
  const net = new NetworkModel(input);
  const m = net.model;
  const out: string[] = [];
  for (const service of m.ofType('AWS::ECS::Service')) {
    const targets = loadBalancedTargets(m, service);
    if (targets.length === 0) continue;
    const allowedPorts = new Set<number>();
    const lbGroups = new Set<string>();
    for (const target of targets) {
      allowedPorts.add(target.containerPort);
      if (target.healthCheckPort !== undefined) allowedPorts.add(target.healthCheckPort);
      for (const lb of target.loadBalancers) net.groupKeys(lb.stackName, lb.properties.SecurityGroups).forEach(g => lbGroups.add(g));
    }
    for (const sg of new Set(taskGroups(net, service))) {
      for (const rule of net.ingressOf(sg)) {
        if (rule.cidr === ANYWHERE) {
          out.push(`[task-ingress-exact] task security group ${net.peerName({ sg })} of load-balanced ECS service ${m.name(service)} ` +
            `admits 0.0.0.0/0 by ${rule.label}: anything that can route to the task subnets reaches the container around the load balancer.`);
        }
        if (rule.peerSg !== undefined && lbGroups.has(rule.peerSg)) {
          const exact = (rule.protocol === 'tcp' || rule.protocol === '6') && rule.fromPort === rule.toPort && allowedPorts.has(rule.fromPort);
          if (!exact) {
            out.push(`[task-ingress-exact] task security group ${net.peerName({ sg })} of ECS service ${m.name(service)} admits its load balancer ` +
              `beyond the container port ${[...allowedPorts].join('/')} by ${rule.label}.`);
          }
        }
      }
    }
  }
  return out;
}
