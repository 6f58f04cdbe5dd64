"""Shared helpers of the Python tests: they use the installed cdk_ecs_workloads package, as a user would.

Run from the repository root, in a virtual environment where the built wheel is installed:

    python -m pytest test/python
"""
from pathlib import Path

from aws_cdk import App, Environment, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk.assertions import Template

import cdk_ecs_workloads as workloads

REPO = Path(__file__).resolve().parents[2]
IMAGE = ecs.ContainerImage.from_registry("public.ecr.aws/docker/library/python:3.12-slim")


def new_stack() -> Stack:
    """A stack named Test in a new app, in a fixed account and Region (as the TypeScript tests use)."""
    return Stack(App(), "Test", env=Environment(account="123456789012", region="us-east-1"))


def new_cluster(stack: Stack, **kwargs) -> workloads.WorkloadCluster:
    return workloads.WorkloadCluster(stack, "Cluster", **kwargs)


def add_arm_capacity(cluster: workloads.WorkloadCluster) -> ecs.AsgCapacityProvider:
    return cluster.add_asg_capacity(
        "Arm",
        instance_type=ec2.InstanceType("m7g.large"),
        additional_instance_types=[ec2.InstanceType("c7g.large")],
        max_capacity=2,
    )


def resources(template: Template, resource_type: str) -> list:
    """The Properties of every resource of a type."""
    return [r.get("Properties", {}) for r in template.find_resources(resource_type).values()]


def main_container(template: Template) -> dict:
    [task_definition] = resources(template, "AWS::ECS::TaskDefinition")
    return task_definition["ContainerDefinitions"][0]


def environment(container: dict) -> dict:
    return {e["Name"]: e["Value"] for e in container.get("Environment", [])}
