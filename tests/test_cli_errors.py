"""``python -m ember run`` as a user meets its errors: a failing user function points at the
user's file and line with the source line, without ember's frames (all of them with
``--traceback``); a configuration mistake is one line and exit code 2; settings the job makes
itself over the command line's are noticed once."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap

import pytest

FAILING_JOB = textwrap.dedent("""\
    import sys
    from ember import SparkContext
    from ember.streaming import StreamingContext


    def parse(line):
        key, value = line.split("=")
        return key, int(value)


    sc = SparkContext(sys.argv[1], "tracebacks")
    ssc = StreamingContext(sc, 0.2)
    ssc.queueStream([["a=1", "b=x"]]).map(parse).pprint()
    ssc.start()
    ssc.awaitTermination()
""")


def _run(tmp_path, source: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    job = tmp_path / "job.py"
    job.write_text(source)
    return subprocess.run(
        [sys.executable, "-m", "ember", "run", str(job), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=dict(os.environ, **(env or {})),
    )


@pytest.mark.parametrize("master", ["local[1]", "local[2]"])
def test_a_failing_user_function_shows_its_file_line_and_source_without_ember_frames(tmp_path, master):
    result = _run(tmp_path, FAILING_JOB, master)
    assert result.returncode == 1
    job = str(tmp_path / "job.py")
    assert f'File "{job}", line 8, in parse\n    return key, int(value)' in result.stderr
    assert "<dynamic-code>" not in result.stderr
    assert os.sep + "ember" + os.sep not in result.stderr.replace(job, "")
    assert "runpy" not in result.stderr
    assert result.stderr.count("ValueError: invalid literal for int() with base 10: 'x'") >= 1


def test_traceback_shows_ember_frames_too(tmp_path):
    result = _run(tmp_path, FAILING_JOB, "local[2]", "--traceback")
    assert "ember/executor/worker.py" in result.stderr
    assert f'File "{tmp_path / "job.py"}", line 8, in parse' in result.stderr
    by_environment = _run(tmp_path, FAILING_JOB, "local[1]", env={"EMBER_TRACEBACK": "1"})
    assert "ember/executor/inprocess.py" in by_environment.stderr


MASTER_JOB = "import sys\nfrom ember import SparkContext\nSparkContext(sys.argv[1])\n"
#: what the cluster-master line says of ember-dask, which this environment may have installed
DASK_ADVICE, EXECUTOR_PLUGINS = (
    ("ember-dask is installed: use --master dask://HOST:PORT", "ember-dask")
    if importlib.util.find_spec("ember_dask")
    else ("install ember-dask and use --master dask://HOST:PORT", "none")
)


@pytest.mark.parametrize(
    "master, expected",
    [
        (
            "local[abc]",
            "python -m ember run: error: Invalid master URL 'local[abc]': expected local, local[N], "
            "local[*] or local[N,F] (N worker processes, F attempts per task)\n",
        ),
        (
            "spark://host:7077",
            "python -m ember run: error: Cannot run on master spark://host:7077: "
            "'spark://host:7077' is a Spark cluster manager, which ember does not run on. "
            "ember runs jobs on this machine (local, local[N], local[*] or local[N,F]); "
            f"clusters come from executor plugins: {DASK_ADVICE} to run on a Dask cluster "
            f"(installed executor plugins: {EXECUTOR_PLUGINS})\n",
        ),
    ],
)
def test_a_bad_master_is_one_line_and_exit_code_2(tmp_path, master, expected):
    result = _run(tmp_path, MASTER_JOB, master)
    assert (result.returncode, result.stderr) == (2, expected)


@pytest.mark.parametrize("master", ["yarn", "k8s://https://host:443", "mesos://host:5050"])
def test_cluster_masters_say_what_ember_runs(tmp_path, master):
    result = _run(tmp_path, MASTER_JOB, master)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "is a Spark cluster manager" in result.stderr
    assert "dask://HOST:PORT" in result.stderr


CHECKPOINT_JOB = (
    "import sys\nfrom ember import SparkContext\nfrom ember.streaming import StreamingContext\n"
    "StreamingContext(SparkContext('local[1]'), 1).checkpoint(sys.argv[1])\n"
)


def test_a_checkpoint_directory_under_a_regular_file_is_one_line(tmp_path):
    (tmp_path / "afile").write_text("")
    result = _run(tmp_path, CHECKPOINT_JOB, str(tmp_path / "afile" / "ckpt"))
    assert result.returncode == 2
    assert result.stderr == (
        f"python -m ember run: error: Cannot use '{tmp_path}/afile/ckpt' as the checkpoint "
        f"directory: Not a directory ({tmp_path}/afile/ckpt)\n"
    )


def test_a_checkpoint_directory_under_proc_is_one_line(tmp_path):
    result = _run(tmp_path, CHECKPOINT_JOB, "/proc/ember-checkpoints")
    assert result.returncode == 2
    assert result.stderr.startswith(
        "python -m ember run: error: Cannot use '/proc/ember-checkpoints' as the " "checkpoint directory: "
    )
    assert result.stderr.count("\n") == 1


def test_a_syntax_error_shows_the_file_line_and_caret_only(tmp_path):
    result = _run(tmp_path, "print('ok')\nx = (1,\n")
    assert result.returncode == 2
    assert result.stderr == (
        f'  File "{tmp_path / "job.py"}", line 2\n    x = (1,\n        ^\n'
        "SyntaxError: '(' was never closed\n"
    )
    full = _run(tmp_path, "x = (1,\n", "--traceback")
    assert "runpy" in full.stderr


def test_a_master_the_job_overrides_is_noticed_once(tmp_path):
    job = (
        "from ember import SparkContext\nSparkContext('local[1]').stop()\n"
        "SparkContext('local[1]').stop()\n"
    )
    (tmp_path / "job.py").write_text(job)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ember",
            "run",
            "--master",
            "local[2]",
            "--conf",
            "spark.app.name=cli",
            str(tmp_path / "job.py"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert (
        result.stderr.count(
            "The job sets spark.master=local[1] itself, which overrides --master local[2] "
            "from the command line"
        )
        == 1
    )
    assert "spark.app.name" not in result.stderr


def test_run_usage_shows_the_job_arguments():
    result = subprocess.run(
        [sys.executable, "-m", "ember", "run", "--help"], capture_output=True, text=True, timeout=60
    )
    assert "JOB.py [job args ...]" in " ".join(result.stdout.split())
