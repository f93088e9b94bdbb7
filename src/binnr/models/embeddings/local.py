"""The local embedding provider: a sentence-transformers model on OpenVINO, ONNX or PyTorch.

Loading (:func:`load_local`) is thread-safe and cached per process by (model folder, backend,
cache folder). ``auto`` tries OpenVINO, then ONNX Runtime, then PyTorch, logging a warning for
each backend that cannot be used. An exported graph is checked against PyTorch on a few
sentences (cosine ≥ :data:`MIN_EXPORT_COSINE`) before it is cached, and reused on later starts.

``embed`` tokenises everything once, sorts rows by token count and batches neighbours together
so padding stays small, then writes each batch back to its rows' original positions.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from binnr.children import marker, prepare_in_child
from binnr.errors import BinnrError, ModelError, NotSupported
from binnr.models.embeddings.base import Backend, Embedder, Precision, resolve_model_dir
from binnr.models.embeddings.export import (
    ONNX_FILE,
    OPENVINO_FILE,
    cached_export,
    export_onnx,
    export_openvino,
    model_key,
)
from binnr.models.embeddings.modeling import ModelSpec, read_spec
from binnr.models.embeddings.runners import (
    OnnxRunner,
    OpenVINORunner,
    Runner,
    TorchRunner,
    cpu_threads,
    run_one,
)
from binnr.models.embeddings.tokens import Tokens, pad_batch, tokenize
from binnr.models.paths import model_roots
from binnr.progress import NullProgress, Progress
from binnr.settings import Settings

log = logging.getLogger(__name__)

AUTO_ORDER: tuple[Backend, ...] = ("openvino", "onnx", "torch")
MIN_EXPORT_COSINE = 0.999
MIN_INT8_COSINE = 0.97  # per check sentence; datasets average ≥ 0.99 (bench/embeddings.py)


@dataclass(frozen=True)
class Loaded:
    """One model loaded on one backend (shared by every embedder of that key)."""

    name: str
    spec: ModelSpec
    tokens: Tokens
    runner: Runner
    dim: int
    export_path: Path | None
    built_export: bool
    precision: Precision = "fp32"


class LocalEmbedder:
    """An :class:`~binnr.models.embeddings.base.Embedder` over a :class:`Loaded` model."""

    def __init__(self, loaded: Loaded, *, batch_size: int = 64) -> None:
        self.loaded = loaded
        self.name = loaded.name
        self.dim = loaded.dim
        self.backend = loaded.runner.backend
        self.precision: Precision = loaded.precision  # the one that runs (see vector_key)
        self.batch_size = max(1, int(batch_size))

    def embed(
        self, texts: Sequence[str | None], *, progress: Progress = NullProgress()
    ) -> np.ndarray:
        """L2-normalised float32 embeddings in input order; None/NaN embed as ''."""
        n = len(texts)
        out = np.zeros((n, self.dim), dtype=np.float32)
        if n == 0:
            return out
        ids = tokenize(self.loaded.tokens, [_clean(t) for t in texts], progress=progress)
        order = np.argsort(np.fromiter((len(row) for row in ids), dtype=np.int64), kind="stable")
        session = self.loaded.runner.session()
        try:
            for start in range(0, n, self.batch_size):
                progress.check_cancelled()
                rows = order[start : start + self.batch_size]
                session.submit(
                    pad_batch(self.loaded.tokens, [ids[i] for i in rows]),
                    partial(out.__setitem__, rows),
                )
                done = min(start + self.batch_size, n)
                progress.update(done=done, total=n, message=f"embedded {done}/{n}")
        finally:
            session.wait()  # never leave batches writing into ``out`` after we return
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)


_CACHE: dict[tuple[str, str, str, str], Loaded] = {}
_LOCK = threading.Lock()


def load_local(
    *,
    model: str,
    backend: Backend = "auto",
    cache_dir: Path,
    batch_size: int = 64,
    roots: Sequence[Path] | None = None,
    precision: Precision = "fp32",
    prepare_first: bool = False,
) -> LocalEmbedder:
    """The embedder for ``model`` on ``backend``; exports to ``cache_dir`` on first use
    (``prepare_first``: in a child process, so that this one keeps serving).

    ``roots``: where a model path may lie (see :func:`resolve_model_dir`).
    ``precision="int8"`` quantises the OpenVINO export (once, cached beside it); other backends,
    or a failed quantisation (logged), run fp32.
    """
    folder = resolve_model_dir(model, roots=roots)
    key = (str(folder), backend, str(cache_dir.resolve()), precision)
    with _LOCK:  # one load per key even when many jobs start at once
        loaded = _CACHE.get(key)
        if loaded is None:
            load = partial(
                _load, model, folder, backend=backend, cache_dir=cache_dir, precision=precision
            )
            if prepare_first:  # exports built off this interpreter (see binnr.children)
                prepare_in_child(load, marker(cache_dir, folder, backend, precision))
            loaded = _CACHE[key] = load()
    return LocalEmbedder(loaded, batch_size=batch_size)


def clear_cache() -> None:
    """Forget every loaded model (their memory is freed once no embedder holds them)."""
    with _LOCK:
        _CACHE.clear()


def _load(
    name: str, folder: Path, *, backend: Backend, cache_dir: Path, precision: Precision
) -> Loaded:
    spec = read_spec(folder)
    tokens = Tokens.load(spec)
    candidates = AUTO_ORDER if backend == "auto" else (backend,)
    failures: list[str] = []
    for candidate in candidates:
        used: Precision = "fp32"
        try:
            runner, path, built = _runner(candidate, spec, tokens, name=name, cache_dir=cache_dir)
            if candidate == "openvino" and precision == "int8" and path is not None:
                runner, path, built, used = _int8(runner, path, built, spec, tokens)
        except Exception as exc:
            if backend != "auto":
                raise _as_binnr(exc, candidate) from exc
            failures.append(f"{candidate}: {exc}")
            log.warning("Embedding backend %s unavailable, trying the next: %s", candidate, exc)
            continue
        dim = int(run_one(runner, pad_batch(tokens, tokenize(tokens, [""]))).shape[-1])
        log.info("Embedding model %s on %s (%s)", name, candidate, runner.detail)
        return Loaded(name, spec, tokens, runner, dim, path, built, used)
    raise ModelError(
        f"No embedding backend could load {name!r}: {'; '.join(failures)}",
        hint="Set BINNR_EMBEDDING_BACKEND=torch to see the underlying error.",
    )


def _runner(
    backend: Backend, spec: ModelSpec, tokens: Tokens, *, name: str, cache_dir: Path
) -> tuple[Runner, Path | None, bool]:
    """A runner for ``backend``, exporting (and verifying) its graph on first use."""
    if backend == "torch":
        return TorchRunner(spec, input_names=tokens.input_names), None, False
    make, filename, export_graph, version = _exporter(backend)
    threads = cpu_threads()

    def build(out: Path) -> None:
        export_graph(spec, tokenizer=tokens.tokenizer, input_names=tokens.input_names, out=out)
        _verify(make(out / filename, threads=threads), spec, tokens)

    folder = cache_dir / model_key(spec, name=name, backend=backend, library_version=version)
    path, built = cached_export(folder, filename=filename, build=build)
    return make(path, threads=threads), path, built


def _int8(
    fp32: Runner, fp32_xml: Path, built: bool, spec: ModelSpec, tokens: Tokens
) -> tuple[Runner, Path, bool, Precision]:
    """The int8 runner (quantising and verifying on first use), or the fp32 one if that fails.

    A failure only costs speed, so it is logged and the fp32 export serves instead.
    """
    threads = cpu_threads()
    try:
        from binnr.models.embeddings import quantize

        texts = quantize.default_texts()

        def build(out: Path) -> None:
            quantize.quantize_openvino(fp32_xml, tokens=tokens, texts=texts, out=out)
            runner = OpenVINORunner(out / OPENVINO_FILE, threads=threads, precision="int8")
            _verify(runner, spec, tokens, minimum=MIN_INT8_COSINE)

        folder = quantize.int8_folder(fp32_xml.parent, texts)
        path, built_int8 = cached_export(folder, filename=OPENVINO_FILE, build=build)
        return OpenVINORunner(path, threads=threads, precision="int8"), path, built_int8, "int8"
    except Exception as exc:
        log.warning("int8 embeddings unavailable, using fp32: %s", str(exc)[:300])
        return fp32, fp32_xml, built, "fp32"


def _exporter(backend: str) -> tuple[Callable[..., Runner], str, Callable[..., None], str]:
    """(runner class, file name, export function, library version) of an exported backend."""
    if backend == "openvino":
        import openvino as ov

        return OpenVINORunner, OPENVINO_FILE, export_openvino, ov.__version__
    if backend == "onnx":
        import onnxruntime as ort

        return OnnxRunner, ONNX_FILE, export_onnx, ort.__version__
    raise NotSupported(
        f"Unknown embedding backend {backend!r}.",
        hint="Set BINNR_EMBEDDING_BACKEND to auto, openvino, onnx or torch.",
    )


def _verify(
    runner: Runner, spec: ModelSpec, tokens: Tokens, *, minimum: float = MIN_EXPORT_COSINE
) -> None:
    """Refuse an export whose output strays from PyTorch's on a few real sentences.

    They also run padded to fixed widths: a kernel can be wrong at one sequence length only
    (OpenVINO 2026.4's int8 attention was, at exactly 32 tokens), and padding must not matter.
    """
    ids = tokenize(tokens, list(_CHECK_SENTENCES))
    long = tokenize(tokens, [" ".join(_CHECK_SENTENCES * 4)])[0]
    reference = TorchRunner(spec, input_names=tokens.input_names)
    cosine = 1.0
    for width in sorted({len(max(ids, key=len)), *(min(w, tokens.max_length) for w in (32, 64))}):
        # the bad kernel only hit rows that (nearly) fill the width: one row does
        batch = pad_batch(tokens, [*ids, long[: width - 1] + long[-1:]], width=width)
        got, want = run_one(runner, batch), run_one(reference, batch)
        cosine = min(cosine, float(np.min(np.sum(want * got, axis=1))))
    if not cosine >= minimum:
        raise ModelError(
            f"The {runner.backend} export disagrees with PyTorch (cosine {cosine:.5f}).",
            hint="Set BINNR_EMBEDDING_BACKEND=torch, or report the model and library versions.",
        )


def _as_binnr(exc: Exception, backend: str) -> BinnrError:
    if isinstance(exc, BinnrError):
        return exc
    return ModelError(
        f"The {backend} embedding backend failed to load: {str(exc)[:300]}",
        hint="Set BINNR_EMBEDDING_BACKEND=auto to fall back to another backend.",
    )


def _clean(text: Any) -> str:
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    return text if isinstance(text, str) else str(text)


_CHECK_SENTENCES = (
    "The flight was delayed for three hours and nobody told us why.",
    "I love this!",
    "",
    "Quarterly revenue grew 12% while operating costs fell slightly.",
)


def get_embedder(settings: Settings, *, name: str | None = None) -> Embedder:
    """The local embedder for model ``name`` (default ``settings.embedding_model``).

    The backend is ``settings.embedding_backend``; loaded models are cached per process.
    Cortex embeddings run inside Snowflake (:mod:`binnr.backends.snowflake.cortex_embedder`).
    A ``name`` other than the configured model must lie in an allowed root.
    """
    model = name or settings.embedding_model
    return load_local(
        model=model,
        backend=settings.embedding_backend,
        cache_dir=settings.cache_dir / "embeddings",
        batch_size=settings.embedding_batch_size,
        roots=None if model == settings.embedding_model else model_roots(settings),
        precision=settings.embedding_precision,
        prepare_first=settings.isolate_training,
    )
