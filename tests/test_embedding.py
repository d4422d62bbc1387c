"""Learned embedding: gradients against finite differences, Adam, training, save/load."""
from __future__ import annotations

import numpy as np
import pytest

from cmr import embedding as em
from cmr.indexing import PCA


def _net(seed=0, d=12, k=4, h=9):
    net = em.Embedding(d, k, n_hidden=h, seed=seed, dtype=np.float64)
    rng = np.random.default_rng(seed + 1)
    net.params["W2"] = rng.standard_normal(net.params["W2"].shape) * 0.3   # non-zero so every path matters
    net.params["b1"] = rng.standard_normal(net.params["b1"].shape) * 0.1
    net.mu = rng.random(d) * 0.1
    net.proj_mu = rng.random(d) * 0.1
    return net


@pytest.mark.parametrize("name", em.PARAM_NAMES)
def test_triplet_gradient_matches_finite_differences(name):
    net = _net()
    rng = np.random.default_rng(7)
    A, Pos, Neg = (rng.standard_normal((6, 12)) for _ in range(3))
    Pos = A + 0.8 * Pos                         # some triplets active, some not
    loss, grads = net.triplet_loss(A, Pos, Neg, margin=0.5)
    assert loss > 0
    shape = net.params[name].shape
    entries = [tuple(rng.integers(0, s) for s in shape) for _ in range(12)]
    num = em.numerical_gradient(net, A, Pos, Neg, name, entries, margin=0.5)
    ana = np.array([grads[name][e] for e in entries])
    np.testing.assert_allclose(ana, num, rtol=1e-5, atol=1e-8)


def test_loss_is_zero_when_margin_is_met_and_hinge_otherwise():
    net = em.Embedding(3, 3, n_hidden=2, projection=np.eye(3), dtype=np.float64)
    A = np.array([[1.0, 0, 0]])
    P = np.array([[1.0, 0.1, 0]])
    N = np.array([[0, 0, 1.0]])
    # untrained, identity projection: embeddings are the unit vectors of A, P, N:
    # d(a,p)^2 = 2 - 2 cos, d(a,n)^2 = 2
    cos = 1 / np.sqrt(1.01)
    assert net.triplet_loss(A, P, N, margin=0.1, grad=False) == 0.0
    assert np.isclose(net.triplet_loss(A, N, P, margin=0.1, grad=False), 2 - (2 - 2 * cos) + 0.1)


def test_untrained_network_is_pca_and_projection_can_be_swapped():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 10)).astype(np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    p = PCA(4).fit(X)
    net = em.Embedding(10, 4, mean=p.mean_, projection=p.components_.T)
    np.testing.assert_allclose(net.embed(X), p.transform(X), rtol=1e-4, atol=1e-5)
    q = PCA(4).fit(X[:50] ** 2)
    other = net.with_projection(q.mean_, q.components_)
    np.testing.assert_allclose(other.embed(X), q.transform(X), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(net.embed(X), p.transform(X), rtol=1e-4, atol=1e-5)   # the original is unchanged


def test_adam_minimises_a_quadratic():
    params = {"w": np.array([3.0, -2.0])}
    opt = em.Adam(params, lr=0.1)
    for _ in range(500):
        opt.step({"w": 2 * (params["w"] - np.array([1.0, 0.5]))})
    np.testing.assert_allclose(params["w"], [1.0, 0.5], atol=1e-2)


def test_training_learns_to_ignore_version_noise_and_round_trips(tmp_path):
    """Toy data: a piece lives in 4 dimensions, versions add strong noise in 12 others.

    A random projection mixes the noise in (triplet accuracy on held-out
    pieces near chance); training must learn to suppress it.
    """
    rng = np.random.default_rng(0)
    n_pieces, per, d = 16, 30, 16
    X, piece, pairs = [], [], []
    for p in range(n_pieces):
        base = np.zeros((per, d))
        base[:, :4] = rng.standard_normal(4) + 0.3 * rng.standard_normal((per, 4))
        for v in range(2):
            x = base.copy()
            x[:, 4:] = 2.0 * rng.standard_normal((per, d - 4))
            x[:, :4] += 0.1 * rng.standard_normal((per, 4))
            X.append(x)
            piece.append(np.full(per, p))
        off = 2 * p * per
        pairs.append(np.stack([off + np.arange(per), off + per + np.arange(per)], axis=1))
    X = np.concatenate(X).astype(np.float32)
    piece = np.concatenate(piece)
    pairs = np.concatenate(pairs)
    net = em.Embedding(d, 3, n_hidden=32, seed=0)
    hist = em.train(net, X, pairs, piece, steps=300, batch=64, lr=3e-3, eval_every=50, val_fraction=0.25,
                    progress=False)
    assert hist["val_accuracy"][0] < 0.7 and hist["val_accuracy"][-1] > hist["val_accuracy"][0] + 0.15
    assert hist["step"][0] == 0 and hist["train_loss"][-1] < hist["train_loss"][1]
    path = net.save(tmp_path / "emb.npz")
    back = em.load(path)
    np.testing.assert_array_equal(back.embed(X[:20]), net.embed(X[:20]))
    np.testing.assert_array_equal(back.history["val_accuracy"], hist["val_accuracy"])


def test_bad_input(tmp_path):
    net = em.Embedding(12, 3)
    with pytest.raises(ValueError, match=r"\(n, 12\)"):
        net.embed(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="NaN"):
        net.embed(np.full((2, 12), np.nan))
    with pytest.raises(ValueError, match="do not exist"):
        em.load(tmp_path / "missing.npz")
    out = net.embed(np.zeros((2, 12)))          # zero input -> zero embedding, no NaN
    assert not np.isnan(out).any()


def _cens_like_shingles(n=5, L=20, seed=3):
    rng = np.random.default_rng(seed)
    V = rng.random((n, L, 12)) * (rng.random((n, L, 12)) < 0.4)
    V[:, :, 0] += 0.1                                   # no silent frame
    V /= np.linalg.norm(V, axis=2, keepdims=True)       # CENS frames have unit length
    X = V.reshape(n, L * 12)
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def test_augment_without_distortion_is_identity_and_output_is_unit_norm():
    X = _cens_like_shingles()
    rng = np.random.default_rng(0)
    np.testing.assert_allclose(em.augment_shingles(X, rng), X, atol=1e-6)
    Y = em.augment_shingles(X, rng, noise=0.5, gain=0.5, smooth=0.5)
    assert Y.shape == X.shape and np.all(np.isfinite(Y))
    np.testing.assert_allclose(np.linalg.norm(Y, axis=1), 1.0, atol=1e-5)
    # every 12-dim frame has the same length again (as in CENS)
    np.testing.assert_allclose(np.linalg.norm(Y.reshape(len(Y), 20, 12), axis=2), 1 / np.sqrt(20), atol=1e-5)


def test_augment_gain_scales_each_pitch_class_by_one_factor_and_noise_fills_zeros():
    X = _cens_like_shingles()
    Y = em.augment_shingles(X, np.random.default_rng(1), gain=0.7)
    V, W = X.reshape(-1, 20, 12), Y.reshape(-1, 20, 12)
    assert np.array_equal(V == 0, W == 0)               # a gain cannot create or remove energy
    # within a frame, W[c] / V[c] is proportional to one gain per (shingle, pitch class)
    ratio = np.where(V > 0, W / np.where(V > 0, V, 1), np.nan)
    ratio /= np.nanmax(ratio, axis=2, keepdims=True)    # remove the per-frame normalisation
    g = np.nanmedian(ratio / ratio[:, :, :1], axis=1, keepdims=True)
    rel, want = ratio / ratio[:, :, :1], np.broadcast_to(g, ratio.shape)
    ok = ~np.isnan(rel)
    assert ok.sum() > 100
    np.testing.assert_allclose(rel[ok], want[ok], rtol=1e-4)
    Z = em.augment_shingles(X, np.random.default_rng(2), noise=0.3)
    assert (X == 0).any() and np.all(Z > 0)
    with pytest.raises(ValueError, match="multiple of 12"):
        em.augment_shingles(np.ones((2, 13)), np.random.default_rng(0))


def test_correct_and_fit_projection_match_a_pca_of_the_corrected_shingles():
    net = _net(seed=4, d=24, k=3, h=6)
    X = _cens_like_shingles(n=40, L=2, seed=5)
    C = net.correct(X)
    np.testing.assert_allclose(np.linalg.norm(C, axis=1), 1.0, atol=1e-12)
    # the network's output is the projection of the corrected shingles
    np.testing.assert_allclose(net.embed(X), (C - net.proj_mu) @ net.params["P"], atol=1e-12)
    refit = net.fit_projection(X)
    p = PCA(3).fit(C)
    np.testing.assert_allclose(refit.embed(X), p.transform(C), atol=1e-6)


def test_training_with_a_trainable_projection_and_augmentation_updates_p():
    rng = np.random.default_rng(0)
    X = _cens_like_shingles(n=80, L=2, seed=6)
    piece = np.repeat(np.arange(20), 4)                 # 2 validation pieces (val_fraction 0.1)
    pairs = np.array([(i, i + 1) for i in range(0, 80, 2)])
    net = em.Embedding(24, 4, n_hidden=8, mean=X.mean(0), projection=PCA(4).fit(X).components_.T,
                       train_projection=True, seed=1)
    P0 = net.params["P"].copy()
    em.train(net, X, pairs, piece, steps=20, batch=16, eval_every=10, augment={"gain": 0.3, "sharpen": 1.0},
             shift_augment=True, progress=False, seed=rng.integers(100))
    assert not np.allclose(net.params["P"], P0)
    assert np.all(np.isfinite(net.embed(X)))
    again = em.Embedding.from_arrays({"mu": net.mu, "proj_mu": net.proj_mu, **net.params,
                                      "meta": np.array('{"train_projection": true}')})
    assert again.train_projection


def test_shingle_frames_recut_at_tempo_factors():
    from cmr import shingles as sh

    rng = np.random.default_rng(8)
    C = rng.random((12, 40)) + 0.05
    C /= np.linalg.norm(C, axis=0, keepdims=True)
    X = sh.shingles(C, 20)                                # rows start at frames 0..20
    start = np.arange(len(X))
    order = rng.permutation(len(X))                       # row order must not matter
    fr = em.ShingleFrames(X[order], np.zeros(len(X), int), start[order])
    rows = np.arange(len(X))
    # factor 1 gives the shingles back
    np.testing.assert_allclose(fr.resample(rows, np.ones(len(X))), X[order], atol=1e-6)
    # factor 2 around row at start 10 (centre 19.5): frames at 0.5, 2.5, ..., 38.5, i.e. the
    # averages of frames (2j, 2j + 1), computed here directly from C
    r = int(np.flatnonzero(start[order] == 10)[0])
    want = (0.5 * (C[:, 0::2] + C[:, 1::2])).T.ravel()
    np.testing.assert_allclose(fr.resample([r], [2.0])[0], want / np.linalg.norm(want), atol=1e-6)
    # times beyond the sequence are clipped to its first / last frame
    r0 = int(np.flatnonzero(start[order] == 0)[0])
    first = fr.resample([r0], [2.0])[0].reshape(20, 12)
    np.testing.assert_allclose(first[0] / np.linalg.norm(first[0]), C[:, 0], atol=1e-6)
    with pytest.raises(ValueError, match="not 0, 1, 2"):
        em.ShingleFrames(X[:5], np.zeros(5, int), np.array([0, 1, 3, 4, 5]))


def test_training_with_tempo_augmentation_needs_frames_and_runs():
    X = _cens_like_shingles(n=80, L=2, seed=6)
    piece = np.repeat(np.arange(20), 4)
    pairs = np.array([(i, i + 1) for i in range(0, 80, 2)])
    net = em.Embedding(24, 4, n_hidden=8, seed=1)
    with pytest.raises(ValueError, match="frames"):
        em.train(net, X, pairs, piece, steps=2, tempo=0.3, progress=False)
    frames = em.ShingleFrames(X, np.arange(80) // 4, np.arange(80) % 4)
    hist = em.train(net, X, pairs, piece, steps=10, batch=16, eval_every=5, tempo=0.3, frames=frames,
                    progress=False)
    assert np.all(np.isfinite(hist["train_loss"][1:])) and np.all(np.isfinite(net.embed(X)))


def test_refit_during_training_sets_the_projection_to_the_pca_of_corrected_training_shingles():
    X = _cens_like_shingles(n=80, L=2, seed=6)
    piece = np.repeat(np.arange(20), 4)
    pairs = np.array([(i, i + 1) for i in range(0, 80, 2)])
    with pytest.raises(ValueError, match="fixed projection"):
        em.train(em.Embedding(24, 3, n_hidden=8, train_projection=True), X, pairs, piece, steps=2,
                 refit_every=1, progress=False)
    net = _net(seed=2, d=24, k=3, h=8)                   # a non-zero correction
    net.params["P"] = np.linalg.qr(np.random.default_rng(0).standard_normal((24, 24)))[0][:, :3]
    # lr = 0: the correction stays put, so the last refit must be the PCA of the corrected
    # shingles of all training rows (refit_rows >= n)
    em.train(net, X, pairs, piece, steps=4, batch=8, lr=0.0, refit_every=2, refit_rows=1000,
             eval_every=2, progress=False)
    C = net.correct(X)
    # training rows = the 18 pieces not held out for validation; rather than reading the split
    # from train(), try every pair of held-out pieces: exactly one must give the same projection
    P = net.params["P"]
    matches = 0
    for a in range(20):
        for b in range(a + 1, 20):
            keep = ~np.isin(piece, [a, b])
            q = PCA(3).fit(C[keep])
            if np.allclose(P @ P.T, q.components_.T @ q.components_, atol=1e-6):
                matches += 1
                np.testing.assert_allclose(net.proj_mu, q.mean_, atol=1e-6)
    assert matches == 1


def test_pair_noise_covariance_by_hand_and_transposition_average():
    rng = np.random.default_rng(3)
    A, B = rng.standard_normal((50, 24)), rng.standard_normal((50, 24))
    S = em.pair_noise_covariance(A, B, shift_average=False)
    np.testing.assert_allclose(S, sum(np.outer(a - b, a - b) for a, b in zip(A, B)) / 50)
    T = em.pair_noise_covariance(A, B)
    # the average over the 12 transpositions is the covariance of all 12 transposed pair sets
    shifted = [em._shift_rows(M, np.full(50, k)) for k in range(12) for M in (A, B)]
    A12, B12 = np.concatenate(shifted[0::2]), np.concatenate(shifted[1::2])
    np.testing.assert_allclose(T, em.pair_noise_covariance(A12, B12, shift_average=False), atol=1e-12)
    with pytest.raises(ValueError, match="share a shape"):
        em.pair_noise_covariance(A, B[:3])


def test_whitened_projection_solves_the_generalised_eigenproblem_and_is_pca_for_white_noise():
    rng = np.random.default_rng(4)
    C = rng.standard_normal((300, 12)) * np.linspace(3, 0.5, 12) @ np.linalg.qr(rng.standard_normal((12, 12)))[0]
    N = np.cov(rng.standard_normal((400, 12)).T * np.linspace(0.2, 2, 12)[:, None])
    mean, V = em.whitened_projection(C, N, 4, reg=0.5)
    S = np.cov(C.T)
    Areg = N + 0.5 * np.trace(N) / 12 * np.eye(12)
    lam = np.diag(V @ S @ V.T)
    np.testing.assert_allclose(V @ Areg @ V.T, np.eye(4), atol=1e-8)           # noise-normalised
    np.testing.assert_allclose(S @ V.T, Areg @ V.T * lam, atol=1e-8)          # S v = lambda A v
    assert np.all(np.diff(lam) <= 1e-12)                                       # largest first
    # isotropic noise: the same subspace as PCA
    _, W = em.whitened_projection(C, np.eye(12), 4)
    p = PCA(4).fit(C)
    np.testing.assert_allclose(W.T @ np.linalg.pinv(W.T), p.components_.T @ p.components_, atol=1e-6)
    np.testing.assert_allclose(mean, C.mean(0))


def test_fit_projection_uses_the_learned_noise_covariance_and_round_trips(tmp_path):
    net = _net(seed=4, d=24, k=3, h=6)
    X = _cens_like_shingles(n=40, L=2, seed=5)
    pairs = np.array([(i, i + 1) for i in range(0, 40, 2)])
    em.learn_noise_covariance(net, X, pairs, reg=2.0)
    C = net.correct(X)
    np.testing.assert_allclose(net.noise_cov, em.pair_noise_covariance(C[pairs[:, 0]], C[pairs[:, 1]]))
    mean, V = em.whitened_projection(C, net.noise_cov, 3, reg=2.0)
    np.testing.assert_allclose(net.fit_projection(X).embed(X), (C - mean) @ V.T, atol=1e-8)
    back = em.load(net.save(tmp_path / "w.npz"))
    np.testing.assert_allclose(back.fit_projection(X).embed(X), (C - mean) @ V.T, atol=1e-5)


def test_correction_scale_interpolates_between_pca_and_the_network():
    net = _net(seed=8, d=24, k=3, h=6)
    net.params["b2"] = np.random.default_rng(9).standard_normal(24) * 0.05
    X = _cens_like_shingles(n=30, L=2, seed=10)
    # alpha = 0: no correction, the unit shingle itself is projected
    np.testing.assert_allclose(net.with_correction_scale(0.0).embed(X), (X - net.proj_mu) @ net.params["P"],
                               atol=1e-12)
    np.testing.assert_allclose(net.with_correction_scale(1.0).embed(X), net.embed(X), atol=1e-12)
    # alpha = 0.5 by hand: hidden layer, half the correction, renormalise, project
    h = np.maximum((X - net.mu) @ net.params["W1"] + net.params["b1"], 0)
    r = X + 0.5 * (h @ net.params["W2"] + net.params["b2"])
    c = r / np.linalg.norm(r, axis=1, keepdims=True)
    half = net.with_correction_scale(0.5)
    np.testing.assert_allclose(half.correct(X), c, atol=1e-12)
    assert half.meta["correction_scale"] == 0.5 and "correction_scale" not in net.meta
    assert half.with_correction_scale(0.5).meta["correction_scale"] == 0.25
    np.testing.assert_allclose(net.embed(X), (net.correct(X) - net.proj_mu) @ net.params["P"], atol=1e-12)
    for bad in (-0.1, float("nan")):
        with pytest.raises(ValueError, match="alpha"):
            net.with_correction_scale(bad)


def test_average_corrections_is_one_network_whose_correction_is_the_members_mean(tmp_path):
    # three members with different seeds, hidden widths, input means and biases
    nets = [_net(seed=s, d=24, k=3, h=h) for s, h in ((11, 5), (12, 7), (13, 9))]
    for i, n in enumerate(nets):
        n.params["b2"] = np.random.default_rng(20 + i).standard_normal(24) * 0.05
        n.history = {"step": np.array([0, 10]), "val_accuracy": np.array([0.5, 0.6 + 0.1 * i])}
    X = _cens_like_shingles(n=50, L=2, seed=14)
    # each member's correction computed independently, by hand, from its own parameters
    g = []
    for n in nets:
        h = np.maximum((X - n.mu) @ n.params["W1"] + n.params["b1"], 0)
        g.append(h @ n.params["W2"] + n.params["b2"])
        np.testing.assert_allclose(n.correction(X), g[-1], atol=1e-12)
    g_mean = np.mean(g, axis=0)
    ens = em.average_corrections(nets, X)
    assert ens.params["W1"].shape == (24, 21) and ens.n_components == 3 and not ens.train_projection
    np.testing.assert_allclose(ens.correction(X), g_mean, atol=1e-12)
    r = X + g_mean
    C = r / np.linalg.norm(r, axis=1, keepdims=True)
    np.testing.assert_allclose(ens.correct(X), C, atol=1e-12)
    # projection = PCA of the averaged network's corrected shingles of X
    np.testing.assert_allclose(ens.embed(X), PCA(3).fit(C).transform(C), atol=1e-6)   # PCA computes in float32
    # a scaled ensemble is the mean of the scaled corrections
    np.testing.assert_allclose(ens.with_correction_scale(0.25).correction(X), 0.25 * g_mean, atol=1e-12)
    assert ens.meta["ensemble"]["size"] == 3 and ens.meta["ensemble"]["hidden_per_member"] == [5, 7, 9]
    np.testing.assert_allclose(ens.history["val_accuracy"], [0.5, 0.7])
    back = em.load(ens.save(tmp_path / "ens.npz"))
    np.testing.assert_allclose(back.embed(X), ens.embed(X), atol=1e-12)
    # one member: its own correction; without X the shared projection is kept
    one = em.average_corrections(nets[:1])
    np.testing.assert_allclose(one.correction(X), g[0], atol=1e-12)
    np.testing.assert_allclose(one.embed(X), nets[0].embed(X), atol=1e-12)


def test_average_corrections_rejects_bad_members():
    a, b = _net(seed=1, d=24, k=3, h=4), _net(seed=2, d=24, k=3, h=4)
    with pytest.raises(ValueError, match="projections differ"):
        em.average_corrections([a, b])            # different projections and no X to refit them
    with pytest.raises(ValueError, match="n_components"):
        em.average_corrections([a, _net(seed=3, d=24, k=4, h=4)])
    with pytest.raises(ValueError, match="dim_in"):
        em.average_corrections([a, _net(seed=3, d=36, k=3, h=4)])
    with pytest.raises(ValueError, match="empty"):
        em.average_corrections([])
    with pytest.raises(TypeError, match="Embedding"):
        em.average_corrections([a, "b"])
    with pytest.raises(ValueError, match="shape"):
        a.correction(np.ones((2, 23)))


@pytest.mark.parametrize("name", em.PARAM_NAMES)
def test_infonce_gradient_matches_finite_differences(name):
    net = _net(seed=2)
    rng = np.random.default_rng(11)
    A = rng.standard_normal((7, 12))
    Pos = A + 0.7 * rng.standard_normal((7, 12))
    groups = np.array([0, 0, 1, 2, 2, 2, 3])       # masked same-piece pairs take part
    loss, grads = net.infonce_loss(A, Pos, groups, tau=0.3)
    assert loss > 0
    shape = net.params[name].shape
    entries = [tuple(rng.integers(0, s) for s in shape) for _ in range(12)]
    num = em.numerical_gradient_of(net, lambda: net.infonce_loss(A, Pos, groups, 0.3, grad=False), name, entries)
    ana = np.array([grads[name][e] for e in entries])
    np.testing.assert_allclose(ana, num, rtol=1e-5, atol=1e-8)


def test_infonce_loss_by_hand_with_same_piece_mask():
    # untrained network, identity projection, zero means: f(x) = x / |x| in 2-D
    net = em.Embedding(2, 2, n_hidden=3, projection=np.eye(2), dtype=np.float64)
    A = np.array([[1.0, 0], [0, 1], [0.6, 0.8]])
    Pos = np.array([[0.6, 0.8], [0, 1], [1.0, 0]])
    # squared distances |a_i - p_j|^2 of unit vectors = 2 - 2 cos:
    #        p1    p2    p3
    # a1    0.8   2.0   0.0
    # a2    0.4   0.0   2.0
    # a3    0.0   0.4   0.8
    # pairs 1 and 2 are the same piece: d12 and d21 are not negatives
    tau = 0.5
    l1 = -np.log(np.exp(-0.8 / tau) / (np.exp(-0.8 / tau) + np.exp(-0.0 / tau)))
    l2 = -np.log(np.exp(-0.0 / tau) / (np.exp(-0.0 / tau) + np.exp(-2.0 / tau)))
    l3 = -np.log(np.exp(-0.8 / tau) / (np.exp(-0.0 / tau) + np.exp(-0.4 / tau) + np.exp(-0.8 / tau)))
    assert np.isclose(net.infonce_loss(A, Pos, [7, 7, 9], tau, grad=False), (l1 + l2 + l3) / 3)
    # without groups every other pair is a negative
    m1 = -np.log(np.exp(-1.6) / (np.exp(-1.6) + np.exp(-4.0) + 1.0))
    m2 = -np.log(1.0 / (np.exp(-0.8) + 1.0 + np.exp(-4.0)))
    assert np.isclose(net.infonce_loss(A, Pos, None, tau, grad=False), (m1 + m2 + l3) / 3)
    # all pairs of one piece: nothing to contrast, loss 0 and zero gradient
    loss, grads = net.infonce_loss(A, Pos, [1, 1, 1], tau)
    assert loss == 0.0 and all(np.all(g == 0) for g in grads.values())
    for bad in (0.0, -1.0, np.nan):
        with pytest.raises(ValueError, match="tau"):
            net.infonce_loss(A, Pos, None, bad)
    with pytest.raises(ValueError, match="groups"):
        net.infonce_loss(A, Pos, [1, 2], tau)
    with pytest.raises(ValueError, match="share shape"):
        net.infonce_loss(A, Pos[:2], None, tau)


def test_training_with_infonce_separates_pieces_better_than_the_start():
    # 6 pieces: a random chroma-like direction per piece and position; versions add noise
    # in 4 fixed "timbre" directions that dominate the PCA
    rng = np.random.default_rng(5)
    d, n_pieces, n_pos, n_ver = 24, 6, 12, 3
    base = rng.random((n_pieces, n_pos, d))
    noise_dirs = np.linalg.qr(rng.standard_normal((d, 4)))[0].T
    X, piece, rows = [], [], {}
    for p in range(n_pieces):
        for v in range(n_ver):
            for t in range(n_pos):
                x = base[p, t] * 0.3 + (rng.standard_normal(4) * 1.5) @ noise_dirs
                rows[(p, v, t)] = len(X)
                X.append(x / np.linalg.norm(x))
                piece.append(p)
    X, piece = np.array(X, np.float32), np.array(piece)
    pairs = np.array([(rows[(p, v, t)], rows[(p, w, t)]) for p in range(n_pieces) for t in range(n_pos)
                      for v in range(n_ver) for w in range(n_ver) if v != w])
    pca = PCA(4).fit(X)
    net = em.Embedding(d, 4, n_hidden=16, mean=pca.mean_, projection=pca.components_.T, seed=1)
    hist = em.train(net, X, pairs, piece, steps=150, batch=32, lr=3e-3, val_fraction=0.34, eval_every=50,
                    loss="infonce", tau=0.2, seed=3, progress=False)
    assert hist["val_loss"][-1] < hist["val_loss"][0]
    assert hist["val_accuracy"][-1] > hist["val_accuracy"][0]
    with pytest.raises(ValueError, match="loss"):
        em.train(net, X, pairs, piece, steps=1, loss="hinge", progress=False)
    with pytest.raises(ValueError, match="tau"):
        em.train(net, X, pairs, piece, steps=1, loss="infonce", tau=0.0, progress=False)
