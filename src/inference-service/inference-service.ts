import { Annotations, Duration, Names, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as acmpca from 'aws-cdk-lib/aws-acmpca';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import {
  acknowledgeHookRoles, buildDeploymentAlarms, checkRolloutHeadroom, InferenceDeploymentAlarmOptions, rolloutServiceProps, RolloutStrategy,
  trafficShiftRole, validateDeploymentAlarms, validateRollout,
} from './rollout';
import { PredictiveScalingOptions, scaleOnRequestsOfBoth, scalePredictively } from './scaling';
import { Capacity } from '../core/capacity';
import { WorkloadCluster } from '../core/cluster';
import { WorkloadContainerOptions } from '../core/container-options';
import { DashboardSection, graph } from '../core/dashboard';
import { checkOrder, checkRange, isUnresolved, show, ValidationError } from '../core/errors';
import { allowAlarmsToPublish, allowServiceToUseKey, buildTopic, checkRemovalPolicy, suppressGuardRule } from '../core/resources';
import { checkS3FilesBucket, checkS3FilesPrefix, S3FilesFileSystem } from '../core/s3-files';
import { allowNfs, attachServiceVolumes, PlacementOptions, resolveCapacity, startAfterDependencies, taskSecurityGroup } from '../core/service';
import { claimServiceConnectName, connectClient, markServiceConnected, serviceConnectNamespace, serviceConnectTlsRole } from '../core/service-connect';
import { skipCreationStackTraces } from '../core/synthesis';
import { buildWorkloadTask } from '../core/task-definition';
import { checkAbsolute, WorkloadVolume } from '../core/volumes';
import { workloadPlatform } from '../core/windows';

/** The kind of load balancer in front of an `InferenceService`. */
export enum LoadBalancerType {
  /** Application Load Balancer: HTTP(S), request-count autoscaling, WAF, access logs of every request. */
  APPLICATION = 'APPLICATION',
  /** Network Load Balancer: TCP or TLS (gRPC, WebSockets, long streams), static IPs per AZ, CPU autoscaling. */
  NETWORK = 'NETWORK',
}

/** Where an `InferenceService` loads its models from: an Amazon EFS file system, or an S3 Files file system. */
export interface InferenceModelStoreOptions {
  /** Absolute path where the model store appears in the container, e.g. `/models`. */
  readonly mountPath: string;

  /**
   * An S3 Files file system (a prefix of an S3 bucket presented as a file system) to load the models
   * from, instead of EFS. Linux tasks on Fargate or Managed Instances only; the task role may mount it
   * (and read the prefix directly), NFS is opened from the tasks to its mount targets.
   * @default - an EFS model store
   */
  readonly s3Files?: S3FilesFileSystem;

  /**
   * An S3 bucket (versioned, as S3 Files requires) to load the models from: the construct creates an
   * S3 Files file system on `bucketPrefix` of it in the cluster's VPC (`S3FilesFileSystem`, exposed as
   * `s3FilesFileSystem`) and mounts it like `s3Files`. Linux tasks on Fargate or Managed Instances only.
   * @default - no bucket: an EFS model store, or `s3Files`
   */
  readonly bucket?: s3.IBucket;

  /**
   * Key prefix of `bucket` that holds the models (e.g. `'models/'`); nothing outside it is visible to
   * the tasks. Only with `bucket`.
   * @default - the whole bucket
   */
  readonly bucketPrefix?: string;

  /**
   * An existing file system to mount. Its security group must be reachable from the tasks' subnets;
   * the construct opens port 2049 from the tasks.
   * @default - a new file system: encrypted with the cluster key, automatic backups, Elastic
   * throughput, retained on stack deletion
   */
  readonly fileSystem?: efs.IFileSystem;

  /**
   * Access point to mount through (must belong to `fileSystem`).
   * @default - an access point on `rootDirectory` owned by UID/GID 1000 (created with mode 755)
   */
  readonly accessPoint?: efs.IAccessPoint;

  /**
   * Directory of the file system that the access point exposes (ignored with `accessPoint`); with
   * `s3Files`, the directory under the bucket prefix mounted as the store.
   * @default - '/models' on EFS, the prefix itself with `s3Files`
   */
  readonly rootDirectory?: string;

  /**
   * Whether the tasks may only read the models. The task role gets `ClientWrite` only when false.
   * @default true
   */
  readonly readOnly?: boolean;

  /**
   * Throughput mode of a new file system (only without `fileSystem`). Elastic serves the bursts of
   * model loading (up to several GiB/s) and costs per GiB read; Bursting is free up to a baseline that
   * grows with the stored size.
   * @default efs.ThroughputMode.ELASTIC
   */
  readonly throughputMode?: efs.ThroughputMode;

  /**
   * What happens to a new file system when it leaves the stack (only without `fileSystem` and
   * `s3Files`). With `bucket`, it applies to the S3 Files file system; the models stay in the bucket.
   * @default - the service's `removalPolicy` (RemovalPolicy.RETAIN unless set) for EFS;
   * RemovalPolicy.DESTROY for the S3 Files file system of `bucket`
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** How an `InferenceService` is published to Service Connect clients. */
export interface InferenceServiceConnectOptions {
  /**
   * Name clients call the service by (`http://<dnsName>:<port>`), also its AWS Cloud Map discovery
   * name: 1–63 lowercase letters, digits and hyphens, starting with a letter or digit.
   */
  readonly dnsName: string;

  /**
   * Port clients call.
   * @default - the container port
   */
  readonly port?: number;

  /**
   * AWS Private CA that issues short-lived certificates for TLS between the Service Connect proxies. It
   * must be in `SHORT_LIVED_CERTIFICATE` mode and carry the tag `AmazonECSManaged=true` (ECS only uses
   * authorities with that tag). The construct creates the role ECS uses to issue the certificates.
   * @default - no TLS between the proxies (traffic stays in the VPC, between the tasks' security groups)
   */
  readonly certificateAuthority?: acmpca.ICertificateAuthority;
}

/** Props of `InferenceService`. */
export interface InferenceServiceProps extends WorkloadContainerOptions, PlacementOptions {
  /** Cluster to run on. */
  readonly cluster: WorkloadCluster;

  /**
   * Where the tasks run. With `gpuCount > 0` and no capacity, the cluster's GPU capacity provider, else
   * its GPU Managed Instances.
   * @default - Capacity.fargate(), or with `gpuCount > 0` Capacity.ec2(cluster.gpuCapacity), else
   * Capacity.managedInstances(cluster.gpuManagedInstances)
   */
  readonly capacity?: Capacity;

  /**
   * Kind of load balancer in front of the tasks.
   * @default LoadBalancerType.APPLICATION
   */
  readonly loadBalancerType?: LoadBalancerType;

  /**
   * Whether the load balancer has public addresses (in the public subnets). Keep inference endpoints
   * internal unless clients outside the VPC call them directly.
   * @default false
   */
  readonly internetFacing?: boolean;

  /**
   * Who may connect to the listener(s).
   * @default - anyone (`ec2.Peer.anyIpv4()`) when internet-facing, the VPC's CIDR block otherwise
   */
  readonly allowedPeers?: ec2.IPeer[];

  /**
   * Subnets of the load balancer.
   * @default - public subnets when internet-facing, private subnets otherwise
   */
  readonly loadBalancerSubnets?: ec2.SubnetSelection;

  /**
   * Subnets of the tasks.
   * @default - the VPC's private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * ACM certificate of the endpoint. With it, the ALB serves HTTPS (and redirects port 80 to it) and the
   * NLB terminates TLS; without it, the listener is plain HTTP (ALB) or TCP (NLB).
   * @default - no certificate: plain HTTP / TCP
   */
  readonly certificate?: acm.ICertificate;

  /**
   * TLS security policy of the HTTPS / TLS listener (needs `certificate`).
   * @default elbv2.SslPolicy.RECOMMENDED_TLS (TLS 1.3 and 1.2, forward secrecy only)
   */
  readonly sslPolicy?: elbv2.SslPolicy;

  /**
   * Port of the listener.
   * @default - 443 with a certificate, 80 without
   */
  readonly listenerPort?: number;

  /**
   * Whether an ALB with a certificate answers plain HTTP on port 80 with a redirect to HTTPS.
   * ALB with `certificate` only.
   * @default - true with a certificate on an ALB
   */
  readonly redirectHttp?: boolean;

  /**
   * ARN of an AWS WAFv2 web ACL (scope REGIONAL) to associate with the ALB. ALB only.
   * @default - no web ACL
   */
  readonly webAclArn?: string;

  /**
   * Whether the load balancer is protected against deletion. `cdk destroy` fails while it is: turn it
   * off and deploy before destroying the stack, or give the cluster `allowDestroy`.
   * @default - true (false when the cluster has `allowDestroy`)
   */
  readonly deletionProtection?: boolean;

  /**
   * HTTP path the load balancer's health check requests (it must answer 200 once the model is loaded;
   * with `protocolVersion` GRPC, the gRPC method that must answer status 0).
   * @default - '/health', or '/grpc.health.v1.Health/Check' with GRPC
   */
  readonly healthCheckPath?: string;

  /**
   * How long ECS ignores failed load balancer health checks of a new task: the time a model needs to
   * load. ECS accepts up to 2147483647 seconds. Give either this or `modelLoadTime`.
   * @default - `modelLoadTime` plus one minute (5 minutes)
   */
  readonly healthCheckGracePeriod?: Duration;

  /**
   * How long the load balancer lets in-flight requests of a deregistered task finish (0–3600 seconds)
   * before ECS stops it. An ALB ends the wait as soon as the task's requests are done, so a long delay
   * costs nothing but protects long generations; an NLB waits for its connections to close.
   * @default - Duration.minutes(5) on an ALB (the idle timeout), Duration.seconds(30) on an NLB
   */
  readonly deregistrationDelay?: Duration;

  /**
   * How long the model takes to load and answer its health check. The health check grace period is
   * this plus one minute, and the unhealthy-task deployment alarm waits longer than that.
   * Give either this or `healthCheckGracePeriod`.
   * @default Duration.minutes(4)
   */
  readonly modelLoadTime?: Duration;

  /**
   * How long an ALB keeps a connection without bytes in either direction (1–4000 seconds). A
   * non-streaming response that takes longer than this ends in a 504. Keep the model server's
   * keep-alive timeout above it. ALB only.
   * @default Duration.minutes(5)
   */
  readonly idleTimeout?: Duration;

  /**
   * Slow start: an ALB sends a new task a linearly growing share of requests over this time
   * (30–900 seconds), for models that warm caches or compile kernels on the first requests. ALB only;
   * it takes effect only while other tasks serve.
   * @default - none: a healthy task gets its full share at once
   */
  readonly slowStart?: Duration;

  /**
   * HTTP version between the ALB and the tasks: `HTTP2` or `GRPC` (the tasks speak cleartext HTTP/2;
   * clients reach the ALB over HTTPS, so both need `certificate`). With `GRPC` the health check calls
   * `/grpc.health.v1.Health/Check` (the standard gRPC health service) and expects status 0 (OK). ALB only.
   * @default elbv2.ApplicationProtocolVersion.HTTP1
   */
  readonly protocolVersion?: elbv2.ApplicationProtocolVersion;

  /**
   * How the service replaces its tasks when the task definition changes.
   * @default RolloutStrategy.rolling()
   */
  readonly rollout?: RolloutStrategy;

  /**
   * The alarms that roll a rollout back: 5xx share, p99 latency and unhealthy tasks by default.
   * @default - the three alarms with their defaults, ROLLBACK_ON_ALARM
   */
  readonly deploymentAlarms?: InferenceDeploymentAlarmOptions;

  /**
   * Publishes the service to ECS Service Connect in the cluster's namespace (created on first use), so
   * that other services of the cluster call it by name through `allowServiceConnectFrom`, without
   * the load balancer. Scheduled tasks cannot be Service Connect clients (ECS supports services only):
   * they call the load balancer.
   * @default - not published
   */
  readonly serviceConnect?: InferenceServiceConnectOptions;

  /**
   * Topic the deployment alarms notify, when a rollout rolls back and when the same conditions occur
   * between rollouts. A topic of your own that is KMS-encrypted must let `cloudwatch.amazonaws.com`
   * use its key; an imported topic's policy must allow `cloudwatch.amazonaws.com` to `sns:Publish`.
   * @default - a new topic encrypted with the cluster key; subscribe to `alarmTopic`
   */
  readonly alarmTopic?: sns.ITopic;

  /**
   * Predictive scaling beside the target tracking: forecasts the load of the next 48 hours from the
   * last 14 days and starts tasks ahead of daily and weekly peaks.
   * @default - none
   */
  readonly predictiveScaling?: PredictiveScalingOptions;

  /**
   * EFS model store mounted into the main container.
   * @default - none
   */
  readonly modelStore?: InferenceModelStoreOptions;

  /**
   * Fewest tasks the service runs.
   * @default 1
   */
  readonly minTasks?: number;

  /**
   * Most tasks autoscaling may run.
   * @default 4
   */
  readonly maxTasks?: number;

  /**
   * Target of request-count-per-target tracking: requests per task per minute (ALB only).
   * @default 60 on an ALB
   */
  readonly requestsPerTarget?: number;

  /**
   * Target of CPU-utilization tracking, in percent. On an NLB it is the scaling metric; on an ALB it
   * adds a second policy beside request-count tracking.
   * @default - 60 on an NLB, none on an ALB
   */
  readonly targetCpuUtilizationPercent?: number;

  /**
   * What happens to the service's stateful resources when they leave the stack (stack deletion, or a
   * change that replaces them): the container log group and, unless `modelStore.removalPolicy` says
   * otherwise, the model store file system this construct creates. `RETAIN` keeps them (and the
   * models and logs in them) in the account; `DESTROY` deletes them. A given file system is never
   * affected.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A model-serving ECS service behind an internal Application or Network Load Balancer, with an
 * optional Amazon EFS model store mounted read-only, HTTPS / TLS when a certificate is given,
 * request-count (ALB) or CPU (NLB) autoscaling, a deployment circuit breaker with rollback, and GPU
 * tasks on the cluster's GPU capacity provider when `gpuCount` is set.
 *
 * @example
 * declare const cluster: WorkloadCluster;
 * declare const certificate: acm.ICertificate;
 *
 * const inference = new workloads.InferenceService(this, 'Inference', {
 *   cluster,
 *   image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/python:3.12-slim'),
 *   cpu: 2048,
 *   memoryLimitMiB: 8192,
 *   certificate,
 *   modelStore: { mountPath: '/models' },
 *   maxTasks: 8,
 * });
 * // A peered VPC may call the endpoint too.
 * inference.loadBalancerConnections.allowDefaultPortFrom(ec2.Peer.ipv4('10.1.0.0/16'));
 */
export class InferenceService extends Construct implements ec2.IConnectable, iam.IGrantable {
  /** The ECS service (`ecs.FargateService`, or `ecs.Ec2Service` on EC2 / GPU capacity). */
  public readonly service: ecs.BaseService;
  /** The task definition. */
  public readonly taskDefinition: ecs.TaskDefinition;
  /** The main container. */
  public readonly container: ecs.ContainerDefinition;
  /** The load balancer (see `applicationLoadBalancer` / `networkLoadBalancer` for the typed one). */
  public readonly loadBalancer: elbv2.ILoadBalancerV2;
  /** The ALB, with `LoadBalancerType.APPLICATION`. */
  public readonly applicationLoadBalancer?: elbv2.ApplicationLoadBalancer;
  /** The NLB, with `LoadBalancerType.NETWORK`. */
  public readonly networkLoadBalancer?: elbv2.NetworkLoadBalancer;
  /** The listener that forwards to the tasks (HTTPS / TLS with a certificate). */
  public readonly listener: elbv2.IListener;
  /** The target group of the tasks. */
  public readonly targetGroup: elbv2.ITargetGroup;
  /**
   * The second target group of a blue/green, canary or linear rollout: ECS registers the new tasks
   * here and moves traffic to it (the two groups swap roles at each rollout).
   */
  public readonly alternateTargetGroup?: elbv2.ITargetGroup;
  /** The listener that reaches the new tasks before production traffic does, with `testListenerPort`. */
  public readonly testListener?: elbv2.IListener;
  /** The role ECS assumes to move traffic between the target groups (traffic-shifting rollouts only). */
  public readonly trafficShiftRole?: iam.IRole;
  /** The alarms ECS watches during rollouts (a firing one rolls back), the construct's and `deploymentAlarms.alarms`. */
  public readonly deploymentAlarms: cloudwatch.IAlarm[];
  /** The URL Service Connect clients call (`http://<dnsName>:<port>`), with `serviceConnect`. */
  public readonly serviceConnectEndpoint?: string;
  /** Topic the construct's deployment alarms notify (none when they are turned off and no topic was given). */
  public readonly alarmTopic?: sns.ITopic;
  /** The EFS file system of the model store, if any. */
  public readonly fileSystem?: efs.IFileSystem;
  /** The EFS access point the tasks mount the model store through, if any. */
  public readonly accessPoint?: efs.IAccessPoint;
  /** The S3 Files file system the construct created for `modelStore.bucket`, if any. */
  public readonly s3FilesFileSystem?: S3FilesFileSystem;
  /**
   * The tasks' security group, without a default port: use it to let the tasks reach databases or
   * caches (`db.connections.allowDefaultPortFrom(inference)`). Clients reach the tasks only through
   * the load balancer: see `loadBalancerConnections`.
   */
  public readonly connections: ec2.Connections;
  /** The load balancer's security group, with the listener port as default port: allow clients here. */
  public readonly loadBalancerConnections: ec2.Connections;
  /** The task role (the application's permissions). */
  public readonly grantPrincipal: iam.IPrincipal;
  /** Autoscaling of the service's task count. */
  public readonly scaling: ecs.ScalableTaskCount;
  /** Port the main container listens on. */
  public readonly containerPort: number;
  /** Port of the forwarding listener. */
  public readonly listenerPort: number;

  private readonly serviceConnectNamespace?: servicediscovery.INamespace;
  private readonly alb?: elbv2.ApplicationTargetGroup;
  private readonly nlb?: elbv2.NetworkTargetGroup;

  /**
   * @param scope The construct that contains this service, usually a `Stack`.
   * @param id Construct id of the service, unique within `scope`.
   * @param props Settings of the service (see `InferenceServiceProps`).
   */
  constructor(scope: Construct, id: string, props: InferenceServiceProps) {
    super(scope, id);
    skipCreationStackTraces(this);
    const cluster = props.cluster;
    const type = props.loadBalancerType ?? LoadBalancerType.APPLICATION;
    const isAlb = type === LoadBalancerType.APPLICATION;
    const certificate = props.certificate;
    this.containerPort = props.containerPort ?? 8080;
    this.listenerPort = props.listenerPort ?? (certificate ? 443 : 80);
    const redirectHttp = props.redirectHttp ?? (isAlb && certificate !== undefined);
    const minTasks = props.minTasks ?? 1;
    const maxTasks = props.maxTasks ?? 4;
    // The load balancer's first health checks pass within 30 seconds of the model answering (2 x 15 s).
    const gracePeriod = props.healthCheckGracePeriod ?? (props.modelLoadTime ?? Duration.minutes(4)).plus(Duration.minutes(1));
    const deregistrationDelay = props.deregistrationDelay ?? (isAlb ? Duration.minutes(5) : Duration.seconds(30));
    const grpc = props.protocolVersion === elbv2.ApplicationProtocolVersion.GRPC;
    const healthCheckPath = props.healthCheckPath ?? (grpc ? '/grpc.health.v1.Health/Check' : '/health');
    const rollout = props.rollout ?? RolloutStrategy.rolling();
    const shifts = rollout.shiftsTraffic;
    const testPort = rollout._options.testListenerPort;

    this.validate(props, isAlb, redirectHttp, minTasks, maxTasks, gracePeriod, deregistrationDelay, healthCheckPath);
    validateRollout(this, { strategy: rollout, listenerPort: this.listenerPort, redirectHttp });
    validateDeploymentAlarms(this, props.deploymentAlarms ?? {}, isAlb);

    const capacity = resolveCapacity(this, cluster, props.capacity ?? this.gpuCapacity(props), Capacity.fargate(), props);

    // Model store (before the task so the volume is mounted by the task builder).
    const bucketStore = props.modelStore?.bucket;
    const s3Kind = props.modelStore?.s3Files ? 's3Files' : bucketStore ? 'bucket' : undefined;
    const windowsTasks = workloadPlatform(capacity, cluster.asgCapacity.find(c => c.capacityProvider === capacity.provider)).windows;
    if (props.modelStore && !s3Kind && windowsTasks) {
      throw new ValidationError(this,
        'modelStore is an EFS file system, which Windows containers cannot mount, but the service runs Windows containers. ' +
        'Remove modelStore and mount an FSx for Windows File Server share with volumes: [WorkloadVolume.fsxWindows(...)] (Windows EC2 capacity), or run the service on Linux capacity.');
    }
    if (s3Kind && (!(capacity.isFargate || capacity.isManagedInstances) || capacity.isFargateWindows)) {
      throw new ValidationError(this,
        `modelStore.${s3Kind} makes the model store an S3 Files file system, which ECS mounts only into Linux tasks on Fargate or Managed Instances, ` +
        `but the service runs on ${capacity.isFargateWindows ? 'Fargate Windows' : 'EC2 Auto Scaling group capacity'}. ` +
        'Run it on Capacity.fargate() or Capacity.managedInstances(...) (gpuCount alone picks GPU Managed Instances), or use an EFS model store (remove ' + s3Kind + ').');
    }
    if (bucketStore) {
      this.s3FilesFileSystem = new S3FilesFileSystem(this, 'ModelStore', {
        vpc: cluster.vpc,
        bucket: bucketStore,
        prefix: props.modelStore!.bucketPrefix,
        vpcSubnets: props.vpcSubnets,
        removalPolicy: props.modelStore!.removalPolicy,
      });
    }
    const s3Store = props.modelStore?.s3Files ?? this.s3FilesFileSystem;
    const store = props.modelStore && !s3Store ? this.modelStore(props.modelStore, cluster, props.vpcSubnets, props.removalPolicy) : undefined;
    this.fileSystem = store?.fileSystem;
    this.accessPoint = store?.accessPoint;
    const volumes = [...props.volumes ?? []];
    if (s3Store) {
      volumes.push(WorkloadVolume.s3Files({
        name: 'models',
        fileSystem: s3Store,
        containerPath: props.modelStore!.mountPath,
        rootDirectory: props.modelStore!.rootDirectory,
        readOnly: props.modelStore!.readOnly ?? true,
      }));
    }
    if (store) {
      volumes.push(WorkloadVolume.efs({
        name: 'models',
        fileSystem: store.fileSystem,
        accessPoint: store.accessPoint,
        containerPath: props.modelStore!.mountPath,
        readOnly: props.modelStore!.readOnly ?? true,
      }));
    }

    const constructEnvironment: { [key: string]: string } = { PORT: String(this.containerPort) };
    if (props.modelStore) constructEnvironment.MODEL_DIR = props.modelStore.mountPath;
    const task = buildWorkloadTask(this, {
      ...props,
      volumes,
      cluster,
      capacity,
      containerPort: this.containerPort,
      containerPortName: props.serviceConnect ? 'main' : undefined,
      constructEnvironment,
    });
    this.taskDefinition = task.taskDefinition;
    this.container = task.container;
    this.grantPrincipal = task.taskDefinition.taskRole;

    const securityGroup = taskSecurityGroup(this, cluster);
    this.connections = new ec2.Connections({ securityGroups: [securityGroup] });

    // Load balancer.
    const lbSecurityGroup = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc: cluster.vpc,
      description: `Load balancer of ${this.node.path}`,
      allowAllOutbound: false,
    });
    const internetFacing = props.internetFacing ?? false;
    const lbProps = {
      vpc: cluster.vpc,
      internetFacing,
      vpcSubnets: props.loadBalancerSubnets
        ?? { subnetType: internetFacing ? ec2.SubnetType.PUBLIC : ec2.SubnetType.PRIVATE_WITH_EGRESS },
      deletionProtection: props.deletionProtection ?? !cluster.allowDestroy,
    };
    const peers = props.allowedPeers ?? (internetFacing ? [ec2.Peer.anyIpv4()] : vpcPeers(cluster.vpc));
    const healthCheck = {
      path: healthCheckPath,
      interval: Duration.seconds(15),
      timeout: Duration.seconds(5),
      healthyThresholdCount: 2,
      unhealthyThresholdCount: 3,
      healthyHttpCodes: '200',
    };
    let loadBalancer: elbv2.ApplicationLoadBalancer | elbv2.NetworkLoadBalancer;
    let alternateTarget: ecs.AlternateTarget | undefined;
    let alternateGroup: elbv2.TargetGroupBase | undefined;

    if (isAlb) {
      const alb = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
        ...lbProps,
        securityGroup: lbSecurityGroup,
        dropInvalidHeaderFields: true,
        desyncMitigationMode: elbv2.DesyncMitigationMode.DEFENSIVE,
        idleTimeout: props.idleTimeout ?? Duration.minutes(5),
      });
      loadBalancer = alb;
      this.applicationLoadBalancer = alb;
      const albTargetGroup = (groupId: string) => new elbv2.ApplicationTargetGroup(this, groupId, {
        vpc: cluster.vpc,
        targetType: elbv2.TargetType.IP,
        protocol: elbv2.ApplicationProtocol.HTTP,
        protocolVersion: props.protocolVersion,
        port: this.containerPort,
        healthCheck: grpc
          ? { ...healthCheck, healthyHttpCodes: undefined, healthyGrpcCodes: '0', protocol: elbv2.Protocol.HTTP }
          : { ...healthCheck, protocol: elbv2.Protocol.HTTP },
        deregistrationDelay,
        slowStart: props.slowStart,
      });
      this.alb = albTargetGroup('TargetGroup');
      this.targetGroup = this.alb;
      const albAlternate = shifts ? albTargetGroup('AlternateTargetGroup') : undefined;
      this.alternateTargetGroup = albAlternate;
      alternateGroup = albAlternate;
      const albListener = (listenerId: string, port: number) => alb.addListener(listenerId, {
        port,
        protocol: certificate ? elbv2.ApplicationProtocol.HTTPS : elbv2.ApplicationProtocol.HTTP,
        certificates: certificate ? [elbv2.ListenerCertificate.fromCertificateManager(certificate)] : undefined,
        sslPolicy: certificate ? props.sslPolicy ?? elbv2.SslPolicy.RECOMMENDED_TLS : undefined,
        defaultTargetGroups: [this.alb!],
        open: false,
      });
      const listener = albListener('Listener', this.listenerPort);
      this.listener = listener;
      if (albAlternate) {
        const forwardRule = (ruleId: string, on: elbv2.ApplicationListener) => new elbv2.ApplicationListenerRule(this, ruleId, {
          listener: on,
          // ECS moves the weights of this rule; every request matches it, the default action is never used.
          priority: 1,
          conditions: [elbv2.ListenerCondition.pathPatterns(['/*'])],
          action: elbv2.ListenerAction.weightedForward([{ targetGroup: this.alb!, weight: 100 }, { targetGroup: albAlternate, weight: 0 }]),
        });
        const productionRule = forwardRule('ProductionRule', listener);
        let testRule: elbv2.ApplicationListenerRule | undefined;
        if (testPort !== undefined) {
          const testListener = albListener('TestListener', testPort);
          this.testListener = testListener;
          testRule = forwardRule('TestRule', testListener);
        }
        const role = trafficShiftRole(this, [this.alb, albAlternate],
          [listener.listenerArn, ...this.testListener ? [this.testListener.listenerArn] : []],
          [productionRule.listenerRuleArn, ...testRule ? [testRule.listenerRuleArn] : []]);
        this.trafficShiftRole = role;
        alternateTarget = new ecs.AlternateTarget('Alternate', {
          alternateTargetGroup: albAlternate,
          productionListener: ecs.ListenerRuleConfiguration.applicationListenerRule(productionRule),
          testListener: testRule ? ecs.ListenerRuleConfiguration.applicationListenerRule(testRule) : undefined,
          role,
        });
      }
      if (redirectHttp) {
        const redirect = alb.addRedirect({ sourcePort: 80, targetPort: this.listenerPort, open: false });
        for (const pack of ['NIST.800.53.R5', 'HIPAA.Security']) {
          Validations.of(redirect).acknowledge({
            id: `${pack}-ELBv2ACMCertificateRequired`,
            reason: 'This plain-HTTP listener only answers with a redirect to the HTTPS listener (which carries the ACM certificate); an HTTP listener cannot carry a certificate.',
          });
        }
      }
      if (props.webAclArn !== undefined) {
        // L1: aws-cdk-lib has no L2 for WAFv2.
        new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', {
          resourceArn: alb.loadBalancerArn,
          webAclArn: props.webAclArn,
        });
      } else {
        for (const pack of ['NIST.800.53.R5', 'HIPAA.Security']) {
          Validations.of(alb).acknowledge({
            id: `${pack}-ALBWAFEnabled`,
            reason: 'Which web ACL rules fit an inference API is the user\'s choice (and each ACL costs 5 USD a month plus its rules); pass webAclArn to associate one.',
          });
        }
      }
    } else {
      const nlb = new elbv2.NetworkLoadBalancer(this, 'LoadBalancer', {
        ...lbProps,
        securityGroups: [lbSecurityGroup],
        crossZoneEnabled: true,
      });
      loadBalancer = nlb;
      this.networkLoadBalancer = nlb;
      const nlbTargetGroup = (groupId: string) => new elbv2.NetworkTargetGroup(this, groupId, {
        vpc: cluster.vpc,
        targetType: elbv2.TargetType.IP,
        protocol: elbv2.Protocol.TCP,
        port: this.containerPort,
        healthCheck: { ...healthCheck, protocol: elbv2.Protocol.HTTP },
        deregistrationDelay,
      });
      this.nlb = nlbTargetGroup('TargetGroup');
      this.targetGroup = this.nlb;
      const nlbListener = (listenerId: string, port: number) => nlb.addListener(listenerId, {
        port,
        protocol: certificate ? elbv2.Protocol.TLS : elbv2.Protocol.TCP,
        certificates: certificate ? [elbv2.ListenerCertificate.fromCertificateManager(certificate)] : undefined,
        sslPolicy: certificate ? props.sslPolicy ?? elbv2.SslPolicy.RECOMMENDED_TLS : undefined,
        defaultTargetGroups: [this.nlb!],
      });
      const listener = nlbListener('Listener', this.listenerPort);
      this.listener = listener;
      if (shifts) {
        const nlbAlternate = nlbTargetGroup('AlternateTargetGroup');
        this.alternateTargetGroup = nlbAlternate;
        alternateGroup = nlbAlternate;
        const testListener = testPort !== undefined ? nlbListener('TestListener', testPort) : undefined;
        this.testListener = testListener;
        // An NLB listener is the unit ECS shifts (it has no rules).
        const role = trafficShiftRole(this, [this.nlb, nlbAlternate],
          [listener.listenerArn, ...testListener ? [testListener.listenerArn] : []], []);
        this.trafficShiftRole = role;
        alternateTarget = new ecs.AlternateTarget('Alternate', {
          alternateTargetGroup: nlbAlternate,
          productionListener: ecs.ListenerRuleConfiguration.networkListener(listener),
          testListener: testListener ? ecs.ListenerRuleConfiguration.networkListener(testListener) : undefined,
          role,
        });
      }
    }
    this.loadBalancer = loadBalancer;
    this.loadBalancerConnections = new ec2.Connections({
      securityGroups: [lbSecurityGroup],
      defaultPort: ec2.Port.tcp(this.listenerPort),
    });
    const ports = [this.listenerPort, ...redirectHttp ? [80] : [], ...testPort !== undefined ? [testPort] : []];
    for (const peer of peers) {
      for (const port of ports) {
        lbSecurityGroup.addIngressRule(peer, ec2.Port.tcp(port), `Clients on ${port}`);
      }
    }
    // Only the load balancer reaches the tasks, and only on the container port.
    this.connections.allowFrom(lbSecurityGroup, ec2.Port.tcp(this.containerPort), 'Load balancer to the container port');
    this.logAccess(loadBalancer, cluster);

    if (!certificate) {
      this.acknowledgePlainListener(isAlb);
    }
    if (internetFacing && props.allowedPeers === undefined) {
      Validations.of(lbSecurityGroup).acknowledge({
        id: 'AwsSolutions-EC23',
        reason: 'internetFacing is true, so the listener accepts clients from anywhere by request; pass allowedPeers to narrow it.',
      });
      const other = ports.filter(p => ![80, 443].includes(p));
      if (other.length > 0) {
        suppressGuardRule(lbSecurityGroup, 'vpc_sg_open_only_to_authorized_ports_check',
          `internetFacing is true, so listener port${other.length > 1 ? 's' : ''} ${other.join(', ')} ${other.length > 1 ? 'are' : 'is'} open to anyone by request; pass allowedPeers to narrow it.`);
      }
    } else if (props.allowedPeers === undefined && peers.some(p => Token.isUnresolved(p.uniqueId))) {
      // Imported VPC without literal CIDRs: the rules cannot resolve the VPC's CIDR block.
      const reason = 'The only client ingress is the VPC\'s own CIDR block (Fn::GetAtt of the VPC, never 0.0.0.0/0), which the rule cannot resolve. Pass allowedPeers with literal CIDRs to let the rule check them.';
      for (const rule of ['AwsSolutions-EC23', 'NIST.800.53.R5-EC2RestrictedCommonPorts', 'NIST.800.53.R5-EC2RestrictedSSH',
        'HIPAA.Security-EC2RestrictedCommonPorts', 'HIPAA.Security-EC2RestrictedSSH']) {
        Validations.of(lbSecurityGroup).acknowledge({ id: rule, reason });
      }
    }

    // Deployment alarms: every name passed once through the service prop (alarms added later through
    // enableDeploymentAlarms would drop the earlier names, aws/aws-cdk#36308).
    const targetGroupMetrics = [(this.alb ?? this.nlb)!, ...alternateGroup ? [alternateGroup] : []].map(tg => ({
      loadBalancerFullName: loadBalancer.loadBalancerFullName,
      targetGroupFullName: tg.targetGroupFullName,
    }));
    this.deploymentAlarms = buildDeploymentAlarms(this, {
      options: props.deploymentAlarms ?? {},
      isAlb,
      targetGroups: targetGroupMetrics,
      gracePeriod,
    });
    const alarmBehavior = props.deploymentAlarms?.behavior ?? ecs.AlarmBehavior.ROLLBACK_ON_ALARM;
    const ownAlarms = this.deploymentAlarms.filter((a): a is cloudwatch.Alarm => a instanceof cloudwatch.Alarm && a.node.scope === this);
    if (ownAlarms.length > 0 || props.alarmTopic) {
      if (props.alarmTopic) {
        this.alarmTopic = props.alarmTopic;
      } else {
        this.alarmTopic = buildTopic(this, 'AlarmTopic', { encryptionKey: cluster.encryptionKey, displayName: `Alarms of ${this.node.path}`.slice(0, 100) });
        // CloudWatch encrypts with the cluster key when it publishes to the topic.
        allowServiceToUseKey(cluster.encryptionKey, 'cloudwatch.amazonaws.com');
      }
      allowAlarmsToPublish(this.alarmTopic);
      // A rollback is news for the team that shipped the model, and the same alarms fire between rollouts.
      for (const alarm of ownAlarms) alarm.addAlarmAction(new cwActions.SnsAction(this.alarmTopic));
    }

    let serviceConnect: ecs.ServiceConnectProps | undefined;
    if (props.serviceConnect) {
      this.serviceConnectNamespace = serviceConnectNamespace(cluster);
      if (!isUnresolved(props.serviceConnect.dnsName)) claimServiceConnectName(this, this.serviceConnectNamespace, props.serviceConnect.dnsName);
      const port = props.serviceConnect.port ?? this.containerPort;
      this.serviceConnectEndpoint = `http://${props.serviceConnect.dnsName}:${port}`;
      serviceConnect = this.serviceConnectProps(props.serviceConnect, this.serviceConnectNamespace, port, task.logGroup);
    }

    // Service.
    const common = {
      cluster: cluster.cluster,
      taskDefinition: this.taskDefinition,
      capacityProviderStrategies: capacity.strategies,
      securityGroups: [securityGroup],
      vpcSubnets: props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      assignPublicIp: false,
      healthCheckGracePeriod: gracePeriod,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      enableECSManagedTags: true,
      enableExecuteCommand: props.enableExec,
      propagateTags: ecs.PropagatedTagSource.SERVICE,
      deploymentAlarms: this.deploymentAlarms.length > 0
        ? { alarmNames: this.deploymentAlarms.map(a => a.alarmName), behavior: alarmBehavior }
        : undefined,
      ...rolloutServiceProps(rollout),
      serviceConnectConfiguration: serviceConnect,
    };
    // aws-cdk-lib's FargateService also takes Managed Instances task definitions (Ec2Service does not), without a platform version.
    this.service = capacity.isFargate
      ? new ecs.FargateService(this, 'Service', { ...common, platformVersion: ecs.FargatePlatformVersion.LATEST })
      : capacity.isManagedInstances ? new ecs.FargateService(this, 'Service', common) : new ecs.Ec2Service(this, 'Service', {
        ...common,
        placementStrategies: props.placementStrategies,
        placementConstraints: props.placementConstraints,
      });
    // NFS to every file system the tasks mount: the model store and the EFS volumes given in `volumes`.
    allowNfs(this.connections, task.volumes, () => 'NFS from the inference tasks');
    attachServiceVolumes(this.service, cluster, task, capacity);
    startAfterDependencies(this.service, cluster, task);
    if (this.serviceConnectNamespace) markServiceConnected(this.service, this.serviceConnectNamespace);
    acknowledgeHookRoles(this.service, rollout._options.lifecycleHooks ?? []);
    if (this.trafficShiftRole) {
      // ECS checks the traffic-shift role's permissions when the service is created.
      this.service.node.addDependency(this.trafficShiftRole);
      Annotations.of(this.service).acknowledgeWarning('@aws-cdk/aws-ecs:shouldUseCircuitBreaker',
        'The circuit breaker applies to rolling deployments only; traffic-shifting rollouts roll back on the deployment alarms and lifecycle hooks.');
    }
    const target = this.service.loadBalancerTarget({ containerName: 'main', containerPort: this.containerPort, alternateTarget });
    if (this.alb) this.alb.addTarget(target);
    if (this.nlb) this.nlb.addTarget(target);
    checkRolloutHeadroom(this, {
      strategy: rollout,
      capacity,
      asg: cluster.asgCapacity.find(c => c.capacityProvider === capacity.provider),
      minTasks,
      maxTasks,
      cpu: props.cpu ?? 256,
      memoryMiB: props.memoryLimitMiB ?? taskMemory(this.taskDefinition),
      gpuCount: props.gpuCount ?? 0,
    });

    // Scaling.
    this.scaling = this.service.autoScaleTaskCount({ minCapacity: minTasks, maxCapacity: maxTasks });
    if (this.alb && !this.alternateTargetGroup) {
      this.scaling.scaleOnRequestCount('RequestScaling', {
        requestsPerTarget: props.requestsPerTarget ?? 60,
        targetGroup: this.alb,
      });
    } else if (this.alb && this.alternateTargetGroup) {
      // After a traffic-shifting rollout the requests arrive through the other target group.
      scaleOnRequestsOfBoth(this, this.scaling, {
        requestsPerTask: props.requestsPerTarget ?? 60,
        targetGroups: targetGroupMetrics,
        clusterName: cluster.cluster.clusterName,
        serviceName: this.service.serviceName,
      });
    }
    const cpuTarget = props.targetCpuUtilizationPercent ?? (isAlb ? undefined : 60);
    if (cpuTarget !== undefined) {
      this.scaling.scaleOnCpuUtilization('CpuScaling', { targetUtilizationPercent: cpuTarget });
    }
    if (props.predictiveScaling) {
      scalePredictively(this, this.scaling, props.predictiveScaling);
    }
    cluster._addDashboardSection(this.dashboardSection((props.gpuCount ?? 0) > 0));
  }

  /**
   * Lets an ECS service call this one by name through Service Connect (`serviceConnectEndpoint`): makes
   * it a Service Connect client of the cluster's namespace and opens the container port to its tasks
   * only. Give it a workload's service, e.g. `inference.allowServiceConnectFrom(worker.service)`.
   * @param client the calling service (awsvpc networking, in this cluster's Region)
   */
  public allowServiceConnectFrom(client: ecs.BaseService): void {
    if (!this.serviceConnectNamespace) {
      throw new ValidationError(this,
        `allowServiceConnectFrom('${client.node.path}') needs serviceConnect, but this service is not published to Service Connect. ` +
        'Pass serviceConnect: { dnsName: \'...\' }, or let the client call the load balancer (loadBalancerConnections.allowDefaultPortFrom(client)).');
    }
    connectClient(this, this.connections.securityGroups, client, this.serviceConnectNamespace, this.containerPort);
  }

  /** Healthy tasks behind the load balancer (alarm when it drops below the tasks you need). */
  public metricHealthyHostCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.alb ? this.alb.metrics.healthyHostCount(props) : this.nlb!.metrics.healthyHostCount(props);
  }

  /** Tasks failing the load balancer's health check. */
  public metricUnhealthyHostCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.alb ? this.alb.metrics.unhealthyHostCount(props) : this.nlb!.metrics.unHealthyHostCount(props);
  }

  /** Time from the ALB sending a request to a task until the response starts (ALB only). */
  public metricTargetResponseTime(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.applicationTargetGroup('metricTargetResponseTime').metrics.targetResponseTime(props);
  }

  /** Requests per task, the metric request-count scaling tracks (ALB only). */
  public metricRequestCountPerTarget(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.applicationTargetGroup('metricRequestCountPerTarget').metrics.requestCountPerTarget(props);
  }

  /** HTTP 5xx responses returned by the tasks (ALB only). */
  public metricTarget5xxCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.applicationTargetGroup('metricTarget5xxCount').metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, props);
  }

  /** CPU utilization of the service. */
  public metricCpuUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.service.metricCpuUtilization(props);
  }

  /** Memory utilization of the service. */
  public metricMemoryUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.service.metricMemoryUtilization(props);
  }

  private dashboardSection(gpu: boolean): DashboardSection {
    const clusterName = this.service.cluster.clusterName;
    const ci = (metricName: string, statistic: string, label: string) => new cloudwatch.Metric({
      namespace: 'ECS/ContainerInsights',
      metricName,
      dimensionsMap: { ClusterName: clusterName, ServiceName: this.service.serviceName },
      statistic,
      period: Duration.minutes(1),
      label,
    });
    const minute = { period: Duration.minutes(1) };
    const traffic = this.alb
      ? [
        graph('Requests and errors', [this.alb.metrics.requestCount({ ...minute, label: 'Requests' })],
          [this.metricTarget5xxCount({ ...minute, label: '5xx from the tasks' }),
            this.applicationLoadBalancer!.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { ...minute, label: '5xx from the load balancer' })],
          { width: 6 }),
        graph('Latency (s)', [
          this.metricTargetResponseTime({ ...minute, statistic: 'p50', label: 'p50' }),
          this.metricTargetResponseTime({ ...minute, statistic: 'p99', label: 'p99' }),
        ], [], { width: 6 }),
      ]
      : [
        graph('Connections', [this.networkLoadBalancer!.metrics.newFlowCount({ ...minute, label: 'New flows' })],
          [this.networkLoadBalancer!.metrics.activeFlowCount({ ...minute, label: 'Active flows' })], { width: 6 }),
        graph('Bytes processed', [this.networkLoadBalancer!.metrics.processedBytes({ ...minute, label: 'Bytes' })], [], { width: 6 }),
      ];
    return {
      workload: this,
      title: `Inference service ${this.node.path}`,
      widgets: () => [
        ...traffic,
        graph('Health and utilization', [
          this.metricHealthyHostCount({ ...minute, statistic: 'Minimum', label: 'Healthy tasks' }),
          this.metricUnhealthyHostCount({ ...minute, statistic: 'Maximum', label: 'Unhealthy tasks' }),
        ], [
          this.metricCpuUtilization({ ...minute, label: 'CPU %' }),
          this.metricMemoryUtilization({ ...minute, label: 'Memory %' }),
        ], { width: 6 }),
        graph('Tasks and rollouts', [
          ci('RunningTaskCount', 'Average', 'Running'),
          ci('DesiredTaskCount', 'Maximum', 'Desired'),
          ci('DeploymentCount', 'Maximum', 'Deployments in progress'),
        ], gpu ? [new cloudwatch.Metric({
          // ECS publishes GPU reservation per cluster; per-task GPU use needs an exporter in the task.
          namespace: 'AWS/ECS', metricName: 'GPUReservation', dimensionsMap: { ClusterName: clusterName }, statistic: 'Average', ...minute, label: 'GPUs reserved in the cluster %',
        })] : [], { width: 6 }),
      ],
      operatorAlarms: () => this.alarmTopic ? this.deploymentAlarms : [],
      scalingAlarms: () => [],
    };
  }

  private applicationTargetGroup(method: string): elbv2.ApplicationTargetGroup {
    if (!this.alb) {
      throw new ValidationError(this,
        `${method}() reads an Application Load Balancer metric, but loadBalancerType is NETWORK. ` +
        'Use metricHealthyHostCount() / metricUnhealthyHostCount(), or networkLoadBalancer.metrics.');
    }
    return this.alb;
  }

  private validate(props: InferenceServiceProps, isAlb: boolean, redirectHttp: boolean, minTasks: number, maxTasks: number,
    gracePeriod: Duration, deregistrationDelay: Duration, healthCheckPath: string): void {
    const lbType = isAlb ? 'APPLICATION' : 'NETWORK';
    checkRange(this, 'containerPort', props.containerPort, 1, 65535, 'Give the TCP port the model server listens on.');
    checkRange(this, 'listenerPort', props.listenerPort, 1, 65535, 'Give the port clients connect to.');
    checkRange(this, 'minTasks', props.minTasks, 1, 5000,
      'Run at least one task: request-count scaling cannot start from zero targets.');
    checkRange(this, 'maxTasks', props.maxTasks, 1, 5000, 'ECS runs at most 5000 tasks per service.');
    checkOrder(this, 'minTasks', minTasks, 'maxTasks', maxTasks);
    checkRange(this, 'requestsPerTarget', props.requestsPerTarget, 1, 1000000, 'Give the requests per task per minute to keep.');
    checkRange(this, 'targetCpuUtilizationPercent', props.targetCpuUtilizationPercent, 1, 100, 'Give a percentage.');
    if (props.modelLoadTime !== undefined && props.healthCheckGracePeriod !== undefined) {
      throw new ValidationError(this,
        `modelLoadTime (${props.modelLoadTime.toHumanString()}) and healthCheckGracePeriod (${props.healthCheckGracePeriod.toHumanString()}) both set the grace period. ` +
        'Give modelLoadTime (the grace period is one minute more), or healthCheckGracePeriod alone.');
    }
    checkRange(this, 'modelLoadTime', props.modelLoadTime?.toSeconds({ integral: false }), 0, 2147483647 - 60,
      'Give the time the model needs to load and answer its health check.', { unit: 'seconds' });
    checkRange(this, 'healthCheckGracePeriod', gracePeriod.toSeconds({ integral: false }), 0, 2147483647,
      'ECS accepts 0–2147483647 seconds; give the time the model needs to load.', { unit: 'seconds' });
    checkRange(this, 'deregistrationDelay', deregistrationDelay.toSeconds({ integral: false }), 0, 3600,
      'Elastic Load Balancing accepts 0–3600 seconds.', { unit: 'seconds' });
    if (!isUnresolved(healthCheckPath) && !healthCheckPath.startsWith('/')) {
      throw new ValidationError(this, `healthCheckPath must start with '/', got ${show(healthCheckPath)}. Use e.g. '/health'.`);
    }
    checkRange(this, 'idleTimeout', props.idleTimeout?.toSeconds({ integral: false }), 1, 4000,
      'An ALB accepts an idle timeout of 1–4000 seconds.', { unit: 'seconds' });
    checkRange(this, 'slowStart', props.slowStart?.toSeconds({ integral: false }), 30, 900,
      'An ALB ramps a new target up over 30–900 seconds.', { unit: 'seconds' });
    if (!isAlb) {
      for (const [prop, value] of [['idleTimeout', props.idleTimeout], ['slowStart', props.slowStart], ['protocolVersion', props.protocolVersion]] as const) {
        if (value === undefined) continue;
        throw new ValidationError(this,
          `${prop} (${show(value)}) is an Application Load Balancer setting, but loadBalancerType is NETWORK` +
          (prop === 'protocolVersion' ? ' (an NLB forwards TCP/TLS as it comes, HTTP/2 and gRPC included)' : '') +
          `. Remove ${prop}, or use LoadBalancerType.APPLICATION.`);
      }
    }
    if (props.protocolVersion !== undefined && props.protocolVersion !== elbv2.ApplicationProtocolVersion.HTTP1 && !props.certificate) {
      throw new ValidationError(this,
        `protocolVersion is ${props.protocolVersion}, but an ALB speaks HTTP/2 and gRPC to clients over HTTPS only, and no certificate was given. ` +
        'Pass certificate, or remove protocolVersion.');
    }
    if (props.serviceConnect) {
      const sc = props.serviceConnect;
      if (!isUnresolved(sc.dnsName) && !/^[a-z0-9][a-z0-9-]{0,62}$/.test(sc.dnsName)) {
        throw new ValidationError(this,
          `serviceConnect.dnsName must be 1–63 lowercase letters, digits and hyphens, starting with a letter or digit, got ${show(sc.dnsName)}. ` +
          'Give the short name clients call, e.g. \'embeddings\'.');
      }
      checkRange(this, 'serviceConnect.port', sc.port, 1, 65535, 'Give the port clients call.');
    }
    if (props.requestsPerTarget !== undefined && !isAlb) {
      throw new ValidationError(this,
        `requestsPerTarget (${props.requestsPerTarget}) scales on ALB request counts, but loadBalancerType is ${lbType}; an NLB counts no requests. ` +
        'Remove requestsPerTarget and scale with targetCpuUtilizationPercent, or use LoadBalancerType.APPLICATION.');
    }
    if (props.webAclArn !== undefined && !isAlb) {
      throw new ValidationError(this,
        `webAclArn (${props.webAclArn}) applies to an Application Load Balancer only; AWS WAF cannot protect an NLB. ` +
        'Remove webAclArn or use LoadBalancerType.APPLICATION.');
    }
    if (props.sslPolicy !== undefined && !props.certificate) {
      throw new ValidationError(this,
        `sslPolicy (${props.sslPolicy}) needs a certificate: without one the listener is plain ${isAlb ? 'HTTP' : 'TCP'}. Pass certificate, or remove sslPolicy.`);
    }
    if (props.redirectHttp === true && !isAlb) {
      throw new ValidationError(this,
        'redirectHttp is true, but an NLB forwards TCP/TLS and cannot answer HTTP with a redirect. Remove redirectHttp or use LoadBalancerType.APPLICATION.');
    }
    if (props.redirectHttp === true && !props.certificate) {
      throw new ValidationError(this,
        'redirectHttp is true without a certificate, so there is no HTTPS listener to redirect to. Pass certificate, or remove redirectHttp.');
    }
    if (props.certificate && props.listenerPort === 80) {
      throw new ValidationError(this,
        `listenerPort is 80 with a certificate: port 80 is plain HTTP by convention${redirectHttp ? ' and carries the redirect to HTTPS' : ''}. ` +
        'Remove listenerPort (HTTPS/TLS listens on 443) or pick another port.');
    }
    checkRemovalPolicy(this, 'removalPolicy', props.removalPolicy);
    if (props.modelStore) {
      const m = props.modelStore;
      checkRemovalPolicy(this, 'modelStore.removalPolicy', m.removalPolicy);
      checkAbsolute(this, 'modelStore.mountPath', m.mountPath);
      if (m.rootDirectory !== undefined) checkAbsolute(this, 'modelStore.rootDirectory', m.rootDirectory);
      if (m.s3Files && m.bucket) {
        throw new ValidationError(this,
          'modelStore.s3Files and modelStore.bucket were both given, but the model store is one file system. Pass the S3FilesFileSystem, or the bucket (the construct then creates the file system), not both.');
      }
      if (m.bucketPrefix !== undefined && !m.bucket) {
        throw new ValidationError(this,
          `modelStore.bucketPrefix (${show(m.bucketPrefix)}) was given without modelStore.bucket. Give the bucket it belongs to, or remove bucketPrefix.`);
      }
      if (m.bucket) {
        checkS3FilesBucket(this, 'modelStore.bucket', m.bucket);
        checkS3FilesPrefix(this, 'modelStore.bucketPrefix', m.bucketPrefix ?? '');
      }
      const s3Kind = m.s3Files ? 's3Files' : m.bucket ? 'bucket' : undefined;
      const efsOnly = [m.fileSystem && 'fileSystem', m.accessPoint && 'accessPoint', m.throughputMode !== undefined && 'throughputMode',
        m.s3Files && m.removalPolicy !== undefined && 'removalPolicy'].filter(Boolean);
      if (s3Kind && efsOnly.length > 0) {
        throw new ValidationError(this,
          `modelStore.${s3Kind} was given with EFS settings (${efsOnly.join(', ')}), which do not apply to an S3 Files model store. ` +
          `Remove them, or remove ${s3Kind} for an EFS model store.`);
      }
      if (m.accessPoint && !m.fileSystem) {
        throw new ValidationError(this,
          'modelStore.accessPoint was given without modelStore.fileSystem, but an access point belongs to one file system. Pass the fileSystem it belongs to, or remove accessPoint.');
      }
      if (m.accessPoint && m.rootDirectory !== undefined) {
        throw new ValidationError(this,
          `modelStore.rootDirectory (${show(m.rootDirectory)}) is ignored with modelStore.accessPoint, whose own root directory applies. Remove one of them.`);
      }
      if (m.throughputMode === efs.ThroughputMode.PROVISIONED) {
        throw new ValidationError(this,
          'modelStore.throughputMode is PROVISIONED, which needs a provisioned throughput this construct does not take. ' +
          'Use ELASTIC (the default) or BURSTING, or create the file system yourself and pass it as modelStore.fileSystem.');
      }
      if (m.fileSystem && (m.throughputMode !== undefined || m.removalPolicy !== undefined)) {
        throw new ValidationError(this,
          'modelStore.throughputMode and modelStore.removalPolicy configure a new file system, but modelStore.fileSystem was given. Remove them, or remove fileSystem.');
      }
    }
  }

  private serviceConnectProps(options: InferenceServiceConnectOptions, namespace: servicediscovery.INamespace, port: number,
    logGroup: logs.ILogGroup): ecs.ServiceConnectProps {
    const authority = options.certificateAuthority;
    return {
      namespace: namespace.namespaceArn,
      services: [{
        portMappingName: 'main',
        discoveryName: options.dnsName,
        dnsName: options.dnsName,
        port,
        tls: authority ? { awsPcaAuthorityArn: authority.certificateAuthorityArn, role: serviceConnectTlsRole(this, authority) } : undefined,
      }],
      // The proxy's own log, beside the container's.
      logDriver: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: 'service-connect' }),
    };
  }

  private gpuCapacity(props: InferenceServiceProps): Capacity | undefined {
    const gpuCount = props.gpuCount ?? 0;
    if (isUnresolved(gpuCount) || gpuCount <= 0) return undefined;
    const gpu = props.cluster.gpuCapacity;
    if (gpu) return Capacity.ec2(gpu.capacityProvider);
    const managed = props.cluster.gpuManagedInstances;
    if (managed) return Capacity.managedInstances(managed);
    throw new ValidationError(this,
      `gpuCount is ${gpuCount}, but cluster '${props.cluster.node.path}' has no GPU capacity and Fargate has no GPUs. ` +
      'Add one with cluster.addAsgCapacity(id, { instanceType: new ec2.InstanceType(\'g5.xlarge\'), gpu: true, maxCapacity }) ' +
      'or cluster.addManagedInstances(id, { minGpus: 1 }), or pass capacity: Capacity.ec2(gpuProvider) or Capacity.managedInstances(gpuInstances).');
  }

  private modelStore(options: InferenceModelStoreOptions, cluster: WorkloadCluster, vpcSubnets?: ec2.SubnetSelection,
    removalPolicy?: RemovalPolicy):
    { fileSystem: efs.IFileSystem; accessPoint: efs.IAccessPoint } {
    let fileSystem = options.fileSystem;
    if (!fileSystem) {
      const fs = new efs.FileSystem(this, 'ModelStore', {
        vpc: cluster.vpc,
        vpcSubnets: vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        securityGroup: new ec2.SecurityGroup(this, 'ModelStoreSecurityGroup', {
          vpc: cluster.vpc,
          description: `EFS model store of ${this.node.path}`,
          allowAllOutbound: false,
        }),
        encrypted: true,
        kmsKey: cluster.encryptionKey,
        enableAutomaticBackups: true,
        throughputMode: options.throughputMode ?? efs.ThroughputMode.ELASTIC,
        performanceMode: efs.PerformanceMode.GENERAL_PURPOSE,
        removalPolicy: options.removalPolicy ?? removalPolicy ?? RemovalPolicy.RETAIN,
        // Our own policy (anonymous access stays closed because a policy exists): TLS only. The L2's
        // default would grant ClientWrite to every principal, defeating read-only mounts.
        allowAnonymousAccess: true,
        fileSystemPolicy: new iam.PolicyDocument({
          statements: [new iam.PolicyStatement({
            effect: iam.Effect.DENY,
            principals: [new iam.AnyPrincipal()],
            actions: ['*'],
            conditions: { Bool: { 'aws:SecureTransport': 'false' } },
          })],
        }),
      });
      for (const pack of ['NIST.800.53.R5', 'HIPAA.Security']) {
        Validations.of(fs).acknowledge({
          id: `${pack}-EFSInBackupPlan`,
          reason: 'Automatic backups are on: EFS places the file system in the AWS Backup plan aws/efs/automatic-backup-plan (daily, 35 days), which the rule cannot see because it lives outside the stack.',
        });
      }
      fileSystem = fs;
    }
    const accessPoint = options.accessPoint ?? new efs.AccessPoint(this, 'ModelStoreAccessPoint', {
      fileSystem,
      path: options.rootDirectory ?? '/models',
      createAcl: { ownerUid: '1000', ownerGid: '1000', permissions: '755' },
      posixUser: { uid: '1000', gid: '1000' },
    });
    return { fileSystem, accessPoint };
  }

  private logAccess(loadBalancer: elbv2.ApplicationLoadBalancer | elbv2.NetworkLoadBalancer, cluster: WorkloadCluster): void {
    const bucket = cluster.accessLogsBucket;
    const prefix = Names.uniqueResourceName(this, { maxLength: 100, separator: '-' });
    const stack = Stack.of(this);
    if (!Token.isUnresolved(stack.region)) {
      loadBalancer.logAccessLogs(bucket, prefix);
      return;
    }
    // Environment-agnostic stack: the L2 needs the region to pick the legacy ELB account; the log
    // delivery service principal works in every Region.
    loadBalancer.setAttribute('access_logs.s3.enabled', 'true');
    loadBalancer.setAttribute('access_logs.s3.bucket', bucket.bucketName);
    loadBalancer.setAttribute('access_logs.s3.prefix', prefix);
    const objects = bucket.arnForObjects(`${prefix}/AWSLogs/${stack.account}/*`);
    bucket.addToResourcePolicy(new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('logdelivery.elasticloadbalancing.amazonaws.com')],
      actions: ['s3:PutObject'],
      resources: [objects],
    }));
    bucket.addToResourcePolicy(new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('delivery.logs.amazonaws.com')],
      actions: ['s3:PutObject'],
      resources: [objects],
      conditions: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control' } },
    }));
    bucket.addToResourcePolicy(new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('delivery.logs.amazonaws.com')],
      actions: ['s3:GetBucketAcl'],
      resources: [bucket.bucketArn],
    }));
    const policy = bucket.policy?.node.defaultChild;
    if (policy) loadBalancer.node.addDependency(policy);
  }

  private acknowledgePlainListener(isAlb: boolean): void {
    const reason = 'No certificate was given, so the listener is plain ' + (isAlb ? 'HTTP' : 'TCP') +
      '; pass an ACM certificate to serve HTTPS / TLS (the fix is the certificate, which only the user has).';
    const packs = ['NIST.800.53.R5', 'HIPAA.Security'];
    // The test listener of a traffic-shifting rollout is as plain as the production listener.
    for (const listener of [this.listener, ...this.testListener ? [this.testListener] : []]) {
      for (const pack of packs) {
        Validations.of(listener).acknowledge({ id: `${pack}-ELBv2ACMCertificateRequired`, reason });
        if (isAlb) Validations.of(listener).acknowledge({ id: `${pack}-ALBHttpToHttpsRedirection`, reason });
      }
      if (isAlb) suppressGuardRule(listener, 'alb_http_to_https_redirection_check', reason);
    }
  }
}

/**
 * Clients of an internal load balancer: every subnet of the VPC, as literal CIDRs where the VPC knows
 * them (so rules can be checked at synth time), else the VPC's CIDR block.
 */
function vpcPeers(vpc: ec2.IVpc): ec2.IPeer[] {
  if (!Token.isUnresolved(vpc.vpcCidrBlock)) return [ec2.Peer.ipv4(vpc.vpcCidrBlock)];
  try {
    const cidrs = [...vpc.publicSubnets, ...vpc.privateSubnets, ...vpc.isolatedSubnets].map(s => s.ipv4CidrBlock);
    if (cidrs.length > 0 && cidrs.every(c => !Token.isUnresolved(c))) return cidrs.map(c => ec2.Peer.ipv4(c));
  } catch {
    // Imported subnets without a CIDR: fall back to the VPC's CIDR block.
  }
  return [ec2.Peer.ipv4(vpc.vpcCidrBlock)];
}

/** The task-level memory of a task definition, if set (EC2 tasks may size containers only). */
function taskMemory(taskDefinition: ecs.TaskDefinition): number | undefined {
  const memory = (taskDefinition.node.defaultChild as ecs.CfnTaskDefinition).memory;
  return memory !== undefined && !Token.isUnresolved(memory) ? Number(memory) : undefined;
}
