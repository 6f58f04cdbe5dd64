"""The README's Python section is real: its app is a file these tests run, its claims are checked."""
import re
import runpy

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Template

import cdk_ecs_workloads as workloads
from conftest import IMAGE, REPO

QUICKSTART = REPO / "examples" / "python" / "quickstart.py"


@pytest.fixture(scope="module")
def python_section() -> str:
    readme = (REPO / "README.md").read_text()
    using_it = readme.split("\n## Use it in your app\n", 1)[1].split("\n## ", 1)[0]
    assert "\n### Python\n" in using_it, "README: no '### Python' subsection in '## Use it in your app'"
    return using_it.split("\n### Python\n", 1)[1]


def test_the_readme_app_is_examples_python_quickstart(python_section):
    blocks = re.findall(r"```python\n(.*?)```", python_section, re.S)
    assert blocks == [QUICKSTART.read_text()], (
        "README '### Python': the python block must be examples/python/quickstart.py, exactly"
    )


def test_the_quickstart_synthesizes_a_batch_queue_worker():
    module = runpy.run_path(str(QUICKSTART), run_name="__main__")
    app = module["app"]
    assert isinstance(app, App)
    stack = app.node.find_child("Thumbnails")
    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::ECS::Service", {
        "CapacityProviderStrategy": [{"CapacityProvider": "FARGATE_SPOT", "Weight": 1}],
    })
    template.has_resource_properties("AWS::ApplicationAutoScaling::ScalableTarget", {
        "MinCapacity": 0,
        "MaxCapacity": 10,
    })
    template.resource_count_is("AWS::ECS::Cluster", 1)


def test_the_error_message_quoted_in_the_readme_is_the_one_raised(python_section):
    quoted = re.search(r"`max_tasks=0` raises\s+`([^`]+)`", python_section)
    assert quoted, "README '### Python': no quoted error message for max_tasks=0"
    stack = Stack(App(), "Stack")
    cluster = workloads.WorkloadCluster(stack, "Cluster")
    with pytest.raises(RuntimeError) as raised:
        workloads.BatchQueueWorker(stack, "Worker", cluster=cluster, image=IMAGE, max_tasks=0)
    assert str(raised.value) == quoted.group(1)


def test_the_files_the_section_links_to_exist(python_section):
    links = re.findall(r"\]\(\./([^)#]+)\)", python_section)
    assert links, "README '### Python': no link to the repository's files"
    missing = [link for link in links if not (REPO / link).exists()]
    assert not missing, f"README '### Python' links to missing files: {missing}"
