"""The Helm chart's worker Deployment: off by default, replicas and concurrency from values."""

from __future__ import annotations

from typing import Any

from tests.service.test_deploy import pod_specs, render


def test_worker_deployment_is_off_by_default_and_renders_replicas_metrics_and_policy() -> None:
    assert not any(name.endswith("-worker") for _, name in render())
    objects: Any = render({"worker": {"enabled": True, "replicas": 3, "concurrency": 12}})
    deployment = objects[("Deployment", "bookrelay-worker")]
    assert deployment["spec"]["replicas"] == 3
    (container,) = pod_specs(objects)["bookrelay-worker"]["containers"]
    assert container["args"] == ["worker", "--concurrency", "12", "--metrics-port", "9464"]
    assert container["ports"] == [{"containerPort": 9464, "name": "metrics", "protocol": "TCP"}]
    assert container["resources"]["limits"] == {"cpu": "1", "memory": "256Mi"}
    volumes = {v["name"]: v for v in pod_specs(objects)["bookrelay-worker"]["volumes"]}
    assert "persistentVolumeClaim" not in volumes["data"]  # replicas on any node: no shared volume
    policy = objects[("NetworkPolicy", "bookrelay-worker")]["spec"]
    assert policy["ingress"] == [{"ports": [{"protocol": "TCP", "port": 9464}]}]
    assert {"protocol": "TCP", "port": 5432} in policy["egress"][-1]["ports"]
