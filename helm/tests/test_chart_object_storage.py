"""The photos' bucket in the app chart (docs/photos.md, "Deployment"): listings, and
only listings, gets its settings; in-cluster they point at hearth-data's SeaweedFS and
the Ingress serves /media/ from its filers' read-only port, never through Django; in
external mode at AWS S3 by region, with media/ behind a CDN."""

import pytest
import yaml

from config.services import SERVICES
from helm.tests.chart_rendering import CHART, by_name, of_kind, pod_spec, rendered, template

EXTERNAL = CHART / "ci" / "external-values.yaml"
OBJECT_SETTINGS = {
    "OBJECT_STORAGE_BUCKET",
    "OBJECT_STORAGE_ENDPOINT_URL",
    "OBJECT_STORAGE_REGION",
    "OBJECT_STORAGE_ADDRESSING_STYLE",
    "PHOTOS_PUBLIC_URL",
}


def _config(documents, name: str) -> dict[str, str]:
    return by_name(documents, "ConfigMap")[f"hearth-{name}-config"]["data"]


def test_in_cluster_listings_uses_hearth_data_s3_and_the_ingress_media_url():
    documents = rendered()
    data = _config(documents, "listings")
    assert data["OBJECT_STORAGE_ENDPOINT_URL"] == "http://hearth-data-seaweedfs-s3:8333"
    assert data["OBJECT_STORAGE_BUCKET"] == "hearth-production"
    assert data["OBJECT_STORAGE_ADDRESSING_STYLE"] == "path"
    assert data["PHOTOS_PUBLIC_URL"] == "https://hearth.example.com/media"
    for name, service in SERVICES.items():
        assert bool(OBJECT_SETTINGS & set(_config(documents, name))) == service.object_storage


def test_listings_web_and_worker_get_the_settings_and_the_keys_from_its_secret():
    deployments = by_name(rendered(), "Deployment")
    for process in ("web", "worker"):
        workload = deployments[f"hearth-listings-{process}"]
        (container,) = pod_spec(workload)["containers"]
        assert container["envFrom"] == [
            {"configMapRef": {"name": "hearth-listings-config"}},
            {"secretRef": {"name": "hearth-listings-env"}},
        ]
        labels = workload["spec"]["template"]["metadata"]["labels"]
        assert labels["hearth.io/objectstorage-client"] == "true"
    others = [d for n, d in deployments.items() if not n.startswith("hearth-listings-")]
    assert not [
        d
        for d in others
        if "hearth.io/objectstorage-client" in d["spec"]["template"]["metadata"]["labels"]
    ]


def test_listings_may_reach_the_s3_gateways_on_their_port_only():
    egress = by_name(rendered(), "NetworkPolicy")["hearth-listings-egress"]["spec"]["egress"]
    s3 = [rule for rule in egress if "seaweedfs" in str(rule["to"])]
    assert s3 == [
        {
            "to": [
                {
                    "podSelector": {
                        "matchLabels": {
                            "app.kubernetes.io/instance": "hearth-data",
                            "app.kubernetes.io/name": "seaweedfs-s3",
                        }
                    }
                }
            ],
            "ports": [{"protocol": "TCP", "port": 8333}],
        }
    ]


def test_the_ingress_serves_media_from_the_filers_read_only_port():
    documents = rendered()
    ingress = by_name(documents, "Ingress")["hearth-media"]
    annotations = ingress["metadata"]["annotations"]
    assert annotations["traefik.ingress.kubernetes.io/router.middlewares"] == "hearth-media@file"
    (path,) = ingress["spec"]["rules"][0]["http"]["paths"]
    assert path["path"] == "/media/"
    assert path["backend"]["service"] == {
        "name": "hearth-data-seaweedfs-filer",
        "port": {"name": "media"},
    }
    dynamic = yaml.safe_load(
        by_name(documents, "ConfigMap")["hearth-traefik-dynamic"]["data"]["middlewares.yaml"]
    )["http"]["middlewares"]
    assert dynamic["hearth-media"]["chain"]["middlewares"] == [
        "hearth-media-path",
        "hearth-media-headers",
    ]
    # /media/<digest>.webp is the bucket's media/<digest>.webp.
    assert dynamic["hearth-media-path"]["addPrefix"]["prefix"] == "/buckets/hearth-production"
    headers = dynamic["hearth-media-headers"]["headers"]
    assert headers["customRequestHeaders"] == {"Cookie": "", "Authorization": ""}
    assert headers["customResponseHeaders"]["Cache-Control"] == (
        "public, max-age=31536000, immutable"
    )
    # No route of the main Ingress sends /media/ to a deployable.
    main_paths = [
        p["path"]
        for p in by_name(documents, "Ingress")["hearth"]["spec"]["rules"][0]["http"]["paths"]
    ]
    assert not [p for p in main_paths if p.startswith("/media")]


def test_only_the_ingress_controller_reaches_the_filers_and_only_their_read_only_port():
    documents = rendered()
    traefik = by_name(documents, "Deployment")["hearth-traefik"]
    assert traefik["spec"]["template"]["metadata"]["labels"]["hearth.io/media-client"] == "true"
    egress = by_name(documents, "NetworkPolicy")["hearth-traefik"]["spec"]["egress"]
    filer = [rule for rule in egress if "seaweedfs" in str(rule["to"])]
    assert [rule["ports"] for rule in filer] == [[{"protocol": "TCP", "port": 8889}]]
    for workload in of_kind(documents, "Deployment"):
        labels = workload["spec"]["template"]["metadata"]["labels"]
        if workload["metadata"]["name"] != "hearth-traefik":
            assert "hearth.io/media-client" not in labels


def test_external_mode_is_aws_s3_by_region_behind_a_cdn():
    documents = rendered(EXTERNAL)
    data = _config(documents, "listings")
    assert "OBJECT_STORAGE_ENDPOINT_URL" not in data
    assert data["OBJECT_STORAGE_REGION"] == "eu-west-1"
    assert data["OBJECT_STORAGE_ADDRESSING_STYLE"] == "virtual"
    assert data["PHOTOS_PUBLIC_URL"] == "https://media.hearth.example.com"
    assert "hearth-media" not in by_name(documents, "Ingress")
    traefik = by_name(documents, "Deployment")["hearth-traefik"]
    assert "hearth.io/media-client" not in traefik["spec"]["template"]["metadata"]["labels"]
    egress = by_name(documents, "NetworkPolicy")["hearth-listings-egress"]["spec"]["egress"]
    assert {
        "to": [{"ipBlock": {"cidr": "52.218.0.0/17"}}, {"ipBlock": {"cidr": "3.5.64.0/21"}}],
        "ports": [{"protocol": "TCP", "port": 443}],
    } in egress


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("objectStorage.external.region=", "objectStorage.external.region is required"),
        ("objectStorage.external.publicUrl=", "objectStorage.external.publicUrl is required"),
    ],
)
def test_external_mode_needs_a_region_and_a_public_url(setting, message):
    completed = template(EXTERNAL, settings=(setting,))
    assert completed.returncode != 0
    assert message in completed.stderr, completed.stderr


def test_external_mode_needs_the_addresses_of_s3(tmp_path):
    no_addresses = tmp_path / "no-addresses.yaml"
    no_addresses.write_text("objectStorage: {external: {cidrs: []}}\n")
    completed = template(EXTERNAL, no_addresses)
    assert completed.returncode != 0
    assert "objectStorage.external.cidrs: listings keeps objects" in completed.stderr


@pytest.mark.parametrize(
    ("setting", "named"),
    [
        ("objectStorage.mode=minio", "objectStorage/mode"),
        ("objectStorage.bucket=Photos_Bucket", "objectStorage/bucket"),
        (
            "objectStorage.external.publicUrl=http://media.example.com",
            "objectStorage/external/publicUrl",
        ),
        ("objectStorage.external.region=Ireland", "objectStorage/external/region"),
        ("objectStorage.external.cidrs={everywhere}", "objectStorage/external/cidrs/0"),
        ("objectStorage.inCluster.s3PodLabels={}", "objectStorage/inCluster/s3PodLabels"),
        ("objectStorage.endpoint=http://s3", "objectStorage"),  # not a value: it is derived
    ],
)
def test_the_schema_refuses_a_bad_object_storage_value(setting, named):
    completed = template(settings=(setting,))
    assert completed.returncode != 0, f"{setting} was accepted"
    assert "values don't meet the specifications of the schema" in completed.stderr
    assert named in completed.stderr, completed.stderr


def test_the_photo_sweep_runs_every_few_minutes_never_twice_at_once():
    cronjobs = by_name(rendered(), "CronJob")
    assert set(cronjobs) == {
        f"hearth-{name}-sweep-photos"
        for name, service in SERVICES.items()
        if service.object_storage
    }
    cronjob = cronjobs["hearth-listings-sweep-photos"]
    assert cronjob["spec"]["schedule"] == "*/5 * * * *"
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]
    assert pod["metadata"]["labels"]["hearth.io/objectstorage-client"] == "true"
    (container,) = pod["spec"]["containers"]
    assert container["args"] == ["manage", "sweep_photos"]
    assert container["envFrom"] == [
        {"configMapRef": {"name": "hearth-listings-config"}},
        {"secretRef": {"name": "hearth-listings-env"}},
    ]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    off = template(settings=("photoSweep.enabled=false",))
    assert off.returncode == 0, off.stderr
    assert "kind: CronJob" not in off.stdout
    refused = template(settings=("photoSweep.schedule=often",))
    assert "photoSweep/schedule" in refused.stderr, refused.stderr
