from aws_cdk import App, Stack
from aws_cdk import aws_ecs as ecs
from constructs import Construct

import cdk_ecs_workloads as workloads


class ThumbnailStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        cluster = workloads.WorkloadCluster(self, "Cluster")
        workloads.BatchQueueWorker(
            self,
            "Thumbnails",
            cluster=cluster,
            image=ecs.ContainerImage.from_registry("public.ecr.aws/docker/library/busybox:stable"),
            input_prefix="uploads/",
            max_tasks=10,
        )


app = App()
ThumbnailStack(app, "Thumbnails")
app.synth()
