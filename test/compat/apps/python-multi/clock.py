"""A clock process (scheduled jobs): declared but left at 0, as on Heroku."""
import signal
import sys
import time

signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
print("python-multi clock started", flush=True)
while True:
    time.sleep(60)
