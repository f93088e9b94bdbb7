"""Backends that run the pooled encoder on padded batches: OpenVINO, ONNX Runtime, PyTorch.

A batch is ``{input name: int64 array (batch, tokens)}``; its result is the pooled, normalised
``(batch, dim)`` float32 embeddings. ``session()`` opens a :class:`Session` for one ``embed``
call: ``submit(batch, on_done)`` may return before the batch is done (OpenVINO keeps several
batches in flight, one per CPU stream) and ``wait()`` returns when every ``on_done`` has run.
Sessions are never shared between threads; compiled models and ONNX sessions are.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from binnr.models.embeddings.modeling import ModelSpec, pooled_module

log = logging.getLogger(__name__)

Batch = Mapping[str, np.ndarray]
OnDone = Callable[[np.ndarray], None]


class Session(Protocol):
    """One caller's stream of batches."""

    def submit(self, batch: Batch, on_done: OnDone) -> None:
        """Run ``batch``; call ``on_done(embeddings)`` when it is done (maybe later)."""
        ...

    def wait(self) -> None:
        """Return once every submitted batch's ``on_done`` has run."""
        ...


class Runner(Protocol):
    """A loaded backend."""

    backend: str
    detail: str

    def session(self) -> Session:
        """A new session for one thread's sequence of batches."""
        ...


class SyncSession:
    """A session around a plain function: ``submit`` computes before returning."""

    def __init__(self, fn: Callable[[Batch], np.ndarray]) -> None:
        self._fn = fn

    def submit(self, batch: Batch, on_done: OnDone) -> None:
        on_done(self._fn(batch))

    def wait(self) -> None:
        return None


def run_one(runner: Runner, batch: Batch) -> np.ndarray:
    """Embed one batch synchronously (for probes and checks)."""
    results: list[np.ndarray] = []
    session = runner.session()
    session.submit(batch, results.append)
    session.wait()
    return results[0]


def cpu_threads() -> int:
    """The cores this process may run on (the container's share, not the host's)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class OpenVINORunner:
    """An IR compiled for the CPU in throughput mode over all cores.

    Several batches run at once, one per CPU stream (OpenVINO sizes the streams; 2 on 2 cores):
    on short texts that beats one batch across all cores by ~20% in CPU time per sentence.
    The precision is OpenVINO's default for the CPU: bf16 where the CPU has native bf16
    (AVX512-BF16/AMX), else fp32; bf16 keeps cosine ≥ 0.9999 to fp32 on MiniLM and runs
    ~1.5x faster, so binnr does not force fp32.
    """

    backend = "openvino"

    def __init__(self, xml: Path, *, threads: int, precision: str = "fp32") -> None:
        import openvino as ov

        config = {
            "PERFORMANCE_HINT": "THROUGHPUT",
            "INFERENCE_NUM_THREADS": threads,
            "CACHE_DIR": str(xml.parent / "compiled"),  # reuses compiled kernels on next start
        }
        self._compiled: Any = ov.Core().compile_model(str(xml), "CPU", config)
        self._requests = max(
            1, int(self._compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"))
        )
        weights = precision  # int8: quantised matrix products; the rest runs at the hint
        hint = self._compiled.get_property("INFERENCE_PRECISION_HINT")
        precision = hint.get_type_name() if hasattr(hint, "get_type_name") else str(hint)
        version = ov.__version__.split("-")[0]
        self.detail = (
            f"openvino {version}, {weights} IR, {precision} compute, {threads} threads, "
            f"{self._requests} streams"
        )

    def session(self) -> Session:
        return _OpenVINOSession(
            [self._compiled.create_infer_request() for _ in range(self._requests)]
        )


class _OpenVINOSession:
    """Round-robin over infer requests, collecting each one's output before reusing it.

    No Python callback is registered with OpenVINO on purpose: a callback runs on an OpenVINO
    stream thread that must take the GIL, and a compiled model freed while such a thread is
    still finishing deadlocks (its destructor joins the thread while holding the GIL).
    """

    def __init__(self, requests: list[Any]) -> None:
        self._requests = requests
        self._pending: list[OnDone | None] = [None] * len(requests)
        self._next = 0

    def submit(self, batch: Batch, on_done: OnDone) -> None:
        slot = self._next
        self._next = (slot + 1) % len(self._requests)
        self._collect(slot)
        self._requests[slot].start_async(dict(batch))  # copies the inputs
        self._pending[slot] = on_done

    def wait(self) -> None:
        for offset in range(len(self._requests)):  # oldest first
            self._collect((self._next + offset) % len(self._requests))

    def _collect(self, slot: int) -> None:
        on_done, self._pending[slot] = self._pending[slot], None
        if on_done is not None:
            request = self._requests[slot]
            request.wait()  # releases the GIL while the batch runs
            on_done(np.array(request.get_output_tensor(0).data, dtype=np.float32, copy=True))


class OnnxRunner:
    """An ONNX file in ONNX Runtime's CPU provider."""

    backend = "onnx"

    def __init__(self, path: Path, *, threads: int) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session: Any = ort.InferenceSession(
            str(path), options, providers=["CPUExecutionProvider"]
        )
        self._names = [i.name for i in self._session.get_inputs()]
        self.detail = f"onnxruntime {ort.__version__}, fp32, {threads} threads"

    def session(self) -> Session:
        def run(batch: Batch) -> np.ndarray:
            out = self._session.run(None, {name: batch[name] for name in self._names})[0]
            return np.asarray(out, dtype=np.float32)

        return SyncSession(run)


class TorchRunner:
    """The pooled module in plain PyTorch (the slowest path; always available)."""

    backend = "torch"

    def __init__(self, spec: ModelSpec, *, input_names: tuple[str, ...]) -> None:
        import torch

        self._module = pooled_module(spec, input_names=input_names)
        self._names = input_names
        # torch's thread pool is process-wide and shared with training code: leave its size.
        self.detail = f"torch {torch.__version__}, fp32, {torch.get_num_threads()} threads"

    def session(self) -> Session:
        import torch

        def run(batch: Batch) -> np.ndarray:
            with torch.inference_mode():
                tensors = [torch.from_numpy(batch[name]) for name in self._names]
                return self._module(*tensors).float().numpy()

        return SyncSession(run)
