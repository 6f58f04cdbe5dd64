import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct, IConstruct } from 'constructs';
import type { WorkloadCluster } from './cluster';
import { ValidationError } from './errors';
import { skipCreationStackTraces } from './synthesis';

/** What one workload shows on its cluster's dashboards. @internal */
export interface DashboardSection {
  /** The workload. */
  readonly workload: IConstruct;
  /** Markdown heading line of the section. */
  readonly title: string;
  /** Graphs of the section, one row (built once per dashboard). */
  readonly widgets: () => cloudwatch.IWidget[];
  /** Alarms that notify someone: red means act. */
  readonly operatorAlarms: () => cloudwatch.IAlarm[];
  /** Scaling alarms: ALARM is how they act, not a fault. */
  readonly scalingAlarms: () => cloudwatch.IAlarm[];
}

/** Props of `WorkloadDashboard`. */
export interface WorkloadDashboardProps {
  /** Cluster whose workloads the dashboard shows: every one, in any stack, created before or after it. */
  readonly cluster: WorkloadCluster;

  /**
   * Name of the dashboard.
   * @default - a name CloudFormation generates
   */
  readonly dashboardName?: string;

  /**
   * Time range the dashboard opens with.
   * @default Duration.hours(3)
   */
  readonly defaultInterval?: Duration;
}

/** Width of a graph: three to a row of the 24-column grid. */
const GRAPH = { width: 8, height: 6 };

/**
 * A CloudWatch dashboard of a `WorkloadCluster`: the cluster's tasks and capacity, the state of every
 * alarm the library created for its workloads, and a section per workload (a worker's backlog next to
 * its tasks and dead letters, an inference service's requests, latency and errors, a daemon's agents
 * against the container instances, a scheduled task's runs and failures). Workloads join it whether
 * they were created before or after it, in its stack or in another one; add your own widgets with
 * `addWidgets`.
 *
 * Put it in a stack that may depend on every workload stack: the stack of the workloads in a one-stack
 * app, or a stack of its own. Not in the cluster's stack when workloads live in other stacks: they use
 * the cluster, so the cluster's stack cannot use them back (CloudFormation allows no reference cycle).
 *
 * A dashboard costs 3 USD a month (the first three of an account are free).
 *
 * @example
 * declare const cluster: WorkloadCluster;
 * new workloads.WorkloadDashboard(this, 'Dashboard', { cluster });
 */
export class WorkloadDashboard extends Construct {
  /** The CloudWatch dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;

  private readonly cluster: WorkloadCluster;
  private readonly sections: DashboardSection[] = [];
  private readonly sectionRows: cloudwatch.IWidget[] = [];
  private readonly userRows: cloudwatch.IWidget[] = [];

  /**
   * @param scope The construct that contains the dashboard, usually a `Stack`.
   * @param id Construct id of the dashboard, unique within `scope`.
   * @param props Settings of the dashboard (see `WorkloadDashboardProps`).
   */
  constructor(scope: Construct, id: string, props: WorkloadDashboardProps) {
    super(scope, id);
    skipCreationStackTraces(this);
    this.cluster = props.cluster;
    const name = props.dashboardName;
    if (name !== undefined && !Token.isUnresolved(name) && !/^[A-Za-z0-9_-]{1,255}$/.test(name)) {
      throw new ValidationError(this,
        `dashboardName '${name}' is not a valid dashboard name: use 1 to 255 letters, digits, '-' and '_'.`);
    }
    this.dashboard = new cloudwatch.Dashboard(this, 'Resource', {
      dashboardName: name,
      defaultInterval: props.defaultInterval ?? Duration.hours(3),
    });
    const ci = (metricName: string, statistic: string, label: string) => new cloudwatch.Metric({
      namespace: 'ECS/ContainerInsights',
      metricName,
      dimensionsMap: { ClusterName: props.cluster.cluster.clusterName },
      statistic,
      period: Duration.minutes(1),
      label,
    });
    this.dashboard.addWidgets(new cloudwatch.TextWidget({
      markdown: `# ECS cluster ${props.cluster.node.path}\nEvery alarm the library created for the workloads of this cluster, then one section per workload. Times are UTC.`,
      width: 24,
      height: 2,
    }));
    this.dashboard.addWidgets(
      new LazyAlarmStatusWidget('Alarms that notify: red means act', () => this.sections.flatMap(s => s.operatorAlarms())),
      new LazyAlarmStatusWidget('Scaling alarms: ALARM is how they scale, not a fault', () => this.sections.flatMap(s => s.scalingAlarms())),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Tasks in the cluster',
        left: [ci('RunningTaskCount', 'Average', 'Running'), ci('PendingTaskCount', 'Average', 'Pending')],
        ...GRAPH,
      }),
      new cloudwatch.GraphWidget({
        title: 'EC2 container instances',
        left: [ci('ContainerInstanceCount', 'Average', 'Container instances')],
        ...GRAPH,
      }),
      new cloudwatch.GraphWidget({
        title: 'CPU and memory reserved and used (EC2 capacity)',
        left: [ci('CpuReserved', 'Sum', 'CPU units reserved'), ci('CpuUtilized', 'Sum', 'CPU units used')],
        right: [ci('MemoryReserved', 'Sum', 'Memory reserved (MiB)'), ci('MemoryUtilized', 'Sum', 'Memory used (MiB)')],
        ...GRAPH,
      }),
    );
    // Sections, then your rows, laid out when the dashboard is rendered: a workload created after
    // addWidgets still gets its section above your rows.
    this.dashboard.addWidgets(new LazyColumn(() => [...this.sectionRows, ...this.userRows]));
    props.cluster._attachDashboard(this);
  }

  /** Adds widgets in a new row below the workloads' sections (those of workloads created later too). */
  public addWidgets(...widgets: cloudwatch.IWidget[]): void {
    if (widgets.length > 0) this.userRows.push(widgets.length > 1 ? new cloudwatch.Row(...widgets) : widgets[0]);
  }

  /** @internal */
  public _addSection(section: DashboardSection): void {
    const here = Stack.of(this);
    const there = Stack.of(section.workload);
    if (here !== there && here === Stack.of(this.cluster)) {
      throw new ValidationError(this,
        `dashboard ${this.node.path} is in the cluster's stack '${here.stackName}', so it cannot show ${section.workload.node.path} of stack '${there.stackName}': ` +
        'that stack uses the cluster, and CloudFormation allows no reference back. Create the WorkloadDashboard in a stack of its own ' +
        `(or in '${there.stackName}' when all workloads are there).`);
    }
    this.sectionRows.push(new cloudwatch.TextWidget({ markdown: `## ${section.title}`, width: 24, height: 1 }));
    this.sectionRows.push(new cloudwatch.Row(...section.widgets()));
    this.sections.push(section);
  }
}

/** Rows stacked one below the other, taken from `rows` when the dashboard is rendered. */
class LazyColumn implements cloudwatch.IWidget {
  public readonly width = 24;
  private x = 0;
  private y = 0;

  constructor(private readonly rows: () => cloudwatch.IWidget[]) {}

  public get height(): number {
    return this.column().height;
  }

  public position(x: number, y: number): void {
    this.x = x;
    this.y = y;
  }

  public toJson(): any[] {
    const column = this.column();
    column.position(this.x, this.y);
    return column.toJson();
  }

  private column(): cloudwatch.Column {
    return new cloudwatch.Column(...this.rows());
  }
}

/**
 * An alarm status widget that lists its alarms when the dashboard is rendered, so that alarms a
 * workload creates after joining (a wake-up path added by `wakeOn`) appear too.
 */
class LazyAlarmStatusWidget extends cloudwatch.ConcreteWidget {
  constructor(private readonly title: string, private readonly alarms: () => cloudwatch.IAlarm[]) {
    super(12, 4);
  }

  public toJson(): any[] {
    const widget = new cloudwatch.AlarmStatusWidget({ title: this.title, alarms: this.alarms(), width: this.width, height: this.height });
    widget.position(this.x!, this.y!);
    return widget.toJson();
  }
}

/** A graph of the standard size. @internal */
export function graph(title: string, left: cloudwatch.IMetric[], right: cloudwatch.IMetric[] = [],
  options: Partial<cloudwatch.GraphWidgetProps> = {}): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({ title, left, right, ...GRAPH, ...options });
}
