"""Build notebooks/07_Score_Viewer_and_Separation.ipynb."""
from nbtools import NOTEBOOKS, code, execute, md, nav, write

NAME = "07_Score_Viewer_and_Separation.ipynb"
PREV, NEXT = "06_Cross_Modal_Theme_Retrieval.ipynb", None

cells = [
    md(nav(PREV, NEXT)),
    md("""
# 07 · Applications: a score that follows the music, and voices taken apart

Synchronisation (notebook 02) tells us, for every beat of a score, when it
sounds in a recording. This notebook turns that knowledge into two
applications you can see and hear:

* a **Score Viewer**: the engraved score is shown while the recording
  plays, the sounding measure is marked, pages turn by themselves, and you
  can start the recording at any measure;
* **score-informed source separation**: the aligned notes tell where in the
  spectrogram each voice may sound, and that is enough to pull a chorale
  apart into soprano, alto, tenor and bass, or a song into voice and
  piano, and to remix it.

After this notebook you will be able to synchronise any score with a
recording of it and display the result, build time-frequency masks and a
score-constrained NMF from aligned notes, and measure separation quality in
dB (SDR) against true stems.

**Contents**
1. [From alignment to the sounding measure](#1-From-alignment-to-the-sounding-measure)
2. [The Score Viewer](#2-The-Score-Viewer)
3. [Your own score and recording](#3-Your-own-score-and-recording)
4. [Score-informed masks](#4-Score-informed-masks)
5. [Score-informed NMF](#5-Score-informed-NMF)
6. [How good is it: SDR over five pieces](#6-How-good-is-it:-SDR-over-five-pieces)
7. [Audio editing: change one voice](#7-Audio-editing:-change-one-voice)
8. [Exercises](#8-Exercises)
9. [Further reading](#9-Further-reading)
"""),
    code("""
%matplotlib inline
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
from IPython.display import display, HTML

import cmr
from cmr import scoreviewer as sv, separation as sep, synth, symbolic
from cmr.widgets import scoreviewer as svw
from scipy.signal import resample_poly

SR = cmr.audio.DEFAULT_SR
SR_PLAY = 11025  # the players below run at 11025 Hz: it keeps the saved notebook small


def player(x, sr, **kwargs):
    # cmr.plot.audio (short, peak-normalised) at SR_PLAY
    return cmr.plot.audio(resample_poly(np.asarray(x, dtype=np.float32), SR_PLAY, sr), SR_PLAY, **kwargs)
"""),
    md("""
## 1 From alignment to the sounding measure

A score-audio synchronisation gives a monotone map $\\tau$ from score
position $b$ (in beats, i.e. quarter notes from the start of the score) to
time in the recording (seconds). If measure $k$ starts at beat $b_k$, it
starts sounding at $t_k = \\tau(b_k)$, and the measure sounding at time $t$ is

$$m(t) = \\max\\{\\,k : t_k \\le t\\,\\}$$

(the first measure before anything has started). Everything the viewer
needs is therefore the list $t_1 < t_2 < \\dots$; verovio, the engraver,
gives us for every measure of the engraving its element in the SVG and its
start $b_k$ in beats.

Our example is the four-part chorale that closes Bach's cantata BWV 66
(music21's `bach/bwv66.6`) from the workbook's audio set, in the `strings` version, which is rendered with
its own tempo curve. We synchronise the score with the audio by DTW
(`cmr.sync.sync_score_audio`, notebook 02) and compare the measure starts
with the exact ground truth of the rendering.
"""),
    code("""
piece, version = "bach-bwv66.6", "strings"
y = cmr.audio.load_example(piece, version)
truth = synth.load_example_truth(piece, version)
engraved, starts, alignment = sv.follow("bach/bwv66.6", y, SR)
true_starts = truth.measure_times["start"].to_numpy()
table = pd.DataFrame({"measure": truth.measure_times["measure"],
                      "start by DTW (s)": starts.round(3),
                      "true start (s)": true_starts.round(3),
                      "error (ms)": ((starts - true_starts) * 1000).round(0)})
display(table)
player(y, SR, duration=20)
"""),
    code("""
err_ms = np.abs(starts - true_starts)[1:] * 1000
print(f"measure starts: mean absolute error {err_ms.mean():.0f} ms, max {err_ms.max():.0f} ms")
t = np.arange(0.0, truth.duration, 0.05)
agree = np.mean(sv.measure_at(t, starts) == sv.measure_at(t, true_starts))
print(f"the viewer shows the right measure {100 * agree:.1f} % of the time")
""", check=True),
    md("""
The pickup measure (measure 0, a single beat) is where errors are largest:
the first chord has no preceding onset to pin it down. Everywhere else the
highlighted measure is off only in the few tens of milliseconds around a
bar line.
"""),
    code("""
fig, ax = plt.subplots(figsize=(9, 2.6))
ax.step(t, sv.measure_at(t, true_starts), where="post", label="ground truth", lw=3, alpha=0.5)
ax.step(t, sv.measure_at(t, starts), where="post", label="from DTW", lw=1.2, color="k")
ax.set_xlabel("time (s)"); ax.set_ylabel("measure index")
ax.set_title("Which measure is sounding?"); ax.legend(loc="upper left")
plt.tight_layout(); plt.show()
"""),
    md("""
## 2 The Score Viewer

Move the slider, or press the play button next to it (it advances the
slider in real time), and the sounding measure turns red. "play from
measure" starts the recording at the chosen measure: this is the
measure-to-time direction of the same map. Both scores have two pages:
watch the page turn when the slider crosses measure 5 of the chorale, or
measure 9 of the Mozart sonata below.
"""),
    code("""
svw.score_viewer(engraved, starts, y, SR, title="BWV 66.6, strings version")
"""),
    code("""
y_mozart = cmr.audio.load_example("mozart-k545", "piano-rubato")
mozart = symbolic.excerpt(symbolic.load_score("mozart/k545/movement1"), 1, 12)
eng_mozart, starts_mozart, _ = sv.follow(mozart, y_mozart, SR)
truth_mozart = synth.load_example_truth("mozart-k545", "piano-rubato")
mozart_err = np.abs(starts_mozart - truth_mozart.measure_times["start"].to_numpy())[1:] * 1000
print(f"Mozart K. 545, rubato version: {eng_mozart.n_pages} pages, {len(starts_mozart)} measures, "
      f"mean measure-start error {mozart_err.mean():.0f} ms")
""", check=True),
    code("""
svw.score_viewer(eng_mozart, starts_mozart, y_mozart, SR, title="Mozart K. 545, piano-rubato version")
"""),
    md("""
In JupyterLab the audio player and the slider are separate: the notebook
kernel cannot read the position of the browser's audio player, so the
play button of the slider and the audio run side by side rather than
locked together. A dedicated web application would drive the highlight
from the player's clock; the mapping it would use is exactly `starts`.

## 3 Your own score and recording

Nothing above is specific to rendered audio. With a MusicXML (or MIDI,
or Humdrum) file of a piece and a recording of the same piece:

```python
y = cmr.audio.load("my_recording.wav")                 # any format soundfile/librosa reads
score = symbolic.load_score("my_score.musicxml")
engraved, starts, alignment = sv.follow(score, y, SR)   # engrave + synchronise
svw.score_viewer(engraved, starts, y, SR)
```

Keep in mind what the synchronisation assumes: the recording plays the
score from beginning to end once. Repeats that the performers take but the
score only marks with repeat signs, or cuts, need the score to be expanded
(`score.expandRepeats()` in music21) or cut the same way first. A
transposition is found automatically (the key shift of notebook 02).

## 4 Score-informed masks

Now the second application. Write $X(k, n)$ for the STFT of the recording
(frequency bin $k$, frame $n$) and suppose the aligned score says that part
$p$ plays pitch $q$ from $s$ to $e$ seconds. A pitch with fundamental
frequency $f_q = 440 \\cdot 2^{(q - 69 + c/100)/12}$ Hz (tuning offset $c$
cents) puts its energy near the harmonics $h f_q$. The note's *claim* on
the spectrogram is a harmonic comb, weighted $1/h$ and with a tolerance of a
few tens of cents around each harmonic, switched on from $s - \\delta_1$ to
$e + \\delta_2$ (tolerances for alignment errors and for the decay after
the note ends). Adding up the claims of the notes of part $p$ gives
$A_p(k, n) \\ge 0$, and the mask of part $p$ is its share

$$M_p(k, n) = \\frac{A_p(k, n)}{\\sum_{p'} A_{p'}(k, n)} \\qquad\\text{(equal shares where nobody claims the bin)},$$

so that $\\sum_p M_p = 1$: the separated parts $\\hat x_p = \\mathrm{ISTFT}(M_p \\odot X)$
add up to the recording.

For a chorale played by four instruments we know the truth: the renderer
gives us every voice on its own (the *stems*).
"""),
    code("""
chorale = symbolic.score_notes("bach/bwv66.6")
chorale = chorale[(chorale["measure"] >= 1) & (chorale["measure"] <= 5)]
voices = ["soprano (flute)", "alto (clarinet)", "tenor (viola)", "bass (cello)"]
r = synth.render(chorale, synth.Version(name="dry", programs=(73, 71, 41, 42), sections=((1, 5),),
                                        tempo_factor=1.1), stems=True)
print(f"{r.duration:.1f} s, {len(r.notes)} notes in {len(r.stems)} parts")
player(r.audio, SR)
"""),
    code("""
masked = sep.separate(r.audio, SR, r.notes, method="mask")
fig, axes = plt.subplots(1, 2, figsize=(11, 3.2), sharey=True, constrained_layout=True)
extent = [0, masked.masks.shape[2] * masked.hop_length / SR, 0, SR / 2]
for ax, p in zip(axes, [0, 3]):
    im = ax.imshow(masked.masks[p], origin="lower", aspect="auto", extent=extent, cmap="magma", vmin=0, vmax=1)
    ax.set_ylim(0, 3000); ax.set_xlabel("time (s)"); ax.set_title(f"mask of the {voices[p]}")
axes[0].set_ylabel("frequency (Hz)")
fig.colorbar(im, ax=list(axes), label="share of the bin $M_p$")
plt.show()
print("soprano, separated with masks:"); display(player(masked.audio[0], SR))
print("bass, separated with masks:"); display(player(masked.audio[3], SR))
"""),
    md("""
## 5 Score-informed NMF

The comb is a guess: real instruments do not have $1/h$ partials, and
where two voices share a harmonic the masks split the bin evenly. Non-negative
matrix factorisation lets the recording correct the guess. We approximate
the magnitude spectrogram $V = |X|$ as

$$V \\approx W H, \\qquad W \\in \\mathbb{R}_{\\ge 0}^{K \\times R},\\; H \\in \\mathbb{R}_{\\ge 0}^{R \\times N},$$

with one template (column of $W$) and one activation (row of $H$) per
(part, pitch) of the score. The multiplicative updates for the Euclidean
distance,

$$H \\leftarrow H \\odot \\frac{W^\\top V}{W^\\top W H}, \\qquad W \\leftarrow W \\odot \\frac{V H^\\top}{W H H^\\top},$$

never turn a zero into anything else. So we *initialise* $W$ with the
harmonic combs (zero away from the harmonics) and $H$ with ones where the
aligned score lets the note sound and zeros elsewhere; the updates then
learn the real timbre and loudness of every note while the score's
constraints stay in force (Ewert and Müller, 2012). Part $p$'s estimate
$W_p H_p$ (its columns and rows only) replaces $A_p$ in the mask formula.
"""),
    code("""
refined = sep.separate(r.audio, SR, r.notes, method="nmf")
rows = []
for p in range(4):
    rows.append({"part": voices[p],
                 "SDR masks (dB)": round(sep.sdr(r.stems[p], masked.audio[p]), 1),
                 "SDR NMF (dB)": round(sep.sdr(r.stems[p], refined.audio[p]), 1)})
pd.DataFrame(rows)
""", check=True),
    code("""
print("soprano, separated with NMF:"); display(player(refined.audio[0], SR))
print("soprano, the true stem:"); display(player(r.stems[0], SR))
"""),
    md("""
The signal-to-distortion ratio compares an estimate $\\hat s$ with the true
stem $s$: $\\mathrm{SDR} = 10 \\log_{10} \\lVert s\\rVert^2 / \\lVert s - \\hat s\\rVert^2$
dB. 10 dB means the error has a tenth of the power of the voice itself.

## 6 How good is it: SDR over five pieces

`benchmarks/eval_separation.py` renders five pieces (a chorale, a piano
sonata, two string quartets and a song) without reverb or noise, aligns
each score to its audio *twice*, once with the exact ground truth and once
by DTW as a real application would, and separates every part with both
methods. The table below was produced by

```
.venv/bin/python benchmarks/eval_separation.py --out lib/cmr/data/separation_results.csv
```

and is read from that file (it takes about a minute, too long for this
notebook).
"""),
    code("""
from cmr.paths import REPO_ROOT
results = pd.read_csv(REPO_ROOT / "lib" / "cmr" / "data" / "separation_results.csv")
summary = results.pivot_table(index="piece", columns=["alignment", "method"], values="sdr", aggfunc="mean").round(1)
display(summary)
print("mean SDR over all parts (dB):")
print(results.groupby(["alignment", "method"])["sdr"].mean().round(2).to_string())
""", check=True),
    md("""
Three things to read off. NMF improves on the plain masks on average, most
for the song, where voice and piano overlap in pitch and the masks cannot
decide how to share (not for every part, though: look at the per-part rows
of `results`, where the Beethoven first violin and the Haydn cello lose a
few tenths of a dB). DTW alignment costs a few tenths of a dB on average
against the exact truth, next to nothing for the two quartets: the
tolerances absorb most alignment errors. And voices that double each other
stay hard: in the opening of Beethoven's Op. 18 No. 1 all four instruments
play the turn motif together, the two violins in unison and viola and cello
in unison an octave lower (the motif table of notebook 00). Their harmonics
coincide, neither the comb nor NMF knows whose energy a shared partial is,
the viola stays near 2 dB and NMF gains almost nothing on that piece.
Methods that model timbre per instrument, or that learn from data, do
better there.

## 7 Audio editing: change one voice

Because the separated parts add up to the recording, *remixing* them with
other gains is an edit of the recording: make the soprano louder to hear
the chorale melody, or mute the bass.
"""),
    code("""
louder = sep.remix(refined, {0: 3.0})
print("soprano x 3:"); display(player(louder, SR))
print("without the bass:"); display(player(sep.remix(refined, {3: 0.0}), SR))
"""),
    md("Choose a part and a gain; listen to the separated part, the true stem and the edited mix:"),
    code("""
svw.separation_player(refined, r.audio, references=r.stems, part_names=dict(enumerate(voices)), play_sr=SR_PLAY)
"""),
    md("""
## 8 Exercises

**Exercise 1.** In the `oboe-strings` version of *Der Lindenbaum* from the
example set (`cmr.audio.load_example("schubert-lindenbaum", "oboe-strings")`,
score `schubert/Lindenbaum`, measures 1-16), at which time does measure 9
start according to a score-audio synchronisation, and how far is that from
the ground truth (`synth.load_example_truth(...)`)?
"""),
    code("# your solution here\n"),
    code("""
# Solution
y_l = cmr.audio.load_example("schubert-lindenbaum", "oboe-strings")
lied = symbolic.excerpt(symbolic.load_score("schubert/Lindenbaum"), 1, 16)
eng_l, starts_l, _ = sv.follow(lied, y_l, SR)
truth_l = synth.load_example_truth("schubert-lindenbaum", "oboe-strings")
k = int(np.flatnonzero(eng_l.measures["number"] == 9)[0])
true_9 = truth_l.measure_to_time(9)
print(f"measure 9: {starts_l[k]:.2f} s by DTW, {true_9:.2f} s true, error {1000 * (starts_l[k] - true_9):.0f} ms")
""", hidden=True),
    md("""
**Exercise 2.** The comb tolerance decides how wide a band around every
harmonic a note claims. Separate the chorale of section 4 with
`tolerance_cents` 10, 40 and 100 (method `"nmf"`) and compare the mean SDR.
Why does a wider band not always help?
"""),
    code("# your solution here\n"),
    code("""
# Solution
for tol in (10, 40, 100):
    s_tol = sep.separate(r.audio, SR, r.notes, method="nmf", tolerance_cents=tol)
    print(tol, "cents:", round(np.mean([sep.sdr(r.stems[p], s_tol.audio[p]) for p in range(4)]), 2), "dB")
# This rendering is exactly in tune, so the narrowest band gives the best SDR:
# the partials sit where the comb expects them, and every extra cent of width
# lets a voice claim partials of its neighbours, so the masks tell the voices
# apart less well. Wide bands pay off only when partials are off the grid
# (a mistuned recording as in exercise 3, vibrato, stretched piano partials).
""", hidden=True),
    md("""
**Exercise 3.** Render the same chorale 30 cents sharp
(`synth.Version(..., tuning_cents=30)`) and separate it twice: with
`tuning_cents=0` and with the tuning estimated by `cmr.chroma.estimate_tuning`.
What does the tuning do to the SDR?
"""),
    code("# your solution here\n"),
    code("""
# Solution
sharp = synth.render(chorale, synth.Version(name="sharp", programs=(73, 71, 41, 42), sections=((1, 5),),
                                            tempo_factor=1.1, tuning_cents=30), stems=True)
est = cmr.chroma.estimate_tuning(sharp.audio, SR)
for label, c in (("assume 0 cents", 0.0), (f"estimated {est:.0f} cents", est)):
    s_t = sep.separate(sharp.audio, SR, sharp.notes, method="nmf", tuning_cents=c, tolerance_cents=20)
    print(label, round(np.mean([sep.sdr(sharp.stems[p], s_t.audio[p]) for p in range(4)]), 2), "dB")
""", hidden=True),
    md("""
## 9 Further reading

* R. B. Dannenberg and C. Raphael: *Music score alignment and computer
  accompaniment*. Communications of the ACM 49(8), 2006.
* A. Arzt, G. Widmer and S. Dixon: *Automatic page turning for musicians
  via real-time machine listening*. ECAI 2008.
* V. Thomas, C. Fremerey, M. Müller and M. Clausen: *Linking sheet music
  and audio: challenges and new approaches*. Dagstuhl Follow-Ups 3, 2012.
* S. Ewert and M. Müller: *Using score-informed constraints for NMF-based
  source separation*. ICASSP 2012.
* S. Ewert, B. Pardo, M. Müller and M. D. Plumbley: *Score-informed source
  separation for musical audio recordings: an overview*. IEEE Signal
  Processing Magazine 31(3), 2014.
* D. D. Lee and H. S. Seung: *Algorithms for non-negative matrix
  factorization*. NIPS 2000.
* E. Vincent, R. Gribonval and C. Févotte: *Performance measurement in
  blind audio source separation*. IEEE TASLP 14(4), 2006; J. Le Roux,
  S. Wisdom, H. Erdogan and J. R. Hershey: *SDR – half-baked or well
  done?* ICASSP 2019.
* L. Pugin, R. Zitellini and P. Roland: *Verovio: a library for engraving
  MEI music notation into SVG*. ISMIR 2014.
"""),
    md(nav(PREV, NEXT)),
]

if __name__ == "__main__":
    path = write(NOTEBOOKS / NAME, cells)
    print(f"executed {NAME} in {execute(path):.1f} s")
