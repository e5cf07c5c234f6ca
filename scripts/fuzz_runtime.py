#!/usr/bin/env python
"""Fuzz the runtime API of a Guardsite server on loopback with hostile input.

Surfaces and the error shape each must answer in (docs/runtime-api.md, docs/gateway.md):

* Content Safety data plane, ``/contentsafety/...``: ``{"error": {"code", "message", ...}}`` and
  the same code in the ``x-ms-error-code`` header;
* ``POST /v1/moderations`` and the gateway (``/v1/chat/completions``, ``/v1/completions``,
  ``/openai/deployments/{name}/(chat/)completions``): ``{"error": {"message", "type", "param",
  "code"}}`` (the ``InvalidContentFilterPolicy`` body is the spec's exact two-key body).

Every request is checked: no 5xx, a 4xx in its surface's shape, an answer within the time limit.
Blocklist writes that fail are checked for partial writes (the list's items before and after).
Each finding is printed as one JSON line; the exit status is 1 when there is any.

Setup (once)::

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/gs_fuzz_runtime
    python manage.py migrate
    python manage.py resource create fuzz          # key1 -> --key
    python manage.py resource create fuzzother     # key1 -> --other-key (the "other tenant")
    # a deployment "fz" of resource fuzz whose upstream_url is http://127.0.0.1:8790/v1
    python manage.py scripted_upstream --port 8790 &
    DJANGO_DEBUG=0 GUARDSITE_RATE_LIMIT_PER_SECOND=0 gunicorn guardsite.wsgi -b 127.0.0.1:8791 &

Run::

    python scripts/fuzz_runtime.py --base http://127.0.0.1:8791 --key KEY --other-key KEY2 \
        --deployment fz --random 300 --seed 1 --max-seconds 240

Only loopback addresses are accepted as ``--base``; the number of random cases and the total run
time are bounded (``--random`` at most 5,000, ``--max-seconds`` at most 900).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import random
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

CS = "/contentsafety"
GA = "api-version=2024-09-01"
OLD = "api-version=2023-10-01"
PREVIEW = "api-version=2024-09-15-preview"

HOSTILE_STRINGS: list[Any] = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",  # a lone surrogate: json.dumps writes it as the escape \ud800
    "\udfff tail",
    "\u202eevil\u202c",  # bidi override
    "zero\u200bwidth\u200d\ufeff",
    "e\u0301\u0301\u0301",
    "\U0001f4a9" * 3,
    "ｆｕｌｌｗｉｄｔｈ",
    "раураl",  # Cyrillic confusables
    "\x1b[31m",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%00",
    "../../etc/passwd",
    "a" * 129,
    "a" * 10_001,
    "\U0001f600" * 10_001,
]
WRONG_TYPES: list[Any] = [None, True, 0, -1, 1.5, 10**30, "x", [], [1], {}, {"a": 1}, ["a", 2]]


@dataclass
class Case:
    surface: str  # "azure" or "openai"
    method: str
    path: str
    body: Any = None  # JSON value, or bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = "application/json"
    auth: str = "key"  # "key", "other", "none"
    blocklist: str | None = None  # check this list for partial writes when the call fails
    note: str = ""


def encode(body: Any) -> bytes | None:
    if body is None:
        return None
    if isinstance(body, bytes):
        return body
    # ensure_ascii keeps lone surrogates as \udXXX escapes, as a hostile client would send them.
    return json.dumps(body, ensure_ascii=True, allow_nan=True).encode()


# --- hand-picked cases -----------------------------------------------------------------------


def body_cases(surface: str, path: str, good: dict[str, Any]) -> Iterator[Case]:
    """Malformed bodies any JSON route must refuse precisely."""
    yield Case(surface, "POST", path, b"", note="empty body")
    yield Case(surface, "POST", path, b"   ", note="blank body")
    yield Case(surface, "POST", path, b"{not json", note="non-JSON")
    yield Case(surface, "POST", path, b"\xff\xfe{}", note="not UTF-8")
    yield Case(surface, "POST", path, b'{"text": NaN}', note="NaN")
    yield Case(surface, "POST", path, b"[" * 100_000 + b"]" * 100_000, note="deep nesting")
    yield Case(surface, "POST", path, b'{"a":' * 5000 + b"1" + b"}" * 5000, note="deep objects")
    yield Case(surface, "POST", path, b"1" * 5000, note="huge integer")
    yield Case(surface, "POST", path, b'"just a string"', note="string body")
    yield Case(surface, "POST", path, b"[]", note="array body")
    yield Case(surface, "POST", path, b"null", note="null body")
    yield Case(surface, "POST", path, {**good, "x": "y" * (2 << 20)}, note="3 MiB body")
    yield Case(surface, "POST", path, {**good, "x": "y" * (6 << 20)}, note="6 MiB body")
    yield Case(surface, "POST", path, good, content_type="text/plain", note="text/plain")
    yield Case(surface, "POST", path, good, content_type=None, note="no content type")
    yield Case(surface, "POST", path, good, content_type="application/x-www-form-urlencoded")
    yield Case(surface, "POST", path, good, content_type="multipart/form-data; boundary=x")
    yield Case(surface, "POST", path, good, auth="none", note="no key")
    yield Case(surface, "POST", path, good, headers={"api-key": "nope"}, auth="none")
    yield Case(surface, "POST", path, good, headers={"api-key": "k" * 8000}, auth="none")
    yield Case(surface, "POST", path, good, headers={"Authorization": "Bearer"}, auth="none")
    yield Case(surface, "POST", path, good, headers={"X-Junk": "v" * 7000})
    for method in ("GET", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS"):
        yield Case(surface, method, path, None, note=f"{method} on a POST route")
    for name in good:
        yield Case(surface, "POST", path, {k: v for k, v in good.items() if k != name})
        for value in WRONG_TYPES + HOSTILE_STRINGS:
            yield Case(surface, "POST", path, {**good, name: value}, note=f"{name}")
    yield Case(surface, "POST", path, {**good, "unknownField": [1, {"x": None}]}, note="extra")


def cs_cases(other_list: str) -> Iterator[Case]:
    yield from body_cases("azure", f"{CS}/text:analyze?{GA}", {"text": "hello"})
    analyze = f"{CS}/text:analyze?{GA}"
    for text in ("a" * 10_000, "\U0001f600" * 10_000, "a" * 10_001, "\U0001f600" * 10_001):
        yield Case("azure", "POST", analyze, {"text": text}, note=f"len {len(text)}")
    for version in (
        "",
        "2023-10-01x",
        "1999-01-01",
        "2024-09-01&api-version=x",
        "%00",
        "é" * 50,
        "2024-09-01\x00",
        "a" * 5000,
    ):
        yield Case("azure", "POST", f"{CS}/text:analyze?api-version={version}", {"text": "x"})
    yield Case("azure", "POST", f"{CS}/text:analyze", {"text": "x"}, note="no api-version")
    for names in (
        [other_list],
        ["nope"],
        ["\x00"],
        ["a\x00"],
        ["Ρrofanity"],  # Greek capital rho
        ["a" * 64],
        ["a" * 65],
        ["x"] * 11,
        ["Profanity", "Profanity"],
        [""],
        ["bad name"],
        ["\ud800"],
        [1],
        "Profanity",
    ):
        yield Case("azure", "POST", analyze, {"text": "x", "blocklistNames": names})
    for categories in (["Hate", "Hate"], ["hate"], ["Hate"] * 5, [None], "Hate", ["\x00"]):
        yield Case("azure", "POST", analyze, {"text": "x", "categories": categories})
    for output in ("", "Four", None, 4, "\x00", "EightSeverityLevels"):
        yield Case("azure", "POST", analyze, {"text": "x", "outputType": output})

    shield = f"{CS}/text:shieldPrompt?{GA}"
    yield from body_cases("azure", shield, {"userPrompt": "hi", "documents": ["d"]})
    yield Case("azure", "POST", shield, {"userPrompt": "x", "documents": ["d"] * 6}, note="6 docs")
    yield Case("azure", "POST", shield, {"documents": ["a" * 5000, "b" * 5001]}, note="10,001")
    yield Case("azure", "POST", shield, {"documents": ["\U0001f600" * 10_000]}, note="astral docs")
    yield Case("azure", "POST", shield, {"documents": [None]})
    yield Case("azure", "POST", shield, {"documents": ["\x00", "\ud800"]})
    yield Case("azure", "POST", shield, {"documents": []})
    yield Case("azure", "POST", shield, {})

    for route, field_name in (("detectProtectedMaterial", "text"),):
        yield from body_cases("azure", f"{CS}/text:{route}?{GA}", {field_name: "x"})
    code = f"{CS}/text:detectProtectedMaterialForCode?{PREVIEW}"
    yield from body_cases("azure", code, {"code": "print(1)"})
    yield Case("azure", "POST", f"{CS}/text:detectProtectedMaterialForCode?{GA}", {"code": "x"})

    yield from blocklist_cases(other_list)
    for path in (
        f"{CS}/nope?{GA}",
        f"{CS}/text:nope?{GA}",
        f"{CS}/text/blocklists/?{GA}",
        f"{CS}/text/blocklists/a/b/c?{GA}",
        f"{CS}/text:analyze/?{GA}",
    ):
        yield Case("azure", "POST", path, {"text": "x"}, note="unknown route")


def blocklist_cases(other_list: str) -> Iterator[Case]:
    lists = f"{CS}/text/blocklists"
    yield Case("azure", "GET", f"{lists}?{GA}")
    for query in (
        "top=-1",
        "top=x",
        "skip=99999999999",
        "maxpagesize=0",
        "maxpagesize=1000000",
        "top=１",
        "skip=%00",
        "top=0",
        "maxpagesize=１",
    ):
        yield Case("azure", "GET", f"{lists}?{GA}&{query}")
    for name in (
        "a" * 65,
        "a" * 64,
        "bad name",
        "%00",
        "Ρrofanity",
        "%E2%80%AE",
        "..",
        ".",
        "%F0%9F%98%80",
        "Profanity",
        other_list,
        "a%2Fb",
        "%ED%A0%80",
        "abc%0A",
        "abc%0D",
        "abc%09",
    ):
        yield Case(
            "azure",
            "PATCH",
            f"{lists}/{name}?{GA}",
            {"description": "d"},
            content_type="application/merge-patch+json",
        )
        yield Case("azure", "GET", f"{lists}/{name}?{GA}")
        yield Case("azure", "GET", f"{lists}/{name}/blocklistItems?{GA}")
        yield Case(
            "azure",
            "POST",
            f"{lists}/{name}:addOrUpdateBlocklistItems?{GA}",
            {"blocklistItems": [{"text": "x"}]},
        )
        yield Case(
            "azure",
            "POST",
            f"{lists}/{name}:removeBlocklistItems?{GA}",
            {"blocklistItemIds": [str(uuid.uuid4())]},
        )
    yield Case("azure", "DELETE", f"{lists}/{other_list}?{GA}", note="other tenant's list")
    yield Case("azure", "PUT", f"{lists}/fuzzlist?{GA}", {"description": "d"})
    yield Case("azure", "POST", f"{lists}/fuzzlist?{GA}", {"description": "d"})
    patch = f"{lists}/fuzzlist?{GA}"
    for value in WRONG_TYPES + HOSTILE_STRINGS + ["d" * 1025]:
        yield Case(
            "azure",
            "PATCH",
            patch,
            {"description": value},
            content_type="application/merge-patch+json",
            note="description",
        )
    yield Case("azure", "PATCH", patch, {"blocklistName": "other"})
    yield Case("azure", "PATCH", patch, {"blocklistName": 5})
    yield Case("azure", "PATCH", patch, b"[]", content_type="application/merge-patch+json")

    add = f"{lists}/fuzzlist:addOrUpdateBlocklistItems?{GA}"
    yield from body_cases("azure", add, {"blocklistItems": [{"text": "fine"}]})

    def item_sets() -> Iterator[list[Any]]:
        yield [{"text": f"ok{i}"} for i in range(101)]
        yield [{"text": f"ok{i}"} for i in range(100)]
        yield [{"text": "good"}, {"text": "a" * 129}]
        yield [{"text": "good"}, {"text": "\U0001f600" * 128}]
        yield [{"text": "good"}, {"text": "\U0001f600" * 129}]
        yield [{"text": "good"}, {"text": "(a+)+$", "isRegex": True}]
        yield [{"text": "good"}, {"text": "(?<=x)y", "isRegex": True}]
        yield [{"text": "good"}, {"text": r"(a)\1", "isRegex": True}]
        yield [{"text": "good"}, {"text": "[", "isRegex": True}]
        yield [{"text": "good"}, {"text": "a{1000}{1000}", "isRegex": True}]
        yield [{"text": "good"}, {"text": ".*", "isRegex": True}]
        yield [{"text": "good"}, {"text": "", "isRegex": True}]
        yield [{"text": "good"}, {"text": "x", "isRegex": "true"}]
        yield [{"text": "good"}, {"text": "x\x00"}]
        yield [{"text": "good"}, {"text": "x", "description": "d\x00"}]
        yield [{"text": "good"}, {"text": "\ud800"}]
        yield [{"text": "good"}, {"text": "x", "description": "d" * 1025}]
        yield [{"text": "good"}, {"text": "x", "blocklistItemId": str(uuid.uuid4())}]
        yield [{"text": "good"}, {"text": "x", "blocklistItemId": "not-a-uuid"}]
        yield [{"text": "good"}, {"text": "x", "blocklistItemId": "\x00"}]
        yield [{"text": "good"}, {"text": "x", "blocklistItemId": 5}]
        yield [{"text": "good"}, {"text": "good"}]
        yield [{"text": "good"}, "text"]
        yield [{"text": "good"}, None]
        yield [{"text": "good"}, {"text": "   "}]
        yield [{"text": "good"}, {"text": "\u200b"}]
        yield [{"text": "good"}, {"text": "\u202e"}]
        yield [{"text": "good"}, {}]

    for items in item_sets():
        yield Case("azure", "POST", add, {"blocklistItems": items}, blocklist="fuzzlist")
    yield Case(
        "azure",
        "POST",
        f"{lists}/fuzzlist:addOrUpdateBlocklistItems?{OLD}",
        {"blocklistItems": [{"text": "good"}, {"text": "r", "isRegex": True}]},
        blocklist="fuzzlist",
    )
    remove = f"{lists}/fuzzlist:removeBlocklistItems?{GA}"
    yield from body_cases("azure", remove, {"blocklistItemIds": [str(uuid.uuid4())]})
    for ids in (
        [],
        [str(uuid.uuid4())] * 101,
        ["x"],
        ["\x00"],
        ["a" * 65],
        [None],
        "x",
        [str(uuid.uuid4()).upper()],
    ):
        yield Case("azure", "POST", remove, {"blocklistItemIds": ids}, blocklist="fuzzlist")
    item = f"{lists}/fuzzlist/blocklistItems"
    for item_id in ("x", "%00", str(uuid.uuid4()), "a" * 5000, "%ED%A0%80", "{" + "0" * 32 + "}"):
        yield Case("azure", "GET", f"{item}/{item_id}?{GA}")
        yield Case("azure", "DELETE", f"{item}/{item_id}?{GA}")


def moderation_cases() -> Iterator[Case]:
    path = "/v1/moderations"
    yield from body_cases("openai", path, {"input": "hello", "model": "omni-moderation-latest"})
    for value in (
        ["a"] * 33,
        ["a"] * 32,
        ["a" * 10_001],
        ["\U0001f600" * 10_000],
        [],
        [{"type": "image_url", "image_url": {"url": "http://x"}}],
        [{"type": "text", "text": "hi"}],
    ):
        yield Case("openai", "POST", path, {"input": value})
    for policy in ("nope", "\u202e", "a" * 8000, "Default", "x\ty", "%00", "ＤＥＦＡＵＬＴ"):
        yield Case("openai", "POST", path, {"input": "x"}, headers={"x-policy-id": policy})


def gateway_cases(deployment: str, other_deployment: str) -> Iterator[Case]:
    messages = [{"role": "user", "content": "hello"}]
    chat: dict[str, Any] = {"model": deployment, "messages": messages}
    for path in (
        "/v1/chat/completions",
        f"/openai/deployments/{deployment}/chat/completions?api-version=2024-10-21",
    ):
        yield from body_cases("openai", path, chat)
        for name in ("nope", other_deployment, "a" * 300, "\x00", "\u202e", "Ｆｚ"):
            yield Case("openai", "POST", path, {**chat, "model": name})
        for n in (0, -1, 129, "3", 1.0, True, None, 10**20):
            yield Case("openai", "POST", path, {**chat, "n": n})
        stream: Any
        for stream in ("true", 1, None, [], {}):
            yield Case("openai", "POST", path, {**chat, "stream": stream})
        yield Case("openai", "POST", path, {**chat, "stream": True, "n": 3})
        yield Case("openai", "POST", path, {**chat, "stream": True, "stream_options": "x"})
        for bad in malformed_messages():
            yield Case("openai", "POST", path, {**chat, "messages": bad}, note="messages")
        for policy in ("nope", "\u202e", "a" * 8000, "Default", "x\ty", "ＤＥＦＡＵＬＴ"):
            yield Case("openai", "POST", path, chat, headers={"x-policy-id": policy})
        yield Case("openai", "POST", path, {**chat, "temperature": "hot", "max_tokens": -5})
        yield Case("openai", "POST", path, {**chat, "tools": "x", "tool_choice": 5})
        yield Case("openai", "POST", path, json.dumps(chat)[:-1].encode() + b', "top_p": NaN}')
        yield Case("openai", "POST", path, {**chat, "user": "\ud800"}, note="surrogate in user")
        yield Case("openai", "POST", path, {**chat, "\ud800": 1}, note="surrogate key")
    yield Case("openai", "POST", "/openai/deployments/fz/chat/completions", chat, note="no version")
    yield Case("openai", "POST", "/openai/deployments/%00/chat/completions?api-version=1", chat)
    completions = {"model": deployment, "prompt": "hello"}
    for path in ("/v1/completions", f"/openai/deployments/{deployment}/completions?api-version=1"):
        yield from body_cases("openai", path, completions)
        for prompt in ([], [1, 2], [[1, 2]], ["\x00"], ["\ud800"], "a" * 10_001, ["a", None]):
            yield Case("openai", "POST", path, {**completions, "prompt": prompt})
    for path in ("/v1/nope", "/v1/chat/completions/", "/openai/deployments/x/nope"):
        yield Case("openai", "POST", path, chat, note="unknown route")


def malformed_messages() -> Iterator[Any]:
    yield from ([], {}, "hi", None, 5, [None], ["hi"], [[]], [{}])
    yield [{"role": "user"}]
    yield [{"role": 5, "content": "x"}]
    yield [{"role": "user", "content": None}]
    yield [{"role": "user", "content": 5}]
    yield [{"role": "user", "content": {"a": 1}}]
    yield [{"role": "user", "content": [None, 5, "x"]}]
    yield [{"role": "user", "content": [{"type": "text", "text": 5}]}]
    yield [{"role": "user", "content": [{"type": "text", "text": None}]}]
    yield [{"role": "user", "content": [{"type": "text", "text": ["a"]}]}]
    yield [{"role": "user", "content": [{"type": "text"}]}]
    yield [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:x"}}]}]
    yield [{"role": "user", "content": [{"type": "image_url", "image_url": None}]}]
    yield [{"role": "user", "content": "\x00\ud800"}]
    yield [{"role": "user", "content": "\ud800"}]
    yield [{"role": "user", "content": "x\x00y"}]
    yield [{"role": "user", "content": "\u202e\u200b" * 1000}]
    yield [{"role": "user", "content": "a" * 200_000}]
    yield [{"role": "user", "content": '"""<documents>' * 2000}]
    yield [{"role": "user", "content": '"""<documents>\ud800</documents>"""'}]
    yield [{"role": "assistant", "content": None, "tool_calls": [{"id": 1, "type": "function"}]}]
    yield [{"role": "tool", "content": "x", "tool_call_id": None}]
    yield [{"role": "user", "content": "x"}] * 5000


# --- random cases ----------------------------------------------------------------------------


def random_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(8 if depth < 3 else 5)
    if kind == 0:
        return rng.choice(WRONG_TYPES)
    if kind == 1:
        return rng.choice(HOSTILE_STRINGS)
    if kind == 2:
        return "".join(
            chr(
                rng.choice(
                    [
                        rng.randrange(0x20, 0x7F),
                        rng.randrange(0x80, 0xD800),
                        rng.randrange(0xE000, 0x110000),
                        0,
                        0xD800,
                        0x202E,
                    ]
                )
            )
            for _ in range(rng.randrange(0, 40))
        )
    if kind == 3:
        return rng.choice([0, -1, 1, 2**63, -(2**63), 1e308, 0.5])
    if kind == 4:
        return rng.choice([True, False, None])
    if kind in (5, 6):
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(0, 6))]
    return {rng.choice(FIELDS): random_value(rng, depth + 1) for _ in range(rng.randrange(0, 5))}


FIELDS = [
    "text",
    "categories",
    "blocklistNames",
    "haltOnBlocklistHit",
    "outputType",
    "userPrompt",
    "documents",
    "code",
    "blocklistItems",
    "blocklistItemIds",
    "description",
    "isRegex",
    "blocklistName",
    "input",
    "model",
    "messages",
    "prompt",
    "n",
    "stream",
    "role",
    "content",
    "type",
    "tools",
    "stream_options",
]


def random_cases(rng: random.Random, count: int, deployment: str) -> Iterator[Case]:
    routes: list[tuple[str, str, str, dict[str, Any]]] = [
        ("azure", "POST", f"{CS}/text:analyze?{GA}", {"text": "hello"}),
        ("azure", "POST", f"{CS}/text:shieldPrompt?{GA}", {"userPrompt": "hi"}),
        ("azure", "POST", f"{CS}/text:detectProtectedMaterial?{GA}", {"text": "x"}),
        ("azure", "PATCH", f"{CS}/text/blocklists/fuzzrand?{GA}", {"description": "d"}),
        (
            "azure",
            "POST",
            f"{CS}/text/blocklists/fuzzlist:addOrUpdateBlocklistItems?{GA}",
            {"blocklistItems": [{"text": "t"}]},
        ),
        (
            "azure",
            "POST",
            f"{CS}/text/blocklists/fuzzlist:removeBlocklistItems?{GA}",
            {"blocklistItemIds": ["x"]},
        ),
        ("openai", "POST", "/v1/moderations", {"input": "x"}),
        (
            "openai",
            "POST",
            "/v1/chat/completions",
            {"model": deployment, "messages": [{"role": "user", "content": "x"}]},
        ),
        ("openai", "POST", "/v1/completions", {"model": deployment, "prompt": "x"}),
    ]
    for _ in range(count):
        surface, method, path, good = rng.choice(routes)
        body = dict(good)
        for _ in range(rng.randrange(1, 4)):
            name = rng.choice([*good, *FIELDS])
            if rng.random() < 0.2:
                body.pop(name, None)
            else:
                body[name] = random_value(rng)
        blocklist = "fuzzlist" if "fuzzlist:" in path else None
        yield Case(surface, method, path, body, blocklist=blocklist, note="random")


# --- checking --------------------------------------------------------------------------------


def shape_problem(case: Case, response: httpx.Response) -> str | None:
    status = response.status_code
    if status >= 500:
        return f"5xx ({status})"
    if status < 400 or case.method == "HEAD":
        return None
    try:
        body = response.json()
    except ValueError:
        return f"{status} with a non-JSON body {response.text[:80]!r}"
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return f"{status} without an error object"
    if case.surface == "azure":
        if not isinstance(error.get("code"), str) or not isinstance(error.get("message"), str):
            return f"{status} Azure error without code/message: {error}"
        if response.headers.get("x-ms-error-code") != error["code"]:
            return f"{status} x-ms-error-code header missing or different"
        return None
    if error.get("code") == "InvalidContentFilterPolicy":
        return None
    missing = [key for key in ("message", "type", "param", "code") if key not in error]
    if missing or not isinstance(error.get("message"), str):
        return f"{status} OpenAI error missing {missing}: {json.dumps(error)[:160]}"
    return None


def item_count(client: httpx.Client, name: str, headers: dict[str, str]) -> int | None:
    response = client.get(
        f"{CS}/text/blocklists/{name}/blocklistItems?{GA}&maxpagesize=1000", headers=headers
    )
    if response.status_code != 200:
        return None
    return len(response.json()["value"])


def run(args: argparse.Namespace) -> int:
    rng = random.Random(args.seed)  # noqa: S311 - reproducible test input, not secrets
    keys = {"key": {"api-key": args.key}, "other": {"api-key": args.other_key}, "none": {}}
    client = httpx.Client(base_url=args.base, timeout=args.timeout, trust_env=False)
    setup = keys["key"]
    for name in ("fuzzlist", "fuzzrand"):
        client.patch(
            f"{CS}/text/blocklists/{name}?{GA}",
            json={"description": "fuzz"},
            headers={**setup, "Content-Type": "application/merge-patch+json"},
        )
    client.patch(
        f"{CS}/text/blocklists/{args.other_list}?{GA}",
        json={},
        headers={**keys["other"], "Content-Type": "application/merge-patch+json"},
    )
    cases = [
        *cs_cases(args.other_list),
        *moderation_cases(),
        *gateway_cases(args.deployment, args.other_deployment),
        *random_cases(rng, args.random, args.deployment),
    ]
    deadline = time.monotonic() + args.max_seconds
    findings = sent = 0
    for case in cases:
        if time.monotonic() > deadline:
            print(json.dumps({"stopped": "max-seconds reached", "sent": sent}), file=sys.stderr)
            break
        headers = {**keys[case.auth], **case.headers}
        if case.content_type:
            headers.setdefault("Content-Type", case.content_type)
        before = item_count(client, case.blocklist, setup) if case.blocklist else None
        started = time.monotonic()
        problem = None
        try:
            response = client.request(
                case.method,
                case.path,
                content=encode(case.body),
                headers={k: v.encode() for k, v in headers.items()},
            )
            problem = shape_problem(case, response)
        except httpx.TimeoutException:
            problem, response = f"hang (> {args.timeout}s)", None
        except httpx.HTTPError as exc:
            problem, response = f"transport error {exc!r}", None
        except Exception as exc:  # h11 refusing what we built: our mistake, not the server's
            print(json.dumps({"skipped": case.note, "error": repr(exc)[:200]}), file=sys.stderr)
            continue
        elapsed = time.monotonic() - started
        sent += 1
        if problem is None and case.blocklist and response is not None:
            after = item_count(client, case.blocklist, setup)
            if response.status_code >= 400 and before != after:
                problem = f"partial write: {before} -> {after} items on a {response.status_code}"
        if problem is None and elapsed > args.slow:
            problem = f"slow answer ({elapsed:.1f}s)"
        if problem:
            findings += 1
            body_text = encode(case.body) or b""
            print(
                json.dumps(
                    {
                        "problem": problem,
                        "method": case.method,
                        "path": case.path[:160],
                        "note": case.note,
                        "body": body_text[:300].decode("utf-8", "replace"),
                        "status": response.status_code if response is not None else None,
                        "answer": response.text[:300] if response is not None else None,
                    },
                    ensure_ascii=True,
                ),
                flush=True,
            )
    print(json.dumps({"sent": sent, "findings": findings}), file=sys.stderr)
    return 1 if findings else 0


def loopback_only(base: str) -> str:
    host = urlsplit(base).hostname or ""
    try:
        if ipaddress.ip_address(host).is_loopback:
            return base
    except ValueError:
        if host == "localhost":
            return base
    raise argparse.ArgumentTypeError(f"{base} is not a loopback address; refusing to fuzz it.")


def bounded(limit: int):
    def parse(value: str) -> int:
        number = int(value)
        if not 0 <= number <= limit:
            raise argparse.ArgumentTypeError(f"must be between 0 and {limit}")
        return number

    return parse


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", type=loopback_only, default="http://127.0.0.1:8791")
    parser.add_argument("--key", required=True, help="key1 of the fuzzed resource")
    parser.add_argument("--other-key", required=True, help="a key of another resource")
    parser.add_argument("--other-list", default="secretlist", help="another resource's list")
    parser.add_argument("--deployment", default="fz")
    parser.add_argument("--other-deployment", default="other-dep")
    parser.add_argument("--random", type=bounded(5000), default=300, help="random cases")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=30.0, help="a hang, in seconds")
    parser.add_argument("--slow", type=float, default=10.0, help="a slow answer, in seconds")
    parser.add_argument("--max-seconds", type=bounded(900), default=300)
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
