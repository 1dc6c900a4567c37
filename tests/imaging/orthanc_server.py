"""A throwaway Orthanc (Debian packages orthanc + orthanc-dicomweb) for tests and benchmarks: its
own storage in a temporary folder, HTTP on a free loopback port, no DICOM port, no auth."""

import contextlib
import json
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests

ORTHANC = shutil.which("Orthanc") or "/usr/sbin/Orthanc"
DICOMWEB_PLUGIN = Path("/usr/share/orthanc/plugins/libOrthancDicomWeb.so")


def orthanc_missing() -> str:
    """Why Orthanc cannot run here ('' when it can)."""
    if not Path(ORTHANC).exists():
        return "Orthanc is not installed (apt-get install orthanc orthanc-dicomweb)"
    if not DICOMWEB_PLUGIN.exists():
        return f"the Orthanc DICOMweb plugin is missing ({DICOMWEB_PLUGIN}: orthanc-dicomweb)"
    return ""


@dataclass(frozen=True)
class RunningOrthanc:
    url: str

    @property
    def dicomweb_url(self) -> str:
        return f"{self.url}/dicom-web"

    def upload(self, data: bytes) -> dict:
        response = requests.post(f"{self.url}/instances", data=data, timeout=30)
        response.raise_for_status()
        return response.json()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def orthanc_running() -> Iterator[RunningOrthanc]:
    with tempfile.TemporaryDirectory(prefix="orthanc-") as folder:
        port = _free_port()
        config = {
            "Name": "WintEHR test PACS",
            "StorageDirectory": f"{folder}/storage",
            "IndexDirectory": f"{folder}/index",
            "HttpPort": port,
            "DicomServerEnabled": False,
            "RemoteAccessAllowed": False,
            "AuthenticationEnabled": False,
            "Plugins": [str(DICOMWEB_PLUGIN)],
            "DicomWeb": {"Enable": True, "Root": "/dicom-web/", "StudiesMetadata": "Full"},
        }
        config_path = Path(folder) / "orthanc.json"
        config_path.write_text(json.dumps(config))
        log = open(Path(folder) / "orthanc.log", "wb")  # noqa: SIM115 - closed below
        process = subprocess.Popen([ORTHANC, str(config_path)], stdout=log, stderr=log)
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_until_up(url, process, Path(folder) / "orthanc.log")
            yield RunningOrthanc(url)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()


def _wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Orthanc exited: {log.read_text()[-2000:]}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{url}/dicom-web/studies", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError("Orthanc did not answer within 30 s")
