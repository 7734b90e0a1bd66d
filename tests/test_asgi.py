"""The ASGI entry point daphne loads."""

import autobahn.util

import explorer.asgi


def test_daphne_does_not_style_log_arguments_nobody_reads():
    # autobahn builds the debug-log arguments of every frame it sends; through click
    # (present in a development install) that was a fifth of a busy worker's CPU.
    assert explorer.asgi.application is not None
    assert autobahn.util.hl("sent", bold=True) == "sent"
