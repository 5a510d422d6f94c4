"""Container health check: exit 0 when the local server answers ``/ready`` with 200.

Used by the Dockerfile's ``HEALTHCHECK`` (``python -m <package>.serving.healthcheck``). It
imports nothing heavy, so it costs little when it runs every 30 seconds.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def main() -> int:
    port = os.environ.get("SERVING_PORT", "8000")
    url = f"http://127.0.0.1:{port}/ready"
    try:
        with urllib.request.urlopen(url, timeout=4) as response:
            return 0 if response.status == 200 else 1
    except (OSError, urllib.error.URLError) as error:
        print(f"{url}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
