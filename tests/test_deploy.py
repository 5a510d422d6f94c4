"""The deployment files of a rendered project: Kubernetes manifests, compose, Prometheus.

Every Kubernetes manifest is checked against the Kubernetes JSON schemas (kubernetes-validate
ships them, so this runs offline) and the compose file against the compose specification's
schema (vendored in check-jsonschema); then what they say is checked against the Dockerfile
and the answers.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from . import dockerfile
from .combinations import EVERY_COMBINATION
from .helpers import read_answers, run


def _manifests(project: Path) -> dict[str, dict]:
    documents = {}
    for path in sorted((project / "deploy" / "k8s").glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            documents[document["kind"]] = document
    return documents


@EVERY_COMBINATION
def test_kubernetes_manifests_match_the_kubernetes_schemas(rendered, name):
    project = rendered(name)
    manifests = sorted(str(p) for p in (project / "deploy" / "k8s").glob("*.yaml"))
    result = run(["kubernetes-validate", "--strict", *manifests], project, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("passed") == len(manifests), result.stdout


@EVERY_COMBINATION
def test_kubernetes_manifests_probe_limit_and_drop_root(rendered, name):
    project = rendered(name)
    slug = read_answers(project)["project_slug"]
    kinds = _manifests(project)
    assert {"Deployment", "Service", "HorizontalPodAutoscaler", "Job", "CronJob"} <= set(kinds)
    deployment = kinds["Deployment"]
    pod = deployment["spec"]["template"]["spec"]
    api = pod["containers"][0]
    assert api["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert api["livenessProbe"]["httpGet"]["path"] == "/health"
    assert {"cpu", "memory"} <= set(api["resources"]["requests"])
    assert {"cpu", "memory"} <= set(api["resources"]["limits"])
    assert api["securityContext"]["allowPrivilegeEscalation"] is False
    assert api["securityContext"]["readOnlyRootFilesystem"] is True
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert kinds["Service"]["spec"]["selector"].items() <= labels.items()
    assert kinds["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]["name"] == slug
    jobs = [kinds["Job"]["spec"], kinds["CronJob"]["spec"]["jobTemplate"]["spec"]]
    for pod_spec in [pod] + [job["template"]["spec"] for job in jobs]:
        assert pod_spec["securityContext"]["runAsNonRoot"] is True
        assert pod_spec["securityContext"]["runAsUser"] > 0
    for job in jobs:
        container = job["template"]["spec"]["containers"][0]
        assert container["image"].split(":")[0].endswith(f"/{slug}-pipeline")
        assert "dvc" in " ".join(container["command"])


@EVERY_COMBINATION
def test_compose_file_matches_the_compose_spec_and_prometheus_scrapes_the_api(rendered, name):
    project = rendered(name)
    deploy = project / "deploy"
    result = run(
        ["check-jsonschema", "--builtin-schema", "vendor.compose-spec", "compose.yaml"],
        deploy,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    compose = yaml.safe_load((deploy / "compose.yaml").read_text())
    api = compose["services"]["api"]
    assert (deploy / api["build"]["context"] / "Dockerfile").is_file()
    _, stages = dockerfile.parse((project / "Dockerfile").read_text())
    assert api["build"]["target"] == stages[-1].name
    port = dockerfile.env_of(stages[-1])["SERVING_PORT"]
    assert any(mapping.endswith(f":{port}") for mapping in api["ports"])
    prometheus = compose["services"]["prometheus"]
    config_file = prometheus["volumes"][0].split(":")[0]
    scrape = yaml.safe_load((deploy / config_file).read_text())["scrape_configs"][0]
    assert scrape["metrics_path"] == "/metrics"
    assert scrape["static_configs"][0]["targets"] == [f"api:{port}"]
