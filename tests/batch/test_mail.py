"""forecast.publish.mail against a real SMTP server started here on 127.0.0.1 (aiosmtpd)."""

from __future__ import annotations

import base64
import email
import json
import re
import socket
import ssl
import struct
import subprocess
import zlib
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from forecast.exceptions import ForecastError
from forecast.publish.mail import BODY_LIMIT, Recipient, build_message, find_reports, read_recipients, send_reports


def _png(seed: int) -> bytes:
    """A real 4x4 grey PNG whose bytes differ by seed."""
    raw = b"".join(b"\x00" + bytes([seed % 256] * 4) for _ in range(4))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _report(folder: Path, zone_id: str, name: str, lang: str, charts: int = 3) -> None:
    data = folder / "_data"
    data.mkdir(parents=True, exist_ok=True)
    names = []
    for i in range(charts):
        (data / f"{zone_id}.{lang}.chart-{i + 1}.png").write_bytes(_png(len(names) + 10 * len(zone_id)))
        names.append(f"{zone_id}.{lang}.chart-{i + 1}.png")
    head = {"zone_id": zone_id, "zone_name": name, "as_of": "2025Q3", "lang": lang, "charts": names,
            "figures": [{"key": "investment_next", "label": "下季度完成投资", "value": 12.5, "text": "12.5 亿元"}],
            "targets": [{"label": "2025 investment", "p_meet": 0.62}],
            "risks": [{"project": "<b>Plant</b>", "risk": "start", "probability": 0.7, "reason": "late"}]}
    (data / f"{zone_id}.{lang}.json").write_text(json.dumps(head, ensure_ascii=False), encoding="utf-8")
    img = base64.b64encode(_png(99)).decode()
    page = f'<!DOCTYPE html><html><body><h1>{name}</h1><img src="data:image/png;base64,{img}">{"x" * 5000}</body></html>'
    (folder / f"{zone_id}.{lang}.html").write_text(page, encoding="utf-8")


@pytest.fixture
def reports(tmp_path) -> Path:
    folder = tmp_path / "2025Q3"
    for zid, name in (("MY", "绵阳经开区"), ("DY", "德阳经开区"), ("SN", "遂宁<经开区>")):
        for lang in ("zh", "en"):
            _report(folder, zid, name, lang)
    return folder


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes, bool]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((list(envelope.rcpt_tos), envelope.content, session.ssl is not None))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    started = []

    def start(inbox=None, controller=Controller, **kw) -> tuple[_Inbox, int]:
        inbox = inbox or _Inbox()
        port = _free_port()
        ctl = controller(inbox, hostname="127.0.0.1", port=port, **kw)
        ctl.start()
        started.append(ctl)
        return inbox, port

    yield start
    for ctl in started:
        ctl.stop()


def _check_message(raw: bytes, folder: Path, zone_name: str, stem: str) -> email.message.EmailMessage:
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert zone_name in msg["Subject"] and "2025Q3" in msg["Subject"]
    html = msg.get_body(("html",)).get_content()
    assert len(html.encode("utf-8")) < 100_000
    assert "<style" not in html.lower() and "data:" not in html
    images = {p["Content-ID"].strip("<>"): p for p in msg.walk() if p.get_content_type() == "image/png"}
    cids = re.findall(r'src="cid:([^"]+)"', html)
    assert 2 <= len(cids) <= 3
    for cid in cids:
        assert cid in images and images[cid].get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    attached = [p for p in msg.iter_attachments() if p.get_filename() == f"{stem}.html"]
    assert len(attached) == 1
    assert attached[0].get_payload(decode=True) == (folder / f"{stem}.html").read_bytes()
    assert msg.get_body(("plain",)).get_content().strip()
    return msg


def test_messages_arrive_parse_and_resolve_every_cid(reports, smtp_server, monkeypatch):
    monkeypatch.delenv("FORECAST_SMTP_USER", raising=False)
    inbox, port = smtp_server()
    rcpts = [Recipient("li@example.cn", "李娜", ("MY",), "zh"),
             Recipient("ops@example.cn", "", ("SN", "DY"), "en")]
    res = send_reports(reports, rcpts, smtp=f"127.0.0.1:{port}")
    assert res.ok and res.sent == ["li@example.cn", "ops@example.cn"]
    assert [m[0] for m in inbox.messages] == [["li@example.cn"], ["ops@example.cn"]]
    first = _check_message(inbox.messages[0][1], reports, "绵阳经开区", "MY.zh")
    assert "李娜" in str(first["To"])
    second = _check_message(inbox.messages[1][1], reports, "遂宁<经开区>", "SN.en")
    html = second.get_body(("html",)).get_content()
    assert "遂宁&lt;经开区&gt;" in html and "&lt;b&gt;Plant&lt;/b&gt;" in html
    assert {p.get_filename() for p in second.iter_attachments()} == {"SN.en.html", "DY.en.html"}


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def test_starttls_with_login_from_the_environment(reports, smtp_server, monkeypatch, tmp_path):
    cert, key = _self_signed(tmp_path)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"robot", b"s3cret")
        logins.append(ok)
        return AuthResult(success=ok)

    inbox, port = smtp_server(tls_context=tls, require_starttls=True, authenticator=authenticator, auth_required=True)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the client trusts only this test's certificate
    monkeypatch.setenv("FORECAST_SMTP_USER", "robot")
    monkeypatch.setenv("FORECAST_SMTP_PASSWORD", "s3cret")
    res = send_reports(reports, [Recipient("a@example.cn", "A", ("DY",))], smtp=f"127.0.0.1:{port}",
                       starttls=True, sender="forecast@example.cn")
    assert res.ok and logins == [True]
    assert len(inbox.messages) == 1 and inbox.messages[0][2] is True  # delivered over TLS
    _check_message(inbox.messages[0][1], reports, "德阳经开区", "DY.zh")
    # Delivered once: a rerun does not send it again.
    again = send_reports(reports, [Recipient("a@example.cn", "A", ("DY",))], smtp=f"127.0.0.1:{port}",
                         starttls=True, sender="forecast@example.cn")
    assert again.ok and again.sent == [] and list(again.already) == ["a@example.cn"]
    assert len(inbox.messages) == 1
    # The server demands STARTTLS: without it nothing is delivered, and the reason says so.
    res = send_reports(reports, [Recipient("a@example.cn", "A", ("DY",))], smtp=f"127.0.0.1:{port}", resend=True)
    assert not res.ok and res.failed["a@example.cn"].startswith(f"SMTP 127.0.0.1:{port}: ")
    assert len(inbox.messages) == 1


def test_password_is_never_sent_in_clear_text_to_a_remote_host(reports, monkeypatch):
    monkeypatch.setenv("FORECAST_SMTP_USER", "robot")
    monkeypatch.setenv("FORECAST_SMTP_PASSWORD", "s3cret")
    with pytest.raises(ForecastError, match="--starttls"):
        send_reports(reports, [Recipient("a@example.cn", "A", None)], smtp="mail.example.cn:587")


def test_dry_run_writes_eml_files(reports, tmp_path, monkeypatch):
    monkeypatch.delenv("FORECAST_SMTP_USER", raising=False)
    rcpts = [Recipient("x/../../evil@example.cn", "", ("MY",)), Recipient("all@example.cn", "", None, "en")]
    res = send_reports(reports, rcpts, dry_run=True, outbox=tmp_path / "box")
    assert [p.parent for p in res.files] == [tmp_path / "box"] * 2
    assert all(re.fullmatch(r"\d{3}-[A-Za-z0-9._-]+\.eml", p.name) for p in res.files)
    msg = _check_message(res.files[1].read_bytes(), reports, "and 2 more zones", "MY.en")
    assert len(list(msg.iter_attachments())) == 3


def test_missing_zone_is_reported_and_the_others_still_go(reports, tmp_path):
    res = send_reports(reports, [Recipient("a@example.cn", "", ("MY", "NOPE")),
                                 Recipient("b@example.cn", "", ("NOPE",))], dry_run=True, outbox=tmp_path)
    assert res.sent == ["a@example.cn"] and "NOPE" in res.warnings["a@example.cn"]
    assert "NOPE" in res.failed["b@example.cn"] and not res.ok


def test_body_stays_small_for_many_zones_and_attachments_are_capped(tmp_path):
    folder = tmp_path / "big"
    for i in range(150):
        _report(folder, f"Z{i:03d}", f"第{i}经开区 " + "长名" * 20, "zh", charts=1)
    reports = find_reports(folder)
    msg = build_message(reports, Recipient("a@example.cn", "", None), "f@example.cn",
                        body_limit=BODY_LIMIT, attach_limit=60_000)
    html = msg.get_body(("html",)).get_content()
    assert len(html.encode("utf-8")) <= BODY_LIMIT
    attached = list(msg.iter_attachments())
    assert 1 <= len(attached) < 150 and "Z149.zh.html" in html  # the rest named in the body
    small = build_message(reports, Recipient("a@example.cn", "", None), "f@example.cn", body_limit=20_000)
    assert len(small.get_body(("html",)).get_content().encode("utf-8")) <= 20_000
    assert "未列出" in small.get_body(("html",)).get_content()


def test_subject_cannot_carry_extra_headers(tmp_path):
    _report(tmp_path, "Z1", "Evil\r\nBcc: everyone@example.cn", "zh")
    msg = build_message(find_reports(tmp_path), Recipient("a@example.cn", "", None), "f@example.cn")
    headers = msg.as_bytes().split(b"\n\n", 1)[0]
    assert b"\nBcc:" not in headers and msg["Bcc"] is None
    parsed = email.message_from_bytes(msg.as_bytes(), policy=policy.default)
    assert parsed["Bcc"] is None and "\n" not in parsed["Subject"]


def test_read_recipients_accepts_chinese_headers_and_reports_every_bad_row(tmp_path):
    good = tmp_path / "to.csv"
    good.write_text("邮箱,姓名,园区,语言\nli@example.cn,李娜,MY；DY,zh\nops@example.cn,,全部,\n", encoding="utf-8-sig")
    assert read_recipients(good) == [Recipient("li@example.cn", "李娜", ("MY", "DY"), "zh"),
                                     Recipient("ops@example.cn", "", None, None)]
    bad = tmp_path / "bad.csv"
    bad.write_text("email,name,zones\nnot-an-address,A,MY\nb@example.cn,B,\nc@example.cn,C,all\n", encoding="utf-8")
    with pytest.raises(ForecastError, match=r"2 bad row\(s\)") as err:
        read_recipients(bad)
    assert "row 2" in str(err.value) and "row 3" in str(err.value)
