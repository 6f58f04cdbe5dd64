import { ArnFormat, Duration, Names, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as pipes from 'aws-cdk-lib/aws-pipes';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as sfnTasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { WorkloadCluster } from '../core/cluster';
import { allowServiceToUseKey, buildQueue, suppressGuardRule } from '../core/resources';
import { WorkloadRole } from '../core/roles';

/** Namespace and name of the metric a wake-up publishes: 1 in the minute of the wake-up. */
export const WAKE_UP_NAMESPACE = 'cdk-ecs-workloads';
export const WAKE_UP_METRIC = 'WakeUps';
/**
 * A wake-up also publishes 1 for this metric for the minute of the wake-up and each of the
 * {@link WAKE_UP_HOLD_MINUTES} minutes after it (CloudWatch accepts timestamps up to two hours ahead):
 * SQS may take up to 15 minutes to publish the metrics of a queue it had found inactive, and the
 * idle scale-in must not read that silence as an empty queue meanwhile.
 */
export const WAKE_UP_HOLD_METRIC = 'WakeUpHold';
export const WAKE_UP_HOLD_MINUTES = 15;

/** @internal */
export interface WakeUpPathProps {
  readonly cluster: WorkloadCluster;
  readonly service: ecs.BaseService;
  /** Desired count a wake-up sets when the service wants no task: max(minTasks, 1). */
  readonly wakeCount: number;
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The event path that starts a worker's first task seconds after an upload, without Lambda:
 *
 * rule → FIFO queue (the gate) → EventBridge Pipe → Step Functions Express → ECS.
 *
 * Each event becomes a message whose body is the event's time, to the second, in a FIFO queue with
 * content-based deduplication: however many events arrive, at most one message per second passes
 * the gate, so a burst of thousands of uploads costs the account's ECS API at most one
 * `DescribeServices` per second (and an `UpdateService` only when the service wants no task), and
 * throttling stays in this queue. The state machine raises the desired count only from 0, to
 * `wakeCount`, and records a `WakeUps` datapoint and a 16-minute `WakeUpHold`, which keeps the idle
 * scale-in from undoing the wake-up while SQS has not yet resumed the metrics of a queue that was
 * idle. @internal
 */
export class WakeUpPath extends Construct {
  /** The gate: a FIFO queue with content-based deduplication. */
  public readonly queue: sqs.Queue;
  /** Wake-up requests the state machine failed on every retry. */
  public readonly deadLetterQueue: sqs.Queue;
  /** Events EventBridge could not deliver to the gate. */
  public readonly eventDeadLetterQueue: sqs.Queue;
  public readonly stateMachine: sfn.StateMachine;
  public readonly pipe: pipes.CfnPipe;
  public readonly failureAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: WakeUpPathProps) {
    super(scope, id);
    const key = props.cluster.encryptionKey;
    const stack = Stack.of(this);

    // The queues hold wake-up requests (an event time each). Like every queue of the library they keep
    // messages 14 days and follow removalPolicy: a late request only wakes a service, which is harmless.
    this.deadLetterQueue = buildQueue(this, 'DeadLetterQueue', {
      encryptionKey: key,
      fifo: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy,
    });
    suppressGuardRule(this.deadLetterQueue, 'sqs_dlq_check', 'This is the dead-letter queue of the wake-up gate, watched by the failure alarm.');
    this.eventDeadLetterQueue = buildQueue(this, 'EventDeadLetterQueue', {
      encryptionKey: key,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy,
    });
    Validations.of(this.eventDeadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the dead-letter queue of EventBridge rule targets; the rule only recognizes SQS redrive policies.',
    });
    suppressGuardRule(this.eventDeadLetterQueue, 'sqs_dlq_check', 'This is the dead-letter queue of the wake-up rule targets, watched by the failure alarm.');
    this.queue = buildQueue(this, 'Queue', {
      encryptionKey: key,
      fifo: true,
      contentBasedDeduplication: true,
      retentionPeriod: Duration.days(14),
      // Longer than one synchronous execution with its retries.
      visibilityTimeout: Duration.minutes(2),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 5 },
      removalPolicy: props.removalPolicy,
    });
    // Only rules of this account may send wake-up requests (and their undeliverable events). The
    // condition names no rule, so that rules of other stacks can use the path without a reference cycle.
    const ruleOfThisAccount = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'events', resource: 'rule', resourceName: '*' }) },
    };
    for (const queue of [this.queue, this.eventDeadLetterQueue]) {
      queue.addToResourcePolicy(new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [queue.queueArn],
        conditions: ruleOfThisAccount,
      }));
    }
    allowServiceToUseKey(key, 'events.amazonaws.com');

    this.stateMachine = this.createStateMachine(props);

    // L1: aws-cdk-lib has no L2 for EventBridge Pipes (only the alpha module).
    const pipeRole = new WorkloadRole(this, 'PipeRole', {
      assumedBy: new iam.ServicePrincipal('pipes.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'pipes', resource: 'pipe', resourceName: '*' }) },
        },
      }),
      description: `EventBridge Pipes passes wake-up requests of ${scope.node.path} to its state machine`,
    });
    this.queue.grantConsumeMessages(pipeRole);
    this.stateMachine.grantStartSyncExecution(pipeRole);
    this.pipe = new pipes.CfnPipe(this, 'Pipe', {
      description: `Wake-up requests of ${scope.node.path}`.slice(0, 512),
      roleArn: pipeRole.roleArn,
      source: this.queue.queueArn,
      sourceParameters: { sqsQueueParameters: { batchSize: 10, maximumBatchingWindowInSeconds: 0 } },
      target: this.stateMachine.stateMachineArn,
      // Synchronous: a failed execution returns its messages to the queue, to be retried and then dead-lettered.
      targetParameters: { stepFunctionStateMachineParameters: { invocationType: 'REQUEST_RESPONSE' } },
    });
    // The pipe polls as soon as it exists: give it its permissions first.
    this.pipe.node.addDependency(pipeRole);

    const requests = this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' });
    const undelivered = this.eventDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' });
    this.failureAlarm = new cloudwatch.Alarm(this, 'FailureAlarm', {
      alarmDescription: `Wake-ups of ${scope.node.path} failed: its first task starts only when the scale-out alarm fires. See the wake-up dead-letter queues and the state machine's log.`,
      metric: new cloudwatch.MathExpression({
        // A dead-letter queue that never received a message publishes nothing: each absence is 0.
        expression: 'FILL(requests, 0) + FILL(undelivered, 0)',
        usingMetrics: { requests, undelivered },
        period: Duration.minutes(1),
        label: 'Wake-up requests and events that failed',
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /**
   * Sends the events `rule` matches through the gate: each becomes a message whose body is the
   * event's time, so events of the same second are delivered once.
   */
  public addSource(rule: events.Rule): void {
    // A target of our own: aws-cdk-lib's SqsQueue target names the rule in the dead-letter queue's
    // policy, which makes a cycle when the rule is in another stack (the constructor's policies cover it).
    const queue = this.queue;
    const deadLetterQueue = this.eventDeadLetterQueue;
    rule.addTarget({
      bind: () => ({
        arn: queue.queueArn,
        input: events.RuleTargetInput.fromObject({ wakeUpAt: events.EventField.time }),
        sqsParameters: { messageGroupId: 'wake-up' },
        deadLetterConfig: { arn: deadLetterQueue.queueArn },
        // Throttled deliveries are retried; a wake-up that comes after an hour is moot.
        retryPolicy: { maximumRetryAttempts: 20, maximumEventAgeInSeconds: 3600 },
      }),
    });
  }

  private createStateMachine(props: WakeUpPathProps): sfn.StateMachine {
    const stack = Stack.of(this);
    const cluster = props.cluster.cluster.clusterArn;
    const service = props.service.serviceArn;
    const retry: sfn.RetryProps = {
      errors: [sfn.Errors.TASKS_FAILED], maxAttempts: 3, interval: Duration.seconds(1), backoffRate: 2, jitterStrategy: sfn.JitterType.FULL,
    };

    const describe = sfnTasks.CallAwsService.jsonata(this, 'DescribeService', {
      comment: 'Reads the desired count and status of the service',
      service: 'ecs',
      action: 'describeServices',
      parameters: { Cluster: cluster, Services: [service] },
      iamResources: [service],
      // An object drops the fields a missing service leaves undefined, and the choice then reads "no".
      outputs: "{% { 'desired': $states.result.Services[0].DesiredCount, 'status': $states.result.Services[0].Status } %}",
    }).addRetry(retry);
    const wake = sfnTasks.CallAwsService.jsonata(this, 'StartFirstTask', {
      comment: `Sets the desired count to ${props.wakeCount}: the service wants no task while a job waits`,
      service: 'ecs',
      action: 'updateService',
      parameters: { Cluster: cluster, Service: service, DesiredCount: props.wakeCount },
      iamResources: [service],
    }).addRetry(retry);
    // A custom state: CallAwsService grants PutMetricData without the namespace condition added below.
    const dimensions = `[{ 'Name': 'ClusterName', 'Value': '${props.cluster.cluster.clusterName}' }, { 'Name': 'ServiceName', 'Value': '${props.service.serviceName}' }]`;
    const record = new sfn.CustomState(this, 'RecordWakeUp', {
      stateJson: {
        Type: 'Task',
        Comment: 'Records the wake-up, and holds the idle scale-in off for the minutes SQS may take to publish the queue\'s metrics again',
        Resource: `arn:${stack.partition}:states:::aws-sdk:cloudwatch:putMetricData`,
        Arguments: {
          Namespace: WAKE_UP_NAMESPACE,
          MetricData: `{% $append([{ 'MetricName': '${WAKE_UP_METRIC}', 'Dimensions': ${dimensions}, 'Value': 1, 'Unit': 'Count' }], ` +
            `$map([0..${WAKE_UP_HOLD_MINUTES}], function($m) { { 'MetricName': '${WAKE_UP_HOLD_METRIC}', 'Dimensions': ${dimensions}, 'Value': 1, 'Unit': 'Count', ` +
            '\'Timestamp\': $fromMillis($millis() + $m * 60000) } })) %}',
        },
        Retry: [{ ErrorEquals: [sfn.Errors.TASKS_FAILED], IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2, JitterStrategy: 'FULL' }],
      },
    });
    const awake = sfn.Succeed.jsonata(this, 'AlreadyAwake', { comment: 'The service wants a task already (or is being deleted): nothing to do' });
    const definition = describe.next(sfn.Choice.jsonata(this, 'WantsNoTask', { comment: 'Only an active service that wants no task is woken: the count is never lowered' })
      .when(sfn.Condition.jsonata("{% $states.input.status = 'ACTIVE' and $states.input.desired = 0 %}"), wake.next(record))
      .otherwise(awake));

    const role = new WorkloadRole(this, 'StateMachineRole', {
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'states', resource: 'stateMachine', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
        },
      }),
      description: `Step Functions wakes ${props.service.node.path} when a job arrives`,
    });
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['cloudwatch:PutMetricData'],
      resources: ['*'],
      conditions: { StringEquals: { 'cloudwatch:namespace': WAKE_UP_NAMESPACE } },
    }));
    const logGroup = new logs.LogGroup(this, 'StateMachineLogs', {
      // Under this prefix Step Functions needs no entry in the account's 5,120-character log resource policy.
      logGroupName: `/aws/vendedlogs/states/${Names.uniqueResourceName(this, { maxLength: 450, separator: '-' })}`,
      retention: logs.RetentionDays.ONE_YEAR,
      encryptionKey: props.cluster.encryptionKey,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    const stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      stateMachineType: sfn.StateMachineType.EXPRESS,
      queryLanguage: sfn.QueryLanguage.JSONATA,
      role,
      timeout: Duration.minutes(1),
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
      comment: `Starts the first task of ${props.service.node.path} when a job arrives while it wants none`,
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'cloudwatch:PutMetricData supports no resource-level permissions (it is limited to one namespace by condition); ' +
        'X-Ray (PutTraceSegments, PutTelemetryRecords, GetSampling*) and CloudWatch Logs delivery (logs:*LogDelivery*, PutResourcePolicy, Describe*) support none either.',
    });
    return stateMachine;
  }
}
