import { Duration, Stack } from 'aws-cdk-lib';
import * as applicationautoscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as patterns from 'aws-cdk-lib/aws-ecs-patterns';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import { Construct } from 'constructs';
import { IMAGE, WORKLOADS } from './shared';

/**
 * The same workloads written the way a user would with aws-cdk-lib alone: aws-ecs-patterns and L2s,
 * each with the settings needed to be equivalent in function (not in hardening) to ours.
 */
export class BaselineStack extends Stack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    const vpc = new ec2.Vpc(this, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const cluster = new ecs.Cluster(this, 'Cluster', { vpc, containerInsightsV2: ecs.ContainerInsights.ENHANCED });
    cluster.addCapacity('Graviton', {
      instanceType: new ec2.InstanceType('m7g.large'),
      machineImage: ecs.EcsOptimizedImage.amazonLinux2023(ecs.AmiHardwareType.ARM),
      minCapacity: 1,
      maxCapacity: 4,
    });
    const image = ecs.ContainerImage.fromRegistry(IMAGE);

    // S3-triggered queue worker
    const worker = new Construct(this, WORKLOADS[0]);
    const bucket = new s3.Bucket(worker, 'Input', { enforceSSL: true });
    const queueWorker = new patterns.QueueProcessingFargateService(worker, 'Service', {
      cluster, image, maxScalingCapacity: 10, minScalingCapacity: 0,
    });
    bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.SqsDestination(queueWorker.sqsQueue), { prefix: 'uploads/' });
    bucket.grantRead(queueWorker.taskDefinition.taskRole);

    // ALB inference service with an EFS model store
    const inference = new Construct(this, WORKLOADS[1]);
    const fileSystem = new efs.FileSystem(inference, 'Models', { vpc, encrypted: true });
    const alb = new patterns.ApplicationLoadBalancedFargateService(inference, 'Service', {
      cluster, taskImageOptions: { image, containerPort: 8080 }, publicLoadBalancer: false, desiredCount: 1,
      circuitBreaker: { rollback: true }, healthCheckGracePeriod: Duration.minutes(5),
    });
    alb.taskDefinition.addVolume({
      name: 'models',
      efsVolumeConfiguration: { fileSystemId: fileSystem.fileSystemId, transitEncryption: 'ENABLED' },
    });
    alb.taskDefinition.defaultContainer!.addMountPoints({ sourceVolume: 'models', containerPath: '/models', readOnly: true });
    fileSystem.connections.allowDefaultPortFrom(alb.service);
    alb.service.autoScaleTaskCount({ maxCapacity: 4 }).scaleOnRequestCount('Requests', {
      requestsPerTarget: 100, targetGroup: alb.targetGroup,
    });

    // NLB service
    const nlb = new patterns.NetworkLoadBalancedFargateService(new Construct(this, WORKLOADS[2]), 'Service', {
      cluster, taskImageOptions: { image, containerPort: 8080 }, publicLoadBalancer: false, desiredCount: 1,
      circuitBreaker: { rollback: true },
    });
    nlb.service.autoScaleTaskCount({ maxCapacity: 4 }).scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: 60 });

    // Daemon agent on the EC2 capacity
    const daemon = new Construct(this, WORKLOADS[3]);
    const agentTask = new ecs.Ec2TaskDefinition(daemon, 'TaskDefinition');
    agentTask.addContainer('agent', {
      image, memoryReservationMiB: 128,
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'agent' }),
    });
    new ecs.Ec2Service(daemon, 'Service', { cluster, taskDefinition: agentTask, daemon: true });

    // Nightly scheduled task
    new patterns.ScheduledFargateTask(new Construct(this, WORKLOADS[4]), 'Task', {
      cluster,
      schedule: applicationautoscaling.Schedule.cron({ hour: '2', minute: '0' }),
      scheduledFargateTaskImageOptions: { image, cpu: 256, memoryLimitMiB: 512 },
    });
  }
}
