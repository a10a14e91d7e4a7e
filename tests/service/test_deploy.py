"""Packaging: the Kubernetes manifests, the Helm chart rendered by Helm itself (its Go engine, through
the helm-python-sdk wheel), the Dockerfile and docker-compose.yml."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from bookrelay.config import RreadingGlassesSettings, load_config
from tests.conftest import IN_CI, PROJECT_ROOT

KUBE = PROJECT_ROOT / "deploy" / "kubernetes"
CHART = PROJECT_ROOT / "deploy" / "helm" / "bookrelay"
UID = 65532
# What each pod needs, as benchmarks/footprint.py measures it (the seed's 32Mi/64Mi is too little).
RESOURCES = {
    "bookrelay-sync": {
        "requests": {"cpu": "25m", "memory": "96Mi"},
        "limits": {"cpu": "100m", "memory": "192Mi"},
    },
    "bookrelay": {
        "requests": {"cpu": "50m", "memory": "128Mi"},
        "limits": {"cpu": "500m", "memory": "256Mi"},
    },
}
SECRET_ENV = {
    "HARDCOVER_TOKEN": "hc_pat_deploy_test",
    "ABS_TOKEN": "abs-deploy-test-key",
    "BOOKRELAY_SECRET_KEY": "Ym9va3JlbGF5IHRlc3Qga2V5LCBub3QgYSBzZWNyZXQ=",
}

Objects = dict[tuple[str, str], dict[str, Any]]


def index(documents: list[Any]) -> Objects:
    return {(d["kind"], d["metadata"]["name"]): d for d in documents if d}


def manifests() -> Objects:
    listed = yaml.safe_load((KUBE / "kustomization.yaml").read_text())["resources"]
    documents: list[Any] = []
    for name in listed:
        documents.extend(yaml.safe_load_all((KUBE / name).read_text()))
    return index(documents)


def render(values: dict[str, Any] | None = None) -> Objects:
    try:
        import helm_python as helm
    except ImportError:
        if IN_CI:
            pytest.fail("helm-python-sdk (the dev extra) is missing in CI")
        pytest.skip("helm-python-sdk is not installed (it ships Helm for linux x86_64 only)")
    with helm.Chart.load(str(CHART)) as chart:
        rendered = chart.render(values or {}, name="bookrelay", namespace="books")
    documents: list[Any] = []
    for path, text in rendered.items():
        if path.endswith(".yaml"):
            documents.extend(yaml.safe_load_all(text))
    return index(documents)


def pod_specs(objects: Objects) -> dict[str, dict[str, Any]]:
    specs = {}
    for (kind, name), obj in objects.items():
        if kind == "CronJob":
            specs[name] = obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        elif kind == "Deployment":
            specs[name] = obj["spec"]["template"]["spec"]
    return specs


def without_annotations(obj: dict[str, Any]) -> dict[str, Any]:
    spec = copy.deepcopy(obj.get("spec") or obj.get("data") or obj.get("stringData"))
    if obj["kind"] == "Deployment":
        spec["template"]["metadata"].pop("annotations", None)  # Helm adds a config checksum
    return spec


@pytest.fixture(scope="module", params=["manifests", "helm"])
def objects(request: pytest.FixtureRequest) -> Objects:
    return manifests() if request.param == "manifests" else render()


def test_every_object_is_there(objects: Objects) -> None:
    assert set(objects) == {
        ("ConfigMap", "bookrelay"),
        ("PersistentVolumeClaim", "bookrelay-data"),
        ("CronJob", "bookrelay-sync"),
        ("Deployment", "bookrelay"),
        ("Service", "bookrelay"),
        ("NetworkPolicy", "bookrelay-sync"),
        ("NetworkPolicy", "bookrelay"),
    }


def test_pods_run_as_65532_read_only_without_capabilities_and_with_the_measured_resources(
    objects: Objects,
) -> None:
    specs = pod_specs(objects)
    assert set(specs) == {"bookrelay-sync", "bookrelay"}
    for name, spec in specs.items():
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True
        assert pod["runAsUser"] == pod["runAsGroup"] == pod["fsGroup"] == UID
        assert spec["automountServiceAccountToken"] is False
        (container,) = spec["containers"]
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True
        assert security["allowPrivilegeEscalation"] is False
        assert security["capabilities"] == {"drop": ["ALL"]}
        assert container["resources"] == RESOURCES[name]
        writable = [m["mountPath"] for m in container["volumeMounts"] if not m.get("readOnly")]
        assert writable == ["/data"]  # the only writable path


def test_cronjob_syncs_every_user_every_two_hours_keeping_3_and_3(objects: Objects) -> None:
    cron = objects[("CronJob", "bookrelay-sync")]["spec"]
    assert cron["schedule"] == "0 */2 * * *"
    assert cron["successfulJobsHistoryLimit"] == 3 and cron["failedJobsHistoryLimit"] == 3
    assert cron["concurrencyPolicy"] == "Forbid"
    (container,) = cron["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["sync", "--all-users"]
    serve = objects[("Deployment", "bookrelay")]["spec"]
    (container,) = serve["template"]["spec"]["containers"]
    assert container["args"][0] == "serve" and container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert serve["replicas"] == 1 and serve["strategy"]["type"] == "Recreate"
    claim = objects[("PersistentVolumeClaim", "bookrelay-data")]["spec"]
    assert claim["resources"]["requests"]["storage"] == "100Mi"


def _egress_targets(policy: dict[str, Any]) -> set[tuple[str, str, int]]:
    targets = set()
    for rule in policy["spec"]["egress"]:
        for peer in rule["to"]:
            if "ipBlock" in peer:
                who = f"cidr:{peer['ipBlock']['cidr']}"
            else:
                labels = peer["podSelector"]["matchLabels"]
                who = labels.get("app.kubernetes.io/name") or f"dns:{labels.get('k8s-app')}"
                if "namespaceSelector" in peer:
                    who += "@any-namespace"
            for port in rule["ports"]:
                targets.add((who, port["protocol"], port["port"]))
    return targets


RRG_PORT = urlsplit(str(RreadingGlassesSettings().url)).port  # the seed's http://rreading-glasses:8080
EGRESS = {
    ("dns:kube-dns@any-namespace", "UDP", 53),
    ("dns:kube-dns@any-namespace", "TCP", 53),
    ("audiobookshelf", "TCP", 80),
    ("bookshelf", "TCP", 8787),
    ("rreading-glasses", "TCP", RRG_PORT),
    ("cidr:0.0.0.0/0", "TCP", 443),
}


def test_network_policy_gives_the_cronjob_no_ingress_and_egress_only_to_the_named_services(
    objects: Objects,
) -> None:
    sync = objects[("NetworkPolicy", "bookrelay-sync")]
    assert sync["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "cronjob"
    assert set(sync["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    assert sync["spec"]["ingress"] == []
    assert _egress_targets(sync) == EGRESS
    serve = objects[("NetworkPolicy", "bookrelay")]
    assert serve["spec"]["ingress"] == [{"ports": [{"protocol": "TCP", "port": 8080}]}]
    assert _egress_targets(serve) == EGRESS
    # The policies select the pods their workloads create.
    cron_labels = objects[("CronJob", "bookrelay-sync")]["spec"]["jobTemplate"]["spec"]["template"][
        "metadata"
    ]
    assert sync["spec"]["podSelector"]["matchLabels"].items() <= cron_labels["labels"].items()
    serve_labels = objects[("Deployment", "bookrelay")]["spec"]["template"]["metadata"]["labels"]
    assert serve["spec"]["podSelector"]["matchLabels"].items() <= serve_labels.items()


def test_helm_chart_renders_the_same_specs_as_the_manifests() -> None:
    raw, chart = manifests(), render()
    assert set(raw) == set(chart)
    for key, obj in raw.items():
        if key[0] == "ConfigMap":
            assert yaml.safe_load(chart[key]["data"]["bookrelay.yaml"]) == yaml.safe_load(
                obj["data"]["bookrelay.yaml"]
            )
        else:
            assert without_annotations(chart[key]) == without_annotations(obj), key


def test_the_shipped_config_is_valid_with_the_secret_as_environment(tmp_path: Path) -> None:
    for text in (
        manifests()[("ConfigMap", "bookrelay")]["data"]["bookrelay.yaml"],
        (PROJECT_ROOT / "docs" / "examples" / "bookrelay.yaml").read_text(),
    ):
        path = tmp_path / "bookrelay.yaml"
        path.write_text(text)
        config = load_config(path, SECRET_ENV)
        assert config.users[0].hardcover.token is not None
        assert config.users[0].hardcover.token.get_secret_value() == SECRET_ENV["HARDCOVER_TOKEN"]


def test_secret_template_is_a_template_and_not_applied_by_kustomize() -> None:
    secret = yaml.safe_load((KUBE / "secret.template.yaml").read_text())
    assert secret["kind"] == "Secret" and secret["metadata"]["name"] == "bookrelay"
    assert set(secret["stringData"].values()) == {"CHANGE-ME"}
    assert "secret.template.yaml" not in (KUBE / "kustomization.yaml").read_text().split("resources:")[1]


def test_helm_values_switch_parts_on_and_off() -> None:
    only_serve = render({"cronjob": {"enabled": False}, "secret": {"create": True, "values": {"A_KEY": "x"}}})
    kinds = {key for key in only_serve}
    assert ("CronJob", "bookrelay-sync") not in kinds and ("NetworkPolicy", "bookrelay-sync") not in kinds
    assert only_serve[("Secret", "bookrelay")]["stringData"] == {"A_KEY": "x"}
    bigger = render(
        {
            "resources": {"limits": {"memory": "192Mi"}},
            "serve": {"port": 9090, "resources": {"limits": {"memory": "384Mi"}}},
        }
    )
    (container,) = pod_specs(bigger)["bookrelay"]["containers"]
    assert container["resources"]["limits"]["memory"] == "384Mi"
    (cron,) = pod_specs(bigger)["bookrelay-sync"]["containers"]
    assert cron["resources"]["limits"]["memory"] == "192Mi"
    assert container["args"] == ["serve", "--host", "0.0.0.0", "--port", "9090"]
    assert bigger[("NetworkPolicy", "bookrelay")]["spec"]["ingress"][0]["ports"][0]["port"] == 9090


def test_helm_lint_finds_no_error() -> None:
    render()  # skips or fails like the others when Helm is missing
    import helm_python as helm

    result = helm.lint(str(CHART))
    assert result["errors"] == []
    assert all(m["severity"] <= 1 for m in result["messages"]), result["messages"]  # info only


# -- Docker ----------------------------------------------------------------------------------------


def _dockerfile() -> list[str]:
    text = (PROJECT_ROOT / "Dockerfile").read_text()
    joined = re.sub(r"\\\n\s*", " ", text)  # continuation lines into one
    return [
        line.strip() for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]


def test_dockerfile_is_multi_stage_non_root_with_data_volume_and_healthcheck() -> None:
    lines = _dockerfile()
    stages = [line for line in lines if line.startswith("FROM ")]
    assert len(stages) >= 2 and any("COPY --from=build" in line for line in lines)
    assert [line for line in lines if line.startswith("USER ")] == [f"USER {UID}:{UID}"]
    assert 'VOLUME ["/data"]' in lines
    (health,) = [line for line in lines if line.startswith("HEALTHCHECK ")]
    cmd = next(line for line in lines if line.startswith("CMD "))
    # The port is not fixed in the image: serve and the health check both find it from the config
    # file or $BOOKRELAY_PORT (tests/service/test_healthcheck.py runs the check itself).
    assert '"bookrelay.healthcheck"' in health and "--port" not in cmd
    assert "chown 65532:65532 /data" in " ".join(lines)
    env = " ".join(line for line in lines if line.startswith("ENV "))
    assert "TMPDIR=/data" in env and "PYTHONDONTWRITEBYTECODE=1" in env


def test_compose_runs_bookrelay_read_only_with_a_data_volume_and_only_examples_of_the_rest() -> None:
    compose = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())
    assert set(compose["services"]) == {"bookrelay"}
    service = compose["services"]["bookrelay"]
    assert service["read_only"] is True and service["user"] == f"{UID}:{UID}"
    assert service["cap_drop"] == ["ALL"]
    assert "bookrelay-data:/data" in service["volumes"]
    assert all(v.endswith(":ro") for v in service["volumes"] if not v.endswith(":/data"))
    text = (PROJECT_ROOT / "docker-compose.yml").read_text()
    for example in ("audiobookshelf:", "bookshelf:", "rreading-glasses:"):
        assert f"  # {example}" in text


# -- the container recipe as a newcomer follows it --------------------------------------------------


def _readme_env_names() -> set[str]:
    """The secret and address variables the README's table names for one user."""
    text = (PROJECT_ROOT / "README.md").read_text()
    table = text[text.index("Environment variables override the file") :]
    rows = [line for line in table.splitlines()[:20] if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z_]+)`", row.split("|")[1])}


def test_compose_passes_the_tokens_from_env_file_and_the_shell() -> None:
    service = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())["services"]["bookrelay"]
    assert service["env_file"] == ".env" or ".env" in service["env_file"]
    environment = service["environment"]
    for name in ("HARDCOVER_TOKEN", "ABS_TOKEN", "ABS_USERNAME", "ABS_PASSWORD", "BOOKRELAY_SECRET_KEY"):
        assert name in _readme_env_names(), name  # the README names it …
        assert environment[name] == f"${{{name}:-}}", name  # … and compose hands it to the container


def test_the_rreading_glasses_address_agrees_everywhere_with_the_default() -> None:
    expected = str(RreadingGlassesSettings().url).rstrip("/")
    files = [
        PROJECT_ROOT / "docker-compose.yml",
        PROJECT_ROOT / "README.md",
        KUBE / "configmap.yaml",
        CHART / "values.yaml",
    ]
    for path in files:
        found = set(re.findall(r"http://rreading-glasses:\d+", path.read_text()))
        assert found == {expected}, (path, found)
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    ports = {s["name"]: s["port"] for s in values["networkPolicy"]["services"]}
    assert ports["rreading-glasses"] == RRG_PORT
    compose = (PROJECT_ROOT / "docker-compose.yml").read_text()
    assert f'PORT: "{RRG_PORT}"' in compose  # the image's own default (8788) is changed to match
