"""Frames rendered as PNG or JPEG: decoded (any transfer syntax pydicom's plugins read), modality
LUT (rescale slope/intercept), VOI window (asked for, else the file's, else the frame's range),
MONOCHROME1 inverted, colour kept, fitted to a viewport. Results are cached on disk keyed by every
parameter; decoded frames stay in a small per-process memory cache so window changes are fast."""

import hashlib
import io
import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from django.conf import settings
from PIL import Image
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.pixels import apply_color_lut, apply_modality_lut, apply_voi, pixel_array

from imaging.models import Instance
from imaging.storage import dicom_storage

PNG = "image/png"
JPEG = "image/jpeg"
WINDOW_FUNCTIONS = ("linear", "linear_exact", "sigmoid")
MAX_VIEWPORT = 4096
CACHE_VERSION = "1"


class RenderError(Exception):
    """The frame cannot be rendered as asked (no pixels, no such frame, bad parameters)."""


@dataclass(frozen=True)
class Window:
    center: float
    width: float
    function: str = "linear"

    def as_text(self) -> str:
        return f"{self.center:g},{self.width:g},{self.function}"


@dataclass(frozen=True)
class RenderOptions:
    frame: int = 1  # 1-based, as in DICOMweb
    window: Window | None = None
    viewport: tuple[int, int] | None = None
    media_type: str = JPEG
    quality: int = 90

    def cache_key(self, sop_instance_uid: str) -> str:
        window = self.window.as_text() if self.window else "-"
        viewport = "x".join(map(str, self.viewport)) if self.viewport else "-"
        text = f"{CACHE_VERSION}|{sop_instance_uid}|{self.frame}|{window}|{viewport}|"
        return hashlib.sha256(f"{text}{self.media_type}|{self.quality}".encode()).hexdigest()


@dataclass(frozen=True)
class RenderedFrame:
    data: bytes
    media_type: str
    window: Window | None  # the window applied (None for colour images)


def frame_render(instance: Instance, options: RenderOptions) -> RenderedFrame:
    if not instance.has_pixels:
        raise RenderError("this instance holds no image")
    if not 1 <= options.frame <= instance.number_of_frames:
        raise RenderError(f"frame {options.frame} does not exist (1-{instance.number_of_frames})")
    cache_path = _cache_path(options.cache_key(instance.sop_instance_uid))
    cached = _cache_read(cache_path, options.media_type)
    if cached is not None:
        return cached
    rendered = _render(instance, options)
    _cache_write(cache_path, rendered)
    return rendered


def _render(instance: Instance, options: RenderOptions) -> RenderedFrame:
    decoded = decoded_frame(instance.file_path, options.frame - 1)
    if decoded.color:
        pixels, window = decoded.values.astype(np.uint8), None
    else:
        window = options.window or decoded.default_window
        pixels = apply_window(decoded.values, window)
        if decoded.inverted:
            pixels = 255 - pixels
    image = Image.fromarray(pixels, "RGB" if decoded.color else "L")
    if options.viewport:
        image = _fit(image, options.viewport)
    return RenderedFrame(_encode(image, options), options.media_type, window)


def apply_window(values: np.ndarray, window: Window) -> np.ndarray:
    """PS3.3 C.11.2.1.2: VOI LUT functions LINEAR, LINEAR_EXACT and SIGMOID, to 0-255."""
    center, width = window.center, max(window.width, 1.0)
    if window.function == "sigmoid":
        scaled = 255.0 / (1.0 + np.exp(-4.0 * (values - center) / width))
    elif window.function == "linear_exact":
        scaled = ((values - center) / width + 0.5) * 255.0
    else:
        scaled = ((values - (center - 0.5)) / max(width - 1.0, 1.0) + 0.5) * 255.0
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


def _fit(image: Image.Image, viewport: tuple[int, int]) -> Image.Image:
    """Scaled to fit the viewport, keeping the aspect ratio."""
    scale = min(viewport[0] / image.width, viewport[1] / image.height)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    if size == image.size:
        return image
    resample = Image.Resampling.LANCZOS if scale < 1 else Image.Resampling.BILINEAR
    return image.resize(size, resample)


def _encode(image: Image.Image, options: RenderOptions) -> bytes:
    buffer = io.BytesIO()
    if options.media_type == PNG:
        image.save(buffer, "PNG", compress_level=3)
    else:
        image.save(buffer, "JPEG", quality=options.quality)
    return buffer.getvalue()


# -- decoding --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DecodedFrame:
    values: np.ndarray  # float32 modality values (grey), or uint8 RGB
    color: bool
    inverted: bool  # MONOCHROME1: low values are white
    default_window: Window


@lru_cache(maxsize=48)
def decoded_frame(file_path: str, index: int) -> DecodedFrame:
    with dicom_storage().open(file_path, "rb") as handle:
        ds = dcmread(handle)
    try:
        raw = pixel_array(ds, index=index)
    except Exception as exc:  # the decoders raise many kinds on bad or unsupported data
        raise RenderError(f"the pixel data cannot be decoded ({exc})") from exc
    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2"))
    if photometric == "PALETTE COLOR":
        return _color(apply_color_lut(raw, ds))
    if raw.ndim == 3:
        return _color(raw)
    values = _modality_values(raw, ds, index)
    return DecodedFrame(
        values=values,
        color=False,
        inverted=photometric == "MONOCHROME1",
        default_window=_default_window(values, ds, index),
    )


def _color(pixels: np.ndarray) -> DecodedFrame:
    if pixels.dtype != np.uint8:
        top = float(pixels.max()) or 1.0
        pixels = (pixels.astype(np.float32) * (255.0 / top)).astype(np.uint8)
    return DecodedFrame(pixels, color=True, inverted=False, default_window=Window(128, 256))


def _frame_item(ds: Dataset, index: int, sequence: str) -> Dataset:
    """The functional-group item of an enhanced multi-frame image for this frame (per-frame
    first, then shared); the data set itself for classic images."""
    groups = []
    per_frame = ds.get("PerFrameFunctionalGroupsSequence")
    if per_frame and index < len(per_frame):
        groups.append(per_frame[index])
    shared = ds.get("SharedFunctionalGroupsSequence")
    if shared:
        groups.append(shared[0])
    for group in groups:
        if group.get(sequence):
            return group[sequence][0]
    return ds


def _modality_values(raw: np.ndarray, ds: Dataset, index: int) -> np.ndarray:
    if "ModalityLUTSequence" in ds:
        return apply_modality_lut(raw, ds).astype(np.float32)
    item = _frame_item(ds, index, "PixelValueTransformationSequence")
    slope = float(item.get("RescaleSlope", 1) or 1)
    intercept = float(item.get("RescaleIntercept", 0) or 0)
    return raw.astype(np.float32) * slope + intercept


def _default_window(values: np.ndarray, ds: Dataset, index: int) -> Window:
    item = _frame_item(ds, index, "FrameVOILUTSequence")
    center, width = _first(item.get("WindowCenter")), _first(item.get("WindowWidth"))
    if center is not None and width is not None and width > 0:
        function = str(item.get("VOILUTFunction", "LINEAR")).lower()
        return Window(center, width, function if function in WINDOW_FUNCTIONS else "linear")
    if "VOILUTSequence" in ds:
        return _lut_window(values, apply_voi(values, ds))
    low, high = float(values.min()), float(values.max())
    return Window((low + high) / 2, max(high - low, 1.0))


def _lut_window(values: np.ndarray, lut_values: np.ndarray) -> Window:
    """A VOI LUT table, approximated by the linear window over the input it does not clip."""
    low, high = float(lut_values.min()), float(lut_values.max())
    inside = values[(lut_values > low) & (lut_values < high)]
    if inside.size == 0:
        inside = values
    lo, hi = float(inside.min()), float(inside.max())
    return Window((lo + hi) / 2, max(hi - lo, 1.0))


def _first(value) -> float | None:
    if value is None or value == "":
        return None
    if not isinstance(value, int | float | str) and hasattr(value, "__getitem__"):
        value = value[0] if len(value) else None
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


# -- disk cache ------------------------------------------------------------------------------


def _cache_path(key: str) -> Path:
    return Path(settings.IMAGING_RENDER_CACHE_DIR) / key[:2] / key


def _cache_read(path: Path, media_type: str) -> RenderedFrame | None:
    try:
        stored = path.read_bytes()
    except FileNotFoundError:
        return None
    header, _, data = stored.partition(b"\n")
    window = None
    if header:
        center, width, function = header.decode().split(",")
        window = Window(float(center), float(width), function)
    return RenderedFrame(data, media_type, window)


def _cache_write(path: Path, rendered: RenderedFrame) -> None:
    """Written to a temporary file and renamed, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    header = rendered.window.as_text().encode() if rendered.window else b""
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as handle:
        handle.write(header + b"\n" + rendered.data)
    os.replace(handle.name, path)
