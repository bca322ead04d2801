"""The index against TensorBoard's own EventMultiplexer on real writers' logs."""

import json
import math
import subprocess
import sys

from log_helpers import ODD_RUN, writers

from spyder_tblogs.logs import LogIndex


def _our_view(index):
    return {run.name: {tag: {"kind": info.kind, "count": info.count,
                             "first_step": info.first_step,
                             "last_step": info.last_step}
                       for tag, info in run.tags.items()}
            for run in index.runs()}


def test_runs_tags_counts_and_steps_match_tensorboard(mixed_logdir,
                                                      mixed_oracle):
    index = LogIndex(mixed_logdir, workers=1)
    index.refresh()
    ours = _our_view(index)
    assert set(ours) == set(mixed_oracle)
    assert {"tb", "tbx", "tf/tf2", "tf/keras/train", "tf/keras/validation",
            ODD_RUN} <= set(ours)
    for run, tags in mixed_oracle.items():
        assert ours[run] == tags, run


def test_every_writer_kind_is_classified(mixed_logdir, mixed_oracle):
    kinds = {tag["kind"] for tags in mixed_oracle.values()
             for tag in tags.values()}
    # The oracle comparison above covers each of these plugins.
    assert {"scalars", "histograms", "images", "text", "hparams",
            "graphs"} <= kinds
    index = LogIndex(mixed_logdir, workers=1)
    index.refresh()
    keras = index.run("tf/keras/train")
    assert keras.tags["epoch_loss"].kind == "scalars"
    assert index.run("tf/keras/validation").tags["epoch_loss"].count == 3


def test_scalar_values_of_every_dtype(mixed_logdir):
    index = LogIndex(mixed_logdir, workers=1)
    index.refresh()
    tf2 = index.run("tf/tf2").tags
    # The writer logs 1/(step+1) as float32, step*0.5 as float64 and
    # step*3 as int64, for steps 0..11.
    assert math.isclose(tf2["loss"].last_value, 1.0 / 12, rel_tol=1e-6)
    assert tf2["loss64"].last_value == 11 * 0.5
    assert tf2["count"].last_value == 11 * 3
    assert [point[0] for point in tf2["count"].series] == list(range(12))
    assert [point[2] for point in tf2["count"].series] == [
        step * 3.0 for step in range(12)]
    tb = index.run("tb").tags
    assert math.isclose(tb["loss"].last_value, 1.0 / 20, rel_tol=1e-6)
    assert tb["weights"].last_value is None and tb["weights"].series == ()


def test_parallel_workers_give_the_same_index(mixed_logdir):
    alone = LogIndex(mixed_logdir, workers=1)
    alone.refresh()
    pooled = LogIndex(mixed_logdir, workers=2)
    pooled.refresh()
    assert pooled.to_dict() == alone.to_dict()
    assert [run.tags for run in pooled.runs()] == [
        run.tags for run in alone.runs()]


def test_index_never_imports_tensorflow(mixed_logdir):
    code = """
        import json, sys
        from spyder_tblogs.logs import LogIndex
        index = LogIndex(sys.argv[1], workers=2)
        index.refresh()
        loaded = sorted(name for name in sys.modules
                        if name == "tensorflow" or name.startswith("tensorflow."))
        print(json.dumps({"runs": len(index.runs()), "tensorflow": loaded}))
    """
    result = json.loads(writers.run_python(code, mixed_logdir).splitlines()[-1])
    assert result == {"runs": 7, "tensorflow": []}


def test_workers_never_rerun_the_callers_script(mixed_logdir, tmp_path):
    # An unguarded script (no `if __name__ == "__main__"`), like Spyder's
    # start script or a user's: multiprocessing's spawn would run it again
    # in every worker. The index's workers must not.
    script = tmp_path / "unguarded.py"
    script.write_text(
        "import sys\n"
        "from spyder_tblogs.logs import LogIndex\n"
        "print('script ran')\n"
        "index = LogIndex(sys.argv[1], workers=2)\n"
        "index.refresh()\n"
        "print(len(index.runs()))\n")
    completed = subprocess.run([sys.executable, str(script), mixed_logdir],
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.splitlines() == ["script ran", "7"]
    assert "Traceback" not in completed.stderr
