"""Data-driven weights: PCA weights as COINr's ``get_PCA(..., weights_to = ...)``
(R/PCA.R).

COINr's "PCA weights" are simply the loadings of the first principal component of the
group's data: ``prcomp(na.omit(data), center = TRUE, scale = TRUE)$rotation[, 1]``. They
are not squared, not made positive and not rescaled to sum to one; they can be
negative (COINr's own vignette shows a group with a negative weight). Rows with any
missing value are dropped first (COINr warns; it suggests imputing first).

The sign of the whole vector is whatever the SVD returns, in COINr: ``prcomp`` and
``numpy.linalg.svd`` both call LAPACK's ``dgesdd``, but R's LAPACK and numpy's OpenBLAS
choose opposite signs for one of ASEM's ten groups (P2P). Here the vector is oriented
so that the loadings add up to a positive number: the same on every machine, and the
orientation in which weights are read (the sign cancels in aggregation, which divides
by the sum). So these are COINr's loadings times the sign of their sum: on ASEM,
COINr's own signs in eight groups of ten, its vignette's two at level 2 included (the
other two, Political and Social, are all negative in COINr).
"""

from __future__ import annotations

import numpy as np

from rasad.errors import RasadInputError
from rasad.index._stats import ColumnInputError, as_matrix, column_ranges


def pca_weights(X) -> np.ndarray:
    """Loadings of the first principal component of the columns of ``X`` (units ×
    children of one aggregate), computed on the units with no missing value, oriented
    to add up to a positive number (or left as the SVD gives them if they add up to 0)."""
    X = as_matrix(X)
    column_ranges(X, step=("PCA weighting", "وزن‌دهی PCA"))
    complete = X[~np.isnan(X).any(axis=1)]
    if complete.shape[0] < 2:
        raise RasadInputError(
            f"PCA weights need at least two units with every value present; {complete.shape[0]} "
            "have them.",
            f"وزن‌های PCA دست‌کم دو واحد با همهٔ مقدارها لازم دارد؛ {complete.shape[0]} واحد چنین "
            "است.",
            field="units",
            value=int(complete.shape[0]),
        )
    centred = complete - complete.mean(axis=0)
    sd = centred.std(axis=0, ddof=1)
    constant = np.flatnonzero(sd == 0)
    if constant.size:
        j = int(constant[0])
        raise ColumnInputError(
            f"Column {j} is constant over the complete units, so PCA cannot scale it (R's prcomp "
            "stops too).",
            f"ستون {j} در واحدهای کامل ثابت است، پس PCA نمی‌تواند آن را مقیاس کند.",
            column=j,
        )
    _, _, vt = np.linalg.svd(centred / sd, full_matrices=False)
    return vt[0] * (-1.0 if vt[0].sum() < 0 else 1.0)
