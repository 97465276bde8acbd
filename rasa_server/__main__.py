"""The Rasa server's entry point: `python -m rasa_server run ...` is `rasa run ...`, faster.

It keeps TensorFlow unloaded (rasa_server/without_tensorflow.py) and installs
the speed-ups to Rasa's and Sanic's internals (rasa_server/patches/) with
explicit calls, then hands over to Rasa's own command line with the
arguments unchanged. This is the only place they are installed:
tools/processes.py starts the Rasa server this way (`make run`, the tests,
the bench). `python -m rasa_server train ...` is `rasa train ...` with the
training speed-ups instead (`make train`, the bench). Plain `rasa ...` runs
Rasa as shipped, which is correct, only slower.
"""

from __future__ import annotations

import logging
import sys

import numpy  # noqa: F401 (loads OpenBLAS, so its thread pool can be limited)
from threadpoolctl import threadpool_limits

from rasa_server import without_tensorflow

# Rasa's own log format (rasa.utils.io.configure_colored_logging).
LOG_FORMAT = "%(asctime)s %(levelname)-8s %(name)s  - %(message)s"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


def log_patches_to_stderr() -> None:
    """Shows what is installed: Rasa sets up its logging only once its command runs."""
    logger = logging.getLogger("rasa_server.patches")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(LOG_FORMAT, DATE_FORMAT))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False  # printed once, here, not again by Rasa's handlers


def one_blas_thread() -> None:
    """Numerical libraries use one thread in each server process.

    A server process answers one message at a time and the machine's cores
    are shared by the Sanic workers, so OpenBLAS's helper thread has nothing
    to add; after each vector product it spun in `sched_yield` for a while,
    which on a 2-core machine took almost a core from the other worker: 35
    against 19 ms of CPU a message, and a paced p99 of 330 against 150 ms
    (bench/NOTES.md, "A spinning BLAS thread"). Training keeps its threads:
    `main` limits them only for the server, not for `train`.
    """
    threadpool_limits(limits=1, user_api="blas")


def main() -> None:
    log_patches_to_stderr()
    training = sys.argv[1:2] == ["train"]
    if not training:
        # Before anything imports Rasa, whose modules import TensorFlow.
        without_tensorflow.install()
    from rasa_server import patches

    if training:
        patches.install_for_training()  # and training keeps its BLAS threads
    else:
        one_blas_thread()
        patches.install()

    from rasa.__main__ import main as rasa_main

    rasa_main()  # reads sys.argv[1:]: `run --model ...` as `rasa` would


if __name__ == "__main__":
    main()
