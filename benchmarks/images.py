"""Throughput and peak memory of the full image pipeline on 1024-px images.

    python benchmarks/images.py [--images 60] [--workers 2]

Each image goes through `rules.detect.media_pipeline.analyse`: safe decode, EXIF, pHash, faces,
marks against 4 registered marks, and OCR where the image looks like a document (about 1 image in
7 here, as in a feed of class photos, flyers and the odd screenshot). One worker process per core,
each with one OpenCV/onnxruntime thread, is how the flow should run it. Models load once per
worker before the clock starts.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evaluation.synth import compose  # noqa: E402
from evaluation.synth.marks import MARKS, draw_mark  # noqa: E402
from rules.detect.logos import LogoMark  # noqa: E402
from rules.detect.media_pipeline import MediaAnalysis, Settings, analyse  # noqa: E402

_MARKS: list[LogoMark] = []


def make_images(folder: Path, count: int) -> list[Path]:
    rng = np.random.default_rng(7)
    paths = []
    for n in range(count):
        kind = n % 7
        if kind == 6:
            image = compose.document("Gradebook", ["Maya Johnson  B+", "Liam Chen  A-"],
                                     stamp="CONFIDENTIAL", rng=rng)
        else:
            image = compose.classroom(rng) if kind % 2 else compose.background(n, rng)
            if kind in (0, 1, 3, 5):
                compose.paste_heads(image, int(rng.integers(2, 8)), rng)
            if kind in (1, 2, 4):
                compose.paste_mark(image, draw_mark(list(MARKS)[n % 4]), rng,
                                   width_frac=float(rng.uniform(0.1, 0.4)),
                                   rotation=float(rng.uniform(-30, 30)), perspective=0.05,
                                   cover=0.0)
        path = folder / f"bench-{n:03d}.jpg"
        path.write_bytes(compose.jpeg_bytes(image, 85))
        paths.append(path)
    return paths


def _init(mark_paths: list[str]) -> None:
    _MARKS.extend(LogoMark.from_path(Path(p)) for p in mark_paths)


def _warm(path: str) -> int:
    analyse(Path(path), _MARKS, Settings(threads=1))
    return os.getpid()


def _run(path: str) -> tuple[dict[str, float], bool, int, float]:
    cpu = time.process_time()
    result: MediaAnalysis = analyse(Path(path), _MARKS, Settings(threads=1))
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return result.timings, result.ocr_run, peak_kb, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description="image pipeline benchmark")
    parser.add_argument("--images", type=int, default=60)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        mark_paths = []
        for name in MARKS:
            draw_mark(name).save(folder / f"{name}.png")
            mark_paths.append(str(folder / f"{name}.png"))
        paths = [str(p) for p in make_images(folder, args.images)]
        # spawn, not fork: a forked child can inherit a held OpenCV/onnxruntime thread-pool lock.
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(args.workers, mp_context=spawn, initializer=_init,
                                 initargs=(mark_paths,)) as pool:
            list(pool.map(_warm, paths[:args.workers * 2]))
            start = time.perf_counter()
            results = list(pool.map(_run, paths, chunksize=2))
            elapsed = time.perf_counter() - start
    stages: dict[str, list[float]] = {}
    for timings, *_ in results:
        for stage, ms in timings.items():
            stages.setdefault(stage, []).append(ms)
    ocr_count = sum(1 for _, ran, *_ in results if ran)
    peak_mb = max(result[2] for result in results) / 1024
    cpu_per_image = sum(result[3] for result in results) / len(results)
    load = os.getloadavg()[0]
    print(f"images: {len(paths)} at 1024x683 ({ocr_count} OCR'd as documents), "
          f"marks: {len(mark_paths)}, workers: {args.workers}, cpus: {os.cpu_count()}")
    print(f"throughput: {len(paths) / elapsed:.1f} images/s wall ({elapsed:.1f} s, load average "
          f"{load:.1f}); CPU {cpu_per_image * 1000:.0f} ms/image -> "
          f"{args.workers / cpu_per_image:.1f} images/s on {args.workers} idle cores")
    print(f"peak memory: {peak_mb:.0f} MB per worker process (RSS), "
          f"~{peak_mb * args.workers:.0f} MB for all workers")
    for stage, values in stages.items():
        print(f"  {stage:<7} mean {statistics.mean(values):7.1f} ms   "
              f"p95 {sorted(values)[int(len(values) * 0.95) - 1]:7.1f} ms   n={len(values)}")


if __name__ == "__main__":
    main()
