"""The worker: runs once scaled up (ps:scale worker=1)."""
import signal
import sys
import time

signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
print("python-multi worker started", flush=True)
while True:
    time.sleep(5)
    print("python-multi worker tick", flush=True)
