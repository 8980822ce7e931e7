"""A Lambda Runtime API, as AWS runs it for a custom runtime (provided.al2023), for one function.

The bootstrap binary polls `GET /2018-06-01/runtime/invocation/next` for an event and posts
the result to `.../invocation/{id}/response` (or `/error`); a function that cannot start posts to
`/runtime/init/error` and exits. This emulator serves those endpoints on 127.0.0.1, hands out
the events a test invokes one at a time, and records what came back, so that a test drives the
real, built binary exactly as Lambda would, with its configuration in environment variables.

Reference: https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html
"""

import json
import os
import platform
import queue
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/2018-06-01/runtime"


class RuntimeApi:
    def __init__(self):
        self.events = queue.Queue()
        self.results = {}
        self.init_errors = []
        self.next_calls = 0
        self.last_request_id = None
        self.arrived = threading.Condition()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.path != f"{PREFIX}/invocation/next":
                    return self.answer(404, {"message": "not found"})
                with api.arrived:
                    api.next_calls += 1
                    api.arrived.notify_all()
                request_id, event = api.events.get()
                if request_id is None:  # the test is over: make the bootstrap wait no more
                    return self.answer(410, {"message": "shutting down"})
                body = json.dumps(event).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Lambda-Runtime-Aws-Request-Id", request_id)
                self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 10_000))
                self.send_header(
                    "Lambda-Runtime-Invoked-Function-Arn",
                    "arn:aws:lambda:us-east-1:123456789012:function:gatehouse-test",
                )
                self.send_header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length).decode()
                parts = self.path[len(PREFIX) :].strip("/").split("/")
                with api.arrived:
                    if parts == ["init", "error"]:
                        api.init_errors.append(json.loads(body))
                    elif len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                        api.results[parts[1]] = (parts[2], body)
                    else:
                        return self.answer(404, {"message": "not found"})
                    api.arrived.notify_all()
                self.answer(202, {"status": "OK"})

            def answer(self, status, document):
                body = json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                # A function stopped while it waited for its next event: nothing to report.
                if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
                    return
                super().handle_error(request, client_address)

        self.server = Server(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def invoke(self, event, timeout=30):
        """Hands `event` to the function and returns its result: ("response", payload) or
        ("error", payload)."""
        request_id = str(uuid.uuid4())
        self.last_request_id = request_id
        self.events.put((request_id, event))
        deadline = time.time() + timeout
        with self.arrived:
            while request_id not in self.results:
                left = deadline - time.time()
                if left <= 0:
                    raise AssertionError(f"the function did not answer invocation {request_id}")
                self.arrived.wait(left)
            kind, body = self.results.pop(request_id)
        return kind, json.loads(body)

    def close(self):
        self.events.put((None, None))
        self.server.shutdown()


def command_for(bootstrap):
    """How to run a bootstrap on this machine: directly, or through qemu's user-mode emulator
    when it was built for arm64 (as the template deploys it) and this machine is not."""
    with open(bootstrap, "rb") as f:
        header = f.read(20)
    assert header[:4] == b"\x7fELF", f"{bootstrap} is not an ELF executable"
    machine = int.from_bytes(header[18:20], "little")
    aarch64 = machine == 183
    if aarch64 and platform.machine() not in ("aarch64", "arm64"):
        return ["qemu-aarch64-static", "-L", "/usr/aarch64-linux-gnu", bootstrap]
    return [bootstrap]


class Function:
    """A built function binary running against its own Runtime API."""

    def __init__(self, bootstrap, environment):
        self.api = RuntimeApi()
        env = {
            "PATH": os.environ.get("PATH", ""),
            "AWS_LAMBDA_RUNTIME_API": self.api.address,
            "AWS_LAMBDA_FUNCTION_NAME": "gatehouse-test",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
            "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/gatehouse-test",
            "AWS_LAMBDA_LOG_STREAM_NAME": "test",
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            **environment,
        }
        self.process = subprocess.Popen(
            command_for(bootstrap), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.output = ""
        # Read as it is written: a pipe holds 64 KiB, and a function whose log lines filled it
        # would block on its next write, after about sixty requests, and answer nothing more.
        self._lines = []
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self):
        for line in self.process.stdout:
            self._lines.append(line)

    def json_lines(self):
        """What the function wrote so far that parses as JSON objects (log lines, EMF)."""
        self.finish()
        lines = []
        for line in self.output.splitlines():
            try:
                document = json.loads(line)
            except ValueError:
                continue
            if isinstance(document, dict):
                lines.append(document)
        return lines

    def invoke(self, event):
        if self.process.poll() is not None:
            raise AssertionError(f"the function exited: {self.finish()}")
        return self.api.invoke(event)

    def wait_for_exit(self, timeout=30):
        """For a function that must fail at init: its exit code, and what it said."""
        code = self.process.wait(timeout)
        return code, self.finish()

    def finish(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self._reader.join(10)
        self.output = "".join(self._lines)
        self.api.close()
        return self.output
