import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as fc from 'fast-check';
import { absPath, acknowledgeUserEnvironment, assertRejected, assertValidBatches, batchOf, Breaker, breaker, containerBreakers, ContainerSpec, containerSpec, Ec2Kind, Env, fileSeed, INVALID_RUNS, materializeContainer, params, PROVIDER_LIMITS, sidecarCpu, sidecarMemory } from './arbitraries';
import { WorkloadCluster } from '../../src';
import { DaemonAgent, DaemonAgentProps } from '../../src/daemon-agent/daemon-agent';

const seed = fileSeed('daemon-agent.property.test.ts');

/** Host ports ECS reserves on every container instance (PortMapping.hostPort in the ECS API reference). */
const RESERVED_HOST_PORTS = [22, 2375, 2376, 51678, 51679, 51680];

type Mode = 'BRIDGE' | 'HOST' | 'AWS_VPC' | 'NONE';

interface HostMountSpec { hostPath: string; containerPath: string; readOnly?: boolean; name?: string }

interface AgentSpec {
  /** undefined: the cluster's first provider (always 'arm' here). */
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

const agentSpec: fc.Arbitrary<AgentSpec> = opt(fc.constantFrom<Ec2Kind>('arm', 'x86', 'gpu')).chain(provider => fc.record({
  provider: fc.constant(provider),
  container: containerSpec({ fargate: false, provider: provider ?? 'arm', noResources: true, defaultMemory: 1048576 }),
  cpu: opt(fc.integer({ min: 128, max: PROVIDER_LIMITS[provider ?? 'arm'].cpu })),
  memoryReservationMiB: fc.integer({ min: 6, max: 2048 }),
  extraLimit: opt(fc.integer({ min: 0, max: 4096 })),
  networkMode: opt(fc.constantFrom<Mode>('BRIDGE', 'HOST', 'AWS_VPC', 'NONE')),
  privileged: opt(fc.boolean()),
  hostPidMode: opt(fc.boolean()),
  hostMounts: fc.array(hostMount, { maxLength: 3 }),
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
  // The agent and its sidecars fit the CPU of the provider's largest instance type (a ValidationError otherwise).
  const cpuRoom = PROVIDER_LIMITS[r.provider ?? 'arm'].cpu - sidecarCpu(r.container.sidecars);
  return {
    provider: r.provider,
    container: networkMode === 'NONE' || (networkMode !== 'AWS_VPC' && port !== undefined && RESERVED_HOST_PORTS.includes(port))
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
}));

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
    placementConstraints: s.placementConstraint ? [ecs.PlacementConstraint.memberOf('attribute:ecs.os-type == linux')] : undefined,
    removalPolicy: s.removalPolicy ? RemovalPolicy[s.removalPolicy] : undefined,
  };
}

function build(env: Env, id: string, s: AgentSpec): DaemonAgent {
  const agent = new DaemonAgent(env.stack, id, materialize(env, s));
  acknowledgeUserEnvironment(s.container, agent.taskDefinition);
  return agent;
}

describe('DaemonAgent properties', () => {
  test('random valid props: zero findings of the cdk-nag packs and cfn-guard', () => {
    assertValidBatches(seed, batchOf(agentSpec, 6, 10), (specs: AgentSpec[]) => {
      const env = newEnv();
      specs.forEach((s, i) => build(env, `Agent${i}`, s));
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

  const containerBroken = fc.tuple(
    agentSpec.filter(s => (s.provider ?? 'arm') === 'arm'),
    containerBreakers({ fargate: false, provider: 'arm', noResources: true })
      // A daemon's default hard limit grows with its sidecars: they cannot starve the main container (see memoryReservationMiB above).
      .filter(x => !x.what.startsWith('sidecars leave')),
  ).map(([s, cb]) => [
    { spec: s },
    breaker<Bad>(cb.what, x => ({ spec: { ...x.spec, hostMounts: undefined, container: cb.apply(x.spec.container) } })),
  ] as [Bad, Breaker<Bad>]);

  test('random invalid props are rejected with a ValidationError', () => {
    const anyBroken = agentSpec.map(spec => ({ spec } as Bad)).chain(bad => broken.map(br => [bad, br] as [Bad, Breaker<Bad>]));
    fc.assert(fc.property(fc.oneof(anyBroken, containerBroken), ([bad, br]) => {
      const x = br.apply(bad);
      assertRejected(env => {
        if (!x.noCapacity) env.provider('arm');
        const props = materialize(env, x.spec);
        new DaemonAgent(env.stack, 'Agent', { ...props, ...x.extra?.(env) } as DaemonAgentProps);
      }, br.what);
    }), params(seed, INVALID_RUNS));
  });
});
