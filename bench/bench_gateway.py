"""Gateway overhead: a chat completion through Guardsite vs the same call to the upstream directly.

Everything runs on loopback in this process: the scripted upstream, and the gateway in Django's
threaded WSGI server over a throwaway SQLite database (or DATABASE_URL). One keep-alive httpx
client sends sequential requests, so the figures are per-call latency, not throughput. Printed:

* upstream direct, and through the gateway with the real filter (prompt + completion checks);
* through the gateway with the classifier stubbed out, i.e. the proxy's own cost (auth, lookups,
  JSON, annotations, event hand-off), which is the figure the <= 5 ms p50 target is about;
* the classifier alone on the same prompt and completion, for reference;
* a streamed completion, time to the last byte, direct vs gateway.

Events go to an in-memory broker (nothing consumes them), as a Redis broker would take them.

    .venv/bin/python bench/bench_gateway.py [--runs 300]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PROMPT = "What is the weather going to be like this weekend in the mountains?"
COMPLETION = (
    "Expect a mild weekend in the mountains: sunny mornings, light winds from the west and a "
    "chance of showers late on Sunday. Nights are cool, so bring a warm layer, and check the "
    "trail conditions before you set out. Most huts are open and serve hot meals until eight."
)


def configure(database_url: str | None) -> None:
    if database_url is None:
        path = Path(tempfile.gettempdir()) / "guardsite_bench_gateway.sqlite3"
        database_url = f"sqlite:///{path}"
    os.environ["DATABASE_URL"] = database_url
    os.environ.pop("REDIS_URL", None)
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "False"  # memory:// broker: enqueue and forget
    os.environ["GUARDSITE_RATE_LIMIT_PER_SECOND"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guardsite.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_deployment(upstream_url: str) -> str:
    from deployments.models import Deployment
    from guardsite.keys import issue_keys
    from guardsite.models import Resource

    resource, _ = Resource.objects.get_or_create(name="bench-gateway")
    Deployment.objects.update_or_create(
        resource=resource,
        name="chat",
        defaults={"model_name": "bench", "upstream_url": upstream_url},
    )
    return issue_keys(resource, acting_user=None)[0]


def serve_gateway() -> str:
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    class QuietHandler(WSGIRequestHandler):
        disable_nagle_algorithm = True  # as production servers do; see scripted_upstream.py

        def log_message(self, *args):
            return

    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler)
    server.set_app(get_wsgi_application())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def timed(call, runs: int, warmup: int = 20) -> list[float]:
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def line(label: str, samples: list[float], base: list[float] | None = None) -> None:
    extra = ""
    if base is not None:
        extra = f"   overhead p50 {statistics.median(samples) - statistics.median(base):+6.2f} ms"
    print(
        f"{label:<44} p50 {statistics.median(samples):6.2f} ms   p95 {p(samples, 0.95):6.2f} ms"
        + extra
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument(
        "--record-inline",
        action="store_true",
        help="hand events to the broker in the server thread instead of the recorder thread",
    )
    args = parser.parse_args()
    runs = max(20, min(args.runs, 5000))  # bounded

    from guardsite.runtime.scripted_upstream import ScriptedUpstream

    upstream = ScriptedUpstream({"default": COMPLETION}).start()
    configure(os.environ.get("BENCH_DATABASE_URL"))
    key = make_deployment(upstream.base_url)
    if args.record_inline:
        from guardsite.runtime import gateway as gateway_views

        gateway_views.recorder.submit = gateway_views.recorder.record
    gateway = serve_gateway()

    import logging

    import httpx

    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpx2").setLevel(logging.WARNING)

    from guardsite.engine.decision import Decision
    from guardsite.runtime import gateway_filtering

    body = {"model": "chat", "messages": [{"role": "user", "content": PROMPT}]}
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(timeout=30) as client:

        def direct():
            client.post(upstream.base_url + "/chat/completions", json=body).raise_for_status()

        def through():
            client.post(gateway + "/v1/chat/completions", json=body, headers=headers)

        def streamed(url, extra_headers):
            def call():
                with client.stream(
                    "POST", url, json={**body, "stream": True}, headers=extra_headers
                ) as response:
                    for _ in response.iter_bytes():
                        pass

            return call

        response = client.post(gateway + "/v1/chat/completions", json=body, headers=headers)
        assert response.status_code == 200, response.text
        assert "prompt_filter_results" in response.json()

        base = timed(direct, runs)
        real = timed(through, runs)

        # The classifier stubbed out: no blocklist compilation, no model, a clean verdict.
        Checker = gateway_filtering.Checker
        real_init, real_check = Checker.__init__, Checker.check

        def stub_init(self, policy, resource, direction):
            self.setup_error = None

        def stub_check(self, texts, documents=None):
            return [gateway_filtering.Checked(t, None, Decision(False, {})) for t in texts]

        Checker.__init__, Checker.check = stub_init, stub_check
        stubbed = timed(through, runs)
        stream_stubbed = timed(streamed(gateway + "/v1/chat/completions", headers), runs // 3)
        Checker.__init__, Checker.check = real_init, real_check

        from deployments.models import Deployment
        from guardsite.runtime.gateway_filtering import resolve_policy

        deployment = Deployment.objects.select_related("resource").get(name="chat")
        policy = resolve_policy(deployment.resource, deployment)

        def classify_both():
            gateway_filtering.check_texts([PROMPT], "prompt", policy, deployment.resource, [()])
            gateway_filtering.check_texts([COMPLETION], "completion", policy, deployment.resource)

        classifier = timed(classify_both, runs)
        stream_base = timed(streamed(upstream.base_url + "/chat/completions", {}), runs // 3)
        stream_gateway = timed(streamed(gateway + "/v1/chat/completions", headers), runs // 3)

    print(f"gateway overhead, {runs} sequential calls each, loopback, non-streaming")
    line("upstream direct", base)
    line("gateway, real filter", real, base)
    line("gateway, classifier stubbed (proxy only)", stubbed, base)
    line("classifier alone (prompt + completion)", classifier)
    print(f"streamed, time to last byte, {runs // 3} calls each")
    line("upstream direct, stream", stream_base)
    line("gateway, stream (default mode)", stream_gateway, stream_base)
    line("gateway, stream, classifier stubbed", stream_stubbed, stream_base)
    upstream.stop()


if __name__ == "__main__":
    main()
