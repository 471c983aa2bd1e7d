#!/usr/bin/env python3
"""Records /proc/stat every PERIOD while a CPU-bound competitor starts and stops.

Output (stdout): one block per sample
    @ <steady ns> <own cpu ns> [event]
    <the cpu lines and procs_* lines of /proc/stat>
Used to produce stat_hog_10ms.txt, which proc_stat_replay_test.cpp replays through
ProcStatSource and the StepFilter.  Usage:
    capture_stat_timeline.py [period_ms=10] [start_s=0.4] [stop_s=1.0] [end_s=1.6]
"""
import os, signal, subprocess, sys, time

period = float(sys.argv[1]) / 1000 if len(sys.argv) > 1 else 0.010
start_s = float(sys.argv[2]) if len(sys.argv) > 2 else 0.4
stop_s = float(sys.argv[3]) if len(sys.argv) > 3 else 1.0
end_s = float(sys.argv[4]) if len(sys.argv) > 4 else 1.6

def snap():
    with open('/proc/stat') as f:
        lines = [l for l in f.read().splitlines() if l.startswith('cpu') or l.startswith('procs_')]
    return time.monotonic_ns(), time.process_time_ns(), lines

out = []
t0 = time.monotonic()
hog = None
next_t = t0
while True:
    now = time.monotonic() - t0
    event = ''
    if hog is None and now >= start_s and now < stop_s:
        hog = subprocess.Popen(['sh', '-c', 'while :; do :; done'])
        event = 'hog-started'
    elif hog not in (None, False) and now >= stop_s:
        hog.send_signal(signal.SIGKILL); hog.wait(); hog = False
        event = 'hog-stopped'
    t, own, lines = snap()
    out.append('@ %d %d %s' % (t, own, event))
    out.extend(lines)
    if now >= end_s:
        break
    next_t += period
    time.sleep(max(0.0, next_t - time.monotonic()))
print('\n'.join(out))
