"""Read-by-id benchmark over HTTP: wrk against uvicorn with 2 workers.

Run: .venv/bin/python bench/bench_read.py   (needs `wrk`: apt-get install wrk)
Target on the 2-core reference machine: >= 800 requests/s, p95 <= 20 ms.
"""

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from _server import bench_token, running_server
from _setup import django_ready, empty_store, print_table

django_ready()

from fhirapi.services import FhirRepository  # noqa: E402

WRK_SCRIPT = """
local ids = {%s}
local n = 0
request = function()
  n = n + 1
  local headers = {["Authorization"] = "Bearer %s"}
  return wrk.format("GET", "/fhir/Patient/" .. ids[(n %% #ids) + 1], headers)
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d %%.3f %%.3f %%.3f %%d\\n", summary.requests,
    summary.duration, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, summary.errors.status + summary.errors.connect))
end
"""


def load_patients(count: int) -> list[str]:
    empty_store()
    repository = FhirRepository()
    return [
        repository.create(
            {
                "resourceType": "Patient",
                "name": [{"family": f"Bench{i}", "given": ["Ann"]}],
                "gender": "female",
                "birthDate": "1970-01-01",
            }
        ).stored.resource_id
        for i in range(count)
    ]


def main() -> None:
    if shutil.which("wrk") is None:
        sys.exit("bench_read needs wrk (apt-get install wrk)")
    ids = load_patients(500)
    token = bench_token()
    script = Path(tempfile.mkdtemp()) / "read.lua"
    script.write_text(WRK_SCRIPT % (",".join(json.dumps(i) for i in ids), token))
    rows = []
    with running_server(workers=2) as base:
        subprocess.run(["wrk", "-t2", "-c8", "-d3s", "-s", str(script), base], capture_output=True)
        for connections in (8, 32):
            out = subprocess.run(
                ["wrk", "-t2", f"-c{connections}", "-d10s", "-s", str(script), base],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            line = next(x for x in out.splitlines() if x.startswith("RESULT"))
            requests, micros, p50, p95, p99, errors = line.split()[1:]
            rate = int(requests) / (int(micros) / 1e6)
            rows.append([connections, f"{rate:,.0f}", p50, p95, p99, errors])
    print_table(
        "Read Patient by id over HTTP (uvicorn, 2 workers)",
        ["connections", "requests/s", "p50 ms", "p95 ms", "p99 ms", "errors"],
        rows,
    )
    print(f"\nreproduce: {sys.executable} bench/bench_read.py")


if __name__ == "__main__":
    main()
