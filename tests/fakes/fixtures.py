"""Pytest fixtures that run the fake upstreams for one test each.

Use them by importing into a test module (``from tests.fakes.fixtures import guard_model_server``)
or listing this module in a conftest's ``pytest_plugins``.
"""

from collections.abc import Iterator

import pytest

from tests.fakes.content_safety import FakeContentSafety
from tests.fakes.guard_model import GUARD_MODEL, FakeChatCompletions, llama_guard_rules
from tests.fakes.moderations import FakeModerations


@pytest.fixture
def content_safety_server() -> Iterator[FakeContentSafety]:
    with FakeContentSafety() as server:
        yield server


@pytest.fixture
def moderations_server() -> Iterator[FakeModerations]:
    with FakeModerations() as server:
        yield server


@pytest.fixture
def guard_model_server() -> Iterator[FakeChatCompletions]:
    """A chat-completions endpoint serving a Llama-Guard-style model under ``GUARD_MODEL``."""
    with FakeChatCompletions(
        rules=llama_guard_rules(), api_key="sk-fake-guard-key", models=[GUARD_MODEL]
    ) as server:
        yield server


@pytest.fixture
def chat_upstream() -> Iterator[FakeChatCompletions]:
    """A general scripted chat model (any model name, no key): add rules per test."""
    with FakeChatCompletions(default_reply="Hello! How can I help you today?") as server:
        yield server
