"""Delivery: notebook execution, the warm kernel pool, the batch, its index, headline and mail.

The only part of ``forecast`` that imports papermill, nbclient, jupyter_client
or smtplib. Modules, from the top down: ``batch`` (:func:`run_batch`: fit once,
render many, resume), ``rendering`` (reports on the kernel pool), ``kernelpool``,
``notebook`` (:func:`render_report`: one report through papermill), ``index``
(``index.html``, ``summary.csv``), ``mail`` and ``mail_body``, ``manifest``,
``headline`` (what a report notebook hands to the batch and the mail) and, at
the bottom, ``results`` (the shared types).

Importing this package is cheap (a report kernel imports
``forecast.publish.headline``); the public functions load on first use.
"""

from __future__ import annotations

from typing import Any

__all__ = ["read_recipients", "render_report", "run_batch", "send_reports"]

_LAZY = {"run_batch": "batch", "render_report": "notebook", "read_recipients": "mail",
         "send_reports": "mail"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'forecast.publish' has no attribute {name!r}")
