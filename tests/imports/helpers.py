"""Building upload files from the real fixture bundle, and a fingerprint of the data imports may touch."""

import hashlib
import io
import zipfile
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from auditreg.models import Bureau, ChangeLog, Section
from findings.bundle.exporter import bundle_files
from findings.models import AuditReport


def fixture_files() -> dict[str, bytes]:
    root = Path(settings.REPORT_FIXTURE_DIR)
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def edit(files: dict[str, bytes], name: str, old: str, new: str, count: int = 1) -> dict[str, bytes]:
    text = files[name].decode("utf-8")
    assert text.count(old) >= count, f"{old!r} not in {name}"
    files[name] = text.replace(old, new, count).encode("utf-8")
    return files


def make_zip(files: dict[str, bytes], *, folder: str = "kanazawa-2024-dx") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(f"{folder}/{name}" if folder else name, content)
    return buffer.getvalue()


def upload(data: bytes, name: str = "bundle.zip") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def data_state() -> str:
    """Digest of every report's canonical export, the organisation master and the change log size."""
    digest = hashlib.sha256()
    for report in AuditReport.objects.order_by("code"):
        for name, text in sorted(bundle_files(report).items()):
            digest.update(name.encode() + text.encode())
    digest.update(repr(list(Bureau.objects.order_by("pk").values_list())).encode())
    digest.update(repr(list(Section.objects.order_by("pk").values_list())).encode())
    digest.update(str(ChangeLog.objects.count()).encode())
    return digest.hexdigest()
