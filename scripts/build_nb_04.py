"""Build notebooks/04_Version_Identification.ipynb (run from the repository root).

    .venv/bin/python scripts/build_nb_04.py          # write and execute
    .venv/bin/python scripts/build_nb_04.py --no-run # write only
"""
from __future__ import annotations

import sys
from pathlib import Path

# python puts this script's folder (scripts/) first on the import path
from nbtools import code, execute, md, nav, write

ROOT = Path(__file__).resolve().parents[1]
NB = ROOT / "notebooks" / "04_Version_Identification.ipynb"
NAV = nav("03_Audio_Matching.ipynb", "05_Shingles_and_Indexing.ipynb")

cells = [
    md(f"""
{NAV}

# 04 · Version identification: finding the covers of a piece

A *version* (or *cover*) of a piece is another performance or arrangement of
it: a singer's cover of a song, a string-quartet arrangement of a rock
ballad, a live recording with an extra chorus. Version identification takes a
**whole recording as the query** and ranks a collection so that the other
versions of the same piece come first, although key, tempo, instrumentation
and structure may all have changed.

After this notebook you can

* say which musical aspects change between versions and which survive, and
  choose features and alignment methods accordingly;
* compute a key-invariant cross-similarity matrix (optimal transposition
  index, OTI) and turn it into a cross-recurrence plot;
* score two recordings by **local alignment** (the Qmax recursion) and read
  the aligned sections off the path;
* compare classical DTW, subsequence DTW and local alignment on the same pair;
* rank a collection for every query and evaluate it with precision-recall
  curves and mean average precision (MAP).

**Contents**
1. [What changes between versions, and what stays](#1)
2. [Cross-similarity and the key](#2)
3. [Local alignment](#3)
4. [Three alignment strategies on the same pair](#4)
5. [Explore: gap penalties, binarization, key](#5)
6. [Retrieval in a collection: precision, recall, MAP](#6)
7. [Exercises](#7)
8. [Further reading](#8)

Library: `cmr.versions` (features to scores), `cmr.evaluation` (metrics),
`cmr.plot.versions`, `cmr.widgets.versions`.
"""),
    code("""
import json
import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display

import cmr
from cmr import chroma, dtw, evaluation, symbolic, synth, versions
from cmr import plot
from cmr.plot import versions as vplot
from cmr.widgets import versions as vwidgets

plt.rcParams["figure.dpi"] = 80
"""),
    md("""
<a id="1"></a>
## 1. What changes between versions, and what stays

A cover keeps what makes the piece *this piece*: the **melody** and the
**harmony** (the chord progression), usually also the order of the main
sections. Two classic examples: Avril Lavigne's cover of Bob Dylan's
*Knockin' on Heaven's Door* (1973) has another singer and another band sound
over the same melody and chords; on *Plays Metallica by Four Cellos* (1996)
the Finnish cello quartet Apocalyptica plays Metallica songs without voice,
drums or electric guitars. Nearly everything except melody and harmony is
free:

| what changes | typical reason | in real covers | our rendered example |
|---|---|---|---|
| **key** | the new singer's range | a song sung by a higher or lower voice is often moved to another key | `key_tempo_timbre`: 3-5 semitones up or down; `melody_bass`: 2 or 7; `structure`: often 1 |
| **tempo** and its fluctuations | style, taste, live energy | ballad versions of up-tempo songs, faster live versions | `key_tempo_timbre` 15-35 % faster; `melody_bass` slower with rubato |
| **timbre / instrumentation** | new band, new genre | Apocalyptica's cellos instead of Metallica's guitars and voice | piano → strings, choir or organ; harpsichord, guitar, vibraphone |
| **texture** | a smaller band, an unplugged or solo arrangement | a band song performed by voice and guitar only | `melody_bass`: only the melody (flute) and the bass line |
| **structure** | an intro added, a chorus repeated, a verse dropped | live versions that repeat the last chorus or skip a verse | `structure`: first half played twice, or a middle section left out |

Chroma features (CENS, notebook 01) already discard most of the timbre and
dynamics. The key becomes a **cyclic shift** of the chroma axis; tempo becomes
a **slope** in a cross-similarity matrix; a changed structure means that only
**parts** of the two recordings correspond. That last point is what separates
version identification from the synchronization of notebook 02: we cannot
assume that the beginning matches the beginning and the end the end.

### The rendered cover collection

`scripts/build_cover_collection.py` renders 20 pieces of the music21 corpus
(14 Bach chorales, a Joplin rag, a Corelli trio sonata, movements of a Mozart
and a Haydn string quartet, a Clara Schumann polonaise, a Monteverdi madrigal),
each an excerpt of about 40 s, in four versions, and stores their chroma and
CENS features in `lib/cmr/data/cover_collection.npz` (0.8 MB). The notebook
reads that file; rerun the script (about a minute) to regenerate it.
"""),
    code("""
cc = versions.load_cover_collection()
print(f"{len(cc.meta)} recordings, {cc.meta['piece'].nunique()} pieces, CENS at {cc.cens_rate:g} Hz, "
      f"chroma at {cc.chroma_rate:g} Hz, {cc.meta['duration'].sum() / 60:.1f} minutes of audio")
summary = cc.meta.groupby("version", sort=False)["duration"].agg(["count", "mean"]).round(1)
summary.columns = ["recordings", "mean duration (s)"]
summary
""", check=True),
    md("""
Our running example is the opening of Scott Joplin's *Maple Leaf Rag*. The
cell below renders its four versions again from the score with the very
parameters stored in the collection (about a second each), so you can listen
to what the features describe.
"""),
    code("""
RAG = 14  # piece number of the Maple Leaf Rag in the collection
rag_rows = cc.meta[cc.meta["piece"] == RAG]
notes = symbolic.cached_score_notes(rag_rows["score"].iloc[0])
renders = {}
for _, row in rag_rows.iterrows():
    v = synth.Version.from_dict(json.loads(row["params"]))
    src = versions.melody_and_bass(notes) if row["version"] == "melody_bass" else notes
    renders[row["version"]] = synth.render(src, v)
table = pd.DataFrame([{"version": k, "transpose": r.version.transpose,
                       "tempo factor": round(r.version.tempo_factor, 2),
                       "programs (General MIDI)": r.version.programs,
                       "sections (measures)": r.version.sections,
                       "duration (s)": round(r.duration, 1)} for k, r in renders.items()])
table
"""),
    code("""
# players at 11025 Hz keep the notebook file small
from scipy.signal import resample_poly
SR_PLAY = 11025
clips = {name: resample_poly(r.audio, SR_PLAY, r.sr).astype(np.float32) for name, r in renders.items()}
for name, y in clips.items():
    print(name)
    display(plot.audio(y, SR_PLAY, duration=15))
"""),
    code("""
fig, axes = plt.subplots(4, 1, figsize=(9, 10.5), constrained_layout=True)
for ax, (name, r) in zip(axes, renders.items()):
    k = cc.index(RAG, name)
    plot.chromagram(cc.cens[k], cc.cens_rate, ax=ax, title=f"{name}: CENS ({cc.cens_rate:g} Hz)")
plt.show()
"""),
    md("""
Look for the same chroma pattern in all four rows: shifted vertically in
`key_tempo_timbre` (transposed by -5 semitones) and `melody_bass` (+2),
stretched or compressed in time, played twice (first half) in `structure`.

<a id="2"></a>
## 2. Cross-similarity and the key

Given the chroma sequences $X = (x_1, \\dots, x_N)$ of the query and
$Y = (y_1, \\dots, y_M)$ of a document, the **cross-similarity matrix** holds
the cosine similarity of every pair of frames

$$S(n, m) = \\frac{\\langle x_n, y_m \\rangle}{\\lVert x_n \\rVert\\, \\lVert y_m \\rVert} \\in [0, 1].$$

A passage that both recordings play shows up as a bright stripe; its slope is
the tempo ratio. If the document is in another key, its chroma vectors are
cyclically shifted and the stripe disappears. The **optimal transposition
index** (Serrà et al. 2008) fixes this from the *global* chroma profiles
$g_X = \\sum_n x_n$ and $g_Y = \\sum_m y_m$ (each scaled to maximum 1):

$$\\mathrm{OTI}(X, Y) = \\operatorname*{arg\\,max}_{k \\in \\{0,\\dots,11\\}} \\langle g_X, \\sigma^k g_Y \\rangle,$$

where $\\sigma^k$ shifts the chroma axis by $k$ semitones. The document is
transposed by the OTI before $S$ is computed. The alternative, trying all
twelve shifts and keeping the best alignment score, is exact but twelve
times slower (`key="best"`).
"""),
    code("""
X = cc.cens[cc.index(RAG, "original")]
Y = cc.cens[cc.index(RAG, "key_tempo_timbre")]
k = versions.oti(X, Y)
print(f"OTI = {k}: shifting the cover's chroma up by {k} semitones matches the original")
print("rendered transposition of the cover:", renders["key_tempo_timbre"].version.transpose)
""", check=True),
    code("""
fig, axes = plt.subplots(1, 3, figsize=(14, 3.8), constrained_layout=True)
gx, gy = versions.chroma_profile(X), versions.chroma_profile(Y)
pcs = np.arange(12)
axes[0].bar(pcs - 0.2, gx, width=0.4, label="original")
axes[0].bar(pcs + 0.2, gy, width=0.4, label="cover (as recorded)")
axes[0].plot(pcs, np.roll(gy, k), "k.", ms=10, label=f"cover shifted by OTI = {k}")
axes[0].set_xticks(pcs)
axes[0].set_xticklabels(plot.PITCH_CLASSES)
axes[0].set_ylabel("global chroma profile")
axes[0].legend(fontsize=8)
kw = dict(query_label="original", document_label="cover", vmin=0, vmax=1)
vplot.similarity_matrix(versions.cross_similarity(X, Y, 0), cc.cens_rate, ax=axes[1], title="S without key handling", **kw)
vplot.similarity_matrix(versions.cross_similarity(X, Y, k), cc.cens_rate, ax=axes[2], title=f"S after shifting by OTI = {k}", **kw)
plt.show()
"""),
    md("""
With the shift, a clear stripe runs from corner to corner; its slope (about
1/1.29 = 0.78 s of cover per second of original, see the tempo factor in the
table above) is the cover's higher tempo. Note
that the OTI relies on the two global profiles being alike: when a version
leaves out or repeats material in another key area, the profiles drift apart
and the OTI can be wrong. In our collection it finds every rendered
transposition (a unit test checks this); exercise 1 compares it with trying
all twelve shifts.

<a id="3"></a>
## 3. Local alignment

### Binarization: the cross-recurrence plot

Raw similarities are large for many unrelated frames (two major chords
share pitch classes). Serrà et al. keep only **mutual nearest neighbours**:
a cell is a match if $y_m$ is among the $\\kappa M$ frames of $Y$ most
similar to $x_n$ *and* $x_n$ among the $\\kappa N$ frames of $X$ most similar
to $y_m$:

$$R(n, m) = \\begin{cases} 1 & S(n, m) \\ge \\theta^{\\text{row}}_n(\\kappa) \\text{ and } S(n, m) \\ge \\theta^{\\text{col}}_m(\\kappa) \\\\ 0 & \\text{otherwise} \\end{cases}$$

The neighbourhood adapts to each frame, so a recording with generally high
similarities (e.g. a drone) does not match everything.

### The Qmax recursion

Local alignment (Smith-Waterman style) looks for the best-scoring *pair of
subsequences*. With predecessors $(n-1, m-1)$, $(n-2, m-1)$ and $(n-1, m-2)$
(slopes between 1/2 and 2, i.e. tempo ratios up to a factor of two), the
accumulated score is

$$Q(n, m) = \\begin{cases}
\\max\\{Q(n-1, m-1),\\, Q(n-2, m-1),\\, Q(n-1, m-2)\\} + 1 & R(n, m) = 1 \\\\
\\max\\{0,\\; Q(p) - \\gamma(p) : p \\text{ a predecessor}\\} & R(n, m) = 0
\\end{cases}$$

with the gap penalty $\\gamma(p) = \\gamma_o$ (gap *onset*) if the predecessor
$p$ was a match and $\\gamma_e$ (gap *extension*) if it was already in a
gap. The $0$ lets a new alignment start anywhere; the score of the pair is
$Q_{\\max} = \\max_{n,m} Q(n, m)$, and backtracking from the maximum until the
score returns to zero gives the aligned sections. The recursion is short
enough to read in plain Python; the library runs the same loops compiled
with numba (and keeps only three rows when only the score is needed).
"""),
    code("""
def qmax_python(R, gap_onset, gap_extension):
    \"\"\"The Qmax recursion in plain Python (slow; for reading).\"\"\"
    N, M = R.shape
    Q = np.zeros((N, M))
    for n in range(N):
        for m in range(M):
            preds = [(n - a, m - b) for a, b in ((1, 1), (2, 1), (1, 2)) if n - a >= 0 and m - b >= 0]
            if R[n, m] > 0:
                Q[n, m] = max([0.0] + [Q[p] for p in preds]) + R[n, m]
            else:
                Q[n, m] = max([0.0] + [Q[p] - (gap_onset if R[p] > 0 else gap_extension) for p in preds])
    return Q

# a toy cross-recurrence plot: a diagonal match of length 4, one missing cell, and noise
R = np.zeros((7, 8))
for n, m in [(1, 2), (2, 3), (3, 4), (5, 6), (6, 7), (0, 6), (4, 0)]:
    R[n, m] = 1
Q = qmax_python(R, gap_onset=1.0, gap_extension=0.5)
la = versions.local_alignment(R, gap_onset=1.0, gap_extension=0.5)
print(Q.astype(int) if np.all(Q == Q.astype(int)) else Q)
print("Qmax =", Q.max(), "| library:", la.score, "| aligned cells (n, m):", la.path.tolist())
""", check=True),
    md("""
The path bridges the missing cell $(4, 5)$: five matches minus one gap
onset give $Q_{\\max} = 5 - 1 = 4$; the isolated matches at $(0, 6)$ and
$(4, 0)$ only reach 1. Now the rag: the original as query against the
`structure` version, which plays the first half twice.
"""),
    code("""
Xo = cc.cens[cc.index(RAG, "original")]
Ys = cc.cens[cc.index(RAG, "structure")]
res = versions.align(Xo, Ys, cc.cens_rate)
vplot.alignment_overview(res, query_label="original", document_label="structure version")
plt.show()
qa, qb = res.query_interval
da, db = res.document_interval
print(f"Qmax = {res.score:.1f} (normalised by the shorter length: {res.normalized_score:.3f}), key shift {res.shift}")
print(f"original {qa:.1f}-{qb:.1f} s  <->  structure version {da:.1f}-{db:.1f} s")
""", check=True),
    md("""
The strongest local alignment covers the whole original and the *second*
pass of the structure version (which starts at about 20 s, after the
repeated first half). The first pass shows up as a second, shorter stripe in
the lower left of the match matrix: local alignment reports only the best
one, which is all that is needed to decide "same piece".

For ranking, long pieces would win simply by having more frames to match;
`cmr.versions` therefore divides $Q_{\\max}$ by the length of the shorter
sequence (`normalize="min"`; `"sqrt"` and `"max"` are the alternatives).

<a id="4"></a>
## 4. Three alignment strategies on the same pair

Which alignment should a version identification system use? We compare the
three alignment methods of this workbook on two pairs whose *structure*
differs:

* **A** the rag's original (query) against its `structure` version, which
  plays the first half twice (the extra material is at the *beginning*);
* **B** the Haydn quartet's `structure` version, which **leaves out a middle
  section** (query), against its original.

The methods, all on the cost matrix $1 - S$ (CENS at 5 Hz, recomputed from
the stored 10 Hz chroma):

* **classical DTW** (`cmr.dtw.dtw`, notebook 02) aligns *all* of the query
  with *all* of the document;
* **subsequence DTW** (`cmr.dtw.subsequence_dtw`, notebook 03) aligns *all*
  of the query with the best-matching *part* of the document;
* **local alignment** (`cmr.versions.align`) aligns a *part* of the query
  with a *part* of the document.

The renderer knows where every measure starts in both recordings; those are
the red circles, and the table counts how many measure starts each path
maps to within 0.5 s of a true position (a repeated measure has two true
positions; either counts).
"""),
    code("""
mt = cc.measure_times

def truth_points(iq, idoc):
    \"\"\"(query time, array of document times) for every measure start of the query.\"\"\"
    tq, td = mt[mt["item"] == iq], mt[mt["item"] == idoc]
    pts = [(t, td.loc[td["measure"] == m, "start"].to_numpy()) for m, t in zip(tq["measure"], tq["start"])]
    return [(t, c) for t, c in pts if len(c)]

def path_errors(path, pts, rate):
    \"\"\"Error (s) of the path at each true measure start inside its query range, and that range's share.\"\"\"
    qt, dt = path[:, 0] / rate, path[:, 1] / rate
    inside = [(t, c) for t, c in pts if qt[0] <= t <= qt[-1]]
    err = np.array([np.min(np.abs(np.interp(t, qt, dt) - c)) for t, c in inside])
    return err, len(inside) / len(pts)

HAYDN = 17
pairs = {"A: rag, first half repeated": (cc.index(RAG, "original"), cc.index(RAG, "structure")),
         "B: Haydn, middle left out": (cc.index(HAYDN, "structure"), cc.index(HAYDN, "original"))}
rows, panels = [], {}
for pair, (iq, idoc) in pairs.items():
    Xq, rate = chroma.cens(cc.chroma[iq], cc.chroma_rate, smooth_len=21, downsample=2)
    Yd, _ = chroma.cens(cc.chroma[idoc], cc.chroma_rate, smooth_len=21, downsample=2)
    shift = versions.oti(Xq, Yd)
    C = 1.0 - versions.cross_similarity(Xq, Yd, shift)
    paths = {"classical DTW": dtw.dtw(C=C).path,
             "subsequence DTW": dtw.subsequence_dtw(C=C).path(),
             "local alignment": versions.align(Xq, Yd, rate, key=shift).path,
             "local alignment, gap onset 5": versions.align(Xq, Yd, rate, key=shift, gap_onset=5.0).path}
    pts = truth_points(iq, idoc)
    panels[pair] = (C, paths, pts, rate)
    for name, path in paths.items():
        err, covered = path_errors(path, pts, rate)
        rows.append({"pair": pair[:1], "strategy": name, "query covered (%)": round(100 * covered),
                     "measures within 0.5 s (%)": round(100 * np.mean(err <= 0.5)),
                     "median error (s)": round(float(np.median(err)), 2)})
pd.DataFrame(rows)
""", check=True),
    code("""
fig, axes = plt.subplots(2, 3, figsize=(14, 8), constrained_layout=True)
for row, (pair, (C, paths, pts, rate)) in zip(axes, panels.items()):
    for ax, name in zip(row, ["classical DTW", "subsequence DTW", "local alignment"]):
        vplot.similarity_matrix(C, rate, ax=ax, path=paths[name], cmap="gray", colorbar=False,
                                title=f"{pair[:1]}: {name}", query_label="query", document_label="document")
        for t, c in pts:
            ax.plot(c, np.full(len(c), t), "o", color="tab:red", ms=3, mfc="none")
plt.show()
"""),
    md("""
Read the two rows against the table:

* In **A** the document has extra material at its *beginning*. Classical DTW
  must start in the corner: it follows the first pass, then has to cross
  over to the second pass with a horizontal run, and the measures around the
  crossing are misplaced. Subsequence DTW and local alignment simply start
  at the second pass and are right everywhere.
* In **B** the query lacks a middle section but begins and ends like the
  document. Classical DTW handles this well: a horizontal run of the path
  skips the missing part. Subsequence DTW may start anywhere in the document
  but must use all of the query: it chooses the second passage and squeezes
  the query's first passage into a steep run in front of it. Local alignment
  with the lenient default gaps extends backwards across the cut into the
  query's first passage, where it is wrong; with a gap onset of 5 it stops
  at the cut and aligns only the second passage, but that one precisely.

So no method maps every version well. For **identification** we do not need
the map, only a score that is high whenever long passages correspond,
wherever they are, and that does not punish what one version adds or omits.
That is what $Q_{\\max}$ provides; the DTW costs, in contrast, include the
cost of the forced, wrong parts of their paths.

<a id="5"></a>
## 5. Explore: gap penalties, binarization, key

The widget aligns the rag's original with its `melody_bass` version, the
version that differs most from it (the full texture against melody and bass
only, transposed by +2 and slower with rubato). Things to try:

* raise the **gap onset** to 5: every hole in the stripe now costs more and
  $Q_{\\max}$ drops; where holes are frequent the path breaks up;
* make **kappa** small (0.05): fewer matches, a clean but thin stripe and a
  much lower score; large (0.4): the stripe gets thick, but so does the noise;
* set the **key** to `shift 0`: without transposition the stripe is gone and
  only a short accidental alignment remains;
* switch binarization to **threshold** and move it: a fixed threshold
  suits one pair but not another, which is why the k-NN rule adapts per frame;
* **smoothing** along the diagonal (a few frames) fills small holes before
  the binarization.

The players below the figure play the two aligned sections.
"""),
    code("""
Xw = cc.cens[cc.index(RAG, "original")]
Yw = cc.cens[cc.index(RAG, "melody_bass")]
vwidgets.alignment_explorer(Xw, Yw, cc.cens_rate, y_query=clips["original"], y_document=clips["melody_bass"],
                            sr=SR_PLAY, query_label="original", document_label="melody + bass")
"""),
    md("""
<a id="6"></a>
## 6. Retrieval in a collection: precision, recall, MAP

Each of the 80 recordings is used as a query against the other 79; the
three other versions of its piece are the relevant documents. For one query
with ranked list $\\mathrm{rel}_1, \\mathrm{rel}_2, \\dots$ ($\\mathrm{rel}_k = 1$ if
the document at rank $k$ is relevant) and $R$ relevant documents,

$$P(k) = \\frac{1}{k} \\sum_{i \\le k} \\mathrm{rel}_i, \\qquad
\\mathrm{Rec}(k) = \\frac{1}{R} \\sum_{i \\le k} \\mathrm{rel}_i, \\qquad
\\mathrm{AP} = \\frac{1}{R} \\sum_{k} P(k)\\, \\mathrm{rel}_k,$$

and MAP is the mean of AP over all queries. AP is 1 if all versions are
ranked before any other piece. `cmr.evaluation` implements these (with
tests against hand-computed examples and scikit-learn).
"""),
    code("""
rel = cc.relevance()
self_mask = np.eye(len(rel), dtype=bool)
start = time.perf_counter()
S = versions.score_matrix(cc.cens)
seconds = time.perf_counter() - start
report = evaluation.evaluate_retrieval(S, rel, exclude=self_mask, ks=(1, 3))
print(f"{len(rel)} queries x {len(rel) - 1} documents scored in {seconds:.1f} s")
print(report)
""", check=True),
    code("""
titles = list(cc.meta.groupby("piece")["score"].first().str.replace(r"^bach/|\\.(mxl|xml)$", "", regex=True))
fig, axes = plt.subplots(1, 2, figsize=(13, 5), constrained_layout=True)
vplot.score_matrix(np.where(self_mask, np.nan, S), cc.labels, ax=axes[0], tick_labels=titles,
                   title="normalised Qmax (query x document)")
curves = {}
settings = {"no key handling": dict(key=None),
            "strict (kappa 0.1, gap onset 5)": dict(kappa=0.1, gap_onset=5.0),
            "default (kappa 0.2, gap onset 1)": dict()}
maps = {}
for label, opts in settings.items():
    S_opt = S if not opts else versions.score_matrix(cc.cens, **opts)
    curves[label] = evaluation.mean_precision_recall_curve(rel, S_opt, exclude=self_mask)
    maps[label] = evaluation.mean_average_precision(rel, S_opt, exclude=self_mask)
vplot.precision_recall({f"{k} (MAP {v:.3f})": curves[k] for k, v in maps.items()}, ax=axes[1],
                       title="11-point interpolated precision, averaged over queries")
plt.show()
for label, m in maps.items():
    print(f"{label:35s} MAP = {m:.3f}")
""", check=True),
    md("""
Which variations are hard? The average precision per query, grouped by the
version that served as the query:
"""),
    code("""
_, ap = evaluation.mean_average_precision(rel, S, exclude=self_mask, return_per_query=True)
first = evaluation.ranks_of_first_relevant(rel, S, exclude=self_mask)
per_version = pd.DataFrame({"version": cc.meta["version"], "AP": ap, "rank of first relevant": first})
per_version.groupby("version", sort=False).mean().round(3)
""", check=True),
    md("""
With the default settings every variation is retrieved well: the first
relevant document is always at rank 1. Without key handling (MAP above) the
collection is nearly unsearchable, because at least two of the three other
versions of every piece are transposed. The reduced texture (`melody_bass`)
is, by a small margin, the hardest query: with the inner voices gone, its
chroma vectors hold two pitch classes where the full versions hold three or
four. The parameters matter as much as the features: the strict setting
($\\kappa = 0.1$, $\\gamma_o = 5$, close to Serrà et al.'s, who worked with
longer pop songs) reaches a much lower MAP on these short sequences (about
80 frames at 2 Hz), where every gap penalty weighs heavily. We chose the library's defaults with a small
sweep on this collection and on the real one below, so both MAP values are
somewhat optimistic: there is no separate development set.

### Real recordings

The same code on real performances: 330 recordings of 12 works (Beethoven's
*Eroica* movements, five Chopin mazurkas with 50-67 recordings each, three
Vivaldi movements), CENS at 1 Hz from Zalkow and Müller's music-indexing
demo (not shipped with the workbook). All 330 × 330 pairs:

```
.venv/bin/python benchmarks/eval_versions_real.py            # features averaged to 0.5 Hz
.venv/bin/python benchmarks/eval_versions_real.py --reduce 1 # the 1 Hz features as given
```

The script saves each run's result (with the command that produced it) in
`lib/cmr/data/versions_real_results.json`; the cell below only reads that
file, it does not need the real data:
"""),
    code("""
from pathlib import Path
results_file = Path(versions.__file__).parent / "data" / "versions_real_results.json"
runs = json.loads(results_file.read_text())
pd.DataFrame([{"command": r["command"], "MAP": r["map"], "P@1": r["p_at_1"],
               "mean rank of 1st relevant": r["mean_rank_first_relevant"],
               "time for 330 x 330 (s)": r["seconds"], "machine": r["machine"]} for r in runs])
""", check=True),
    code("""
pd.DataFrame({r["command"]: r["per_work_map"] for r in runs}).round(3)
"""),
    md("""
The mazurkas are the hard part: dozens of pianists with very different
tempo and rubato, and the posthumous sketch Op. 68 No. 4 has been completed
differently by its editors, so not all of its recordings play the same music.

<a id="7"></a>
## 7. Exercises

**Exercise 1 (key handling).** Score the collection with `key=None`, with
`key="oti"` and with `key="best"` (twelve shifts). Which *versions* lose
most without key handling, and does trying all twelve shifts beat the OTI?
Why can it be *worse*?
"""),
    code("""
# your code here
"""),
    code("""
# Solution
rows = []
for key in (None, "oti", "best"):
    Sk = versions.score_matrix(cc.cens, key=key)
    _, ap_k = evaluation.mean_average_precision(rel, Sk, exclude=self_mask, return_per_query=True)
    rows.append(pd.Series(ap_k, index=cc.meta["version"]).groupby(level=0, sort=False).mean().rename(str(key)))
print(pd.DataFrame(rows).round(3))
# Without key handling every kind of query collapses (at least two of its three versions are in
# another key), the transposed versions (key_tempo_timbre, melody_bass) most. Trying all twelve
# shifts does not beat the OTI here: the relevant versions gain nothing (OTI already finds their
# shift), but *unrelated* pieces may now pick their best shift too, which raises their scores.
""", hidden=True),
    md("""
**Exercise 2 (the worst query).** Find the query with the lowest average
precision, print its ranked list (top 5, with piece and version) and draw the
alignment with the first *relevant* document it missed. What went wrong?
"""),
    code("""
# your code here
"""),
    code("""
# Solution
worst = int(np.argmin(ap))
ranking = versions.rank_collection(S[[worst]], queries=[worst])[0]
print("query:", cc.meta.loc[worst, "id"], f"AP = {ap[worst]:.3f}")
print(cc.meta.loc[ranking[:5], ["id"]].assign(score=S[worst, ranking[:5]].round(3)).to_string())
print("ranks of its versions:", [int(np.flatnonzero(np.asarray(ranking) == d)[0]) + 1 for d in np.flatnonzero(rel[worst]) if d != worst])
missed = next(d for d in ranking if rel[worst, d] and d not in ranking[:3])
for i in (worst, missed):
    print(f"{cc.meta.loc[i, 'id']}: {cc.meta.loc[i, 'duration']:.1f} s, "
          f"measures played {json.loads(cc.meta.loc[i, 'params'])['sections']}")
r = versions.align(cc.cens[worst], cc.cens[missed], cc.cens_rate)
vplot.alignment_overview(r, query_label=cc.meta.loc[worst, "version"], document_label=cc.meta.loc[missed, "version"])
plt.show()
# A short, fast query meets a short document that leaves out the middle of the chorale: few frames
# and a stripe broken at the cut, so Qmax covers only part of the shorter sequence. Meanwhile the versions of *another* chorale score higher: four-part chorales share
# cadences and harmonic vocabulary, which makes them the hardest competitors for chroma features.
""", hidden=True),
    md("""
**Exercise 3 (feature rate).** The collection's CENS has 2 frames per
second. Compute CENS at 1 Hz and at 5 Hz from the stored 10 Hz chroma
(`chroma.cens(C, cc.chroma_rate, smooth_len=..., downsample=...)`), score
the collection with each and compare MAP and run time. What limits the
lower rate, and what does the higher rate cost?
"""),
    code("""
# your code here
"""),
    code("""
# Solution
for smooth_len, down in ((41, 10), (21, 5), (11, 2)):
    feats = [chroma.cens(C, cc.chroma_rate, smooth_len=smooth_len, downsample=down)[0] for C in cc.chroma]
    t0 = time.perf_counter()
    Sr = versions.score_matrix(feats)
    dt = time.perf_counter() - t0
    m = evaluation.mean_average_precision(rel, Sr, exclude=self_mask)
    print(f"CENS at {cc.chroma_rate / down:g} Hz: MAP = {m:.3f}, scoring took {dt:.2f} s")
# At 1 Hz a 40 s excerpt has only about 40 frames: short alignments, little evidence. The cost of
# local alignment grows with the product of the two lengths: 5 Hz fills (5/2)^2 = 6.25 times as
# many cells as 2 Hz.
""", hidden=True),
    md(f"""
<a id="8"></a>
## 8. Further reading

* J. Serrà, E. Gómez, P. Herrera, X. Serra: *Chroma binary similarity and
  local alignment applied to cover song identification.* IEEE Transactions on
  Audio, Speech, and Language Processing 16(6), 2008. (OTI, binary chroma
  similarity, local alignment.)
* J. Serrà, X. Serra, R. G. Andrzejak: *Cross recurrence quantification for
  cover song identification.* New Journal of Physics 11, 2009. (The
  cross-recurrence plot with mutual nearest neighbours and the Qmax measure
  used here.)
* D. P. W. Ellis, G. E. Poliner: *Identifying "cover songs" with chroma
  features and dynamic programming beat tracking.* ICASSP 2007. (Beat-synchronous
  chroma and cross-correlation over all transpositions.)
* J. Serrà, E. Gómez, P. Herrera: *Audio cover song identification and
  similarity: background, approaches, evaluation, and beyond.* In Z. W. Raś,
  A. A. Wieczorkowska (eds.), Advances in Music Information Retrieval,
  Springer, 2010. (Overview of the whole field.)
* M. Müller: *Fundamentals of Music Processing*, Springer, 2015 (2nd ed.
  2021), chapter 7 (content-based audio retrieval: identification, matching,
  version identification).
* F. Zalkow, M. Müller: *Learning low-dimensional embeddings of audio
  shingles for cross-version retrieval of classical music.* Applied Sciences
  10(1), 2020. (The real collection above; the next notebook.)

---
{NAV}
"""),
]


def main(run: bool = True):
    write(NB, cells)
    if run:
        print(f"{NB.name}: executed in {execute(NB):.1f} s")


if __name__ == "__main__":
    main(run="--no-run" not in sys.argv)
