import { Duration, Stack, StackProps, TimeZone } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { Capacity, ScheduledTask, WorkloadCluster } from 'cdk-ecs-workloads';

/** Props of {@link ScheduledTaskStack}. */
export interface ScheduledTaskStackProps extends StackProps {
  /** The shared cluster (see `ClusterStack`). */
  readonly cluster: WorkloadCluster;
  /** E-mail address told when a nightly run fails (subscription to confirm by mail). */
  readonly alertEmail?: string;
}

/**
 * A nightly job: a report that runs at 02:30 Berlin time (daylight saving time included) on Fargate
 * Spot with an on-demand fallback, is stopped after 2 hours, and is run again up to twice when it
 * fails. A failed run, and a run EventBridge Scheduler could not start, e-mail the on-call address.
 * And a weekly Windows job on Fargate Windows.
 */
export class ScheduledTaskStack extends Stack {
  public readonly nightlyReport: ScheduledTask;
  /** A weekly Windows job on Fargate Windows. */
  public readonly windowsCleanup: ScheduledTask;

  constructor(scope: Construct, id: string, props: ScheduledTaskStackProps) {
    super(scope, id, props);
    this.nightlyReport = new ScheduledTask(this, 'NightlyReport', {
      cluster: props.cluster,
      image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/python:3.12-slim'),
      command: ['python', '-c', 'import datetime; print("report for", datetime.date.today() - datetime.timedelta(days=1))'],
      cpu: 512,
      memoryLimitMiB: 1024,
      schedule: scheduler.ScheduleExpression.cron({ hour: '2', minute: '30', timeZone: TimeZone.EUROPE_BERLIN }),
      capacity: Capacity.fargateSpot({ spotWeight: 3, onDemandWeight: 1 }),
      flexibleTimeWindow: Duration.minutes(15),
      timeout: Duration.hours(2),
      taskRetryAttempts: 2,
    });
    if (props.alertEmail) {
      this.nightlyReport.failureTopic.addSubscription(new subscriptions.EmailSubscription(props.alertEmail));
    }

    // A .NET Framework job on Fargate Windows (Windows Server 2022 Core, 1 vCPU / 2 GiB, on demand).
    this.windowsCleanup = new ScheduledTask(this, 'WindowsCleanup', {
      cluster: props.cluster,
      image: ecs.ContainerImage.fromRegistry('mcr.microsoft.com/dotnet/framework/runtime:4.8-windowsservercore-ltsc2022'),
      command: ['powershell.exe', '-Command', 'Write-Output "cleanup of $((Get-Date).AddDays(-1).ToString(\'yyyy-MM-dd\'))"'],
      capacity: Capacity.fargateWindows(),
      schedule: scheduler.ScheduleExpression.cron({ weekDay: 'SUN', hour: '3', minute: '0', timeZone: TimeZone.EUROPE_BERLIN }),
      timeout: Duration.hours(1),
    });
  }
}
