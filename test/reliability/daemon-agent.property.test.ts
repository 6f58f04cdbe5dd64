import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as fc from 'fast-check';
import {
  absPath, acknowledgeUserEnvironment, assertRejected, assertValidBatches, batchOf, Breaker, breaker, containerBreakers, ContainerSpec, containerSpec,
  Ec2Kind, Env, esc, fileSeed, HealthCheckSpec, INVALID_RUNS, lift, MANAGED, ManagedKind, materializeContainer, params, PROVIDER_LIMITS,
  S3_FILES_PREFIXES, sidecarCpu, sidecarMemory, VolumeSpec, windowsContainerBreakers, winPath,
} from './arbitraries';
import { Capacity, WorkloadCluster } from '../../src';
import { DaemonAgent, DaemonAgentProps } from '../../src/daemon-agent/daemon-agent';
import { ManagedDaemonAgent, ManagedDaemonAgentProps } from '../../src/daemon-agent/managed-daemon';

const seed = fileSeed('daemon-agent.property.test.ts');

/** Host ports ECS reserves on every container instance (PortMapping.hostPort in the ECS API reference). */
const RESERVED_HOST_PORTS = [22, 2375, 2376, 51678, 51679, 51680];

type Mode = 'BRIDGE' | 'HOST' | 'AWS_VPC' | 'NONE' | 'NAT';

interface HostMountSpec { hostPath: string; containerPath: string; readOnly?: boolean; name?: string }

interface AgentSpec {
  /** undefined: the cluster's first provider (always 'arm' here); 'win': the Windows provider. */
  readonly provider?: Ec2Kind;
  readonly container: ContainerSpec;
  readonly cpu?: number;
  readonly memoryReservationMiB: number;
  readonly memoryLimitMiB?: number;
  readonly networkMode?: Mode;
  readonly privileged?: boolean;
  readonly hostPidMode?: boolean;
  readonly hostMounts?: HostMountSpec[];
  readonly placementConstraint?: boolean;
  readonly removalPolicy?: 'RETAIN' | 'DESTROY' | 'RETAIN_ON_UPDATE_OR_DELETE';
}

const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

const hostMount: fc.Arbitrary<HostMountSpec> = fc.record({
  hostPath: absPath,
  containerPath: absPath.map(p => `/host${p}`),
  readOnly: fc.boolean(),
  name: fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/),
}, { requiredKeys: ['hostPath', 'containerPath'] });

/** Host mounts of a Windows agent: drive paths on the instance and in the container. */
const windowsHostMount: fc.Arbitrary<HostMountSpec> = fc.record({
  hostPath: winPath,
  containerPath: winPath.map(p => `C:\\host\\${p.slice(3)}`),
  readOnly: fc.boolean(),
  name: fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/),
}, { requiredKeys: ['hostPath', 'containerPath'] });

/**
 * Agents on the cluster's Linux providers, and now and then on its Windows provider (an Auto Scaling
 * group more in the stack): Windows networking (NAT or awsvpc), drive-path host mounts, FSx shares,
 * no privileged mode or host PID namespace (refused: among the invalid props).
 */
const agentProvider: fc.Arbitrary<Ec2Kind | undefined> = fc.oneof(
  { arbitrary: opt(fc.constantFrom<Ec2Kind>('arm', 'x86', 'gpu')), weight: 11 },
  { arbitrary: fc.constant<Ec2Kind>('win'), weight: 1 },
);

const agentSpecOn = (provider: Ec2Kind | undefined): fc.Arbitrary<AgentSpec> => fc.record({
  provider: fc.constant(provider),
  container: containerSpec({ fargate: false, provider: provider ?? 'arm', windows: provider === 'win', noResources: true, defaultMemory: 1048576 }),
  cpu: opt(fc.integer({ min: 128, max: PROVIDER_LIMITS[provider ?? 'arm'].cpu })),
  memoryReservationMiB: fc.integer({ min: 6, max: 2048 }),
  extraLimit: opt(fc.integer({ min: 0, max: 4096 })),
  networkMode: opt(provider === 'win' ? fc.constantFrom<Mode>('NAT', 'AWS_VPC') : fc.constantFrom<Mode>('BRIDGE', 'HOST', 'AWS_VPC', 'NONE')),
  privileged: provider === 'win' ? fc.constant(undefined) : opt(fc.boolean()),
  hostPidMode: provider === 'win' ? fc.constant(undefined) : opt(fc.boolean()),
  hostMounts: fc.array(provider === 'win' ? windowsHostMount : hostMount, { maxLength: 3 }),
  placementConstraint: opt(fc.boolean()),
  removalPolicy: opt(fc.constantFrom('RETAIN' as const, 'DESTROY' as const, 'RETAIN_ON_UPDATE_OR_DELETE' as const)),
}, { requiredKeys: ['provider', 'container', 'memoryReservationMiB', 'hostMounts'] }).map(r => {
  const sidecars = sidecarMemory(r.container.sidecars);
  // Host mounts: names (given or derived from the host path) and mount points distinct from each other and the volumes.
  const names = new Set((r.container.volumes ?? []).map(v => v.name));
  const paths = new Set((r.container.volumes ?? []).map(v => v.path));
  const mounts: HostMountSpec[] = [];
  for (const m of r.hostMounts) {
    const name = m.name ?? `host-${m.hostPath.split(/[^A-Za-z0-9_]+/).filter(Boolean).join('-')}`;
    if (names.has(name) || paths.has(m.containerPath)) continue;
    names.add(name);
    paths.add(m.containerPath);
    mounts.push(m);
  }
  const networkMode = r.networkMode;
  const port = r.container.containerPort;
  // On Windows the task credential proxy takes host port 80 too.
  const reserved = r.provider === 'win' ? [80, ...RESERVED_HOST_PORTS] : RESERVED_HOST_PORTS;
  // The agent and its sidecars fit the CPU of the provider's largest instance type (a ValidationError otherwise).
  const cpuRoom = PROVIDER_LIMITS[r.provider ?? 'arm'].cpu - sidecarCpu(r.container.sidecars);
  return {
    provider: r.provider,
    container: networkMode === 'NONE' || (networkMode !== 'AWS_VPC' && port !== undefined && reserved.includes(port))
      // containerPort cannot be published without a network, nor on a host port ECS reserves.
      ? { ...r.container, containerPort: undefined }
      : r.container,
    cpu: r.cpu === undefined ? undefined : Math.max(128, Math.min(r.cpu, cpuRoom)),
    memoryReservationMiB: r.memoryReservationMiB,
    // The hard limit leaves the main container at least its reservation (and 64 MiB) beside the sidecars.
    memoryLimitMiB: r.extraLimit === undefined ? undefined : Math.max(r.memoryReservationMiB, 64) + sidecars + r.extraLimit,
    networkMode,
    privileged: r.privileged,
    hostPidMode: r.hostPidMode,
    hostMounts: mounts.length ? mounts : undefined,
    placementConstraint: r.placementConstraint,
    removalPolicy: r.removalPolicy,
  };
});

const agentSpec: fc.Arbitrary<AgentSpec> = agentProvider.chain(agentSpecOn);

function newEnv(): Env {
  const env = new Env();
  env.provider('arm'); // the cluster's first provider: the default of `capacityProvider`
  return env;
}

function materialize(env: Env, s: AgentSpec): DaemonAgentProps {
  return {
    cluster: env.cluster,
    ...materializeContainer(env, s.container),
    capacityProvider: s.provider ? env.provider(s.provider) : undefined,
    cpu: s.cpu,
    memoryReservationMiB: s.memoryReservationMiB,
    memoryLimitMiB: s.memoryLimitMiB,
    networkMode: s.networkMode ? ecs.NetworkMode[s.networkMode] : undefined,
    privileged: s.privileged,
    hostPidMode: s.hostPidMode,
    hostMounts: s.hostMounts,
    placementConstraints: s.placementConstraint ? [ecs.PlacementConstraint.memberOf(`attribute:ecs.os-type == ${s.provider === 'win' ? 'windows' : 'linux'}`)] : undefined,
    removalPolicy: s.removalPolicy ? RemovalPolicy[s.removalPolicy] : undefined,
  };
}

function build(env: Env, id: string, s: AgentSpec): DaemonAgent {
  const agent = new DaemonAgent(env.stack, id, materialize(env, s));
  acknowledgeUserEnvironment(s.container, agent.taskDefinition);
  return agent;
}

describe('DaemonAgent properties', () => {
  test('random valid props (with ManagedDaemonAgents beside): zero findings of the cdk-nag packs and cfn-guard', () => {
    // The managed daemons share these stacks (one cluster): stacks of their own would double the cfn-guard time.
    type Item = { managed: false; spec: AgentSpec } | { managed: true; spec: ManagedAgentSpec };
    const batch = fc.tuple(batchOf(agentSpec, 6, 10), fc.array(managedAgentSpec, { maxLength: 3 })).map(([agents, managed]) => [
      ...agents.map((spec): Item => ({ managed: false, spec })),
      ...managed.map((spec): Item => ({ managed: true, spec })),
    ]);
    assertValidBatches(seed, batch, (items: Item[]) => {
      const env = newEnv();
      items.forEach((x, i) => x.managed ? buildManaged(env, `ManagedAgent${i}`, x.spec) : build(env, `Agent${i}`, x.spec));
      return env.stack;
    });
  });

  type Extra = (env: Env) => Partial<DaemonAgentProps> & { [k: string]: unknown };
  interface Bad { spec: AgentSpec; extra?: Extra; noCapacity?: boolean }
  const b = (what: string, apply: (s: AgentSpec) => AgentSpec, extra?: Extra, noCapacity?: boolean): Breaker<Bad> =>
    breaker(what, x => ({ spec: apply(x.spec), extra, noCapacity }));
  const same = (s: AgentSpec) => s;

  const broken: fc.Arbitrary<Breaker<Bad>> = fc.oneof(
    fc.constantFrom<[string, Extra]>(
      ['desiredCount', () => ({ desiredCount: 2 })],
      ['minCapacity', () => ({ minCapacity: 1 })],
      ['maxCapacity', () => ({ maxCapacity: 3 })],
      ['capacity', () => ({ capacity: {} })],
      ['capacityProviderStrategies', () => ({ capacityProviderStrategies: [{ capacityProvider: 'FARGATE', weight: 1 }] })],
      ['placementStrategies', () => ({ placementStrategies: [ecs.PlacementStrategy.spreadAcrossInstances()] })],
      ['a capacity provider of another cluster', env => ({
        capacityProvider: new WorkloadCluster(env.stack, 'Other').addAsgCapacity('Arm', { instanceType: new ec2.InstanceType('m7g.large'), maxCapacity: 1 }),
      })],
      ['networkMode NAT', () => ({ networkMode: ecs.NetworkMode.NAT })],
    ).map(([what, extra]) => b(what,
      s => ({ ...s, provider: undefined, container: { ...s.container, cpuArchitecture: undefined, gpuCount: undefined } }), extra)),
    fc.constant(b('a cluster without EC2 capacity', s => ({ ...s, provider: undefined }), undefined, true)),
    fc.integer({ min: 1, max: 65535 }).map(p => b(`containerPort ${p} with networkMode NONE`, s => ({ ...s, networkMode: 'NONE', container: { ...s.container, containerPort: p } }))),
    fc.oneof(fc.integer({ min: -100, max: 5 }), fc.integer({ min: 3145729, max: 1e8 }))
      .map(m => b(`memoryReservationMiB ${m}`, s => ({ ...s, memoryReservationMiB: m, memoryLimitMiB: undefined }))),
    fc.integer({ min: 1, max: 1000 }).map(d => b(`memoryReservationMiB ${d} MiB over the hard limit minus sidecars`, s => ({
      ...s, memoryReservationMiB: 64 + d, memoryLimitMiB: 64 + sidecarMemory(s.container.sidecars) + d - 1,
    }))),
    fc.oneof(fc.integer({ min: -10, max: 127 }), fc.integer({ min: 196609, max: 1e7 })).map(c => b(`cpu ${c}`, s => ({ ...s, cpu: c }))),
    fc.constantFrom('SNAPSHOT' as any).map(p => b(`removalPolicy ${p}`, s => ({ ...s, removalPolicy: p }))),
    fc.integer({ min: PROVIDER_LIMITS.arm.cpu + 1, max: 196608 }).map(c => b(`cpu ${c}, more than every instance type of the provider has`,
      s => ({ ...s, provider: undefined, cpu: c, container: { ...s.container, cpuArchitecture: undefined, gpuCount: undefined } }))),
    fc.integer({ min: PROVIDER_LIMITS.arm.memoryMiB + 1, max: 3145728 }).map(m => b(`memoryReservationMiB ${m}, more than every instance type of the provider has`,
      s => ({
        ...s,
        provider: undefined,
        memoryReservationMiB: m,
        memoryLimitMiB: undefined,
        container: { ...s.container, cpuArchitecture: undefined, gpuCount: undefined },
      }))),
    fc.tuple(fc.constantFrom(...RESERVED_HOST_PORTS), fc.constantFrom<Mode | undefined>(undefined, 'BRIDGE', 'HOST')).map(([p, mode]) =>
      b(`containerPort ${p}, a host port ECS reserves, with networkMode ${mode ?? 'BRIDGE (default)'}`,
        s => ({ ...s, networkMode: mode, container: { ...s.container, containerPort: p } }))),
    fc.stringMatching(/^[a-z][a-z/]{0,8}$/).map(p => b(`hostMounts hostPath ${JSON.stringify(p)}`, s => ({ ...s, hostMounts: [{ hostPath: p, containerPath: '/host/x' }] }))),
    fc.stringMatching(/^[a-z][a-z/]{0,8}$/).map(p => b(`hostMounts containerPath ${JSON.stringify(p)}`, s => ({ ...s, hostMounts: [{ hostPath: '/var/log', containerPath: p }] }))),
    absPath.map(p => b(`hostMounts path ${p}/..`, s => ({ ...s, hostMounts: [{ hostPath: `${p}/..`, containerPath: '/host/x' }] }))),
    fc.constantFrom('a b', 'a/b', 'x'.repeat(256), 'ä', '').map(n => b(`hostMounts name ${JSON.stringify(n.slice(0, 20))}`, s => ({ ...s, hostMounts: [{ hostPath: '/var/log', containerPath: '/host/log', name: n }] }))),
    absPath.map(p => b(`two hostMounts of one host path ${p} (one default name)`, s => ({
      ...s,
      container: { ...s.container, volumes: undefined },
      hostMounts: [{ hostPath: p, containerPath: '/host/a' }, { hostPath: p, containerPath: '/host/b' }],
    }))),
    absPath.map(p => b(`two hostMounts on one containerPath ${p}`, s => ({
      ...s,
      container: { ...s.container, volumes: undefined },
      hostMounts: [{ hostPath: '/var/a', containerPath: p }, { hostPath: '/var/b', containerPath: p }],
    }))),
    absPath.map(p => b(`a hostMount on a volume's containerPath ${p}`, s => ({
      ...s,
      container: { ...s.container, volumes: [{ kind: 'scratch', name: 'tmp', path: p }] },
      hostMounts: [{ hostPath: '/var/a', containerPath: p }],
    }))),
    fc.constant(same).map(() => b('a hostMount named like a volume', s => ({
      ...s,
      container: { ...s.container, volumes: [{ kind: 'scratch', name: 'tmp', path: '/tmp' }] },
      hostMounts: [{ hostPath: '/var/a', containerPath: '/a', name: 'tmp' }],
    }))),
  );

  /** A container breaker applied to an agent (without its host mounts, whose names and paths a breaker's volumes could take). */
  const onContainer = (cb: Breaker<ContainerSpec>): Breaker<Bad> =>
    lift<Bad, ContainerSpec>(cb, (x, apply) => ({ spec: { ...x.spec, hostMounts: undefined, container: apply(x.spec.container) } }));

  /** Linux agents on the ARM provider, with a container breaker of it (EBS volumes fail synthesis: no REPLICA service attaches them). */
  const containerBroken = fc.tuple(
    opt(fc.constant<Ec2Kind>('arm')).chain(agentSpecOn),
    containerBreakers({ fargate: false, provider: 'arm', noResources: true })
      // A daemon's default hard limit grows with its sidecars: they cannot starve the main container (see memoryReservationMiB above).
      .filter(x => !x.what.startsWith('sidecars leave')),
  ).map(([s, cb]) => [{ spec: s }, onContainer(cb)] as [Bad, Breaker<Bad>]);

  /**
   * Agents on the Windows provider: what Windows containers and instances cannot have, each refusal naming the prop. The
   * agent's hard limit is left to its default (which makes room for a breaker's sidecars), its host mounts dropped.
   */
  const windowsAgent = (s: AgentSpec): AgentSpec => ({ ...s, memoryLimitMiB: undefined, hostMounts: undefined });
  const on = 'but the tasks run Windows containers on capacity provider \'Test/Cluster/Windows/CapacityProvider\' \\(Windows Server 2022\\)';
  const windowsBroken = fc.tuple(agentSpecOn('win'), fc.oneof(
    ...windowsContainerBreakers({ fargate: false }).map(a => a.map(cb =>
      lift<Bad, ContainerSpec>(cb, (x, apply) => ({ spec: { ...windowsAgent(x.spec), container: apply(x.spec.container) } })))),
    fc.constantFrom<Mode>('BRIDGE', 'HOST', 'NONE').map(mode => breaker<Bad>(`networkMode ${mode} on Windows`,
      x => ({ spec: { ...windowsAgent(x.spec), networkMode: mode, container: { ...x.spec.container, containerPort: undefined } } }),
      new RegExp(`networkMode is '${mode.toLowerCase()}', ${on}, where ECS supports awsvpc and the default Windows NAT network only\\. Use ecs\\.NetworkMode\\.AWS_VPC or ecs\\.NetworkMode\\.NAT`))),
    fc.constant(breaker<Bad>('privileged on Windows', x => ({ spec: { ...windowsAgent(x.spec), privileged: true } }),
      new RegExp(`privileged is true, ${on}, and ECS does not support privileged Windows containers\\. Remove privileged`))),
    fc.constant(breaker<Bad>('hostPidMode on Windows', x => ({ spec: { ...windowsAgent(x.spec), hostPidMode: true } }),
      new RegExp(`pidMode is 'host' \\(hostPidMode\\), ${on}, and ECS does not support a process namespace mode for Windows containers`))),
    absPath.map(p => breaker<Bad>(`hostMounts hostPath ${p} (Linux) on Windows`, x => ({ spec: { ...windowsAgent(x.spec), hostMounts: [{ hostPath: p, containerPath: 'C:\\host\\x' }] } }),
      new RegExp(`hostMounts\\[0\\]\\.hostPath must be an absolute Windows path without '\\.\\.' \\(the agent runs on Windows instances\\), got '${esc(p)}'`))),
    fc.constantFrom<Mode | undefined>(undefined, 'NAT').map(mode => breaker<Bad>(`containerPort 80 with networkMode ${mode ?? 'NAT (default)'} on Windows`,
      x => ({ spec: { ...windowsAgent(x.spec), networkMode: mode, container: { ...x.spec.container, containerPort: 80 } } }),
      /containerPort \(80\) is published on the same port of every instance \(networkMode nat\), but ECS reserves host ports 80, 22, .*\(the task credential proxy, SSH, Docker and the ECS agent\)/)),
  )).map(([s, br]) => [{ spec: s }, br] as [Bad, Breaker<Bad>]);

  test('random invalid props are rejected with a ValidationError', () => {
    // The breakers above are written for Linux agents; Windows agents have their own.
    const anyBroken = agentSpec.filter(s => s.provider !== 'win').map(spec => ({ spec } as Bad)).chain(bad => broken.map(br => [bad, br] as [Bad, Breaker<Bad>]));
    fc.assert(fc.property(fc.oneof(anyBroken, containerBroken, windowsBroken), ([bad, br]) => {
      const x = br.apply(bad);
      assertRejected(env => {
        if (!x.noCapacity) env.provider('arm');
        const props = materialize(env, x.spec);
        new DaemonAgent(env.stack, 'Agent', { ...props, ...x.extra?.(env) } as DaemonAgentProps);
      }, br.what, br.message, br.atSynth);
    }), params(seed, INVALID_RUNS));
  });
});

// ---------------------------------------------------------------------------------------------
// ManagedDaemonAgent: one task on every Managed Instance
// ---------------------------------------------------------------------------------------------

interface ManagedAgentSpec {
  readonly managed: ManagedKind;
  readonly container: ContainerSpec;
  readonly cpu?: number;
  readonly memoryReservationMiB: number;
  readonly memoryLimitMiB?: number;
  readonly hostMounts?: HostMountSpec[];
  readonly privileged?: boolean;
  readonly drainPercent?: number;
  readonly bakeMinutes?: number;
  readonly removalPolicy?: 'RETAIN' | 'DESTROY' | 'RETAIN_ON_UPDATE_OR_DELETE';
}

/** ECS waits at most 60 seconds for a daemon container's health check. */
const daemonHealthCheck = (h: HealthCheckSpec | undefined) => h?.timeoutS !== undefined && h.timeoutS > 60 ? { ...h, timeoutS: 60 } : h;

const managedAgentSpec: fc.Arbitrary<ManagedAgentSpec> = fc.constantFrom<ManagedKind>('miArm', 'miX86', 'miGpu').chain(managed => fc.record({
  managed: fc.constant(managed),
  container: containerSpec({ fargate: false, managed, port: false, noResources: true, defaultMemory: 1048576 }),
  cpu: opt(fc.integer({ min: 128, max: MANAGED[managed].cpu })),
  memoryReservationMiB: fc.integer({ min: 6, max: 2048 }),
  extraLimit: opt(fc.integer({ min: 0, max: 4096 })),
  hostMounts: fc.array(hostMount, { maxLength: 3 }),
  privileged: opt(fc.boolean()),
  drainPercent: opt(fc.oneof(fc.integer({ min: 0, max: 100 }), fc.double({ min: 0, max: 100, noNaN: true }))),
  bakeMinutes: opt(fc.integer({ min: 0, max: 60 })),
  removalPolicy: opt(fc.constantFrom('RETAIN' as const, 'DESTROY' as const, 'RETAIN_ON_UPDATE_OR_DELETE' as const)),
}, { requiredKeys: ['managed', 'container', 'memoryReservationMiB', 'hostMounts'] }).map(r => {
  // Daemon task definitions take host volumes only (scratch space here), no GPUs, and health checks of at most 60 s.
  const volumes = r.container.volumes?.filter(v => v.kind === 'scratch');
  const container: ContainerSpec = {
    ...r.container,
    gpuCount: undefined,
    volumes: volumes?.length ? volumes : undefined,
    healthCheck: daemonHealthCheck(r.container.healthCheck),
    sidecars: r.container.sidecars?.map(x => ({ ...x, healthCheck: daemonHealthCheck(x.healthCheck) })),
  };
  const names = new Set((container.volumes ?? []).map(v => v.name));
  const paths = new Set((container.volumes ?? []).map(v => v.path));
  const mounts: HostMountSpec[] = [];
  for (const m of r.hostMounts) {
    const name = m.name ?? `host-${m.hostPath.split(/[^A-Za-z0-9_]+/).filter(Boolean).join('-')}`;
    if (names.has(name) || paths.has(m.containerPath)) continue;
    names.add(name);
    paths.add(m.containerPath);
    mounts.push(m);
  }
  const cpuRoom = MANAGED[r.managed].cpu - sidecarCpu(container.sidecars);
  return {
    managed: r.managed,
    container,
    cpu: r.cpu === undefined ? undefined : Math.max(128, Math.min(r.cpu, cpuRoom)),
    memoryReservationMiB: r.memoryReservationMiB,
    memoryLimitMiB: r.extraLimit === undefined ? undefined : Math.max(r.memoryReservationMiB, 64) + sidecarMemory(container.sidecars) + r.extraLimit,
    hostMounts: mounts.length ? mounts : undefined,
    privileged: r.privileged,
    drainPercent: r.drainPercent,
    bakeMinutes: r.bakeMinutes,
    removalPolicy: r.removalPolicy,
  };
}));

function materializeManaged(env: Env, s: ManagedAgentSpec): ManagedDaemonAgentProps {
  const { containerPort: _port, cpu: _cpu, memoryLimitMiB: _memory, ...container } = materializeContainer(env, s.container);
  return {
    cluster: env.cluster,
    ...container,
    capacity: Capacity.managedInstances(env.managed(s.managed)),
    cpu: s.cpu,
    memoryReservationMiB: s.memoryReservationMiB,
    memoryLimitMiB: s.memoryLimitMiB,
    hostMounts: s.hostMounts,
    privileged: s.privileged,
    drainPercent: s.drainPercent,
    bakeTime: s.bakeMinutes !== undefined ? Duration.minutes(s.bakeMinutes) : undefined,
    removalPolicy: s.removalPolicy ? RemovalPolicy[s.removalPolicy] : undefined,
  };
}

function buildManaged(env: Env, id: string, s: ManagedAgentSpec): ManagedDaemonAgent {
  const agent = new ManagedDaemonAgent(env.stack, id, materializeManaged(env, s));
  acknowledgeUserEnvironment(s.container, agent.daemonTaskDefinition);
  return agent;
}

describe('ManagedDaemonAgent properties', () => {
  // Valid props: in the DaemonAgent stacks above.

  type Extra = (env: Env) => { [k: string]: unknown };
  interface Bad { spec: ManagedAgentSpec; extra?: Extra }
  const b = (what: string, apply: (s: ManagedAgentSpec) => ManagedAgentSpec, message: RegExp, extra?: Extra): Breaker<Bad> =>
    breaker(what, x => ({ spec: apply(x.spec), extra }), message);
  const same = (s: ManagedAgentSpec) => s;
  const path = (s: ManagedAgentSpec) => `Managed Instances capacity provider 'Test/Cluster/${MANAGED[s.managed].id}/CapacityProvider'`;

  const brokenManaged = (spec: ManagedAgentSpec): fc.Arbitrary<Breaker<Bad>> => fc.oneof(
    fc.constantFrom<[string, Extra]>(
      ['containerPort', () => ({ containerPort: 8080 })],
      ['networkMode', () => ({ networkMode: ecs.NetworkMode.HOST })],
      ['hostPidMode', () => ({ hostPidMode: true })],
      ['placementConstraints', () => ({ placementConstraints: [ecs.PlacementConstraint.memberOf('attribute:ecs.os-type == linux')] })],
      ['placementStrategies', () => ({ placementStrategies: [ecs.PlacementStrategy.spreadAcrossInstances()] })],
      ['capacityProvider', env => ({ capacityProvider: env.provider('arm') })],
      ['desiredCount', () => ({ desiredCount: 2 })],
      ['minCapacity', () => ({ minCapacity: 1 })],
      ['maxCapacity', () => ({ maxCapacity: 3 })],
      ['enableExec', () => ({ enableExec: true })],
    ).map(([prop, extra]) => b(prop, same, new RegExp(`${prop} \\(.*\\) is not supported by a managed daemon`), extra)),
    fc.constantFrom<[string, Extra]>(
      ['FARGATE', () => ({ capacity: Capacity.fargate() })],
      ['EC2', env => ({ capacity: Capacity.ec2(env.provider('arm')) })],
    ).map(([kind, extra]) => b(`capacity ${kind}`, same, new RegExp(`capacity is ${kind}, but ECS Managed Daemons run on ECS Managed Instances only`), extra)),
    fc.constant(b('Managed Instances of another cluster', same, /which was not added to cluster 'Test\/Cluster'/,
      env => ({ capacity: Capacity.managedInstances(new WorkloadCluster(env.stack, 'OtherCluster').addManagedInstances('Managed')) }))),
    fc.constant(b('cpuArchitecture against the Managed Instances', s => ({ ...s, container: { ...s.container, cpuArchitecture: MANAGED[s.managed].arch === 'ARM64' ? 'X86_64' : 'ARM64' } }),
      new RegExp(`cpuArchitecture is ${MANAGED[spec.managed].arch === 'ARM64' ? 'X86_64' : 'ARM64'} but ${path(spec)} launches ${MANAGED[spec.managed].arch} instances`))),
    fc.integer({ min: 1, max: 16 }).map(g => b(`gpuCount ${g}`, s => ({ ...s, container: { ...s.container, gpuCount: g } }),
      new RegExp(`gpuCount \\(${g}\\) cannot be reserved by a managed daemon`))),
    fc.oneof(fc.integer({ min: -10, max: 127 }), fc.integer({ min: 196609, max: 1e7 })).map(c => b(`cpu ${c}`, s => ({ ...s, cpu: c }),
      new RegExp(`cpu must be a whole number between 128 and 196608, got ${c}`))),
    fc.integer({ min: MANAGED[spec.managed].cpu + 1, max: 196608 }).map(c => b(`cpu ${c}, more than the largest Managed Instance has`, s => ({ ...s, cpu: c }),
      new RegExp(`cpu \\(${c}\\) and the sidecars reserve \\d+ CPU units on every instance, more than the ${MANAGED[spec.managed].cpu}`))),
    fc.oneof(fc.integer({ min: -100, max: 5 }), fc.integer({ min: 3145729, max: 1e8 })).map(m => b(`memoryReservationMiB ${m}`, s => ({ ...s, memoryReservationMiB: m, memoryLimitMiB: undefined }),
      new RegExp(`memoryReservationMiB must be a whole number between 6 and 3145728, got ${m}`))),
    fc.integer({ min: MANAGED[spec.managed].memoryMiB + 1, max: 3145728 }).map(m => b(`memoryReservationMiB ${m}, more than the largest Managed Instance has`,
      s => ({ ...s, memoryReservationMiB: m, memoryLimitMiB: undefined }), new RegExp(`more than the ${MANAGED[spec.managed].memoryMiB} MiB \\(maxMemoryMiB\\)`))),
    fc.integer({ min: 1, max: 1000 }).map(d => b(`memoryReservationMiB ${d} MiB over the hard limit minus sidecars`, s => ({
      ...s, memoryReservationMiB: 64 + d, memoryLimitMiB: 64 + sidecarMemory(s.container.sidecars) + d - 1,
    }), /exceeds the agent container's hard limit of \d+ MiB/)),
    fc.oneof(fc.double({ min: 100.001, max: 1e4, noNaN: true }), fc.double({ min: -1e4, max: -0.001, noNaN: true })).map(d => b(`drainPercent ${d}`, s => ({ ...s, drainPercent: d }),
      /drainPercent must be between 0 and 100, got /)),
    fc.integer({ min: 1, max: 10000 }).filter(x => x % 60 !== 0).map(sec => b(`bakeTime ${sec} s`, s => ({ ...s, bakeMinutes: sec / 60 }),
      /bakeTime \(.*\) must be a whole number of minutes/)),
    fc.constantFrom('efs' as const, 'docker' as const).map(kind => b(`a${kind === 'efs' ? 'n EFS' : ' Docker'} volume`,
      s => ({ ...s, hostMounts: undefined, container: { ...s.container, volumes: [{ kind, name: 'v', path: '/v' }] } }),
      new RegExp(`volumes\\[0\\] 'v' is ${kind === 'efs' ? 'an EFS' : 'a Docker'} volume, but daemon task definitions take host volumes only`))),
    // The refusal of the newer kinds names the prop; it calls each of them a Docker volume today (reported), so the kind is not pinned here.
    fc.constantFrom<VolumeSpec>(
      { kind: 'ebs', name: 'v', path: '/v', sizeGiB: 10 },
      { kind: 's3files', name: 'v', path: '/v', prefix: S3_FILES_PREFIXES[0] },
      { kind: 'fsx', name: 'v', path: '/v', credentials: 'secret' },
    ).map(v => b(`a ${v.kind} volume`, s => ({ ...s, hostMounts: undefined, container: { ...s.container, volumes: [v] } }),
      /volumes\[0\] 'v' is (an EBS|an S3 Files|an FSx for Windows File Server) volume, but daemon task definitions take host volumes only/)),
    fc.integer({ min: 61, max: 120 }).map(t => b(`healthCheck timeout ${t} s`, s => ({ ...s, container: { ...s.container, healthCheck: { intervalS: 300, timeoutS: t } } }),
      new RegExp(`healthCheck\\.timeout must be a whole number between 2 and 60 seconds, got ${t}`))),
    fc.stringMatching(/^[a-z][a-z/]{0,8}$/).map(p => b(`hostMounts hostPath ${JSON.stringify(p)}`, s => ({ ...s, hostMounts: [{ hostPath: p, containerPath: '/host/x' }] }),
      /hostMounts\[0\]\.hostPath must be an absolute path without '\.\.'/)),
  );

  test('random invalid props are rejected with a ValidationError', () => {
    fc.assert(fc.property(managedAgentSpec.chain(spec => brokenManaged(spec).map(br => [spec, br] as const)), ([spec, br]) => {
      const x = br.apply({ spec });
      assertRejected(env => {
        new ManagedDaemonAgent(env.stack, 'Agent', { ...materializeManaged(env, x.spec), ...x.extra?.(env) } as ManagedDaemonAgentProps);
      }, br.what, br.message);
    }), params(seed, INVALID_RUNS));
  });
});
