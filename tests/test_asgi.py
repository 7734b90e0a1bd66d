"""The ASGI entry point daphne loads."""

import subprocess
import sys
from pathlib import Path

import autobahn.util

import explorer.asgi


def test_daphne_does_not_style_log_arguments_nobody_reads():
    # autobahn builds the debug-log arguments of every frame it sends; through click
    # (present in a development install) that was a fifth of a busy worker's CPU.
    assert explorer.asgi.application is not None
    assert autobahn.util.hl("sent", bold=True) == "sent"


def test_what_the_server_imported_is_kept_out_of_full_collections():
    # benchmarks/fanout.py: full collections of a worker with 500 sockets paused them all 90-200 ms; half with this.
    # In a process of its own: a kube source that closes thaws the heap (its threads form cycles), and the
    # next first lists to settle freeze it again, so a test session's count depends on what ran before.
    script = "import gc, explorer.asgi; print(gc.get_freeze_count())"
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True)
    assert int(out.stdout.split()[-1]) > 10000
