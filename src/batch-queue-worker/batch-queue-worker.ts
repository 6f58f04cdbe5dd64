import { Duration, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { WAKE_UP_HOLD_METRIC, WAKE_UP_METRIC, WAKE_UP_NAMESPACE, WakeUpPath } from './wake-up';
import { deadLetterQueueAlarm } from '../core/alarms';
import { Capacity } from '../core/capacity';
import { WorkloadCluster } from '../core/cluster';
import { WorkloadContainerOptions } from '../core/container-options';
import { DashboardSection, graph } from '../core/dashboard';
import { checkOrder, checkRange, isUnresolved, show, ValidationError } from '../core/errors';
import { acknowledgeResourceWildcards } from '../core/policy-findings';
import { allowAlarmsToPublish, allowServiceToUseKey, buildBucket, buildQueue, buildTopic, checkRemovalPolicy, suppressGuardRule } from '../core/resources';
import { allowNfs, attachServiceVolumes, PlacementOptions, resolveCapacity, startAfterDependencies, taskSecurityGroup } from '../core/service';
import { skipCreationStackTraces } from '../core/synthesis';
import { buildWorkloadTask } from '../core/task-definition';
import { warn, WarningId } from '../core/warnings';

/** SQS caps the visibility timeout at 12 hours. */
const MAX_VISIBILITY_SECONDS = 12 * 60 * 60;

/** Props of `BatchQueueWorker`. */
export interface BatchQueueWorkerProps extends WorkloadContainerOptions, PlacementOptions {
  /** Cluster the worker's tasks run in. */
  readonly cluster: WorkloadCluster;

  /**
   * Most tasks the service scales out to. This is the cost ceiling of a burst.
   */
  readonly maxTasks: number;

  /**
   * Fewest tasks the service runs. With 0 the service costs nothing while the queue is empty; an
   * upload wakes it within seconds (see `wakeUp`), and a message that arrives another way within one
   * 60-second alarm period once SQS publishes it.
   * @default 0
   */
  readonly minTasks?: number;

  /**
   * Start the first task seconds after a job arrives while the service has none, without waiting for
   * SQS metrics and alarms (which take minutes, more after a long idle). The input bucket's
   * `Object Created` events, and those of every rule given to `wakeOn()`, pass a FIFO queue that lets
   * through one request per second, and an EventBridge Pipe hands them to a Step Functions Express
   * state machine that raises the service's desired count from 0 to `max(minTasks, 1)`, and only from 0.
   * No Lambda function. The scaling alarms stay as the backstop. Only meaningful with `minTasks` 0.
   * In queue-only mode the path is created by the first `wakeOn()` call; the idle and surplus alarms
   * count wake-ups either way (one more metric in two alarms, 0.20 USD a month): set `false` when no
   * event tells that a job was sent.
   * @default - true when `minTasks` is 0
   */
  readonly wakeUp?: boolean;

  /**
   * Messages waiting per running task that the backlog target-tracking policy keeps the service at
   * (visible messages ÷ running tasks). Set it to the latency you accept divided by the time one
   * job takes: 1 (the default) gives a waiting job a task of its own, up to `maxTasks`.
   * @default 1
   */
  readonly backlogPerTaskTarget?: number;

  /**
   * How long the queue must hold no message (visible or in flight) before the service scales in to
   * `minTasks`, and how long tasks must be surplus (more running tasks than messages in flight,
   * none waiting) before they are removed. Whole minutes.
   * @default Duration.minutes(5)
   */
  readonly scaleInIdlePeriod?: Duration;

  /**
   * Longest time one job may take. The container receives it as `JOB_TIMEOUT_SECONDS`; the queue's
   * visibility timeout is at least this long, so a message is never handed to a second task while
   * the first is still within its time. At most 12 hours (the SQS visibility timeout limit).
   * @default Duration.minutes(15)
   */
  readonly jobTimeout?: Duration;

  /**
   * Visibility timeout of the queue this construct creates: how long a received message stays
   * hidden from other tasks. Must be at least `jobTimeout`. Not allowed with `queue`.
   * @default - `jobTimeout` plus 2 minutes, at most 12 hours
   */
  readonly visibilityTimeout?: Duration;

  /**
   * Times a message is received without being deleted before it moves to the dead-letter queue.
   * Not allowed with `queue` (configure the redrive policy on that queue).
   * @default 3
   */
  readonly maxReceiveCount?: number;

  /**
   * `oldestMessageAgeAlarm` fires when the oldest message in the queue has waited this long.
   * @default - `jobTimeout` plus 1 hour
   */
  readonly maxMessageAge?: Duration;

  /**
   * An existing queue to consume (queue-only mode): no input bucket, no EventBridge rule. Its
   * visibility timeout must be at least `jobTimeout`; give it a dead-letter queue (an `sqs.Queue`
   * created with `deadLetterQueue` is picked up for `deadLetterQueueAlarm`). Not allowed with
   * `inputBucket`, `inputPrefix` or `inputSuffix`.
   * @default - a new KMS-encrypted queue fed by the input bucket
   */
  readonly queue?: sqs.IQueue;

  /**
   * An existing bucket whose new objects become jobs. Its owner must turn on Amazon EventBridge
   * notifications on it (S3 console: Properties, Event notifications, "Send notifications to Amazon
   * EventBridge"; CloudFormation: `NotificationConfiguration.EventBridgeConfiguration`).
   * @default - a new bucket: KMS-encrypted with the cluster key, versioned, TLS only, retained on
   * stack deletion, EventBridge notifications on
   */
  readonly inputBucket?: s3.IBucket;

  /**
   * Key prefix of the input bucket's objects that become jobs.
   * The task role may read only the objects under it.
   * @default '' (every object of the input bucket)
   */
  readonly inputPrefix?: string;

  /**
   * Only objects whose key ends with this suffix (for example `.csv`) become jobs.
   * @default - any suffix
   */
  readonly inputSuffix?: string;

  /**
   * Bucket the tasks write results to (only under `outputPrefix`).
   * @default - the input bucket when `outputPrefix` is given, otherwise no write access
   */
  readonly outputBucket?: s3.IBucket;

  /**
   * Key prefix the tasks may write under in the output bucket. In the input bucket it must not
   * overlap `inputPrefix`, or every result would start a new job.
   * @default '' with `outputBucket`; no write access without it
   */
  readonly outputPrefix?: string;

  /**
   * Let the container protect its task from scale-in and deployments while it works on a job, by
   * calling `$ECS_AGENT_URI/task-protection/v1/state`. Grants the task role
   * `ecs:GetTaskProtection` and `ecs:UpdateTaskProtection` on the tasks of this cluster.
   * @default true
   */
  readonly taskProtection?: boolean;

  /**
   * Topic that `deadLetterQueueAlarm` and `oldestMessageAgeAlarm` notify. A topic of your own that is
   * KMS-encrypted must let `cloudwatch.amazonaws.com` use its key. When it is an `sns.Topic` of this app
   * with a topic policy, the construct adds a statement that lets this account's alarms publish (a topic
   * policy replaces the default one, which would have allowed them); an imported topic's policy must
   * allow `cloudwatch.amazonaws.com` to `sns:Publish` itself.
   * @default - a new topic encrypted with the cluster key; subscribe to `alarmTopic`
   */
  readonly alarmTopic?: sns.ITopic;

  /**
   * Capacity provider strategy of the service. Jobs are idempotent by nature of SQS at-least-once
   * delivery, so Spot interruptions only delay them.
   * @default Capacity.fargateSpot()
   */
  readonly capacity?: Capacity;

  /**
   * What happens to the worker's stateful resources when they leave the stack (stack deletion, or a
   * change that replaces them): the input bucket, the queue and the dead-letter queue this construct
   * creates (with the jobs they still hold), the container log group, and the wake-up path's queues and
   * state machine log group. `RETAIN` keeps them in the
   * account. With `DESTROY`, unprocessed and failed jobs and the logs are deleted, and CloudFormation
   * fails to delete the input bucket while it still holds objects. Given buckets and queues are never
   * affected.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A queue worker that scales on backlog from zero and never loses a job: objects uploaded to an S3
 * bucket become messages in an encrypted SQS queue (through a native EventBridge rule, no Lambda), an
 * ECS service consumes them and scales on backlog per task with CloudWatch metric math, and jobs that
 * keep failing land in a dead-letter queue that raises an alarm.
 *
 * @example
 * declare const cluster: WorkloadCluster;
 * const worker = new workloads.BatchQueueWorker(this, 'Thumbnails', {
 *   cluster,
 *   image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/python:3.12-slim'),
 *   cpu: 1024,
 *   memoryLimitMiB: 2048,
 *   inputPrefix: 'uploads/',
 *   inputSuffix: '.jpg',
 *   outputPrefix: 'thumbnails/',
 *   jobTimeout: Duration.minutes(10),
 *   maxTasks: 20,
 * });
 */
export class BatchQueueWorker extends Construct implements ec2.IConnectable, iam.IGrantable {
  /** Bucket whose new objects become jobs (undefined in queue-only mode). */
  public readonly inputBucket?: s3.IBucket;
  /** Bucket the tasks may write results to, under `outputPrefix` only (undefined without output). */
  public readonly outputBucket?: s3.IBucket;
  /** Queue the tasks consume. */
  public readonly queue: sqs.IQueue;
  /** Queue that receives jobs after `maxReceiveCount` failed receives, and events EventBridge could not deliver. */
  public readonly deadLetterQueue?: sqs.IQueue;
  /** EventBridge rule that turns new objects of the input bucket into messages (undefined in queue-only mode). */
  public readonly rule?: events.Rule;
  /** The ECS service. */
  public readonly service: ecs.BaseService;
  /** The task definition. */
  public readonly taskDefinition: ecs.TaskDefinition;
  /** The main container. */
  public readonly container: ecs.ContainerDefinition;
  /** The container log group. */
  public readonly logGroup: logs.ILogGroup;
  /** The service's desired count as an Application Auto Scaling target (add scheduled scaling to it). */
  public readonly scalableTarget: appscaling.ScalableTarget;
  /** Alarm that fires when a message is in the dead-letter queue (undefined when the queue has none we know of). */
  public readonly deadLetterQueueAlarm?: cloudwatch.Alarm;
  /** Alarm that fires when the oldest message has waited longer than `maxMessageAge`. */
  public readonly oldestMessageAgeAlarm: cloudwatch.Alarm;
  /** Topic the operator alarms notify. */
  public readonly alarmTopic: sns.ITopic;
  /** Security groups of the tasks. */
  public readonly connections: ec2.Connections;
  /** The task role: what the container may call. */
  public readonly grantPrincipal: iam.IPrincipal;
  /**
   * Worst-case delay, in seconds, between the first datapoint showing a message in an empty service's
   * queue and the first scale-out: the fast-path alarm's period × evaluation periods (0 when
   * `minTasks` > 0, which needs no fast path).
   */
  public readonly scaleOutFromZeroSeconds: number;

  private readonly cluster: WorkloadCluster;
  private readonly wakeCount?: number;
  private readonly removalPolicy?: RemovalPolicy;
  private wakeUpPath?: WakeUpPath;

  /**
   * @param scope The construct that contains this worker, usually a `Stack`.
   * @param id Construct id of the worker, unique within `scope`.
   * @param props Settings of the worker (see `BatchQueueWorkerProps`).
   */
  constructor(scope: Construct, id: string, props: BatchQueueWorkerProps) {
    super(scope, id);
    skipCreationStackTraces(this);
    this.cluster = props.cluster;
    const minTasks = props.minTasks ?? 0;
    const jobTimeout = props.jobTimeout ?? Duration.minutes(15);
    const idlePeriod = props.scaleInIdlePeriod ?? Duration.minutes(5);
    const inputPrefix = props.inputPrefix ?? '';
    this.validate(props, minTasks, jobTimeout, idlePeriod);
    this.removalPolicy = props.removalPolicy;
    if (props.wakeUp ?? minTasks === 0) this.wakeCount = Math.max(minTasks, 1);

    const capacity = resolveCapacity(this, props.cluster, props.capacity, Capacity.fargateSpot(), props);
    const key = props.cluster.encryptionKey;

    // Queue and dead-letter queue.
    if (props.queue) {
      this.queue = props.queue;
      this.deadLetterQueue = props.queue instanceof sqs.Queue ? props.queue.deadLetterQueue?.queue : undefined;
      this.checkGivenQueue(props.queue, jobTimeout);
    } else {
      this.deadLetterQueue = buildQueue(this, 'DeadLetterQueue', {
        encryptionKey: key,
        retentionPeriod: Duration.days(14),
        removalPolicy: props.removalPolicy,
      });
      suppressGuardRule(this.deadLetterQueue, 'sqs_dlq_check', 'This is the dead-letter queue: a dead-letter queue of its own would only move failed jobs one step further.');
      const jobSeconds = jobTimeout.toSeconds();
      const visibilityTimeout = props.visibilityTimeout
        ?? (isUnresolved(jobSeconds) ? jobTimeout : Duration.seconds(Math.min(jobSeconds + 120, MAX_VISIBILITY_SECONDS)));
      this.queue = buildQueue(this, 'Queue', {
        encryptionKey: key,
        // The SQS maximum: a backlog that outlives a long outage must not expire unprocessed.
        retentionPeriod: Duration.days(14),
        visibilityTimeout,
        deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount ?? 3 },
        removalPolicy: props.removalPolicy,
      });
    }

    // Input bucket and the native S3 → EventBridge → SQS path (no Lambda, no custom resource).
    if (!props.queue) {
      this.inputBucket = props.inputBucket ?? buildBucket(this, 'InputBucket', {
        encryptionKey: props.cluster.encryptionKey,
        eventBridgeEnabled: true,
        serverAccessLogsBucket: props.cluster.accessLogsBucket,
        // A prefix per worker, so that log delivery is scoped to it even across stacks.
        serverAccessLogsPrefix: `${Names.uniqueId(this)}/`,
        removalPolicy: props.removalPolicy,
      });
      if (props.inputBucket) {
        warn(this, WarningId.BATCH_QUEUE_WORKER_IMPORTED_BUCKET,
          `inputBucket ${props.inputBucket.node.path} is not managed by this stack: its owner must turn on "Send notifications to Amazon EventBridge" on it, or no job will ever start.`);
      }
      this.rule = this.createRule(this.inputBucket, inputPrefix, props.inputSuffix);
    }
    if (props.outputBucket || props.outputPrefix !== undefined) {
      this.outputBucket = props.outputBucket ?? this.inputBucket;
    }

    const constructEnvironment: { [key: string]: string } = {
      QUEUE_URL: this.queue.queueUrl,
      JOB_TIMEOUT_SECONDS: String(jobTimeout.toSeconds()),
    };
    if (this.inputBucket) {
      constructEnvironment.INPUT_BUCKET = this.inputBucket.bucketName;
      constructEnvironment.INPUT_PREFIX = inputPrefix;
      if (props.inputSuffix !== undefined) constructEnvironment.INPUT_SUFFIX = props.inputSuffix;
    }
    if (this.outputBucket) {
      constructEnvironment.OUTPUT_BUCKET = this.outputBucket.bucketName;
      constructEnvironment.OUTPUT_PREFIX = props.outputPrefix ?? '';
    }

    const task = buildWorkloadTask(this, {
      ...props,
      cluster: props.cluster,
      capacity,
      stopTimeout: props.stopTimeout ?? Duration.seconds(120),
      constructEnvironment,
    });
    this.taskDefinition = task.taskDefinition;
    this.container = task.container;
    this.logGroup = task.logGroup;
    this.grantPrincipal = this.taskDefinition.taskRole;

    this.service = this.createService(capacity, props);
    this.connections = this.service.connections;
    allowNfs(this.connections, task.volumes);
    attachServiceVolumes(this.service, props.cluster, task, capacity);
    startAfterDependencies(this.service, props.cluster, task);

    this.grantJobAccess(inputPrefix, props);

    // Scaling: backlog per task (metric math), a fast path from zero, scale-in only of idle capacity.
    this.scalableTarget = new appscaling.ScalableTarget(this, 'ScalableTarget', {
      serviceNamespace: appscaling.ServiceNamespace.ECS,
      scalableDimension: 'ecs:service:DesiredCount',
      resourceId: `service/${props.cluster.cluster.clusterName}/${this.service.serviceName}`,
      minCapacity: minTasks,
      maxCapacity: props.maxTasks,
      // The service-linked role, as ecs.BaseService.autoScaleTaskCount uses: no role of our own.
      role: iam.Role.fromRoleArn(this, 'ScalingRole', Stack.of(this).formatArn({
        region: '',
        service: 'iam',
        resource: 'role/aws-service-role/ecs.application-autoscaling.amazonaws.com',
        resourceName: 'AWSServiceRoleForApplicationAutoScaling_ECSService',
      })),
    });
    this.scaleOnBacklog(props.backlogPerTaskTarget ?? 1);
    this.scaleOutFromZeroSeconds = minTasks === 0 ? this.scaleOutFromZero() : 0;
    this.scaleInWhenIdle(minTasks, idlePeriod);

    // Alarms an operator watches.
    if (props.alarmTopic) {
      this.alarmTopic = props.alarmTopic;
    } else {
      this.alarmTopic = buildTopic(this, 'AlarmTopic', { encryptionKey: key, displayName: `Alarms of ${this.node.path}`.slice(0, 100) });
      // CloudWatch encrypts with the cluster key when it publishes to the topic.
      allowServiceToUseKey(key, 'cloudwatch.amazonaws.com');
    }
    allowAlarmsToPublish(this.alarmTopic);
    const notify = new cwActions.SnsAction(this.alarmTopic);
    if (this.deadLetterQueue) {
      this.deadLetterQueueAlarm = deadLetterQueueAlarm(this, 'DeadLetterQueueAlarm', this.deadLetterQueue, 'A job');
      this.deadLetterQueueAlarm.addAlarmAction(notify);
    }
    const maxAge = props.maxMessageAge ?? jobTimeout.plus(Duration.hours(1));
    this.oldestMessageAgeAlarm = new cloudwatch.Alarm(this, 'OldestMessageAgeAlarm', {
      alarmDescription: `The oldest job of ${this.node.path} has waited longer than ${maxAge.toHumanString()}: the workers are stuck, failing or at maxTasks.`,
      metric: this.queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1), statistic: 'Maximum' }),
      threshold: maxAge.toSeconds(),
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.oldestMessageAgeAlarm.addAlarmAction(notify);

    if (this.rule && this.wakeCount !== undefined) this.wakeOn(this.rule);
    props.cluster._addDashboardSection(this.dashboardSection());
  }

  /**
   * Wakes the service when `rule` matches an event, as an upload to the input bucket does: when the
   * service wants no task, its desired count goes to `max(minTasks, 1)` within seconds. Use it in
   * queue-only mode with the rule of the events that tell your producer sent a job (for example
   * `source: ['my.orders']`). The rule may be in another stack of this account and Region.
   * Events of the same second wake the service once; the wake-up path is created on the first call.
   */
  public wakeOn(rule: events.Rule): void {
    if (this.wakeCount === undefined) {
      throw new ValidationError(this,
        `wakeOn(${rule.node.path}) was called, but wakeUp is off (it is only on by default with minTasks 0). Set wakeUp: true with minTasks: 0, or scale out through the alarms only and remove the wakeOn call.`);
    }
    if (!this.wakeUpPath) {
      this.wakeUpPath = new WakeUpPath(this, 'WakeUp', {
        cluster: this.cluster,
        service: this.service,
        wakeCount: this.wakeCount,
        removalPolicy: this.removalPolicy,
      });
      this.wakeUpPath.failureAlarm.addAlarmAction(new cwActions.SnsAction(this.alarmTopic));
    }
    this.wakeUpPath.addSource(rule);
  }

  /** The Express state machine that wakes the service (undefined until there is a wake-up path). */
  public get wakeUpStateMachine(): sfn.IStateMachine | undefined {
    return this.wakeUpPath?.stateMachine;
  }

  /** Alarm that fires when a wake-up request failed every retry (undefined until there is a wake-up path). */
  public get wakeUpFailureAlarm(): cloudwatch.IAlarm | undefined {
    return this.wakeUpPath?.failureAlarm;
  }

  /** Wake-ups: times the event path raised the desired count from 0 (sum per minute). */
  public metricWakeUps(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: WAKE_UP_NAMESPACE,
      metricName: WAKE_UP_METRIC,
      dimensionsMap: { ClusterName: this.cluster.cluster.clusterName, ServiceName: this.service.serviceName },
      period: Duration.minutes(1),
      statistic: 'Sum',
      ...props,
    });
  }

  /**
   * 1 in each minute from a wake-up to 15 minutes after it: the time SQS may take to publish the
   * metrics of a queue it had found inactive. The scale-in alarms read it only while SQS publishes nothing.
   */
  public metricWakeUpHold(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: WAKE_UP_NAMESPACE,
      metricName: WAKE_UP_HOLD_METRIC,
      dimensionsMap: { ClusterName: this.cluster.cluster.clusterName, ServiceName: this.service.serviceName },
      period: Duration.minutes(1),
      statistic: 'Maximum',
      ...props,
    });
  }

  /** Messages waiting in the queue (maximum per minute). */
  public metricVisibleMessages(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum', ...props });
  }

  /** Messages received by a task and neither deleted nor returned yet: jobs in progress (maximum per minute). */
  public metricInFlightMessages(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.queue.metricApproximateNumberOfMessagesNotVisible({ period: Duration.minutes(1), statistic: 'Maximum', ...props });
  }

  /** Running tasks of the service, from Container Insights (average per minute). */
  public metricRunningTasks(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.containerInsightsMetric('RunningTaskCount', 'Average', props);
  }

  /**
   * Messages waiting per running task: the number the target-tracking policy keeps at
   * `backlogPerTaskTarget`. With no task running it equals the waiting messages.
   */
  public metricBacklogPerTask(props?: cloudwatch.MathExpressionOptions): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({
      expression: BACKLOG_PER_TASK,
      usingMetrics: { visible: this.metricVisibleMessages(), running: this.metricRunningTasks() },
      period: Duration.minutes(1),
      label: 'Messages waiting per running task',
      ...props,
    });
  }

  private validate(props: BatchQueueWorkerProps, minTasks: number, jobTimeout: Duration, idlePeriod: Duration): void {
    if (props.cluster.containerInsights === ecs.ContainerInsights.DISABLED) {
      throw new ValidationError(this,
        `cluster '${props.cluster.node.path}' has containerInsights ${show(props.cluster.containerInsights)}, but the worker scales on the ` +
        'running and desired task counts that only Container Insights publishes: with it off the service never scales in or out. ' +
        'Remove containerInsights from the cluster (ENHANCED is the default) or set it to ENABLED.');
    }
    checkRange(this, 'maxTasks', props.maxTasks, 1, 5000, 'Give the most tasks the service may run (ECS allows up to 5000 per service).');
    checkRemovalPolicy(this, 'removalPolicy', props.removalPolicy);
    checkRange(this, 'minTasks', minTasks, 0, 5000, 'Use 0 to scale to zero when the queue is empty.');
    checkOrder(this, 'minTasks', minTasks, 'maxTasks', props.maxTasks);
    if (props.wakeUp === true && !isUnresolved(minTasks) && minTasks > 0) {
      throw new ValidationError(this,
        `wakeUp is true, but minTasks is ${minTasks}, so the service always runs at least ${minTasks} task(s) and there is nothing to wake. Remove wakeUp, or set minTasks: 0.`);
    }
    checkRange(this, 'jobTimeout', jobTimeout.toSeconds({ integral: false }), 1, MAX_VISIBILITY_SECONDS,
      'SQS hides a received message for at most 12 hours; split longer jobs into steps that each fit.', { unit: 'seconds' });
    checkRange(this, 'maxReceiveCount', props.maxReceiveCount, 1, 1000,
      'SQS moves a message to the dead-letter queue after 1 to 1000 receives.');
    checkRange(this, 'scaleInIdlePeriod', idlePeriod.toMinutes({ integral: false }), 1, 1440,
      'Give whole minutes: the idle alarms evaluate one-minute periods over at most a day.', { unit: 'minutes' });
    checkRange(this, 'maxMessageAge', props.maxMessageAge?.toSeconds({ integral: false }), 60, 14 * 24 * 3600,
      'SQS keeps a message at most 14 days.', { unit: 'seconds' });
    const target = props.backlogPerTaskTarget;
    if (target !== undefined && !isUnresolved(target) && !(target > 0 && Number.isFinite(target))) {
      throw new ValidationError(this,
        `backlogPerTaskTarget must be a finite number greater than 0, got ${show(target)}. Give the messages waiting per task you accept (acceptable latency ÷ time per job), e.g. 1.`);
    }
    const visibility = props.visibilityTimeout?.toSeconds({ integral: false });
    checkRange(this, 'visibilityTimeout', visibility, 0, MAX_VISIBILITY_SECONDS, 'SQS allows at most 12 hours.', { unit: 'seconds' });
    if (visibility !== undefined && !isUnresolved(visibility) && !isUnresolved(jobTimeout.toSeconds()) && visibility < jobTimeout.toSeconds()) {
      throw new ValidationError(this,
        `visibilityTimeout (${visibility} seconds) is shorter than jobTimeout (${jobTimeout.toSeconds()} seconds), so a second task would receive a job while the first still works on it. ` +
        'Raise visibilityTimeout to at least jobTimeout, or remove it to get jobTimeout plus 2 minutes.');
    }
    if (props.queue) {
      const fix = 'In queue-only mode the construct consumes the given queue and creates no bucket; remove';
      if (props.inputBucket) {
        throw new ValidationError(this,
          `queue and inputBucket were both given, but jobs come either from an input bucket (through a queue this construct creates) or from your queue. ${fix} inputBucket, or remove queue.`);
      }
      for (const [name, value] of [['inputPrefix', props.inputPrefix], ['inputSuffix', props.inputSuffix]] as const) {
        if (value !== undefined) {
          throw new ValidationError(this, `${name} (${show(value)}) filters objects of the input bucket, but queue was given, so there is none. ${fix} ${name}.`);
        }
      }
      for (const [name, value] of [['visibilityTimeout', props.visibilityTimeout], ['maxReceiveCount', props.maxReceiveCount]] as const) {
        if (value !== undefined) {
          throw new ValidationError(this, `${name} (${value instanceof Duration ? value.toHumanString() : show(value)}) configures the queue this construct creates, but queue was given. Set it on your queue instead and remove ${name}.`);
        }
      }
      if (props.outputPrefix !== undefined && !props.outputBucket) {
        throw new ValidationError(this,
          `outputPrefix (${show(props.outputPrefix)}) was given without outputBucket, and queue-only mode has no input bucket to write to. Give outputBucket too, or remove outputPrefix.`);
      }
    }
    checkKeyPrefix(this, 'inputPrefix', props.inputPrefix);
    checkKeyPrefix(this, 'outputPrefix', props.outputPrefix);
    if (props.inputSuffix !== undefined && !isUnresolved(props.inputSuffix) && props.inputSuffix.length === 0) {
      throw new ValidationError(this, "inputSuffix is '', which matches every key. Remove inputSuffix, or give one such as '.csv'.");
    }
    const sameBucket = !props.queue && (props.outputBucket
      ? props.outputBucket === props.inputBucket
      : props.outputPrefix !== undefined);
    const inPrefix = props.inputPrefix ?? '';
    const outPrefix = props.outputPrefix ?? '';
    if (sameBucket && !isUnresolved(inPrefix) && !isUnresolved(outPrefix) && (outPrefix.startsWith(inPrefix) || inPrefix.startsWith(outPrefix))) {
      throw new ValidationError(this,
        `outputPrefix ${show(outPrefix)} overlaps inputPrefix ${show(inPrefix)} in the same bucket, so every result the worker writes would start a new job. ` +
        "Use prefixes that do not contain one another (e.g. inputPrefix 'input/', outputPrefix 'output/'), or give an outputBucket.");
    }
  }

  private checkGivenQueue(queue: sqs.IQueue, jobTimeout: Duration): void {
    if (!(queue instanceof sqs.Queue)) {
      warn(this, WarningId.BATCH_QUEUE_WORKER_IMPORTED_QUEUE,
        `queue ${queue.node.path} is imported: make sure its visibility timeout is at least jobTimeout (${jobTimeout.toHumanString()}) and that it has a dead-letter queue.`);
      return;
    }
    const visibility = (queue.node.defaultChild as sqs.CfnQueue).visibilityTimeout ?? 30;
    const job = jobTimeout.toSeconds();
    if (!isUnresolved(visibility) && !isUnresolved(job) && visibility < job) {
      throw new ValidationError(this,
        `queue has a visibility timeout of ${visibility} seconds, shorter than jobTimeout (${job} seconds), so a second task would receive a job while the first still works on it. ` +
        'Create the queue with visibilityTimeout of at least jobTimeout, or lower jobTimeout.');
    }
    if (!queue.deadLetterQueue) {
      warn(this, WarningId.BATCH_QUEUE_WORKER_NO_DEAD_LETTER_QUEUE,
        `queue ${queue.node.path} has no dead-letter queue: a job that always fails is retried until the message expires. Create it with deadLetterQueue.`);
    }
  }

  private createRule(bucket: s3.IBucket, prefix: string, suffix: string | undefined): events.Rule {
    const key = objectKeyFilter(prefix, suffix);
    const dlq = this.deadLetterQueue!;
    // EventBridge encrypts with the cluster key when it delivers to the queue and to the dead-letter queue.
    allowServiceToUseKey(this.cluster.encryptionKey, 'events.amazonaws.com');
    const rule = new events.Rule(this, 'ObjectCreatedRule', {
      description: `New objects of the input bucket become jobs of ${this.node.path}`,
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: {
          bucket: { name: [bucket.bucketName] },
          ...key ? { object: { key } } : {},
        },
      },
      targets: [new targets.SqsQueue(this.queue, {
        deadLetterQueue: dlq,
        retryAttempts: 185,
        maxEventAge: Duration.hours(24),
      })],
    });
    // The target lets events.amazonaws.com send without naming the rule (its condition would make the
    // key policy depend on the rule): deny every other rule, so no one else's rule can inject jobs.
    this.queue.addToResourcePolicy(new iam.PolicyStatement({
      effect: iam.Effect.DENY,
      principals: [new iam.ServicePrincipal('events.amazonaws.com')],
      actions: ['sqs:SendMessage'],
      resources: [this.queue.queueArn],
      conditions: { ArnNotEquals: { 'aws:SourceArn': rule.ruleArn } },
    }));
    return rule;
  }

  private createService(capacity: Capacity, props: BatchQueueWorkerProps): ecs.BaseService {
    const common = {
      cluster: props.cluster.cluster,
      taskDefinition: this.taskDefinition,
      securityGroups: [taskSecurityGroup(this, props.cluster)],
      capacityProviderStrategies: capacity.strategies,
      // A rolling deployment starts new tasks before it stops old ones; protected tasks finish their job first.
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { rollback: true },
      enableECSManagedTags: true,
      enableExecuteCommand: props.enableExec,
      propagateTags: ecs.PropagatedTagSource.SERVICE,
    };
    // aws-cdk-lib's FargateService also takes Managed Instances task definitions (Ec2Service does not).
    if (capacity.isFargate || capacity.isManagedInstances) {
      return new ecs.FargateService(this, 'Service', { ...common, assignPublicIp: false });
    }
    return new ecs.Ec2Service(this, 'Service', {
      ...common,
      placementStrategies: props.placementStrategies,
      placementConstraints: props.placementConstraints,
    });
  }

  private grantJobAccess(inputPrefix: string, props: BatchQueueWorkerProps): void {
    const role = this.taskDefinition.taskRole;
    // Receive, extend, delete: no wildcard action.
    this.queue.grantConsumeMessages(role);
    const wildcards: { resource: string; reason: string }[] = [];

    if (this.inputBucket) {
      const objects = this.inputBucket.arnForObjects(`${inputPrefix}*`);
      role.addToPrincipalPolicy(new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: [objects],
      }));
      this.inputBucket.encryptionKey?.grantDecrypt(role);
      wildcards.push({ resource: objects, reason: 'The task reads the objects the jobs name, which exist only at run time; the wildcard covers only the input prefix.' });
    }
    if (this.outputBucket) {
      const objects = this.outputBucket.arnForObjects(`${props.outputPrefix ?? ''}*`);
      role.addToPrincipalPolicy(new iam.PolicyStatement({
        actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
        resources: [objects],
      }));
      // Multipart uploads of encrypted objects need both.
      this.outputBucket.encryptionKey?.grant(role, 'kms:GenerateDataKey', 'kms:Decrypt');
      wildcards.push({ resource: objects, reason: 'The task writes results whose keys exist only at run time; the wildcard covers only the output prefix.' });
    }
    if (props.taskProtection ?? true) {
      const tasks = Stack.of(this).formatArn({
        service: 'ecs',
        resource: 'task',
        resourceName: `${this.cluster.cluster.clusterName}/*`,
      });
      role.addToPrincipalPolicy(new iam.PolicyStatement({
        actions: ['ecs:GetTaskProtection', 'ecs:UpdateTaskProtection'],
        resources: [tasks],
      }));
      wildcards.push({ resource: tasks, reason: 'Task IDs exist only at run time; the ECS agent calls these with the task role for the task it runs in, within this cluster only.' });
    }
    acknowledgeResourceWildcards(role, wildcards);
  }

  private scaleOnBacklog(targetValue: number): void {
    const scope = new Construct(this, 'BacklogPerTaskScaling');
    const dimension = (name: string, value: string) => ({ name, value });
    // L1: the L2 TargetTrackingScalingPolicy accepts a single metric only and rejects a MathExpression.
    new appscaling.CfnScalingPolicy(scope, 'Resource', {
      policyName: Names.uniqueId(scope),
      policyType: 'TargetTrackingScaling',
      scalingTargetId: this.scalableTarget.scalableTargetId,
      targetTrackingScalingPolicyConfiguration: {
        targetValue,
        // Scale-in belongs to the idle policies below, which never remove a task that holds a message.
        disableScaleIn: true,
        scaleOutCooldown: 60,
        customizedMetricSpecification: {
          metrics: [
            {
              id: 'visible',
              metricStat: {
                metric: { namespace: 'AWS/SQS', metricName: 'ApproximateNumberOfMessagesVisible', dimensions: [dimension('QueueName', this.queue.queueName)] },
                stat: 'Maximum',
              },
              returnData: false,
            },
            {
              id: 'running',
              metricStat: {
                metric: {
                  namespace: 'ECS/ContainerInsights',
                  metricName: 'RunningTaskCount',
                  dimensions: [dimension('ClusterName', this.cluster.cluster.clusterName), dimension('ServiceName', this.service.serviceName)],
                },
                stat: 'Average',
              },
              returnData: false,
            },
            { id: 'backlogPerTask', expression: BACKLOG_PER_TASK, label: 'Messages waiting per running task', returnData: true },
          ],
        },
      },
    });
  }

  /** Starts the first task within one 60-second period of a message arriving. Returns the worst-case delay in seconds. */
  private scaleOutFromZero(): number {
    const period = Duration.minutes(1);
    const evaluationPeriods = 1;
    const action = new appscaling.StepScalingAction(this, 'ScaleOutFromZero', {
      scalingTarget: this.scalableTarget,
      adjustmentType: appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
      metricAggregationType: appscaling.MetricAggregationType.MAXIMUM,
      cooldown: Duration.minutes(2),
    });
    // +1 only while the service wants no task: never lowers what target tracking set.
    action.addAdjustment({ adjustment: 1, lowerBound: 0 });
    const alarm = new cloudwatch.Alarm(this, 'ScaleOutFromZeroAlarm', {
      alarmDescription: `Messages wait while ${this.node.path} has no task: start one.`,
      metric: new cloudwatch.MathExpression({
        // No desired-count datapoint reads as "no task wanted" (Container Insights may publish none for
        // an empty service), but only while no job is in flight (both counts are never negative, so
        // their sum is below 1 only when both are): a late datapoint while tasks work must not add one.
        // A wake-up in the same minute has started a task already (Container Insights may not show it yet).
        expression: this.wakeCount === undefined
          ? 'IF(FILL(desired, 0) + FILL(inFlight, 0) < 1, visible, 0)'
          : 'IF(FILL(desired, 0) + FILL(inFlight, 0) + FILL(wakeUps, 0) < 1, visible, 0)',
        usingMetrics: {
          visible: this.metricVisibleMessages(),
          inFlight: this.metricInFlightMessages(),
          desired: this.containerInsightsMetric('DesiredTaskCount', 'Maximum'),
          ...this.wakeCount === undefined ? {} : { wakeUps: this.metricWakeUps() },
        },
        period,
        label: 'Messages waiting while no task is wanted',
      }),
      threshold: 1,
      evaluationPeriods,
      datapointsToAlarm: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new cwActions.ApplicationScalingAction(action));
    return period.toSeconds() * evaluationPeriods;
  }

  /**
   * Scale-in never removes a task that may hold a message: surplus tasks (running beyond messages in
   * flight, none waiting) go one step at a time, and the service goes to `minTasks` only when the queue
   * has held no message, visible or in flight, for the whole idle period.
   */
  private scaleInWhenIdle(minTasks: number, idlePeriod: Duration): void {
    const evaluationPeriods = Math.max(1, Math.round(idlePeriod.toMinutes({ integral: false })));
    const period = Duration.minutes(1);
    const visible = this.metricVisibleMessages();
    const inFlight = this.metricInFlightMessages();
    const hold: Record<string, cloudwatch.IMetric> = this.wakeCount === undefined ? {} : { hold: this.metricWakeUpHold() };

    const surplus = new appscaling.StepScalingAction(this, 'ScaleInSurplus', {
      scalingTarget: this.scalableTarget,
      adjustmentType: appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
      metricAggregationType: appscaling.MetricAggregationType.MINIMUM,
      cooldown: period,
    });
    // Bounds are offsets from the threshold (1 surplus task): remove at most the surplus a step guarantees.
    surplus.addAdjustment({ adjustment: -1, lowerBound: 0, upperBound: 4 });
    surplus.addAdjustment({ adjustment: -5, lowerBound: 4, upperBound: 19 });
    surplus.addAdjustment({ adjustment: -20, lowerBound: 19 });
    new cloudwatch.Alarm(this, 'ScaleInSurplusAlarm', {
      alarmDescription: `${this.node.path} runs more tasks than it has jobs in flight and none waiting: remove the surplus.`,
      metric: new cloudwatch.MathExpression({
        // SQS publishes no in-flight datapoint while nothing is in flight; a late running-task
        // datapoint gives no value (no action) rather than a guess.
        expression: this.wakeCount === undefined
          ? 'IF(FILL(visible, 0) < 1, running - FILL(inFlight, 0), 0)'
          : `IF(FILL(visible, 0) + ${WAKE_UP_HOLD} < 1, running - FILL(inFlight, 0), 0)`,
        usingMetrics: { visible, inFlight, running: this.metricRunningTasks(), ...hold },
        period,
        label: 'Running tasks without a job',
      }),
      threshold: 1,
      evaluationPeriods,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(new cwActions.ApplicationScalingAction(surplus));

    const idle = new appscaling.StepScalingAction(this, 'ScaleInWhenIdle', {
      scalingTarget: this.scalableTarget,
      adjustmentType: appscaling.AdjustmentType.EXACT_CAPACITY,
      metricAggregationType: appscaling.MetricAggregationType.MAXIMUM,
      cooldown: period,
    });
    idle.addAdjustment({ adjustment: minTasks, upperBound: 0 });
    new cloudwatch.Alarm(this, 'ScaleInWhenIdleAlarm', {
      alarmDescription: `The queue of ${this.node.path} has held no message, visible or in flight, for ${idlePeriod.toHumanString()}: scale in to ${minTasks}.`,
      metric: new cloudwatch.MathExpression({
        // SQS publishes the in-flight count only while messages are in flight, and nothing at all for a
        // queue idle for about six hours: both absences mean "no message".
        expression: this.wakeCount === undefined ? 'FILL(visible, 0) + FILL(inFlight, 0)' : `FILL(visible, 0) + FILL(inFlight, 0) + ${WAKE_UP_HOLD}`,
        usingMetrics: { visible, inFlight, ...hold },
        period,
        label: 'Messages visible or in flight',
      }),
      threshold: 0,
      evaluationPeriods,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
      // A queue that publishes nothing is inactive, hence empty. Protected tasks finish their job first.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    }).addAlarmAction(new cwActions.ApplicationScalingAction(idle));
  }

  private dashboardSection(): DashboardSection {
    const children = (...ids: string[]) => ids.map(id => this.node.tryFindChild(id))
      .filter((c): c is cloudwatch.Alarm => c instanceof cloudwatch.Alarm);
    return {
      workload: this,
      title: `Queue worker ${this.node.path}`,
      widgets: () => [
        graph('Jobs waiting and in progress', [this.metricVisibleMessages({ label: 'Waiting' }), this.metricInFlightMessages({ label: 'In progress' })],
          [this.queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1), statistic: 'Maximum', label: 'Age of the oldest (s)' })]),
        graph('Tasks', [
          this.metricRunningTasks({ label: 'Running' }),
          this.containerInsightsMetric('DesiredTaskCount', 'Maximum', { label: 'Desired' }),
        ], this.wakeCount === undefined ? [] : [this.metricWakeUps({ label: 'Wake-ups' })]),
        graph('Failed jobs', this.deadLetterQueue
          ? [this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum', label: 'In the dead-letter queue' })]
          : [this.metricBacklogPerTask({ label: 'Waiting per running task' })]),
      ],
      operatorAlarms: () => [
        ...this.deadLetterQueueAlarm ? [this.deadLetterQueueAlarm] : [],
        this.oldestMessageAgeAlarm,
        ...this.wakeUpPath ? [this.wakeUpPath.failureAlarm] : [],
      ],
      scalingAlarms: () => children('ScaleOutFromZeroAlarm', 'ScaleInSurplusAlarm', 'ScaleInWhenIdleAlarm'),
    };
  }

  private containerInsightsMetric(metricName: string, statistic: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'ECS/ContainerInsights',
      metricName,
      dimensionsMap: { ClusterName: this.cluster.cluster.clusterName, ServiceName: this.service.serviceName },
      period: Duration.minutes(1),
      statistic,
      ...props,
    });
  }
}

/**
 * Visible messages ÷ running tasks, counting at least one task so that an empty service gives the
 * backlog itself. A missing running-task datapoint (Container Insights late) gives no value rather
 * than the whole backlog, which would scale out as if no task ran.
 */
const BACKLOG_PER_TASK = 'visible / IF(running < 1, 1, running)';

/**
 * The wake-up hold, counted only where SQS publishes no visible-message datapoint: right after a
 * wake-up SQS may stay silent for up to 15 minutes, and that silence must not read as an empty queue.
 * Once SQS publishes, the queue's own counts decide.
 */
const WAKE_UP_HOLD = 'FILL(IF(FILL(visible, -1) < 0, hold, 0), 0)';

function checkKeyPrefix(scope: Construct, prop: string, value: string | undefined): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (value.startsWith('/')) {
    throw new ValidationError(scope,
      `${prop} ${show(value)} starts with '/', but S3 keys have no leading slash, so it would match nothing. Remove the leading '/' (e.g. ${show(value.replace(/^\/+/, ''))}).`);
  }
  if (value.length > 1024) {
    throw new ValidationError(scope, `${prop} is ${value.length} characters long; S3 keys are at most 1024. Shorten it.`);
  }
}

/** EventBridge content filter on the object key, or undefined for every key. */
function objectKeyFilter(prefix: string, suffix: string | undefined): string[] | undefined {
  const hasPrefix = Token.isUnresolved(prefix) || prefix.length > 0;
  if (hasPrefix && suffix !== undefined) {
    // One field takes one filter: prefix AND suffix is a wildcard pattern (literal '*' and '\' escaped).
    const escape = (s: string) => Token.isUnresolved(s) ? s : s.replace(/[\\*]/g, c => `\\${c}`);
    return events.Match.wildcard(`${escape(prefix)}*${escape(suffix)}`);
  }
  if (hasPrefix) return events.Match.prefix(prefix);
  if (suffix !== undefined) return events.Match.suffix(suffix);
  return undefined;
}
