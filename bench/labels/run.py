"""Label PDF benchmark: labels/s and peak RSS for 1,000 and 5,000 labels into one PDF, with baselines.

Each measurement runs in a fresh child process (peak RSS is per process). See README.md.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from lanshou.demo import catalog
from lanshou.demo.people import buyer
from lanshou.shipping.labels import Label, LabelItem, Party, write_labels
from lanshou.shipping.labels.fonts import cjk_font
from lanshou.shipping.labels.layout import label_layout
from lanshou.shipping.labels.model import LabelSize
from lanshou.shipping.labels.pdf import render_part

MODES = ("labels", "one-document", "baseline")


def demo_labels(count: int, seed: int = 7) -> Iterator[Label]:
    """Deterministic labels from the demo generator's buyers, shops and products (made lazily)."""
    rng = random.Random(seed)
    shops = [s for s in catalog.SHOPS if not s.abroad]
    for n in range(count):
        shop = rng.choice(shops)
        person = buyer(seed, shop.platform, n)
        carrier = rng.choice([code for code, _ in shop.carriers])
        products = rng.sample(shop.products, k=min(len(shop.products), rng.choice((1, 1, 1, 2, 3, 6))))
        province, city, district = shop.origin
        yield Label(
            waybill_no=f"{catalog.TRACKING_PREFIX[carrier]}{rng.randrange(10**12, 10**13)}",
            carrier_code=carrier,
            carrier_name=catalog.CARRIER_NAMES[carrier],
            receiver=Party(person.name, person.phone, person.full_address()),
            sender=Party(shop.name, "0571-88886666", f"{province} {city} {district} 仓储中心1号库"),
            items=[LabelItem(p.title, p.sku, rng.randint(1, 3)) for p in products],
            order_ids=[f"{rng.randrange(10**17, 10**18)}"],
            shop=shop.name,
            sorting_code=f"{rng.randint(100, 999)}-{rng.choice('ABCDEFG')}{n % 90 + 10} {n % 100:02d}",
            package_center=f"{person.city}转运中心",
            short_address=f"{person.province[:2]}{person.city[:2]}",
            printed_at=datetime(2024, 5, 1, 10, 30),
        )


def measure(mode: str, count: int, size: str, out: Path) -> dict[str, float]:
    """In this (child) process: render count labels one way; time and peak RSS."""
    cjk_font()  # register the font before the clock starts, as a long-running process would have
    labels = demo_labels(count)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cpu_start = _cpu_seconds()
    start = time.perf_counter()
    if mode == "labels":
        write_labels(labels, out, size=size)
    elif mode == "one-document":  # the same drawing, all pages in one reportlab document (no parts)
        out.write_bytes(render_part(list(labels), label_layout(LabelSize.parse(size)), cjk_font(), True))
    else:
        _bare_reportlab(labels, out, LabelSize.parse(size))
    seconds = time.perf_counter() - start
    cpu = _cpu_seconds() - cpu_start
    return {
        "seconds": seconds,
        "per_second": count / seconds,
        "per_cpu_second": count / cpu,
        "rss_before_mb": rss_before,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "file_mb": out.stat().st_size / 1e6,
    }


def _cpu_seconds() -> float:
    """This process's CPU time: on a shared machine a steadier measure than the wall clock."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _bare_reportlab(labels: Iterator[Label], out: Path, size: LabelSize) -> None:
    """Raw baseline: a bare canvas drawing only the barcode and one string per page."""
    from reportlab.graphics.barcode.code128 import Code128
    from reportlab.pdfgen.canvas import Canvas

    canvas = Canvas(str(out), pagesize=(size.width_pt, size.height_pt), pageCompression=1)
    font = cjk_font()
    for label in labels:
        Code128(label.waybill_no, barWidth=3 * 72 / 203, barHeight=50, humanReadable=False).drawOn(
            canvas, 10, 200
        )
        canvas.setFont(font, 10)
        canvas.drawString(10, 100, label.receiver.address)
        canvas.showPage()
    canvas.save()


def _child(mode: str, count: int, size: str, workdir: Path) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", mode, "--labels", str(count), "--size", size]
    done = subprocess.run([*command, "--dir", str(workdir)], check=True, capture_output=True, text=True)
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--labels", type=int, nargs="*", default=[1000, 5000])
    parser.add_argument("--size", default="100x180")
    parser.add_argument("--modes", nargs="*", default=list(MODES), choices=MODES)
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        out = args.dir / f"{args.child}-{args.labels[0]}.pdf"
        print(json.dumps(measure(args.child, args.labels[0], args.size, out)))
        return
    print(f"size {args.size}; each row a fresh process; RSS in MB")
    heads = (
        ("labels", 8),
        ("labels/s", 10),
        ("per CPU-s", 11),
        ("seconds", 9),
        ("RSS start", 11),
        ("peak RSS", 10),
    )
    print(f"{'mode':<14}" + "".join(f"{h:>{w}}" for h, w in (*heads, ("file MB", 9))))
    with tempfile.TemporaryDirectory() as tmp:
        for count in args.labels:  # the modes of one size side by side in time: the machine's load drifts
            for mode in args.modes:
                r = _child(mode, count, args.size, Path(tmp))
                print(
                    f"{mode:<14}{count:>8,}{r['per_second']:>10.0f}{r['per_cpu_second']:>11.0f}{r['seconds']:>9.1f}"
                    f"{r['rss_before_mb']:>11.0f}{r['peak_rss_mb']:>10.0f}{r['file_mb']:>9.1f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
