"""Put the local stack's own SMTP sink (devstack/smtp_sink.py) into the build context:
the cluster's sink is the same program, not a copy of it kept in sync by hand.

    python3 containers/smtp-sink/prepare.py <context dir>    (run by devstack/images.py)
"""

import shutil
import sys
from pathlib import Path

SINK = Path(__file__).resolve().parent.parent.parent / "devstack" / "smtp_sink.py"

if __name__ == "__main__":
    shutil.copy2(SINK, Path(sys.argv[1]) / "smtp_sink.py")
