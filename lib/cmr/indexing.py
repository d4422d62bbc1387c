"""Nearest-neighbour indexes for shingles, behind one small interface.

Notebook 05 (``05_Shingles_and_Indexing.ipynb``) explains this module.

Every index has

* ``build(X)`` -- take the database, shape (n, d), one vector per row;
* ``query(Q, k)`` -- the ``k`` nearest rows for every row of ``Q``
  (shape (m, d)), returned as ``(dist, idx)``, both shape (m, k): Euclidean
  distances in the original space, ascending, and row numbers into ``X``
  (``-1`` with distance ``inf`` where fewer than ``k`` candidates were found);
* ``save(path)`` / :func:`load_index` -- a single ``.npz`` file.

The index types:

=====================  =========================================================
:class:`BruteForceIndex`  exact: blocked matrix products, top-k by partial sort
:class:`KDTreeIndex`      PCA to ``n_components`` dims, then scikit-learn's k-d
                          tree; candidates re-ranked with exact distances
:class:`LSHIndex`         random-hyperplane hashing (several tables, multi-probe),
                          candidates re-ranked with exact distances
:class:`HNSWIndex`        faiss's hierarchical navigable small-world graph
=====================  =========================================================

and :class:`PCA`, the linear dimension reduction used by the k-d tree and the
MAP-versus-dimension experiments.
"""
from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np


def _as_matrix(X, name: str, dim: int | None = None) -> np.ndarray:
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"{name} must have shape (n, d), got shape {X.shape}")
    if not np.issubdtype(X.dtype, np.number):
        raise TypeError(f"{name} must be numeric, got dtype {X.dtype}")
    if dim is not None and X.shape[1] != dim:
        raise ValueError(f"{name} must have {dim} columns (the index dimension), got {X.shape[1]}")
    X = np.ascontiguousarray(X, dtype=np.float32)
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return X


def _check_k(k) -> int:
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    return int(k)


def _topk_rows(d2: np.ndarray, k: int, row_offset=None) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the k smallest entries of d2 (squared distances up to ``row_offset``), sorted."""
    n = d2.shape[1]
    kk = min(k, n)
    if kk < n:
        part = np.argpartition(d2, kk - 1, axis=1)[:, :kk]
    else:
        part = np.broadcast_to(np.arange(n), (d2.shape[0], n)).copy()
    vals = np.take_along_axis(d2, part, axis=1)
    if row_offset is not None:
        vals = vals + row_offset[:, None]
    order = np.argsort(vals, axis=1, kind="stable")
    idx = np.take_along_axis(part, order, axis=1)
    dist = np.sqrt(np.maximum(np.take_along_axis(vals, order, axis=1), 0.0))
    if kk < k:
        pad = k - kk
        idx = np.concatenate([idx, np.full((len(idx), pad), -1)], axis=1)
        dist = np.concatenate([dist, np.full((len(dist), pad), np.inf, dtype=dist.dtype)], axis=1)
    return dist.astype(np.float32), idx.astype(np.int64)


class _Index:
    kind = "base"

    def __init__(self):
        self.X = None

    @property
    def ntotal(self) -> int:
        return 0 if self.X is None else len(self.X)

    @property
    def dim(self) -> int:
        return 0 if self.X is None else self.X.shape[1]

    def _need_built(self):
        if self.X is None:
            raise ValueError(f"{type(self).__name__}: call build(X) before query()")

    def params(self) -> dict:
        return {}

    def __repr__(self):
        p = ", ".join(f"{k}={v!r}" for k, v in self.params().items())
        return f"{type(self).__name__}({p}) with {self.ntotal} vectors of dim {self.dim}"

    def _exact_rerank_dense(self, Q: np.ndarray, cand: np.ndarray, k: int):
        """Exact re-ranking when every query has the same number of candidates (m, c); -1 = none."""
        valid = cand >= 0
        rows = np.where(valid, cand, 0)
        diff = self.X[rows] - Q[:, None, :]
        d2 = np.where(valid, np.einsum("mcd,mcd->mc", diff, diff), np.inf)
        kk = min(k, cand.shape[1])
        order = np.argsort(d2, axis=1, kind="stable")[:, :kk]
        dist = np.sqrt(np.take_along_axis(d2, order, axis=1)).astype(np.float32)
        idx = np.where(np.isfinite(dist), np.take_along_axis(cand, order, axis=1), -1)
        if kk < k:
            idx = np.concatenate([idx, np.full((len(Q), k - kk), -1)], axis=1)
            dist = np.concatenate([dist, np.full((len(Q), k - kk), np.inf, np.float32)], axis=1)
        return dist, idx.astype(np.int64)

    def _exact_rerank(self, Q: np.ndarray, cand: list[np.ndarray], k: int):
        """Exact distances from each query to its candidate rows, top k."""
        m = len(Q)
        dist = np.full((m, k), np.inf, dtype=np.float32)
        idx = np.full((m, k), -1, dtype=np.int64)
        for i in range(m):
            c = cand[i]
            if c.size == 0:
                continue
            diff = self.X[c] - Q[i]
            d2 = np.einsum("ij,ij->i", diff, diff)
            kk = min(k, c.size)
            if kk < c.size:
                sel = np.argpartition(d2, kk - 1)[:kk]
            else:
                sel = np.arange(c.size)
            sel = sel[np.argsort(d2[sel], kind="stable")]
            dist[i, :kk] = np.sqrt(d2[sel])
            idx[i, :kk] = c[sel]
        return dist, idx

    # --- persistence -------------------------------------------------------
    def _arrays(self) -> dict:
        return {"X": self.X}

    def save(self, path) -> Path:
        """Write the index (parameters and data) to one ``.npz`` file."""
        self._need_built()
        path = Path(path)
        meta = json.dumps({"kind": self.kind, "params": self.params()})
        np.savez(path, __meta__=np.array(meta), **self._arrays())
        return path if path.suffix == ".npz" else path.with_name(path.name + ".npz")

    @classmethod
    def _from_arrays(cls, params: dict, arrays):
        obj = cls(**params)
        obj._restore(arrays)
        return obj

    def _restore(self, arrays):
        self.X = np.ascontiguousarray(arrays["X"], dtype=np.float32)


class BruteForceIndex(_Index):
    """Exact k-nearest-neighbour search with blocked matrix products.

    ``||q - x||^2 = ||q||^2 - 2 q.x + ||x||^2`` for a block of queries against
    all rows at once (one BLAS call; ``||q||^2`` does not change the ranking
    and is added to the winners only), then ``np.argpartition`` picks the
    ``k`` smallest without sorting everything.

    Parameters
    ----------
    block : int
        Queries per block (memory: ``block * n`` float32 values).
    """

    kind = "brute"

    def __init__(self, block: int = 256):
        super().__init__()
        if block < 1:
            raise ValueError(f"block must be >= 1, got {block}")
        self.block = int(block)

    def params(self):
        return {"block": self.block}

    def build(self, X):
        self.X = _as_matrix(X, "X")
        if len(self.X) == 0:
            raise ValueError("X must contain at least one vector, got shape (0, d)")
        self._xx = np.einsum("ij,ij->i", self.X, self.X)
        return self

    def _restore(self, arrays):
        super()._restore(arrays)
        self._xx = np.einsum("ij,ij->i", self.X, self.X)

    def query(self, Q, k: int = 10):
        self._need_built()
        Q = _as_matrix(Q, "Q", self.dim)
        k = _check_k(k)
        dist = np.empty((len(Q), k), dtype=np.float32)
        idx = np.empty((len(Q), k), dtype=np.int64)
        for a in range(0, len(Q), self.block):
            q = Q[a:a + self.block]
            # ||x||^2 - 2 q.x ranks like the squared distance; ||q||^2 is added to the k winners only
            d2 = (-2.0 * q) @ self.X.T
            d2 += self._xx[None, :]
            dist[a:a + len(q)], idx[a:a + len(q)] = _topk_rows(d2, k, np.einsum("ij,ij->i", q, q))
        return dist, idx


class PCA:
    """Principal component analysis to ``n_components`` dimensions.

    Fitted with scikit-learn (eigenvectors of the covariance matrix); kept as a small
    object of its own so it can be saved in an ``.npz`` and inspected
    (``components_`` rows are directions in shingle space, reshape them with
    :func:`cmr.shingles.shingle_to_chroma` to see chroma patterns).

    Attributes
    ----------
    mean_ : np.ndarray, shape (d,)
    components_ : np.ndarray, shape (n_components, d), orthonormal rows
    explained_variance_ratio_ : np.ndarray, shape (n_components,)
    """

    def __init__(self, n_components: int):
        if not isinstance(n_components, (int, np.integer)) or n_components < 1:
            raise ValueError(f"n_components must be a positive integer, got {n_components!r}")
        self.n_components = int(n_components)
        self.mean_ = None

    def fit(self, X, max_samples: int | None = 200_000, seed: int = 0):
        """Fit on the rows of ``X`` (shape (n, d)); at most ``max_samples`` random rows are used."""
        from sklearn.decomposition import PCA as _SkPCA

        X = _as_matrix(X, "X")
        n, d = X.shape
        if self.n_components > min(n, d):
            raise ValueError(f"n_components={self.n_components} exceeds min(n_samples, dim) = {min(n, d)}")
        if max_samples is not None and n > max_samples:
            X = X[np.random.default_rng(seed).choice(n, max_samples, replace=False)]
        sk = _SkPCA(n_components=self.n_components, svd_solver="covariance_eigh").fit(X.astype(np.float64))
        self.mean_ = sk.mean_.astype(np.float32)
        self.components_ = sk.components_.astype(np.float32)
        self.explained_variance_ratio_ = sk.explained_variance_ratio_.astype(np.float32)
        return self

    def transform(self, X) -> np.ndarray:
        """Project rows of ``X`` (shape (n, d)) -> shape (n, n_components), float32."""
        if self.mean_ is None:
            raise ValueError("PCA: call fit(X) before transform()")
        X = _as_matrix(X, "X", len(self.mean_))
        return (X - self.mean_) @ self.components_.T

    def truncate(self, n_components: int) -> "PCA":
        """A PCA with only the first ``n_components`` components (no refit)."""
        if self.mean_ is None:
            raise ValueError("PCA: call fit(X) before truncate()")
        if not 1 <= n_components <= self.n_components:
            raise ValueError(f"n_components must lie in [1, {self.n_components}], got {n_components}")
        out = PCA(n_components)
        out.mean_ = self.mean_
        out.components_ = self.components_[:n_components]
        out.explained_variance_ratio_ = self.explained_variance_ratio_[:n_components]
        return out

    def save(self, path) -> None:
        np.savez(path, mean=self.mean_, components=self.components_,
                 explained_variance_ratio=self.explained_variance_ratio_)

    @classmethod
    def load(cls, path) -> "PCA":
        with np.load(path) as f:
            out = cls(len(f["components"]))
            out.mean_ = f["mean"]
            out.components_ = f["components"]
            out.explained_variance_ratio_ = f["explained_variance_ratio"]
        return out


def _pca_arrays(pca) -> dict:
    """The fitted parts of a PCA as arrays for an index file (empty without PCA)."""
    if pca is None:
        return {}
    return {"pca_mean": pca.mean_, "pca_components": pca.components_,
            "pca_evr": pca.explained_variance_ratio_}


def _pca_from_arrays(arrays) -> "PCA":
    """Rebuild the PCA that :func:`_pca_arrays` saved."""
    pca = PCA(len(arrays["pca_components"]))
    pca.mean_ = arrays["pca_mean"]
    pca.components_ = arrays["pca_components"]
    pca.explained_variance_ratio_ = arrays["pca_evr"]
    return pca


class KDTreeIndex(_Index):
    """k-d tree (scikit-learn) on a PCA projection, with exact re-ranking.

    A k-d tree prunes well only in low dimension, so the shingles are first
    projected to ``n_components`` principal components (``None``: no
    projection, the tree is exact). The tree returns ``rerank * k`` candidates
    in the projected space; their exact distances in the full space decide
    the final ``k``.

    Parameters
    ----------
    n_components : int or None
    rerank : int
        Candidates per requested neighbour (>= 1).
    leaf_size : int
        scikit-learn leaf size.
    """

    kind = "kdtree"

    def __init__(self, n_components: int | None = 12, rerank: int = 10, leaf_size: int = 40):
        super().__init__()
        if rerank < 1:
            raise ValueError(f"rerank must be >= 1, got {rerank}")
        self.n_components = n_components
        self.rerank = int(rerank)
        self.leaf_size = int(leaf_size)
        self.pca = None

    def params(self):
        return {"n_components": self.n_components, "rerank": self.rerank, "leaf_size": self.leaf_size}

    def _project(self, X):
        return X if self.pca is None else self.pca.transform(X)

    def build(self, X):
        from sklearn.neighbors import KDTree

        self.X = _as_matrix(X, "X")
        if len(self.X) == 0:
            raise ValueError("X must contain at least one vector, got shape (0, d)")
        if self.n_components is not None and self.n_components < self.dim:
            self.pca = PCA(self.n_components).fit(self.X)
        self.tree = KDTree(self._project(self.X), leaf_size=self.leaf_size)
        return self

    def query(self, Q, k: int = 10):
        self._need_built()
        Q = _as_matrix(Q, "Q", self.dim)
        k = _check_k(k)
        kc = min(self.ntotal, k * self.rerank)
        _, cand = self.tree.query(self._project(Q), k=kc)
        return self._exact_rerank_dense(Q, cand, k)

    def _arrays(self):
        out = {"X": self.X}
        out.update(_pca_arrays(self.pca))
        return out

    def _restore(self, arrays):
        from sklearn.neighbors import KDTree

        super()._restore(arrays)
        if "pca_mean" in arrays:
            self.pca = _pca_from_arrays(arrays)
        self.tree = KDTree(self._project(self.X), leaf_size=self.leaf_size)


class LSHIndex(_Index):
    """Locality-sensitive hashing with random hyperplanes (SimHash), multi-probe.

    Each of ``n_tables`` tables draws ``n_bits`` random Gaussian directions;
    a vector's code is the sign pattern of its (mean-centred) projections. Two
    vectors at angle ``theta`` agree on one bit with probability
    ``1 - theta / pi``, so near neighbours tend to share buckets. A query
    looks at its own bucket and, with ``probe_radius=1``, the buckets one bit
    flip away, in every table; the union of those rows is re-ranked with
    exact distances.

    ``n_bits=0`` puts everything in one bucket: exhaustive, exact search.

    Parameters
    ----------
    n_bits : int (0..62)
    n_tables : int
    probe_radius : int, 0 or 1
    seed : int
    """

    kind = "lsh"

    def __init__(self, n_bits: int = 14, n_tables: int = 8, probe_radius: int = 1, seed: int = 0):
        super().__init__()
        if not 0 <= n_bits <= 62:
            raise ValueError(f"n_bits must lie in [0, 62], got {n_bits}")
        if n_tables < 1:
            raise ValueError(f"n_tables must be >= 1, got {n_tables}")
        if probe_radius not in (0, 1):
            raise ValueError(f"probe_radius must be 0 or 1, got {probe_radius}")
        self.n_bits, self.n_tables = int(n_bits), int(n_tables)
        self.probe_radius, self.seed = int(probe_radius), int(seed)

    def params(self):
        return {"n_bits": self.n_bits, "n_tables": self.n_tables,
                "probe_radius": self.probe_radius, "seed": self.seed}

    def _codes(self, X):
        """Integer codes, shape (n_tables, n)."""
        if self.n_bits == 0:
            return np.zeros((self.n_tables, len(X)), dtype=np.int64)
        P = (X - self.mean_) @ self.planes  # (n, tables*bits)
        bits = (P > 0).reshape(len(X), self.n_tables, self.n_bits)
        weights = (1 << np.arange(self.n_bits, dtype=np.int64))
        return (bits.astype(np.int64) * weights).sum(axis=2).T

    def _make_tables(self):
        rng = np.random.default_rng(self.seed)
        self.planes = rng.standard_normal((self.dim, self.n_tables * self.n_bits)).astype(np.float32)
        codes = self._codes(self.X)
        self.order = np.argsort(codes, axis=1, kind="stable")
        self.sorted_codes = np.take_along_axis(codes, self.order, axis=1)

    def build(self, X):
        self.X = _as_matrix(X, "X")
        if len(self.X) == 0:
            raise ValueError("X must contain at least one vector, got shape (0, d)")
        self.mean_ = self.X.mean(axis=0)
        self._make_tables()
        return self

    def _restore(self, arrays):
        super()._restore(arrays)
        self.mean_ = arrays["mean"]
        self._make_tables()

    def _arrays(self):
        return {"X": self.X, "mean": self.mean_}

    def candidates(self, Q) -> list[np.ndarray]:
        """Row numbers in the probed buckets of each query (before re-ranking)."""
        Q = _as_matrix(Q, "Q", self.dim)
        codes = self._codes(Q)  # (tables, m)
        flips = [0] + ([1 << b for b in range(self.n_bits)] if self.probe_radius else [])
        flips = np.array(flips, dtype=np.int64)
        out = []
        for i in range(len(Q)):
            parts = []
            for t in range(self.n_tables):
                probes = codes[t, i] ^ flips
                lo = np.searchsorted(self.sorted_codes[t], probes, side="left")
                hi = np.searchsorted(self.sorted_codes[t], probes, side="right")
                for a, b in zip(lo, hi):
                    if b > a:
                        parts.append(self.order[t, a:b])
            out.append(np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64))
        return out

    def query(self, Q, k: int = 10):
        self._need_built()
        Q = _as_matrix(Q, "Q", self.dim)
        k = _check_k(k)
        return self._exact_rerank(Q, self.candidates(Q), k)


class HNSWIndex(_Index):
    """Hierarchical navigable small-world graph (faiss ``IndexHNSWFlat``).

    Every vector is a node linked to about ``M`` near neighbours on each of a
    few layers; a query walks the graph greedily from the top layer down,
    keeping a candidate list of ``ef_search`` nodes on the bottom layer
    (larger: slower, closer to exact).

    With ``n_components`` the graph is built on a PCA projection (cheaper
    distance computations) and the ``rerank * k`` graph hits are re-ranked
    with exact distances in the full space.

    Parameters
    ----------
    M : int
        Links per node.
    ef_construction, ef_search : int
        Candidate-list sizes while building and while searching.
    n_components : int or None
        PCA dimension of the graph (``None``: the original vectors).
    rerank : int
        Graph hits per requested neighbour when ``n_components`` is set.
    """

    kind = "hnsw"

    def __init__(self, M: int = 32, ef_construction: int = 100, ef_search: int = 64,
                 n_components: int | None = None, rerank: int = 3):
        super().__init__()
        if M < 2 or ef_construction < 1 or ef_search < 1 or rerank < 1:
            raise ValueError(f"need M >= 2, ef_construction, ef_search, rerank >= 1; got M={M}, "
                             f"ef_construction={ef_construction}, ef_search={ef_search}, rerank={rerank}")
        self.M, self.ef_construction, self.ef_search = int(M), int(ef_construction), int(ef_search)
        self.n_components, self.rerank = n_components, int(rerank)
        self.index = None
        self.pca = None

    def params(self):
        return {"M": self.M, "ef_construction": self.ef_construction, "ef_search": self.ef_search,
                "n_components": self.n_components, "rerank": self.rerank}

    def _project(self, X):
        return X if self.pca is None else np.ascontiguousarray(self.pca.transform(X))

    def _make_graph(self):
        import faiss

        Y = self._project(self.X)
        self.index = faiss.IndexHNSWFlat(Y.shape[1], self.M)
        self.index.hnsw.efConstruction = self.ef_construction
        self.index.add(Y)

    def build(self, X):
        self.X = _as_matrix(X, "X")
        if len(self.X) == 0:
            raise ValueError("X must contain at least one vector, got shape (0, d)")
        if self.n_components is not None and self.n_components < self.dim:
            self.pca = PCA(self.n_components).fit(self.X)
        self._make_graph()
        return self

    def query(self, Q, k: int = 10):
        import faiss

        self._need_built()
        Q = _as_matrix(Q, "Q", self.dim)
        k = _check_k(k)
        kc = k if self.pca is None else min(self.ntotal, k * self.rerank)
        params = faiss.SearchParametersHNSW()
        params.efSearch = max(self.ef_search, kc)
        d2, idx = self.index.search(self._project(Q), kc, params=params)
        if self.pca is not None:
            return self._exact_rerank_dense(Q, idx.astype(np.int64), k)
        dist = np.where(idx >= 0, np.sqrt(np.maximum(d2, 0.0)), np.inf).astype(np.float32)
        return dist, idx.astype(np.int64)

    def _arrays(self):
        import faiss

        # the graph in faiss's own serialisation, next to the vectors
        out = {"X": self.X, "faiss": faiss.serialize_index(self.index)}
        out.update(_pca_arrays(self.pca))
        return out

    def _restore(self, arrays):
        import faiss

        super()._restore(arrays)
        if "pca_mean" in arrays:
            self.pca = _pca_from_arrays(arrays)
        self.index = faiss.deserialize_index(np.asarray(arrays["faiss"], dtype=np.uint8))


INDEX_TYPES = {cls.kind: cls for cls in (BruteForceIndex, KDTreeIndex, LSHIndex, HNSWIndex)}


def make_index(kind: str, **params) -> _Index:
    """An (unbuilt) index by name: ``"brute"``, ``"kdtree"``, ``"lsh"`` or ``"hnsw"``."""
    if kind not in INDEX_TYPES:
        raise ValueError(f"kind must be one of {sorted(INDEX_TYPES)}, got {kind!r}")
    return INDEX_TYPES[kind](**params)


def load_index(path) -> _Index:
    """Read an index written by ``index.save(path)``."""
    path = Path(path)
    if not path.exists():
        raise ValueError(f"index file {str(path)!r} does not exist")
    with np.load(path, allow_pickle=False) as f:
        meta = json.loads(str(f["__meta__"]))
        arrays = {key: f[key] for key in f.files if key != "__meta__"}
    cls = INDEX_TYPES.get(meta.get("kind"))
    if cls is None:
        raise ValueError(f"{str(path)!r} holds an unknown index kind {meta.get('kind')!r}")
    return cls._from_arrays(meta["params"], arrays)


def recall_at_k(idx, true_idx) -> float:
    """Fraction of the true k nearest neighbours that an index returned.

    Parameters
    ----------
    idx, true_idx : np.ndarray, shape (m, k)
        Row numbers from an approximate index and from exact search.
    """
    idx, true_idx = np.asarray(idx), np.asarray(true_idx)
    if idx.shape != true_idx.shape or idx.ndim != 2:
        raise ValueError(f"idx and true_idx must be 2-D of the same shape, got {idx.shape} and {true_idx.shape}")
    hits = sum(np.intersect1d(a[a >= 0], b).size for a, b in zip(idx, true_idx))
    return hits / true_idx.size
