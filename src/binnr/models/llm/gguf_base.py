"""Loading base causal LMs offline, converting GGUF files to a reusable HF folder once.

transformers loads a GGUF by dequantising it (float32) but refuses ``save_pretrained`` on the
result, and the load is slow (~16 s for SmolLM2-135M). So the first use rebuilds the model from
its config without ``quantization_config``, copies the weights, and saves model + tokenizer as a
plain HF folder under ``<models_dir>/base/<name>/``; later loads take ~0.2 s.
"""

from __future__ import annotations

import logging
import re
import shutil
import threading
import uuid
from pathlib import Path

from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)

from binnr.errors import ModelError

log = logging.getLogger(__name__)
_LOCK = threading.Lock()
_MARKER = "config.json"


def cache_name(name: str, ref: str) -> str:
    """A folder name for a base model: the model type if it is a plain name, else the stem."""
    raw = name if re.fullmatch(r"[\w.-]+", name) else Path(ref).stem
    return re.sub(r"[^\w.-]", "_", raw) or "model"


def load_base(
    *, name: str, ref: str, models_dir: Path
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load the base model ``ref`` (HF folder, hub id or ``.gguf`` file) in eval mode."""
    source = ref
    if ref.endswith(".gguf"):
        source = str(
            ensure_hf_folder(gguf=Path(ref), dest=models_dir / "base" / cache_name(name, ref))
        )
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(source, local_files_only=True)
    except (OSError, ValueError) as exc:
        raise ModelError(
            # The library's text names the folder: shown without the server's path.
            f"Cannot load the LLM base model {name!r}: "
            f"{str(exc).replace(source, Path(source).name)[:300]}",
            hint="Give a local HF folder, a .gguf file, or a hub id already in the local cache "
            "(binnr never downloads); see BINNR_LLM_MODELS.",
        ) from exc
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    model.eval()
    return model, tokenizer


def ensure_hf_folder(*, gguf: Path, dest: Path) -> Path:
    """Return ``dest`` holding ``gguf`` as a plain HF folder, building it on first use."""
    with _LOCK:
        if (dest / _MARKER).is_file():
            return dest
        if not gguf.is_file():
            raise ModelError(f"GGUF file {gguf.name!r} does not exist.", hint="Check the path.")
        log.info("converting %s to an HF folder at %s (once)", gguf.name, dest)
        tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            _convert(gguf, tmp)
            dest.parent.mkdir(parents=True, exist_ok=True)
            if (dest / _MARKER).is_file():  # another process won the race
                return dest
            shutil.rmtree(dest, ignore_errors=True)
            tmp.rename(dest)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return dest


def _convert(gguf: Path, out: Path) -> None:
    folder, file = str(gguf.parent), gguf.name
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=file, local_files_only=True)
        quantised = AutoModelForCausalLM.from_pretrained(
            folder, gguf_file=file, local_files_only=True
        )
    except (OSError, ValueError, KeyError) as exc:
        raise ModelError(
            f"Cannot read GGUF file {gguf.name!r}: {str(exc).replace(str(gguf.parent), '.')[:300]}",
            hint="Use a GGUF of an architecture transformers supports (llama, mistral, qwen2...).",
        ) from exc
    config = quantised.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    plain = AutoModelForCausalLM.from_config(config)
    plain.load_state_dict(quantised.state_dict())
    del quantised
    out.mkdir(parents=True, exist_ok=True)
    plain.save_pretrained(out)
    tokenizer.save_pretrained(out)
