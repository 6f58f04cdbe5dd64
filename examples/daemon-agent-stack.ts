import { CfnResource, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { Capacity, DaemonAgent, ManagedDaemonAgent, WorkloadCluster, WorkloadManagedInstances } from 'cdk-ecs-workloads';

/** Props of {@link DaemonAgentStack}. */
export type DaemonAgentStackProps = {
  /** The shared cluster. */
  readonly cluster: WorkloadCluster;
  /** The EC2 capacity provider whose instances get the agent (the Graviton provider of `ClusterStack`). */
  readonly capacityProvider: ecs.AsgCapacityProvider;
  /** Managed Instances whose instances get the agent too, as an ECS Managed Daemon. */
  readonly managedInstances?: WorkloadManagedInstances;
} & StackProps;

/**
 * A log agent on every Graviton container instance: AWS for Fluent Bit tails the ECS agent's own logs
 * (`/var/log/ecs/*.log` on the instance) and ships them to a CloudWatch Logs group, so that an
 * operator can read why a container instance misbehaved after the instance is gone.
 */
export class DaemonAgentStack extends Stack {
  /** The agent. */
  public readonly agent: DaemonAgent;
  /** The agent on the Managed Instances (an ECS Managed Daemon), with `managedInstances`. */
  public readonly managedAgent?: ManagedDaemonAgent;
  /** Where the instances' ECS agent logs land. */
  public readonly instanceLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: DaemonAgentStackProps) {
    super(scope, id, props);

    this.instanceLogs = new logs.LogGroup(this, 'InstanceLogs', {
      encryptionKey: props.cluster.encryptionKey,
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.agent = new DaemonAgent(this, 'LogAgent', {
      cluster: props.cluster,
      capacityProvider: props.capacityProvider,
      // Multi-architecture image: the Graviton instances pull its arm64 variant.
      image: ecs.ContainerImage.fromRegistry('public.ecr.aws/aws-observability/aws-for-fluent-bit:stable'),
      cpu: 128,
      memoryReservationMiB: 64,
      memoryLimitMiB: 256,
      command: this.fluentBitCommand('instance-'),
      hostMounts: [
        { hostPath: '/var/log/ecs', containerPath: '/host/var/log/ecs' },
        // The tail position database survives agent restarts, so no line is shipped twice.
        { hostPath: '/var/lib/fluent-bit', containerPath: '/state', readOnly: false },
      ],
      // The instance's log files and the state directory the agent creates belong to root.
      user: 'root',
    });
    // Acknowledge the Control Tower finding on the root user (cfn-guard reads Metadata.guard; keep the construct's entries).
    const taskDefinition = this.agent.taskDefinition.node.defaultChild as CfnResource;
    const guard = taskDefinition.getMetadata('guard') ?? {};
    taskDefinition.addMetadata('guard', {
      SuppressedRules: [...guard.SuppressedRules ?? [], 'ecs_task_definition_nonroot_user_check'],
      Reasons: {
        ...guard.Reasons,
        ecs_task_definition_nonroot_user_check: 'The agent reads the root-owned ECS agent logs of its instance; it stays unprivileged, in bridge mode, with a read-only root filesystem.',
      },
    });

    // The agent's only permission: write to its destination log group.
    this.instanceLogs.grantWrite(this.agent);

    if (props.managedInstances) {
      // The same agent on the Managed Instances: ECS starts it on each instance before any other task.
      this.managedAgent = new ManagedDaemonAgent(this, 'ManagedLogAgent', {
        cluster: props.cluster,
        capacity: Capacity.managedInstances(props.managedInstances),
        image: ecs.ContainerImage.fromRegistry('public.ecr.aws/aws-observability/aws-for-fluent-bit:stable'),
        cpu: 128,
        memoryReservationMiB: 64,
        memoryLimitMiB: 256,
        command: this.fluentBitCommand('managed-instance-'),
        hostMounts: [
          { hostPath: '/var/log/ecs', containerPath: '/host/var/log/ecs' },
          { hostPath: '/var/lib/fluent-bit', containerPath: '/state', readOnly: false },
        ],
        user: 'root',
      });
      this.instanceLogs.grantWrite(this.managedAgent);
    }
  }

  /** Fluent Bit configured on its command line: no configuration file to build into an image. */
  private fluentBitCommand(streamPrefix: string): string[] {
    return [
      '/fluent-bit/bin/fluent-bit',
      '-i', 'tail', '-p', 'path=/host/var/log/ecs/*.log', '-p', 'tag=ecs.*', '-p', 'db=/state/ecs-logs.db',
      '-p', 'mem_buf_limit=32MB',
      '-o', 'cloudwatch_logs', '-p', 'match=*', '-p', `region=${this.region}`,
      '-p', `log_group_name=${this.instanceLogs.logGroupName}`, '-p', `log_stream_prefix=${streamPrefix}`,
      '-p', 'auto_create_group=false',
    ];
  }
}
