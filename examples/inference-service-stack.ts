import { Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { InferenceService, LoadBalancerType, RolloutStrategy, WorkloadCluster, WorkloadVolume } from 'cdk-ecs-workloads';

/** Props of {@link InferenceServiceStack}. */
export type InferenceServiceStackProps = { readonly cluster: WorkloadCluster } & StackProps;

/**
 * Two model endpoints on the shared cluster:
 * - NVIDIA Triton on the GPU capacity provider behind an internal ALB, serving models from an EFS
 *   model store mounted read-only, rolled out as a canary;
 * - TorchServe on Fargate behind an internal NLB, scaled on CPU, with ECS Exec for operators,
 *   published to Service Connect for the services of the cluster, loading its model archives from
 *   an S3 bucket through S3 Files.
 */
export class InferenceServiceStack extends Stack {
  /** The GPU endpoint behind the ALB. */
  public readonly triton: InferenceService;
  /** The CPU endpoint behind the NLB. */
  public readonly torchServe: InferenceService;
  /** The versioned bucket of TorchServe's model archives. */
  public readonly modelArchives: s3.Bucket;

  constructor(scope: Construct, id: string, props: InferenceServiceStackProps) {
    super(scope, id, props);
    const { cluster } = props;

    this.triton = new InferenceService(this, 'Triton', {
      cluster,
      image: ecs.ContainerImage.fromRegistry('nvcr.io/nvidia/tritonserver:24.08-py3'),
      command: ['tritonserver', '--model-repository=/models', '--model-control-mode=poll', '--repository-poll-secs=60'],
      containerPort: 8000,
      gpuCount: 1,
      cpu: 3072,
      memoryLimitMiB: 12288,
      healthCheckPath: '/v2/health/ready',
      modelLoadTime: Duration.minutes(9),
      // A new model version gets 10 % of the traffic for 10 minutes; 5xx, p99 latency and
      // unhealthy-task alarms roll it back.
      rollout: RolloutStrategy.canary({ stepPercent: 10 }),
      // Models are copied into the file system's /models directory by a writer (a one-off task with
      // readOnly: false, or AWS DataSync); the endpoint only reads them.
      modelStore: { mountPath: '/models' },
      volumes: [WorkloadVolume.bindMount({ name: 'tmp', containerPath: '/tmp' })],
      minTasks: 1,
      maxTasks: 2,
      requestsPerTarget: 120,
    });

    // Model archives (.mar) are uploaded under torchserve/ of a versioned bucket, kept when the
    // stack is deleted; S3 Files presents that prefix to the tasks as their model store.
    this.modelArchives = new s3.Bucket(this, 'ModelArchives', {
      versioned: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    });

    this.torchServe = new InferenceService(this, 'TorchServe', {
      cluster,
      image: ecs.ContainerImage.fromRegistry('pytorch/torchserve:0.12.0-cpu'),
      cpuArchitecture: ecs.CpuArchitecture.X86_64,
      cpu: 2048,
      memoryLimitMiB: 4096,
      containerPort: 8080,
      loadBalancerType: LoadBalancerType.NETWORK,
      healthCheckPath: '/ping',
      volumes: [
        WorkloadVolume.bindMount({ name: 'tmp', containerPath: '/home/model-server/tmp' }),
        WorkloadVolume.bindMount({ name: 'logs', containerPath: '/home/model-server/logs' }),
      ],
      // The image's default model store path, read-only, from the bucket (one S3 Files file system).
      modelStore: { mountPath: '/home/model-server/model-store', bucket: this.modelArchives, bucketPrefix: 'torchserve/' },
      minTasks: 2,
      maxTasks: 6,
      targetCpuUtilizationPercent: 55,
      // Operators may open a shell in a task (aws ecs execute-command); sessions are logged.
      enableExec: true,
      // Services of the cluster call it as http://torchserve:8080 (see app.ts), without the NLB.
      serviceConnect: { dnsName: 'torchserve' },
    });
  }
}
