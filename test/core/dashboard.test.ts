import * as fs from 'fs';
import * as path from 'path';
import { Aws, CfnElement, Duration, Errors, Fn, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { IConstruct } from 'constructs';
import {
  dashboardBodies, DashboardBody, dashboardSvg, DashboardWidget, exampleDashboardSvg,
} from '../../scripts/dashboard-svg';
import {
  BatchQueueWorker, DaemonAgent, InferenceService, LoadBalancerType, ScheduledTask, WorkloadCluster, WorkloadDashboard,
} from '../../src';
import { ValidationError } from '../../src/core/errors';
import { expectCompliant, newStack } from '../compliance';
import { exampleApp } from '../deploy-proof/scenarios';

const IMAGE = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:stable');
const HOURLY = scheduler.ScheduleExpression.rate(Duration.hours(1));
const SVG_PATH = path.join(__dirname, '..', '..', 'docs', 'dashboard.svg');

const HEADER_TAIL = 'Every alarm the library created for the workloads of this cluster, then one section per workload. Times are UTC.';
const OPERATOR_TITLE = 'Alarms that notify: red means act';
const SCALING_TITLE = 'Scaling alarms: ALARM is how they scale, not a fault';

// ---------------------------------------------------------------------------------------------
// Reading a dashboard back from the template: the body with each token as a placeholder
// (`<Ref:X>`, `<GetAtt:X.Attr>`, `<ImportValue:name>`), each widget, each metric as one line.
// ---------------------------------------------------------------------------------------------

interface SynthesizedDashboard {
  readonly logicalId: string;
  readonly properties: { [key: string]: unknown };
  readonly body: DashboardBody;
}

function dashboardsOf(stack: Stack): SynthesizedDashboard[] {
  const template = Template.fromStack(stack).toJSON();
  const bodies = dashboardBodies(template);
  return Object.entries(bodies).map(([id, body]) => ({ logicalId: id, properties: template.Resources[id].Properties, body }));
}

function onlyDashboard(stack: Stack): SynthesizedDashboard {
  const all = dashboardsOf(stack);
  expect(all).toHaveLength(1);
  return all[0];
}

/** The logical id of a construct's CloudFormation resource (its default child, or itself). */
function logicalId(construct: IConstruct): string {
  const element = construct instanceof CfnElement ? construct : construct.node.defaultChild as CfnElement;
  return Stack.of(element).getLogicalId(element);
}
const ref = (construct: IConstruct) => `<Ref:${logicalId(construct)}>`;
const att = (construct: IConstruct, attribute: string) => `<GetAtt:${logicalId(construct)}.${attribute}>`;
/** `LoadBalancer` dimension that aws-cdk-lib derives from a listener's ARN (app/name/id). */
const fromListener = (listener: IConstruct) => [1, 2, 3].map(i => `<Select:${i}:<Split:/:${ref(listener)}>>`).join('/');

/** A widget's kind, title (or markdown), and place on the grid. */
function layout(w: DashboardWidget): string {
  const title = w.type === 'text' ? w.properties.markdown : w.properties.title;
  return `${w.type} ${w.x},${w.y} ${w.width}x${w.height} ${title}`;
}

/**
 * Each metric of a graph on one line: `namespace name {dimension=value,...} statistic period axis 'label'`,
 * or `= expression ...` for metric math; `(hidden)` for the inputs of an expression.
 */
function metricLines(w: DashboardWidget): string[] {
  return (w.properties.metrics as unknown[][]).map(row => {
    const last = row[row.length - 1];
    const options: { [key: string]: any } = typeof last === 'object' && last !== null ? last : {};
    const head = typeof last === 'object' ? row.slice(0, -1) : row;
    const dims: string[] = [];
    for (let i = 2; i < head.length; i += 2) dims.push(`${head[i]}=${head[i + 1]}`);
    const what = options.expression !== undefined ? `= ${options.expression}` : `${head[0]} ${head[1]} {${dims.join(',')}}`;
    const tail = options.visible === false ? ` (hidden as ${options.id})` : ` ${options.yAxis ?? 'left'} '${options.label}'`;
    return `${what} ${options.stat ?? 'Average'} ${options.period ?? 300}s${tail}`;
  });
}

/** The widgets under a section heading (`## title`), up to the next text widget. */
function section(body: DashboardBody, title: string): { heading: DashboardWidget; widgets: DashboardWidget[] } {
  const start = body.widgets.findIndex(w => w.type === 'text' && w.properties.markdown === `## ${title}`);
  expect(start).toBeGreaterThan(0);
  const rest = body.widgets.slice(start + 1);
  const end = rest.findIndex(w => w.type === 'text');
  return { heading: body.widgets[start], widgets: end < 0 ? rest : rest.slice(0, end) };
}

function headings(body: DashboardBody): string[] {
  return body.widgets.filter(w => w.type === 'text').map(w => w.properties.markdown.split('\n')[0]);
}

function alarmWidget(body: DashboardBody, title: string): DashboardWidget {
  const found = body.widgets.filter(w => w.type === 'alarm' && w.properties.title === title);
  expect(found).toHaveLength(1);
  return found[0];
}

const alarmArn = (alarm: cloudwatch.IAlarm) => att(alarm, 'Arn');

/** Another stack in the app of `stack`, in the same environment. */
function secondStack(stack: Stack, id: string): Stack {
  return new Stack(stack.node.root, id, { env: { account: stack.account, region: stack.region } });
}

function clusterStack(): { stack: Stack; cluster: WorkloadCluster } {
  const stack = newStack();
  return { stack, cluster: new WorkloadCluster(stack, 'Cluster') };
}

// ---------------------------------------------------------------------------------------------

describe('defaults', () => {
  const { stack, cluster } = clusterStack();
  new WorkloadDashboard(stack, 'Dashboard', { cluster });
  const dashboard = onlyDashboard(stack);
  const clusterName = ref(cluster.cluster);
  const ci = (name: string, statistic: string, axis: string, label: string) =>
    `ECS/ContainerInsights ${name} {ClusterName=${clusterName}} ${statistic} 60s ${axis} '${label}'`;

  test('the name is generated and the dashboard opens on the last 3 hours', () => {
    expect(dashboard.properties.DashboardName).toBeUndefined();
    expect(dashboard.body.start).toBe('-PT3H');
  });

  test('header, the two alarm widgets, then the cluster row', () => {
    expect(dashboard.body.widgets.map(layout)).toEqual([
      `text 0,0 24x2 # ECS cluster Test/Cluster\n${HEADER_TAIL}`,
      `alarm 0,2 12x4 ${OPERATOR_TITLE}`,
      `alarm 12,2 12x4 ${SCALING_TITLE}`,
      'metric 0,6 8x6 Tasks in the cluster',
      'metric 8,6 8x6 EC2 container instances',
      'metric 16,6 8x6 CPU and memory reserved and used (EC2 capacity)',
    ]);
  });

  test('with no workload, both alarm widgets are empty', () => {
    expect(alarmWidget(dashboard.body, OPERATOR_TITLE).properties.alarms).toEqual([]);
    expect(alarmWidget(dashboard.body, SCALING_TITLE).properties.alarms).toEqual([]);
  });

  test('cluster row: tasks, container instances, CPU and memory from Container Insights by ClusterName', () => {
    const [tasks, instances, reserved] = dashboard.body.widgets.slice(3);
    expect(metricLines(tasks)).toEqual([
      ci('RunningTaskCount', 'Average', 'left', 'Running'),
      ci('PendingTaskCount', 'Average', 'left', 'Pending'),
    ]);
    expect(metricLines(instances)).toEqual([ci('ContainerInstanceCount', 'Average', 'left', 'Container instances')]);
    expect(metricLines(reserved)).toEqual([
      ci('CpuReserved', 'Sum', 'left', 'CPU units reserved'),
      ci('CpuUtilized', 'Sum', 'left', 'CPU units used'),
      ci('MemoryReserved', 'Sum', 'right', 'Memory reserved (MiB)'),
      ci('MemoryUtilized', 'Sum', 'right', 'Memory used (MiB)'),
    ]);
    for (const w of [tasks, instances, reserved]) expect(w.properties.region).toBe('<Ref:AWS::Region>');
  });

  test('dashboardName and defaultInterval are passed on', () => {
    const other = clusterStack();
    new WorkloadDashboard(other.stack, 'Dashboard', { cluster: other.cluster, dashboardName: 'ops-Batch_1', defaultInterval: Duration.days(1) });
    const d = onlyDashboard(other.stack);
    expect(d.properties.DashboardName).toBe('ops-Batch_1');
    expect(d.body.start).toBe('-P1D');
  });
});

describe('a section per workload', () => {
  const { stack, cluster } = clusterStack();
  cluster.addAsgCapacity('Gpu', { instanceType: new ec2.InstanceType('g5.xlarge'), gpu: true, maxCapacity: 2 });
  const graviton = cluster.addAsgCapacity('Graviton', { instanceType: new ec2.InstanceType('m7g.large'), maxCapacity: 2 });
  new WorkloadDashboard(stack, 'Dashboard', { cluster });
  const worker = new BatchQueueWorker(stack, 'Worker', { cluster, image: IMAGE, maxTasks: 10 });
  const jobs = sqs.Queue.fromQueueArn(stack, 'Jobs', 'arn:aws:sqs:us-east-1:123456789012:jobs');
  const queueOnly = new BatchQueueWorker(stack, 'QueueOnly', { cluster, image: IMAGE, maxTasks: 4, queue: jobs });
  const alb = new InferenceService(stack, 'Alb', { cluster, image: IMAGE });
  const nlb = new InferenceService(stack, 'Nlb', { cluster, image: IMAGE, loadBalancerType: LoadBalancerType.NETWORK });
  const gpu = new InferenceService(stack, 'Gpu', { cluster, image: IMAGE, gpuCount: 1, cpu: 2048, memoryLimitMiB: 8192 });
  const agent = new DaemonAgent(stack, 'Agent', { cluster, image: IMAGE, memoryReservationMiB: 64, capacityProvider: graviton });
  const direct = new ScheduledTask(stack, 'Direct', { cluster, image: IMAGE, schedule: HOURLY });
  const toCompletion = new ScheduledTask(stack, 'ToCompletion', { cluster, image: IMAGE, schedule: HOURLY, taskRetryAttempts: 2, timeout: Duration.hours(1) });
  const { body } = onlyDashboard(stack);
  const clusterName = ref(cluster.cluster);
  const minute = (m: string, statistic: string, axis: string, label: string) => `${m} ${statistic} 60s ${axis} '${label}'`;
  const service = (s: ecs.BaseService) => `ClusterName=${clusterName},ServiceName=${att(s, 'Name')}`;

  test('headings in creation order, each a full-width row', () => {
    expect(headings(body).slice(1)).toEqual([
      '## Queue worker Test/Worker',
      '## Queue worker Test/QueueOnly',
      '## Inference service Test/Alb',
      '## Inference service Test/Nlb',
      '## Inference service Test/Gpu',
      '## Daemon agent Test/Agent',
      '## Scheduled task Test/Direct',
      '## Scheduled task Test/ToCompletion',
    ]);
    const rows = body.widgets.filter(w => w.type === 'text').slice(1);
    for (const heading of rows) expect([heading.x, heading.width, heading.height]).toEqual([0, 24, 1]);
    // The first section starts right under the cluster row, each next one under the previous one.
    expect(rows[0].y).toBe(12);
    for (let i = 1; i < rows.length; i++) expect(rows[i].y).toBe(rows[i - 1].y + 7);
  });

  test('worker: jobs waiting, in progress and the age of the oldest; tasks and wake-ups; the dead-letter queue', () => {
    const { heading, widgets } = section(body, 'Queue worker Test/Worker');
    const y = heading.y + 1;
    expect(widgets.map(layout)).toEqual([
      `metric 0,${y} 8x6 Jobs waiting and in progress`,
      `metric 8,${y} 8x6 Tasks`,
      `metric 16,${y} 8x6 Failed jobs`,
    ]);
    const queue = `QueueName=${att(worker.queue, 'QueueName')}`;
    expect(metricLines(widgets[0])).toEqual([
      minute(`AWS/SQS ApproximateNumberOfMessagesVisible {${queue}}`, 'Maximum', 'left', 'Waiting'),
      minute(`AWS/SQS ApproximateNumberOfMessagesNotVisible {${queue}}`, 'Maximum', 'left', 'In progress'),
      minute(`AWS/SQS ApproximateAgeOfOldestMessage {${queue}}`, 'Maximum', 'right', 'Age of the oldest (s)'),
    ]);
    expect(metricLines(widgets[1])).toEqual([
      minute(`ECS/ContainerInsights RunningTaskCount {${service(worker.service)}}`, 'Average', 'left', 'Running'),
      minute(`ECS/ContainerInsights DesiredTaskCount {${service(worker.service)}}`, 'Maximum', 'left', 'Desired'),
      minute(`cdk-ecs-workloads WakeUps {${service(worker.service)}}`, 'Sum', 'right', 'Wake-ups'),
    ]);
    expect(metricLines(widgets[2])).toEqual([
      minute(`AWS/SQS ApproximateNumberOfMessagesVisible {QueueName=${att(worker.deadLetterQueue!, 'QueueName')}}`, 'Maximum', 'left', 'In the dead-letter queue'),
    ]);
  });

  test('queue-only worker with no known dead-letter queue: the backlog per task instead', () => {
    expect(queueOnly.deadLetterQueue).toBeUndefined();
    const { widgets } = section(body, 'Queue worker Test/QueueOnly');
    expect(widgets.map(w => w.properties.title)).toEqual(['Jobs waiting and in progress', 'Tasks', 'Failed jobs']);
    expect(metricLines(widgets[0])[0]).toBe(minute('AWS/SQS ApproximateNumberOfMessagesVisible {QueueName=jobs}', 'Maximum', 'left', 'Waiting'));
    const expression = queueOnly.metricBacklogPerTask().expression;
    expect(expression).toBe('visible / IF(running < 1, 1, running)');
    expect(metricLines(widgets[2])).toEqual([
      `= ${expression} Average 60s left 'Waiting per running task'`,
      'AWS/SQS ApproximateNumberOfMessagesVisible {QueueName=jobs} Maximum 60s (hidden as visible)',
      `ECS/ContainerInsights RunningTaskCount {${service(queueOnly.service)}} Average 60s (hidden as running)`,
    ]);
  });

  test('ALB inference: requests, both 5xx, p50/p99 latency, health and utilization, tasks and rollouts', () => {
    const { heading, widgets } = section(body, 'Inference service Test/Alb');
    const y = heading.y + 1;
    expect(widgets.map(layout)).toEqual([
      `metric 0,${y} 6x6 Requests and errors`,
      `metric 6,${y} 6x6 Latency (s)`,
      `metric 12,${y} 6x6 Health and utilization`,
      `metric 18,${y} 6x6 Tasks and rollouts`,
    ]);
    const target = `LoadBalancer=${fromListener(alb.listener)},TargetGroup=${att(alb.targetGroup, 'TargetGroupFullName')}`;
    expect(metricLines(widgets[0])).toEqual([
      minute(`AWS/ApplicationELB RequestCount {${target}}`, 'Sum', 'left', 'Requests'),
      minute(`AWS/ApplicationELB HTTPCode_Target_5XX_Count {${target}}`, 'Sum', 'right', '5xx from the tasks'),
      minute(`AWS/ApplicationELB HTTPCode_ELB_5XX_Count {LoadBalancer=${att(alb.applicationLoadBalancer!, 'LoadBalancerFullName')}}`, 'Sum', 'right', '5xx from the load balancer'),
    ]);
    expect(metricLines(widgets[1])).toEqual([
      minute(`AWS/ApplicationELB TargetResponseTime {${target}}`, 'p50', 'left', 'p50'),
      minute(`AWS/ApplicationELB TargetResponseTime {${target}}`, 'p99', 'left', 'p99'),
    ]);
    expect(metricLines(widgets[2])).toEqual([
      minute(`AWS/ApplicationELB HealthyHostCount {${target}}`, 'Minimum', 'left', 'Healthy tasks'),
      minute(`AWS/ApplicationELB UnHealthyHostCount {${target}}`, 'Maximum', 'left', 'Unhealthy tasks'),
      minute(`AWS/ECS CPUUtilization {${service(alb.service)}}`, 'Average', 'right', 'CPU %'),
      minute(`AWS/ECS MemoryUtilization {${service(alb.service)}}`, 'Average', 'right', 'Memory %'),
    ]);
    expect(metricLines(widgets[3])).toEqual([
      minute(`ECS/ContainerInsights RunningTaskCount {${service(alb.service)}}`, 'Average', 'left', 'Running'),
      minute(`ECS/ContainerInsights DesiredTaskCount {${service(alb.service)}}`, 'Maximum', 'left', 'Desired'),
      minute(`ECS/ContainerInsights DeploymentCount {${service(alb.service)}}`, 'Maximum', 'left', 'Deployments in progress'),
    ]);
  });

  test('NLB inference: new and active flows, bytes processed, and NLB health', () => {
    const { widgets } = section(body, 'Inference service Test/Nlb');
    expect(widgets.map(w => `${w.properties.title} ${w.x} ${w.width}`)).toEqual([
      'Connections 0 6', 'Bytes processed 6 6', 'Health and utilization 12 6', 'Tasks and rollouts 18 6',
    ]);
    const lb = `LoadBalancer=${att(nlb.networkLoadBalancer!, 'LoadBalancerFullName')}`;
    expect(metricLines(widgets[0])).toEqual([
      minute(`AWS/NetworkELB NewFlowCount {${lb}}`, 'Sum', 'left', 'New flows'),
      minute(`AWS/NetworkELB ActiveFlowCount {${lb}}`, 'Average', 'right', 'Active flows'),
    ]);
    expect(metricLines(widgets[1])).toEqual([minute(`AWS/NetworkELB ProcessedBytes {${lb}}`, 'Sum', 'left', 'Bytes')]);
    const target = `LoadBalancer=${fromListener(nlb.listener)},TargetGroup=${att(nlb.targetGroup, 'TargetGroupFullName')}`;
    expect(metricLines(widgets[2]).slice(0, 2)).toEqual([
      minute(`AWS/NetworkELB HealthyHostCount {${target}}`, 'Minimum', 'left', 'Healthy tasks'),
      minute(`AWS/NetworkELB UnHealthyHostCount {${target}}`, 'Maximum', 'left', 'Unhealthy tasks'),
    ]);
    // No GPU: nothing on the right axis of the task graph.
    expect(metricLines(widgets[3]).filter(l => l.includes(' right '))).toEqual([]);
  });

  test('GPU inference: the cluster\'s GPU reservation on the right axis of the task graph', () => {
    const { widgets } = section(body, 'Inference service Test/Gpu');
    expect(widgets.map(w => w.properties.title)).toEqual(['Requests and errors', 'Latency (s)', 'Health and utilization', 'Tasks and rollouts']);
    expect(metricLines(widgets[3])).toEqual([
      minute(`ECS/ContainerInsights RunningTaskCount {${service(gpu.service)}}`, 'Average', 'left', 'Running'),
      minute(`ECS/ContainerInsights DesiredTaskCount {${service(gpu.service)}}`, 'Maximum', 'left', 'Desired'),
      minute(`ECS/ContainerInsights DeploymentCount {${service(gpu.service)}}`, 'Maximum', 'left', 'Deployments in progress'),
      minute(`AWS/ECS GPUReservation {ClusterName=${clusterName}}`, 'Average', 'right', 'GPUs reserved in the cluster %'),
    ]);
  });

  test('daemon agent: agents against container instances, and utilization', () => {
    const { heading, widgets } = section(body, 'Daemon agent Test/Agent');
    const y = heading.y + 1;
    expect(widgets.map(layout)).toEqual([
      `metric 0,${y} 8x6 Agents running and container instances`,
      `metric 8,${y} 8x6 Utilization of what the agents reserve`,
    ]);
    expect(metricLines(widgets[0])).toEqual([
      minute(`ECS/ContainerInsights RunningTaskCount {${service(agent.service)}}`, 'Minimum', 'left', 'Agents running (minimum)'),
      minute(`ECS/ContainerInsights ContainerInstanceCount {ClusterName=${clusterName}}`, 'Maximum', 'left', 'Container instances in the cluster'),
    ]);
    expect(metricLines(widgets[1])).toEqual([
      minute(`AWS/ECS CPUUtilization {${service(agent.service)}}`, 'Average', 'left', 'CPU %'),
      minute(`AWS/ECS MemoryUtilization {${service(agent.service)}}`, 'Average', 'left', 'Memory %'),
    ]);
  });

  test('scheduled task, direct mode: runs and failed runs, no state machine graph', () => {
    expect(direct.stateMachine).toBeUndefined();
    const { heading, widgets } = section(body, 'Scheduled task Test/Direct');
    const y = heading.y + 1;
    expect(widgets.map(layout)).toEqual([`metric 0,${y} 8x6 Runs`, `metric 8,${y} 8x6 Failed runs`]);
    const family = stack.resolve(direct.taskDefinition.family);
    expect(metricLines(widgets[0])).toEqual([
      minute(`ECS/ContainerInsights RunningTaskCount {ClusterName=${clusterName},TaskDefinitionFamily=${family}}`, 'Maximum', 'left', 'Tasks running'),
    ]);
    expect(metricLines(widgets[1])).toEqual([
      minute(`AWS/Events TriggeredRules {RuleName=${ref(direct.failureRule)}}`, 'Sum', 'left', 'Failed runs'),
      minute(`AWS/SQS ApproximateNumberOfMessagesVisible {QueueName=${att(direct.deadLetterQueue, 'QueueName')}}`, 'Maximum', 'left', 'Runs the scheduler could not start'),
    ]);
  });

  test('scheduled task, run to completion: started and succeeded runs, and the longest run', () => {
    const machine = toCompletion.stateMachine!;
    expect(machine).toBeDefined();
    const { heading, widgets } = section(body, 'Scheduled task Test/ToCompletion');
    const y = heading.y + 1;
    expect(widgets.map(layout)).toEqual([`metric 0,${y} 8x6 Runs`, `metric 8,${y} 8x6 Failed runs`, `metric 16,${y} 8x6 Run duration (ms)`]);
    const arn = `StateMachineArn=${ref(machine)}`;
    expect(metricLines(widgets[0]).slice(1)).toEqual([
      minute(`AWS/States ExecutionsStarted {${arn}}`, 'Sum', 'right', 'Runs started'),
      minute(`AWS/States ExecutionsSucceeded {${arn}}`, 'Sum', 'right', 'Runs succeeded'),
    ]);
    expect(metricLines(widgets[2])).toEqual([minute(`AWS/States ExecutionTime {${arn}}`, 'Maximum', 'left', 'Longest run')]);
  });

  test('every graph of every section is in this dashboard\'s region', () => {
    const graphs = body.widgets.filter(w => w.type === 'metric');
    expect(graphs.length).toBe(3 + 3 + 3 + 4 * 3 + 2 + 2 + 3);
    for (const w of graphs) expect(w.properties.region).toBe('<Ref:AWS::Region>');
  });
});

describe('alarm widgets', () => {
  test('operator alarms: the worker\'s dead-letter, oldest-message and wake-up failure alarms, the scheduled task\'s dead-letter alarm, the inference service\'s deployment alarms; scaling alarms: the worker\'s three', () => {
    const { stack, cluster } = clusterStack();
    const worker = new BatchQueueWorker(stack, 'Worker', { cluster, image: IMAGE, maxTasks: 10 });
    new WorkloadDashboard(stack, 'Dashboard', { cluster });
    const task = new ScheduledTask(stack, 'Task', { cluster, image: IMAGE, schedule: HOURLY });
    const inference = new InferenceService(stack, 'Inference', { cluster, image: IMAGE });
    const { body } = onlyDashboard(stack);
    expect(inference.deploymentAlarms).toHaveLength(3);
    expect(alarmWidget(body, OPERATOR_TITLE).properties.alarms).toEqual([
      alarmArn(worker.deadLetterQueueAlarm!),
      alarmArn(worker.oldestMessageAgeAlarm),
      alarmArn(worker.wakeUpFailureAlarm!),
      alarmArn(task.deadLetterQueueAlarm),
      ...inference.deploymentAlarms.map(a => alarmArn(a as cloudwatch.Alarm)),
    ]);
    expect(alarmWidget(body, SCALING_TITLE).properties.alarms).toEqual(
      ['ScaleOutFromZeroAlarm', 'ScaleInSurplusAlarm', 'ScaleInWhenIdleAlarm'].map(id => alarmArn(worker.node.findChild(id) as cloudwatch.Alarm)),
    );
  });

  test('a wake-up path that wakeOn creates after the dashboard (queue-only worker) is listed: the widget is rendered at synth', () => {
    const { stack, cluster } = clusterStack();
    new WorkloadDashboard(stack, 'Dashboard', { cluster });
    const worker = new BatchQueueWorker(stack, 'Worker', {
      cluster, image: IMAGE, maxTasks: 4, queue: sqs.Queue.fromQueueArn(stack, 'Jobs', 'arn:aws:sqs:us-east-1:123456789012:jobs'),
    });
    expect(worker.wakeUpFailureAlarm).toBeUndefined();
    worker.wakeOn(new events.Rule(stack, 'JobsPublished', { eventPattern: { source: ['producer.jobs'] } }));
    const { body } = onlyDashboard(stack);
    expect(alarmWidget(body, OPERATOR_TITLE).properties.alarms).toEqual([
      alarmArn(worker.oldestMessageAgeAlarm),
      alarmArn(worker.wakeUpFailureAlarm!),
    ]);
  });
});

describe('joining the dashboard', () => {
  test('workloads created before and after the dashboard all appear, in creation order', () => {
    const { stack, cluster } = clusterStack();
    new BatchQueueWorker(stack, 'Before', { cluster, image: IMAGE, maxTasks: 2 });
    new WorkloadDashboard(stack, 'Dashboard', { cluster });
    new ScheduledTask(stack, 'After', { cluster, image: IMAGE, schedule: HOURLY });
    new InferenceService(stack, 'Later', { cluster, image: IMAGE });
    const { body } = onlyDashboard(stack);
    expect(headings(body)).toEqual([
      '# ECS cluster Test/Cluster',
      '## Queue worker Test/Before',
      '## Scheduled task Test/After',
      '## Inference service Test/Later',
    ]);
    expect(section(body, 'Queue worker Test/Before').widgets).toHaveLength(3);
    expect(section(body, 'Scheduled task Test/After').widgets).toHaveLength(2);
    expect(section(body, 'Inference service Test/Later').widgets).toHaveLength(4);
  });

  test('two dashboards of one cluster both get every workload', () => {
    const { stack, cluster } = clusterStack();
    new BatchQueueWorker(stack, 'Worker', { cluster, image: IMAGE, maxTasks: 2 });
    new WorkloadDashboard(stack, 'One', { cluster, dashboardName: 'one' });
    new ScheduledTask(stack, 'Task', { cluster, image: IMAGE, schedule: HOURLY });
    new WorkloadDashboard(stack, 'Two', { cluster, dashboardName: 'two' });
    const all = dashboardsOf(stack);
    expect(all.map(d => d.properties.DashboardName).sort()).toEqual(['one', 'two']);
    for (const d of all) {
      expect(headings(d.body).slice(1)).toEqual(['## Queue worker Test/Worker', '## Scheduled task Test/Task']);
      expect(d.body.widgets.filter(w => w.type === 'metric')).toHaveLength(3 + 3 + 2);
    }
    expect(all[0].body).toEqual(all[1].body);
  });

  test('addWidgets adds the user\'s row after the sections', () => {
    const { stack, cluster } = clusterStack();
    const dashboard = new WorkloadDashboard(stack, 'Dashboard', { cluster });
    new BatchQueueWorker(stack, 'Worker', { cluster, image: IMAGE, maxTasks: 2 });
    dashboard.addWidgets(new cloudwatch.TextWidget({ markdown: '# Runbook', width: 12, height: 2 }), new cloudwatch.TextWidget({ markdown: '# Contacts', width: 12, height: 2 }));
    const { body } = onlyDashboard(stack);
    const { heading, widgets } = section(body, 'Queue worker Test/Worker');
    const sectionBottom = heading.y + 1 + widgets[0].height;
    expect(body.widgets.slice(-2).map(layout)).toEqual([`text 0,${sectionBottom} 12x2 # Runbook`, `text 12,${sectionBottom} 12x2 # Contacts`]);
  });

  test('the user\'s row stays below the sections of workloads created after addWidgets (as addWidgets documents)', () => {
    const { stack, cluster } = clusterStack();
    const dashboard = new WorkloadDashboard(stack, 'Dashboard', { cluster });
    dashboard.addWidgets(new cloudwatch.TextWidget({ markdown: '# Runbook', width: 24, height: 2 }));
    new BatchQueueWorker(stack, 'Worker', { cluster, image: IMAGE, maxTasks: 2 });
    const { body } = onlyDashboard(stack);
    expect(headings(body)).toEqual(['# ECS cluster Test/Cluster', '## Queue worker Test/Worker', '# Runbook']);
    expect(body.widgets[body.widgets.length - 1].properties.markdown).toBe('# Runbook');
  });
});

describe('stacks', () => {
  test('example app layout (cluster, workload stacks, operations stack with the dashboard) synthesizes; the dashboard imports from the workload stacks', () => {
    const example = exampleApp();
    expect(() => example.app.synth()).not.toThrow();
    const { body } = onlyDashboard(example.operations);
    expect(headings(body).slice(1)).toEqual([
      '## Queue worker EcsWorkloads-BatchQueueWorker/PdfToText',
      '## Inference service EcsWorkloads-InferenceService/Triton',
      '## Inference service EcsWorkloads-InferenceService/TorchServe',
      '## Daemon agent EcsWorkloads-DaemonAgent/LogAgent',
      '## Scheduled task EcsWorkloads-ScheduledTask/NightlyReport',
      '## Scheduled task EcsWorkloads-ScheduledTask/WindowsCleanup',
    ]);
    const imports = new Set([...JSON.stringify(body).matchAll(/<ImportValue:([^:>]+):/g)].map(m => m[1]));
    expect([...imports].sort()).toEqual([
      'EcsWorkloads-BatchQueueWorker', 'EcsWorkloads-Cluster', 'EcsWorkloads-DaemonAgent', 'EcsWorkloads-InferenceService', 'EcsWorkloads-ScheduledTask',
    ]);
    // Each import names an export of the stack it comes from.
    const exported = new Set(example.stacks.flatMap(s => Object.values<any>(Template.fromStack(s).toJSON().Outputs ?? {}).map(o => o.Export?.Name)));
    for (const name of JSON.stringify(body).match(/<ImportValue:[^>]+>/g)!) expect(exported).toContain(name.slice('<ImportValue:'.length, -1));
    expect(example.operations.dependencies.map(s => s.stackName).sort()).toEqual([...imports].sort());
  });

  const crossStackMessage = "Cluster/Dashboard: dashboard Cluster/Dashboard is in the cluster's stack 'Cluster', so it cannot show Workers/Worker of stack 'Workers': " +
    'that stack uses the cluster, and CloudFormation allows no reference back. Create the WorkloadDashboard in a stack of its own ' +
    "(or in 'Workers' when all workloads are there).";

  function crossStackError(dashboardFirst: boolean): unknown {
    const clusterStackOnly = newStack('Cluster');
    const cluster = new WorkloadCluster(clusterStackOnly, 'Cluster');
    const workers = secondStack(clusterStackOnly, 'Workers');
    try {
      if (dashboardFirst) new WorkloadDashboard(clusterStackOnly, 'Dashboard', { cluster });
      new BatchQueueWorker(workers, 'Worker', { cluster, image: IMAGE, maxTasks: 2 });
      if (!dashboardFirst) new WorkloadDashboard(clusterStackOnly, 'Dashboard', { cluster });
    } catch (e) {
      return e;
    }
    return undefined;
  }

  test.each([
    ['the dashboard is created first', true],
    ['the workload is created first', false],
  ])('a dashboard in the cluster\'s stack with a workload in another stack is a ValidationError (%s)', (_, dashboardFirst) => {
    const error = crossStackError(dashboardFirst);
    expect(error).toBeInstanceOf(ValidationError);
    expect(Errors.isValidationError(error)).toBe(true);
    expect((error as Error).message).toBe(crossStackMessage);
  });

  test('a dashboard in a workload stack with workloads of that stack only is fine', () => {
    const first = newStack('Cluster');
    const cluster = new WorkloadCluster(first, 'Cluster');
    const workers = secondStack(first, 'Workers');
    new BatchQueueWorker(workers, 'Worker', { cluster, image: IMAGE, maxTasks: 2 });
    new WorkloadDashboard(workers, 'Dashboard', { cluster });
    const { body } = onlyDashboard(workers);
    expect(headings(body)).toEqual(['# ECS cluster Cluster/Cluster', '## Queue worker Workers/Worker']);
    expect(JSON.stringify(body)).toContain('<ImportValue:Cluster:');
  });
});

describe('dashboardName', () => {
  test.each([
    ['a space and a !', 'bad name!'],
    ['256 characters', 'a'.repeat(256)],
    ['empty', ''],
    ['dots', 'dots.are.not.allowed'],
  ])('%s is rejected, naming dashboardName, the value and the rule', (_, name) => {
    const { stack, cluster } = clusterStack();
    expect(() => new WorkloadDashboard(stack, 'Dashboard', { cluster, dashboardName: name })).toThrow(
      `Test/Dashboard: dashboardName '${name}' is not a valid dashboard name: use 1 to 255 letters, digits, '-' and '_'.`,
    );
  });

  test.each([['255 characters', 'a'.repeat(255)], ['letters, digits, - and _', 'Ops_dashboard-2']])('%s is accepted', (_, name) => {
    const { stack, cluster } = clusterStack();
    new WorkloadDashboard(stack, 'Dashboard', { cluster, dashboardName: name });
    expect(onlyDashboard(stack).properties.DashboardName).toBe(name);
  });

  test('a token is accepted unchecked and passed on', () => {
    const { stack, cluster } = clusterStack();
    new WorkloadDashboard(stack, 'Dashboard', { cluster, dashboardName: Fn.join('-', [Aws.STACK_NAME, 'ops']) });
    expect(onlyDashboard(stack).properties.DashboardName).toEqual({ 'Fn::Join': ['-', [{ Ref: 'AWS::StackName' }, 'ops']] });
  });
});

test('compliance: a cluster, a worker and a dashboard have no unacknowledged finding', () => {
  const { stack, cluster } = clusterStack();
  new BatchQueueWorker(stack, 'Worker', { cluster, image: IMAGE, maxTasks: 10 });
  new WorkloadDashboard(stack, 'Dashboard', { cluster });
  expectCompliant(stack);
});

describe('dashboardSvg', () => {
  const tiny: { widgets: DashboardWidget[] } = {
    widgets: [
      { type: 'text', x: 0, y: 0, width: 24, height: 1, properties: { markdown: '## Jobs & runs <now>\nsecond line' } },
      {
        type: 'metric',
        x: 8,
        y: 1,
        width: 8,
        height: 6,
        properties: {
          title: 'Waiting & "running"',
          metrics: [
            ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', '<Ref:Q>', { label: 'Waiting & ready' }],
            ['AWS/SQS', 'ApproximateAgeOfOldestMessage', 'QueueName', '<Ref:Q>', { yAxis: 'right' }],
            [{ expression: 'a + b', label: 'Sum', id: 'e' }],
            ['NS', 'A', { id: 'a', visible: false }],
            ['NS', 'C', { label: 'Fourth' }],
            ['NS', 'D', { label: 'Fifth' }],
          ],
        },
      },
      { type: 'alarm', x: 16, y: 1, width: 8, height: 4, properties: { title: 'A title much longer than the eight columns of this widget can show', alarms: ['a', 'b'] } },
    ],
  };
  const svg = dashboardSvg(tiny);

  test('a 24-column grid of 40 x 30 px units, boxes where the widgets are', () => {
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="976" height="226" /);
    // Widget (x, y, w, h) in units -> box at (10 + 40x, 10 + 30y), 40w - 4 by 30h - 4 px.
    expect(svg).toContain('<rect x="10" y="10" width="956" height="26"');
    expect(svg).toContain('<rect x="330" y="40" width="316" height="176"');
    expect(svg).toContain('<rect x="650" y="40" width="316" height="116"');
    expect(svg.match(/<rect x="\d+" y="\d+" width="\d+" height="\d+" rx="3"/g)).toHaveLength(3);
  });

  test('titles, legends of at most 4 visible metrics, alarm counts; XML escaped', () => {
    expect(svg).toContain('>Jobs &amp; runs &lt;now&gt;</text>');
    expect(svg).toContain('>Waiting &amp; &quot;running&quot;</text>');
    const legend = [...svg.matchAll(/font-size="11" fill="#414d5c">([^<]*)<\/text>/g)].map(m => m[1]);
    expect(legend).toEqual(['Waiting &amp; ready', 'ApproximateAgeOfOldestMessage (right)', 'Sum', 'Fourth']);
    expect(svg).toContain('>alarm status: 2 alarms</text>');
    expect(svg).toContain('<polyline ');
    expect(svg).not.toMatch(/&(?!amp;|lt;|gt;|quot;|apos;)/);
    expect(svg).not.toContain('<now>');
  });

  test('a title too long for its box is cut with an ellipsis', () => {
    const title = [...svg.matchAll(/font-weight="bold" fill="#16191f">([^<]*)<\/text>/g)].map(m => m[1])[2];
    expect(title.endsWith('\u2026')).toBe(true);
    expect(title.length).toBeLessThan(tiny.widgets[2].properties.title.length);
    expect('A title much longer than the eight columns of this widget can show'.startsWith(title.slice(0, -1))).toBe(true);
  });
});

test('docs/dashboard.svg is the picture of the example app\'s dashboard (regenerate: npx ts-node -P test/tsconfig.json scripts/dashboard-svg.ts)', () => {
  expect(fs.readFileSync(SVG_PATH, 'utf-8')).toBe(exampleDashboardSvg());
});
