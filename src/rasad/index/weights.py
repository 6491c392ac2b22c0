"""Data-driven weights: PCA weights as COINr's ``get_PCA(..., weights_to = ...)``
(R/PCA.R).

COINr's "PCA weights" are simply the loadings of the first principal component of the
group's data: ``prcomp(na.omit(data), center = TRUE, scale = TRUE)$rotation[, 1]``. They
are not squared, not made positive and not rescaled to sum to one; they can be
negative (COINr's own vignette shows a group with a negative weight), and the sign of
the whole vector is whatever the SVD returns. That sign is harmless where the weights
are used: aggregation scales a group's weights to sum to one, which cancels it. Rows
with any missing value are dropped first (COINr warns; it suggests imputing first).

``prcomp`` takes the SVD of the centred and scaled data with LAPACK's ``dgesdd``, as
``numpy.linalg.svd`` does, so the loadings agree with COINr's including their sign on
the ASEM example.
"""

from __future__ import annotations

import numpy as np

from rasad.errors import RasadInputError
from rasad.index._stats import ColumnInputError, as_matrix, column_ranges


def pca_weights(X) -> np.ndarray:
    """Loadings of the first principal component of the columns of ``X`` (units ×
    children of one aggregate), computed on the units with no missing value."""
    X = as_matrix(X)
    column_ranges(X, step=("PCA weighting", "وزن‌دهی PCA"))
    complete = X[~np.isnan(X).any(axis=1)]
    if complete.shape[0] < 2:
        raise RasadInputError(
            f"PCA weights need at least two units with every value present; {complete.shape[0]} have them.",
            f"وزن‌های PCA دست‌کم دو واحد با همهٔ مقدارها لازم دارد؛ {complete.shape[0]} واحد چنین است.",
            field="units", value=int(complete.shape[0]),
        )
    centred = complete - complete.mean(axis=0)
    sd = centred.std(axis=0, ddof=1)
    constant = np.flatnonzero(sd == 0)
    if constant.size:
        j = int(constant[0])
        raise ColumnInputError(
            f"Column {j} is constant over the complete units, so PCA cannot scale it (R's prcomp stops too).",
            f"ستون {j} در واحدهای کامل ثابت است، پس PCA نمی‌تواند آن را مقیاس کند.",
            column=j,
        )
    _, _, vt = np.linalg.svd(centred / sd, full_matrices=False)
    return vt[0].copy()
