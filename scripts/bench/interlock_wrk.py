"""Write the wrk Lua script for the interlock load and read wrk's report."""
from __future__ import annotations

import json
import random
import re
from pathlib import Path

LUA = r"""
local threads = {}
local counter = 1
function setup(thread)
  thread:set("offset", counter * 997)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  idx = offset or 0
  allowed, refused, other = 0, 0, 0
end
function request()
  idx = idx + 1
  return reqs[(idx % #reqs) + 1]
end
function response(status, headers, body)
  if status == 201 then allowed = allowed + 1
  elseif status == 409 then refused = refused + 1
  else other = other + 1 end
end
function done(summary, latency, requests)
  local a, r, o = 0, 0, 0
  for _, t in ipairs(threads) do
    a = a + t:get("allowed"); r = r + t:get("refused"); o = o + t:get("other")
  end
  io.write(string.format("STATUS allowed=%d refused=%d other=%d\n", a, r, o))
end
"""


def _lua_string(raw: str) -> str:
    escaped = raw.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "\\r")
    return '"' + escaped.replace("\n", "\\n") + '"'


def _request(host: str, token: str, body: dict) -> str:
    data = json.dumps(body, separators=(",", ":"))
    return (f"POST /api/v1/fillings HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\n\r\n{data}")


def mix(plan: list[dict], rng: random.Random, per_station: int = 60) -> list[tuple[str, dict]]:
    """(token, body) of every station's requests, shuffled: mostly its own cylinders, some
    strangers' (not_owned) and some never-issued codes (black cylinders)."""
    requests = []
    for station in plan:
        for _ in range(per_station):
            roll = rng.random()
            if roll < 0.80:
                code = rng.choice(station["allowed_or_own"])
                body = {"code": code, "net_mass_kg": round(rng.uniform(3.5, 4.9), 1),
                        "precheck": {"residual_pressure_ok": True, "no_damage": True}}
            elif roll < 0.95:
                body = {"code": rng.choice(station["strangers"])}
            else:
                body = {"payload": rng.choice(station["unknown"])}
            requests.append((station["token"], body))
    rng.shuffle(requests)
    return requests


def wrk_script(plan: list[dict], host: str, rng: random.Random, path: Path,
               per_station: int = 60) -> Path:
    """Write a script cycling through the stations' requests (`mix`)."""
    requests = [_request(host, token, body) for token, body in mix(plan, rng, per_station)]
    table = ",\n".join(_lua_string(r) for r in requests)
    path.write_text(f"reqs = {{\n{table}\n}}\n{LUA}")
    return path


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def parse_wrk(out: str) -> dict:
    """Pick throughput, latency percentiles, status counts and errors out of wrk's report."""
    result: dict = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
                    "requests": int(re.search(r"(\d+) requests in", out).group(1))}
    for pct in ("50", "75", "90", "99"):
        found = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        result[f"p{pct}_ms"] = round(_ms(*found.groups()), 2) if found else None
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                       out)
    socket_errors = sum(int(n) for n in socket.groups()) if socket else 0
    status = re.search(r"STATUS allowed=(\d+) refused=(\d+) other=(\d+)", out)
    if status:
        allowed, refused, other = (int(n) for n in status.groups())
        result.update(allowed=allowed, refused=refused, errors=other + socket_errors)
    else:
        non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        result["errors"] = (int(non_2xx.group(1)) if non_2xx else 0) + socket_errors
    return result
