import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as fsx from 'aws-cdk-lib/aws-fsx';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { DIRECTORY_ID } from './domain-join';
import { isUnresolved, show, ValidationError } from './errors';

/** Deployment types of an FSx for Windows File Server file system. */
export enum FsxWindowsDeploymentType {
  /**
   * A file server in each of two Availability Zones, the standby taking over (in under 30 seconds)
   * during an Availability Zone outage and during the weekly maintenance. Needs two subnets in
   * different Availability Zones, in a Region with at least three. About twice the price of SINGLE_AZ_2.
   */
  MULTI_AZ_1 = 'MULTI_AZ_1',
  /**
   * One file server in one Availability Zone (latest generation), offline (typically for less than
   * 20 minutes) during the weekly maintenance and while FSx recovers it from a failure.
   */
  SINGLE_AZ_2 = 'SINGLE_AZ_2',
}

/** The throughput capacities (MBps) FSx for Windows File Server accepts. Above 2,048 only in some Regions. */
const THROUGHPUT_CAPACITIES_MBPS = [8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4608, 6144, 9216, 12288];

/** Storage capacity limits (GiB) of FSx for Windows File Server, by storage type. */
const STORAGE_LIMITS_GIB: { [type: string]: [number, number] } = {
  [fsx.StorageType.SSD]: [32, 65536],
  [fsx.StorageType.HDD]: [2000, 65536],
};

/** Props of `FsxWindowsFileSystem`. */
export interface FsxWindowsFileSystemProps {
  /** The VPC of the file system's network interfaces (e.g. `cluster.vpc`). */
  readonly vpc: ec2.IVpc;

  /**
   * ID of the AWS Managed Microsoft AD directory the file system joins (`d-` and 10 hex digits). Its
   * domain controllers must be reachable from the file system's subnets, and its security group must
   * admit the file system's (AWS Managed Microsoft AD admits its VPC by default). A self-managed Active
   * Directory is not supported here: create that file system yourself and mount it by `fileSystemId`.
   */
  readonly activeDirectoryId: string;

  /**
   * Subnets of the file servers: the first one (SINGLE_AZ_2), or the first two in different
   * Availability Zones (MULTI_AZ_1, the first one hosting the preferred file server).
   * @default - the VPC's private subnets, or its isolated subnets when it has none
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * Availability of the file system.
   * @default FsxWindowsDeploymentType.MULTI_AZ_1: Windows tasks cannot start while their share is
   * offline, and a Single-AZ file system is offline during every weekly maintenance window and an
   * Availability Zone outage. Choose SINGLE_AZ_2 for about half the price where that is acceptable.
   */
  readonly deploymentType?: FsxWindowsDeploymentType;

  /**
   * Storage type: `SSD` (sub-millisecond latency) or `HDD` (cheaper per GiB, 2,000 GiB at least).
   * @default fsx.StorageType.SSD
   */
  readonly storageType?: fsx.StorageType;

  /**
   * Storage capacity in GiB: 32 to 65,536 on SSD, 2,000 to 65,536 on HDD. FSx can grow it later,
   * never shrink it.
   * @default 32
   */
  readonly storageCapacityGiB?: number;

  /**
   * Throughput capacity of the file server, in megabytes per second: 8, 16, 32, 64, 128, 256, 512,
   * 1,024 or 2,048, and in some Regions 4,608, 6,144, 9,216 or 12,288. It also sizes the server's
   * memory cache and IOPS, and can be changed later (a Single-AZ file system is briefly offline then).
   * @default 32
   */
  readonly throughputCapacityMBps?: number;

  /**
   * Customer managed key that encrypts the data at rest (e.g. `cluster.encryptionKey`). FSx uses it
   * through grants it creates when the file system is created.
   * @default - the AWS managed key `aws/fsx` (no monthly key charge)
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * How long FSx keeps the daily automatic backups: whole days, 0 (no automatic backups) to 90.
   * @default Duration.days(7)
   */
  readonly automaticBackupRetention?: Duration;

  /**
   * What happens to the file system, and to its security group with it, when they leave the stack.
   * On deletion FSx takes a final backup of a Windows file system (the `DeleteFileSystem` default,
   * which CloudFormation uses): the data stays in that backup, billed until you delete it. A retained
   * file system keeps its network interfaces (and security group) in the VPC: a VPC of the same stack
   * then cannot be deleted, and `cdk destroy` ends in DELETE_FAILED until you delete the file system.
   * @default RemovalPolicy.DESTROY (FSx keeps a final backup)
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * An Amazon FSx for Windows File Server file system joined to an AWS Managed Microsoft AD directory,
 * encrypted at rest, with daily automatic backups whose tags follow the file system's. Mount its
 * default share (`share`) into Windows tasks on EC2 capacity with `WorkloadVolume.fsxWindows`.
 *
 * Creates a security group for the file system's network interfaces that admits nothing until a
 * workload mounts the file system (the workload then admits SMB, TCP 445, from its container
 * instances). The weekly maintenance window and the daily backup time are left to FSx.
 */
export class FsxWindowsFileSystem extends Construct implements fsx.IFileSystem {
  /** The file system (L1). */
  public readonly resource: fsx.CfnFileSystem;
  /** ID of the file system (`fs-...`). */
  public readonly fileSystemId: string;
  /** ARN of the file system. */
  public readonly fileSystemArn: string;
  /** DNS name of the file system in the directory's domain, e.g. `amznfsxp1honlek.corp.example.com`. */
  public readonly dnsName: string;
  /** The security group of the file system's network interfaces; SMB (445) is the default port. */
  public readonly connections: ec2.Connections;
  /** The deployment type of the file system. */
  public readonly deploymentType: FsxWindowsDeploymentType;
  /** The subnets of the file servers, the preferred one first. */
  public readonly subnets: ec2.ISubnet[];

  constructor(scope: Construct, id: string, props: FsxWindowsFileSystemProps) {
    super(scope, id);
    const deploymentType = props.deploymentType ?? FsxWindowsDeploymentType.MULTI_AZ_1;
    const storageType = props.storageType ?? fsx.StorageType.SSD;
    const storageCapacityGiB = props.storageCapacityGiB ?? 32;
    const throughput = props.throughputCapacityMBps ?? 32;
    const backupDays = this.backupDays(props.automaticBackupRetention ?? Duration.days(7));
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;

    if (!isUnresolved(props.activeDirectoryId) && !DIRECTORY_ID.test(props.activeDirectoryId)) {
      throw new ValidationError(this,
        `activeDirectoryId ${show(props.activeDirectoryId)} is not an AWS Managed Microsoft AD directory id ('d-' and 10 lowercase hex digits). ` +
        'Give the Directory ID shown by AWS Directory Service, e.g. \'d-1234567890\'.');
    }
    const limits = STORAGE_LIMITS_GIB[storageType];
    if (!limits) {
      throw new ValidationError(this,
        `storageType ${show(storageType)} is not offered by FSx for Windows File Server, only SSD and HDD. Use fsx.StorageType.SSD or fsx.StorageType.HDD.`);
    }
    const [minGiB, maxGiB] = limits;
    const sizeOk = Number.isInteger(storageCapacityGiB) && storageCapacityGiB >= minGiB && storageCapacityGiB <= maxGiB;
    if (!isUnresolved(storageCapacityGiB) && !sizeOk) {
      throw new ValidationError(this,
        `storageCapacityGiB ${show(storageCapacityGiB)} is outside what FSx for Windows File Server offers on ${storageType} storage: ` +
        `a whole number of GiB from ${minGiB} to ${maxGiB}. ` +
        (storageType === fsx.StorageType.HDD ? 'Give at least 2000 GiB, or use SSD storage for less.' : 'Give a size in that range.'));
    }
    if (!isUnresolved(throughput) && !THROUGHPUT_CAPACITIES_MBPS.includes(throughput)) {
      throw new ValidationError(this,
        `throughputCapacityMBps ${show(throughput)} is not a throughput capacity FSx for Windows File Server offers. ` +
        `Use one of ${THROUGHPUT_CAPACITIES_MBPS.join(', ')} (above 2048 in some Regions only).`);
    }
    if (removalPolicy === RemovalPolicy.SNAPSHOT) {
      throw new ValidationError(this,
        'removalPolicy is SNAPSHOT, but CloudFormation takes snapshots of databases and volumes only, not of FSx file systems. ' +
        'Use RemovalPolicy.DESTROY (the default: FSx takes a final backup when it deletes the file system), RETAIN or RETAIN_ON_UPDATE_OR_DELETE.');
    }

    const needed = deploymentType === FsxWindowsDeploymentType.MULTI_AZ_1 ? 2 : 1;
    const selection = props.vpcSubnets ?? { subnets: props.vpc.privateSubnets.length > 0 ? props.vpc.privateSubnets : props.vpc.isolatedSubnets };
    const subnets = props.vpc.selectSubnets({ ...selection, onePerAz: true }).subnets.slice(0, needed);
    if (subnets.length < needed) {
      throw new ValidationError(this, deploymentType === FsxWindowsDeploymentType.MULTI_AZ_1
        ? `vpcSubnets selects subnets in ${subnets.length} Availability Zone(s), but deploymentType MULTI_AZ_1 needs two subnets in different ` +
          'Availability Zones (one for the preferred file server, one for the standby). Select private subnets in two Availability Zones, ' +
          'or use FsxWindowsDeploymentType.SINGLE_AZ_2.'
        : 'vpcSubnets selects no subnet, but the file server needs one. Select the private subnet it should run in.');
    }
    this.subnets = subnets;
    this.deploymentType = deploymentType;

    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `FSx for Windows File Server ${this.node.path}`,
      // FSx needs outbound access to the directory's domain controllers (DNS, Kerberos, LDAP, SMB,
      // RPC and more): the FSx user guide documents it as all traffic to the directory's security group.
      allowAllOutbound: true,
    });
    securityGroup.applyRemovalPolicy(removalPolicy);
    this.connections = new ec2.Connections({ securityGroups: [securityGroup], defaultPort: ec2.Port.tcp(445) });

    // L1: aws-cdk-lib has no L2 for FSx for Windows File Server.
    this.resource = new fsx.CfnFileSystem(this, 'Resource', {
      fileSystemType: 'WINDOWS',
      storageType,
      storageCapacity: storageCapacityGiB,
      subnetIds: subnets.map(s => s.subnetId),
      securityGroupIds: [securityGroup.securityGroupId],
      kmsKeyId: props.encryptionKey?.keyId,
      windowsConfiguration: {
        activeDirectoryId: props.activeDirectoryId,
        deploymentType,
        preferredSubnetId: deploymentType === FsxWindowsDeploymentType.MULTI_AZ_1 ? subnets[0].subnetId : undefined,
        throughputCapacity: throughput,
        automaticBackupRetentionDays: backupDays,
        copyTagsToBackups: true,
      },
    });
    this.resource.applyRemovalPolicy(removalPolicy);
    this.fileSystemId = this.resource.ref;
    this.fileSystemArn = this.resource.attrResourceArn;
    this.dnsName = this.resource.attrDnsName;
  }

  /** A metric of this file system in the `AWS/FSx` namespace (e.g. `DataReadBytes`, `CPUUtilization`). */
  public metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/FSx',
      metricName,
      dimensionsMap: { FileSystemId: this.fileSystemId },
      ...props,
    });
  }

  /** Free storage capacity in bytes: the minimum over 5 minutes. FSx publishes it for every file system. */
  public metricFreeStorageCapacity(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('FreeStorageCapacity', { statistic: cloudwatch.Stats.MINIMUM, period: Duration.minutes(5), ...props });
  }

  /** The retention in whole days, or throws. Tokens pass through. */
  private backupDays(retention: Duration): number {
    if (retention.isUnresolved()) return retention.toDays();
    const days = retention.toHours({ integral: false }) / 24;
    if (!Number.isInteger(days) || days < 0 || days > 90) {
      throw new ValidationError(this,
        `automaticBackupRetention is ${retention.toHumanString()}, but FSx keeps automatic backups for whole days, 0 to 90. ` +
        'Give Duration.days(n) with n from 0 (no automatic backups) to 90.');
    }
    return days;
  }
}
