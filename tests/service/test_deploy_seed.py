"""Replacing hardcover-sync: deploy/kubernetes/hardcover-sync/ and the Helm chart's hardcoverSync render
seed 000's CronJob as written, checked point by point against what the seed states."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bookrelay.config import load_config
from bookrelay.config.jobs import jobs_for
from tests.conftest import PROJECT_ROOT
from tests.service.test_deploy import (
    UID,
    Objects,
    _egress_targets,
    index,
    pod_specs,
    render,
    without_annotations,
)

SEED = PROJECT_ROOT / "deploy" / "kubernetes" / "hardcover-sync"
NAME = "hardcover-sync"
# What seed 000 states about its CronJob.
# The seed's CPU; memory as benchmarks/footprint.py measures a seed-style run (~95 MiB peak), not the
# seed's 32Mi/64Mi, under which the process is OOM-killed.
SEED_RESOURCES = {"requests": {"cpu": "25m", "memory": "96Mi"}, "limits": {"cpu": "100m", "memory": "128Mi"}}
SEED_DEFAULTS = {
    "BOOKSHELF_URL": "http://bookshelf:8787",
    "RREADING_GLASSES_URL": "http://rreading-glasses:8080",
    "DATABASE_PATH": "/data/hardcover-sync.db",
}
SEED_SECRETS = {"HARDCOVER_API_KEY", "BOOKSHELF_API_KEY"}
SEED_EGRESS = {
    ("dns:kube-dns@any-namespace", "UDP", 53),
    ("dns:kube-dns@any-namespace", "TCP", 53),
    ("rreading-glasses", "TCP", 8080),
    ("bookshelf", "TCP", 8787),
    ("cidr:0.0.0.0/0", "TCP", 443),
}


def seed_manifests() -> Objects:
    listed = yaml.safe_load((SEED / "kustomization.yaml").read_text())["resources"]
    documents: list[Any] = []
    for name in listed:
        documents.extend(yaml.safe_load_all((SEED / name).read_text()))
    return index(documents)


def seed_chart() -> Objects:
    return render(
        {"hardcoverSync": {"enabled": True}, "cronjob": {"enabled": False}, "serve": {"enabled": False}}
    )


def _only_seed(objects: Objects) -> Objects:
    return {key: obj for key, obj in objects.items() if key[1].startswith(NAME)}


@pytest.fixture(scope="module", params=["manifests", "helm"])
def objects(request: pytest.FixtureRequest) -> Objects:
    return seed_manifests() if request.param == "manifests" else _only_seed(seed_chart())


def _container(objects: Objects) -> dict[str, Any]:
    (container,) = pod_specs(objects)[NAME]["containers"]
    return dict(container)


def test_seed_objects_are_the_cronjob_its_configmap_volume_and_policy(objects: Objects) -> None:
    assert set(objects) == {
        ("ConfigMap", "hardcover-sync-config"),
        ("PersistentVolumeClaim", "hardcover-sync-data"),
        ("CronJob", NAME),
        ("NetworkPolicy", NAME),
    }
    for obj in objects.values():
        assert obj["metadata"]["labels"]["app.kubernetes.io/name"] == NAME


def test_seed_cronjob_runs_every_two_hours_keeping_3_and_3_with_the_image_default_command(
    objects: Objects,
) -> None:
    cron = objects[("CronJob", NAME)]["spec"]
    assert cron["schedule"] == "0 */2 * * *"
    assert cron["successfulJobsHistoryLimit"] == 3 and cron["failedJobsHistoryLimit"] == 3
    assert cron["concurrencyPolicy"] == "Forbid"
    container = _container(objects)
    # The image's own command (serve), which SYNC_INTERVAL=0 turns into one run of every configured job.
    assert "args" not in container and "command" not in container
    pod_labels = cron["jobTemplate"]["spec"]["template"]["metadata"]["labels"]
    assert pod_labels["app.kubernetes.io/name"] == NAME


def test_seed_environment_comes_from_the_configmap_and_the_secret_with_the_seed_defaults(
    objects: Objects,
) -> None:
    container = _container(objects)
    refs = [next(iter(source.values()))["name"] for source in container["envFrom"]]
    assert refs == ["hardcover-sync-config", "hardcover-sync-secrets"]
    data = objects[("ConfigMap", "hardcover-sync-config")]["data"]
    assert data == {"SYNC_INTERVAL": "0", **SEED_DEFAULTS}
    assert not SEED_SECRETS & set(data)  # keys live in the Secret only


def test_seed_pod_runs_as_65532_read_only_without_capabilities_with_the_seed_resources(
    objects: Objects,
) -> None:
    spec = pod_specs(objects)[NAME]
    pod = spec["securityContext"]
    assert pod["runAsNonRoot"] is True
    assert pod["runAsUser"] == pod["runAsGroup"] == pod["fsGroup"] == UID
    container = _container(objects)
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert container["resources"] == SEED_RESOURCES
    # The ledger is on the 100Mi claim, the only writable path.
    (mount,) = container["volumeMounts"]
    (volume,) = spec["volumes"]
    assert mount == {"name": volume["name"], "mountPath": "/data"}
    assert volume["persistentVolumeClaim"]["claimName"] == "hardcover-sync-data"
    assert SEED_DEFAULTS["DATABASE_PATH"].startswith(mount["mountPath"] + "/")
    claim = objects[("PersistentVolumeClaim", "hardcover-sync-data")]["spec"]
    assert claim["resources"]["requests"]["storage"] == "100Mi"


def test_seed_network_policy_has_no_ingress_and_egress_only_to_dns_rrg_bookshelf_and_443(
    objects: Objects,
) -> None:
    policy = objects[("NetworkPolicy", NAME)]
    assert set(policy["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    assert policy["spec"]["ingress"] == []
    assert _egress_targets(policy) == SEED_EGRESS
    pod_labels = objects[("CronJob", NAME)]["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= pod_labels.items()


def test_seed_secret_template_and_sealed_secret_example_hold_the_two_keys() -> None:
    secret = yaml.safe_load((SEED / "secret.template.yaml").read_text())
    assert secret["kind"] == "Secret" and secret["metadata"]["name"] == "hardcover-sync-secrets"
    assert set(secret["stringData"]) == SEED_SECRETS
    assert set(secret["stringData"].values()) == {"CHANGE-ME"}
    sealed = yaml.safe_load((SEED / "sealedsecret.example.yaml").read_text())
    assert sealed["apiVersion"] == "bitnami.com/v1alpha1" and sealed["kind"] == "SealedSecret"
    assert (
        sealed["metadata"]["name"]
        == sealed["spec"]["template"]["metadata"]["name"]
        == secret["metadata"]["name"]
    )
    assert set(sealed["spec"]["encryptedData"]) == SEED_SECRETS
    listed = yaml.safe_load((SEED / "kustomization.yaml").read_text())["resources"]
    assert "secret.template.yaml" not in listed and "sealedsecret.example.yaml" not in listed


def test_helm_renders_the_same_seed_objects_as_the_manifests() -> None:
    raw, chart = seed_manifests(), _only_seed(seed_chart())
    assert set(raw) == set(chart)
    for key, obj in raw.items():
        assert without_annotations(chart[key]) == without_annotations(obj), key
    created = render({"hardcoverSync": {"enabled": True, "secret": {"create": True, "values": {"A": "b"}}}})
    assert created[("Secret", "hardcover-sync-secrets")]["stringData"] == {"A": "b"}


def test_seed_environment_is_a_valid_config_that_runs_the_wanted_job_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = seed_manifests()[("ConfigMap", "hardcover-sync-config")]["data"]
    env = {**data, **dict.fromkeys(SEED_SECRETS, "seed-test-value")}
    monkeypatch.chdir(tmp_path)  # no config file, as in the container
    config = load_config(None, env)
    (user,) = config.users
    assert jobs_for(config, user) == ("wanted",)
    assert config.database_url == f"sqlite:///{SEED_DEFAULTS['DATABASE_PATH']}"
    assert config.global_.bookshelf.url == SEED_DEFAULTS["BOOKSHELF_URL"]
    assert config.global_.rreading_glasses.url == SEED_DEFAULTS["RREADING_GLASSES_URL"]
