"""The engine names artefact formats without importing LightGBM; they must match the models'."""

from __future__ import annotations

import subprocess
import sys

from binnr.models import gbm
from binnr.models.ensemble import model as auto_model
from binnr.services.classifier.model_kinds import AUTO_FORMAT, KINDS, TEXT_GBM_FORMAT


def test_formats_match_the_models() -> None:
    assert TEXT_GBM_FORMAT == gbm.FORMAT
    assert AUTO_FORMAT == auto_model.FORMAT
    assert set(KINDS) == {gbm.FORMAT, auto_model.FORMAT}


def test_the_api_and_cli_start_without_the_heavy_ml_libraries() -> None:
    code = (
        "import sys, binnr.api.app, binnr.cli.main; "
        "print(sorted(m for m in ('lightgbm', 'sklearn', 'torch', 'transformers', 'scipy') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
