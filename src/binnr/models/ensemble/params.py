"""Training parameters of the ``auto`` classifier; unknown keys are rejected."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ModelChoice = Literal["auto", "lightgbm", "linear", "embeddings", "stack"]
BASES = ("linear", "lightgbm", "embeddings")


class AutoParams(BaseModel):
    """What :func:`binnr.models.ensemble.train_auto` accepts (see the package docstring)."""

    model_config = ConfigDict(extra="forbid")

    model: ModelChoice = Field(
        "auto",
        description="'auto' keeps whichever of the stack and the single base models scores "
        "best on held-out rows; any other value forces that one.",
    )
    folds: int = Field(
        5, ge=2, le=20, description="Folds for the out-of-fold predictions that train the stack."
    )
    gbm_folds: int = Field(
        3,
        ge=2,
        le=10,
        description="Folds for LightGBM's out-of-fold predictions: fewer than the linear "
        "models' because each fold grows a whole forest (the slowest part of training).",
    )
    seed: int = Field(
        0, ge=0, le=2**31 - 1, description="Seed for the split, the folds and LightGBM."
    )
    eval_fraction: float = Field(
        0.0,
        ge=0,
        lt=1,
        description="Stratified share kept out of cross-fitting (reported apart) when no "
        "eval set is given. 0: every row is cross-fitted; the out-of-fold predictions decide.",
    )
    gbm_max_classes: int = Field(
        20,
        ge=2,
        le=10_000,
        description="LightGBM grows one tree per class per round: with more classes than "
        "this it is left out of 'auto' and 'stack' (linear models do better there).",
    )
    gbm_min_rows: int = Field(
        1000,
        ge=0,
        description="With fewer training rows than this LightGBM is left out of 'auto' and "
        "'stack' (trees on sparse n-grams need many rows).",
    )
    calibration_rows: int = Field(
        1000,
        ge=0,
        description="With fewer training rows than this, cross-fitting is repeated with new "
        "folds (up to 5 times) until the out-of-fold predictions that fit the temperatures "
        "and the meta-model number this many; 0 cross-fits once.",
    )
    gbm_features: int = Field(
        2000, ge=10, le=200_000, description="n-grams (chi²-selected) LightGBM sees."
    )
    gbm_rounds: int = Field(
        300, ge=1, le=5000, description="Most LightGBM boosting rounds (learning rate 0.3)."
    )
    window_words: int = Field(
        160, ge=8, le=10_000, description="Words per chunk when long texts are embedded."
    )
    max_chunks: int = Field(
        8, ge=1, le=256, description="Most chunks embedded per text (evenly spaced)."
    )
    calibrate: bool = Field(
        True, description="Temperature-scale the final probabilities on held-out predictions."
    )
    num_threads: int = Field(
        2, ge=1, le=64, description="Threads for predicting (LightGBM trains on one: faster)."
    )
