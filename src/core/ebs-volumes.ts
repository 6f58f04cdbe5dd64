import { Size, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IConstruct } from 'constructs';
import type { WorkloadCluster } from './cluster';
import { checkRange, isUnresolved, show, ValidationError } from './errors';
import { acknowledgeResourceWildcards } from './policy-findings';
import { WorkloadRole } from './roles';
import { warn, WarningId } from './warnings';

/** Options for `WorkloadVolume.ebs`. */
export interface EbsVolumeOptions {
  /** Absolute path where the volume appears in the container. */
  readonly containerPath: string;

  /**
   * Volume name in the task definition.
   * @default 'ebs'
   */
  readonly name?: string;

  /**
   * Size of each task's volume, in GiB: gp2/gp3 1–16384, io1/io2 4–16384, st1/sc1 125–16384,
   * standard 1–1024 (the sizes ECS documents for the volumes it creates; EBS alone allows gp3 and
   * io2 volumes of up to 65536 GiB). Required unless `snapshotId` is given (then the snapshot's
   * size applies, or this size when larger).
   * @default - the snapshot's size
   */
  readonly sizeGiB?: number;

  /**
   * EBS volume type. `STANDARD` (magnetic) is not available on Fargate.
   * @default ec2.EbsDeviceVolumeType.GP3
   */
  readonly volumeType?: ec2.EbsDeviceVolumeType;

  /**
   * Provisioned IOPS: gp3 3000–80000 (at most 500 per GiB), io1 100–64000 (at most 50 per GiB),
   * io2 100–256000 (at most 1000 per GiB); required for io1 and io2, refused for the other types.
   * EBS raised the gp3 maximum from 16000 to 80000 in September 2025; the ECS API reference still
   * lists 16000 for the volumes ECS creates, which pass this value to EBS unchanged.
   * @default - 3000 for gp3 (the baseline, included in the price)
   */
  readonly iops?: number;

  /**
   * Provisioned throughput of a gp3 volume, in MiB/s: 125–2000, at most 0.25 MiB/s per IOPS.
   * Refused for other types. EBS raised the maximum from 1000 to 2000 in September 2025; the ECS
   * API reference still lists 1000.
   * @default - 125 for gp3 (the baseline, included in the price)
   */
  readonly throughputMiBps?: number;

  /**
   * File system ECS formats the volume with: XFS, EXT3 or EXT4 on Linux, NTFS on Windows. A volume
   * created from a snapshot needs the file system the snapshot was taken with.
   * @default ecs.FileSystemType.XFS
   */
  readonly fileSystemType?: ecs.FileSystemType;

  /**
   * EBS snapshot (`snap-...`) each task's volume is created from, e.g. a prepared model cache.
   * @default - an empty volume
   */
  readonly snapshotId?: string;

  /**
   * Rate at which EBS fetches the snapshot's blocks when it creates a volume, in MiB/s (100–300):
   * the volume is fully initialized in a predictable time instead of loading blocks on first read.
   * Only with `snapshotId`. EBS charges extra for a provisioned initialization rate.
   * @default - blocks load on first access
   */
  readonly volumeInitializationRateMiBps?: number;

  /**
   * Whether the container may only read (a snapshot-based cache, for instance).
   * @default false
   */
  readonly readOnly?: boolean;
}

/**
 * Sizes as the ECS API reference (`ServiceManagedEBSVolumeConfiguration`) lists them; aws-cdk-lib's
 * `ecs.ServiceManagedVolume` refuses larger gp3 and io2 volumes too, although EBS now creates them.
 */
const SIZE_GIB: { [type: string]: [number, number] } = {
  gp2: [1, 16384], gp3: [1, 16384], io1: [4, 16384], io2: [4, 16384], st1: [125, 16384], sc1: [125, 16384], standard: [1, 1024],
};
/**
 * IOPS as EBS `CreateVolume` takes them, which ECS calls with these values; the gp3 maximum is the
 * one EBS raised in September 2025 (the ECS API reference still says 16000).
 */
const IOPS: { [type: string]: { range: [number, number]; perGiB: number } } = {
  gp3: { range: [3000, 80000], perGiB: 500 },
  io1: { range: [100, 64000], perGiB: 50 },
  io2: { range: [100, 256000], perGiB: 1000 },
};
/** gp3 throughput in MiB/s (`CreateVolume`: 125–2000, at most 0.25 MiB/s per provisioned IOPS). */
const GP3_THROUGHPUT_MIBPS: [number, number] = [125, 2000];
const GP3_THROUGHPUT_PER_IOPS = 0.25;

/**
 * Checks an EBS volume's settings against the limits of EBS and ECS; every message names the prop,
 * the value and the fix. Tokens are skipped. @internal
 */
export function checkEbsOptions(scope: IConstruct, prop: string, o: EbsVolumeOptions, fargate: boolean): void {
  const type = o.volumeType ?? ec2.EbsDeviceVolumeType.GP3;
  const known = SIZE_GIB[type];
  if (!known) {
    throw new ValidationError(scope,
      `${prop}.volumeType is ${show(type)}, which ECS cannot attach to a task. Use one of ${Object.keys(SIZE_GIB).join(', ')} (ec2.EbsDeviceVolumeType.GP3 for most workloads).`);
  }
  if (o.sizeGiB === undefined && o.snapshotId === undefined) {
    throw new ValidationError(scope,
      `${prop} has neither sizeGiB nor snapshotId, so ECS cannot size the volume. Give sizeGiB (e.g. 200), or a snapshotId to create each volume from.`);
  }
  checkRange(scope, `${prop}.sizeGiB`, o.sizeGiB, known[0], known[1], `${type} volumes hold ${known[0]} to ${known[1]} GiB.`, { unit: 'GiB' });
  if (type === 'standard' && fargate) {
    throw new ValidationError(scope,
      `${prop}.volumeType is 'standard' (magnetic), which Fargate does not attach. Use ec2.EbsDeviceVolumeType.GP3 (or st1/sc1 for large sequential data).`);
  }
  if (o.snapshotId !== undefined && !isUnresolved(o.snapshotId) && !/^snap-[0-9a-f]{8,17}$/.test(o.snapshotId)) {
    throw new ValidationError(scope,
      `${prop}.snapshotId ${show(o.snapshotId)} is not an EBS snapshot id. Give the id of a snapshot, e.g. 'snap-0123456789abcdef0'.`);
  }
  const iops = IOPS[type];
  if (o.iops !== undefined && !iops) {
    throw new ValidationError(scope,
      `${prop}.iops is ${show(o.iops)}, but ${type} volumes take no provisioned IOPS. Remove iops, or use volumeType gp3, io1 or io2.`);
  }
  if (iops && o.iops === undefined && type !== 'gp3') {
    throw new ValidationError(scope,
      `${prop}.volumeType is ${type}, which needs provisioned IOPS. Give iops (${iops.range[0]}–${iops.range[1]}), or use gp3 (3000 IOPS included).`);
  }
  if (iops) {
    checkRange(scope, `${prop}.iops`, o.iops, iops.range[0], iops.range[1], `${type} volumes take ${iops.range[0]} to ${iops.range[1]} IOPS.`);
    const bothKnown = o.iops !== undefined && o.sizeGiB !== undefined && !isUnresolved(o.iops) && !isUnresolved(o.sizeGiB);
    if (bothKnown && o.iops! > o.sizeGiB! * iops.perGiB) {
      throw new ValidationError(scope,
        `${prop}.iops (${o.iops}) is more than ${iops.perGiB} IOPS per GiB of the ${o.sizeGiB} GiB volume (${o.sizeGiB! * iops.perGiB}), the most ${type} allows. ` +
        `Raise sizeGiB to at least ${Math.ceil(o.iops! / iops.perGiB)} or lower iops.`);
    }
  }
  if (o.throughputMiBps !== undefined && type !== 'gp3') {
    throw new ValidationError(scope,
      `${prop}.throughputMiBps is ${show(o.throughputMiBps)}, but only gp3 volumes take a provisioned throughput. Remove throughputMiBps, or use volumeType gp3.`);
  }
  const [minThroughput, maxThroughput] = GP3_THROUGHPUT_MIBPS;
  checkRange(scope, `${prop}.throughputMiBps`, o.throughputMiBps, minThroughput, maxThroughput,
    `gp3 volumes take ${minThroughput} to ${maxThroughput} MiB/s.`, { unit: 'MiB/s' });
  const provisionedIops = o.iops ?? 3000;
  const throughputKnown = o.throughputMiBps !== undefined && !isUnresolved(o.throughputMiBps) && !isUnresolved(provisionedIops);
  if (throughputKnown && o.throughputMiBps! > provisionedIops * GP3_THROUGHPUT_PER_IOPS) {
    throw new ValidationError(scope,
      `${prop}.throughputMiBps (${o.throughputMiBps}) is more than ${GP3_THROUGHPUT_PER_IOPS} MiB/s per IOPS of the volume's ${provisionedIops} IOPS ` +
      `(${provisionedIops * GP3_THROUGHPUT_PER_IOPS}), the most gp3 allows. ` +
      `Raise iops to at least ${Math.ceil(o.throughputMiBps! / GP3_THROUGHPUT_PER_IOPS)} or lower throughputMiBps.`);
  }
  const aboveEcs = [
    type === 'gp3' && o.iops !== undefined && !isUnresolved(o.iops) && o.iops > 16000 ? `iops ${o.iops} (ECS lists up to 16000)` : undefined,
    o.throughputMiBps !== undefined && !isUnresolved(o.throughputMiBps) && o.throughputMiBps > 1000 ? `throughputMiBps ${o.throughputMiBps} (ECS lists up to 1000)` : undefined,
  ].filter((x): x is string => x !== undefined);
  if (aboveEcs.length > 0) {
    warn(scope, WarningId.WORKLOAD_VOLUME_EBS_ABOVE_ECS_DOCUMENTED,
      `${prop} asks for gp3 ${aboveEcs.join(' and ')}: EBS accepts it since September 2025 and ECS passes the values to EBS, ` +
      'but the ECS API reference still lists the older limits. Deploy it in a test account first.');
  }
  if (o.volumeInitializationRateMiBps !== undefined && o.snapshotId === undefined) {
    throw new ValidationError(scope,
      `${prop}.volumeInitializationRateMiBps is set without snapshotId; the rate applies only to volumes created from a snapshot. Remove it or give snapshotId.`);
  }
  checkRange(scope, `${prop}.volumeInitializationRateMiBps`, o.volumeInitializationRateMiBps, 100, 300,
    'EBS initializes volumes from a snapshot at 100 to 300 MiB/s.', { unit: 'MiB/s' });
}

/** The ARNs of the tasks of a cluster, as ECS tags the volumes it creates for them (`AmazonECSCreated`). */
function clusterTaskArns(stack: Stack, cluster: WorkloadCluster): string {
  return `arn:${stack.partition}:ecs:${stack.region}:${stack.account}:task/${cluster.cluster.clusterName}/*`;
}

/**
 * The ECS infrastructure role that creates, attaches and deletes the EBS volumes of one service's
 * tasks: the actions of the AWS managed `AmazonECSInfrastructureRolePolicyForVolumes`, narrowed to
 * this account and Region, to volumes ECS tags as created for tasks of this cluster, to the given
 * snapshot and to the cluster's key. @internal
 */
export function ebsInfrastructureRole(scope: Construct, id: string, cluster: WorkloadCluster, snapshotId?: string): WorkloadRole {
  const stack = Stack.of(scope);
  const role = new WorkloadRole(scope, id, {
    assumedBy: new iam.ServicePrincipal('ecs.amazonaws.com'),
    description: `ECS creates, attaches and deletes the EBS volumes of the tasks of ${scope.node.path}`,
  });
  const volumes = `arn:${stack.partition}:ec2:${stack.region}:${stack.account}:volume/*`;
  const createdForClusterTasks = {
    StringEquals: { 'aws:RequestTag/AmazonECSManaged': 'true' },
    ArnLike: { 'aws:RequestTag/AmazonECSCreated': clusterTaskArns(stack, cluster) },
  };
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ec2:CreateVolume'], resources: [volumes], conditions: createdForClusterTasks }));
  if (snapshotId !== undefined) {
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['ec2:CreateVolume'],
      resources: [`arn:${stack.partition}:ec2:${stack.region}::snapshot/${snapshotId}`],
    }));
  }
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['ec2:CreateTags'],
    resources: [volumes],
    conditions: { ...createdForClusterTasks, StringEquals: { ...createdForClusterTasks.StringEquals, 'ec2:CreateAction': 'CreateVolume' } },
  }));
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['ec2:DescribeVolumes', 'ec2:DescribeAvailabilityZones', 'ec2:DescribeInstances'],
    resources: ['*'],
  }));
  const managedForClusterTasks = {
    StringEquals: { 'aws:ResourceTag/AmazonECSManaged': 'true' },
    ArnLike: { 'aws:ResourceTag/AmazonECSCreated': clusterTaskArns(stack, cluster) },
  };
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['ec2:AttachVolume', 'ec2:DetachVolume', 'ec2:DeleteVolume'],
    resources: [volumes],
    conditions: managedForClusterTasks,
  }));
  // A Fargate task's host is an instance of an AWS account, not of this one.
  const instances = `arn:${stack.partition}:ec2:${stack.region}:*:instance/*`;
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ec2:AttachVolume', 'ec2:DetachVolume'], resources: [instances] }));
  // EBS encrypts with the cluster key through grants it creates with this role's credentials.
  const key = cluster.encryptionKey.keyArn;
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['kms:CreateGrant'],
    resources: [key],
    conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
  }));
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'],
    resources: [key],
  }));
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'ec2:DescribeVolumes, ec2:DescribeAvailabilityZones and ec2:DescribeInstances support no resource-level permissions; AWS requires Resource "*" for them.',
  });
  acknowledgeResourceWildcards(role, [
    { resource: volumes, reason: 'Volume ids are assigned when ECS creates them; every statement on them requires the tags ECS puts on volumes of this cluster\'s tasks.' },
    { resource: instances, reason: 'ECS attaches each volume to the instance its task runs on: for Fargate an instance of an AWS-owned account, named at run time.' },
  ]);
  return role;
}

/** The settings of `ecs.ServiceManagedVolume` for an EBS volume's options, encrypted with the cluster key. @internal */
export function serviceManagedEbsConfiguration(o: EbsVolumeOptions, role: iam.IRole,
  cluster: WorkloadCluster): ecs.ServiceManagedEBSVolumeConfiguration {
  return {
    role,
    encrypted: true,
    kmsKeyId: cluster.encryptionKey,
    volumeType: o.volumeType ?? ec2.EbsDeviceVolumeType.GP3,
    size: o.sizeGiB !== undefined ? Size.gibibytes(o.sizeGiB) : undefined,
    snapShotId: o.snapshotId,
    iops: o.iops,
    throughput: o.throughputMiBps,
    fileSystemType: o.fileSystemType ?? ecs.FileSystemType.XFS,
    volumeInitializationRate: o.volumeInitializationRateMiBps !== undefined ? Size.mebibytes(o.volumeInitializationRateMiBps) : undefined,
    tagSpecifications: [{ propagateTags: ecs.EbsPropagatedTagSource.SERVICE }],
  };
}
