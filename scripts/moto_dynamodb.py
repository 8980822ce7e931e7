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

moto keeps every table a test created until it stops: by the end of a full run, and more so in
the year-ahead pass on the same server, that is gigabytes of Python objects, and CPython's full
(generation 2) garbage collections walk all of them, pausing the server for seconds, past the
SDK's timeouts: late tests failed with "no answer in time". Automatic collection is off here;
the young generations, where a request's cyclic garbage lands, are collected every 200 requests,
and long-lived tables are never walked.

Usage: python3 scripts/moto_dynamodb.py [port]   (default 5055, on 127.0.0.1)
"""

import gc
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
gc.disable()
served = 0


def serialized(environ, start_response):
    global served
    with one_at_a_time:
        # Materialize the body inside the lock: the write happens while the app runs.
        body = list(app(environ, start_response))
        served += 1
        if served % 200 == 0:
            gc.collect(1)
        return body


run_simple("127.0.0.1", port, serialized, threaded=True)
