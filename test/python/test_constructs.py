"""Every construct from Python: its defaults, and overrides passed the Python way.

What crosses the language boundary here: struct props as keyword arguments (and as struct classes
such as HostMount), enums, Duration, datetime, optional props left out, optional members read as None,
methods with keyword arguments (add_asg_capacity, Capacity.fargate_spot), and members typed as the
aws-cdk-lib classes a Python user checks with isinstance.
"""
from datetime import datetime, timezone

import pytest
from aws_cdk import Duration, TimeZone
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Match, Template

import cdk_ecs_workloads as workloads
from conftest import IMAGE, add_arm_capacity, environment, main_container, new_cluster, new_stack

NIGHTLY = scheduler.ScheduleExpression.cron(hour="2", minute="30", time_zone=TimeZone.EUROPE_BERLIN)


def assert_task_count(template: Template, minimum: int, maximum: int) -> None:
    template.has_resource_properties("AWS::ApplicationAutoScaling::ScalableTarget", {
        "MinCapacity": minimum,
        "MaxCapacity": maximum,
        "ScalableDimension": "ecs:service:DesiredCount",
    })


# --- WorkloadCluster -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def default_cluster():
    stack = new_stack()
    cluster = new_cluster(stack)
    return cluster, Template.from_stack(stack)


def test_cluster_defaults(default_cluster):
    cluster, template = default_cluster
    template.has_resource_properties("AWS::ECS::Cluster", {
        "ClusterSettings": [{"Name": "containerInsights", "Value": "enhanced"}],
    })
    template.has_resource_properties("AWS::ECS::ClusterCapacityProviderAssociations", {
        "CapacityProviders": ["FARGATE", "FARGATE_SPOT"],
    })
    template.resource_count_is("AWS::EC2::NatGateway", 1)
    template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    template.resource_count_is("AWS::AutoScaling::AutoScalingGroup", 0)
    assert template.find_outputs("*") == {}
    assert isinstance(cluster.cluster, ecs.Cluster)
    assert isinstance(cluster.vpc, ec2.Vpc)
    assert isinstance(cluster.encryption_key, kms.Key)
    assert cluster.asg_capacity == []


def test_cluster_overrides():
    stack = new_stack()
    cluster = new_cluster(stack, nat_gateways=2, flow_log_retention=logs.RetentionDays.THREE_MONTHS)
    provider = cluster.add_asg_capacity(
        "Spot",
        instance_type=ec2.InstanceType("m7g.large"),
        additional_instance_types=[ec2.InstanceType("c7g.large")],
        spot=True,
        min_capacity=1,
        max_capacity=3,
        instance_warmup_period=Duration.minutes(5),
    )
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::EC2::NatGateway", 2)
    template.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 90})
    template.has_resource_properties("AWS::AutoScaling::AutoScalingGroup", {
        "MinSize": "1",
        "MaxSize": "3",
        "MixedInstancesPolicy": Match.object_like({
            "InstancesDistribution": {
                "OnDemandBaseCapacity": 0,
                "OnDemandPercentageAboveBaseCapacity": 0,
                "SpotAllocationStrategy": "price-capacity-optimized",
            },
        }),
    })
    template.has_resource_properties("AWS::ECS::CapacityProvider", {
        "AutoScalingGroupProvider": Match.object_like({
            "ManagedScaling": Match.object_like({"InstanceWarmupPeriod": 300}),
        }),
    })
    # add_asg_capacity returns the capacity provider and records it, with its facts, as a struct.
    # (Each crossing of the language boundary gives a new Python proxy: compare constructs by path.)
    assert isinstance(provider, ecs.AsgCapacityProvider)
    [capacity] = cluster.asg_capacity
    assert capacity.capacity_provider.node.path == provider.node.path == "Test/Cluster/Spot/CapacityProvider"
    assert capacity.spot is True
    assert capacity.gpu is False
    assert [t.to_string() for t in capacity.instance_types] == ["m7g.large", "c7g.large"]


# --- BatchQueueWorker ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def default_worker():
    stack = new_stack()
    cluster = new_cluster(stack)
    worker = workloads.BatchQueueWorker(stack, "Worker", cluster=cluster, image=IMAGE, max_tasks=10)
    return worker, Template.from_stack(stack)


def test_batch_queue_worker_defaults(default_worker):
    worker, template = default_worker
    template.has_resource_properties("AWS::ECS::Service", {
        "CapacityProviderStrategy": [{"CapacityProvider": "FARGATE_SPOT", "Weight": 1}],
        "DesiredCount": Match.absent(),
        "NetworkConfiguration": {"AwsvpcConfiguration": Match.object_like({"AssignPublicIp": "DISABLED"})},
    })
    template.has_resource_properties("AWS::ApplicationAutoScaling::ScalableTarget", {
        "MinCapacity": 0,
        "MaxCapacity": 10,
        "ScalableDimension": "ecs:service:DesiredCount",
    })
    # The default jobTimeout is 15 minutes; the queue hides a message 2 minutes longer.
    template.has_resource_properties("AWS::SQS::Queue", {
        "VisibilityTimeout": 1020,
        "RedrivePolicy": Match.object_like({"maxReceiveCount": 3}),
    })
    template.resource_count_is("AWS::Lambda::Function", 0)
    container = main_container(template)
    assert container["StopTimeout"] == 120
    assert environment(container)["JOB_TIMEOUT_SECONDS"] == "900"
    assert environment(container)["INPUT_PREFIX"] == ""
    assert isinstance(worker.service, ecs.FargateService)
    assert isinstance(worker.queue, sqs.Queue)
    assert isinstance(worker.dead_letter_queue, sqs.Queue)
    assert worker.input_bucket is not None


def test_batch_queue_worker_overrides():
    stack = new_stack()
    cluster = new_cluster(stack)
    worker = workloads.BatchQueueWorker(
        stack,
        "Worker",
        cluster=cluster,
        image=IMAGE,
        command=["python", "-m", "worker"],
        cpu=1024,
        memory_limit_mib=2048,
        input_prefix="incoming/",
        input_suffix=".pdf",
        output_prefix="converted/",
        job_timeout=Duration.minutes(20),
        min_tasks=1,
        max_tasks=25,
        capacity=workloads.Capacity.fargate(),
        environment={"LOG_LEVEL": "debug"},
    )
    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::ECS::Service", {
        "CapacityProviderStrategy": [{"CapacityProvider": "FARGATE", "Weight": 1}],
    })
    assert_task_count(template, 1, 25)
    template.has_resource_properties("AWS::SQS::Queue", {"VisibilityTimeout": 1320})
    template.has_resource_properties("AWS::Events::Rule", {
        "EventPattern": Match.object_like({
            "detail": Match.object_like({"object": {"key": [{"wildcard": "incoming/*.pdf"}]}}),
        }),
    })
    template.has_resource_properties("AWS::ECS::TaskDefinition", {"Cpu": "1024", "Memory": "2048"})
    container = main_container(template)
    assert container["Command"] == ["python", "-m", "worker"]
    env = environment(container)
    assert env["JOB_TIMEOUT_SECONDS"] == "1200"
    assert env["INPUT_PREFIX"] == "incoming/"
    assert env["OUTPUT_PREFIX"] == "converted/"
    assert env["LOG_LEVEL"] == "debug"
    assert isinstance(worker.service, ecs.FargateService)


# --- InferenceService ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def default_inference():
    stack = new_stack()
    cluster = new_cluster(stack)
    service = workloads.InferenceService(stack, "Inference", cluster=cluster, image=IMAGE)
    return service, Template.from_stack(stack)


def test_inference_service_defaults(default_inference):
    service, template = default_inference
    template.has_resource_properties("AWS::ElasticLoadBalancingV2::LoadBalancer", {
        "Type": "application",
        "Scheme": "internal",
    })
    template.resource_count_is("AWS::ElasticLoadBalancingV2::Listener", 1)
    template.has_resource_properties("AWS::ElasticLoadBalancingV2::Listener", {"Port": 80, "Protocol": "HTTP"})
    template.has_resource_properties("AWS::ElasticLoadBalancingV2::TargetGroup", {
        "TargetType": "ip",
        "Port": 8080,
        "HealthCheckPath": "/health",
    })
    assert_task_count(template, 1, 4)
    template.has_resource_properties("AWS::ApplicationAutoScaling::ScalingPolicy", {
        "TargetTrackingScalingPolicyConfiguration": Match.object_like({
            "PredefinedMetricSpecification": Match.object_like({"PredefinedMetricType": "ALBRequestCountPerTarget"}),
            "TargetValue": 60,
        }),
    })
    template.has_resource_properties("AWS::ECS::Service", {"HealthCheckGracePeriodSeconds": 300})
    template.resource_count_is("AWS::EFS::FileSystem", 0)
    assert service.container_port == 8080
    assert service.listener_port == 80
    assert isinstance(service.service, ecs.FargateService)
    assert isinstance(service.load_balancer, elbv2.ApplicationLoadBalancer)
    assert service.file_system is None


def test_inference_service_overrides():
    stack = new_stack()
    cluster = new_cluster(stack)
    service = workloads.InferenceService(
        stack,
        "Inference",
        cluster=cluster,
        image=IMAGE,
        load_balancer_type=workloads.LoadBalancerType.NETWORK,
        container_port=9000,
        cpu_architecture=ecs.CpuArchitecture.X86_64,
        health_check_path="/ping",
        health_check_grace_period=Duration.minutes(10),
        min_tasks=2,
        max_tasks=6,
        target_cpu_utilization_percent=55,
        volumes=[workloads.WorkloadVolume.bind_mount(name="tmp", container_path="/tmp")],
    )
    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::ElasticLoadBalancingV2::LoadBalancer", {"Type": "network"})
    template.has_resource_properties("AWS::ElasticLoadBalancingV2::Listener", {"Port": 80, "Protocol": "TCP"})
    template.has_resource_properties("AWS::ElasticLoadBalancingV2::TargetGroup", {
        "Protocol": "TCP",
        "Port": 9000,
        "HealthCheckPath": "/ping",
    })
    template.has_resource_properties("AWS::ECS::Service", {"HealthCheckGracePeriodSeconds": 600})
    template.has_resource_properties("AWS::ECS::TaskDefinition", {
        "RuntimePlatform": {"CpuArchitecture": "X86_64", "OperatingSystemFamily": "LINUX"},
        "Volumes": [{"Name": "tmp"}],
    })
    assert_task_count(template, 2, 6)
    template.resource_count_is("AWS::ApplicationAutoScaling::ScalingPolicy", 1)
    template.has_resource_properties("AWS::ApplicationAutoScaling::ScalingPolicy", {
        "TargetTrackingScalingPolicyConfiguration": Match.object_like({
            "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
            "TargetValue": 55,
        }),
    })
    assert main_container(template)["MountPoints"] == [
        {"SourceVolume": "tmp", "ContainerPath": "/tmp", "ReadOnly": False},
    ]
    assert isinstance(service.load_balancer, elbv2.NetworkLoadBalancer)
    assert service.container_port == 9000


def test_inference_service_model_store():
    stack = new_stack()
    cluster = new_cluster(stack)
    service = workloads.InferenceService(
        stack,
        "Inference",
        cluster=cluster,
        image=IMAGE,
        model_store=workloads.InferenceModelStoreOptions(mount_path="/models"),
    )
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::EFS::FileSystem", 1)
    template.has_resource_properties("AWS::EFS::AccessPoint", {"RootDirectory": Match.object_like({"Path": "/models"})})
    [mount] = main_container(template)["MountPoints"]
    assert (mount["ContainerPath"], mount["ReadOnly"]) == ("/models", True)
    assert environment(main_container(template))["MODEL_DIR"] == "/models"
    assert service.file_system is not None


# --- DaemonAgent -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def default_agent():
    stack = new_stack()
    cluster = new_cluster(stack)
    arm = add_arm_capacity(cluster)
    agent = workloads.DaemonAgent(stack, "Agent", cluster=cluster, image=IMAGE, memory_reservation_mib=64)
    return agent, arm, Template.from_stack(stack)


def test_daemon_agent_defaults(default_agent):
    agent, arm, template = default_agent
    template.resource_count_is("AWS::ECS::Service", 1)
    template.has_resource_properties("AWS::ECS::Service", {
        "SchedulingStrategy": "DAEMON",
        "LaunchType": "EC2",
        "DesiredCount": Match.absent(),
        "CapacityProviderStrategy": Match.absent(),
        "PlacementConstraints": [
            {"Type": "memberOf", "Expression": "attribute:ecs.instance-type in [m7g.large, c7g.large]"},
        ],
    })
    template.has_resource_properties("AWS::ECS::TaskDefinition", {
        "NetworkMode": "bridge",
        "RequiresCompatibilities": ["EC2"],
    })
    container = main_container(template)
    assert (container["MemoryReservation"], container["ReadonlyRootFilesystem"]) == (64, True)
    assert "MountPoints" not in container
    assert agent.capacity_provider.node.path == arm.node.path
    assert isinstance(agent.service, ecs.Ec2Service)
    assert agent.container.container_name == "main"
    running = agent.metric_running_task_count()
    assert (running.namespace, running.metric_name, running.statistic) == (
        "ECS/ContainerInsights", "RunningTaskCount", "Minimum",
    )


def test_daemon_agent_overrides():
    stack = new_stack()
    cluster = new_cluster(stack)
    add_arm_capacity(cluster)
    workloads.DaemonAgent(
        stack,
        "Agent",
        cluster=cluster,
        image=IMAGE,
        cpu=128,
        memory_reservation_mib=64,
        memory_limit_mib=256,
        host_mounts=[
            workloads.HostMount(host_path="/var/log", container_path="/host/var/log"),
            workloads.HostMount(
                host_path="/var/lib/fluent-bit", container_path="/state", read_only=False, name="state"
            ),
        ],
        log_retention=logs.RetentionDays.ONE_MONTH,
        user="root",
    )
    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::ECS::TaskDefinition", {
        "Volumes": [
            {"Name": "host-var-log", "Host": {"SourcePath": "/var/log"}},
            {"Name": "state", "Host": {"SourcePath": "/var/lib/fluent-bit"}},
        ],
    })
    template.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 30})
    container = main_container(template)
    assert container["MountPoints"] == [
        {"SourceVolume": "host-var-log", "ContainerPath": "/host/var/log", "ReadOnly": True},
        {"SourceVolume": "state", "ContainerPath": "/state", "ReadOnly": False},
    ]
    assert (container["Cpu"], container["MemoryReservation"], container["Memory"], container["User"]) == (
        128, 64, 256, "root",
    )


# --- ScheduledTask ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def default_job():
    stack = new_stack()
    cluster = new_cluster(stack)
    job = workloads.ScheduledTask(stack, "Job", cluster=cluster, image=IMAGE, schedule=NIGHTLY)
    return job, Template.from_stack(stack)


def test_scheduled_task_defaults(default_job):
    job, template = default_job
    template.resource_count_is("AWS::Scheduler::Schedule", 1)
    template.has_resource_properties("AWS::Scheduler::Schedule", {
        "ScheduleExpression": "cron(30 2 * * ? *)",
        "ScheduleExpressionTimezone": "Europe/Berlin",
        "State": "ENABLED",
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "Target": Match.object_like({
            "RetryPolicy": {"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 185},
            "EcsParameters": Match.object_like({
                "CapacityProviderStrategy": [{"CapacityProvider": "FARGATE", "Weight": 1}],
            }),
        }),
    })
    template.has_resource_properties("AWS::ECS::TaskDefinition", {
        "Cpu": "256",
        "Memory": "512",
        "RuntimePlatform": {"CpuArchitecture": "ARM64", "OperatingSystemFamily": "LINUX"},
    })
    template.resource_count_is("AWS::StepFunctions::StateMachine", 0)
    assert job.state_machine is None
    assert job.capacity.is_fargate is True
    failed = job.metric_failed_runs()
    assert (failed.namespace, failed.metric_name, failed.statistic) == ("AWS/Events", "TriggeredRules", "Sum")
    dlq = job.metric_dead_letter_messages(period=Duration.minutes(1))
    assert dlq.period.to_minutes() == 1


def test_scheduled_task_overrides():
    stack = new_stack()
    cluster = new_cluster(stack)
    job = workloads.ScheduledTask(
        stack,
        "Job",
        cluster=cluster,
        image=IMAGE,
        schedule=scheduler.ScheduleExpression.rate(Duration.hours(6)),
        capacity=workloads.Capacity.fargate_spot(on_demand_base=0, on_demand_weight=1, spot_weight=3),
        flexible_time_window=Duration.minutes(15),
        max_event_age=Duration.hours(24),
        max_retry_attempts=0,
        timeout=Duration.hours(2),
        task_retry_attempts=2,
        cpu=512,
        memory_limit_mib=1024,
    )
    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::Scheduler::Schedule", {
        "ScheduleExpression": "rate(6 hours)",
        "FlexibleTimeWindow": {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15},
        "Target": Match.object_like({"RetryPolicy": {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 0}}),
    })
    # With timeout, the schedule starts a state machine that runs the task to completion and retries it.
    template.resource_count_is("AWS::StepFunctions::StateMachine", 1)
    template.has_resource_properties("AWS::ECS::TaskDefinition", {"Cpu": "512", "Memory": "1024"})
    assert job.state_machine is not None
    assert job.capacity.uses_spot is True
    assert [(s.capacity_provider, s.weight, s.base) for s in job.capacity.strategies] == [
        ("FARGATE_SPOT", 3, None),
        ("FARGATE", 1, 0),
    ]


def test_scheduled_task_one_time_schedule_from_a_python_datetime():
    stack = new_stack()
    cluster = new_cluster(stack)
    when = datetime(2099, 1, 1, 6, 0, tzinfo=timezone.utc)
    workloads.ScheduledTask(
        stack,
        "Job",
        cluster=cluster,
        image=IMAGE,
        schedule=scheduler.ScheduleExpression.at(when, TimeZone.ASIA_TOKYO),
    )
    Template.from_stack(stack).has_resource_properties("AWS::Scheduler::Schedule", {
        "ScheduleExpression": "at(2099-01-01T06:00:00)",
        "ScheduleExpressionTimezone": "Asia/Tokyo",
    })
