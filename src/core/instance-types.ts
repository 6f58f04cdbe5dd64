/**
 * Hardware of common EC2 instance types (vCPUs, installed memory, GPUs), so that a workload can be
 * checked at synth time against the instances it runs on: ECS registers vCPUs x 1024 CPU units and
 * somewhat less memory than installed, and places a task only on an instance with room for all of it.
 * aws-cdk-lib has no such table. Types not listed here (metal sizes, older or exotic families) return
 * `undefined` and are never checked.
 *
 * Sources: the "Hardware specifications" tables of the Amazon EC2 Instance Types guide, and the GPU
 * instance table of the AWS Batch guide ("Run GPU jobs").
 */

/**
 * Families whose sizes follow medium = 1 vCPU, large = 2, xlarge = 4, Nxlarge = 4N vCPUs, with a fixed
 * number of GiB per vCPU (general purpose 4, compute optimized 2, memory optimized 8).
 * c5n (5.25 GiB per large), c4 (3.75) and r4 (15.25) do not follow the ratio and are left out.
 */
const GIB_PER_VCPU: { readonly [family: string]: number } = {
  ...families(4, [
    'm5', 'm5a', 'm5ad', 'm5d', 'm5dn', 'm5n', 'm5zn', 'm6a', 'm6g', 'm6gd', 'm6i', 'm6id', 'm6idn', 'm6in',
    'm7a', 'm7g', 'm7gd', 'm7i', 'm7i-flex', 'm8g', 'm8gd',
  ]),
  ...families(2, [
    'a1', 'c5', 'c5a', 'c5ad', 'c5d', 'c6a', 'c6g', 'c6gd', 'c6gn', 'c6i', 'c6id', 'c6in',
    'c7a', 'c7g', 'c7gd', 'c7gn', 'c7i', 'c7i-flex', 'c8g', 'c8gd',
  ]),
  ...families(8, [
    'r5', 'r5a', 'r5ad', 'r5b', 'r5d', 'r5dn', 'r5n', 'r6a', 'r6g', 'r6gd', 'r6i', 'r6id', 'r6idn', 'r6in',
    'r7a', 'r7g', 'r7gd', 'r7i', 'r7iz', 'r8g', 'r8gd',
  ]),
};

/** Burstable families: GiB per size. */
const BURSTABLE_GIB: { readonly [size: string]: number } = {
  'nano': 0.5, 'micro': 1, 'small': 2, 'medium': 4, 'large': 8, 'xlarge': 16, '2xlarge': 32,
};
const BURSTABLE_FAMILIES = ['t2', 't3', 't3a', 't4g'];

/** GPU families (one table per family; their memory does not follow a single ratio, their vCPUs do). */
const G5_GIB = { 'xlarge': 16, '2xlarge': 32, '4xlarge': 64, '8xlarge': 128, '12xlarge': 192, '16xlarge': 256, '24xlarge': 384, '48xlarge': 768 };
const GPU_GIB: { readonly [family: string]: { readonly [size: string]: number } } = {
  g4dn: { 'xlarge': 16, '2xlarge': 32, '4xlarge': 64, '8xlarge': 128, '12xlarge': 192, '16xlarge': 256 },
  g5: G5_GIB,
  g6: G5_GIB,
  g5g: { 'xlarge': 8, '2xlarge': 16, '4xlarge': 32, '8xlarge': 64, '16xlarge': 128 },
};

/** GPUs per instance, where a size differs from the family's 1. */
const GPUS: { readonly [family: string]: { readonly [size: string]: number } } = {
  g4dn: { '12xlarge': 4 },
  g5: { '12xlarge': 4, '24xlarge': 4, '48xlarge': 8 },
  g5g: { '16xlarge': 2 },
};

function families(gibPerVcpu: number, names: string[]): { [family: string]: number } {
  return Object.fromEntries(names.map(n => [n, gibPerVcpu]));
}

function own(table: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(table, key);
}

function vcpus(size: string): number | undefined {
  if (size === 'medium') return 1;
  if (size === 'large') return 2;
  if (size === 'xlarge') return 4;
  const m = /^(\d+)xlarge$/.exec(size);
  return m ? 4 * Number(m[1]) : undefined;
}

/** vCPUs of an instance type, or `undefined` when the type is not in the table. */
function instanceVcpus(instanceType: string): number | undefined {
  const [family, size, ...rest] = instanceType.split('.');
  if (size === undefined || rest.length > 0) return undefined;
  if (own(GIB_PER_VCPU, family)) return vcpus(size);
  if (own(GPU_GIB, family) && own(GPU_GIB[family], size)) return vcpus(size);
  return undefined;
}

/**
 * CPU units ECS registers for an instance type (1024 per vCPU), or `undefined` when the type is not in
 * the table.
 * @internal
 */
export function instanceCpuUnits(instanceType: string): number | undefined {
  const n = instanceVcpus(instanceType);
  return n === undefined ? undefined : n * 1024;
}

/**
 * GPUs of an instance type (0 for the general purpose, compute and memory optimized families), or
 * `undefined` when the type is not in the table.
 * @internal
 */
export function instanceGpus(instanceType: string): number | undefined {
  const [family, size, ...rest] = instanceType.split('.');
  if (size === undefined || rest.length > 0) return undefined;
  if (own(GIB_PER_VCPU, family) || BURSTABLE_FAMILIES.includes(family)) return 0;
  if (family === 'g6') return undefined;
  if (own(GPU_GIB, family) && own(GPU_GIB[family], size)) return own(GPUS[family] ?? {}, size) ? GPUS[family][size] : 1;
  return undefined;
}

/**
 * Installed memory of an instance type in MiB (what EC2 advertises; ECS registers somewhat less),
 * or `undefined` when the type is not in the table.
 * @internal
 */
export function instanceMemoryMiB(instanceType: string): number | undefined {
  const [family, size, ...rest] = instanceType.split('.');
  if (size === undefined || rest.length > 0) return undefined;
  let gib: number | undefined;
  if (own(GIB_PER_VCPU, family)) {
    const n = vcpus(size);
    gib = n === undefined ? undefined : n * GIB_PER_VCPU[family];
  } else if (BURSTABLE_FAMILIES.includes(family)) {
    gib = own(BURSTABLE_GIB, size) ? BURSTABLE_GIB[size] : undefined;
  } else if (own(GPU_GIB, family)) {
    gib = own(GPU_GIB[family], size) ? GPU_GIB[family][size] : undefined;
  }
  return gib === undefined ? undefined : gib * 1024;
}

/** An instance type of a capacity provider with one of its figures (CPU units, MiB, GPUs). */
export interface InstanceFigure {
  readonly type: string;
  readonly value: number;
}

/**
 * The first of the instance types with the largest figure, or undefined unless every type is in the
 * table: a bound "more than the largest" only holds when the largest is known.
 */
export function largestInstance(types: readonly { toString(): string }[], figure: (type: string) => number | undefined): InstanceFigure | undefined {
  const values = types.map(t => ({ type: t.toString(), value: figure(t.toString()) }));
  if (values.length === 0 || values.some(v => v.value === undefined)) return undefined;
  return (values as InstanceFigure[]).reduce((max, v) => v.value > max.value ? v : max);
}

/** The first of the instance types in the table with the smallest figure (types not in the table are skipped). */
export function smallestKnownInstance(types: readonly { toString(): string }[],
  figure: (type: string) => number | undefined): InstanceFigure | undefined {
  return types
    .map(t => ({ type: t.toString(), value: figure(t.toString()) }))
    .filter((v): v is InstanceFigure => v.value !== undefined)
    .reduce<InstanceFigure | undefined>((min, v) => min === undefined || v.value < min.value ? v : min, undefined);
}
