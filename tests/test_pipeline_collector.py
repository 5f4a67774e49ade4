"""An import's batches are not walked by the cyclic collector: it stays paused from a batch's arrival to its
end and between batches (lanshou.gc_pause.paused_for_batches). Let run between batches, it walked every
object of the batch at hand, finding nothing to free (issue 9's orders file: 0.8 s of the writer)."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from lanshou import schema as s
from lanshou.events import EventBus
from lanshou.gc_pause import gc_paused, own_process
from lanshou.intake import orders as orders_import
from lanshou.intake import pipeline
from lanshou.intake.orders import import_orders
from tests.test_generic_import import HEADER

ORDERS = 3000


def _orders_file(path: Path) -> Path:
    rows = [
        f"tmall,旗舰店,{9000000000000000 + n},paid,2026-11-01 10:00:00,2026-11-01 10:05:00,0,,b{n % 97},"
        f"张三,13812345678,浙江省,杭州市,西湖区,文三路{n}号,,SKU-{n % 13},保温杯,家居,1,59.00,59.00,"
        f"yto,YT{n:010d},2026-11-01 18:00:00"
        for n in range(ORDERS)
    ]
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def test_no_collection_walks_the_batches_of_an_import(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(orders_import, "FIRST_BATCH_ORDERS", 1000)
    monkeypatch.setattr(orders_import, "BATCH_ORDERS", 1000)  # three batches of a thousand orders
    collections: list[int] = []
    loop_runs = [False]

    def seen(phase: str, info: dict[str, Any]) -> None:
        if phase == "start" and loop_runs[0]:
            collections.append(info["generation"])

    run = pipeline.run

    def watched_run(engine: Engine, report: Any, parsed: Any, *args: Any, **kwargs: Any) -> Any:
        def watched() -> Iterator[Any]:  # from the first batch asked for to the last one stored
            loop_runs[0] = True
            try:
                yield from parsed
            finally:
                loop_runs[0] = False

        return run(engine, report, watched(), *args, **kwargs)

    monkeypatch.setattr(pipeline, "run", watched_run)
    gc.callbacks.append(seen)
    try:
        path = _orders_file(tmp_path / "orders.csv")
        report = import_orders(sqlite_engine, path, rejects=tmp_path / "r.csv", events=EventBus())
    finally:
        gc.callbacks.remove(seen)
    assert report.ok and report.inserted == ORDERS
    with sqlite_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(s.orders)).scalar_one() == ORDERS
    assert collections == []
    assert gc.isenabled()  # back on once the import ended


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork: POSIX only")
def test_a_process_forked_inside_a_pause_owns_its_collector_after_own_process() -> None:
    gc.enable()
    read, write = os.pipe()
    with gc_paused():
        pid = os.fork()
        if pid == 0:  # the child: paused as forked, its own after own_process(), and its pauses work
            seen = [gc.isenabled()]
            own_process()
            seen.append(gc.isenabled())
            with gc_paused():
                seen.append(gc.isenabled())
            seen.append(gc.isenabled())
            os.write(write, bytes(seen))
            os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(read, 4) == bytes([False, True, False, True])
    assert gc.isenabled()
