import { Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Construct } from 'constructs';
import { BatchQueueWorker, WorkloadCluster, WorkloadVolume } from 'cdk-ecs-workloads';

/** Props of {@link BatchQueueWorkerStack}. */
export interface BatchQueueWorkerStackProps extends StackProps {
  /** The shared cluster (see `ClusterStack`). */
  readonly cluster: WorkloadCluster;
}

/**
 * A document converter: PDFs uploaded under `incoming/` of the worker's bucket are converted to text
 * under `converted/` of the same bucket, by Fargate Spot tasks that exist only while there is work.
 */
export class BatchQueueWorkerStack extends Stack {
  public readonly worker: BatchQueueWorker;

  constructor(scope: Construct, id: string, props: BatchQueueWorkerStackProps) {
    super(scope, id, props);
    this.worker = new BatchQueueWorker(this, 'PdfToText', {
      cluster: props.cluster,
      image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/python:3.12-slim'),
      command: ['python', '-m', 'pdf_worker'],
      cpu: 1024,
      memoryLimitMiB: 2048,
      inputPrefix: 'incoming/',
      inputSuffix: '.pdf',
      outputPrefix: 'converted/',
      jobTimeout: Duration.minutes(20),
      maxTasks: 25,
      // Large PDFs are unpacked on a 200 GiB scratch disk of each task (gp3, cluster key, deleted with the task).
      volumes: [WorkloadVolume.ebs({ containerPath: '/scratch', sizeGiB: 200 })],
    });
  }
}
