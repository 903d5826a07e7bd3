"""The delivery wing's shared types: what a batch rendered and what the mail sends.

At the bottom of :mod:`forecast.publish`: the batch, its index page and the
mail all import these, and none of them imports another for a type.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..run.spec import RunFolder

__all__ = ["BatchResult", "JobResult", "MailResult", "Recipient", "Report", "Status"]

Status = Literal["ok", "failed", "skipped"]
_CHART_RE = re.compile(r"^[A-Za-z0-9_.-]{1,100}\.png$")
_DATA_PNG = re.compile(r'src="data:image/png;base64,([A-Za-z0-9+/=\s]+)"')


@dataclass
class JobResult:
    """One report (a zone in one language)."""

    zone_id: str
    zone_name: str
    lang: str
    stem: str
    status: Status
    error: str | None = None
    seconds: float = 0.0
    headline: dict[str, Any] | None = None
    #: Of ``seconds``, the time the notebook ran in its kernel (the rest: export and writes).
    kernel_seconds: float = 0.0
    #: ``time.perf_counter()`` when the report was done (for throughput figures).
    finished: float = 0.0
    #: CPU seconds of the kernel on this report (``None``: not measured).
    kernel_cpu_seconds: float | None = None
    #: The kernel that ran it and how many reports that kernel had run before.
    kernel: str = ""
    kernel_reports_before: int = 0

    @property
    def html(self) -> str:
        """File name of the report inside the output folder."""
        return f"{self.stem}.html"

    @property
    def failed_notebook(self) -> str:
        """File name of the executed notebook left by a failure."""
        return f"{self.stem}.failed.ipynb"


@dataclass
class BatchResult:
    """What a batch did; ``ok`` is False when any report failed."""

    out: Path
    as_of: str
    langs: tuple[str, ...]
    results: list[JobResult] = field(default_factory=list)
    seconds: float = 0.0
    #: Of ``seconds``, fitting the model set and running the backtest.
    fit_seconds: float = 0.0
    #: CPU seconds of that fit (this process and its forked helpers).
    fit_cpu_seconds: float = 0.0
    #: Of ``seconds``, rendering the reports (kernel pool start to the last page).
    render_seconds: float = 0.0
    #: CPU seconds of the rendering (the kernels and this process) and, of
    #: them, this process's own (exports and writes).
    render_cpu_seconds: float = 0.0
    driver_cpu_seconds: float = 0.0
    #: The province pages (``forecast.publish.province``): ``zone_id`` is the
    #: page's stem, ``zone_name`` the province.
    provinces: list[JobResult] = field(default_factory=list)

    @property
    def folder(self) -> RunFolder:
        """The output folder's layout."""
        return RunFolder(Path(self.out))

    @property
    def index_path(self) -> Path:
        """``index.html`` of the output folder."""
        return self.folder.index

    @property
    def summary_path(self) -> Path:
        """``summary.csv`` of the output folder."""
        return self.folder.summary

    def count(self, status: Status) -> int:
        """How many reports ended with ``status``."""
        return sum(r.status == status for r in self.results)

    @property
    def failed(self) -> list[JobResult]:
        """The reports that failed (zone and province pages)."""
        return [r for r in self.results + self.provinces if r.status == "failed"]

    @property
    def ok(self) -> bool:
        """True when no report failed."""
        return not self.failed


@dataclass(frozen=True)
class Recipient:
    """A row of the recipients file: ``zones`` is ``None`` for all zones."""

    email: str
    name: str
    zones: tuple[str, ...] | None
    lang: str | None = None


@dataclass(frozen=True)
class Report:
    """One rendered report found in a batch folder."""

    zone_id: str
    lang: str
    stem: str
    html_path: Path
    headline: dict[str, Any]

    @property
    def zone_name(self) -> str:
        """The zone's name as the report gives it."""
        return str(self.headline.get("zone_name") or self.zone_id)

    def charts(self, limit: int) -> list[bytes]:
        """Up to ``limit`` key charts as PNG bytes (the batch's files, else the report's images)."""
        folder = RunFolder(self.html_path.parent).data
        out = []
        for name in self.headline.get("charts", [])[:limit]:
            # Names come from a file anyone could edit: only plain names inside _data/.
            if isinstance(name, str) and _CHART_RE.match(name) and (folder / name).is_file():
                out.append((folder / name).read_bytes())
        if not out:
            text = self.html_path.read_text(encoding="utf-8", errors="replace")
            out = [base64.b64decode(m.group(1)) for m in _DATA_PNG.finditer(text)][:limit]
        return out


@dataclass
class MailResult:
    """Per recipient: sent (or written as .eml), or why not; ``warnings`` for
    messages sent without some of the zones asked for."""

    sent: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    warnings: dict[str, str] = field(default_factory=dict)
    #: Recipients whose message the delivery log records as sent before (email -> when).
    already: dict[str, str] = field(default_factory=dict)
    #: The delivery log (``None`` for a dry run).
    log: Path | None = None

    @property
    def ok(self) -> bool:
        """True when every recipient got every zone asked for."""
        return not self.failed and not self.warnings
