"""A queue worker stand-in: announces itself, then works (sleeps) until SIGTERM."""
import signal
import sys
import time

signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
print("worker-only: waiting for jobs", flush=True)
while True:
    time.sleep(5)
    print("worker-only: no jobs yet", flush=True)
