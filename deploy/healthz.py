"""The container's healthcheck: exit 0 when Loa's /healthz answers 200, else 1.

Slim images have no curl, so this is Python's urllib. It asks the server this process runs:
LOA_WEBHOOK_LISTEN for a worker (`loa run --webhook`), else LOA_WEB_LISTEN (`loa web`).
"""

from __future__ import annotations

import os
import sys
import urllib.request


def main() -> int:
    listen = os.environ.get("LOA_WEBHOOK_LISTEN") or os.environ.get("LOA_WEB_LISTEN")
    if not listen:
        print("healthz: neither LOA_WEBHOOK_LISTEN nor LOA_WEB_LISTEN is set", file=sys.stderr)
        return 1
    # A wildcard host (0.0.0.0:8443) reaches this host; a proxy from the environment must not.
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with direct.open(f"http://{listen}/healthz", timeout=5):
            return 0
    except OSError as exc:  # 503 (an HTTPError), refused, timed out
        print(f"healthz: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
