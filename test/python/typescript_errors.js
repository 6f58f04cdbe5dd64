// The TypeScript side of test_errors.py: builds the same invalid inputs with the compiled library
// (lib/, the JavaScript that the Python package runs) and prints each error message as JSON, so that
// the Python tests can assert that a Python user reads exactly the message a TypeScript user reads.
//
// Usage (from the repository root, after `npx projen compile`): node test/python/typescript_errors.js
'use strict';
const path = require('path');
const { App, Duration, Stack } = require('aws-cdk-lib');
const ec2 = require('aws-cdk-lib/aws-ec2');
const ecs = require('aws-cdk-lib/aws-ecs');
const scheduler = require('aws-cdk-lib/aws-scheduler');
const workloads = require(path.join(__dirname, '..', '..', 'lib'));

const image = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/python:3.12-slim');

/** A stack named Test in a new app, with a WorkloadCluster named Cluster (as test_errors.py builds it). */
function setup() {
  const stack = new Stack(new App(), 'Test', { env: { account: '123456789012', region: 'us-east-1' } });
  const cluster = new workloads.WorkloadCluster(stack, 'Cluster');
  return { stack, cluster };
}

function withArm() {
  const s = setup();
  s.cluster.addAsgCapacity('Arm', { instanceType: new ec2.InstanceType('m7g.large'), maxCapacity: 2 });
  return s;
}

const cases = {
  batch_queue_worker_max_tasks_0: () => {
    const { stack, cluster } = setup();
    new workloads.BatchQueueWorker(stack, 'Worker', { cluster, image, maxTasks: 0 });
  },
  batch_queue_worker_output_inside_input: () => {
    const { stack, cluster } = setup();
    new workloads.BatchQueueWorker(stack, 'Worker', { cluster, image, maxTasks: 10, inputPrefix: 'data/', outputPrefix: 'data/out/' });
  },
  inference_service_container_port_65536: () => {
    const { stack, cluster } = setup();
    new workloads.InferenceService(stack, 'Inference', { cluster, image, containerPort: 65536 });
  },
  inference_service_requests_per_target_on_nlb: () => {
    const { stack, cluster } = setup();
    new workloads.InferenceService(stack, 'Inference', {
      cluster, image, loadBalancerType: workloads.LoadBalancerType.NETWORK, requestsPerTarget: 100,
    });
  },
  daemon_agent_without_ec2_capacity: () => {
    const { stack, cluster } = setup();
    new workloads.DaemonAgent(stack, 'Agent', { cluster, image, memoryReservationMiB: 64 });
  },
  daemon_agent_relative_host_path: () => {
    const { stack, cluster } = withArm();
    new workloads.DaemonAgent(stack, 'Agent', {
      cluster, image, memoryReservationMiB: 64, hostMounts: [{ hostPath: 'var/log', containerPath: '/logs' }],
    });
  },
  scheduled_task_flexible_time_window_0: () => {
    const { stack, cluster } = setup();
    new workloads.ScheduledTask(stack, 'Job', {
      cluster, image, schedule: scheduler.ScheduleExpression.rate(Duration.hours(1)), flexibleTimeWindow: Duration.minutes(0),
    });
  },
  scheduled_task_retries_without_timeout: () => {
    const { stack, cluster } = setup();
    new workloads.ScheduledTask(stack, 'Job', {
      cluster, image, schedule: scheduler.ScheduleExpression.rate(Duration.hours(1)), taskRetryAttempts: 2,
    });
  },
  workload_cluster_nat_gateways_3: () => {
    const stack = new Stack(new App(), 'Test', { env: { account: '123456789012', region: 'us-east-1' } });
    new workloads.WorkloadCluster(stack, 'Cluster', { natGateways: 3 });
  },
  workload_cluster_capacity_id_reused: () => {
    const { cluster } = withArm();
    cluster.addAsgCapacity('Arm', { instanceType: new ec2.InstanceType('c7g.large'), maxCapacity: 2 });
  },
};

const messages = {};
for (const [name, make] of Object.entries(cases)) {
  try {
    make();
    messages[name] = null;
  } catch (e) {
    messages[name] = { name: e.name, message: e.message };
  }
}
process.stdout.write(JSON.stringify(messages));
