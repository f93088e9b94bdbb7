"""int8 OpenVINO embeddings: NNCF post-training quantisation of the fp32 export, cached on disk.

Weights *and* activations of the encoder's matrix products become int8 (``nncf.quantize`` with
the transformer preset: SmoothQuant, min/max ranges from calibration inputs, bias correction),
so the CPU can run them on its int8 units (VNNI/AMX). It is opt-in
(``BINNR_EMBEDDING_PRECISION=int8``): on the 2-core AMX machine of bench/embeddings.py the fp32
IR already computes in bf16, and int8 was only ~10% more sentences per CPU second (5.1x vs 4.6x
sentence-transformers) for a mean cosine to fp32 of ~0.99 with a tail of long tweets near 0.6.
On CPUs without native bf16, where OpenVINO computes the fp32 IR in fp32, int8 should gain more.

Calibration uses binnr's built-in texts (:mod:`.calibration`), not the job's own texts: on
tweets, 300 in-domain tweets gave the same cosine to fp32 as the built-in set (0.9929 vs 0.9923
on random tweets, 0.884 vs 0.882 on the worst hundred), while calibrating on whatever the first
job embeds would make the cached model depend on which job ran first and would need one
quantisation (minutes on two cores) per dataset. A fixed set is deterministic and is quantised
once per model and library version.

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

RECIPE = "nncf-ptq-transformer-v1"  # bump when the quantisation call changes
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
    )
    ov.save_model(model, str(out / OPENVINO_FILE), compress_to_fp16=False)
    log.info("Quantised %s to int8 on %d calibration texts", fp32_xml.parent.name, len(samples))
