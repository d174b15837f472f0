#!/usr/bin/env python3
"""bench/wait.py PHASE MODE [ARGS]: one measurement of bench/wait.sh, printed as one line.

Connects with libpq's environment (PGHOST, PGPORT, PGDATABASE).  The database has extension pgq.

  latency MODE SAMPLES   an idle consumer picks up a message sent at a random moment (0 to 200 ms
                         after it last found the queue empty): milliseconds from the producer's
                         COMMIT to the consumer having the message.  MODE:
                           wait    pgq.read_with_poll (woken at commit when pgq is preloaded,
                                   else polling every 100 ms)
                           client  pgq.read in a client loop, sleeping 100 ms when it finds nothing
                           listen  LISTEN on the queue's channel (enable_notify_insert, throttle 0),
                                   pgq.read after each notification
                         prints "latency MODE p50 p99 max" (ms)
  delayed SAMPLES        a waiter (read_with_poll) picks up messages sent with a 1 s delay: prints
                         "delayed p50 p99 max", milliseconds after the message's due time
  herd WAITERS           WAITERS idle read_with_poll waiters on one queue, then one message
                         committed: prints "herd WAITERS woken", the wake-ups and due wake-ups
                         wait_stats() counted (reads run by woken waiters), over 2 s
  idle WAITERS SECONDS   WAITERS idle read_with_poll waiters for SECONDS: prints
                         "idle WAITERS cpu_percent reads_per_s", the CPU time of every server
                         process (from /proc) as a percentage of one core, and the reads the
                         waiters ran (index scans of the queue's vt index)
  throughput WAITERS SECONDS  2 producers send one message per transaction as fast as they can;
                         WAITERS consumers take them with read_with_poll and delete them: prints
                         "throughput WAITERS messages_per_s"
"""

import os
import random
import select
import statistics
import sys
import threading
import time

import psycopg

READ_WAIT = "SELECT msg_id FROM pgq.read_with_poll(%s, 30, 1, 5, 100)"
READ = "SELECT msg_id FROM pgq.read(%s, 30, 1)"


def connect():
    return psycopg.connect(autocommit=True)


def new_queue(name):
    with connect() as c:
        c.execute("SELECT pgq.drop_queue(%s)", (name,))
        c.execute("SELECT pgq.create_queue(%s)", (name,))


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100.0 * (len(values) - 1))))]


def report(label, ms):
    print("%s %.2f %.2f %.2f" % (label, statistics.median(ms), pct(ms, 99), max(ms)))


def consumer_loop(mode, queue, got, idle, stop):
    """take messages one at a time, putting (msg_id, time) on got; idle is set while the
    consumer has just found the queue empty"""
    c = connect()
    notified = threading.Event()
    if mode == "listen":
        c.add_notify_handler(lambda n: notified.set())
        c.execute('LISTEN "pgmq.q_%s.INSERT"' % queue)
    while not stop.is_set():
        if mode == "wait":
            idle.set()
            rows = c.execute(READ_WAIT, (queue,)).fetchall()
        else:
            notified.clear()
            rows = c.execute(READ, (queue,)).fetchall()
            if not rows:
                idle.set()
                if mode == "client":
                    time.sleep(0.1)
                elif not notified.is_set():
                    # readable: a notification came; the next read dispatches it
                    select.select([c.fileno()], [], [], 1.0)
                continue
        now = time.monotonic()
        for (msg_id,) in rows:
            got.append((msg_id, now))
            c.execute("SELECT pgq.delete(%s, %s::bigint)", (queue, msg_id))
    c.close()


def latency(mode, samples):
    queue = "bw_lat"
    new_queue(queue)
    if mode == "listen":
        with connect() as c:
            c.execute("SELECT pgq.enable_notify_insert(%s, 0)", (queue,))
    got, idle, stop = [], threading.Event(), threading.Event()
    t = threading.Thread(target=consumer_loop, args=(mode, queue, got, idle, stop))
    t.start()
    prod = connect()
    ms = []
    for _ in range(samples):
        idle.wait(10)
        time.sleep(random.uniform(0.0, 0.2))
        n = len(got)
        prod.execute("BEGIN")
        msg_id = prod.execute("SELECT pgq.send(%s, '{}')", (queue,)).fetchone()[0]
        idle.clear()
        sent = time.monotonic()
        prod.execute("COMMIT")
        deadline = time.monotonic() + 10
        while len(got) == n and time.monotonic() < deadline:
            time.sleep(0.0002)
        if len(got) > n and got[n][0] == msg_id:
            ms.append((got[n][1] - sent) * 1000.0)
    stop.set()
    prod.close()
    t.join()
    report("latency %s" % mode, ms)


def delayed(samples):
    queue = "bw_delay"
    new_queue(queue)
    c = connect()
    prod = connect()
    late = []
    for _ in range(samples):
        time.sleep(random.uniform(0.0, 0.2))
        prod.execute("SELECT pgq.send(%s, jsonb_build_object('due', clock_timestamp() + interval '1 s'), 1)",
                     (queue,))
        rows = c.execute(
            "SELECT msg_id, extract(epoch FROM clock_timestamp() - (message->>'due')::timestamptz) * 1000"
            " FROM pgq.read_with_poll(%s, 30, 1, 5, 100)", (queue,)).fetchall()
        for msg_id, ms in rows:
            late.append(float(ms))
            c.execute("SELECT pgq.delete(%s, %s::bigint)", (queue, msg_id))
    report("delayed", late)


def stats(c):
    return c.execute("SELECT wakeups + due_wakeups, waiting FROM pgq.wait_stats()").fetchone()


def start_waiters(queue, n, seconds, stop, done):
    def waiter():
        c = connect()
        while not stop.is_set():
            rows = c.execute("SELECT msg_id FROM pgq.read_with_poll(%s, 30, 1, %s, 100)",
                             (queue, seconds)).fetchall()
            for (msg_id,) in rows:
                c.execute("SELECT pgq.delete(%s, %s::bigint)", (queue, msg_id))
                done.append(1)
        c.close()
    threads = [threading.Thread(target=waiter) for _ in range(n)]
    for t in threads:
        t.start()
    return threads


def herd(n):
    queue = "bw_herd"
    new_queue(queue)
    stop, done = threading.Event(), []
    threads = start_waiters(queue, n, 10, stop, done)
    c = connect()
    mode = c.execute("SELECT mode FROM pgq.wait_stats()").fetchone()[0]
    time.sleep(2)
    before = stats(c)[0]
    c.execute("SELECT pgq.send(%s, '{}')", (queue,))
    time.sleep(2)
    after = stats(c)[0]
    stop.set()
    c.execute("SELECT pgq.send_batch(%s, array_fill('{}'::jsonb, ARRAY[%s]))", (queue, n))
    for t in threads:
        t.join()
    print("herd %d %s" % (n, (after - before) if mode == "wake" else "n/a"))


def server_cpu_ticks():
    ticks = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)
            with open("/proc/%s/comm" % pid) as f:
                comm = f.read().strip()
        except OSError:
            continue
        if comm != "postgres":
            continue
        rest = fields[1].split()
        ticks += int(rest[11]) + int(rest[12])    # utime, stime
    return ticks


def scans(c, queue):
    c.execute("SELECT pg_stat_clear_snapshot()")
    return int(c.execute("SELECT coalesce(sum(idx_scan), 0) FROM pg_stat_user_indexes"
                         " WHERE relname = %s", ("q_" + queue,)).fetchone()[0])


def idle(n, seconds):
    queue = "bw_idle"
    new_queue(queue)
    stop, done = threading.Event(), []
    threads = start_waiters(queue, n, 5, stop, done)
    c = connect()
    time.sleep(3)
    s0, t0, w0 = scans(c, queue), server_cpu_ticks(), time.monotonic()
    time.sleep(seconds)
    t1, w1 = server_cpu_ticks(), time.monotonic()
    stop.set()
    for t in threads:
        t.join()
    time.sleep(1.5)                 # the waiters' statistics reach the cumulative counters
    s1 = scans(c, queue)
    hz = os.sysconf("SC_CLK_TCK")
    cpu = (t1 - t0) / hz / (w1 - w0) * 100.0
    print("idle %d %.2f %.1f" % (n, cpu, (s1 - s0) / (w1 - w0)))


def throughput(n, seconds):
    queue = "bw_tput"
    new_queue(queue)
    stop, done = threading.Event(), []
    threads = start_waiters(queue, n, 1, stop, done)

    def producer():
        p = connect()
        while not stop.is_set():
            p.execute("SELECT pgq.send(%s, '{}')", (queue,))
        p.close()
    producers = [threading.Thread(target=producer) for _ in range(2)]
    time.sleep(1)
    for t in producers:
        t.start()
    time.sleep(1)
    d0, w0 = len(done), time.monotonic()
    time.sleep(seconds)
    d1, w1 = len(done), time.monotonic()
    stop.set()
    for t in producers + threads:
        t.join()
    print("throughput %d %.0f" % (n, (d1 - d0) / (w1 - w0)))


def main(argv):
    phase = argv[1]
    if phase == "latency":
        latency(argv[2], int(argv[3]))
    elif phase == "delayed":
        delayed(int(argv[2]))
    elif phase == "herd":
        herd(int(argv[2]))
    elif phase == "idle":
        idle(int(argv[2]), int(argv[3]))
    elif phase == "throughput":
        throughput(int(argv[2]), int(argv[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
