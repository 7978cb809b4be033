"""docker-compose.yml and deploy/k8s checked offline: tools' own validation, then consistency.

Compose goes through `docker-compose config` (Debian's docker-compose package); the
kustomize output through kubernetes-validate's bundled, strict API schemas.
"""

import copy
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S_VERSION = "1.37.0"
# Role -> the package `python -m` runs; every process reads LORASTACK_* from its environment.
ROLES = {
    "is": "identityserver",
    "gs": "gatewayserver",
    "ns": "networkserver",
    "as": "applicationserver",
    "js": "joinserver",
}
# Keys each role must be given explicitly (design: one set of keys for compose and k8s).
REQUIRED_KEYS = {
    "LORASTACK_GRPC_ADDRESS",
    "LORASTACK_HTTP_ADDRESS",
    "LORASTACK_LOG_FORMAT",
    "LORASTACK_LOG_LEVEL",
    "LORASTACK_CLUSTER_KEYS",
    "LORASTACK_PEERS_IS",
    "LORASTACK_PEERS_GS",
    "LORASTACK_PEERS_NS",
    "LORASTACK_PEERS_AS",
    "LORASTACK_PEERS_JS",
    "LORASTACK_NATS_URL",
    "LORASTACK_EVENTS_STREAM",
    "LORASTACK_DEFAULT_TENANT",
}
ROLE_KEYS = {
    "is": {"LORASTACK_DATABASE_URL", "LORASTACK_IS_TENANT_ADMIN_KEYS", "LORASTACK_IS_ADMIN_PASSWORD"},
    "gs": {"LORASTACK_REDIS_URL", "LORASTACK_REDIS_PREFIX", "LORASTACK_GS_UDP_ADDRESS"}
    | {"LORASTACK_GS_BASICSTATION_ADDRESS"},
    "ns": {"LORASTACK_REDIS_URL", "LORASTACK_REDIS_PREFIX"},
    "as": {"LORASTACK_REDIS_URL", "LORASTACK_REDIS_PREFIX", "LORASTACK_AS_MQTT_ADDRESS"},
    "js": {"LORASTACK_REDIS_URL", "LORASTACK_REDIS_PREFIX", "LORASTACK_JS_JOIN_EUI_PREFIXES"},
}


def _tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"`{name}` is missing: install the Debian package `{package}` (apt-get install -y {package})")
    return path


def _run(*args: str) -> str:
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    """The compose file as docker-compose resolves it (anchors merged, variables defaulted)."""
    binary = _tool("docker-compose", "docker-compose")
    _run(binary, "-f", "docker-compose.yml", "config", "-q")
    resolved = yaml.safe_load(_run(binary, "-f", "docker-compose.yml", "config"))
    assert isinstance(resolved, dict)
    return resolved


@pytest.fixture(scope="module")
def k8s() -> list[dict[str, Any]]:
    binary = _tool("kubectl", "kubectl")
    return [doc for doc in yaml.safe_load_all(_run(binary, "kustomize", "deploy/k8s")) if doc]


def _by_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {obj["metadata"]["name"]: obj for obj in objects if obj["kind"] == kind}


def _compose_role(compose: dict[str, Any], package: str) -> tuple[str, dict[str, Any]]:
    matches = [
        (name, service)
        for name, service in compose["services"].items()
        if service.get("command") == ["python", "-m", package]
    ]
    assert len(matches) == 1, f"want one compose service running `python -m {package}`, got {matches}"
    return matches[0]


def _k8s_role(k8s: list[dict[str, Any]], package: str) -> dict[str, Any]:
    deployment = _by_kind(k8s, "Deployment").get(package)
    assert deployment is not None, f"no Deployment {package}"
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["python", "-m", package]
    return deployment


def _k8s_env_keys(objects: list[dict[str, Any]], container: dict[str, Any]) -> set[str]:
    keys = {item["name"] for item in container.get("env", [])}
    config_maps = _by_kind(objects, "ConfigMap")
    for source in container.get("envFrom", []):
        keys |= set(config_maps[source["configMapRef"]["name"]]["data"])
    return keys


def test_compose_config_is_valid(compose: dict[str, Any]) -> None:
    images = {service.get("image", "") for service in compose["services"].values()}
    for image in ("postgres:15", "redis:7"):
        assert image in images
    assert any(image.startswith("nats:2") for image in images)
    nats = next(s for s in compose["services"].values() if s.get("image", "").startswith("nats:2"))
    assert "-js" in nats["command"]


def test_every_k8s_object_matches_the_api_schema(k8s: list[dict[str, Any]]) -> None:
    kinds = {obj["kind"] for obj in k8s}
    assert {"Namespace", "ConfigMap", "Secret", "Deployment", "Service", "StatefulSet", "Ingress"} <= kinds
    for obj in k8s:
        try:
            kubernetes_validate.validate(obj, K8S_VERSION, strict=True)
        except kubernetes_validate.ValidationError as err:
            pytest.fail(f"{obj['kind']}/{obj['metadata']['name']}: {err.message} at {list(err.path)}")


def test_the_validator_is_strict(k8s: list[dict[str, Any]]) -> None:
    deployment = copy.deepcopy(next(iter(_by_kind(k8s, "Deployment").values())))
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessprobe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, K8S_VERSION, strict=True)


@pytest.mark.parametrize("role", ROLES)
def test_compose_and_k8s_give_a_role_the_same_keys(
    role: str, compose: dict[str, Any], k8s: list[dict[str, Any]]
) -> None:
    package = ROLES[role]
    _, service = _compose_role(compose, package)
    compose_keys = {key for key in service["environment"] if key.startswith("LORASTACK_")}
    container = _k8s_role(k8s, package)["spec"]["template"]["spec"]["containers"][0]
    k8s_keys = {key for key in _k8s_env_keys(k8s, container) if key.startswith("LORASTACK_")}
    assert compose_keys == k8s_keys
    assert REQUIRED_KEYS | ROLE_KEYS[role] <= compose_keys


@pytest.mark.parametrize("role", ROLES)
def test_compose_role_is_health_checked_on_ready(role: str, compose: dict[str, Any]) -> None:
    _, service = _compose_role(compose, ROLES[role])
    assert "/healthz/ready" in " ".join(service["healthcheck"]["test"])
    assert service["environment"]["LORASTACK_HTTP_ADDRESS"].endswith(":1885")
    assert service["environment"]["LORASTACK_GRPC_ADDRESS"].endswith(":1884")


def test_compose_publishes_the_public_ports(compose: dict[str, Any]) -> None:
    def published(package: str) -> set[tuple[int, str]]:
        _, service = _compose_role(compose, package)
        return {(int(port["published"]), port.get("protocol", "tcp")) for port in service.get("ports", [])}

    assert (1885, "tcp") in published("identityserver")
    assert {(1700, "udp"), (1887, "tcp")} <= published("gatewayserver")
    assert (1883, "tcp") in published("applicationserver")


def test_compose_migrates_before_the_identity_server(compose: dict[str, Any]) -> None:
    _, identity = _compose_role(compose, "identityserver")
    waits = [
        compose["services"][name]
        for name, dep in identity["depends_on"].items()
        if dep.get("condition") == "service_completed_successfully"
    ]
    assert [w["command"] for w in waits] == [["python", "-m", "identityserver", "migrate"]]


def test_prometheus_scrapes_all_five_roles(compose: dict[str, Any]) -> None:
    config = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    targets = {
        target
        for job in config["scrape_configs"]
        if job.get("metrics_path", "/metrics") == "/metrics"
        for static in job["static_configs"]
        for target in static["targets"]
    }
    for package in ROLES.values():
        name, _ = _compose_role(compose, package)
        assert f"{name}:1885" in targets
    prometheus = [s for s in compose["services"].values() if "prometheus" in s.get("image", "")]
    assert len(prometheus) == 1
    assert any("deploy/prometheus/prometheus.yml" in str(v) for v in prometheus[0]["volumes"])


@pytest.mark.parametrize("role", ROLES)
def test_k8s_pods_are_scraped_and_probed(role: str, k8s: list[dict[str, Any]]) -> None:
    template = _k8s_role(k8s, ROLES[role])["spec"]["template"]
    assert template["metadata"]["annotations"] == {
        "prometheus.io/scrape": "true",
        "prometheus.io/port": "1885",
        "prometheus.io/path": "/metrics",
    }
    container = template["spec"]["containers"][0]
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert ports["grpc"] == 1884 and ports["http"] == 1885
    for probe, path in (("readinessProbe", "/healthz/ready"), ("livenessProbe", "/healthz/live")):
        get = container[probe]["httpGet"]
        assert get["path"] == path
        assert ports.get(get["port"], get["port"]) == 1885
    assert set(container["resources"]) == {"requests", "limits"}
    assert template["spec"]["securityContext"]["runAsNonRoot"] is True


def test_k8s_services_stateful_sets_and_ingress(k8s: list[dict[str, Any]]) -> None:
    services = _by_kind(k8s, "Service")
    for package in ROLES.values():
        assert {p["port"] for p in services[package]["spec"]["ports"]} == {1884, 1885}
    assert {"postgres", "redis", "nats"} <= set(_by_kind(k8s, "StatefulSet"))
    nats = _by_kind(k8s, "StatefulSet")["nats"]["spec"]["template"]["spec"]["containers"][0]
    assert "-js" in nats["args"]
    (ingress,) = _by_kind(k8s, "Ingress").values()
    paths = [path for rule in ingress["spec"]["rules"] for path in rule["http"]["paths"]]
    assert any(p["path"] == "/api/v3" and p["backend"]["service"]["name"] == "identityserver" for p in paths)
    identity = _by_kind(k8s, "Deployment")["identityserver"]["spec"]["template"]["spec"]
    assert identity["initContainers"][0]["command"] == ["python", "-m", "identityserver", "migrate"]


def test_k8s_secret_holds_the_secrets_and_says_they_are_for_development(k8s: list[dict[str, Any]]) -> None:
    (secret,) = _by_kind(k8s, "Secret").values()
    assert {
        "LORASTACK_CLUSTER_KEYS",
        "LORASTACK_IS_TENANT_ADMIN_KEYS",
        "LORASTACK_IS_ADMIN_PASSWORD",
    } <= set(secret["stringData"])
    assert secret["metadata"]["annotations"]["lorastack.io/development-values"] == "true"
    secret_keys = set(secret["stringData"])
    (config,) = _by_kind(k8s, "ConfigMap").values()
    assert not secret_keys & set(config["data"]), "a key is both in the ConfigMap and the Secret"


def test_dockerfile_is_slim_and_non_root() -> None:
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    assert "FROM python:3.11-slim" in lines
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert any(line.startswith("RUN pip install") and "." in line.split() for line in lines)
