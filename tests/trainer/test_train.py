"""Training on CPU: a tiny model on the pipeline's sample output over 8 simulated devices (data x fsdp),
exact resumption from a checkpoint, and two processes x 4 devices through jax.distributed on localhost."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).with_name("run_training.py")
ROOT = Path(__file__).parents[2]


def _run(*args: str, timeout: int = 600) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT), JAX_PLATFORMS="cpu")
    return subprocess.Popen([sys.executable, str(SCRIPT), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, cwd=ROOT)


def _result(process: subprocess.Popen, timeout: int = 600) -> dict:
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def resume_run(sample_run, tokenizer_dir, tmp_path_factory):
    work = tmp_path_factory.mktemp("train")
    return _result(_run("resume", sample_run.root, str(tokenizer_dir[0] / "tokenizer.model"), str(work)))


def test_tiny_model_learns_on_eight_simulated_devices(resume_run):
    assert resume_run["devices"] == 8 and resume_run["mesh"] == {"data": 4, "fsdp": 2, "tensor": 1}
    losses = resume_run["straight"]["losses"]
    assert len(losses) == 30
    assert sum(losses[-5:]) / 5 < 0.8 * sum(losses[:3]) / 3, losses
    validation = resume_run["straight"]["val"]
    assert validation and all(0 < bpb < 20 for bpb in validation.values()), validation


def test_resuming_from_a_checkpoint_gives_the_uninterrupted_run(resume_run):
    straight, first, second = resume_run["straight"], resume_run["first"], resume_run["second"]
    assert first["start"] == 0 and second["start"] == 12
    assert first["losses"] + second["losses"] == straight["losses"]
    assert first["digests"] + second["digests"] == straight["digests"]  # the same batches, in order


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_processes_read_disjoint_files_and_agree_on_the_global_batch(sample_run, tokenizer_dir, tmp_path):
    port = str(_free_port())
    args = (sample_run.root, str(tokenizer_dir[0] / "tokenizer.model"), str(tmp_path))
    hosts = [_run("host", *args, port, str(i)) for i in range(2)]
    first, second = (_result(p) for p in hosts)
    assert (first["process"], second["process"]) == (0, 1)
    assert first["devices"] == second["devices"] == 8 and first["local_devices"] == 4
    assert first["files"] and not set(first["files"]) & set(second["files"])
    assert first["losses"] == second["losses"]  # one global computation
    assert first["global_sums"] == second["global_sums"]
    assert first["global_sums"] == [a + b for a, b in zip(first["local_sums"], second["local_sums"], strict=True)]
    assert first["digests"] != second["digests"]  # each host fed its own rows
