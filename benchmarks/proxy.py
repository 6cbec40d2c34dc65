"""Latency the ``mlops-proxy`` sidecar adds, against a direct call to a stub model server.

One run, loopback only, bounded in count and time, stops by itself. Three targets, each its own
process: the stub model server (``tests.proxy.stub_model``), a proxy with capture off, and a
proxy capturing 100% of requests into an S3 bucket of a local ``moto_server``; with
``--baseline DIR`` a fourth, the proxy of another checkout (e.g. a ``git worktree`` of an older
commit) with capture off, for an A/B comparison in the same run. This process sends CSV
invocations over one keep-alive connection per target at ``--rate`` requests per second, paced
(a request that is late delays the next; no request overlaps another), so each target sees what
a pod at that rate sees: one request, then idle until the next. The targets take turns in short
rounds (``--round`` requests, 0.1 s at the defaults) in a rotating order, so a burst of load
from elsewhere on the machine hits all of them alike; every request goes to the same stub, so
its own cost is in every figure. "added" is the proxy's percentile minus the direct call's; "CPU
us/req" is the CPU time of the target's process per request while measured (the stub's for the
direct call, per request it answered; Linux only).

Goal (issue 12): at most 1 ms added at the median and 3 ms at p99, at 200 requests per second.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUCKET = "capture"
BODY = b"1.5,a,3.0,7\n"
GOAL_MEDIAN_MS = 1.0
GOAL_P99_MS = 3.0
ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


@contextmanager
def _process(
    args: list[str], ready: str, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> Iterator[int]:
    process = subprocess.Popen(
        args,
        cwd=cwd,
        env={**os.environ, **ENV, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(ready, process)
        yield process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _proxy(
    model_port: int, capture: dict[str, object] | None, checkout: Path = ROOT
) -> tuple[list[str], dict, int, int]:
    port, metrics_port = _free_port(), _free_port()
    config = {
        "model_id": "bench",
        "endpoint_name": "bench-endpoint",
        "upstream": f"http://127.0.0.1:{model_port}",
        "port": port,
        "metrics_port": metrics_port,
        "latency_thresholds_ms": [200.0],
        "capture": capture,
    }
    args = [sys.executable, "-m", "mlops_runtime.proxy"]
    env = {"MLOPS_RUNTIME_CONFIG": json.dumps(config), "PYTHONPATH": str(checkout)}
    return args, env, port, metrics_port


def _create_bucket(url: str) -> None:
    import boto3

    s3 = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    ).client("s3", endpoint_url=url)
    s3.create_bucket(Bucket=BUCKET)


def _send(connection: http.client.HTTPConnection) -> float:
    started = time.perf_counter()
    connection.request("POST", "/invocations", BODY, {"Content-Type": "text/csv"})
    response = connection.getresponse()
    response.read()
    elapsed = time.perf_counter() - started
    if response.status != 200:
        raise RuntimeError(f"invocation answered {response.status}")
    return elapsed * 1000


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a running process (0 where /proc is not there)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _measure(
    ports: dict[str, int], pids: dict[str, int], options: argparse.Namespace
) -> tuple[dict[str, list[float]], dict[str, float]]:
    """Latencies (ms) by target, and CPU seconds per request of each target's process."""
    connections = {name: http.client.HTTPConnection("127.0.0.1", p) for name, p in ports.items()}
    samples: dict[str, list[float]] = {name: [] for name in ports}
    for connection in connections.values():  # warm up: connections, code paths
        for _ in range(200):
            _send(connection)
    names, interval = list(ports), 1.0 / options.rate
    cpu = {name: _cpu_seconds(pid) for name, pid in pids.items()}
    deadline = time.monotonic() + options.budget
    turn = 0
    while min(map(len, samples.values())) < options.requests and time.monotonic() < deadline:
        for name in names[turn:] + names[:turn]:  # each round in another order
            start = time.perf_counter()
            for i in range(min(options.round, options.requests - len(samples[name]))):
                pause = start + i * interval - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                samples[name].append(_send(connections[name]))
        turn = (turn + 1) % len(names)
    served = {name: len(values) for name, values in samples.items()}
    served["direct"] = sum(served.values())  # the stub answers every target's requests
    used = {name: (_cpu_seconds(pid) - cpu[name]) / served[name] for name, pid in pids.items()}
    for connection in connections.values():
        connection.close()
    return samples, used


def _percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 1000) - 1]


def _series(metrics_port: int, name: str) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5) as page:
        text = page.read().decode()
    return sum(
        float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name + "{")
    )


def _table(samples: dict[str, list[float]], cpu: dict[str, float]) -> None:
    direct = samples["direct"]
    base = (statistics.median(direct), _percentile(direct, 0.99))
    print(
        f"{'target':<32} {'requests':>8} {'median ms':>10} {'p99 ms':>8} "
        f"{'added median':>13} {'added p99':>10} {'CPU us/req':>11}  goal (<= 1 / 3 ms)"
    )
    for name, values in samples.items():
        median, p99 = statistics.median(values), _percentile(values, 0.99)
        if name == "direct":
            added, verdict = f"{'-':>13} {'-':>10}", ""
        else:
            extra = (median - base[0], p99 - base[1])
            added = f"{extra[0]:>13.3f} {extra[1]:>10.3f}"
            met = extra[0] <= GOAL_MEDIAN_MS and extra[1] <= GOAL_P99_MS
            verdict = "met" if met else "NOT met"
        print(
            f"{name:<32} {len(values):>8} {median:>10.3f} {p99:>8.3f} {added} "
            f"{cpu[name] * 1e6:>11.0f}  {verdict}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1500, help="per target (default 1500)")
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument(
        "--round", type=int, default=20, help="requests to one target before the next (default 20)"
    )
    parser.add_argument("--budget", type=float, default=120.0, help="seconds of sending at most")
    parser.add_argument(
        "--baseline", type=Path, help="a checkout whose proxy (capture off) runs as a fourth target"
    )
    options = parser.parse_args()
    python = sys.executable
    model_port, moto_port = _free_port(), _free_port()
    moto_url = f"http://127.0.0.1:{moto_port}"
    capture = {
        "destination": f"s3://{BUCKET}/capture",
        "sampling_percent": 100.0,
        "endpoint_url": moto_url,
        "flush_seconds": 1.0,
    }
    off_args, off_env, off_port, _ = _proxy(model_port, None)
    on_args, on_env, on_port, on_metrics = _proxy(model_port, capture)
    with ExitStack() as stack:
        pids = {
            "direct": stack.enter_context(
                _process(
                    [python, "-m", "tests.proxy.stub_model", "--port", str(model_port)],
                    f"http://127.0.0.1:{model_port}/ping",
                )
            )
        }
        moto = str(Path(python).with_name("moto_server"))
        stack.enter_context(
            _process(
                [moto, "-H", "127.0.0.1", "-p", str(moto_port)], f"{moto_url}/moto-api/data.json"
            )
        )
        _create_bucket(moto_url)
        ports = {
            "direct": model_port,
            "proxy, capture off": off_port,
            "proxy, capture 100%": on_port,
        }
        targets = {
            "proxy, capture off": (off_args, off_env),
            "proxy, capture 100%": (on_args, on_env),
        }
        checkouts = {"proxy, capture off": ROOT, "proxy, capture 100%": ROOT}
        if options.baseline is not None:
            name = "baseline proxy, capture off"
            base_args, base_env, ports[name], _ = _proxy(model_port, None, options.baseline)
            targets[name], checkouts[name] = (base_args, base_env), options.baseline.resolve()
        for name, (args, env) in targets.items():
            ready = f"http://127.0.0.1:{ports[name]}/ping"
            pids[name] = stack.enter_context(_process(args, ready, env, checkouts[name]))
        print(
            f"{options.requests} requests per target at {options.rate:g}/s, {os.cpu_count()} "
            f"cores, load average {os.getloadavg()[0]:.2f}"
        )
        samples, cpu = _measure(ports, pids, options)
        time.sleep(2.5)  # the writer's last flush (flush_seconds 1)
        written = _series(on_metrics, "mlops_proxy_capture_records_total")
        dropped = _series(on_metrics, "mlops_proxy_capture_dropped_total")
    _table(samples, cpu)
    print(
        f"capture: {written:.0f} records written, {dropped:.0f} dropped; "
        f"load average after {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    main()
