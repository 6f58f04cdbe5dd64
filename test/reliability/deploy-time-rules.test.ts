/**
 * Issue 8, point 2: rules that CloudFormation, ECS, SQS, EventBridge Scheduler or Elastic Load
 * Balancing enforce only at deploy time (a failed, often slow, rollback) are caught at synth time by
 * our ValidationError, with a message that names the prop, the value received and the fix.
 *
 * One row per rule. To add one: state the rule with the service's limit, give the smallest props
 * that break it, and a fragment of the message.
 *
 * Rules the constructs cannot break, because no prop reaches them, are pinned at the end.
 */
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import {
  AsgCapacityOptions, BatchQueueWorker, BatchQueueWorkerProps, Capacity, DaemonAgent, DaemonAgentProps,
  InferenceService, InferenceServiceProps, LoadBalancerType, ScheduledTask, ScheduledTaskProps, WorkloadCluster,
  WorkloadClusterProps, WorkloadVolume,
} from '../../src';
import { ValidationError } from '../../src/core/errors';

const IMAGE = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:stable');
const M7G = new ec2.InstanceType('m7g.large');
const NIGHTLY = scheduler.ScheduleExpression.cron({ hour: '2', minute: '30' });

function newStack(): Stack {
  return new Stack(new App(), 'Test', { env: { account: '123456789012', region: 'us-east-1' } });
}

/** What a row builds: a construct with props that break the rule. */
type Make = () => void;

function cluster(props: WorkloadClusterProps = {}): Make {
  return () => new WorkloadCluster(newStack(), 'Cluster', props);
}

function asg(options: Partial<AsgCapacityOptions>): Make {
  return () => new WorkloadCluster(newStack(), 'Cluster').addAsgCapacity('Asg', { instanceType: M7G, maxCapacity: 4, ...options });
}

function worker(props: Partial<BatchQueueWorkerProps> | ((stack: Stack) => Partial<BatchQueueWorkerProps>)): Make {
  return () => {
    const stack = newStack();
    const c = new WorkloadCluster(stack, 'Cluster');
    const extra = typeof props === 'function' ? props(stack) : props;
    new BatchQueueWorker(stack, 'Worker', { cluster: c, image: IMAGE, maxTasks: 10, ...extra });
  };
}

function inference(props: Partial<InferenceServiceProps> | ((stack: Stack) => Partial<InferenceServiceProps>)): Make {
  return () => {
    const stack = newStack();
    const c = new WorkloadCluster(stack, 'Cluster');
    const extra = typeof props === 'function' ? props(stack) : props;
    new InferenceService(stack, 'Inference', { cluster: c, image: IMAGE, ...extra });
  };
}

/** A daemon on a cluster with one Graviton capacity provider (or none, with `withCapacity: false`). */
function daemon(props: Partial<DaemonAgentProps> | Record<string, unknown>, withCapacity = true): Make {
  return () => {
    const stack = newStack();
    const c = new WorkloadCluster(stack, 'Cluster');
    if (withCapacity) c.addAsgCapacity('Arm', { instanceType: M7G, maxCapacity: 2 });
    new DaemonAgent(stack, 'Agent', { cluster: c, image: IMAGE, memoryReservationMiB: 64, ...props as Partial<DaemonAgentProps> });
  };
}

function scheduled(props: Partial<ScheduledTaskProps> | ((stack: Stack) => Partial<ScheduledTaskProps>)): Make {
  return () => {
    const stack = newStack();
    const c = new WorkloadCluster(stack, 'Cluster');
    const extra = typeof props === 'function' ? props(stack) : props;
    new ScheduledTask(stack, 'Job', { cluster: c, image: IMAGE, schedule: NIGHTLY, ...extra });
  };
}

function certificate(stack: Stack): acm.ICertificate {
  return acm.Certificate.fromCertificateArn(stack, 'Cert', 'arn:aws:acm:us-east-1:123456789012:certificate/abc');
}

interface Rule {
  /** The rule, as the service states it, with its limit. */
  readonly rule: string;
  /** The construct whose props break it. */
  readonly construct: string;
  readonly make: Make;
  /** Fragment of our ValidationError's message. */
  readonly message: RegExp;
}

const RULES: Rule[] = [
  // ECS DAEMON services
  {
    rule: 'ECS rejects a capacity provider strategy on a DAEMON service',
    construct: 'DaemonAgent',
    make: daemon({ capacity: Capacity.fargate() }),
    message: /capacity \(a Capacity\) is not a DaemonAgent prop: DAEMON services run on EC2 only/,
  },
  {
    rule: 'ECS rejects a capacity provider strategy on a DAEMON service (aws-cdk-lib prop name)',
    construct: 'DaemonAgent',
    make: daemon({ capacityProviderStrategies: [{ capacityProvider: 'FARGATE', weight: 1 }] }),
    message: /capacityProviderStrategies \(1 given\) is not a DaemonAgent prop: ECS rejects a capacity provider strategy on a DAEMON service/,
  },
  {
    rule: 'ECS rejects placement strategies on a DAEMON service',
    construct: 'DaemonAgent',
    make: daemon({ placementStrategies: [ecs.PlacementStrategy.spreadAcrossInstances()] }),
    message: /placementStrategies \(1 given\) cannot be used: DAEMON places exactly one task on every container instance/,
  },
  {
    rule: 'ECS rejects a desired count on a DAEMON service',
    construct: 'DaemonAgent',
    make: daemon({ desiredCount: 2 }),
    message: /desiredCount \(2\) is not a DaemonAgent prop: DAEMON places exactly one task on every matching container instance/,
  },
  {
    rule: 'DAEMON services run on EC2 container instances only, not on Fargate',
    construct: 'DaemonAgent',
    make: daemon({}, false),
    message: /has no EC2 capacity, and DAEMON services run on EC2 container instances only \(not on Fargate\)/,
  },
  {
    rule: 'ECS rejects port mappings in network mode none',
    construct: 'DaemonAgent',
    make: daemon({ networkMode: ecs.NetworkMode.NONE, containerPort: 8125 }),
    message: /containerPort \(8125\) cannot be published with networkMode NONE/,
  },
  {
    rule: 'ECS task definitions for Linux reject network mode nat (Windows only)',
    construct: 'DaemonAgent',
    make: daemon({ networkMode: ecs.NetworkMode.NAT }),
    message: /networkMode 'nat' is for Windows containers only/,
  },

  // Fargate
  {
    rule: 'Fargate accepts only its listed CPU/memory pairs (cpu 256 takes 512, 1024 or 2048 MiB)',
    construct: 'BatchQueueWorker',
    make: worker({ cpu: 256, memoryLimitMiB: 4096 }),
    message: /memoryLimitMiB 4096 is not valid with cpu 256 on Fargate\. Valid memoryLimitMiB values for cpu 256: 512, 1024, 2048/,
  },
  {
    rule: 'Fargate task CPU is one of 256, 512, 1024, 2048, 4096, 8192, 16384',
    construct: 'ScheduledTask',
    make: scheduled({ cpu: 3000, memoryLimitMiB: 8192 }),
    message: /cpu 3000 is not a Fargate CPU value\. Use one of 256, 512, 1024, 2048, 4096, 8192, 16384/,
  },
  {
    rule: 'Fargate tasks cannot use Docker volumes',
    construct: 'ScheduledTask',
    make: scheduled({ volumes: [WorkloadVolume.dockerVolume({ name: 'cache', containerPath: '/cache' })] }),
    message: /volumes\[0\] 'cache' is a Docker volume, which Fargate does not support/,
  },
  {
    rule: 'Fargate tasks cannot mount host paths',
    construct: 'BatchQueueWorker',
    make: worker({ volumes: [WorkloadVolume.bindMount({ name: 'logs', containerPath: '/logs', hostPath: '/var/log' })] }),
    message: /volumes\[0\] 'logs' mounts host path '\/var\/log', but Fargate tasks cannot reach the host/,
  },
  {
    rule: 'Fargate has no GPUs (resourceRequirements GPU is EC2 only)',
    construct: 'ScheduledTask',
    make: scheduled({ gpuCount: 1 }),
    message: /gpuCount is 1, but Fargate has no GPUs/,
  },
  {
    rule: 'Fargate has no GPUs: a GPU service needs GPU EC2 capacity in the cluster',
    construct: 'InferenceService',
    make: inference({ gpuCount: 1 }),
    message: /gpuCount is 1, but cluster 'Test\/Cluster' has no GPU capacity and Fargate has no GPUs/,
  },
  {
    rule: 'ECS rejects placement strategies for Fargate tasks',
    construct: 'BatchQueueWorker',
    make: worker({ placementStrategies: [ecs.PlacementStrategy.packedByCpu()] }),
    message: /placementStrategies \(1 given\) apply to EC2 capacity only; Fargate places tasks itself/,
  },
  {
    rule: 'ECS rejects placement constraints for Fargate tasks',
    construct: 'ScheduledTask',
    make: scheduled({ placementConstraints: [ecs.PlacementConstraint.distinctInstances()] }),
    message: /placementConstraints \(1 given\) apply to EC2 capacity only/,
  },

  // ECS task definitions
  {
    rule: 'ECS waits at most 120 seconds between SIGTERM and SIGKILL (stopTimeout ≤ 120 s)',
    construct: 'BatchQueueWorker',
    make: worker({ stopTimeout: Duration.minutes(3) }),
    message: /stopTimeout must be a whole number between 2 and 120 seconds, got 180/,
  },
  {
    rule: 'A container port is 1–65535',
    construct: 'InferenceService',
    make: inference({ containerPort: 65536 }),
    message: /containerPort must be a whole number between 1 and 65535, got 65536/,
  },
  {
    rule: 'A container port is 1–65535 (worker with a port)',
    construct: 'BatchQueueWorker',
    make: worker({ containerPort: 0 }),
    message: /containerPort must be a whole number between 1 and 65535, got 0/,
  },
  {
    rule: 'An ECS task definition holds at most 10 containers',
    construct: 'BatchQueueWorker',
    make: worker({ cpu: 1024, memoryLimitMiB: 4096, sidecars: Array.from({ length: 10 }, (_, i) => ({ name: `s${i}`, image: IMAGE })) }),
    message: /sidecars has 10 containers: with the main container that makes 11, but an ECS task definition holds at most 10 containers/,
  },
  {
    rule: 'ECS container names are up to 255 letters, digits, hyphens and underscores',
    construct: 'InferenceService',
    make: inference({ sidecars: [{ name: 'log router', image: IMAGE }] }),
    message: /sidecars\[0\]\.name 'log router' contains ' ', but it may only contain letters, digits, '_' and '-'/,
  },
  {
    rule: 'ECS volume names are up to 255 letters, digits, hyphens and underscores',
    construct: 'ScheduledTask',
    make: scheduled({ volumes: [WorkloadVolume.bindMount({ name: 'scratch/tmp', containerPath: '/tmp' })] }),
    message: /volumes\[0\]\.name 'scratch\/tmp' contains '\/', but it may only contain letters, digits, '_' and '-'/,
  },
  {
    rule: 'ECS container health checks run every 5–300 seconds',
    construct: 'ScheduledTask',
    make: scheduled({ healthCheck: { command: ['CMD', 'true'], interval: Duration.seconds(2) } }),
    message: /healthCheck\.interval must be a whole number between 5 and 300 seconds, got 2/,
  },
  {
    rule: 'ECS container health checks time out after 2–120 seconds',
    construct: 'InferenceService',
    make: inference({ healthCheck: { command: ['CMD', 'true'], timeout: Duration.seconds(1) } }),
    message: /healthCheck\.timeout must be a whole number between 2 and 120 seconds, got 1/,
  },
  {
    rule: 'ECS container health checks retry 1–10 times',
    construct: 'BatchQueueWorker',
    make: worker({ healthCheck: { command: ['CMD', 'true'], retries: 11 } }),
    message: /healthCheck\.retries must be a whole number between 1 and 10, got 11/,
  },
  {
    rule: 'ECS container health check start periods are 0–300 seconds',
    construct: 'InferenceService',
    make: inference({ healthCheck: { command: ['CMD', 'true'], startPeriod: Duration.minutes(10) } }),
    message: /healthCheck\.startPeriod must be a whole number between 0 and 300 seconds, got 600\..*health check grace period/,
  },
  {
    rule: 'A container health check timeout must not exceed its interval',
    construct: 'DaemonAgent',
    make: daemon({ healthCheck: { command: ['CMD', 'true'], interval: Duration.seconds(10), timeout: Duration.seconds(20) } }),
    message: /healthCheck\.timeout \(20\) must not exceed healthCheck\.interval \(10\)/,
  },
  {
    rule: 'ECS sidecar health checks have the same limits (interval 5–300 s)',
    construct: 'BatchQueueWorker',
    make: worker({ sidecars: [{ name: 'proxy', image: IMAGE, healthCheck: { command: ['CMD', 'true'], interval: Duration.seconds(301) } }] }),
    message: /sidecars\[0\]\.healthCheck\.interval must be a whole number between 5 and 300 seconds, got 301/,
  },
  {
    rule: 'ECS mount points and EFS access point root directories are absolute paths',
    construct: 'InferenceService',
    make: inference({ modelStore: { mountPath: '/models', rootDirectory: 'models' } }),
    message: /modelStore\.rootDirectory must be an absolute path without '\.\.', got 'models'/,
  },

  // ECS capacity provider strategies and services
  {
    rule: 'A capacity provider strategy weight is 0–1000',
    construct: 'BatchQueueWorker',
    make: worker({ capacity: Capacity.fargateSpot({ spotWeight: 1001 }) }),
    message: /capacity\.spotWeight must be a whole number between 0 and 1000, got 1001/,
  },
  {
    rule: 'A capacity provider strategy base is 0–100000',
    construct: 'ScheduledTask',
    make: scheduled({ capacity: Capacity.fargateSpot({ onDemandBase: 100001, onDemandWeight: 1 }) }),
    message: /capacity\.onDemandBase must be a whole number between 0 and 100000, got 100001/,
  },
  {
    rule: 'A capacity provider strategy needs a weight above 0',
    construct: 'BatchQueueWorker',
    make: worker({ capacity: Capacity.fargateSpot({ spotWeight: 0 }) }),
    message: /capacity has every weight at 0/,
  },
  {
    rule: 'Application Auto Scaling rejects MinCapacity above MaxCapacity',
    construct: 'BatchQueueWorker',
    make: worker({ minTasks: 5, maxTasks: 2 }),
    message: /minTasks \(5\) must not exceed maxTasks \(2\)/,
  },
  {
    rule: 'Application Auto Scaling rejects MinCapacity above MaxCapacity (service)',
    construct: 'InferenceService',
    make: inference({ minTasks: 5 }),
    message: /minTasks \(5\) must not exceed maxTasks \(4\)/,
  },
  {
    rule: 'An ECS service runs at most 5000 tasks',
    construct: 'BatchQueueWorker',
    make: worker({ maxTasks: 5001 }),
    message: /maxTasks must be a whole number between 1 and 5000, got 5001/,
  },
  {
    rule: 'ECS health check grace period is 0–2147483647 seconds',
    construct: 'InferenceService',
    make: inference({ healthCheckGracePeriod: Duration.seconds(2147483648) }),
    message: /healthCheckGracePeriod must be a whole number between 0 and 2147483647 seconds, got 2147483648/,
  },

  // EC2 capacity providers (managed scaling)
  {
    rule: 'ECS managed scaling target capacity is 1–100 %',
    construct: 'WorkloadCluster.addAsgCapacity',
    make: asg({ targetCapacityPercent: 101 }),
    message: /targetCapacityPercent must be a whole number between 1 and 100, got 101/,
  },
  {
    rule: 'ECS managed scaling target capacity is 1–100 % (0 rejected)',
    construct: 'WorkloadCluster.addAsgCapacity',
    make: asg({ targetCapacityPercent: 0 }),
    message: /targetCapacityPercent must be a whole number between 1 and 100, got 0/,
  },
  {
    rule: 'ECS managed scaling minimum step size is 1–10000',
    construct: 'WorkloadCluster.addAsgCapacity',
    make: asg({ minimumScalingStepSize: 0 }),
    message: /minimumScalingStepSize must be a whole number between 1 and 10000, got 0/,
  },
  {
    rule: 'ECS managed scaling maximum step size is 1–10000',
    construct: 'WorkloadCluster.addAsgCapacity',
    make: asg({ maximumScalingStepSize: 10001 }),
    message: /maximumScalingStepSize must be a whole number between 1 and 10000, got 10001/,
  },
  {
    rule: 'ECS managed scaling minimum step size must not exceed the maximum',
    construct: 'WorkloadCluster.addAsgCapacity',
    make: asg({ minimumScalingStepSize: 20, maximumScalingStepSize: 10 }),
    message: /minimumScalingStepSize \(20\) must not exceed maximumScalingStepSize \(10\)/,
  },
  {
    rule: 'ECS managed scaling instance warm-up is 0–10000 seconds',
    construct: 'WorkloadCluster.addAsgCapacity',
    make: asg({ instanceWarmupPeriod: Duration.seconds(10001) }),
    message: /instanceWarmupPeriod must be a whole number between 0 and 10000 seconds, got 10001/,
  },
  {
    rule: 'EC2 Auto Scaling rejects MinSize above MaxSize',
    construct: 'WorkloadCluster.addAsgCapacity',
    make: asg({ minCapacity: 5, maxCapacity: 2 }),
    message: /minCapacity \(5\) must not exceed maxCapacity \(2\)/,
  },
  {
    rule: 'A capacity provider name is at most 255 characters',
    construct: 'WorkloadCluster.addAsgCapacity',
    make: asg({ capacityProviderName: 'p'.repeat(256) }),
    message: /capacityProviderName is 256 characters long, but it must have 1 to 255\. Shorten it\./,
  },
  {
    rule: 'A capacity provider name has only letters, digits, underscores and hyphens',
    construct: 'WorkloadCluster.addAsgCapacity',
    make: asg({ capacityProviderName: 'graviton.spot' }),
    message: /capacityProviderName 'graviton\.spot' contains '\.', but it may only contain letters, digits, '_' and '-'/,
  },
  ...['aws', 'ecs', 'fargate'].map((prefix): Rule => ({
    rule: `A capacity provider name must not start with '${prefix}'`,
    construct: 'WorkloadCluster.addAsgCapacity',
    make: asg({ capacityProviderName: `${prefix}-graviton` }),
    message: new RegExp(`capacityProviderName '${prefix}-graviton' starts with '${prefix}', a prefix ECS reserves .* Rename it, or leave it unset`),
  })),
  {
    rule: 'The new VPC spans 2 AZs: at most one NAT gateway per AZ',
    construct: 'WorkloadCluster',
    make: cluster({ natGateways: 3 }),
    message: /natGateways must be a whole number between 0 and 2, got 3/,
  },

  // SQS
  {
    rule: 'SQS visibility timeout is at most 12 hours',
    construct: 'BatchQueueWorker',
    make: worker({ visibilityTimeout: Duration.hours(13) }),
    message: /visibilityTimeout must be a whole number between 0 and 43200 seconds, got 46800\. SQS allows at most 12 hours\./,
  },
  {
    rule: 'SQS visibility timeout is at most 12 hours (it follows jobTimeout)',
    construct: 'BatchQueueWorker',
    make: worker({ jobTimeout: Duration.hours(13) }),
    message: /jobTimeout must be a whole number between 1 and 43200 seconds, got 46800\. SQS hides a received message for at most 12 hours/,
  },
  {
    rule: 'SQS maxReceiveCount of a redrive policy is 1–1000',
    construct: 'BatchQueueWorker',
    make: worker({ maxReceiveCount: 1001 }),
    message: /maxReceiveCount must be a whole number between 1 and 1000, got 1001/,
  },
  {
    rule: 'SQS maxReceiveCount of a redrive policy is 1–1000 (0 rejected)',
    construct: 'BatchQueueWorker',
    make: worker({ maxReceiveCount: 0 }),
    message: /maxReceiveCount must be a whole number between 1 and 1000, got 0/,
  },
  {
    rule: 'SQS keeps a message at most 14 days, so an age alarm above that can never fire',
    construct: 'BatchQueueWorker',
    make: worker({ maxMessageAge: Duration.days(15) }),
    message: /maxMessageAge must be a whole number between 60 and 1209600 seconds, got 1296000\. SQS keeps a message at most 14 days\./,
  },

  // EventBridge Scheduler
  {
    rule: 'EventBridge Scheduler retries a target 0–185 times',
    construct: 'ScheduledTask',
    make: scheduled({ maxRetryAttempts: 186 }),
    message: /maxRetryAttempts must be a whole number between 0 and 185, got 186/,
  },
  {
    rule: 'EventBridge Scheduler retries a target 0–185 times (negative rejected)',
    construct: 'ScheduledTask',
    make: scheduled({ maxRetryAttempts: -1 }),
    message: /maxRetryAttempts must be a whole number between 0 and 185, got -1/,
  },
  {
    rule: 'EventBridge Scheduler maximum event age is 60 seconds to 24 hours',
    construct: 'ScheduledTask',
    make: scheduled({ maxEventAge: Duration.seconds(59) }),
    message: /maxEventAge must be a whole number between 60 and 86400 seconds, got 59/,
  },
  {
    rule: 'EventBridge Scheduler maximum event age is 60 seconds to 24 hours (above rejected)',
    construct: 'ScheduledTask',
    make: scheduled({ maxEventAge: Duration.hours(25) }),
    message: /maxEventAge must be a whole number between 60 and 86400 seconds, got 90000/,
  },
  {
    rule: 'EventBridge Scheduler flexible time window is 1–1440 whole minutes',
    construct: 'ScheduledTask',
    make: scheduled({ flexibleTimeWindow: Duration.minutes(1441) }),
    message: /flexibleTimeWindow must be a whole number between 1 and 1440 minutes, got 1441/,
  },
  {
    rule: 'EventBridge Scheduler flexible time window is whole minutes',
    construct: 'ScheduledTask',
    make: scheduled({ flexibleTimeWindow: Duration.seconds(90) }),
    message: /flexibleTimeWindow must be a whole number between 1 and 1440 minutes, got 1\.5/,
  },
  {
    rule: 'An EventBridge Scheduler schedule name is at most 64 characters',
    construct: 'ScheduledTask',
    make: scheduled({ scheduleName: 'n'.repeat(65) }),
    message: /scheduleName is 65 characters long, but it must have 1 to 64\. Shorten it\./,
  },
  {
    rule: 'An EventBridge Scheduler schedule name has only letters, digits, ., _ and -',
    construct: 'ScheduledTask',
    make: scheduled({ scheduleName: 'nightly report' }),
    message: /scheduleName 'nightly report' contains ' ', but it may only contain letters, digits, '\.', '_' and '-'/,
  },
  {
    rule: 'EventBridge Scheduler sends failed runs to standard SQS queues only',
    construct: 'ScheduledTask',
    make: scheduled(stack => ({ deadLetterQueue: new sqs.Queue(stack, 'Fifo', { fifo: true }) })),
    message: /is a FIFO queue, but EventBridge Scheduler sends failed runs to standard queues only/,
  },
  {
    rule: 'An EventBridge Scheduler schedule must start before it ends',
    construct: 'ScheduledTask',
    make: scheduled({ start: new Date('2030-01-02T00:00:00Z'), end: new Date('2030-01-01T00:00:00Z') }),
    message: /start \(2030-01-02T00:00:00\.000Z\) must be before end \(2030-01-01T00:00:00\.000Z\)/,
  },

  // Elastic Load Balancing: ALB vs NLB listeners
  {
    rule: 'Request-count scaling (ALBRequestCountPerTarget) needs an ALB target group',
    construct: 'InferenceService',
    make: inference({ loadBalancerType: LoadBalancerType.NETWORK, requestsPerTarget: 100 }),
    message: /requestsPerTarget \(100\) scales on ALB request counts, but loadBalancerType is NETWORK/,
  },
  {
    rule: 'AWS WAF web ACLs associate with ALBs only',
    construct: 'InferenceService',
    make: inference({ loadBalancerType: LoadBalancerType.NETWORK, webAclArn: 'arn:aws:wafv2:us-east-1:123456789012:regional/webacl/x/1' }),
    message: /webAclArn .* applies to an Application Load Balancer only; AWS WAF cannot protect an NLB/,
  },
  {
    rule: 'NLB listeners (TCP/TLS) have no redirect action',
    construct: 'InferenceService',
    make: inference({ loadBalancerType: LoadBalancerType.NETWORK, redirectHttp: true }),
    message: /redirectHttp is true, but an NLB forwards TCP\/TLS and cannot answer HTTP with a redirect/,
  },
  {
    rule: 'An SSL policy is valid only on HTTPS / TLS listeners',
    construct: 'InferenceService',
    make: inference({ sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS }),
    message: /sslPolicy \(.*\) needs a certificate: without one the listener is plain HTTP/,
  },
  {
    rule: 'An SSL policy is valid only on TLS listeners (NLB)',
    construct: 'InferenceService',
    make: inference({ loadBalancerType: LoadBalancerType.NETWORK, sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS }),
    message: /sslPolicy \(.*\) needs a certificate: without one the listener is plain TCP/,
  },
  {
    rule: 'A load balancer takes one listener per port (the HTTP redirect listener uses 80)',
    construct: 'InferenceService',
    make: inference(stack => ({ certificate: certificate(stack), listenerPort: 80 })),
    message: /listenerPort is 80 with a certificate: port 80 is plain HTTP by convention and carries the redirect to HTTPS/,
  },
  {
    rule: 'A load balancer takes one listener per port (a redirect without HTTPS would listen on 80 twice)',
    construct: 'InferenceService',
    make: inference({ redirectHttp: true }),
    message: /redirectHttp is true without a certificate, so there is no HTTPS listener to redirect to/,
  },
  {
    rule: 'A listener port is 1–65535',
    construct: 'InferenceService',
    make: inference({ listenerPort: 70000 }),
    message: /listenerPort must be a whole number between 1 and 65535, got 70000/,
  },
  {
    rule: 'An ELB health check path starts with /',
    construct: 'InferenceService',
    make: inference({ healthCheckPath: 'health' }),
    message: /healthCheckPath must start with '\/', got 'health'/,
  },
  {
    rule: 'A target group deregistration delay is 0–3600 seconds',
    construct: 'InferenceService',
    make: inference({ deregistrationDelay: Duration.hours(2) }),
    message: /deregistrationDelay must be a whole number between 0 and 3600 seconds, got 7200/,
  },

  // CloudFormation DeletionPolicy Snapshot
  ...([
    ['WorkloadCluster', cluster({ removalPolicy: RemovalPolicy.SNAPSHOT })],
    ['BatchQueueWorker', worker({ removalPolicy: RemovalPolicy.SNAPSHOT })],
    ['InferenceService', inference({ removalPolicy: RemovalPolicy.SNAPSHOT })],
    ['DaemonAgent', daemon({ removalPolicy: RemovalPolicy.SNAPSHOT })],
    ['ScheduledTask', scheduled({ removalPolicy: RemovalPolicy.SNAPSHOT })],
  ] as const).map(([construct, make]): Rule => ({
    rule: 'CloudFormation snapshots databases and volumes only (DeletionPolicy Snapshot is rejected on buckets, queues, log groups, file systems, keys)',
    construct,
    make,
    message: /removalPolicy is SNAPSHOT, but CloudFormation snapshots databases and volumes only.* Use RemovalPolicy\.RETAIN/,
  })),
  {
    rule: 'CloudFormation does not snapshot EFS file systems',
    construct: 'InferenceService',
    make: inference({ modelStore: { mountPath: '/models', removalPolicy: RemovalPolicy.SNAPSHOT } }),
    message: /modelStore\.removalPolicy is SNAPSHOT, but CloudFormation snapshots databases and volumes only/,
  },
];

describe('deploy-time rules caught at synth time', () => {
  test.each(RULES.map(r => [`${r.construct}: ${r.rule}`, r] as const))('%s', (_, r) => {
    let error: unknown;
    try {
      r.make();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toMatch(r.message);
  });

  test('every construct appears in the table', () => {
    const constructs = new Set(RULES.map(r => r.construct));
    for (const c of ['WorkloadCluster', 'WorkloadCluster.addAsgCapacity', 'BatchQueueWorker', 'InferenceService', 'DaemonAgent', 'ScheduledTask']) {
      expect(constructs).toContain(c);
    }
  });
});

/**
 * Rules no prop can break, because the constructs fix the setting. Each test pins the fixed setting,
 * so a change that makes the rule reachable fails here and gets a row above.
 */
describe('deploy-time rules the props cannot reach', () => {
  /** All resources of a type in a template. */
  function resources(template: Template, type: string): any[] {
    return Object.values(template.findResources(type));
  }

  test('EFS needs Fargate platform version 1.4.0 or later: every Fargate service and run uses LATEST (no prop sets the version)', () => {
    const stack = newStack();
    const c = new WorkloadCluster(stack, 'Cluster');
    new InferenceService(stack, 'Inference', { cluster: c, image: IMAGE, modelStore: { mountPath: '/models' } });
    const fs = (stack.node.findChild('Inference') as InferenceService).fileSystem!;
    new BatchQueueWorker(stack, 'Worker', {
      cluster: c,
      image: IMAGE,
      maxTasks: 2,
      volumes: [WorkloadVolume.efs({ fileSystem: fs, containerPath: '/data', name: 'data' })],
    });
    new ScheduledTask(stack, 'Direct', {
      cluster: c,
      image: IMAGE,
      schedule: NIGHTLY,
      volumes: [WorkloadVolume.efs({ fileSystem: fs, containerPath: '/data', name: 'data' })],
    });
    new ScheduledTask(stack, 'ToCompletion', {
      cluster: c,
      image: IMAGE,
      schedule: NIGHTLY,
      timeout: Duration.hours(1),
      volumes: [WorkloadVolume.efs({ fileSystem: fs, containerPath: '/data', name: 'data' })],
    });
    const template = Template.fromStack(stack);

    // Services: unset (ECS uses LATEST) or LATEST.
    const versions = resources(template, 'AWS::ECS::Service').map(s => s.Properties.PlatformVersion ?? 'LATEST (unset)');
    expect(versions).toEqual(['LATEST', 'LATEST (unset)']);
    // Scheduler's ECS target (direct mode): unset (ECS uses LATEST).
    const ecsTargets = resources(template, 'AWS::Scheduler::Schedule').map(s => s.Properties.Target.EcsParameters).filter(Boolean);
    expect(ecsTargets).toHaveLength(1);
    expect(ecsTargets[0].PlatformVersion).toBeUndefined();
    // Step Functions' RunTask: LATEST. (The other state machine is the worker's wake-up path, which runs no task.)
    const runners = resources(template, 'AWS::StepFunctions::StateMachine').filter(m => JSON.stringify(m.Properties.DefinitionString).includes('ecs:runTask'));
    expect(runners).toHaveLength(1);
    expect(JSON.stringify(runners[0].Properties.DefinitionString)).toContain('\\"PlatformVersion\\":\\"LATEST\\"');
  });

  test('ECS rejects a health check grace period without a load balancer: only InferenceService sets one, and it always has a load balancer', () => {
    const stack = newStack();
    const c = new WorkloadCluster(stack, 'Cluster');
    c.addAsgCapacity('Arm', { instanceType: M7G, maxCapacity: 2 });
    new BatchQueueWorker(stack, 'Worker', { cluster: c, image: IMAGE, maxTasks: 2 });
    new DaemonAgent(stack, 'Agent', { cluster: c, image: IMAGE, memoryReservationMiB: 64 });
    for (const type of [LoadBalancerType.APPLICATION, LoadBalancerType.NETWORK]) {
      new InferenceService(stack, `Inference${type}`, { cluster: c, image: IMAGE, loadBalancerType: type });
    }
    const services = resources(Template.fromStack(stack), 'AWS::ECS::Service');
    expect(services).toHaveLength(4);
    for (const s of services) {
      if (s.Properties.HealthCheckGracePeriodSeconds !== undefined) {
        expect(s.Properties.LoadBalancers).toHaveLength(1);
      }
    }
    expect(services.filter(s => s.Properties.HealthCheckGracePeriodSeconds !== undefined)).toHaveLength(2);
  });

  test('SQS message retention is 60 s–14 days: every queue this library creates keeps messages the maximum 14 days, so no backlog expires unprocessed; no prop sets it', () => {
    const stack = newStack();
    const c = new WorkloadCluster(stack, 'Cluster');
    new BatchQueueWorker(stack, 'Worker', { cluster: c, image: IMAGE, maxTasks: 2 });
    new ScheduledTask(stack, 'Job', { cluster: c, image: IMAGE, schedule: NIGHTLY });
    const retention = resources(Template.fromStack(stack), 'AWS::SQS::Queue').map(q => q.Properties.MessageRetentionPeriod).sort();
    // The worker's queue and dead-letter queue, its wake-up gate and the gate's two dead-letter queues, the task's dead-letter queue.
    expect(retention).toEqual([1209600, 1209600, 1209600, 1209600, 1209600, 1209600]);
  });

  test('SQS queue names (≤ 80 characters), load balancer names (≤ 32) and target group names (≤ 32) are never given: CloudFormation generates them', () => {
    const stack = newStack();
    const c = new WorkloadCluster(stack, 'Cluster');
    new BatchQueueWorker(stack, 'Worker', { cluster: c, image: IMAGE, maxTasks: 2 });
    new InferenceService(stack, 'Inference', { cluster: c, image: IMAGE });
    const template = Template.fromStack(stack);
    for (const q of resources(template, 'AWS::SQS::Queue')) expect(q.Properties.QueueName).toBeUndefined();
    for (const lb of resources(template, 'AWS::ElasticLoadBalancingV2::LoadBalancer')) expect(lb.Properties.Name).toBeUndefined();
    for (const tg of resources(template, 'AWS::ElasticLoadBalancingV2::TargetGroup')) expect(tg.Properties.Name).toBeUndefined();
  });

  test('ALB listeners are HTTP/HTTPS and NLB listeners TCP/TLS, picked from the load balancer type and the certificate', () => {
    const stack = newStack();
    const c = new WorkloadCluster(stack, 'Cluster');
    const cert = certificate(stack);
    const protocols: string[] = [];
    for (const type of [LoadBalancerType.APPLICATION, LoadBalancerType.NETWORK]) {
      for (const withCert of [false, true]) {
        const s = new InferenceService(stack, `I${type}${withCert}`, {
          cluster: c, image: IMAGE, loadBalancerType: type, certificate: withCert ? cert : undefined,
        });
        protocols.push(`${type} ${withCert ? 'cert' : 'plain'}: ${(s.listener.node.defaultChild as elbv2.CfnListener).protocol}`);
      }
    }
    expect(protocols).toEqual([
      'APPLICATION plain: HTTP',
      'APPLICATION cert: HTTPS',
      'NETWORK plain: TCP',
      'NETWORK cert: TLS',
    ]);
  });
});
