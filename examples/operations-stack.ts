import { Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { WorkloadCluster, WorkloadDashboard } from 'cdk-ecs-workloads';

/** Props of {@link OperationsStack}. */
export interface OperationsStackProps extends StackProps {
  /** The shared cluster (see `ClusterStack`). */
  readonly cluster: WorkloadCluster;
}

/**
 * What the on-call engineer opens: one CloudWatch dashboard with every workload of the cluster,
 * whatever stack it lives in. It is a stack of its own because it reads the workload stacks, which
 * themselves read the cluster stack.
 */
export class OperationsStack extends Stack {
  public readonly dashboard: WorkloadDashboard;

  constructor(scope: Construct, id: string, props: OperationsStackProps) {
    super(scope, id, props);
    this.dashboard = new WorkloadDashboard(this, 'Dashboard', { cluster: props.cluster });
  }
}
