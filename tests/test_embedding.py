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
