"""The delivery log: appended durably, read back after a crash cut a line short."""

from __future__ import annotations

from forecast.publish.delivery import LOG_FILE, Delivery, DeliveryLog, message_key


def test_key_depends_on_recipient_and_report_inputs_not_order():
    a = message_key("Li@Example.cn", [("MY.zh", "k1"), ("DY.zh", "k2")])
    assert a == message_key("li@example.cn", [("DY.zh", "k2"), ("MY.zh", "k1")])
    assert a != message_key("li@example.cn", [("DY.zh", "k2"), ("MY.zh", "k9")])
    assert a != message_key("wang@example.cn", [("DY.zh", "k2"), ("MY.zh", "k1")])


def test_log_survives_a_line_cut_short(tmp_path):
    log = DeliveryLog(tmp_path)
    log.record(Delivery("a@x.cn", "k1", "sent", reports=["MY.zh"]))
    log.record(Delivery("b@x.cn", "k2", "failed", "connection lost"))
    with open(tmp_path / LOG_FILE, "ab") as fh:  # a crash in the middle of a write
        fh.write(b'{"email": "c@x.cn", "key": "k3", "sta')
    again = DeliveryLog(tmp_path)
    assert again.sent("k1").reports == ["MY.zh"] and again.sent("k2") is None and "k3" not in again.last
    again.record(Delivery("b@x.cn", "k2", "sent", attempts=2))
    third = DeliveryLog(tmp_path)
    assert third.sent("k2").attempts == 2 and third.sent("k1") is not None
    lines = (tmp_path / LOG_FILE).read_bytes().splitlines()
    assert len(lines) == 4 and lines[-1].startswith(b'{"email": "b@x.cn"')
