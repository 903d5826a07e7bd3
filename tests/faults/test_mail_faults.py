"""Mail under faults, with a real SMTP server (aiosmtpd on 127.0.0.1) and real
`forecast email` processes: a server that drops the connection, a rerun, refused
recipients, recipients files as Excel saves them, names too long for a header."""

from __future__ import annotations

import email
import json
import sys
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

from forecast.publish.delivery import LOG_FILE
from forecast.publish.mail import build_message, find_reports, read_recipients, send_reports
from forecast.publish.results import Recipient

sys.path.insert(0, str(Path(__file__).parents[1] / "batch"))
from test_mail import _report, smtp_server  # noqa: E402,F401  (report folders; the server fixture)

PEOPLE = ["alice@example.cn", "bob@example.cn", "carol@example.cn"]


class _Inbox:
    def __init__(self, accept: int | None = None, refuse: tuple[str, ...] = ()) -> None:
        self.accept, self.refuse = accept, refuse
        self.received: list[tuple[list[str], bytes]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.received.append((list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


class _Dropping(SMTP):
    """Accepts ``accept`` messages, then drops every connection at its next MAIL
    (a server going down, a proxy cutting idle sessions)."""

    async def smtp_MAIL(self, arg):  # noqa: N802
        if self.event_handler.accept is not None and len(self.event_handler.received) >= self.event_handler.accept:
            self.transport.close()
            return
        await super().smtp_MAIL(arg)


class _Controller(Controller):
    def factory(self):
        return _Dropping(self.handler, **self.SMTP_kwargs)


@pytest.fixture
def smtp(smtp_server):
    """A server of ``_Inbox(**kw)`` that drops connections as ``_Dropping`` says."""
    return lambda **kw: smtp_server(_Inbox(**kw), _Controller)


@pytest.fixture
def folder(tmp_path) -> Path:
    out = tmp_path / "2025Q3"
    for zid, name in (("MY", "绵阳经开区"), ("DY", "德阳经开区")):
        _report(out, zid, name, "zh")
    return out


def _recipients(tmp_path: Path) -> Path:
    to = tmp_path / "to.csv"
    to.write_text("email,name,zones\n" + "".join(f"{p},{p[:3]},all\n" for p in PEOPLE), encoding="utf-8")
    return to


def _to(raw: bytes) -> str:
    return email.message_from_bytes(raw, policy=policy.default)["To"].addresses[0].addr_spec


def test_dropped_connection_then_rerun_delivers_exactly_the_missing(folder, tmp_path, smtp, forecast_cli):
    to = _recipients(tmp_path)
    down, port = smtp(accept=1)
    run = forecast_cli("email", folder, "--recipients", to, "--smtp", f"127.0.0.1:{port}",
                       "--retries", "2", "--retry-wait", "0.05")
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert [_to(raw) for _, raw in down.received] == ["alice@example.cn"]
    lines = run.stderr.splitlines()
    assert "delivered: alice@example.cn" in lines
    bob = next(ln for ln in lines if ln.startswith("not delivered: bob@example.cn: "))
    assert "SMTPServerDisconnected" in bob and "after 3 attempts" in bob
    carol = next(ln for ln in lines if ln.startswith("not delivered: carol@example.cn: "))
    assert "not attempted: the server was lost earlier" in carol
    log = [json.loads(ln) for ln in (folder / LOG_FILE).read_text().splitlines()]
    assert [(e["email"], e["status"], e["attempts"]) for e in log] == [
        ("alice@example.cn", "sent", 1), ("bob@example.cn", "failed", 3), ("carol@example.cn", "failed", 0)]

    healthy, port2 = smtp()
    rerun = forecast_cli("email", folder, "--recipients", to, "--smtp", f"127.0.0.1:{port2}")
    assert rerun.returncode == 0, rerun.stderr
    assert sorted(_to(raw) for _, raw in healthy.received) == ["bob@example.cn", "carol@example.cn"]
    assert "already delivered: alice@example.cn" in rerun.stderr
    assert "sent 2 message(s), 1 already delivered, 0 not delivered" in rerun.stderr
    # Once everyone has it, a third run sends nothing; --resend sends all again.
    third = forecast_cli("email", folder, "--recipients", to, "--smtp", f"127.0.0.1:{port2}")
    assert third.returncode == 0 and len(healthy.received) == 2
    forced = forecast_cli("email", folder, "--recipients", to, "--smtp", f"127.0.0.1:{port2}", "--resend")
    assert forced.returncode == 0 and len(healthy.received) == 5


def test_a_dropped_connection_is_retried_and_a_refused_recipient_alone_is_reported(folder, smtp, monkeypatch):
    inbox, port = smtp(accept=1, refuse=("carol@example.cn",))
    rcpts = [Recipient(p, "", None) for p in PEOPLE]

    def back_up(seconds: float) -> None:  # the server comes back while the sender waits
        inbox.accept = None

    import forecast.publish.delivery as delivery

    monkeypatch.setattr(delivery.time, "sleep", back_up)
    res = send_reports(folder, rcpts, smtp=f"127.0.0.1:{port}", retry_wait=0.01)
    monkeypatch.undo()
    assert res.sent == ["alice@example.cn", "bob@example.cn"]
    assert list(res.failed) == ["carol@example.cn"] and "550 5.1.1 no such mailbox" in res.failed["carol@example.cn"]
    # Only carol is sent again, and refused again: nothing else goes twice.
    again = send_reports(folder, rcpts, smtp=f"127.0.0.1:{port}")
    assert again.sent == [] and list(again.failed) == ["carol@example.cn"]
    assert [_to(raw) for _, raw in inbox.received] == ["alice@example.cn", "bob@example.cn"]


@pytest.mark.parametrize("encoding, sep", [("gbk", ","), ("gb18030", ","), ("utf-16", "\t"), ("utf-8-sig", ",")])
def test_recipients_file_as_excel_saves_it_with_chinese_headers(tmp_path, encoding, sep):
    path = tmp_path / "to.csv"
    rows = [["邮箱", "姓名", "园区", "语言"], ["li@example.cn", "李娜", "MY；DY", "zh"],
            ["wang@example.cn", "王伟", "全部", ""]]
    path.write_bytes("\r\n".join(sep.join(r) for r in rows).encode(encoding))
    assert read_recipients(path) == [Recipient("li@example.cn", "李娜", ("MY", "DY"), "zh"),
                                     Recipient("wang@example.cn", "王伟", None, None)]


def test_undecodable_recipients_file_is_one_line_naming_it(tmp_path, folder, forecast_cli):
    path = tmp_path / "to.csv"
    path.write_bytes(b"email,name,zones\n\x81\xff\xfe,x,all\n")
    run = forecast_cli("email", folder, "--recipients", path, "--dry-run")
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert run.stderr.startswith(f"error: {path}: undecodable file")


def test_long_names_are_shortened_in_headers_only(tmp_path):
    out = tmp_path / "q"
    name = "园" * 100_000
    _report(out, "MY", name, "zh")
    report, = find_reports(out)
    assert report.zone_name == name  # the data keeps it whole
    msg = build_message([report], Recipient("li@example.cn", "李" * 5000, None), "f@example.cn")
    assert len(msg["Subject"]) < 120 and msg["Subject"].startswith("园" * 59 + "…")
    assert len(str(msg["To"])) < 100
    assert len(bytes(msg)) < 500_000
