"""Paced load: each station scans at a steady rate; latency counts from the planned send time.

wrk measures throughput by sending the next request the moment an answer arrives, so its
latencies are those of a saturated server. Stations do not work that way: each sends a scan,
then fills for a while. Here every station keeps its own schedule (open loop), and a late
answer delays nothing else, so the percentiles are what an operator waits at that load.
"""
from __future__ import annotations

import http.client
import json
import random
import statistics
import threading
import time
import uuid


def _send(conn: http.client.HTTPConnection, body: str, headers: dict) -> int:
    conn.request("POST", "/api/v1/fillings", body, headers)
    resp = conn.getresponse()
    resp.read()
    return resp.status


def _station(host: str, port: int, station: dict, rate: float, until: float,
             rng: random.Random, out: list[tuple[float, int]], lock: threading.Lock) -> None:
    conn = http.client.HTTPConnection(host, port, timeout=10)
    headers = {"Authorization": f"Bearer {station['token']}",
               "Content-Type": "application/json"}
    planned = time.monotonic() + rng.random() / rate  # stations do not start in step
    while planned < until:
        pause = planned - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        roll = rng.random()
        code = (rng.choice(station["allowed_or_own"]) if roll < 0.85
                else rng.choice(station["strangers"]))
        body = json.dumps({"code": code, "event_id": str(uuid.UUID(int=rng.getrandbits(128)))})
        try:
            status = _send(conn, body, headers)
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            # gunicorn closes idle keep-alive connections (2 s); like a browser, reconnect
            # and send again (the event_id makes a resent scan count once).
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=10)
            try:
                status = _send(conn, body, headers)
            except (OSError, http.client.HTTPException):
                status = 0
        except (OSError, http.client.HTTPException):
            status = 0
        with lock:
            out.append(((time.monotonic() - planned) * 1000, status))
        planned += rng.expovariate(rate)  # Poisson arrivals at the station's mean rate
    conn.close()


def paced(host: str, port: int, plan: list[dict], per_station_rate: float,
          seconds: float) -> dict:
    """Run every station at its rate for a while; report latency percentiles and errors."""
    out: list[tuple[float, int]] = []
    lock = threading.Lock()
    until = time.monotonic() + seconds
    threads = [threading.Thread(target=_station, args=(host, port, station, per_station_rate,
                                                       until, random.Random(n), out, lock))
               for n, station in enumerate(plan)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies = sorted(ms for ms, _status in out)
    cuts = statistics.quantiles(latencies, n=100)
    return {"stations": len(plan), "rate_per_station": per_station_rate,
            "requests": len(out), "rps": round(len(out) / seconds, 1),
            "p50_ms": round(cuts[49], 1), "p99_ms": round(cuts[98], 1),
            "max_ms": round(latencies[-1], 1),
            "errors": sum(1 for _ms, status in out if status not in (201, 409))}
