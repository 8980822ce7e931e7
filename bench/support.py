"""What the benchmarks share: where the release binaries are, free ports, starting and stopping
a server, and reading a process's CPU time and memory from /proc."""

import os
import signal
import socket
import subprocess
import time
import uuid
import urllib.error
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
RELEASE = os.path.join(TARGET, "release")
SPREAD_HEADER = "x-bench-client-ip"
MiB = 1024 * 1024
TICKS = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, process, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"a server exited at start: {process.args}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.02)
    raise SystemExit(f"nothing listened on {port}: {process.args}")


def cpu_seconds(pid):
    """User + system CPU time of a process so far, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def memory(pid):
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            name, _, rest = line.partition(":")
            if name in ("VmHWM", "VmRSS"):
                values[name] = int(rest.split()[0]) * 1024
    return values


def stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def start(command, port, env=None, cwd=None):
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, **(env or {})}, cwd=cwd or ROOT,
    )
    wait_for_port(port, process)
    return process


def post(port, path, body, timeout=2):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=body.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def function_environment(moto):
    """A table with the demo seed, the signing key in Secrets Manager: the token function's
    environment as the template sets it."""
    import boto3

    gatehouse = os.path.join(RELEASE, "gatehouse")
    table = f"gatehouse-bench-{uuid.uuid4().hex[:10]}"
    subprocess.run([gatehouse, "import", "--seed", "demo/seed.json", "--dynamodb-endpoint", moto,
                    "--table", table, "--create-table"], cwd=ROOT, check=True, capture_output=True)
    private = subprocess.run([gatehouse, "keys", "generate"], check=True, capture_output=True,
                             text=True).stdout
    published = subprocess.run([gatehouse, "keys", "public", "--one-line"], input=private,
                               check=True, capture_output=True, text=True).stdout.strip()
    secrets = boto3.client("secretsmanager", endpoint_url=moto, region_name="us-east-1",
                           aws_access_key_id="testing", aws_secret_access_key="testing")
    arn = secrets.create_secret(Name=f"gatehouse/{table}", SecretString=private)["ARN"]
    return table, {
        "AWS_ENDPOINT_URL": moto,
        "GATEHOUSE_ISSUER": "https://auth.example.com",
        "GATEHOUSE_ORGANIZATION_ID": "org_acme",
        "GATEHOUSE_ORGANIZATION_SLUG": "acme",
        "GATEHOUSE_TABLE": table,
        "GATEHOUSE_SIGNING_KEYS_SECRET_ARN": arn,
        "GATEHOUSE_PUBLISHED_KEYS": published,
        "RUST_LOG": "info",
    }
