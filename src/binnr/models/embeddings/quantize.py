"""int8 OpenVINO embeddings: NNCF post-training quantisation of the fp32 export, cached on disk.

Weights *and* activations of the encoder's matrix products become int8 (``nncf.quantize`` with
the transformer preset: SmoothQuant, min/max ranges from calibration inputs, fast bias
correction), so the CPU runs them on its int8 units (VNNI/AMX). It is the default
(``BINNR_EMBEDDING_PRECISION=int8``; fp32 stays selectable). On the 2-core AMX machine of
bench/embeddings.py, where the fp32 IR already computes in bf16, int8 gives ~5x
sentence-transformers per CPU second (fp32: ~4.5x), mean cosine to fp32 0.996 on tweets,
emotions and chunked BBC articles, and a paired cross-validated probe accuracy within noise of
fp32 (bench/probe.py).

The attention itself (query and key feeding ``ScaledDotProductAttention``) stays in float:
with it quantised, OpenVINO 2026.4's CPU plugin returned wrong vectors for every batch exactly
32 tokens wide (cosine ~0.6-0.8 to fp32 for ~2% of tweets, all other widths fine), and the
attention holds no weights, so leaving it out costs no measurable speed. ``_verify`` in
:mod:`.local` now runs its check sentences padded to 32 and 64 tokens too, so a kernel that is
wrong at one width makes binnr fall back to fp32 instead of serving wrong vectors.

Calibration uses binnr's built-in texts (:mod:`.calibration`), not the job's own texts: short
posts and paragraphs of up to 20 sentences, which reach the encoder's full 256-token window
(binnr's classifiers cut long texts into 160-word windows, ~210 tokens each: see
:mod:`binnr.models.ensemble.chunking`). On tweets, 300 in-domain tweets gave the same cosine to
fp32 as the built-in set, while calibrating on whatever the first job embeds would make the
cached model depend on which job ran first and would need one quantisation (a minute or more on
two cores) per dataset. A fixed set is deterministic and is quantised once per model and
library version.

The int8 IR lives in a sub-folder of the fp32 export (whose key already covers the model files,
OpenVINO version and export recipe), named by a digest of :data:`RECIPE`, the NNCF version and
the calibration texts, so a change to any of them builds a new one.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from binnr.models.embeddings.calibration import calibration_texts
from binnr.models.embeddings.export import OPENVINO_FILE
from binnr.models.embeddings.tokens import Tokens, pad_batch, tokenize

log = logging.getLogger(__name__)

RECIPE = "nncf-ptq-transformer-v2-float-attention"  # bump when the quantisation call changes
CALIBRATION_SIZE = 300  # 150 left outliers: mean cosine 0.990 on tweets (0.996 with 300)


def int8_folder(fp32_folder: Path, texts: list[str]) -> Path:
    """The cache folder of the int8 model built from the export in ``fp32_folder``."""
    import nncf

    digest = hashlib.sha256(f"{RECIPE}|{nncf.__version__}".encode())
    digest.update("\x1f".join(texts).encode())
    return fp32_folder / f"int8-{digest.hexdigest()[:16]}"


def default_texts() -> list[str]:
    return calibration_texts(CALIBRATION_SIZE)


def quantize_openvino(fp32_xml: Path, *, tokens: Tokens, texts: list[str], out: Path) -> None:
    """Write the int8 version of the IR ``fp32_xml`` to ``out``, calibrated on ``texts``."""
    import nncf
    import openvino as ov

    # One text per sample: padding would add fake all-pad activations to the ranges.
    samples = [pad_batch(tokens, [row]) for row in tokenize(tokens, texts)]
    model = nncf.quantize(
        ov.Core().read_model(str(fp32_xml)),
        nncf.Dataset(samples),
        subset_size=len(samples),
        model_type=nncf.ModelType.TRANSFORMER,
        # Query/key stay in float (module docstring): int8 attention broke 32-token batches.
        ignored_scope=nncf.IgnoredScope(types=["ScaledDotProductAttention"]),
    )
    ov.save_model(model, str(out / OPENVINO_FILE), compress_to_fp16=False)
    log.info("Quantised %s to int8 on %d calibration texts", fp32_xml.parent.name, len(samples))
