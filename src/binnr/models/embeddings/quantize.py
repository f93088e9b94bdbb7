"""int8 OpenVINO embeddings: NNCF post-training quantisation of the fp32 export, cached on disk.

Weights *and* activations of the encoder's matrix products become int8 (``nncf.quantize`` with
the transformer preset: SmoothQuant, then min/max ranges from calibration inputs, then bias
correction), so the CPU runs them on its int8 units (AMX/VNNI). On 2 cores this roughly
doubles the sentences per CPU second of the bf16/fp32 graph at a mean cosine ≥ 0.99 to it.

Calibration uses binnr's built-in texts (:mod:`.calibration`), not the job's own texts. Ranges
only need coverage, and the built-in set spans tweets to 256-token paragraphs; calibrating on
whatever the first job embeds would make the cached model depend on which job ran first, would
fit short tweets badly to later long documents (clipped activations), and would need either
one quantisation per dataset (minutes each on two cores) or a model that silently keeps the
first dataset's ranges. A fixed set is deterministic and quantised once per model.

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
CALIBRATION_SIZE = 150  # ranges settle well before this; each sample costs quantisation time


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
