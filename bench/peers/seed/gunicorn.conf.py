"""gunicorn settings for the seed peer; the launcher (bench/peers/seed.ts) passes them in the environment.

PEER_PORT (default 8000) on 127.0.0.1, PEER_WORKERS sync workers (default 2: one per core
on the 2-core benchmark machine), each running torch on one thread (OMP_NUM_THREADS=1).

The peer must not outlive whoever started it:
- the master asks Linux for SIGTERM when its parent dies (prctl PR_SET_PDEATHSIG), and
  each worker for SIGKILL when the master dies;
- with PEER_WATCH_STDIN=1 the master also shuts down when its stdin reaches EOF, i.e. when
  the launcher closes the pipe or its process dies in any way.
"""

import ctypes
import os
import signal
import threading

bind = f"127.0.0.1:{int(os.environ.get('PEER_PORT', '8000'))}"
workers = int(os.environ.get("PEER_WORKERS", "2"))
worker_class = "sync"
timeout = 120  # a first request on a loaded 2-core machine can be slow
graceful_timeout = 5
control_socket_disable = True  # gunicorn >= 25.1 opens ~/.gunicorn/gunicorn.ctl otherwise; two peers would collide
accesslog = None
loglevel = os.environ.get("PEER_LOGLEVEL", "warning")

_PR_SET_PDEATHSIG = 1


def _die_with_parent(sig: int) -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    except (OSError, AttributeError):
        pass  # not Linux: the stdin watch still applies


# This file is executed in the master at start-up.
_die_with_parent(signal.SIGTERM)


def when_ready(server):
    if os.environ.get("PEER_WATCH_STDIN") != "1":
        return

    def watch():
        try:
            while os.read(0, 4096):
                pass
        except OSError:
            pass
        server.log.info("stdin closed: shutting down")
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="stdin-watch", daemon=True).start()


def post_fork(server, worker):
    _die_with_parent(signal.SIGKILL)


def child_exit(server, worker):
    ready_dir = os.environ.get("PEER_READY_DIR")
    if ready_dir:
        try:
            os.remove(os.path.join(ready_dir, f"worker-{worker.pid}"))
        except FileNotFoundError:
            pass
