"""Model selection on a Dask cluster: joblib's dask backend gives the scores of the local run."""

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, KFold
from threadpoolctl import threadpool_limits

from skSIG import SemiImplicitDensity

distributed = pytest.importorskip("distributed")
joblib = pytest.importorskip("joblib")

GRID = {"sigma": [0.2, 0.4], "M": [32, 128]}


def _search(bimodal, n_jobs):
    est = SemiImplicitDensity(
        batch_size=64, max_iter=30, n_eval_samples=256, hidden_layer_sizes=(32, 32), random_state=0
    )
    search = GridSearchCV(est, GRID, cv=KFold(3, shuffle=True, random_state=0), n_jobs=n_jobs)
    return search.fit(bimodal)


def test_grid_search_on_local_dask_cluster_matches_local_run(bimodal):
    # One torch thread, like each Dask worker (Dask starts them with OMP_NUM_THREADS=1).
    with threadpool_limits(limits=1):
        local = _search(bimodal, n_jobs=1)
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with cluster, distributed.Client(cluster), joblib.parallel_backend("dask"):
        remote = _search(bimodal, n_jobs=-1)
    np.testing.assert_allclose(
        remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"], atol=1e-3
    )
    assert remote.best_params_ == local.best_params_
