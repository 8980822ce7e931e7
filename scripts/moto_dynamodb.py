"""moto's DynamoDB API for the tests, with requests served one at a time.

moto's own server (`moto_server`) handles requests on parallel threads, and its DynamoDB
models take no locks: two conditional writes to one item can both pass their condition. Real
DynamoDB applies writes to an item one after another, which is what Gatehouse's atomic
conditional writes rely on. Serializing requests makes moto behave as DynamoDB does there, so
the concurrency tests check our code rather than moto's thread safety.

moto also walks a parsed update expression recursively (it deep-copies the syntax tree), so a
rate-limit window of the largest supported size (300 clauses) exceeds Python's default
recursion limit; real DynamoDB takes such expressions (they are under its 4 KB limit). The limit
and the threads' stack are raised to match.

A burst test opens a couple of hundred connections at once. werkzeug listens with a backlog of
128, and a connection beyond it waits for the kernel's SYN retry, one second later, as long as
the SDK's connect timeout: DynamoDB's endpoints take such bursts, so the backlog is raised.

Usage: python3 scripts/moto_dynamodb.py [port]   (default 5055, on 127.0.0.1)
"""

import os
import sys
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import BaseWSGIServer, run_simple

sys.setrecursionlimit(20_000)
threading.stack_size(256 * 1024 * 1024)

port = int(sys.argv[1]) if len(sys.argv) > 1 else 5055
os.environ.setdefault("MOTO_PORT", str(port))

BaseWSGIServer.request_queue_size = 1024

app = DomainDispatcherApplication(create_backend_app)
one_at_a_time = threading.Lock()


def serialized(environ, start_response):
    with one_at_a_time:
        # Materialize the body inside the lock: the write happens while the app runs.
        return list(app(environ, start_response))


run_simple("127.0.0.1", port, serialized, threaded=True)
