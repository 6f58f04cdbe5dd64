import { CfnResource, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3files from 'aws-cdk-lib/aws-s3files';
import { Construct, DependencyGroup, IDependable } from 'constructs';
import { isUnresolved, show, ValidationError } from './errors';
import { acknowledgeResourceWildcards } from './policy-findings';
import { checkRemovalPolicy } from './resources';
import { WorkloadRole } from './roles';

/** Props of `S3FilesFileSystem`. */
export interface S3FilesFileSystemProps {
  /** The VPC whose tasks mount the file system (e.g. `cluster.vpc`): one mount target per Availability Zone. */
  readonly vpc: ec2.IVpc;

  /**
   * The bucket the file system presents: a general purpose bucket in the file system's Region, with
   * versioning, encrypted with SSE-S3 or SSE-KMS. A bucket created in the app without
   * `versioned: true`, with DSSE-KMS encryption, or in another Region is refused.
   */
  readonly bucket: s3.IBucket;

  /**
   * Key prefix the file system presents as its root, ending in `/` (e.g. `'models/'`), at most 1024
   * characters. Nothing outside it is visible through the file system, and the roles here are
   * granted on it only.
   * @default - the whole bucket
   */
  readonly prefix?: string;

  /**
   * Subnets of the mount targets (at most one per Availability Zone).
   * @default - the VPC's private subnets, or its isolated subnets when it has none
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * Customer managed key that encrypts the file system's high-performance storage.
   * @default - an AWS owned key
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * What happens to the file system when it leaves the stack. The bucket's objects are never touched.
   * @default RemovalPolicy.DESTROY (the data stays in the bucket)
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * An Amazon S3 Files file system: a bucket (or a prefix of it) presented over NFS to the tasks of
 * a VPC, synchronized with the bucket by S3 Files. Mount it with `WorkloadVolume.s3Files`.
 *
 * Creates the role S3 Files assumes to synchronize (read and write on the prefix, plus the
 * EventBridge rules it manages to see object changes), one mount target per Availability Zone and a
 * security group for them that admits nothing until a workload mounts the file system.
 * aws-cdk-lib has only L1 constructs for S3 Files; this wraps them.
 */
export class S3FilesFileSystem extends Construct implements ec2.IConnectable {
  /** The bucket the file system presents. */
  public readonly bucket: s3.IBucket;
  /** The key prefix the file system presents as its root ('' for the whole bucket). */
  public readonly prefix: string;
  /** The file system (L1). */
  public readonly resource: s3files.CfnFileSystem;
  /** ARN of the file system. */
  public readonly fileSystemArn: string;
  /** ID of the file system. */
  public readonly fileSystemId: string;
  /** The role S3 Files assumes to synchronize the file system with the bucket. */
  public readonly role: iam.IRole;
  /** The security group of the mount targets; NFS (2049) is the default port. */
  public readonly connections: ec2.Connections;
  /** The mount targets: tasks that start before them fail to mount. */
  public readonly mountTargetsAvailable: IDependable;

  constructor(scope: Construct, id: string, props: S3FilesFileSystemProps) {
    super(scope, id);
    const prefix = props.prefix ?? '';
    checkS3FilesPrefix(this, 'prefix', prefix);
    checkRemovalPolicy(this, 'removalPolicy', props.removalPolicy);
    checkS3FilesBucket(this, 'bucket', props.bucket);
    this.bucket = props.bucket;
    this.prefix = prefix;
    const stack = Stack.of(this);

    const role = new WorkloadRole(this, 'SyncRole', {
      assumedBy: new iam.ServicePrincipal('elasticfilesystem.amazonaws.com'),
      description: `S3 Files synchronizes ${this.node.path} with its bucket`,
    });
    const objects = props.bucket.arnForObjects(`${prefix}*`);
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket', 's3:ListBucketVersions'], resources: [props.bucket.bucketArn] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['s3:AbortMultipartUpload', 's3:DeleteObject*', 's3:GetObject*', 's3:List*', 's3:PutObject*'],
      resources: [objects],
    }));
    const managedRules = `arn:${stack.partition}:events:${stack.region}:${stack.account}:rule/DO-NOT-DELETE-S3-Files*`;
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['events:DeleteRule', 'events:DisableRule', 'events:EnableRule', 'events:PutRule', 'events:PutTargets', 'events:RemoveTargets'],
      resources: [managedRules],
      conditions: { StringEquals: { 'events:ManagedBy': 'elasticfilesystem.amazonaws.com' } },
    }));
    const rules = `arn:${stack.partition}:events:${stack.region}:${stack.account}:rule/*`;
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['events:DescribeRule', 'events:ListRuleNamesByTarget', 'events:ListRules', 'events:ListTargetsByRule'],
      resources: [rules],
    }));
    props.bucket.encryptionKey?.grant(role, 'kms:Decrypt', 'kms:GenerateDataKey');
    const why = 'The actions and rule names the S3 Files user guide gives for the role S3 Files assumes to synchronize a file system with its bucket.';
    acknowledgeResourceWildcards(role, [
      { resource: objects, reason: 'S3 Files reads and writes any object under the file system\'s prefix; the wildcard covers that prefix only.' },
      { resource: managedRules, reason: why },
      { resource: rules, reason: why },
    ]);
    for (const action of ['s3:DeleteObject*', 's3:GetObject*', 's3:List*', 's3:PutObject*']) {
      Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[Action::${action}]`, reason: why });
    }
    this.role = role;

    // L1: aws-cdk-lib has no L2 for S3 Files.
    this.resource = new s3files.CfnFileSystem(this, 'Resource', {
      bucket: props.bucket.bucketArn,
      prefix: props.prefix,
      roleArn: role.roleArn,
      kmsKeyId: props.encryptionKey?.keyArn,
    });
    this.resource.applyRemovalPolicy(props.removalPolicy ?? RemovalPolicy.DESTROY);
    // S3 Files starts synchronizing as soon as the file system exists.
    this.resource.node.addDependency(role);
    this.fileSystemArn = this.resource.attrFileSystemArn;
    this.fileSystemId = this.resource.attrFileSystemId;

    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `Mount targets of ${this.node.path}`,
      allowAllOutbound: false,
    });
    this.connections = new ec2.Connections({ securityGroups: [securityGroup], defaultPort: ec2.Port.tcp(2049) });
    const selection = props.vpcSubnets ?? { subnets: props.vpc.privateSubnets.length > 0 ? props.vpc.privateSubnets : props.vpc.isolatedSubnets };
    const subnets = props.vpc.selectSubnets({ ...selection, onePerAz: true }).subnets;
    if (subnets.length === 0) {
      throw new ValidationError(this, 'vpcSubnets selects no subnet, so the file system would have no mount target. Select the private subnets the tasks run in.');
    }
    const available = new DependencyGroup();
    subnets.forEach((subnet, i) => {
      const target: CfnResource = new s3files.CfnMountTarget(this, `MountTarget${i + 1}`, {
        fileSystemId: this.fileSystemId,
        subnetId: subnet.subnetId,
        securityGroups: [securityGroup.securityGroupId],
      });
      available.add(target);
    });
    this.mountTargetsAvailable = available;
  }

  /**
   * Lets `grantee` mount the file system through a mount target: `s3files:ClientMount`, plus
   * `s3files:ClientWrite` when `write`, and `s3:GetObject` / `s3:GetObjectVersion` on the prefix,
   * with which the S3 Files client reads large files straight from the bucket.
   */
  public grantMount(grantee: iam.IGrantable, write: boolean = false): void {
    const actions = ['s3files:ClientMount'];
    if (write) actions.push('s3files:ClientWrite');
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources: [this.fileSystemArn] }));
    const objects = this.bucket.arnForObjects(`${this.prefix}*`);
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: [objects] }));
    this.bucket.encryptionKey?.grant(grantee, 'kms:Decrypt');
    if (Construct.isConstruct(grantee.grantPrincipal)) {
      acknowledgeResourceWildcards(grantee.grantPrincipal, [
        { resource: objects, reason: 'Direct reads of the S3 Files client: any object under the file system\'s prefix, and nothing outside it.' },
      ]);
    }
  }
}

/** The longest prefix `CreateFileSystem` takes. */
const MAX_PREFIX_LENGTH = 1024;

/**
 * Throws unless `prefix` (named `prop` in the message) is one S3 Files takes. @internal
 * `CreateFileSystem` takes a prefix of at most 1024 characters that is empty or ends in '/'; a
 * leading '/' or a '..' segment would name keys nobody writes. Tokens are skipped.
 */
export function checkS3FilesPrefix(scope: Construct, prop: string, prefix: string): void {
  if (isUnresolved(prefix)) return;
  if (prefix.startsWith('/') || prefix.split('/').includes('..')) {
    throw new ValidationError(scope,
      `${prop} ${show(prefix)} must be an S3 key prefix: no leading '/' and no '..'. Write it as the keys start, e.g. 'models/'.`);
  }
  if (prefix !== '' && !prefix.endsWith('/')) {
    throw new ValidationError(scope,
      `${prop} ${show(prefix)} does not end in '/', which S3 Files requires of a prefix. Write it as ${show(`${prefix}/`)}.`);
  }
  if (prefix.length > MAX_PREFIX_LENGTH) {
    throw new ValidationError(scope,
      `${prop} is ${prefix.length} characters long; S3 Files takes at most ${MAX_PREFIX_LENGTH}. Use a shorter prefix.`);
  }
}

/**
 * Throws unless the bucket (named `prop` in the message) is one S3 Files takes. @internal
 * What S3 Files needs of the bucket (its prerequisites): versioning, SSE-S3 or SSE-KMS encryption,
 * the file system's Region. Checked where the app defines the bucket or its Region.
 */
export function checkS3FilesBucket(scope: Construct, prop: string, bucket: s3.IBucket): void {
  const stack = Stack.of(scope);
  const region = bucket.env.region;
  if (!isUnresolved(region) && !isUnresolved(stack.region) && region !== stack.region) {
    throw new ValidationError(scope,
      `${prop} '${bucket.node.path}' is in ${region}, but S3 Files presents only buckets of the file system's own Region (${stack.region}). ` +
      `Create the file system in a stack in ${region}, or use a bucket in ${stack.region}.`);
  }
  const cfnBucket = bucket.node.defaultChild;
  if (!(cfnBucket instanceof s3.CfnBucket)) return;
  const versioning = stack.resolve(cfnBucket.versioningConfiguration);
  if (versioning?.status !== 'Enabled') {
    throw new ValidationError(scope,
      `${prop} '${bucket.node.path}' has no versioning, but S3 Files keeps the file system consistent with the bucket through object versions. ` +
      'Create the bucket with versioned: true.');
  }
  const rules: any[] = stack.resolve(cfnBucket.bucketEncryption)?.serverSideEncryptionConfiguration ?? [];
  const algorithms: string[] = rules.map(r => r?.serverSideEncryptionByDefault?.sseAlgorithm).filter((a): a is string => typeof a === 'string');
  const unsupported = algorithms.find(a => a !== 'AES256' && a !== 'aws:kms');
  if (unsupported !== undefined) {
    throw new ValidationError(scope,
      `${prop} '${bucket.node.path}' is encrypted with ${show(unsupported)}, but S3 Files works only with buckets encrypted with SSE-S3 (AES256) or SSE-KMS (aws:kms). ` +
      'Create the bucket with encryption: s3.BucketEncryption.KMS (or S3_MANAGED).');
  }
}
