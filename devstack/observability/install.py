"""Install the observability servers: two jars from Maven Central (Zipkin's exec
jar, Kafka's JMX exporter agent), VictoriaMetrics and vmalert built from the Go
module proxy (devstack/tools.py), Alertmanager, promtool and the PostgreSQL
and Redis exporters from Debian. Each step does nothing when its work is done."""

from devstack import observability as obs
from devstack import tools
from devstack.layout import POM
from devstack.shell import find_program, install_debian_packages, run, step


def install() -> None:
    install_debian_packages(
        [package for program, package in obs.DEBIAN_PACKAGES.items() if not find_program(program)]
    )
    for artifact, jar in (
        (obs.ZIPKIN_ARTIFACT, obs.ZIPKIN_JAR),
        (obs.JMX_AGENT_ARTIFACT, obs.JMX_AGENT_JAR),
    ):
        if jar.exists():
            continue
        step(f"fetching {artifact} from Maven Central")
        run(
            [
                *("mvn", "-B", "-q", "-f", POM, "dependency:copy"),
                *(f"-Dartifact={artifact}", f"-DoutputDirectory={obs.JARS_DIR}"),
            ],
            quiet=True,  # Maven 3.8 prints stray colour codes even with -B -q
        )
    tools.install(obs.GO_SERVERS, "Metrics servers built with Go (VictoriaMetrics, vmalert)")
