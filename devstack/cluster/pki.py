"""The cluster's certificates and kubeconfigs, made once with openssl under var/cluster/pki.

One CA signs every component's identity (the API server authenticates clients by
certificate: CN is the user, O the group, as RBAC and the Node authorizer expect);
a second CA signs only the front proxy's client certificate, so an aggregated API
(metrics-server) can trust request headers from the API server and from no one else.
"""

import tempfile
from pathlib import Path

from devstack.cluster.topology import (
    API_SERVER,
    API_SERVICE_IP,
    BRIDGE_IP,
    CLUSTER_DOMAIN,
    KUBECONFIG,
    NODES,
    PKI,
    Node,
)
from devstack.shell import run

VALIDITY_DAYS = "825"


def _openssl(*arguments: str, config: str | None = None) -> None:
    if config is None:
        run(["openssl", *arguments], quiet=True)
        return
    with tempfile.NamedTemporaryFile("w", suffix=".cnf") as extensions:
        extensions.write(config)
        extensions.flush()
        run(["openssl", *arguments, "-extfile", extensions.name], quiet=True)


def authority(name: str) -> None:
    key, certificate = PKI / f"{name}.key", PKI / f"{name}.crt"
    if certificate.exists():
        return
    _openssl("genrsa", "-out", str(key), "2048")
    _openssl(
        *("req", "-x509", "-new", "-key", str(key), "-days", VALIDITY_DAYS),
        *("-subj", f"/CN=hearth-{name}", "-out", str(certificate)),
    )


def issue(
    name: str,
    common_name: str,
    *,
    organization: str | None = None,
    names: list[str] = (),
    server: bool = False,
    signer: str = "ca",
) -> None:
    """A key and certificate signed by `signer`; DNS or IP subject alternative names."""
    key, request, certificate = (PKI / f"{name}.{suffix}" for suffix in ("key", "csr", "crt"))
    if certificate.exists():
        return
    subject = f"/CN={common_name}" + (f"/O={organization}" if organization else "")
    _openssl("genrsa", "-out", str(key), "2048")
    _openssl("req", "-new", "-key", str(key), "-subj", subject, "-out", str(request))
    usages = "serverAuth,clientAuth" if server else "clientAuth"
    config = (
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        f"extendedKeyUsage={usages}\n"
    )
    if names:
        alternatives = ",".join(
            f"IP:{n}" if n.replace(".", "").isdigit() else f"DNS:{n}" for n in names
        )
        config += f"subjectAltName={alternatives}\n"
    _openssl(
        *("x509", "-req", "-in", str(request), "-CA", str(PKI / f"{signer}.crt")),
        *("-CAkey", str(PKI / f"{signer}.key"), "-CAcreateserial"),
        *("-days", VALIDITY_DAYS, "-sha256", "-out", str(certificate)),
        config=config,
    )
    request.unlink()


def kubeconfig(path: Path, user: str, certificate: str, server: str = API_SERVER) -> None:
    path.write_text(
        f"""apiVersion: v1
kind: Config
clusters:
- name: hearth-local
  cluster:
    server: {server}
    certificate-authority: {PKI / "ca.crt"}
contexts:
- name: {user}@hearth-local
  context: {{cluster: hearth-local, user: {user}, namespace: hearth}}
current-context: {user}@hearth-local
users:
- name: {user}
  user:
    client-certificate: {PKI / f"{certificate}.crt"}
    client-key: {PKI / f"{certificate}.key"}
"""
    )
    path.chmod(0o600)


def node_kubeconfig(node: Node) -> Path:
    return PKI / f"kubelet-{node.name}.kubeconfig"


def component_kubeconfig(component: str) -> Path:
    return PKI / f"{component}.kubeconfig"


def ensure() -> None:
    PKI.mkdir(parents=True, exist_ok=True)
    PKI.chmod(0o700)
    authority("ca")
    authority("front-proxy-ca")
    service_names = [
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        f"kubernetes.default.svc.{CLUSTER_DOMAIN}",
    ]
    issue(
        "apiserver",
        "kube-apiserver",
        names=[BRIDGE_IP, API_SERVICE_IP, "127.0.0.1", *service_names],
        server=True,
    )
    # The API server calling kubelets (logs, exec, port-forward).
    issue(
        "apiserver-kubelet-client", "kube-apiserver-kubelet-client", organization="system:masters"
    )
    issue("front-proxy-client", "front-proxy-client", signer="front-proxy-ca")
    if not (PKI / "sa.key").exists():
        _openssl("genrsa", "-out", str(PKI / "sa.key"), "2048")
        _openssl("rsa", "-in", str(PKI / "sa.key"), "-pubout", "-out", str(PKI / "sa.pub"))
    issue("admin", "hearth-admin", organization="system:masters")
    for component in ("kube-controller-manager", "kube-scheduler", "kube-proxy"):
        issue(component, f"system:{component}")
        kubeconfig(component_kubeconfig(component), component, component)
    for node in NODES:
        identity = f"system:node:{node.name}"
        issue(f"kubelet-{node.name}", identity, organization="system:nodes")
        # Serving certificate, so the API server and metrics-server verify the kubelet.
        issue(f"kubelet-{node.name}-serving", identity, names=[node.ip, node.name], server=True)
        kubeconfig(node_kubeconfig(node), identity, f"kubelet-{node.name}")
    KUBECONFIG.parent.mkdir(parents=True, exist_ok=True)
    kubeconfig(KUBECONFIG, "hearth-admin", "admin")
