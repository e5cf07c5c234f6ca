"""Local fake upstream servers that follow the documented wire formats, for contract tests.

Each fake runs ``http.server.ThreadingHTTPServer`` on 127.0.0.1 (a free port) in a background
thread, records the requests it receives and answers from a small script. Pytest fixtures that
start and stop them are in ``tests.fakes.fixtures``; import the ones a test module uses.
"""

from tests.fakes.content_safety import FakeContentSafety
from tests.fakes.guard_model import FakeChatCompletions, llama_guard_rules
from tests.fakes.moderations import FakeModerations
from tests.fakes.server import ApiError, FakeServer, RecordedRequest, Reply

__all__ = [
    "ApiError",
    "FakeChatCompletions",
    "FakeContentSafety",
    "FakeModerations",
    "FakeServer",
    "RecordedRequest",
    "Reply",
    "llama_guard_rules",
]
