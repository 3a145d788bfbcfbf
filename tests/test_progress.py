from __future__ import annotations

import io

from qcnn_tl import _progress
from qcnn_tl._progress import LOG_INTERVAL_S, progress_bar


def test_bars_update_rarely_when_stderr_is_not_a_terminal(monkeypatch):
    monkeypatch.setattr(_progress.sys, "stderr", io.StringIO())
    bar = progress_bar(range(3), file=io.StringIO())
    assert bar.mininterval == LOG_INTERVAL_S
    assert list(bar) == [0, 1, 2]


def test_bars_on_a_terminal_keep_tqdms_interval(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr(_progress.sys, "stderr", Terminal())
    assert progress_bar(range(3), file=io.StringIO()).mininterval == 0.1
