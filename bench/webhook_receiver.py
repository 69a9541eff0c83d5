#!/usr/bin/env python3
"""Webhook receiver for `bench/run webhooks`: answers every POST 204 at once, over keep-alive
connections, and counts deliveries. Each body names its order_id and notify_type; an intent's
events must arrive payment_success first, then refund_success. When `expected` deliveries have
arrived (or after `timeout` seconds) it prints one RESULT line and exits.

    webhook_receiver.py PORT EXPECTED TIMEOUT_SECONDS
"""
import asyncio
import json
import sys
import time

ORDER = {"payment_success": 0, "refund_success": 1}


class Tally:
    def __init__(self, expected):
        self.expected = expected
        self.count = 0
        self.duplicates = 0
        self.out_of_order = 0
        self.first = None
        self.last = None
        self.seen = {}
        self.done = asyncio.Event()

    def record(self, body):
        now = time.monotonic()
        self.first = self.first or now
        self.last = now
        event = json.loads(body)
        order_id, position = event["data"]["order_id"], ORDER[event["notify_type"]]
        previous = self.seen.get(order_id, -1)
        if position <= previous:
            self.duplicates += 1
            return
        if position != previous + 1:
            self.out_of_order += 1
        self.seen[order_id] = position
        self.count += 1
        if self.count >= self.expected:
            self.done.set()


async def serve(reader, writer, tally):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            body = await reader.readexactly(length)
            tally.record(body)
            writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def main():
    port, expected, timeout = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    tally = Tally(expected)
    server = await asyncio.start_server(lambda r, w: serve(r, w, tally), "127.0.0.1", port)
    print("listening", flush=True)
    try:
        await asyncio.wait_for(tally.done.wait(), timeout)
    except asyncio.TimeoutError:
        pass
    server.close()
    seconds = (tally.last - tally.first) if tally.first and tally.last and tally.last > tally.first else 0
    rate = tally.count / seconds if seconds else 0
    print(f"RESULT delivered={tally.count} expected={expected} seconds={seconds:.2f} rate={rate:.1f} "
          f"out_of_order={tally.out_of_order} duplicates={tally.duplicates}", flush=True)


asyncio.run(main())
