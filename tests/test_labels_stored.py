"""A batch's labels PDF lives in the database, not on the disk of the process that printed it: another API
process, with another (empty) data directory, serves the same PDF, and only to users granted every shop
whose parcels it holds — on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from lanshou import schema as s
from lanshou.api.app import create_app
from lanshou.api.settings import AppSettings
from tests.accounts_data import SHOP_A, SHOP_B, Seeded
from tests.test_web_ops import accept, api, client, needs_font, seeded, ship_ready  # noqa: F401
from tests.test_web_pages import sign_in


@needs_font
def test_labels_are_served_by_another_process_without_the_printers_disk(
    client: TestClient,  # noqa: F811
    seeded: Seeded,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a, b = seeded.shop_ids[SHOP_A], seeded.shop_ids[SHOP_B]
    ship_ready(seeded.engine, tmp_path)
    accept(seeded, SHOP_A, "A-1", "A-3")
    accept(seeded, SHOP_B, "B-1")
    shipped = api(client, seeded, "boss", "POST", "/api/v1/ship", json={"carrier": "zto", "orders": ["A-1"]})
    assert shipped.status_code == 200, shipped.text
    body = shipped.json()
    assert body["shipped"] == 1 and body["pages"] == 1
    here = api(client, seeded, "boss", "GET", body["labels"]).content
    assert here.startswith(b"%PDF")
    # stored with the shops it holds parcels of and who printed it; nothing left in the data directory
    t = s.batch_labels.c
    with seeded.engine.connect() as conn:
        row = conn.execute(
            select(t.shop_ids, t.created_by, t.pages, t.pdf).where(t.label_id == body["label_id"])
        )
        stored = row.one()
    assert (stored.shop_ids, stored.created_by, stored.pages, bytes(stored.pdf)) == (str(a), "boss", 1, here)
    data = tmp_path / "data"
    assert not data.exists() or not any(data.rglob("*.pdf"))

    # another machine: its own empty data directory, its own app, the same database
    monkeypatch.setenv("LANSHOU_DATA_DIR", str(tmp_path / "elsewhere"))
    settings = AppSettings.for_tests()
    with TestClient(create_app(seeded.engine, settings), base_url="https://testserver") as other:
        there = api(other, seeded, "alice", "GET", body["labels"])  # alice: shop A
        assert there.status_code == 200 and there.content == here
        assert there.headers["content-disposition"].startswith("inline")
        assert api(other, seeded, "dave", "GET", body["labels"]).status_code == 404  # dave: shop B only
        sign_in(other, "alice")
        assert other.get(f"/ship/labels/{body['label_id']}").content == here
        other.cookies.clear()
        sign_in(other, "dave")
        assert other.get(f"/ship/labels/{body['label_id']}").status_code == 404

    # a batch holding parcels of shops A and B: only a user granted both may fetch it
    both = api(client, seeded, "boss", "POST", "/api/v1/ship", json={"carrier": "zto"})
    assert both.status_code == 200 and both.json()["shipped"] == 2, both.text
    url = both.json()["labels"]
    assert api(client, seeded, "boss", "GET", url).status_code == 200
    assert api(client, seeded, "alice", "GET", url).status_code == 404
    assert api(client, seeded, "dave", "GET", url).status_code == 404
    with seeded.engine.connect() as conn:
        owners = conn.execute(select(t.shop_ids).where(t.label_id == both.json()["label_id"])).scalar_one()
    assert owners == ",".join(map(str, sorted((a, b))))


@needs_font
def test_a_ship_run_keeps_the_platforms_upload_files_and_the_lists(
    client: TestClient,  # noqa: F811
    seeded: Seeded,  # noqa: F811
    tmp_path: Path,
) -> None:
    ship_ready(seeded.engine, tmp_path)
    accept(seeded, SHOP_A, "A-1", "A-3")
    body = api(
        client, seeded, "boss", "POST", "/api/v1/ship", json={"carrier": "zto", "orders": ["A-1"]}
    ).json()
    assert body["shipped"] == 1
    names = [f["name"] for f in body["files"]]
    assert names[-2:] == ["拣货单 pick list.pdf", "装箱单 packing list.pdf"]
    assert len(body["upload_files"]) == 1 == len(names) - 2  # one platform: one batch-ship file
    assert body["upload_files"][0] == body["files"][0]["url"]  # a URL, never the server's path
    upload = api(client, seeded, "alice", "GET", body["upload_files"][0])  # alice: shop A
    assert upload.status_code == 200
    assert "attachment" in upload.headers["content-disposition"]
    tracking_no = body["shipments"][0]["tracking_no"]
    text = upload.content.decode("gb18030", errors="replace") + upload.content.decode(
        "utf-8", errors="replace"
    )
    assert "A-1" in text and tracking_no in text  # 订单号 + 运单号, as the platform reads them
    for listing in body["files"][-2:]:
        assert api(client, seeded, "boss", "GET", listing["url"]).content.startswith(b"%PDF")
    assert api(client, seeded, "dave", "GET", body["upload_files"][0]).status_code == 404  # shop B only
    assert api(client, seeded, "boss", "GET", f"/api/v1/labels/{body['label_id']}/files/9").status_code == 404

    # the dashboard's ship form offers the same files after the run
    accept(seeded, SHOP_A, "A-3")
    sign_in(client, "boss")
    page = client.get("/ship").text
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    done = client.post("/ship", data={"csrf_token": token, "all": "1", "carrier": "zto", "size": "100x180"})
    assert done.status_code == 200
    links = done.text.split('id="run-files"')[1].split("</p>")[0]
    assert links.count("data-file=") == 3 and "拣货单" in links
    first = links.split('href="')[1].split('"')[0]
    assert client.get(first).status_code == 200
