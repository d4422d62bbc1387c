"""Build (and execute) notebooks/01_Chroma_Features.ipynb.

Run: ``.venv/bin/python scripts/build_nb_01.py`` (writes and executes the notebook).
"""
from __future__ import annotations

from nbtools import NOTEBOOKS, code, execute, md, nav, write

NAME = "01_Chroma_Features.ipynb"
PREV, NEXT = "00_Music_Representations.ipynb", "02_DTW_and_Synchronization.ipynb"

cells = [
    md(nav(PREV, NEXT)),
    md(r"""
# 01 · Chroma features: from pitch to pitch class

Every retrieval task in this workbook compares music through *chroma
features*: for each short stretch of time, twelve numbers that say how much
of each pitch class (C, C&sharp;, D, ..., B) is sounding, no matter in which
octave, on which instrument or how loudly. This notebook builds them from
the ground up. Afterwards you can

* convert between MIDI pitch, frequency and pitch class,
* explain why a plain spectrogram is a poor pitch analyser at low frequencies,
* compute pitch features with a multirate bank of 88 band-pass filters and fold them into chroma,
* choose the post-processing (log compression, normalisation, smoothing, CENS, CRP) for a task,
* show on real renderings which musical differences chroma ignores (timbre, dynamics, local tempo) and
  how to handle the ones it does not (key, tuning), and
* compute chroma from a score so that sheet music and audio can be compared directly.

**Contents**
1. [Pitch and pitch class](#1-Pitch-and-pitch-class)
2. [The spectrogram and its trouble with low notes](#2-The-spectrogram-and-its-trouble-with-low-notes)
3. [A pitch filterbank](#3-A-pitch-filterbank)
4. [Chroma](#4-Chroma)
5. [Invariances](#5-Invariances)
6. [Explore the parameters](#6-Explore-the-parameters)
7. [Chroma variants compared](#7-Chroma-variants-compared)
8. [Exercises](#8-Exercises)
9. [Further reading](#9-Further-reading)

The code lives in `cmr.chroma` (all features and their post-processing)
and `cmr.filterbank` (the pitch filterbank); the figures are drawn by
`cmr.plot.chroma` and the widget is `cmr.widgets.chroma`.
"""),
    code(r"""
import time
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
from IPython.display import display
from scipy.signal import resample_poly

import cmr
from cmr import audio, chroma as ch, filterbank as fb, synth
from cmr.plot import audio as player
from cmr.plot import chroma as cplot

SR = audio.DEFAULT_SR  # 22050 Hz, the rate of every signal in the workbook
pd.set_option("display.precision", 3)


def listen(y, seconds=None):
    # a normalised player for the first `seconds` of y, at 11025 Hz to keep the saved notebook small
    seg = np.asarray(y[: None if seconds is None else int(seconds * SR)], dtype=np.float64)
    return player(resample_poly(seg, 1, 2).astype(np.float32), SR // 2)


def example(piece, version):
    # audio and exact ground truth of one rendered example version
    return audio.load_example(piece, version), synth.load_example_truth(piece, version)
"""),
    # ------------------------------------------------------------------ 1
    md(r"""
## 1 Pitch and pitch class

Western music names its notes on a logarithmic scale: going up one
semitone multiplies the fundamental frequency by $2^{1/12} \approx 1.0595$,
going up an octave (12 semitones) doubles it. With the MIDI numbering
(middle C = C4 = 60, concert A = A4 = 69 = 440 Hz) and equal temperament,

$$ f(p) = 440\,\mathrm{Hz}\cdot 2^{(p-69)/12}, \qquad p = 69 + 12\log_2\frac{f}{440\,\mathrm{Hz}}. $$

Two notes an octave apart sound so alike that music theory gives them the
same name: the *pitch class* $c = p \bmod 12$ ($0 = $ C, $1 = $ C&sharp;, ...,
$11 = $ B). A pitch is thus a pair (octave, pitch class), and the pitch
classes form a circle. The *chroma* of a sound is its distribution over
these twelve classes; it keeps the harmony and the melody's note names and
throws away the octave, and with it much of what depends on the
instrument.

The table lists the C's of the piano and the note A4; the player below
sounds C3, C4 and C5 (each with a few harmonics): three different pitches,
one pitch class.
"""),
    code(r"""
rows = []
for p in [24, 36, 48, 60, 69, 72, 84, 96, 108]:
    rows.append({"MIDI": p, "name": cplot.note_name(p), "frequency (Hz)": round(float(fb.pitch_frequency(p)), 2),
                 "pitch class": p % 12, "class name": ch.PITCH_CLASSES[p % 12]})
print(pd.DataFrame(rows).to_string(index=False))
""", check=True),
    code(r"""
def harmonic_tone(midi, seconds=1.0, cents=0.0, amps=(1.0, 0.5, 0.25)):
    t = np.arange(int(seconds * SR)) / SR
    f0 = float(fb.pitch_frequency(midi, cents))
    y = sum(a * np.sin(2 * np.pi * f0 * (k + 1) * t) for k, a in enumerate(amps))
    return (0.2 * y * np.hanning(t.size) ** 0.1).astype(np.float32)

octaves = np.concatenate([harmonic_tone(48), harmonic_tone(60), harmonic_tone(72)])
display(listen(octaves))
"""),
    # ------------------------------------------------------------------ 2
    md(r"""
## 2 The spectrogram and its trouble with low notes

The short-time Fourier transform (STFT) cuts the signal $x$ into windows
of $N$ samples, hop $H$, and measures the energy at equally spaced
frequencies:

$$ X(n, k) = \sum_{r=0}^{N-1} x(r + nH)\, w(r)\, e^{-2\pi i k r / N}, \qquad
   f_k = k\,\frac{f_s}{N}. $$

Its bins are spaced $f_s/N$ Hz apart everywhere, while semitones are
spaced $f(p)\,(2^{1/12}-1) \approx 0.06\, f(p)$ apart: 1.6 Hz at A0 but
209 Hz at A7. A 4096-sample window at 22050 Hz (186 ms) has 5.4 Hz bins,
so below about 90 Hz neighbouring piano keys lie less than one bin apart
(around A0 three keys share a bin, see the table below), while at the top
one semitone spans dozens of bins. Chroma from an STFT (librosa's
`chroma_stft`) hands every bin to the pitch classes around its centre
frequency with Gaussian weights, which widen where a bin is wider than a
semitone, and by default weights the octaves around C5 most. That works in
the middle register and blurs the bass.

The figure shows the first 10 s of Bach's C major prelude (piano). White
lines mark the 49 semitones from C2 to C6: see how they crowd together at
the bottom.
"""),
    code(r"""
y_bach, truth_bach = example("bach-bwv846", "piano")
excerpt = y_bach[: 10 * SR]
fig, ax = plt.subplots(figsize=(10, 3.5))
cplot.spectrogram(excerpt, SR, n_fft=4096, hop_length=512, fmax=1100, ax=ax, mark_pitches=range(36, 85),
                  title="STFT magnitude (4096-sample window), Bach BWV 846, piano")
plt.show(); plt.close(fig)
display(listen(excerpt))
"""),
    code(r"""
n_fft = 4096
print(f"STFT bin spacing: {SR / n_fft:.2f} Hz")
for p in [21, 33, 45, 57, 69, 81, 93]:
    f = float(fb.pitch_frequency(p))
    print(f"{cplot.note_name(p):>3s}: {f:8.2f} Hz, next semitone {f * (2 ** (1 / 12) - 1):7.2f} Hz higher "
          f"= {f * (2 ** (1 / 12) - 1) / (SR / n_fft):6.2f} bins")
""", check=True),
    # ------------------------------------------------------------------ 3
    md(r"""
## 3 A pitch filterbank

Instead of equally spaced bins we can build one band-pass filter per piano
key, each exactly as wide as its semitone requires. The chroma toolbox
(Müller & Ewert, 2011) does this with 88 elliptic IIR filters; `cmr.filterbank`
follows it:

* filter $p$ is centred at $f(p)$ with quality factor $Q = f/\Delta f = 25$: the pass band is
  $f(p)\,(1 \pm \tfrac{1}{2Q})$ (about $\pm 35$ cents, 1 dB ripple), the stop band starts at
  $f(p)\,(1 \pm \tfrac{1}{Q})$ and is 50 dB down, so the neighbouring semitones are rejected;
* the signal is filtered forwards and then backwards (zero phase, no delay, and the magnitude response
  squared: 100 dB stop band);
* the *short-time mean power* of every band signal $x_p$ over a window of $W$ seconds centred at frame
  $n$ gives the pitch feature

$$ P(p, n) = \frac{1}{W f_s} \sum_{m:\ |m/f_s - n/r| < W/2} x_p(m)^2, $$

with feature rate $r$ (frames per second); by default $W = 2/r$.

**Multirate.** A 1.1 Hz wide filter at 27.5 Hz designed for 22050 Hz has
poles within $2 \cdot 10^{-5}$ of the unit circle: numerically fragile, and
wasteful, since the band signal needs only a few hundred samples per
second. So the signal is low-passed and halved in rate octave by octave,
and every octave of filters runs at the lowest rate that still holds its
top frequency (at most 0.4 of the rate). The table shows the plan for a
22050 Hz input: the top octave runs at 11025 Hz, the lowest notes at
172 Hz, and the total work is about that of filtering twelve notes at the
full rate once.
"""),
    code(r"""
print(pd.DataFrame([{**row, "relative_freq": f"{row['relative_freq'][0]:.2f}-{row['relative_freq'][1]:.2f}"}
                    for row in fb.multirate_table(SR)]).to_string(index=False))
""", check=True),
    code(r"""
fig, axes = plt.subplots(1, 2, figsize=(12, 3.2), constrained_layout=True)
cplot.filter_responses([21, 60, 69, 108], ax=axes[0], title="four filters, relative to their centre")
f, g, fs = fb.frequency_response(69)
for p in (68, 69, 70):
    f, g, fs = fb.frequency_response(p)
    axes[1].plot(f, g, label=cplot.note_name(p))
axes[1].set_xlim(380, 500); axes[1].set_ylim(-120, 5)
axes[1].set_xlabel("frequency (Hz)"); axes[1].set_ylabel("gain (dB)"); axes[1].legend(fontsize=8)
axes[1].set_title("neighbouring filters G#4, A4, A#4", fontsize=10); axes[1].grid(alpha=0.3)
plt.show(); plt.close(fig)
"""),
    md(r"""
What the library does for one pitch fits in a few lines of scipy: design
the filter, filter forwards and backwards, square, average over the
windows. `cmr.filterbank` does the same for all 88 pitches at once, in
float32 with all filters of an octave running side by side in one numba
loop, which is what makes it fast (see the benchmark in
`benchmarks/RESULTS.md`). Here is the direct version for A4, checked
against the library:
"""),
    code(r"""
from scipy import signal

def pitch_power_direct(y, sr, midi, feature_rate=10.0):
    fs = sr / 2 ** 4                                    # A4 (440 Hz) runs at 1378 Hz in the library
    x = signal.resample_poly(y.astype(np.float64), 1, 16)
    sos = fb.design_filter(float(fb.pitch_frequency(midi)), fs)
    z = signal.sosfilt(sos, signal.sosfilt(sos, x)[::-1])[::-1] ** 2   # forward, backward, square
    cum = np.concatenate([[0.0], np.cumsum(z)])
    centres = np.arange(1 + int(len(y) / sr * feature_rate)) / feature_rate
    lo = np.clip((centres - 1 / feature_rate) * fs, 0, len(z))
    hi = np.clip((centres + 1 / feature_rate) * fs, 0, len(z))
    idx = np.arange(cum.size)
    return (np.interp(hi, idx, cum) - np.interp(lo, idx, cum)) / (2 / feature_rate * fs)

direct = pitch_power_direct(excerpt, SR, 69)
library = ch.pitch_features(excerpt, SR, feature_rate=10.0)[69 - 21]
print(f"A4 power, direct vs library: correlation {np.corrcoef(direct, library)[0, 1]:.3f}, "
      f"mean ratio {np.mean(direct[5:-5]) / np.mean(library[5:-5]):.2f}")
""", check=True),
    md(r"""
Now all 88 pitches of the Bach excerpt at 10 frames per second. The raw
energies span several orders of magnitude, so the figure shows them after
log compression $\log(1 + \gamma P)$ (section 4). The broken chords of the
prelude appear as staircases; above each note you can see its harmonics
(an octave, an octave and a fifth, two octaves higher).
"""),
    code(r"""
t0 = time.perf_counter()
P = ch.pitch_features(excerpt, SR, feature_rate=10.0)
print(f"pitch features: shape {P.shape}, computed in {time.perf_counter() - t0:.3f} s")
fig, ax = plt.subplots(figsize=(10, 3.8))
cplot.pitchgram(ch.log_compress(P, 100, ref="max"), 10.0, ax=ax, pitch_range=(30, 100),
                title="log-compressed pitch features (IIR filterbank), 10 Hz")
plt.show(); plt.close(fig)
"""),
    # ------------------------------------------------------------------ 4
    md(r"""
## 4 Chroma

Folding the pitch axis onto the twelve pitch classes gives the chroma
features:

$$ C(c, n) = \sum_{p\,:\ p \bmod 12 = c} P(p, n), \qquad c = 0, \dots, 11. $$

To compare frames independently of how loud they are, each frame is
normalised; silent frames (norm below a small threshold $\varepsilon$,
relative to the loudest frame) get the flat vector instead of amplified
noise or a division by zero:

$$ \hat C(\cdot, n) = \begin{cases} C(\cdot, n) / \lVert C(\cdot, n) \rVert_2 & \lVert C(\cdot, n) \rVert_2 > \varepsilon \\
   (1, \dots, 1)/\sqrt{12} & \text{otherwise.} \end{cases} $$

Because the renderings come with their notes, we can compute the chroma the
*score* predicts, `symbolic_chroma`: every note adds the time it overlaps a
frame to its pitch class. Audio chroma and score chroma live on the same
time grid (frame $n$ is centred at $n/r$ seconds), so they can be compared
frame by frame with the cosine similarity. That is the bridge between
sheet music and recordings used in notebooks 02 and 06.
"""),
    code(r"""
C_raw = ch.pitch_to_chroma(P)
C = ch.normalize(C_raw, "l2")
notes_10s = truth_bach.notes[truth_bach.notes.start < 10]
C_score = ch.symbolic_chroma(notes_10s, feature_rate=10.0, duration=len(excerpt) / SR)
fig, axes = plt.subplots(3, 1, figsize=(10, 6.5), sharex=True, constrained_layout=True)
cplot.chromagram(C_raw, 10.0, ax=axes[0], title="chroma energies (folded pitch features)", xlabel=False)
cplot.chromagram(C, 10.0, ax=axes[1], title="l2-normalised chroma", xlabel=False)
cplot.chromagram(C_score, 10.0, ax=axes[2], title="chroma of the score's notes (symbolic_chroma)")
plt.show(); plt.close(fig)
print(f"mean cosine similarity, audio chroma vs score chroma: {ch.frame_cosine(C, C_score).mean():.2f}")
""", check=True),
    # ------------------------------------------------------------------ 5
    md(r"""
## 5 Invariances

A feature for finding *the same music* must stay the same when the
performance changes and change when the music changes. We test chroma on
renderings that differ in exactly one respect at a time. Because the
renderings come with exact ground truth, we can compare two versions frame
by frame at *corresponding score positions* (`ch.aligned_similarity`, which
maps times through `cmr.synth.map_time`), without any alignment algorithm.

### 5.1 Timbre

Bach's chorale BWV 66.6 played on an organ and by a string ensemble. The
88 pitch features differ a lot (the organ's stops add octaves and fifths,
the strings' spectra fall off differently); folded to chroma, most of the
difference disappears.
"""),
    code(r"""
y_org, tr_org = example("bach-bwv66.6", "organ")
y_str, tr_str = example("bach-bwv66.6", "strings")
P_org = ch.pitch_features(y_org, SR, feature_rate=10.0)
P_str = ch.pitch_features(y_str, SR, feature_rate=10.0)
C_org, C_str = ch.normalize(ch.pitch_to_chroma(P_org)), ch.normalize(ch.pitch_to_chroma(P_str))
sim_pitch = ch.aligned_similarity(ch.normalize(P_org), ch.normalize(P_str), 10.0, tr_org, tr_str)
sim_chroma = ch.aligned_similarity(C_org, C_str, 10.0, tr_org, tr_str)
print(f"organ vs strings at corresponding positions: pitch features {sim_pitch:.2f}, chroma {sim_chroma:.2f}")
""", check=True),
    code(r"""
fig = cplot.chroma_grid([(C_org, 10.0, "organ"), (C_str, 10.0, "strings")], ncols=2, width=12)
plt.show(); plt.close(fig)
display(listen(y_org, 12), listen(y_str, 12))
"""),
    md(r"""
### 5.2 Dynamics and normalisation

Two renderings of the first bars of Mozart's sonata K. 545 with identical
notes: one at constant loudness, one with a crescendo from very soft
(velocity x 0.15) to loud. The raw chroma energies differ by more than
20 dB at the start; after normalisation the frames agree closely (the
remaining difference is the piano's timbre, which gets brighter when it
is played harder). Log compression $\log(1+\gamma C)$ is the other tool
against dynamics: it lifts quiet notes *within* a frame, so a soft inner
voice counts nearly as much as a loud melody.

Rendering takes a few seconds the first time (the SoundFont is loaded).
"""),
    code(r"""
truth_moz = synth.load_example_truth("mozart-k545", "piano")
bars = truth_moz.notes[truth_moz.notes.start_beat < 16][["start_beat", "end_beat", "pitch", "velocity", "part"]]
base = synth.Version(name="piano", programs=0, bpm=truth_moz.version.bpm, tail=0.5)
r_flat = synth.render(bars, base)
r_cresc = synth.render(bars, base.replace(name="crescendo", dynamics_curve=((0.0, 0.15), (16.0, 1.6))))
E_flat = ch.chroma_iir(r_flat.audio, SR, feature_rate=10.0, norm=None)
E_cresc = ch.chroma_iir(r_cresc.audio, SR, feature_rate=10.0, norm=None) * (r_cresc.truth.meta["gain"] ** -2)
E_flat = E_flat * (r_flat.truth.meta["gain"] ** -2)  # undo the renderer's peak normalisation
n = min(E_flat.shape[1], E_cresc.shape[1])
level = 10 * np.log10(E_cresc[:, :n].sum(0) + 1e-12) - 10 * np.log10(E_flat[:, :n].sum(0) + 1e-12)
raw_dist = np.linalg.norm(E_flat[:, :n] / E_flat.max() - E_cresc[:, :n] / E_flat.max(), axis=0).mean()
norm_dist = np.linalg.norm(ch.normalize(E_flat)[:, :n] - ch.normalize(E_cresc)[:, :n], axis=0).mean()
print(f"level difference crescendo - flat: {level[5]:.0f} dB at 0.5 s, {level[n - 15]:.0f} dB near the end")
print(f"mean distance between frames: raw energies {raw_dist:.2f}, normalised {norm_dist:.2f}")
""", check=True),
    code(r"""
fig = cplot.chroma_grid([(E_flat / E_flat.max(), 10.0, "flat dynamics: energies"),
                         (E_cresc / E_flat.max(), 10.0, "crescendo: energies (same scale)"),
                         (ch.normalize(E_flat), 10.0, "flat dynamics: normalised"),
                         (ch.normalize(E_cresc), 10.0, "crescendo: normalised")], ncols=2, width=12)
plt.show(); plt.close(fig)
display(listen(r_flat.audio), listen(r_cresc.audio))
"""),
    md(r"""
### 5.3 Local tempo and smoothing

`piano-rubato` plays K. 545 with a smoothly varying tempo. Stretching it
linearly to the length of the plain version undoes the overall duration
but not the local tempo changes, so frames drift apart. Averaging each
chroma band over a longer window (`ch.smooth`, a Hann window of $L$
frames) makes every frame a summary of a few seconds of harmony, which
the drift hardly changes. CENS (chroma energy normalised statistics,
Müller et al. 2005) goes further: it quantises the l1-normalised values
(thresholds 0.05, 0.1, 0.2, 0.4), smooths, downsamples to e.g. 1 Hz and
normalises again.

The price: a smoothed feature also blurs the differences between
*different* passages. The last column compares the plain version with a
different piece (Haydn's quartet) in the same way: it rises too.
"""),
    code(r"""
y_moz, tr_moz = example("mozart-k545", "piano")
y_rub, tr_rub = example("mozart-k545", "piano-rubato")
y_hay, _ = example("haydn-op74no1", "quartet")
E_moz = ch.chroma_iir(y_moz, SR, feature_rate=10.0, norm=None)
E_rub = ch.chroma_iir(y_rub, SR, feature_rate=10.0, norm=None)
E_hay = ch.chroma_iir(y_hay, SR, feature_rate=10.0, norm=None)
rows = []
for L in [1, 5, 11, 21, 41, 81]:
    A, B, D = ch.smooth(E_moz, L), ch.smooth(E_rub, L), ch.smooth(E_hay, L)
    rows.append({"smoothing L (frames)": L, "window (s)": L / 10,
                 "rubato, linear stretch": ch.stretched_similarity(A, B),
                 "rubato, true alignment": ch.aligned_similarity(A, B, 10.0, tr_moz, tr_rub),
                 "other piece (Haydn)": ch.stretched_similarity(A, D)})
print(pd.DataFrame(rows).round(2).to_string(index=False))
""", check=True),
    code(r"""
Z_moz, rate = ch.cens(E_moz, 10.0, smooth_len=41, downsample=10)
Z_rub, _ = ch.cens(E_rub, 10.0, smooth_len=41, downsample=10)
fig = cplot.chroma_grid([(ch.normalize(E_moz), 10.0, "piano, chroma 10 Hz"),
                         (ch.normalize(E_rub), 10.0, "piano-rubato, chroma 10 Hz"),
                         (Z_moz, rate, f"piano, CENS 41-10 ({rate:g} Hz)"),
                         (Z_rub, rate, f"piano-rubato, CENS 41-10 ({rate:g} Hz)")], ncols=2, width=12)
plt.show(); plt.close(fig)
display(listen(y_moz, 15), listen(y_rub, 15))
"""),
    md(r"""
### 5.4 Key: cyclic shifts

Transposing a piece by $k$ semitones moves every pitch class from $c$ to
$(c+k) \bmod 12$: the chroma rotates. `ch.shift(C, k)` applies the same
rotation, so two versions in different keys are compared by trying all
twelve shifts and keeping the best. Beethoven's quartet and a piano
arrangement one semitone higher (and 15 % slower):
"""),
    code(r"""
y_q, tr_q = example("beethoven-op18no1", "quartet")
y_up, tr_up = example("beethoven-op18no1", "piano-up1")
C_q = ch.chroma_iir(y_q, SR, feature_rate=10.0)
C_up = ch.chroma_iir(y_up, SR, feature_rate=10.0)
sims = [ch.aligned_similarity(ch.shift(C_q, k), C_up, 10.0, tr_q, tr_up) for k in range(12)]
print("similarity for shifts 0..11:", np.round(sims, 2))
print(f"best shift: {int(np.argmax(sims))} semitone(s) up")
""", check=True),
    code(r"""
fig, ax = plt.subplots(figsize=(6, 2.5))
cplot.shift_similarities(sims, ax=ax, title="quartet shifted by k vs piano version (one semitone up)")
plt.show(); plt.close(fig)
display(listen(y_q, 10), listen(y_up, 10))
"""),
    md(r"""
### 5.5 Tuning

An ensemble may tune A4 to 445 Hz instead of 440 Hz (+20 cents), a
historical performance to 415 Hz (-100 cents, a semitone). Small offsets
move the notes towards the edges of the filters' pass bands (about
$\pm 35$ cents), and at 50 cents a note sits exactly between two filters
and leaks into both. `ch.estimate_tuning` finds the offset from the
positions of the strongest spectral peaks relative to the equal-tempered
grid; passing it to the feature shifts all filter centres by the same
number of cents.

We render the Mozart bars in tune and 45 cents sharp, with everything
else equal:
"""),
    code(r"""
r_sharp = synth.render(bars, base.replace(name="sharp", tuning_cents=45.0))
cents = ch.estimate_tuning(r_sharp.audio, SR)
print(f"estimated tuning: in-tune rendering {ch.estimate_tuning(r_flat.audio, SR):+.0f} cents, "
      f"sharp rendering {cents:+.0f} cents")
C_in = ch.chroma_iir(r_flat.audio, SR, feature_rate=10.0)
n = C_in.shape[1]
for label, tc in [("no compensation", 0.0), ("compensated", cents)]:
    C_sh = ch.chroma_iir(r_sharp.audio, SR, feature_rate=10.0, tuning_cents=tc)[:, :n]
    C_st = ch.chroma_stft(r_sharp.audio, SR, tuning=tc)[:, :n]
    print(f"{label:16s}: IIR chroma similarity {ch.frame_cosine(C_in, C_sh).mean():.2f}, "
          f"STFT chroma similarity {ch.frame_cosine(ch.chroma_stft(r_flat.audio, SR, tuning=0.0), C_st).mean():.2f}")
""", check=True),
    code(r"""
fig = cplot.chroma_grid([(C_in, 10.0, "in tune"),
                         (ch.chroma_iir(r_sharp.audio, SR, feature_rate=10.0, tuning_cents=0.0), 10.0,
                          "45 cents sharp, no compensation"),
                         (ch.chroma_iir(r_sharp.audio, SR, feature_rate=10.0, tuning_cents=cents), 10.0,
                          f"45 cents sharp, compensated ({cents:+.0f} cents)")], ncols=3, width=13)
plt.show(); plt.close(fig)
display(listen(r_flat.audio), listen(r_sharp.audio))
"""),
    # ------------------------------------------------------------------ 6
    md(r"""
## 6 Explore the parameters

The widget computes the chromagrams of two versions of Mozart's K. 545 and
redraws them whenever you change a parameter: the feature type, the
feature rate, log compression, the normalisation, the smoothing length
and CENS quantisation. Below the figure it reports the mean cosine
similarity of the two chromagrams at corresponding score positions, and
the players play the excerpt shown. Things to try:

* `piano` vs `piano-rubato`, smoothing 1 then 21: the figures look alike
  at a glance either way, but the similarity rises;
* `piano` vs `epiano-bb` (two semitones lower, 15 cents sharp): the pattern
  moves down by two rows;
* normalisation `none` with log compression off, then gamma 100: quiet
  notes appear;
* the CQT feature (slower: it is computed the first time you pick it).
"""),
    code(r"""
from cmr.widgets.chroma import chroma_explorer

names = ["piano", "piano-rubato", "epiano-bb", "vibraphone-room"]
moz_audio = {v: audio.load_example("mozart-k545", v) for v in names}
moz_truth = {v: synth.load_example_truth("mozart-k545", v) for v in names}
chroma_explorer(moz_audio, SR, left="piano", right="piano-rubato", truths=moz_truth, play_sr=SR // 2)
"""),
    # ------------------------------------------------------------------ 7
    md(r"""
## 7 Chroma variants compared

The same idea has many implementations. On the first 15 s of the Bach
prelude, played on the piano and on a church organ (slower, with
reverberation), we compute:

| variant | what it is |
|---|---|
| STFT | librosa `chroma_stft`: power spectrogram bins spread onto the pitch classes around their frequency (Gaussian weights) |
| CQT | librosa `chroma_cqt`: constant-Q transform, 3 bins per semitone, folded |
| IIR | our filterbank: 88 pitch energies folded to 12 |
| IIR + log (CLP) | log compression $\log(1+100\,P)$ of the pitch energies before folding |
| CENS | quantised and smoothed (21 frames) IIR chroma |
| CRP | log pitch energies, the 55 lowest coefficients of their DCT (the spectral envelope, i.e. timbre) removed, folded (Müller & Ewert 2010) |

and measure two things: how well the feature agrees with the score's
chroma (the notes of the piano version), and how similar the piano and
organ versions are at corresponding positions (timbre invariance). The
CRP values can be negative, so the score agreement of CRP is not on the
same footing; its strength is the second column.
"""),
    code(r"""
y_p = y_bach[: 15 * SR]
y_o_full, tr_o = example("bach-bwv846", "organ-church")
y_o = y_o_full[: 20 * SR]  # the organ is slower: 20 s cover the same music
score_p = ch.symbolic_chroma(truth_bach.notes, 10.0, duration=15.0)

def variants(y):
    P = ch.pitch_features(y, SR, feature_rate=10.0)
    return {
        "STFT": ch.chroma_stft(y, SR, n_fft=4410, hop_length=2205, tuning=0.0),
        "CQT": ch.chroma_cqt(y, SR, hop_length=2205, tuning=0.0),
        "IIR": ch.normalize(ch.pitch_to_chroma(P)),
        "IIR + log (CLP)": ch.normalize(ch.pitch_to_chroma(ch.log_compress(P, 100, ref="max"))),
        "CENS": ch.cens(ch.pitch_to_chroma(P), 10.0, smooth_len=21, downsample=1)[0],
        "CRP": ch.crp(P, n_remove=55),
    }

V_p, V_o = variants(y_p), variants(y_o)
rows = []
for name in V_p:
    A = V_p[name][:, : score_p.shape[1]]
    rows.append({"variant": name, "agreement with score": ch.frame_cosine(A, score_p[:, : A.shape[1]]).mean(),
                 "piano vs organ": ch.aligned_similarity(V_p[name], V_o[name], 10.0, truth_bach, tr_o)})
print(pd.DataFrame(rows).round(2).to_string(index=False))
""", check=True),
    code(r"""
fig = cplot.chroma_grid([(V_p[k], 10.0, f"{k} (piano)") for k in V_p], ncols=2, width=12, row_height=2.0)
plt.show(); plt.close(fig)
"""),
    md(r"""
Reading the table: all variants recognise the organ version as the same
music, but the plain STFT and IIR chroma least clearly; log compression,
smoothing (CENS) and removing the spectral envelope (CRP) all raise the
piano-organ similarity, because each of them reduces what the instrument
contributes. Agreement with the score is highest for the CQT and the
log-compressed filterbank, whose frames look most like the score's "one
note, one pitch class" picture; CRP, built to discard timbre rather than
to mirror the notes, agrees least. Speed matters too when a
collection holds hours of audio: `benchmarks/bench_chroma.py` measures
the filterbank chroma against librosa's STFT and CQT chroma (results in
`benchmarks/RESULTS.md`).

The one-call interface for later notebooks is
`C, rate = ch.chroma(y, sr, kind="iir" | "stft" | "cqt" | "crp" | "cens", feature_rate=...)`;
it always returns the feature rate with the features.
"""),
    # ------------------------------------------------------------------ 8
    md(r"""
## 8 Exercises

**Exercise 1 (octaves).** Make the tones C3 and C5 with `harmonic_tone`
(section 1). Compute their pitch features and their chroma with the IIR
filterbank. Which pitch has the most energy in each case, which chroma bin,
and how similar are the two chroma vectors (cosine)?
"""),
    code("# your code here\n"),
    code(r"""
# Solution
for midi in (48, 72):
    y = harmonic_tone(midi, seconds=2.0)
    P_t = ch.pitch_features(y, SR, feature_rate=10.0)[:, 5:15].mean(axis=1)
    C_t = ch.chroma_iir(y, SR, feature_rate=10.0)[:, 5:15].mean(axis=1)
    print(f"{cplot.note_name(midi)}: strongest pitch {cplot.note_name(21 + P_t.argmax())}, "
          f"strongest chroma bin {ch.PITCH_CLASSES[C_t.argmax()]}, "
          f"chroma C {C_t[0]:.2f}, G {C_t[7]:.2f} (l2-normalised)")
c3 = ch.chroma_iir(harmonic_tone(48, 2.0), SR, feature_rate=10.0)[:, 5:15]
c5 = ch.chroma_iir(harmonic_tone(72, 2.0), SR, feature_rate=10.0)[:, 5:15]
print(f"mean cosine similarity of the two chromagrams: {ch.frame_cosine(c3, c5).mean():.2f}")
# The third harmonic (a twelfth above, amplitude 0.25) puts a little energy on G, in both cases.
""", hidden=True, check=True),
    md(r"""
**Exercise 2 (key).** Schubert's *Der Lindenbaum* exists in the example set
as `clarinet-piano` and `cello-piano-down5`. By how many semitones is the
second one transposed? Find out from the chroma alone (use
`ch.shift` and `ch.aligned_similarity`), then check against the manifest
(`audio.examples()`).
"""),
    code("# your code here\n"),
    code(r"""
# Solution
y_a, t_a = example("schubert-lindenbaum", "clarinet-piano")
y_b, t_b = example("schubert-lindenbaum", "cello-piano-down5")
C_a, rate = ch.chroma(y_a, SR, kind="cens", feature_rate=2.0)
C_b, _ = ch.chroma(y_b, SR, kind="cens", feature_rate=2.0)
sims = [ch.aligned_similarity(ch.shift(C_a, k), C_b, rate, t_a, t_b) for k in range(12)]
k = int(np.argmax(sims))
print(f"best shift {k} (= {k - 12} semitones), similarity {sims[k]:.2f}")
ex = audio.examples()
print("manifest transpose:", int(ex[(ex.piece == "schubert-lindenbaum") & (ex.version == "cello-piano-down5")]
                                  ["transpose"].iloc[0]))
""", hidden=True, check=True),
    md(r"""
**Exercise 3 (how much smoothing?).** Haydn's quartet exists as `quartet`
and `quartet-rubato`. For smoothing lengths 1, 5, 11, 21, 41 and 81
frames at 10 Hz, compute the linearly stretched similarity between the
two versions, and between `quartet` and a *different* piece (Beethoven's
`quartet`). Which length separates "same piece" from "different piece" best
(largest difference)?
"""),
    code("# your code here\n"),
    code(r"""
# Solution
ya, _ = example("haydn-op74no1", "quartet")
yb, _ = example("haydn-op74no1", "quartet-rubato")
yc, _ = example("beethoven-op18no1", "quartet")
Ea, Eb, Ec = (ch.chroma_iir(v, SR, feature_rate=10.0, norm=None) for v in (ya, yb, yc))
rows = []
for L in [1, 5, 11, 21, 41, 81]:
    same = ch.stretched_similarity(ch.smooth(Ea, L), ch.smooth(Eb, L))
    other = ch.stretched_similarity(ch.smooth(Ea, L), ch.smooth(Ec, L))
    rows.append({"L": L, "same piece": same, "other piece": other, "difference": same - other})
table = pd.DataFrame(rows).round(2)
print(table.to_string(index=False))
print("best separation at L =", int(table.loc[table.difference.idxmax(), "L"]))
# Haydn's rubato is mild, so smoothing mostly costs discrimination here. For the Mozart pair of
# section 5.3 (stronger rubato) the difference peaks at about 20 frames (2 s): the right amount of
# smoothing depends on how much the tempo of the versions to be matched wanders.
""", hidden=True, check=True),
    md(r"""
**Exercise 4 (tuning).** Estimate the tuning of every version of the
Mozart sonata in the example set and compare with the `tuning_cents`
column of `audio.examples()`. Which version is off, and by how much?
"""),
    code("# your code here\n"),
    code(r"""
# Solution
ex = audio.examples()
for _, row in ex[ex.piece == "mozart-k545"].iterrows():
    est = ch.estimate_tuning(audio.load_example("mozart-k545", row.version), SR)
    print(f"{row.version:16s} rendered {row.tuning_cents:+5.0f} cents, estimated {est:+4.0f} cents")
""", hidden=True, check=True),
    # ------------------------------------------------------------------ 9
    md(r"""
## 9 Further reading

* T. Fujishima: *Realtime chord recognition of musical sound: a system using Common Lisp Music.*
  Proc. International Computer Music Conference (ICMC), 1999. The pitch class profile.
* M. A. Bartsch, G. H. Wakefield: *Audio thumbnailing of popular music using chroma-based
  representations.* IEEE Transactions on Multimedia 7(1), 2005.
* M. Müller, F. Kurth, M. Clausen: *Audio matching via chroma-based statistical features.*
  Proc. ISMIR, 2005. CENS.
* M. Müller, S. Ewert: *Towards timbre-invariant audio features for harmony-based music.*
  IEEE Transactions on Audio, Speech, and Language Processing 18(3), 2010. CRP.
* M. Müller, S. Ewert: *Chroma Toolbox: MATLAB implementations for extracting variants of
  chroma-based audio features.* Proc. ISMIR, 2011. The multirate filterbank followed here.
* E. Gómez: *Tonal description of polyphonic audio for music content processing.* INFORMS Journal on
  Computing 18(3), 2006. Harmonic pitch class profiles and tuning estimation.
* J. C. Brown: *Calculation of a constant Q spectral transform.* Journal of the Acoustical Society of
  America 89(1), 1991.
* R. N. Shepard: *Circularity in judgments of relative pitch.* Journal of the Acoustical Society of
  America 36(12), 1964. Why octaves sound alike: the pitch helix.
* M. Müller: *Fundamentals of Music Processing.* Springer, 2015 (2nd ed. 2021), chapter 3.
* B. McFee et al.: *librosa: Audio and music signal analysis in Python.* Proc. SciPy, 2015.
"""),
    md(nav(PREV, NEXT)),
]


if __name__ == "__main__":
    path = write(NOTEBOOKS / NAME, cells)
    # timeout per cell: the widget cell can trip a known nbclient race (jupyter/nbclient#312) that
    # stalls until the timeout; every cell here runs in a few seconds
    print(f"{path}: executed in {execute(path, timeout=60):.1f} s")
