"""A learned low-dimensional shingle embedding, trained with a triplet (or InfoNCE) loss.

Notebook 05 (``05_Shingles_and_Indexing.ipynb``) explains this module;
``scripts/train_embedding.py`` trains it on rendered versions of music21
pieces and commits the weights as ``lib/cmr/data/embedding_K<K>.npz``.

The network (numpy only, forward and backward written out by hand)
------------------------------------------------------------------
For a shingle :math:`x \\in \\mathbb{R}^{240}` (rows of
:func:`cmr.shingles.shingles`, unit length)

.. math::

    h = \\mathrm{ReLU}((x - \\mu) W_1 + b_1), \\quad
    r = x + h W_2 + b_2, \\quad c = r / \\lVert r \\rVert, \\quad
    f(x) = (c - m) P .

The small network :math:`g(x) = h W_2 + b_2` is a learned *correction of
the shingle* (in shingle space), the corrected shingle ``c`` is put back on
the unit sphere, and a PCA projection (mean ``m``, components ``P``,
240 x K) maps it to K dimensions. ``W_2`` starts at zero, so the untrained
network *is* PCA. ``P`` starts as the PCA of the training shingles. With
``train_projection=False`` it stays fixed, and because the correction lives
in shingle space, not in PCA coordinates, :meth:`Embedding.with_projection`
can later put the PCA of the collection being indexed in its place
(unsupervised, exactly what the PCA baseline uses). With
``train_projection=True`` (the committed weights) ``P`` is trained jointly
with the correction, i.e. the network outputs its K dimensions directly, and
is kept as it is.

Training triplets are transposed at random and distorted by
:func:`augment_shingles` (per-pitch-class gain, random chroma exponent) so
that rendered shingles look more like those of real recordings.

Triplet loss
------------
For an anchor ``a``, a positive ``p`` (the same musical position in another
version) and a negative ``n`` (a shingle of another piece), with margin
:math:`m`:

.. math::

    \\ell(a, p, n) = \\max\\bigl(0,\\ \\lVert f(a) - f(p) \\rVert^2
                     - \\lVert f(a) - f(n) \\rVert^2 + m\\bigr),

averaged over a batch and minimised with Adam (Kingma & Ba, 2015).

Multi-negative contrastive loss (InfoNCE)
-----------------------------------------
:meth:`Embedding.infonce_loss` (``train(..., loss="infonce", tau=...)``)
scores a batch of B (anchor, positive) pairs at once: every other pair's
positive of another piece is a negative of anchor ``i``, and

.. math::

    \\ell_i = -\\log \\frac{\\exp(-\\lVert f(a_i) - f(p_i) \\rVert^2 / \\tau)}
                       {\\sum_{j} \\exp(-\\lVert f(a_i) - f(p_j) \\rVert^2 / \\tau)}

(van den Oord et al., 2018; Chen et al., SimCLR, 2020), in the
unnormalised K-dim output space with the squared Euclidean distance that
retrieval uses. Up to B - 1 negatives per anchor shape the whole
low-dimensional layout, where a triplet sees one.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).resolve().parent / "data"
PARAM_NAMES = ("W1", "b1", "W2", "b2", "P")


def weights_path(n_components: int) -> Path:
    """Where the committed weights for output dimension ``K`` live."""
    return DATA_DIR / f"embedding_K{int(n_components)}.npz"


class Embedding:
    """Shingle embedding network (see module docstring).

    Parameters
    ----------
    dim_in : int
        Input dimension (240 for 20-frame chroma shingles).
    n_components : int
        Output dimension K.
    n_hidden : int
        Width of the hidden ReLU layer.
    mean : np.ndarray, shape (dim_in,), optional
        Input mean subtracted before the hidden layer (default 0).
    projection : np.ndarray, shape (dim_in, K), optional
        Output projection, e.g. ``PCA.components_[:K].T`` (default: a random
        orthonormal one).
    projection_mean : np.ndarray, shape (dim_in,), optional
        Mean subtracted before the projection (default: ``mean``).
    train_projection : bool
        Whether training updates ``P`` too (default: fixed).
    seed : int
        Initialisation seed.
    dtype : numpy dtype
        float32 for training, float64 for gradient checks.
    """

    def __init__(self, dim_in: int, n_components: int, n_hidden: int = 128, mean=None, projection=None,
                 projection_mean=None, train_projection: bool = False, seed: int = 0, dtype=np.float32):
        if dim_in < 1 or n_components < 1 or n_hidden < 1 or n_components > dim_in:
            raise ValueError(f"need 1 <= n_components <= dim_in and n_hidden >= 1, got dim_in={dim_in}, "
                             f"n_components={n_components}, n_hidden={n_hidden}")
        rng = np.random.default_rng(seed)
        self.dtype = np.dtype(dtype)
        self.mu = np.zeros(dim_in, self.dtype) if mean is None else np.asarray(mean, self.dtype).copy()
        self.proj_mu = self.mu.copy() if projection_mean is None else np.asarray(projection_mean, self.dtype).copy()
        if projection is None:
            projection = np.linalg.qr(rng.standard_normal((dim_in, dim_in)))[0][:, :n_components]
        projection = np.asarray(projection, self.dtype)
        if projection.shape != (dim_in, n_components) or self.mu.shape != (dim_in,) \
                or self.proj_mu.shape != (dim_in,):
            raise ValueError(f"mean and projection_mean must have shape ({dim_in},) and projection "
                             f"({dim_in}, {n_components}); got {self.mu.shape}, {self.proj_mu.shape}, "
                             f"{projection.shape}")
        self.params = {
            "W1": (rng.standard_normal((dim_in, n_hidden)) * np.sqrt(2.0 / dim_in)).astype(self.dtype),
            "b1": np.zeros(n_hidden, self.dtype),
            "W2": np.zeros((n_hidden, dim_in), self.dtype),
            "b2": np.zeros(dim_in, self.dtype),
            "P": projection.copy(),
        }
        self.train_projection = bool(train_projection)
        #: covariance of (corrected) positive-pair differences, shape (dim_in, dim_in), or None;
        #: when set, :meth:`fit_projection` whitens the collection's variance by it
        self.noise_cov = None
        self.history: dict = {}
        self.meta: dict = {}

    @property
    def dim_in(self) -> int:
        return self.params["W1"].shape[0]

    @property
    def n_components(self) -> int:
        return self.params["P"].shape[1]

    def trainable(self) -> dict:
        """The parameters training updates (``P`` only with ``train_projection``)."""
        return {k: v for k, v in self.params.items() if k != "P" or self.train_projection}

    def with_projection(self, mean, components) -> "Embedding":
        """A copy whose output projection is another PCA (``mean`` (d,), ``components`` (K, d))."""
        components = np.asarray(components)
        if components.shape != (self.n_components, self.dim_in):
            raise ValueError(f"components must have shape ({self.n_components}, {self.dim_in}), "
                             f"got {components.shape}")
        out = Embedding.from_arrays({"mu": self.mu, "proj_mu": np.asarray(mean), **self.params,
                                     "meta": np.array(json.dumps(self.meta))})
        out.params["P"] = np.asarray(components.T, out.dtype).copy()
        out.history = self.history
        out.noise_cov = self.noise_cov
        return out

    def with_correction_scale(self, alpha: float) -> "Embedding":
        """A copy whose learned correction ``h W2 + b2`` is multiplied by ``alpha``.

        ``alpha = 0`` removes the correction (the shingle itself is
        projected: PCA), ``alpha = 1`` is this network; values between give
        a conservative "PCA + small learned residual" model. The hidden layer
        and the projection are unchanged; ``meta['correction_scale']``
        records ``alpha`` (multiplied with any earlier scale).
        """
        alpha = float(alpha)
        if not np.isfinite(alpha) or alpha < 0:
            raise ValueError(f"with_correction_scale: alpha must be a finite number >= 0, got {alpha!r}")
        out = self.with_projection(self.proj_mu, self.params["P"].T)
        out.params["W2"] = (self.params["W2"] * alpha).astype(self.dtype)
        out.params["b2"] = (self.params["b2"] * alpha).astype(self.dtype)
        out.meta = dict(self.meta, correction_scale=float(self.meta.get("correction_scale", 1.0)) * alpha)
        return out

    def correction(self, X) -> np.ndarray:
        """The learned correction ``g(x) = h W2 + b2`` itself (before adding ``x``), shape (n, dim_in)."""
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.dim_in:
            raise ValueError(f"X must have shape (n, {self.dim_in}), got {X.shape}")
        if not np.all(np.isfinite(X)):
            raise ValueError("X contains NaN or infinite values")
        p = self.params
        h = np.maximum((X.astype(self.dtype, copy=False) - self.mu) @ p["W1"] + p["b1"], 0)
        return h @ p["W2"] + p["b2"]

    def correct(self, X, block: int = 65536) -> np.ndarray:
        """The corrected, unit-length shingles ``c`` (before the projection), shape (n, dim_in)."""
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.dim_in:
            raise ValueError(f"X must have shape (n, {self.dim_in}), got {X.shape}")
        if not np.all(np.isfinite(X)):
            raise ValueError("X contains NaN or infinite values")
        out = np.empty(X.shape, self.dtype)
        for a in range(0, len(X), block):
            out[a:a + block] = self._forward(X[a:a + block].astype(self.dtype, copy=False))[1][4]
        return out

    def fit_projection(self, X) -> "Embedding":
        """A copy whose projection is fitted on the *corrected* shingles of ``X`` (n, dim_in).

        The unsupervised adaptation the PCA baseline gets (a projection fitted
        on the indexed collection, no labels), applied to what the network
        actually projects: the PCA of the corrected shingles, or, when the
        network carries a learned :attr:`noise_cov`, the noise-whitened PCA
        of :func:`whitened_projection` (the collection's variance divided
        by the variance between versions learned from rendered pairs).
        """
        C = self.correct(X)
        if self.noise_cov is not None:
            mean, comps = whitened_projection(C, self.noise_cov, self.n_components,
                                              self.meta.get("noise_reg", 3.0))
            return self.with_projection(mean, comps)
        from cmr.indexing import PCA

        p = PCA(self.n_components).fit(C)
        return self.with_projection(p.mean_, p.components_)

    # --- forward / backward --------------------------------------------------
    def _forward(self, X):
        p = self.params
        u = X - self.mu
        pre = u @ p["W1"] + p["b1"]
        h = np.maximum(pre, 0)
        r = X + h @ p["W2"] + p["b2"]
        norm = np.sqrt(np.sum(r * r, axis=1, keepdims=True) + 1e-12)
        c = r / norm
        cm = c - self.proj_mu
        return cm @ p["P"], (u, pre, h, norm, c, cm)

    def _backward(self, dZ, cache):
        u, pre, h, norm, c, cm = cache
        p = self.params
        dc = dZ @ p["P"].T
        dr = (dc - c * np.sum(dc * c, axis=1, keepdims=True)) / norm
        dh = (dr @ p["W2"].T) * (pre > 0)
        return {"W1": u.T @ dh, "b1": dh.sum(axis=0), "W2": h.T @ dr, "b2": dr.sum(axis=0), "P": cm.T @ dZ}

    def embed(self, X, block: int = 65536) -> np.ndarray:
        """Embed rows of ``X`` (shape (n, dim_in)) -> shape (n, K)."""
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.dim_in:
            raise ValueError(f"X must have shape (n, {self.dim_in}), got {X.shape}")
        if not np.all(np.isfinite(X)):
            raise ValueError("X contains NaN or infinite values")
        out = np.empty((len(X), self.n_components), self.dtype)
        for a in range(0, len(X), block):
            out[a:a + block] = self._forward(X[a:a + block].astype(self.dtype, copy=False))[0]
        return out

    def triplet_loss(self, A, Pos, Neg, margin: float = 0.2, grad: bool = True):
        """Mean triplet loss of a batch and (optionally) its gradient.

        Parameters
        ----------
        A, Pos, Neg : np.ndarray, shape (B, dim_in)
            Anchors, positives and negatives.
        margin : float
        grad : bool
            Also return the gradient w.r.t. every parameter.

        Returns
        -------
        loss : float
        grads : dict of np.ndarray (same keys and shapes as ``params``), only with ``grad``
        """
        A, Pos, Neg = (np.asarray(M, self.dtype) for M in (A, Pos, Neg))
        if not (A.shape == Pos.shape == Neg.shape) or A.ndim != 2 or A.shape[1] != self.dim_in:
            raise ValueError(f"A, Pos, Neg must share shape (B, {self.dim_in}); got "
                             f"{A.shape}, {Pos.shape}, {Neg.shape}")
        B = len(A)
        E, cache = self._forward(np.concatenate([A, Pos, Neg]))
        ea, ep, en = E[:B], E[B:2 * B], E[2 * B:]
        dap = np.sum((ea - ep) ** 2, axis=1)
        dan = np.sum((ea - en) ** 2, axis=1)
        viol = dap - dan + margin
        active = (viol > 0).astype(self.dtype)[:, None]
        loss = float(np.sum(np.maximum(viol, 0)) / B)
        if not grad:
            return loss
        dea = 2.0 * (en - ep) * active / B
        dep = -2.0 * (ea - ep) * active / B
        den = 2.0 * (ea - en) * active / B
        return loss, self._backward(np.concatenate([dea, dep, den]), cache)

    def infonce_loss(self, A, Pos, groups=None, tau: float = 0.1, grad: bool = True):
        """Mean multi-negative contrastive (InfoNCE / NT-Xent) loss of a batch, and its gradient.

        For ``B`` pairs (anchor ``a_i``, positive ``p_i``) the other pairs'
        positives are the negatives of anchor ``i`` (in-batch negatives):

        .. math::

            \\ell_i = -\\log \\frac{\\exp(-d_{ii} / \\tau)}
                               {\\sum_{j \\in J_i} \\exp(-d_{ij} / \\tau)}, \\quad
            d_{ij} = \\lVert f(a_i) - f(p_j) \\rVert^2 ,

        with ``J_i`` = ``i`` itself and every ``j`` whose group (piece)
        differs from ``i``'s: pairs of the same piece are never negatives of
        each other (they may even be the same passage). ``d`` is the
        squared Euclidean distance of the K-dim outputs, *not normalised*
        (the metric of retrieval; the scale is set by the projection, so
        ``tau`` is in squared output units). Loss = mean of ``l_i``.

        Gradient: with ``q_ij`` the softmax of ``-d_ij / tau`` over ``J_i``,
        ``dL/dd_ij = (delta_ij - q_ij) / (tau B)``, and
        ``dd_ij/df(a_i) = 2 (f(a_i) - f(p_j)) = -dd_ij/df(p_j)``.

        Parameters
        ----------
        A, Pos : np.ndarray, shape (B, dim_in)
            Anchors and positives (row ``i`` of both: the same musical position).
        groups : np.ndarray of int, shape (B,), optional
            Piece of every pair; ``None`` = all pairs of different pieces.
        tau : float
            Temperature (> 0).
        grad : bool
            Also return the gradient w.r.t. every parameter.

        Returns
        -------
        loss : float
        grads : dict of np.ndarray (same keys and shapes as ``params``), only with ``grad``
        """
        A, Pos = (np.asarray(M, self.dtype) for M in (A, Pos))
        if A.shape != Pos.shape or A.ndim != 2 or A.shape[1] != self.dim_in or len(A) < 1:
            raise ValueError(f"A and Pos must share shape (B >= 1, {self.dim_in}); got {A.shape}, {Pos.shape}")
        tau = float(tau)
        if not np.isfinite(tau) or tau <= 0:
            raise ValueError(f"infonce_loss: tau must be a finite number > 0, got {tau!r}")
        B = len(A)
        if groups is None:
            allowed = np.ones((B, B), bool)
        else:
            groups = np.asarray(groups)
            if groups.shape != (B,):
                raise ValueError(f"groups must have shape ({B},), got {groups.shape}")
            allowed = groups[:, None] != groups[None, :]
        np.fill_diagonal(allowed, True)
        E, cache = self._forward(np.concatenate([A, Pos]))
        ea, ep = E[:B], E[B:]
        diff = ea[:, None, :] - ep[None, :, :]       # (B, B, K); K is small
        D = np.sum(diff * diff, axis=2)
        S = np.where(allowed, -D / tau, -np.inf)
        smax = S.max(axis=1, keepdims=True)
        Ex = np.exp(S - smax)
        Z = Ex.sum(axis=1, keepdims=True)
        loss = float(np.mean(np.log(Z[:, 0]) + smax[:, 0] + np.diag(D) / tau))
        if not grad:
            return loss
        G = Ex / Z                                   # softmax over the allowed j
        G[np.diag_indices(B)] -= 1.0
        G *= -1.0 / (tau * B)                       # dL/dD
        dea = 2.0 * (G.sum(axis=1)[:, None] * ea - G @ ep)
        dep = 2.0 * (G.sum(axis=0)[:, None] * ep - G.T @ ea)
        return loss, self._backward(np.concatenate([dea, dep]).astype(self.dtype, copy=False), cache)

    # --- persistence -----------------------------------------------------------
    def save(self, path) -> Path:
        """Write weights, training history and metadata to ``path`` (.npz)."""
        path = Path(path)
        hist = {f"history_{k}": np.asarray(v) for k, v in self.history.items()}
        meta = dict(self.meta, train_projection=self.train_projection)
        extra = {} if self.noise_cov is None else {"noise_cov": np.asarray(self.noise_cov, np.float32)}
        np.savez_compressed(path, mu=self.mu, proj_mu=self.proj_mu, **self.params, **hist, **extra,
                            meta=np.array(json.dumps(meta)))
        return path

    @classmethod
    def from_arrays(cls, arrays) -> "Embedding":
        W1, P = arrays["W1"], arrays["P"]
        meta = json.loads(str(arrays["meta"])) if "meta" in arrays else {}
        net = cls(W1.shape[0], P.shape[1], W1.shape[1], mean=arrays["mu"], projection=P,
                  projection_mean=arrays.get("proj_mu", arrays["mu"]),
                  train_projection=meta.get("train_projection", False), dtype=P.dtype)
        for name in PARAM_NAMES:
            net.params[name] = np.asarray(arrays[name], net.dtype).copy()
        net.history = {k[len("history_"):]: np.asarray(arrays[k]) for k in arrays if k.startswith("history_")}
        net.meta = meta
        if "noise_cov" in arrays:
            net.noise_cov = np.asarray(arrays["noise_cov"], np.float64)
        return net


def average_corrections(nets, X=None) -> Embedding:
    """A seed ensemble as ONE network: the mean of the members' learned corrections.

    For members :math:`g_i(x) = \mathrm{ReLU}((x - \mu_i) W_1^{(i)} + b_1^{(i)}) W_2^{(i)} + b_2^{(i)}`
    (e.g. the same training setting with different seeds), the averaged
    correction :math:`\bar g = \frac1S \sum_i g_i` is exactly an
    :class:`Embedding` whose hidden layer is all members' hidden units side
    by side: ``W1`` = the members' ``W1`` concatenated column-wise, ``b1``
    concatenated (each shifted by ``(mu - mu_i) W1_i`` so that one common
    input mean ``mu`` = the members' mean serves all of them), ``W2`` = the
    members' ``W2`` stacked row-wise, each divided by ``S``, ``b2`` = the
    mean of the ``b2``. Averaging independently trained networks removes
    part of the seed-to-seed noise of training without any new code at
    search time (the result is embedded, scaled, refitted and saved like
    any network).

    The projection: the members' projections generally differ (refitted
    during training, or trained jointly), and the mean of projections is
    not the projection of anything. So with ``X`` given, the result's
    projection is the PCA of the *averaged* network's corrected shingles of
    ``X`` (for members trained with ``refit_every`` that is what their own
    training did; models used with ``search_projection='refit'`` replace it
    anyway by :meth:`Embedding.fit_projection` on the collection). Without
    ``X`` all members must share one projection (same ``P`` and projection
    mean, e.g. a fixed training PCA), which is then kept. The result never
    trains its projection (``train_projection=False``) and carries no noise
    covariance: for the noise-whitened refit learn it again for the averaged
    network (:func:`learn_noise_covariance`).

    Parameters
    ----------
    nets : sequence of Embedding
        The members (same ``dim_in`` and ``n_components``; hidden widths may differ).
    X : np.ndarray, shape (n, dim_in), optional
        Shingles on which the projection is fitted (e.g. the training shingles).

    Returns
    -------
    Embedding with ``n_hidden = sum of the members' widths``; ``meta['ensemble']``
    lists the members' sizes, seeds and (where present) training data; the
    history is the members' mean curve when they share the same steps.
    """
    nets = list(nets)
    if not nets:
        raise ValueError("average_corrections: nets is empty (need at least one Embedding)")
    for i, n in enumerate(nets):
        if not isinstance(n, Embedding):
            raise TypeError(f"average_corrections: nets[{i}] is a {type(n).__name__}, expected an Embedding")
    d, K = nets[0].dim_in, nets[0].n_components
    for i, n in enumerate(nets):
        if n.dim_in != d or n.n_components != K:
            raise ValueError(f"average_corrections: nets[{i}] has dim_in={n.dim_in}, n_components="
                             f"{n.n_components}; nets[0] has dim_in={d}, n_components={K} (all must match)")
    S = len(nets)
    dtype = np.result_type(*(n.dtype for n in nets))
    mu = np.mean([np.asarray(n.mu, np.float64) for n in nets], axis=0)
    W1 = np.concatenate([n.params["W1"].astype(np.float64) for n in nets], axis=1)
    b1 = np.concatenate([n.params["b1"] + (mu - n.mu) @ n.params["W1"].astype(np.float64) for n in nets])
    W2 = np.concatenate([n.params["W2"].astype(np.float64) / S for n in nets], axis=0)
    b2 = np.mean([n.params["b2"].astype(np.float64) for n in nets], axis=0)
    shared = all(np.array_equal(n.params["P"], nets[0].params["P"]) and np.array_equal(n.proj_mu, nets[0].proj_mu)
                 for n in nets[1:])
    if X is None and not shared:
        raise ValueError("average_corrections: the members' projections differ; pass X (e.g. the training "
                         "shingles) to fit the PCA of the averaged network's corrected shingles")
    out = Embedding(d, K, n_hidden=W1.shape[1], mean=mu, projection=nets[0].params["P"],
                    projection_mean=nets[0].proj_mu, train_projection=False, dtype=dtype)
    out.params.update(W1=W1.astype(dtype), b1=b1.astype(dtype), W2=W2.astype(dtype), b2=b2.astype(dtype))
    hists = [n.history for n in nets]
    if hists[0] and all(h.keys() == hists[0].keys() and np.array_equal(h.get("step"), hists[0].get("step"))
                        for h in hists):
        out.history = {k: (np.asarray(hists[0][k]) if k == "step"
                           else np.mean([np.asarray(h[k], np.float64) for h in hists], axis=0)) for k in hists[0]}
    skip = {"seed", "validation", "proxy", "selected", "noise_reg", "search_projection", "correction_scale"}
    out.meta = {k: v for k, v in nets[0].meta.items() if k not in skip}
    out.meta.update(n_hidden=int(W1.shape[1]), train_projection=False, ensemble={
        "size": S, "seeds": [n.meta.get("seed") for n in nets],
        "hidden_per_member": [int(n.params["W1"].shape[1]) for n in nets],
        "training_data": sorted({str(n.meta.get("training_data", "?")) for n in nets}),
        "correction_scales": [float(n.meta.get("correction_scale", 1.0)) for n in nets]})
    if X is not None:
        from cmr.indexing import PCA

        p = PCA(K).fit(out.correct(X))
        out.proj_mu = np.asarray(p.mean_, dtype)
        out.params["P"] = np.ascontiguousarray(p.components_.T, dtype=dtype)
        out.meta["projection"] = "PCA of the averaged network's corrected shingles (average_corrections)"
    return out


def load(path) -> Embedding:
    """Read an :class:`Embedding` written by :meth:`Embedding.save` (or ``K`` -> committed weights)."""
    if isinstance(path, (int, np.integer)):
        path = weights_path(path)
    path = Path(path)
    if not path.exists():
        raise ValueError(f"embedding weights {str(path)!r} do not exist "
                         f"(train them with scripts/train_embedding.py)")
    with np.load(path, allow_pickle=False) as f:
        return Embedding.from_arrays({k: f[k] for k in f.files})


class Adam:
    """Adam optimiser (Kingma & Ba, ICLR 2015) for a dict of numpy arrays."""

    def __init__(self, params: dict, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8):
        self.params, self.lr, self.b1, self.b2, self.eps = params, lr, beta1, beta2, eps
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}
        self.t = 0

    def step(self, grads: dict, lr: float | None = None) -> None:
        self.t += 1
        lr = self.lr if lr is None else lr
        c1, c2 = 1 - self.b1 ** self.t, 1 - self.b2 ** self.t
        for k, g in grads.items():
            self.m[k] *= self.b1
            self.m[k] += (1 - self.b1) * g
            self.v[k] *= self.b2
            self.v[k] += (1 - self.b2) * g * g
            self.params[k] -= lr * (self.m[k] / c1) / (np.sqrt(self.v[k] / c2) + self.eps)


def numerical_gradient(net: Embedding, A, Pos, Neg, name: str, entries, margin: float = 0.2,
                       eps: float = 1e-6) -> np.ndarray:
    """Central finite differences of the triplet loss for selected entries of one parameter.

    Used by the tests (and the notebook) to check :meth:`Embedding.triplet_loss`.
    ``entries`` is a list of index tuples into ``net.params[name]``.
    """
    return numerical_gradient_of(net, lambda: net.triplet_loss(A, Pos, Neg, margin, grad=False), name, entries, eps)


def numerical_gradient_of(net: Embedding, loss_fn, name: str, entries, eps: float = 1e-6) -> np.ndarray:
    """Central finite differences of any scalar ``loss_fn()`` of ``net`` for entries of one parameter.

    E.g. ``loss_fn = lambda: net.infonce_loss(A, Pos, groups, tau, grad=False)``
    to check :meth:`Embedding.infonce_loss` (tests).
    """
    out = []
    theta = net.params[name]
    for ix in entries:
        old = theta[ix]
        theta[ix] = old + eps
        lp = loss_fn()
        theta[ix] = old - eps
        lm = loss_fn()
        theta[ix] = old
        out.append((lp - lm) / (2 * eps))
    return np.array(out)


def _shift_rows(X, k):
    """Cyclic chroma shift of flattened shingles (n, 12 L), row i by k[i] semitones."""
    n, d = X.shape
    V = X.reshape(n, d // 12, 12)
    idx = (np.arange(12)[None, :] - np.asarray(k)[:, None]) % 12
    return np.take_along_axis(V, idx[:, None, :], axis=2).reshape(n, d)


def augment_shingles(X, rng, noise: float = 0.0, gain: float = 0.0, smooth: float = 0.0,
                     sharpen: float = 0.0, frame_length: int = 12) -> np.ndarray:
    """Random "recording-like" distortions of flattened CENS shingles.

    Rendered audio is cleaner than a real recording: its chroma has less
    energy outside the notes, its instruments weight the pitch classes
    differently, and its CENS smoothing is the only blur. Each row of ``X``
    (a shingle of L frames x 12 chroma, frame after frame) is distorted by

    * ``gain``: a random gain per pitch class, ``exp(gain * N(0, 1))``,
      the same for all L frames (timbre / recording balance);
    * ``noise``: additive non-negative noise ``noise * |N(0, 1)| / sqrt(12)``
      per entry (broadband energy, other voices, room);
    * ``smooth``: each frame mixed with its two neighbours with weight
      ``U(0, smooth)`` (more temporal blur);
    * ``sharpen``: every entry raised to a power ``U(1, 1 + sharpen)``
      (one exponent per shingle): weak pitch classes get weaker, so the
      chroma becomes sparser, as CENS of real (e.g. solo piano) recordings
      is compared with rendered four-voice textures;

    then every 12-dim frame is put back on the unit sphere (as CENS frames
    are) and the shingle is normalised to unit length.

    Parameters
    ----------
    X : np.ndarray, shape (n, 12 L)
    rng : np.random.Generator
    noise, gain, smooth, sharpen : float
        Strengths (0 = off).

    Returns
    -------
    np.ndarray, shape (n, 12 L), same dtype as ``X``
    """
    X = np.asarray(X)
    n, d = X.shape
    if d % frame_length:
        raise ValueError(f"X must have a multiple of {frame_length} columns, got {d}")
    V = X.reshape(n, d // frame_length, frame_length).astype(np.float32, copy=True)
    if sharpen > 0:
        V = V ** (1 + sharpen * rng.random((n, 1, 1))).astype(np.float32)
    if gain > 0:
        V *= np.exp(gain * rng.standard_normal((n, 1, frame_length))).astype(np.float32)
    if smooth > 0:
        a = (rng.random((n, 1, 1)) * smooth).astype(np.float32)
        nb = np.concatenate([V[:, :1], V[:, :-1]], axis=1) + np.concatenate([V[:, 1:], V[:, -1:]], axis=1)
        V = (1 - a) * V + 0.5 * a * nb
    if noise > 0:
        V += (noise / np.sqrt(frame_length)) * np.abs(rng.standard_normal(V.shape)).astype(np.float32)
    V /= np.sqrt(np.sum(V * V, axis=2, keepdims=True)) + 1e-6
    V = V.reshape(n, d)
    V /= np.sqrt(np.sum(V * V, axis=1, keepdims=True)) + 1e-12
    return V.astype(X.dtype, copy=False)


def pair_noise_covariance(A, B, shift_average: bool = True, frame_length: int = 12) -> np.ndarray:
    """Covariance of the differences between positive pairs (same passage, two versions).

    Parameters
    ----------
    A, B : np.ndarray, shape (m, d)
        Shingles of the same musical positions in two versions (rows paired).
    shift_average : bool
        Average the covariance over the 12 chroma shifts (transpositions), so
        that no key is preferred (the training pieces' keys are arbitrary).

    Returns
    -------
    np.ndarray, shape (d, d), float64
    """
    A, B = np.asarray(A, np.float64), np.asarray(B, np.float64)
    if A.shape != B.shape or A.ndim != 2 or A.shape[1] % frame_length:
        raise ValueError(f"A and B must share a shape (m, {frame_length} L), got {A.shape} and {B.shape}")
    D = A - B
    S = D.T @ D / max(len(D), 1)
    if shift_average:
        L = S.shape[0] // frame_length
        T = S.reshape(L, frame_length, L, frame_length)
        S = np.mean([np.roll(T, k, axis=(1, 3)) for k in range(frame_length)], axis=0).reshape(S.shape)
    return S


def learn_noise_covariance(net: "Embedding", X, pairs, reg: float = 3.0, n_pairs: int = 20000,
                           seed: int = 0) -> "Embedding":
    """Store the version-noise covariance of ``net``'s corrected shingles in ``net`` (in place).

    ``n_pairs`` random (anchor, positive) rows of ``pairs`` (rendered
    training pairs) are corrected by the network and
    :func:`pair_noise_covariance` of them (transposition-averaged) is kept
    in ``net.noise_cov`` with ridge ``reg`` in ``net.meta["noise_reg"]``;
    :meth:`Embedding.fit_projection` then fits the noise-whitened PCA.
    """
    X, pairs = np.asarray(X), np.asarray(pairs)
    rng = np.random.default_rng(seed)
    pr = pairs[rng.choice(len(pairs), min(n_pairs, len(pairs)), replace=False)]
    net.noise_cov = pair_noise_covariance(net.correct(X[pr[:, 0]]), net.correct(X[pr[:, 1]]))
    net.meta["noise_reg"] = float(reg)
    return net


def whitened_projection(C, noise_cov, n_components: int, reg: float = 3.0):
    """The K directions with the largest collection variance *per unit of version noise*.

    Solves the generalised eigenproblem :math:`\Sigma_C v = \lambda (N + r I) v`
    with :math:`\Sigma_C` the covariance of the collection ``C`` (as PCA
    uses; no labels), ``N`` the covariance of positive-pair differences
    (:func:`pair_noise_covariance`, learned on rendered versions) and
    ``r = reg * trace(N) / d`` a ridge. With ``N = 0`` this is PCA (up to
    scale). The eigenvectors are scaled so that ``v^T (N + r I) v = 1``:
    distances after the projection count noise-normalised units.

    Returns
    -------
    mean : np.ndarray, shape (d,)
    components : np.ndarray, shape (K, d)
    """
    import scipy.linalg

    C = np.asarray(C, np.float64)
    N = np.asarray(noise_cov, np.float64)
    d = C.shape[1]
    if N.shape != (d, d):
        raise ValueError(f"noise_cov must have shape ({d}, {d}), got {N.shape}")
    if not 1 <= n_components <= d:
        raise ValueError(f"n_components must be in 1..{d}, got {n_components}")
    mean = C.mean(axis=0)
    Cc = C - mean
    S = Cc.T @ Cc / max(len(C) - 1, 1)
    A = N + (reg * np.trace(N) / d + 1e-12) * np.eye(d)
    _, V = scipy.linalg.eigh(S, A)
    comps = V[:, ::-1][:, :n_components].T
    # a deterministic sign (largest entry positive), as for PCA components
    comps *= np.sign(comps[np.arange(n_components), np.argmax(np.abs(comps), axis=1)])[:, None]
    return mean, comps


class ShingleFrames:
    """The frame sequences behind a set of consecutive shingles (for tempo augmentation).

    The training shingles of one rendered version start at consecutive
    frames (hop 1), so the version's frame sequence can be read back from
    them: the first frame of every shingle plus the remaining frames of the
    last one. :meth:`resample` then cuts shingles *at a different tempo*
    around the centre of given rows: frame ``j`` of the new shingle is the
    sequence linearly interpolated at time ``centre + (j - (L-1)/2) * s``
    (``s`` > 1: the music played faster; clipped at the version's ends).

    Parameters
    ----------
    X : np.ndarray, shape (n, 12 L)
        Shingles (unit length, frames one after the other).
    doc : np.ndarray of int, shape (n,)
        Sequence (version) number of every row.
    start : np.ndarray of int, shape (n,)
        Start frame of every row inside its sequence; within a sequence the
        starts must be 0, 1, 2, ... (hop 1).
    """

    def __init__(self, X, doc, start, frame_length: int = 12):
        X = np.asarray(X)
        doc, start = np.asarray(doc), np.asarray(start)
        n, d = X.shape
        if d % frame_length or len(doc) != n or len(start) != n:
            raise ValueError(f"X must be (n, 12 L) and doc/start length n; got X {X.shape}, "
                             f"doc {doc.shape}, start {start.shape}")
        self.L, self.c = d // frame_length, frame_length
        order = np.lexsort((start, doc))
        ds, ss = doc[order], start[order]
        bounds = np.flatnonzero(np.diff(ds)) + 1
        first = np.concatenate([[0], bounds])
        last = np.concatenate([bounds, [n]])
        frames, self.row_frame = [], np.empty(n, np.int64)
        self.lo, self.hi = np.empty(n, np.int64), np.empty(n, np.int64)
        offset = 0
        for a, b in zip(first, last):
            rows = order[a:b]
            if not np.array_equal(ss[a:b], np.arange(b - a)):
                raise ValueError(f"start frames of sequence {ds[a]} are not 0, 1, 2, ...")
            V = X[rows].reshape(b - a, self.L, self.c)
            F = np.concatenate([V[:, 0], V[-1, 1:]])
            frames.append(F)
            self.row_frame[rows] = offset + np.arange(b - a)
            self.lo[rows], self.hi[rows] = offset, offset + len(F) - 1
            offset += len(F)
        self.F = np.concatenate(frames).astype(np.float32)

    def resample(self, rows, scale) -> np.ndarray:
        """Shingles of ``rows`` (m,) re-cut at tempo factors ``scale`` (m,), shape (m, 12 L)."""
        rows, scale = np.asarray(rows), np.asarray(scale, np.float64)
        half = (self.L - 1) / 2.0
        t = self.row_frame[rows][:, None] + half + (np.arange(self.L)[None, :] - half) * scale[:, None]
        t = np.clip(t, self.lo[rows][:, None], self.hi[rows][:, None])
        i0 = np.floor(t).astype(np.int64)
        i1 = np.minimum(i0 + 1, self.hi[rows][:, None])
        w = (t - i0)[..., None].astype(np.float32)
        S = ((1 - w) * self.F[i0] + w * self.F[i1]).reshape(len(rows), -1)
        return S / (np.sqrt(np.sum(S * S, axis=1, keepdims=True)) + 1e-12)


def train(net: Embedding, X, pairs, piece, *, steps: int = 3000, batch: int = 256,
          margin: float = 0.2, lr: float = 1e-3, n_candidates: int = 8, val_fraction: float = 0.1,
          eval_every: int = 100, shift_augment: bool = False, augment: dict | None = None,
          tempo: float = 0.0, frames: ShingleFrames | None = None, refit_every: int = 0,
          refit_rows: int = 20000, whiten: float = 0.0, loss: str = "triplet", tau: float = 0.1,
          seed: int = 0, progress: bool = True) -> dict:
    """Train with triplets (anchor, same position in another version, another piece) or InfoNCE.

    Parameters
    ----------
    net : Embedding
    X : np.ndarray, shape (n, dim_in)
        Training shingles.
    pairs : np.ndarray of int, shape (m, 2)
        (anchor row, positive row): two shingles at the same musical
        position in two versions of the same piece.
    piece : np.ndarray of int, shape (n,)
        Piece number of every shingle (negatives come from other pieces).
    steps, batch, margin, lr : training schedule (lr decays by cosine to 5 %).
    n_candidates : int
        Negatives drawn per anchor; the one closest to the anchor under the
        current network is used (hard-negative mining within a small pool).
    val_fraction : float
        Fraction of *pieces* held out for the validation curve.
    eval_every : int
        Steps between validation measurements.
    shift_augment : bool
        Transpose every triplet by a random number of semitones (cyclic
        chroma shift of anchor and positive together, of the negative
        independently), so that training sees every key equally often.
    augment : dict, optional
        Keyword arguments of :func:`augment_shingles` (``noise``, ``gain``,
        ``smooth``): every anchor, positive and negative is distorted
        independently before the loss (default: no distortion).
    tempo : float
        Tempo augmentation (needs ``frames``): anchor, positive and negative
        are re-cut from their frame sequences at independent random tempo
        factors ``exp(U(-tempo, tempo))`` (e.g. ``log(1.4)``), so that the
        network sees the same passage at tempi that differ by more than
        the rendered versions do.
    frames : ShingleFrames, optional
        Frame sequences of ``X`` (required when ``tempo > 0``).
    refit_every : int
        Train for the way the network is used with a refitted projection
        (:meth:`Embedding.fit_projection`): every ``refit_every`` steps the
        (fixed) projection is replaced by the PCA of the corrected shingles
        of ``refit_rows`` random training rows (transposed and distorted as
        the training inputs are). The loss depends on the projection only
        through distances, so the jump from one PCA to the next costs
        nothing but the change of subspace. 0 = off; needs
        ``train_projection=False``.
    whiten : float
        With ``refit_every``: > 0 makes every refit the noise-whitened PCA
        (:func:`whitened_projection`, ridge ``whiten``) with the noise
        covariance of ``refit_rows`` corrected (undistorted) training
        pairs, averaged over transpositions; the last one
        is kept in ``net.noise_cov`` (and ``net.meta["noise_reg"]``) so that
        :meth:`Embedding.fit_projection` does the same on a collection. The
        projection is refitted once more after the last step.
    loss : {"triplet", "infonce"}
        ``"triplet"``: :meth:`Embedding.triplet_loss` with one mined
        negative per anchor (``margin``, ``n_candidates``). ``"infonce"``:
        :meth:`Embedding.infonce_loss` of the batch of (anchor, positive)
        pairs, every other pair's positive of another piece a negative
        (``batch - 1`` negatives at most; ``margin`` and ``n_candidates``
        unused). Transposition, distortion and tempo augmentation apply to
        anchors and positives as for triplets.
    tau : float
        InfoNCE temperature (squared output-distance units).

    Returns
    -------
    history : dict with arrays ``step``, ``train_loss``, ``val_loss`` (the
        training loss on validation pairs / triplets), ``val_accuracy``
        (fraction of validation triplets with d(a, p) < d(a, n), for both
        losses); also stored in ``net.history``.
    """
    from tqdm.auto import tqdm

    X = np.asarray(X, net.dtype)
    pairs, piece = np.asarray(pairs), np.asarray(piece)
    if len(X) != len(piece):
        raise ValueError(f"X and piece need the same length, got {len(X)} and {len(piece)}")
    if pairs.ndim != 2 or pairs.shape[1] != 2 or (pairs.size and (pairs.min() < 0 or pairs.max() >= len(X))):
        raise ValueError(f"pairs must have shape (m, 2) with rows of X, got shape {pairs.shape}")
    if tempo > 0 and frames is None:
        raise ValueError("tempo augmentation needs frames=ShingleFrames(X, doc, start)")
    if refit_every and net.train_projection:
        raise ValueError("refit_every needs a fixed projection (train_projection=False)")
    if loss not in ("triplet", "infonce"):
        raise ValueError(f"loss must be 'triplet' or 'infonce', got {loss!r}")
    if loss == "infonce" and not (np.isfinite(tau) and tau > 0):
        raise ValueError(f"tau must be a finite number > 0, got {tau!r}")
    rng = np.random.default_rng(seed)
    pieces = np.unique(piece)
    # at least 2 validation pieces (validation negatives come from another held-out piece)
    n_val = max(2, int(round(val_fraction * len(pieces)))) if len(pieces) > 3 and val_fraction > 0 else 0
    val_pieces = rng.choice(pieces, n_val, replace=False) if n_val else np.array([], dtype=piece.dtype)
    is_val = np.isin(piece, val_pieces)
    train_rows = np.flatnonzero(~is_val)
    train_pairs = pairs[~is_val[pairs[:, 0]]]
    if len(train_pairs) == 0:
        raise ValueError("no (anchor, positive) pair among the training pieces")

    def sample_negatives(rows_pool, a_rows, k):
        cand = rng.choice(rows_pool, (len(a_rows), k))
        same = piece[cand] == piece[a_rows][:, None]
        while same.any():
            cand[same] = rng.choice(rows_pool, int(same.sum()))
            same = piece[cand] == piece[a_rows][:, None]
        return cand

    val_pairs = pairs[is_val[pairs[:, 0]]]
    val_rows = np.zeros(0, dtype=int)
    if len(val_pairs):
        val_pairs = val_pairs[rng.choice(len(val_pairs), min(2000, len(val_pairs)), replace=False)]
        val_rows, val_pos = val_pairs[:, 0], val_pairs[:, 1]
        val_neg = sample_negatives(np.flatnonzero(is_val), val_rows, 1)[:, 0]

    opt = Adam(net.trainable(), lr=lr)
    hist = {"step": [], "train_loss": [], "val_loss": [], "val_accuracy": []}
    running = []
    bar = tqdm(range(1, steps + 1), disable=not progress, desc=f"K={net.n_components}")
    def measure(step):
        hist["step"].append(step)
        hist["train_loss"].append(float(np.mean(running)) if running else float("nan"))
        running.clear()
        if val_rows.size:
            if loss == "infonce":
                chunks = [slice(i, i + batch) for i in range(0, len(val_rows), batch)]
                hist["val_loss"].append(float(np.mean([net.infonce_loss(
                    X[val_rows[c]], X[val_pos[c]], piece[val_rows[c]], tau, grad=False) for c in chunks])))
            else:
                hist["val_loss"].append(net.triplet_loss(X[val_rows], X[val_pos], X[val_neg], margin, grad=False))
            ea, ep, en = (net.embed(X[r]) for r in (val_rows, val_pos, val_neg))
            acc = float(np.mean(np.sum((ea - ep) ** 2, 1) < np.sum((ea - en) ** 2, 1)))
            hist["val_accuracy"].append(acc)
            bar.set_postfix(loss=f"{hist['train_loss'][-1]:.4f}", val_acc=f"{acc:.3f}")

    def refit():
        from cmr.indexing import PCA

        rows = rng.choice(train_rows, min(refit_rows, len(train_rows)), replace=False)
        S = X[rows]
        if shift_augment:
            S = _shift_rows(S, rng.integers(0, 12, len(S)))
        if augment:
            S = augment_shingles(S, rng, **augment)
        if whiten > 0:
            pr = train_pairs[rng.choice(len(train_pairs), min(refit_rows, len(train_pairs)), replace=False)]
            A, B = X[pr[:, 0]], X[pr[:, 1]]     # undistorted: the rendered versions' own differences
            net.noise_cov = pair_noise_covariance(net.correct(A), net.correct(B), shift_average=True)
            net.meta["noise_reg"] = float(whiten)
            mean, comps = whitened_projection(net.correct(S), net.noise_cov, net.n_components, whiten)
        else:
            p = PCA(net.n_components).fit(net.correct(S))
            mean, comps = p.mean_, p.components_
        net.proj_mu = np.asarray(mean, net.dtype)
        net.params["P"] = np.ascontiguousarray(comps.T, dtype=net.dtype)

    if refit_every:
        refit()
    measure(0)  # the untrained network (step 0, no training loss yet)
    for step in bar:
        if refit_every and step % refit_every == 0:
            refit()
        ab = train_pairs[rng.integers(0, len(train_pairs), batch)]
        a, pos = ab[:, 0], ab[:, 1]
        cur_lr = lr * (0.05 + 0.95 * 0.5 * (1 + np.cos(np.pi * step / steps)))
        rows = [a, pos]
        if loss == "triplet":  # one mined negative per anchor (InfoNCE: the other pairs, no mining)
            cand = sample_negatives(train_rows, a, n_candidates)
            if n_candidates > 1:
                ea = net.embed(X[a])
                ec = net.embed(X[cand.ravel()]).reshape(batch, n_candidates, -1)
                hardest = np.argmin(np.sum((ec - ea[:, None, :]) ** 2, axis=2), axis=1)
                rows.append(cand[np.arange(batch), hardest])
            else:
                rows.append(cand[:, 0])
        if tempo > 0:
            mats = [frames.resample(r, np.exp(rng.uniform(-tempo, tempo, batch))).astype(X.dtype) for r in rows]
        else:
            mats = [X[r] for r in rows]
        if shift_augment:  # anchor and positive share a shift; a negative gets its own
            ka = rng.integers(0, 12, batch)
            ks = [ka, ka] + [rng.integers(0, 12, batch) for _ in rows[2:]]
            mats = [_shift_rows(M, k) for M, k in zip(mats, ks)]
        if augment:
            mats = [augment_shingles(M, rng, **augment) for M in mats]
        if loss == "infonce":
            value, grads = net.infonce_loss(mats[0], mats[1], piece[a], tau)
        else:
            value, grads = net.triplet_loss(*mats, margin)
        opt.step({k: grads[k] for k in opt.params}, lr=cur_lr)
        running.append(value)
        if step % eval_every == 0 or step == steps:
            measure(step)
    if refit_every and steps:
        refit()
    net.history = {k: np.asarray(v, dtype=np.float64) for k, v in hist.items()}
    return net.history


def load_training_shingles(path=None) -> np.ndarray:
    """The rendered training shingles written by scripts/build_shingle_training_data.py."""
    from cmr.paths import cache_dir

    path = Path(path) if path else cache_dir("shingles") / "training_shingles.npz"
    if not path.exists():
        raise ValueError(f"training shingles {str(path)!r} not found; run scripts/build_shingle_training_data.py")
    with np.load(path) as f:
        return f["X"]
