"""Invalid inputs from Python raise an exception that carries the TypeScript message, word for word.

Each case is built twice with the same construct paths: here with the installed Python package, and
by typescript_errors.js with the compiled TypeScript library. The Python exception must carry the very
message a TypeScript user reads (construct path, prop, value received, what is allowed and the fix),
and each message is also checked for those parts, so that an empty or generic message cannot pass.
"""
import json
import subprocess

import pytest
from aws_cdk import Duration
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_scheduler as scheduler

import cdk_ecs_workloads as workloads
from conftest import IMAGE, REPO, new_cluster, new_stack

HOURLY = scheduler.ScheduleExpression.rate(Duration.hours(1))


def batch_queue_worker_max_tasks_0():
    stack = new_stack()
    workloads.BatchQueueWorker(stack, "Worker", cluster=new_cluster(stack), image=IMAGE, max_tasks=0)


def batch_queue_worker_output_inside_input():
    stack = new_stack()
    workloads.BatchQueueWorker(
        stack, "Worker", cluster=new_cluster(stack), image=IMAGE, max_tasks=10,
        input_prefix="data/", output_prefix="data/out/",
    )


def inference_service_container_port_65536():
    stack = new_stack()
    workloads.InferenceService(stack, "Inference", cluster=new_cluster(stack), image=IMAGE, container_port=65536)


def inference_service_requests_per_target_on_nlb():
    stack = new_stack()
    workloads.InferenceService(
        stack, "Inference", cluster=new_cluster(stack), image=IMAGE,
        load_balancer_type=workloads.LoadBalancerType.NETWORK, requests_per_target=100,
    )


def daemon_agent_without_ec2_capacity():
    stack = new_stack()
    workloads.DaemonAgent(stack, "Agent", cluster=new_cluster(stack), image=IMAGE, memory_reservation_mib=64)


def daemon_agent_relative_host_path():
    stack = new_stack()
    cluster = new_cluster(stack)
    cluster.add_asg_capacity("Arm", instance_type=ec2.InstanceType("m7g.large"), max_capacity=2)
    workloads.DaemonAgent(
        stack, "Agent", cluster=cluster, image=IMAGE, memory_reservation_mib=64,
        host_mounts=[workloads.HostMount(host_path="var/log", container_path="/logs")],
    )


def scheduled_task_flexible_time_window_0():
    stack = new_stack()
    workloads.ScheduledTask(
        stack, "Job", cluster=new_cluster(stack), image=IMAGE, schedule=HOURLY,
        flexible_time_window=Duration.minutes(0),
    )


def scheduled_task_retries_without_timeout():
    stack = new_stack()
    workloads.ScheduledTask(
        stack, "Job", cluster=new_cluster(stack), image=IMAGE, schedule=HOURLY, task_retry_attempts=2,
    )


def workload_cluster_nat_gateways_3():
    new_cluster(new_stack(), nat_gateways=3)


def workload_cluster_capacity_id_reused():
    cluster = new_cluster(new_stack())
    cluster.add_asg_capacity("Arm", instance_type=ec2.InstanceType("m7g.large"), max_capacity=2)
    cluster.add_asg_capacity("Arm", instance_type=ec2.InstanceType("c7g.large"), max_capacity=2)


# (case, parts the message must contain: construct path, prop, value received, what is allowed, fix)
CASES = [
    (batch_queue_worker_max_tasks_0,
     ["Test/Worker: ", "maxTasks", "got 0", "between 1 and 5000", "Give the most tasks"]),
    (batch_queue_worker_output_inside_input,
     ["Test/Worker: ", "outputPrefix 'data/out/' overlaps inputPrefix 'data/'", "give an outputBucket"]),
    (inference_service_container_port_65536,
     ["Test/Inference: ", "containerPort", "got 65536", "between 1 and 65535", "Give the TCP port"]),
    (inference_service_requests_per_target_on_nlb,
     ["Test/Inference: ", "requestsPerTarget (100)", "loadBalancerType is NETWORK", "Remove requestsPerTarget"]),
    (daemon_agent_without_ec2_capacity,
     ["Test/Agent: ", "cluster 'Test/Cluster' has no EC2 capacity", "addAsgCapacity"]),
    (daemon_agent_relative_host_path,
     ["Test/Agent: ", "hostMounts[0].hostPath", "got 'var/log'", "Start it with '/'"]),
    (scheduled_task_flexible_time_window_0,
     ["Test/Job: ", "flexibleTimeWindow", "got 0", "between 1 and 1440 minutes", "leave it unset"]),
    (scheduled_task_retries_without_timeout,
     ["Test/Job: ", "taskRetryAttempts (2) needs timeout", "Set timeout"]),
    (workload_cluster_nat_gateways_3,
     ["Test/Cluster: ", "natGateways", "got 3", "between 0 and 2", "use 0"]),
    (workload_cluster_capacity_id_reused,
     ["Test/Cluster: ", "addAsgCapacity id 'Arm' is already used", "Give each capacity provider its own id"]),
]


@pytest.fixture(scope="module")
def typescript_messages() -> dict:
    """What the TypeScript library says for each case (needs the compiled lib/: npx projen compile)."""
    script = REPO / "test" / "python" / "typescript_errors.js"
    done = subprocess.run(["node", str(script)], cwd=REPO, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{script.name} failed (is lib/ compiled?):\n{done.stderr}"
    return json.loads(done.stdout)


def test_every_case_has_a_typescript_twin(typescript_messages):
    assert sorted(typescript_messages) == sorted(make.__name__ for make, _ in CASES)


@pytest.mark.parametrize("make, parts", CASES, ids=[make.__name__ for make, _ in CASES])
def test_python_error_carries_the_typescript_message(make, parts, typescript_messages):
    typescript = typescript_messages[make.__name__]
    assert typescript is not None, f"{make.__name__}: the TypeScript library accepted this input"
    assert typescript["name"] == "ValidationError"

    # jsii raises an error thrown in JavaScript as a RuntimeError whose text is the error's message;
    # when a method (not a constructor) threw it, jsii puts the error's name in front.
    with pytest.raises(RuntimeError) as raised:
        make()
    assert str(raised.value) in (typescript["message"], f"ValidationError: {typescript['message']}")
    for part in parts:
        assert part in str(raised.value), f"the message lacks {part!r}: {raised.value}"


def test_unknown_keyword_argument_is_a_python_type_error():
    """A misspelled prop fails in Python itself, before any JavaScript runs."""
    stack = new_stack()
    cluster = new_cluster(stack)
    with pytest.raises(TypeError, match="max_task"):
        workloads.BatchQueueWorker(stack, "Worker", cluster=cluster, image=IMAGE, max_task=10)
