import { Duration, Names, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as sfnTasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { checkCronExpression } from './cron';
import { deadLetterQueueAlarm } from '../core/alarms';
import { Capacity } from '../core/capacity';
import { WorkloadCluster } from '../core/cluster';
import { WorkloadContainerOptions } from '../core/container-options';
import { DashboardSection, graph } from '../core/dashboard';
import { checkName, checkRange, isUnresolved, show, ValidationError } from '../core/errors';
import { ManagedInstancesLaunchTarget } from '../core/managed-instances';
import { allowAlarmsToPublish, allowServiceToUseKey, buildQueue, buildTopic, checkRemovalPolicy, onlyRulePublishes, suppressGuardRule } from '../core/resources';
import { WorkloadRole } from '../core/roles';
import { allowNfs, attachTaskVolumes, PlacementOptions, resolveCapacity, startAfterDependencies, taskSecurityGroup } from '../core/service';
import { skipCreationStackTraces } from '../core/synthesis';
import { buildWorkloadTask } from '../core/task-definition';
import { warn, WarningId } from '../core/warnings';

/** Props of `ScheduledTask`. */
export interface ScheduledTaskProps extends WorkloadContainerOptions, PlacementOptions {
  /** Cluster the task runs on. */
  readonly cluster: WorkloadCluster;

  /**
   * When the task runs: a cron in a time zone, a rate, or a date for one run.
   * Use `scheduler.ScheduleExpression.cron({ ..., timeZone })` (daylight saving time included),
   * `.rate(duration)` or `.at(date)`.
   *
   * The fields of a cron expression are checked at synth, so a schedule EventBridge Scheduler would
   * reject at deploy fails earlier: six fields, each number within its field's range (minutes 0-59,
   * hours 0-23, day-of-month 1-31, month 1-12, day-of-week 1-7, year 1970-2199), and `?` in
   * day-of-month or day-of-week. A one-time schedule in the past adds a warning, since it never runs.
   */
  readonly schedule: scheduler.ScheduleExpression;

  /**
   * Where the task runs: `Capacity.fargate()`, `Capacity.fargateSpot({...})`,
   * `Capacity.ec2(provider)` with a provider from `cluster.addAsgCapacity`, or
   * `Capacity.managedInstances(...)` with Managed Instances from `cluster.addManagedInstances`.
   * @default Capacity.fargate()
   */
  readonly capacity?: Capacity;

  /**
   * Whether the schedule is enabled. A disabled schedule keeps its settings but starts nothing.
   * @default true
   */
  readonly enabled?: boolean;

  /**
   * Lets EventBridge Scheduler start the run at any time within this window after the scheduled
   * time, which spreads load (1 minute to 24 hours, whole minutes).
   * @default - no window: the run starts at the scheduled time
   */
  readonly flexibleTimeWindow?: Duration;

  /**
   * How many times EventBridge Scheduler retries starting the run when the call fails (throttling,
   * capacity, permissions), 0–185. Retries stop early when `maxEventAge` is reached.
   * @default 185
   */
  readonly maxRetryAttempts?: number;

  /**
   * How long after the scheduled time EventBridge Scheduler keeps trying to start the run before it
   * gives up and sends the event to the dead-letter queue (1 minute to 24 hours).
   * @default Duration.hours(1)
   */
  readonly maxEventAge?: Duration;

  /**
   * Standard SQS queue that receives the runs EventBridge Scheduler could not start. The scheduler
   * role gets `sqs:SendMessage` on it (and use of its KMS key, if it has one known to CDK).
   * @default - a new queue encrypted with the cluster key, 14-day retention
   */
  readonly deadLetterQueue?: sqs.IQueue;

  /**
   * Topic that receives a message when a run fails and when the dead-letter queue alarm fires.
   * A topic encrypted with a customer-managed key needs a key policy that lets
   * `events.amazonaws.com` and `cloudwatch.amazonaws.com` use the key. When it is an `sns.Topic` of
   * this app with a topic policy, the construct lets this account's alarms publish to it; an imported
   * topic's policy must allow `cloudwatch.amazonaws.com` and `events.amazonaws.com` to `sns:Publish`.
   * @default - a new topic encrypted with the cluster key
   */
  readonly failureTopic?: sns.ITopic;

  /**
   * Run-to-completion: with a timeout, the schedule starts a Step Functions state machine that runs
   * the task and waits for it to stop. A run that takes longer fails with `States.Timeout` (Step
   * Functions' `.sync` integration stops the task on a best-effort basis); failed runs are retried
   * (`taskRetryAttempts`). At least 1 minute.
   * @default - no timeout: the schedule starts the task directly and nothing stops a run that hangs
   */
  readonly timeout?: Duration;

  /**
   * How many times a failed run (start failure or non-zero exit) is run again, 0–10. Needs `timeout`.
   * Retries wait 1, 2, 4, ... minutes (with jitter). A run that timed out is not retried.
   * @default 0
   */
  readonly taskRetryAttempts?: number;

  /**
   * Subnets of the task's network interface.
   * @default - the private subnets with egress of the cluster VPC
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * Security groups of the task.
   * @default - a new security group with all outbound traffic allowed and no inbound rule
   */
  readonly securityGroups?: ec2.ISecurityGroup[];

  /**
   * Schedule group of the schedule.
   * @default - the `default` group
   */
  readonly scheduleGroup?: scheduler.IScheduleGroup;

  /**
   * Name of the schedule: up to 64 letters, digits, `.`, `_` and `-`, unique in its schedule group.
   * @default - generated by CloudFormation
   */
  readonly scheduleName?: string;

  /**
   * First date the schedule may start a run (recurring schedules only).
   * @default - starts at once
   */
  readonly start?: Date;

  /**
   * Last date the schedule may start a run (recurring schedules only).
   * @default - no end
   */
  readonly end?: Date;

  /**
   * What happens to the scheduled task's stateful resources when they leave the stack (stack
   * deletion, or a change that replaces them): the dead-letter queue this construct creates (with
   * the runs it still holds), the container log group and the state machine's log group. `RETAIN`
   * keeps them in the account; `DESTROY` deletes them. A given dead-letter queue is never affected.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * An ECS task started on a cron (with time zone), rate or one-time schedule by EventBridge
 * Scheduler, with a retry policy, an encrypted dead-letter queue and its alarm, a capacity provider
 * strategy (Fargate, Fargate Spot or EC2), an alert on an SNS topic when a run fails, and an
 * optional run-to-completion mode (Step Functions) with a timeout and retries of failed runs.
 *
 * @example
 * import { TimeZone } from 'aws-cdk-lib';
 * import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
 *
 * declare const cluster: WorkloadCluster;
 * const nightly = new workloads.ScheduledTask(this, 'NightlyReport', {
 *   cluster,
 *   image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/python:3.12-slim'),
 *   command: ['python', '-c', 'print("report done")'],
 *   schedule: scheduler.ScheduleExpression.cron({ hour: '2', minute: '30', timeZone: TimeZone.EUROPE_BERLIN }),
 *   capacity: Capacity.fargateSpot({ onDemandWeight: 1 }),
 *   timeout: Duration.hours(2),
 *   taskRetryAttempts: 2,
 * });
 * nightly.failureTopic.addSubscription(new subscriptions.EmailSubscription('oncall@example.com'));
 */
export class ScheduledTask extends Construct implements ec2.IConnectable, iam.IGrantable {
  /** The EventBridge Scheduler schedule. */
  public readonly schedule: scheduler.Schedule;
  /** The task definition (main container `main`, plus the sidecars). */
  public readonly taskDefinition: ecs.TaskDefinition;
  /** The main container. */
  public readonly container: ecs.ContainerDefinition;
  /** Log group of the containers (encrypted with the cluster key). */
  public readonly logGroup: logs.ILogGroup;
  /** Queue that receives the runs EventBridge Scheduler could not start. */
  public readonly deadLetterQueue: sqs.IQueue;
  /** Alarm that fires when the dead-letter queue holds a message, and notifies `failureTopic`. */
  public readonly deadLetterQueueAlarm: cloudwatch.Alarm;
  /** Topic that receives failed-run alerts and the dead-letter queue alarm. */
  public readonly failureTopic: sns.ITopic;
  /**
   * EventBridge rule that publishes failed runs to `failureTopic`: ECS task state changes of this
   * task family (direct mode), or failed, timed-out and aborted executions of `stateMachine`
   * (run-to-completion mode).
   */
  public readonly failureRule: events.Rule;
  /** Role EventBridge Scheduler assumes to start the run. */
  public readonly schedulerRole: iam.IRole;
  /** State machine that runs the task to completion (only with `timeout`). */
  public readonly stateMachine?: sfn.StateMachine;
  /** Security groups of the task. */
  public readonly connections: ec2.Connections;
  /** The task role: grant the job's permissions to it. */
  public readonly grantPrincipal: iam.IPrincipal;
  /** Where the task runs. */
  public readonly capacity: Capacity;

  /**
   * @param scope The construct that contains this scheduled task, usually a `Stack`.
   * @param id Construct id of the scheduled task, unique within `scope`.
   * @param props Settings of the scheduled task (see `ScheduledTaskProps`).
   */
  constructor(scope: Construct, id: string, props: ScheduledTaskProps) {
    super(scope, id);
    skipCreationStackTraces(this);
    // Scope the state machine's ecs:RunTask grant to this task definition's ARN rather than every
    // revision of the family (aws-cdk-lib's fix, behind a feature flag; set for this subtree only).
    this.node.setContext(cxapi.STEPFUNCTIONS_TASKS_FIX_RUN_ECS_TASK_POLICY, true);
    const cluster = props.cluster;
    const key = cluster.encryptionKey;
    const stack = Stack.of(this);
    this.validate(props);
    this.capacity = resolveCapacity(this, cluster, props.capacity, Capacity.fargate(), props);

    // Task
    const task = buildWorkloadTask(this, { ...props, cluster, capacity: this.capacity, grantExecSession: true });
    this.taskDefinition = task.taskDefinition;
    this.container = task.container;
    this.logGroup = task.logGroup;
    this.grantPrincipal = task.taskDefinition.taskRole;
    const securityGroups = props.securityGroups?.length ? props.securityGroups : [taskSecurityGroup(this, cluster)];
    this.connections = new ec2.Connections({ securityGroups });
    allowNfs(this.connections, task.volumes);
    const vpcSubnets = props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };

    // Dead-letter queue of the schedule
    this.deadLetterQueue = props.deadLetterQueue ?? buildQueue(this, 'DeadLetterQueue', {
      encryptionKey: key,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy,
    });
    if (!props.deadLetterQueue) {
      Validations.of(this.deadLetterQueue).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason: 'This queue is the dead-letter queue of an EventBridge Scheduler schedule; the rule only recognizes SQS redrive policies.',
      });
      suppressGuardRule(this.deadLetterQueue, 'sqs_dlq_check',
        'This queue is itself the dead-letter queue of the schedule: it is the end of the line, watched by DeadLetterQueueAlarm.');
    }

    // Failure topic
    if (props.failureTopic) {
      this.failureTopic = props.failureTopic;
    } else {
      this.failureTopic = buildTopic(this, 'FailureTopic', {
        encryptionKey: key,
        displayName: `Failed runs of ${this.node.path}`.slice(0, 100),
      });
      allowServiceToUseKey(key, 'events.amazonaws.com');
      allowServiceToUseKey(key, 'cloudwatch.amazonaws.com');
    }
    this.deadLetterQueueAlarm = deadLetterQueueAlarm(this, 'DeadLetterQueueAlarm', this.deadLetterQueue,
      'A scheduled run that EventBridge Scheduler could not start');
    this.deadLetterQueueAlarm.addAlarmAction(new cwActions.SnsAction(this.failureTopic));

    // Scheduler role: only schedules of this account and schedule group may assume it.
    const scheduleGroupArn = props.scheduleGroup?.scheduleGroupArn ?? stack.formatArn({
      service: 'scheduler',
      resource: 'schedule-group',
      resourceName: 'default',
    });
    const schedulerRole = new WorkloadRole(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account, 'aws:SourceArn': scheduleGroupArn } },
      }),
      description: `EventBridge Scheduler starts the runs of ${this.node.path}`,
    });
    this.schedulerRole = schedulerRole;
    // Scheduler sends to the encrypted dead-letter queue with this role.
    const queueKey = props.deadLetterQueue ? props.deadLetterQueue.encryptionMasterKey : key;
    queueKey?.grant(schedulerRole, 'kms:Decrypt', 'kms:GenerateDataKey');

    const targetProps: schedulerTargets.ScheduleTargetBaseProps = {
      role: schedulerRole,
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: props.maxRetryAttempts ?? 185,
      maxEventAge: props.maxEventAge ?? Duration.hours(1),
    };

    let target: scheduler.IScheduleTarget;
    if (props.timeout) {
      this.stateMachine = this.runToCompletion(props, securityGroups, vpcSubnets);
      target = new schedulerTargets.StepFunctionsStartExecution(this.stateMachine, targetProps);
      this.failureRule = this.executionFailureRule(this.stateMachine);
    } else {
      const runProps: schedulerTargets.EcsRunTaskBaseProps = {
        ...targetProps,
        taskDefinition: this.taskDefinition,
        capacityProviderStrategies: this.capacity.strategies,
        securityGroups,
        vpcSubnets,
        enableExecuteCommand: props.enableExec,
      };
      target = this.capacity.isFargate
        ? new schedulerTargets.EcsRunFargateTask(cluster.cluster, { ...runProps, assignPublicIp: false })
        : new schedulerTargets.EcsRunEc2Task(cluster.cluster, {
          ...runProps,
          placementStrategies: props.placementStrategies,
          placementConstraints: props.placementConstraints,
        });
      this.failureRule = this.taskFailureRule(props);
    }

    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      schedule: props.schedule,
      target,
      enabled: props.enabled ?? true,
      timeWindow: props.flexibleTimeWindow ? scheduler.TimeWindow.flexible(props.flexibleTimeWindow) : scheduler.TimeWindow.off(),
      key,
      scheduleGroup: props.scheduleGroup,
      scheduleName: props.scheduleName,
      description: `Starts the runs of ${this.node.path}`.slice(0, 512),
      start: props.start,
      end: props.end,
    });
    startAfterDependencies(this.schedule, cluster, task);
    attachTaskVolumes(this.schedule, this.connections, task, this.capacity);
    this.failureRule.addTarget(new eventsTargets.SnsTopic(this.failureTopic, { message: this.failureMessage() }));
    allowAlarmsToPublish(this.failureTopic);
    // Our own topic takes failed runs from this rule only; a topic you give may serve other rules too.
    if (!props.failureTopic) onlyRulePublishes(this.failureTopic, this.failureRule);
    this.warnings(props);
    cluster._addDashboardSection(this.dashboardSection(cluster));
  }

  /**
   * Number of failed runs (times `failureRule` matched).
   * @default - sum over 5 minutes
   */
  public metricFailedRuns(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/Events',
      metricName: 'TriggeredRules',
      dimensionsMap: { RuleName: this.failureRule.ruleName },
      statistic: 'Sum',
      period: Duration.minutes(5),
      ...props,
    });
  }

  /**
   * Runs EventBridge Scheduler could not start (messages visible in the dead-letter queue).
   * @default - maximum over 5 minutes
   */
  public metricDeadLetterMessages(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', ...props });
  }

  private dashboardSection(cluster: WorkloadCluster): DashboardSection {
    const minute = { period: Duration.minutes(1) };
    const running = new cloudwatch.Metric({
      namespace: 'ECS/ContainerInsights',
      metricName: 'RunningTaskCount',
      dimensionsMap: { ClusterName: cluster.cluster.clusterName, TaskDefinitionFamily: this.taskDefinition.family },
      statistic: 'Maximum',
      ...minute,
      label: 'Tasks running',
    });
    const machine = this.stateMachine;
    return {
      workload: this,
      title: `Scheduled task ${this.node.path}`,
      widgets: () => [
        graph('Runs', [running], machine ? [machine.metricStarted({ ...minute, label: 'Runs started' }), machine.metricSucceeded({ ...minute, label: 'Runs succeeded' })] : []),
        graph('Failed runs', [this.metricFailedRuns({ ...minute, label: 'Failed runs' }), this.metricDeadLetterMessages({ ...minute, label: 'Runs the scheduler could not start' })]),
        ...machine ? [graph('Run duration (ms)', [machine.metricTime({ ...minute, statistic: 'Maximum', label: 'Longest run' })])] : [],
      ],
      operatorAlarms: () => [this.deadLetterQueueAlarm],
      scalingAlarms: () => [],
    };
  }

  private validate(props: ScheduledTaskProps): void {
    checkRemovalPolicy(this, 'removalPolicy', props.removalPolicy);
    checkCronExpression(this, 'schedule', props.schedule.expressionString);
    checkName(this, 'scheduleName', props.scheduleName, 64, /[A-Za-z0-9._-]/, 'letters, digits, \'.\', \'_\' and \'-\'');
    checkRange(this, 'maxRetryAttempts', props.maxRetryAttempts, 0, 185,
      'EventBridge Scheduler retries a failed start at most 185 times; use 0 to never retry.');
    const age = props.maxEventAge?.toSeconds({ integral: false });
    checkRange(this, 'maxEventAge', age, 60, 86400,
      'EventBridge Scheduler keeps retrying for 1 minute to 24 hours; use Duration.minutes(1) to Duration.hours(24).',
      { unit: 'seconds', integer: true });
    const window = props.flexibleTimeWindow?.toMinutes({ integral: false });
    checkRange(this, 'flexibleTimeWindow', window, 1, 1440,
      'EventBridge Scheduler accepts a window of whole minutes from Duration.minutes(1) to Duration.hours(24); leave it unset to start on time.',
      { unit: 'minutes', integer: true });
    if (props.timeout) {
      checkRange(this, 'timeout', props.timeout.toSeconds({ integral: false }), 60, 31536000,
        'Give the longest a run may take, from Duration.minutes(1) to Duration.days(365) (a Step Functions execution lasts at most a year).',
        { unit: 'seconds', integer: true });
    }
    checkRange(this, 'taskRetryAttempts', props.taskRetryAttempts, 0, 10,
      'Use 0 to not run a failed run again, or up to 10 retries.');
    if (props.taskRetryAttempts !== undefined && !props.timeout) {
      throw new ValidationError(this,
        `taskRetryAttempts (${show(props.taskRetryAttempts)}) needs timeout: only the run-to-completion mode watches a run until it stops. ` +
        'Set timeout (the longest a run may take) or remove taskRetryAttempts (maxRetryAttempts retries failed starts).');
    }
    if (props.deadLetterQueue?.fifo) {
      throw new ValidationError(this,
        `deadLetterQueue '${props.deadLetterQueue.node.path}' is a FIFO queue, but EventBridge Scheduler sends failed runs to standard queues only. Give a standard queue, or leave deadLetterQueue unset to create one.`);
    }
    if (props.start && props.end && props.start.getTime() >= props.end.getTime()) {
      throw new ValidationError(this,
        `start (${props.start.toISOString()}) must be before end (${props.end.toISOString()}). Move start earlier or end later.`);
    }
  }

  /** The state machine of the run-to-completion mode: run the task, wait, time out, retry. */
  private runToCompletion(props: ScheduledTaskProps, securityGroups: ec2.ISecurityGroup[],
    subnets: ec2.SubnetSelection): sfn.StateMachine {
    const cluster = props.cluster;
    const stack = Stack.of(this);
    const strategy = sfnTasks.CapacityProviderOptions.custom(this.capacity.strategies);
    const launchTarget = this.capacity.isFargate
      ? new sfnTasks.EcsFargateLaunchTarget({ platformVersion: ecs.FargatePlatformVersion.LATEST, capacityProviderOptions: strategy })
      : this.capacity.isManagedInstances ? new ManagedInstancesLaunchTarget(this.capacity.strategies) : new sfnTasks.EcsEc2LaunchTarget({
        capacityProviderOptions: strategy,
        placementStrategies: props.placementStrategies,
        placementConstraints: props.placementConstraints,
      });
    const runTask = new sfnTasks.EcsRunTask(this, 'RunTask', {
      cluster: cluster.cluster,
      taskDefinition: this.taskDefinition,
      launchTarget,
      integrationPattern: sfn.IntegrationPattern.RUN_JOB,
      securityGroups,
      subnets,
      taskTimeout: sfn.Timeout.duration(props.timeout!),
      enableExecuteCommand: props.enableExec,
      comment: `Runs the task of ${this.node.path} and waits until it stops`,
    });
    const retries = props.taskRetryAttempts ?? 0;
    if (retries > 0) {
      // States.TaskFailed matches every error but States.Timeout: a run that timed out is not run again.
      runTask.addRetry({
        errors: [sfn.Errors.TASKS_FAILED],
        maxAttempts: retries,
        interval: Duration.minutes(1),
        backoffRate: 2,
        jitterStrategy: sfn.JitterType.FULL,
      });
    }

    const role = new WorkloadRole(this, 'StateMachineRole', {
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: `Step Functions runs the task of ${this.node.path} to completion`,
    });
    const logGroup = new logs.LogGroup(this, 'StateMachineLogs', {
      // Step Functions delivers through CloudWatch Logs' vended-log path: under this prefix it needs no
      // entry in the account's resource policy, which is capped at 5,120 characters per Region.
      logGroupName: `/aws/vendedlogs/states/${Names.uniqueResourceName(this, { maxLength: 450, separator: '-' })}`,
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      encryptionKey: cluster.encryptionKey,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    const stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(runTask),
      stateMachineType: sfn.StateMachineType.STANDARD,
      role,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
      comment: `Runs the task of ${this.node.path} to completion`,
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'The policy Step Functions documents for ecs:runTask.sync: ecs:StopTask/DescribeTasks act on task IDs only known at run time; ' +
        'X-Ray (PutTraceSegments, PutTelemetryRecords, GetSampling*) and CloudWatch Logs delivery (logs:*LogDelivery*, PutResourcePolicy, Describe*) support no resource-level permissions.',
    });
    return stateMachine;
  }

  /**
   * ECS task state changes of this family on this cluster that mean a failed run: the task failed
   * to start, or a container stopped with a non-zero exit code.
   */
  private taskFailureRule(props: ScheduledTaskProps): events.Rule {
    const stack = Stack.of(this);
    const familyArnPrefix = stack.formatArn({ service: 'ecs', resource: 'task-definition', resourceName: `${this.taskDefinition.family}:` });
    // EventBridge matches each array element on its own: it cannot tie an exit code to the 'main'
    // container. With sidecars, 137/143 (SIGKILL/SIGTERM: how ECS stops sidecars once main exits)
    // are ignored, and an out-of-memory kill is matched by its reason instead.
    const hasSidecars = (props.sidecars ?? []).length > 0;
    const exitCodes = hasSidecars ? [{ 'anything-but': [0, 137, 143] }] : [{ 'anything-but': 0 }];
    const failed: any[] = [
      { stopCode: ['TaskFailedToStart'] },
      { containers: { exitCode: exitCodes } },
    ];
    if (hasSidecars) failed.push({ containers: { reason: [{ prefix: 'OutOfMemoryError' }] } });
    return new events.Rule(this, 'FailureRule', {
      description: `Failed runs of ${this.node.path}`.slice(0, 512),
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Task State Change'],
        detail: {
          clusterArn: [props.cluster.cluster.clusterArn],
          taskDefinitionArn: [{ prefix: familyArnPrefix }],
          lastStatus: ['STOPPED'],
          $or: failed,
        },
      },
    });
  }

  /** Executions of the run-to-completion state machine that failed, timed out or were aborted. */
  private executionFailureRule(stateMachine: sfn.StateMachine): events.Rule {
    return new events.Rule(this, 'FailureRule', {
      description: `Failed runs of ${this.node.path}`.slice(0, 512),
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          stateMachineArn: [stateMachine.stateMachineArn],
          status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
        },
      },
    });
  }

  private failureMessage(): events.RuleTargetInput {
    const f = (path: string) => events.EventField.fromPath(path);
    if (this.stateMachine) {
      return events.RuleTargetInput.fromText(
        `Scheduled task ${this.node.path} failed at ${f('$.time')}: execution ${f('$.detail.executionArn')} ended ${f('$.detail.status')} ` +
        `(error: ${f('$.detail.error')}). The execution history shows each attempt; container logs are in log group ${this.logGroup.logGroupName}.`);
    }
    return events.RuleTargetInput.fromText(
      `Scheduled task ${this.node.path} failed at ${f('$.time')}: task ${f('$.detail.taskArn')} stopped ` +
      `(stop code ${f('$.detail.stopCode')}: ${f('$.detail.stoppedReason')}). ` +
      `Container logs are in log group ${this.logGroup.logGroupName}, streams main/main/<task id>.`);
  }

  private warnings(props: ScheduledTaskProps): void {
    const expression = props.schedule.expressionString;
    const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
    if (rate && props.timeout && !isUnresolved(props.timeout.toSeconds())) {
      const unit = rate[2].startsWith('minute') ? 60 : rate[2].startsWith('hour') ? 3600 : 86400;
      const every = Number(rate[1]) * unit;
      if (props.timeout.toSeconds() > every) {
        warn(this, WarningId.SCHEDULED_TASK_OVERLAP,
          `timeout (${props.timeout.toHumanString()}) is longer than the schedule interval (${expression}), so runs may overlap. ` +
          'Make the job safe to run twice at once, or lower timeout below the interval.');
      }
    }
    const at = /^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$/.exec(expression);
    // Generous margin: the time is in the schedule's time zone (UTC-12 to UTC+14).
    if (at && Date.parse(`${at[1]}Z`) + 14 * 3600 * 1000 < Date.now()) {
      warn(this, WarningId.SCHEDULED_TASK_IN_PAST,
        `schedule ${expression} is in the past, so the task will never run. Give a future date to ScheduleExpression.at(...).`);
    }
  }
}
