"""Export every scalar point of the corpus: spyder-tblogs against tbparse.

Targets (issue 13): at least 20x faster than tbparse's ``SummaryReader``,
peak RSS (the whole process tree) under 150 MB. Both run in fresh child
interpreters on the same corpus, in the same run: half of our runs before
tbparse's, half after; the median of ours counts. tbparse is only asked for
its DataFrame (``.scalars``, with wall times and run names), ours writes the
CSV file as well: the comparison favours tbparse.

    .venv/bin/pip install tbparse          # not a test dependency
    .venv/bin/python bench/bench_export.py [--scale S] [--repeats N]
        [--only-ours]      # skip tbparse (a minute a run) while iterating
"""

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import (  # noqa: E402
    REPO_DIR, emit_result, fmt_mb, fmt_seconds, machine_load_note,
    markdown_table, median, run_child, verdict)

THIS = os.path.abspath(__file__)
TARGET_RATIO = 20.0
TARGET_RSS_MB = 150.0


def child_ours(logdir, output):
    sys.path.insert(0, REPO_DIR)
    from spyder_tblogs.logs.export import export_scalars

    started = time.perf_counter()
    points = export_scalars(logdir, output)
    emit_result(seconds=time.perf_counter() - started, points=points,
                csv_bytes=os.path.getsize(output))


def child_tbparse(logdir):
    from tbparse import SummaryReader

    started = time.perf_counter()
    reader = SummaryReader(logdir, extra_columns={"dir_name", "wall_time"})
    frame = reader.scalars
    emit_result(seconds=time.perf_counter() - started, points=len(frame))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", choices=("ours", "tbparse"))
    parser.add_argument("--dir")
    parser.add_argument("--output")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only-ours", action="store_true",
                        help="skip tbparse: no ratio, no verdict")
    args = parser.parse_args(argv)
    if args.child == "ours":
        return child_ours(args.dir, args.output)
    if args.child == "tbparse":
        return child_tbparse(args.dir)

    from corpus import corpus

    logdir = os.path.join(corpus(args.scale), "logs")
    print(machine_load_note())
    ours = []

    def run_ours(count):
        with tempfile.TemporaryDirectory() as scratch:
            output = os.path.join(scratch, "points.csv")
            for _ in range(count):
                result = run_child([THIS, "--child", "ours", "--dir", logdir,
                                    "--output", output])
                ours.append(result)
                print("  ours    run %d: %s, peak %s, %d points, CPU %s" % (
                    len(ours), fmt_seconds(result["seconds"]),
                    fmt_mb(result["peak_tree_rss_mb"]), result["points"],
                    fmt_seconds(result["cpu_s"])))

    if args.only_ours:
        run_ours(args.repeats)
        return 0
    # Ours before and after tbparse's minute: a machine whose speed drifts
    # (a shared VM) weighs on both sides alike.
    run_ours((args.repeats + 1) // 2)
    theirs = run_child([THIS, "--child", "tbparse", "--dir", logdir],
                       env={"TF_CPP_MIN_LOG_LEVEL": "3"})
    print("  tbparse: %s, peak %s, %d points, CPU %s" % (
        fmt_seconds(theirs["seconds"]), fmt_mb(theirs["peak_tree_rss_mb"]),
        theirs["points"], fmt_seconds(theirs["cpu_s"])))
    run_ours(args.repeats // 2)
    seconds = median([result["seconds"] for result in ours])
    rss = median([result["peak_tree_rss_mb"] for result in ours])
    ratio = theirs["seconds"] / seconds
    ok = ratio >= TARGET_RATIO and rss < TARGET_RSS_MB
    print(machine_load_note())
    print(markdown_table(
        ["export of the corpus", "time", "peak RSS", "points"],
        [["spyder-tblogs (CSV written)", fmt_seconds(seconds), fmt_mb(rss),
          "%d" % ours[0]["points"]],
         ["tbparse SummaryReader (DataFrame only)",
          fmt_seconds(theirs["seconds"]),
          fmt_mb(theirs["peak_tree_rss_mb"]), "%d" % theirs["points"]],
         ["ratio (target >= %gx, < %d MB)" % (TARGET_RATIO, TARGET_RSS_MB),
          "%.1fx %s" % (ratio, verdict(ratio >= TARGET_RATIO)),
          verdict(rss < TARGET_RSS_MB), ""]]))
    # tbparse's EventAccumulator purges "orphaned" points when it sees a
    # restart (purge_orphaned_data); the export keeps every point on disk,
    # as TensorBoard does with that purge off (tests check row for row).
    print("points differ where runs restarted: tbparse purges orphaned "
          "data, the export keeps every point written")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
