"""One-time export of the pooled encoder to OpenVINO IR or ONNX, cached on disk.

An export lives in ``<cache_dir>/<model-key>/`` where the key names the model folder, a digest of
its config and weight files (path, size, mtime), the backend, the exporting library's version and
:data:`RECIPE` (bump it when the exported graph changes). An export is written into a temporary
sibling folder and renamed into place, so a crash never leaves a half-written cache and two
processes racing to export both end up using one complete folder.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from binnr.errors import NotSupported
from binnr.models.embeddings.modeling import ModelSpec, pooled_module

log = logging.getLogger(__name__)

RECIPE = "pooled-l2-v1"
OPENVINO_FILE = "model.xml"
ONNX_FILE = "model.onnx"
_EXAMPLE = ["An example sentence to trace the graph.", "Short one."]


def model_key(spec: ModelSpec, *, name: str, backend: str, library_version: str) -> str:
    """A folder name (readable ``name`` slug + digest) that changes with the model files,
    backend, library version or recipe."""
    digest = hashlib.sha256(f"{RECIPE}|{backend}|{library_version}|{spec}".encode())
    for path in sorted(spec.folder.rglob("*")):
        if path.is_file() and path.suffix in {".json", ".safetensors", ".bin", ".txt", ".model"}:
            stat = path.stat()
            digest.update(
                f"{path.relative_to(spec.folder)}|{stat.st_size}|{stat.st_mtime_ns}".encode()
            )
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.")[:60] or "model"
    return f"{slug}-{backend}-{digest.hexdigest()[:16]}"


def cached_export(
    folder: Path, *, filename: str, build: Callable[[Path], None]
) -> tuple[Path, bool]:
    """``folder/filename``, building it with ``build(tmp_dir)`` first if absent.

    Returns the path and whether this call built it.
    """
    target = folder / filename
    if target.is_file():
        return target, False
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        build(tmp)
        try:
            os.replace(tmp, folder)  # atomic; fails if another process got there first
        except OSError:
            if not target.is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target, True


def example_inputs(tokenizer: Any, input_names: tuple[str, ...]) -> tuple[Any, ...]:
    """A small padded torch batch to trace the module with."""
    batch = tokenizer(_EXAMPLE, padding=True, return_tensors="pt")
    return tuple(batch[name] for name in input_names)


def export_openvino(
    spec: ModelSpec, *, tokenizer: Any, input_names: tuple[str, ...], out: Path
) -> None:
    """Convert the pooled module with ``openvino.convert_model`` and save fp32 IR to ``out``."""
    import openvino as ov
    import torch

    module = pooled_module(spec, input_names=input_names)
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about shape-dependent branches
        model = ov.convert_model(module, example_input=example_inputs(tokenizer, input_names))
    for port, name in zip(model.inputs, input_names, strict=True):
        port.get_tensor().set_names({name})
    # fp32 weights on disk: the device picks its own inference precision at compile time.
    ov.save_model(model, str(out / OPENVINO_FILE), compress_to_fp16=False)


def export_onnx(
    spec: ModelSpec, *, tokenizer: Any, input_names: tuple[str, ...], out: Path
) -> None:
    """Export the pooled module with the TorchScript ONNX exporter (needs the ``onnx`` package)."""
    import importlib.util

    import torch

    if importlib.util.find_spec("onnx") is None:
        raise NotSupported(
            "The onnx backend needs the onnx package to export the model, and it is not installed.",
            hint="Set BINNR_EMBEDDING_BACKEND=openvino (or auto), or install onnx.",
        )
    module = pooled_module(spec, input_names=input_names)
    axes = {name: {0: "batch", 1: "tokens"} for name in input_names}
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            example_inputs(tokenizer, input_names),
            str(out / ONNX_FILE),
            input_names=list(input_names),
            output_names=["embedding"],
            dynamic_axes={**axes, "embedding": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
