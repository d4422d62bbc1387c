"""Learned melody (top-voice) salience from IIR pitch energies, in plain numpy.

A small multilayer perceptron looks at a few frames of log-compressed pitch
energies (88 piano pitches, :func:`cmr.chroma.pitch_features`) and outputs,
per frame, a probability for each of the 88 pitches to be the *highest
sounding note* (the top voice) plus one "no note" class. Folding the pitch
probabilities to pitch classes gives a melody chroma that can replace the
hand-made :func:`cmr.themes.salience_chroma` as the database feature of
cross-modal theme retrieval (notebook 06).

:class:`PitchConvNet` does the same job with weights shared along the pitch
axis: one small detector reads the neighbourhood of each pitch (its own
harmonics, the notes just above it) and scores it, so what it learns at one
pitch serves every pitch.

The same fully connected class also serves a *second-voice* model (``voice="second"``):
trained on the highest note *below* the top voice per frame
(:func:`second_voice_targets`), its folded probabilities are a learned chroma
of the voice a theme moves to when it crosses below another part; it is
blended with the top-voice chroma by :func:`cmr.themes.voice_blend`.

The idea follows the learned salience representations of Bittner et al.
(ISMIR 2017, deep salience) and Zalkow, Balke and Müller (ICASSP 2019),
who trained networks to map a time-frequency representation to the
melody's pitch salience; ours is a much smaller fully connected net trained
on synthesised renderings of music21 scores whose rendered top voice is the
target (``scripts/train_melody_salience.py``; the training pieces exclude
every piece of the theme database and every piece sharing a tune with one).

Shapes follow the library: features are (dims, frames).
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

#: Number of pitch bins of the input (MIDI 21..108) and of the output pitch classes.
N_PITCHES = 88
FIRST_PITCH = 21
#: What a net's output stands for (:class:`MelodyNet` ``voice``).
VOICES = ("top", "second")


def weights_path() -> Path:
    """The committed weights of the trained model (``lib/cmr/data/melody_salience.npz``)."""
    return Path(__file__).resolve().parent / "data" / "melody_salience.npz"


def conv_weights_path() -> Path:
    """The committed weights of the pitch-convolutional model (``lib/cmr/data/melody_conv.npz``, an
    ensemble of :class:`PitchConvNet`; load with ``load_model(conv_weights_path())``)."""
    return Path(__file__).resolve().parent / "data" / "melody_conv.npz"


def conv_second_weights_path() -> Path:
    """The committed weights of the second-voice pitch-convolutional model
    (``lib/cmr/data/melody_conv_second.npz``: two :class:`PitchConvNet` with ``voice="second"``, trained to
    name the highest note *below* the top voice; validation 77.85 %, ``melody_grid_second.csv``)."""
    return Path(__file__).resolve().parent / "data" / "melody_conv_second.npz"


def log_pitch(P, gamma: float = 10.0) -> np.ndarray:
    """Log compression ``log(1 + gamma * P / max P)`` of pitch energies (0 for silence).

    Parameters
    ----------
    P : np.ndarray, shape (88, N), non-negative energies

    Returns
    -------
    np.ndarray, shape (88, N), float32
    """
    P = np.asarray(P, dtype=np.float64)
    if P.ndim != 2 or P.shape[0] != N_PITCHES:
        raise ValueError(f"P must have shape ({N_PITCHES}, N), got {P.shape}")
    if not np.all(np.isfinite(P)) or np.any(P < 0):
        raise ValueError("P must contain finite non-negative energies")
    m = P.max() if P.size else 0.0
    if m <= 0:
        return np.zeros(P.shape, np.float32)
    return np.log1p(gamma * P / m).astype(np.float32)


def context_stack(L, context: int, dilation: int = 1) -> np.ndarray:
    """Stack frames ``t - context d .. t + context d`` in steps of ``d = dilation`` (edges repeated)
    into one column per frame.

    Parameters
    ----------
    L : np.ndarray, shape (d, N)
    context : int >= 0
    dilation : int >= 1, frame step between the stacked frames

    Returns
    -------
    np.ndarray, shape (d * (2 * context + 1), N), float32 (block ``k`` holds frame ``t + k - context``)
    """
    L = np.asarray(L, dtype=np.float32)
    d, n = L.shape
    if context < 0:
        raise ValueError(f"context must be >= 0, got {context}")
    if int(dilation) < 1:
        raise ValueError(f"dilation must be >= 1, got {dilation}")
    if n == 0:
        return np.zeros((d * (2 * context + 1), 0), np.float32)
    idx = np.clip(np.arange(n)[None, :] + int(dilation) * np.arange(-context, context + 1)[:, None], 0, n - 1)
    return L[:, idx].transpose(1, 0, 2).reshape(d * (2 * context + 1), n)


class MelodyNet:
    """MLP: stacked log pitch energies -> softmax over 88 top-voice pitches + "no note".

    Parameters
    ----------
    context : int, frames of context on each side (input has ``88 * (2 context + 1)`` dims)
    hidden : tuple of int, hidden layer sizes (ReLU)
    gamma : float, log compression of the input (:func:`log_pitch`)
    seed : int, initialisation
    dilation : int, frame step between the context frames (1 = adjacent frames)
    voice : {"top", "second"}, what the 88 pitch classes of the output mean: the highest sounding note
        (:func:`top_voice_targets`) or the highest note below it (:func:`second_voice_targets`; class 88 is
        then "no second voice"). Only a label: the network and its training are the same.
    second_head : bool, add a second softmax output (params ``Wsec``, ``bsec``) on the last hidden layer
        for the second voice (multi-task training, :meth:`loss_and_grads` with ``y2``); inferred from
        ``params`` when they are given (a file with ``Wsec`` loads with the head).
    """

    def __init__(self, context: int = 3, hidden=(256, 256), gamma: float = 10.0, seed: int = 0, params=None,
                 dilation: int = 1, voice: str = "top", second_head: bool = False):
        self.context, self.hidden, self.gamma = int(context), tuple(int(h) for h in hidden), float(gamma)
        self.dilation = int(dilation)
        if voice not in VOICES:
            raise ValueError(f"voice must be one of {VOICES}, got {voice!r}")
        self.voice = str(voice)
        sizes = [N_PITCHES * (2 * self.context + 1), *self.hidden, N_PITCHES + 1]
        if params is None:
            rng = np.random.default_rng(seed)
            params = {}
            for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
                params[f"W{i}"] = (rng.standard_normal((b, a)) * np.sqrt(2.0 / a)).astype(np.float32)
                params[f"b{i}"] = np.zeros((b, 1), np.float32)
            if second_head:
                if not self.hidden:
                    raise ValueError("second_head needs at least one hidden layer")
                a = self.hidden[-1]
                params["Wsec"] = (rng.standard_normal((N_PITCHES + 1, a)) * np.sqrt(2.0 / a)).astype(np.float32)
                params["bsec"] = np.zeros((N_PITCHES + 1, 1), np.float32)
        self.params = params
        self.n_layers = len(sizes) - 1
        self.second_head = "Wsec" in params

    # ---- forward / backward on stacked inputs (dims, batch) ------------------------------------
    def logits(self, X, keep: bool = False):
        h, cache = X, []
        for i in range(self.n_layers):
            z = self.params[f"W{i}"] @ h + self.params[f"b{i}"]
            cache.append(h)
            h = np.maximum(z, 0.0) if i < self.n_layers - 1 else z
        return (h, cache) if keep else h

    def second_logits(self, X) -> np.ndarray:
        """Logits of the second head (89, batch); needs ``second_head``."""
        if not self.second_head:
            raise ValueError("this MelodyNet has no second head")
        _, cache = self.logits(X, keep=True)
        return self.params["Wsec"] @ cache[-1] + self.params["bsec"]

    @staticmethod
    def softmax(Z) -> np.ndarray:
        Z = Z - Z.max(axis=0, keepdims=True)
        E = np.exp(Z)
        return E / E.sum(axis=0, keepdims=True)

    def loss_and_grads(self, X, y, y2=None, lam: float = 0.5):
        """Mean cross-entropy of integer targets ``y`` (0..88, 88 = no note) and its gradients; with a
        second head and second-voice targets ``y2``: ``CE(top) + lam * CE(second)``."""
        Z, cache = self.logits(X, keep=True)
        Pr = self.softmax(Z)
        n = X.shape[1]
        loss = float(-np.mean(np.log(Pr[y, np.arange(n)] + 1e-12)))
        dZ = Pr
        dZ[y, np.arange(n)] -= 1.0
        dZ /= n
        grads = {}
        dZ2 = None
        if y2 is not None:
            if not self.second_head:
                raise ValueError("y2 given, but this MelodyNet has no second head")
            h_last = cache[-1]
            P2 = self.softmax(self.params["Wsec"] @ h_last + self.params["bsec"])
            loss += float(lam) * float(-np.mean(np.log(P2[y2, np.arange(n)] + 1e-12)))
            dZ2 = P2
            dZ2[y2, np.arange(n)] -= 1.0
            dZ2 *= float(lam) / n
            grads["Wsec"] = (dZ2 @ h_last.T).astype(np.float32)
            grads["bsec"] = dZ2.sum(axis=1, keepdims=True).astype(np.float32)
        elif self.second_head:  # the head gets no gradient
            grads["Wsec"] = np.zeros_like(self.params["Wsec"])
            grads["bsec"] = np.zeros_like(self.params["bsec"])
        for i in range(self.n_layers - 1, -1, -1):
            h = cache[i]
            grads[f"W{i}"] = (dZ @ h.T).astype(np.float32)
            grads[f"b{i}"] = dZ.sum(axis=1, keepdims=True).astype(np.float32)
            if i > 0:
                dH = self.params[f"W{i}"].T @ dZ
                if dZ2 is not None and i == self.n_layers - 1:
                    dH = dH + self.params["Wsec"].T @ dZ2
                dZ = dH * (h > 0)
        return loss, grads

    # ---- on pitch energies -------------------------------------------------------------------
    def inputs(self, P) -> np.ndarray:
        """Stacked network inputs of pitch energies P (88, N) -> (88 (2c+1), N)."""
        return context_stack(log_pitch(P, self.gamma), self.context, self.dilation)

    def probabilities(self, P, block: int = 8192, head: str = "main") -> np.ndarray:
        """Per-frame probabilities of the 88 top-voice pitches and of "no note".

        Parameters
        ----------
        P : np.ndarray, shape (88, N), pitch energies (:func:`cmr.chroma.pitch_features`)
        head : {"main", "second"}, the main output or the second head (second voice, "no second voice")

        Returns
        -------
        np.ndarray, shape (89, N), float32, columns sum to 1 (row 88 = no note)
        """
        if head not in ("main", "second"):
            raise ValueError(f"head must be 'main' or 'second', got {head!r}")
        fn = self.logits if head == "main" else self.second_logits
        X = self.inputs(P)
        out = np.zeros((N_PITCHES + 1, X.shape[1]), np.float32)
        for a in range(0, X.shape[1], block):
            out[:, a:a + block] = self.softmax(fn(X[:, a:a + block]))
        return out

    def arrays(self) -> dict:
        """Settings and weights as the arrays of a weights file (see :meth:`from_arrays`)."""
        return {"context": self.context, "hidden": np.array(self.hidden), "gamma": self.gamma,
                "dilation": self.dilation, "voice": self.voice,
                **{k: v.astype(np.float32) for k, v in self.params.items()}}

    def save(self, path) -> Path:
        path = Path(path)
        np.savez_compressed(path, **self.arrays())
        return path

    @classmethod
    def from_arrays(cls, z, prefix: str = "") -> "MelodyNet":
        """A net from the arrays of a saved file (keys after ``prefix``; older files without ``dilation`` /
        ``voice``: 1 / top voice)."""
        params = {k[len(prefix):]: z[k].astype(np.float32) for k in z.files
                  if k.startswith(prefix) and k[len(prefix)] in "Wb"}
        return cls(context=int(z[prefix + "context"]), hidden=tuple(int(h) for h in z[prefix + "hidden"]),
                   gamma=float(z[prefix + "gamma"]), params=params,
                   dilation=int(z[prefix + "dilation"]) if prefix + "dilation" in z.files else 1,
                   voice=str(z[prefix + "voice"]) if prefix + "voice" in z.files else "top")

    @classmethod
    def load(cls, path=None) -> "MelodyNet":
        path = weights_path() if path is None else Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing: run scripts/train_melody_salience.py train")
        with np.load(path) as z:
            if "n_models" in z.files or "arch" in z.files:
                raise ValueError(f"{path} holds an ensemble or a PitchConvNet, not a MelodyNet: use load_model")
            return cls.from_arrays(z)


class PitchConvNet:
    """Top-voice (or second-voice) net with weights shared along pitch (a convolution over the pitch axis).

    For frame ``t`` and pitch ``p`` the same small MLP reads the patch of log pitch energies
    from ``below`` semitones under ``p`` to ``above`` semitones over it, over ``t - context ..
    t + context`` (zeros outside the piano range and the piece), plus the register ``p / 87``,
    and outputs one logit; a per-pitch bias adds a register prior. "No note" has its own logit,
    computed from the mean of the last hidden layer over all pitches. A softmax over the 89
    logits gives the same output as :class:`MelodyNet`.

    Why: whether ``p`` is the highest sounding note depends on what sounds *near* ``p`` (its
    own harmonics at +12, +19, +24 semitones, a note above it) much more than on its absolute
    position, so one detector slid along pitch learns from every pitch of every frame at once,
    where a fully connected net must learn each pitch separately (it needs pitch-shift
    augmentation for the same effect). The same idea drives the convolutional salience nets
    of Bittner et al. (ISMIR 2017).

    Parameters
    ----------
    below, above : int >= 0, semitones of the patch under / over the pitch
    context : int >= 0, frames of context on each side
    hidden : tuple of int, at least one hidden layer (ReLU)
    gamma : float, log compression of the input (:func:`log_pitch`)
    seed : int, initialisation
    params : dict, trained parameters (``W<i>``, ``b<i>``, ``wo``, ``bp``, ``wn``, ``bn``)
    dilation : int >= 1, frame step between the context frames (``t - context d .. t + context d``)
    voice : {"top", "second"}, what the 88 pitch outputs mean (as :class:`MelodyNet` ``voice``: the highest
        sounding note, or the highest note below it with class 88 = "no second voice"); only a label, saved
        in the weights (files without it load as "top")
    """

    second_head = False

    def __init__(self, below: int = 12, above: int = 36, context: int = 3, hidden=(64, 32), gamma: float = 10.0,
                 seed: int = 0, params=None, dilation: int = 1, voice: str = "top"):
        if voice not in VOICES:
            raise ValueError(f"voice must be one of {VOICES}, got {voice!r}")
        self.voice = str(voice)
        self.below, self.above, self.context = int(below), int(above), int(context)
        self.dilation = int(dilation)
        if self.dilation < 1:
            raise ValueError(f"dilation must be >= 1, got {dilation}")
        self.hidden, self.gamma = tuple(int(h) for h in hidden), float(gamma)
        if min(self.below, self.above, self.context) < 0 or not self.hidden or min(self.hidden) < 1:
            raise ValueError(f"below, above, context must be >= 0 and hidden non-empty with positive sizes, got "
                             f"{below}, {above}, {context}, {hidden}")
        self.width = self.below + self.above + 1
        self.dim_in = self.width * (2 * self.context + 1) + 1
        if params is None:
            rng = np.random.default_rng(seed)
            sizes = [self.dim_in, *self.hidden]
            params = {}
            for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
                params[f"W{i}"] = (rng.standard_normal((a, b)) * np.sqrt(2.0 / a)).astype(np.float32)
                params[f"b{i}"] = np.zeros(b, np.float32)
            h = self.hidden[-1]
            params["wo"] = (rng.standard_normal(h) / np.sqrt(h)).astype(np.float32)
            params["bp"] = np.zeros(N_PITCHES, np.float32)
            params["wn"] = (rng.standard_normal(h) / np.sqrt(h)).astype(np.float32)
            params["bn"] = np.zeros(1, np.float32)
        if params["W0"].shape[0] != self.dim_in:
            raise ValueError(f"params['W0'] has {params['W0'].shape[0]} inputs, the patch needs {self.dim_in}")
        self.params = params

    # ---- patches ---------------------------------------------------------------------------
    def padded(self, P) -> np.ndarray:
        """Log pitch energies (88, N) -> zero-padded (below + 88 + above, N + 2 context dilation), float32."""
        L = log_pitch(P, self.gamma)
        c = self.context * self.dilation
        out = np.zeros((N_PITCHES + self.below + self.above, L.shape[1] + 2 * c), np.float32)
        out[self.below:self.below + N_PITCHES, c:c + L.shape[1]] = L
        return out

    def patches(self, padded, frames) -> np.ndarray:
        """Inputs of frames ``frames`` (indices into the unpadded piece) -> (len(frames) * 88, dim_in)."""
        frames = np.asarray(frames, dtype=np.int64)
        T = padded[:, frames[:, None] + self.dilation * np.arange(2 * self.context + 1)]  # (rows, B, 2c+1)
        W = np.lib.stride_tricks.sliding_window_view(T, self.width, axis=0)  # (88, B, 2c+1, width)
        B = frames.size
        X = np.empty((B, N_PITCHES, self.dim_in), np.float32)
        X[:, :, :-1] = W.transpose(1, 0, 2, 3).reshape(B, N_PITCHES, -1)
        X[:, :, -1] = np.arange(N_PITCHES, dtype=np.float32) / (N_PITCHES - 1)
        return X.reshape(B * N_PITCHES, self.dim_in)

    # ---- forward / backward ----------------------------------------------------------------
    def logits(self, X, keep: bool = False):
        """Patches (B * 88, dim_in) -> logits (89, B); with ``keep`` also the layer inputs."""
        B = X.shape[0] // N_PITCHES
        hs, h = [X], X
        for i in range(len(self.hidden)):
            h = np.maximum(h @ self.params[f"W{i}"] + self.params[f"b{i}"], 0.0)
            hs.append(h)
        H = h.reshape(B, N_PITCHES, -1)
        z = H @ self.params["wo"] + self.params["bp"]
        zn = H.mean(axis=1) @ self.params["wn"] + self.params["bn"]
        Z = np.concatenate([z, zn[:, None]], axis=1).T
        return (Z, hs) if keep else Z

    def loss_and_grads(self, X, y):
        """Mean cross-entropy of integer targets ``y`` (B,) in 0..88 (88 = no note) and its gradients."""
        y = np.asarray(y, dtype=np.int64)
        B = y.size
        Z, hs = self.logits(X, keep=True)
        Pr = MelodyNet.softmax(Z).T  # (B, 89)
        loss = float(-np.mean(np.log(Pr[np.arange(B), y] + 1e-12)))
        dZ = Pr
        dZ[np.arange(B), y] -= 1.0
        dZ /= B
        H = hs[-1].reshape(B, N_PITCHES, -1)
        dz, dzn = dZ[:, :N_PITCHES], dZ[:, N_PITCHES]
        g = {"bp": dz.sum(axis=0), "wo": np.einsum("bp,bph->h", dz, H), "wn": dzn @ H.mean(axis=1),
             "bn": np.array([dzn.sum()])}
        dH = (dz[:, :, None] * self.params["wo"] + (dzn[:, None, None] / N_PITCHES) * self.params["wn"])
        dH = dH.reshape(B * N_PITCHES, -1)
        for i in range(len(self.hidden) - 1, -1, -1):
            dA = dH * (hs[i + 1] > 0)
            g[f"W{i}"] = hs[i].T @ dA
            g[f"b{i}"] = dA.sum(axis=0)
            if i > 0:
                dH = dA @ self.params[f"W{i}"].T
        dtype = self.params["W0"].dtype
        return loss, {k: np.asarray(v, dtype=dtype) for k, v in g.items()}

    def probabilities(self, P, block: int = 512, head: str = "main") -> np.ndarray:
        """Per-frame probabilities of the 88 top-voice pitches and of "no note", shape (89, N), float32
        (as :meth:`MelodyNet.probabilities`; there is no second head)."""
        if head != "main":
            raise ValueError(f"a PitchConvNet has only the main head, got head={head!r}")
        Lp = self.padded(P)
        N = Lp.shape[1] - 2 * self.context * self.dilation
        out = np.zeros((N_PITCHES + 1, N), np.float32)
        for a in range(0, N, block):
            frames = np.arange(a, min(a + block, N))
            out[:, frames] = MelodyNet.softmax(self.logits(self.patches(Lp, frames)))
        return out

    def arrays(self) -> dict:
        """Settings and weights as the arrays of a weights file (see :meth:`from_arrays`)."""
        return {"arch": "pitchconv", "below": self.below, "above": self.above, "context": self.context,
                "hidden": np.array(self.hidden), "gamma": self.gamma, "voice": self.voice, "dilation": self.dilation,
                **{k: v.astype(np.float32) for k, v in self.params.items()}}

    def save(self, path) -> Path:
        path = Path(path)
        np.savez_compressed(path, **self.arrays())
        return path

    @classmethod
    def from_arrays(cls, z, prefix: str = "") -> "PitchConvNet":
        """A net from the arrays of a saved file (keys after ``prefix``)."""
        names = ("wo", "bp", "wn", "bn")
        params = {k[len(prefix):]: np.asarray(z[k], np.float32) for k in z.files if k.startswith(prefix)
                  and (k[len(prefix):] in names or re.fullmatch(r"[Wb]\d+", k[len(prefix):]))}
        return cls(below=int(z[prefix + "below"]), above=int(z[prefix + "above"]),
                   context=int(z[prefix + "context"]), hidden=tuple(int(h) for h in z[prefix + "hidden"]),
                   gamma=float(z[prefix + "gamma"]), params=params,
                   dilation=int(z[prefix + "dilation"]) if prefix + "dilation" in z.files else 1,
                   voice=str(z[prefix + "voice"]) if prefix + "voice" in z.files else "top")  # older files: top


class MelodyEnsemble:
    """Several :class:`MelodyNet` models whose probabilities are averaged (independently trained
    members make different errors; their mean is a better calibrated salience).

    Parameters
    ----------
    nets : sequence of MelodyNet or PitchConvNet, at least one (the two kinds may be mixed)
    """

    def __init__(self, nets):
        self.nets = list(nets)
        if not self.nets or not all(isinstance(n, (MelodyNet, PitchConvNet)) for n in self.nets):
            raise TypeError(f"nets must be a non-empty sequence of MelodyNet / PitchConvNet, got {nets!r}")
        if len({n.voice for n in self.nets}) > 1:
            raise ValueError(f"ensemble members predict different voices: {[n.voice for n in self.nets]}")
        self.voice = self.nets[0].voice

    def probabilities(self, P, head: str = "main") -> np.ndarray:
        """Mean of the members' :meth:`MelodyNet.probabilities`, shape (89, N), columns sum to 1."""
        out = self.nets[0].probabilities(P, head=head)
        for net in self.nets[1:]:
            out += net.probabilities(P, head=head)
        return out / len(self.nets)

    def save(self, path) -> Path:
        """One ``.npz`` holding every member (keys prefixed ``m<i>_``)."""
        path = Path(path)
        arrays = {"n_models": len(self.nets)}
        for i, net in enumerate(self.nets):
            arrays.update({f"m{i}_{k}": v for k, v in net.arrays().items()})
        np.savez_compressed(path, **arrays)
        return path


def load_model(path=None):
    """The trained melody model of a weights file: a :class:`MelodyNet`, a :class:`PitchConvNet` or a
    :class:`MelodyEnsemble`.

    Parameters
    ----------
    path : str or Path, default the committed weights (:func:`weights_path`)
    """
    path = weights_path() if path is None else Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: run scripts/train_melody_salience.py train")
    with np.load(path) as z:
        if "n_models" not in z.files:
            return PitchConvNet.from_arrays(z) if "arch" in z.files else MelodyNet.load(path)
        nets = []
        for i in range(int(z["n_models"])):
            pre = f"m{i}_"
            nets.append((PitchConvNet if pre + "arch" in z.files else MelodyNet).from_arrays(z, prefix=pre))
        return MelodyEnsemble(nets)


def greedy_forward_selection(score, n_members: int, max_size: int | None = None):
    """Greedy forward selection of ensemble members (Caruana et al., ICML 2004, without replacement).

    Start from the empty set; at each step add the member whose addition gives the highest ``score``;
    stop when every member is in (or ``max_size`` members are). The chosen ensemble is the best set
    met on the greedy path (ties: the smaller set).

    Parameters
    ----------
    score : callable, tuple of member indices (sorted) -> finite float, higher is better (NaN raises ValueError)
    n_members : int >= 1
    max_size : int, optional, largest ensemble to consider

    Returns
    -------
    chosen : tuple of int, the chosen member indices (sorted)
    tried : list of (tuple of int, float, int), every set scored: (members, score, step)
    """
    if int(n_members) < 1:
        raise ValueError(f"n_members must be >= 1, got {n_members}")
    max_size = int(n_members) if max_size is None else min(int(max_size), int(n_members))
    if max_size < 1:
        raise ValueError(f"max_size must be >= 1, got {max_size}")
    current: tuple = ()
    tried, path = [], []
    for step in range(1, max_size + 1):
        best = None
        for i in range(int(n_members)):
            if i in current:
                continue
            cand = tuple(sorted(current + (i,)))
            s = float(score(cand))
            if not np.isfinite(s):
                raise ValueError(f"score{cand} must be a finite number, got {s}")
            tried.append((cand, s, step))
            if best is None or s > best[1]:
                best = (cand, s)
        current = best[0]
        path.append(best)
    top = max(s for _, s in path)
    chosen = next(c for c, s in path if s == top)
    return chosen, tried


def fold_pitch_classes(S, first_pitch: int = FIRST_PITCH) -> np.ndarray:
    """Fold (pitches, N) salience to (12, N) pitch classes (row ``i`` = MIDI ``first_pitch + i``)."""
    S = np.asarray(S, dtype=np.float32)
    C = np.zeros((12, S.shape[1]), np.float32)
    for i in range(S.shape[0]):
        C[(first_pitch + i) % 12] += S[i]
    return C


def learned_chroma(P, net: MelodyNet | None = None, head: str = "main") -> np.ndarray:
    """Melody chroma from a trained :class:`MelodyNet`: the top-voice pitch probabilities folded to 12 classes
    (for a net with ``voice="second"``: the second voice's).

    Parameters
    ----------
    P : np.ndarray, shape (88, N), pitch energies at the rate the net was trained on (10 Hz)
    net : MelodyNet or MelodyEnsemble, default the committed model (:func:`load_model`)
    head : {"main", "second"}, the net's main output or its second-voice head (``second_head``)

    Returns
    -------
    np.ndarray, shape (12, N), float32, not normalised (a frame the net calls
    silent has a small norm)
    """
    net = load_model() if net is None else net
    return fold_pitch_classes(net.probabilities(P, head=head)[:N_PITCHES])


def top_voice_targets(roll_top) -> np.ndarray:
    """Integer targets from a one-hot top-voice roll (88, N): pitch index, or 88 where nothing sounds."""
    R = np.asarray(roll_top)
    return np.where(R.any(axis=0), np.argmax(R, axis=0), N_PITCHES).astype(np.int64)


def second_voice_targets(R, min_share: float = 0.5) -> np.ndarray:
    """Integer second-voice targets from a note roll: per frame the index of the highest pitch *below*
    the highest sounding one, or 88 where fewer than two pitches sound.

    A pitch sounds in a frame when it fills at least ``min_share`` of it (the rule of
    :func:`cmr.themes.skyline` and :func:`cmr.themes.second_voice`, whose one-hot output gives the same
    targets through :func:`top_voice_targets`).

    Parameters
    ----------
    R : np.ndarray, shape (88, N), a :func:`cmr.themes.note_roll` (share of each frame a pitch sounds)
    min_share : float in (0, 1]

    Returns
    -------
    np.ndarray, shape (N,), int64 in 0..88
    """
    R = np.asarray(R)
    if R.ndim != 2 or R.shape[0] != N_PITCHES:
        raise ValueError(f"R must have shape ({N_PITCHES}, N), got {R.shape}")
    if not (0 < float(min_share) <= 1):
        raise ValueError(f"min_share must be in (0, 1], got {min_share}")
    on = R >= float(min_share)
    count = on.sum(axis=0)
    # rows from the top: the second True from the top is the second voice
    order = np.cumsum(on[::-1], axis=0)
    second = N_PITCHES - 1 - np.argmax(order >= 2, axis=0)
    return np.where(count >= 2, second, N_PITCHES).astype(np.int64)
