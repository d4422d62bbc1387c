"""Build notebooks/00_Music_Representations.ipynb (python scripts/build_nb_00.py [--no-exec])."""
from __future__ import annotations

import sys

from nbtools import NOTEBOOKS, code, execute, md, nav, write

NAME = "00_Music_Representations.ipynb"
PREV, NEXT = "00_Index.ipynb", "01_Chroma_Features.ipynb"

cells = [
    md(f"""
{nav(PREV, NEXT)}

# 00 · Music representations and retrieval scenarios

Music reaches a computer in several forms: as a score someone engraved, as
the text file that encodes it, as a stream of MIDI events, as a piano roll,
and as audio. Retrieval across these forms ("cross-modal" retrieval) needs
to know what each form keeps and what it drops. After this notebook you can

* load a score from the music21 corpus, engrave it, read its MusicXML and
  turn it into a note table, MIDI events and a piano roll;
* render performances of it (tempo, instruments, key, tuning, room, noise)
  with the workbook's synthesizer, and use their **exact ground truth** to
  find the same score position in two recordings;
* search a motif in a piano roll, also transposed, and see the hits;
* place the retrieval tasks of this workbook on a map of specificity and
  granularity, and find the notebook that treats each.

**Contents**
1. [One piece, five representations](#1.-One-piece,-five-representations)
2. [Performances with exact ground truth](#2.-Performances-with-exact-ground-truth)
3. [Motif search in a piano roll](#3.-Motif-search-in-a-piano-roll)
4. [Retrieval scenarios](#4.-Retrieval-scenarios)
5. [Exercises](#5.-Exercises)
6. [Further reading](#6.-Further-reading)
"""),
    code("""
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
from IPython.display import SVG, display

import cmr
from cmr import audio, symbolic, synth
from cmr.plot import representations as rp
from cmr.synth import Version, render, map_time

plt.rcParams["figure.dpi"] = 80
SR = audio.DEFAULT_SR
"""),
    md("""
## 1. One piece, five representations

Our running example is the opening of the Prelude in C major, BWV 846, from
the first book of Bach's *Well-Tempered Clavier*: every measure is one
broken chord, played as the same figure twice. The music21 corpus ships an
encoding of it; `cmr.symbolic.load_score` accepts a corpus name or a file
(MusicXML, MIDI, Humdrum).

### 1.1 Sheet music

The score is what a musician reads: notes placed on staves, with pitch
*spelling* (E♭ is not D♯), meter, beams, slurs and the layout of voices.
Engraving it is a craft of its own; the library verovio (used by
`cmr.symbolic.render_svg`) lays out MusicXML or MEI as SVG.
"""),
    code("""
score = symbolic.load_score("bach/bwv846")
display(SVG(symbolic.render_svg(score, first_measure=1, last_measure=4, page_width=2400, scale=32)))
"""),
    md("""
### 1.2 MusicXML: the score as text

MusicXML stores the score as nested elements: parts, measures, and in each
measure a sequence of `<note>` elements with the pitch spelled as step,
alteration and octave, a duration in *divisions* of a quarter note, the
voice and the staff (rests are notes without a pitch). Here is the
first pitched note, as music21 exports it:
"""),
    code("""
xml = symbolic.to_musicxml(score)
import re
first_pitched = next(m.group(0) for m in re.finditer(r"<note[ >].*?</note>", xml, re.S) if "<pitch>" in m.group(0))
print(first_pitched)
"""),
    code("""
n_note_elements = len(re.findall(r"<note[ >]", xml))
print(f"{len(xml.splitlines())} lines of MusicXML, {n_note_elements} <note> elements "
      f"({xml.count('<rest')} of them rests)")
divisions = int(re.search(r"<divisions>(\\d+)</divisions>", xml).group(1))
dur = int(re.search(r"<duration>(\\d+)</duration>", first_pitched).group(1))
kind = re.search(r"<type>(\\w+)</type>", first_pitched).group(1)
print(f"{divisions} divisions per quarter note: the note above lasts {dur}/{divisions} = "
      f"{dur / divisions:g} quarter notes (its <type> says: {kind})")
""", check=True),
    md("""
### 1.3 The note table and MIDI events

For retrieval we flatten the score into a **note table**: one row per
sounding note with onset and offset in *beats* (quarter notes from the
start), MIDI pitch $p \\in \\{0, \\dots, 127\\}$ (middle C = 60), velocity,
part and measure (the column `voice` holds the name of the note's part).
Tied notes become one note; spelling and layout are gone.
MIDI files store the same information as a stream of `note_on` / `note_off`
events, each with a *delta time* in ticks since the previous event; with
$r$ ticks per quarter note and a tempo of $\\mathrm{bpm}$ quarter notes per
minute, tick $k$ sounds at $k \\cdot 60 / (r \\cdot \\mathrm{bpm})$ seconds.
"""),
    code("""
notes = symbolic.score_notes(score)
print(f"{len(notes)} notes in {len(notes.attrs['measure_starts'])} measures, "
      f"score tempo {notes.attrs['bpm']:.0f} quarter notes per minute")
print(notes.head(6).to_string())
print()
events = symbolic.midi_events(notes, ticks_per_beat=480)
print(events.head(10).round(3).to_string())
""", check=True),
    md("""
### 1.4 Piano roll

A piano roll is the note table drawn (or stored) as a pitch-by-time
matrix. On a grid of $R$ cells per beat,

$$\\mathbf{P}(p, n) = \\begin{cases} 1 & \\text{if a note of pitch } p
\\text{ sounds during cell } n, \\\\ 0 & \\text{otherwise,}\\end{cases}
\\qquad n = 0, 1, \\dots$$

It keeps pitch and timing, loses spelling, voices and notation. Each
colour below is one staff of the score.
"""),
    code("""
ms = notes.attrs["measure_starts"]
excerpt = notes[notes["measure"] <= 4]
fig, axes = plt.subplots(1, 2, figsize=(12, 3.6), gridspec_kw={"width_ratios": [2, 1]})
rp.piano_roll(excerpt, ax=axes[0], part_names=["upper staff", "lower staff"],
              measure_lines=ms["start_beat"][:5], title="BWV 846, measures 1-4 (bars: notes)")
roll = symbolic.piano_roll(excerpt, resolution=4, pitch_range=(48, 84))
axes[1].imshow(roll, origin="lower", aspect="auto", cmap="gray_r", extent=[0, roll.shape[1] / 4, 47.5, 83.5])
axes[1].set_xlabel("time (beats)")
axes[1].set_ylabel("MIDI pitch")
axes[1].set_title("the same as a matrix, 4 cells per beat", fontsize=10)
plt.tight_layout()
plt.show()
print("piano-roll matrix shape (pitches, cells):", roll.shape, "| active cells:", int(roll.sum()))
""", check=True),
    md("""
## 2. Performances with exact ground truth

Audio is what we hear, and what most retrieval systems receive: a
sequence of samples, here mono at 22050 Hz. Nothing in it says where a
note or a measure begins. To *measure* retrieval and alignment we need
recordings whose relation to the score is known exactly, so the workbook
renders its own: `cmr.synth.render(score, Version(...))` plays the note
table with General-MIDI instruments (a SoundFont player written for the
workbook, `cmr.sf2`) and returns, with the audio, every note's onset and
offset in seconds.

A **version** fixes the performance: a tempo factor $f$, a smooth tempo
curve $c(\\beta)$ over score beats (rubato, ritardando), instruments,
transposition, a tuning offset in cents, a room and noise, and the order
of sections played. Audio time is the integral of the beat duration,

$$t(b) = t_0 + \\int_{0}^{b} \\frac{60}{\\mathrm{bpm}\\cdot f\\cdot c(\\beta)}\\,\\mathrm{d}\\beta
\\quad\\text{seconds,}$$

evaluated on a 1/16-beat grid. The renderer places every note through
this very map, so the map *is* the ground truth. The committed example set
(`audio/`, rebuilt by `make audio`) holds 7 pieces in 4-5 versions each:
"""),
    code("""
ex = audio.examples()
print(ex.groupby("piece").agg(versions=("version", "count"), seconds=("duration", "sum")).round(1).to_string())
print()
bach = ex[ex["piece"] == "bach-bwv846"]
print(bach[["version", "duration", "tempo_factor", "transpose", "tuning_cents", "programs", "reverb", "snr_db"]]
      .round(2).to_string(index=False))
""", check=True),
    md("""
Two versions of the prelude: piano at the score's tempo, and a
harpsichord 25 % faster with rubato, tuned 30 cents low. The cyan lines are
the ground-truth notes drawn at their fundamental frequencies. Listen to
both (the first 8 s).
"""),
    code("""
versions = {}
for name in ["piano", "harpsichord"]:
    y = audio.load_example("bach-bwv846", name)
    g = synth.load_example_truth("bach-bwv846", name)
    versions[name] = (y, g)
    rp.waveform_spectrogram(y, SR, notes=g.notes, max_seconds=12, title=f"BWV 846, {name}")
    plt.show()
    display(cmr.plot.audio(y, SR, duration=8))
"""),
    md("""
### Reading the ground truth

Each version's ground truth maps score beats to seconds
(`beat_to_time`) and back (`time_to_beat`). Composing the two maps,

$$t_B = \\mathrm{beat\\_to\\_time}_B\\big(\\mathrm{time\\_to\\_beat}_A(t_A)\\big),$$

answers "where in recording B is the moment I hear at $t_A$ in
recording A?": this is the true alignment that notebook 02 computes from
the audio alone, and that notebooks 03-06 use to score their results.
"""),
    code("""
(y_a, g_a), (y_b, g_b) = versions["piano"], versions["harpsichord"]
table = pd.DataFrame({"measure": g_a.measure_times["measure"],
                      "piano (s)": g_a.measure_times["start"],
                      "harpsichord (s)": g_b.measure_times["start"]})
print(table.round(3).to_string(index=False))
t_a = 10.0
print(f"\\n{t_a} s in the piano version = score beat {g_a.time_to_beat(t_a):.3f}"
      f" = {map_time(t_a, g_a, g_b):.3f} s in the harpsichord version")
""", check=True),
    md("""
Listen to measure 5 in both versions: the same music, at different times
in the two files.
"""),
    code("""
for name, (y, g) in versions.items():
    a, b = g.measure_to_time(5), g.measure_to_time(6)
    print(f"{name}: measure 5 from {a:.2f} s to {b:.2f} s")
    display(cmr.plot.audio(y, SR, start=a, duration=b - a))
"""),
    md("""
All five versions of the prelude on one plot: the slope is seconds per
beat (steeper = slower); `guitar-d-repeat` plays measures 1-4 twice and
therefore lasts 16 beats longer.
"""),
    code("""
truths = {v: synth.load_example_truth("bach-bwv846", v) for v in bach["version"]}
rp.tempo_maps(truths, title="BWV 846: audio time over performed beats (dots: measure starts)")
plt.show()
"""),
    md("""
### At scale: render your own versions

`render` takes a corpus name, a file, a parsed score or a note table;
`render_collection` renders many (score, version) pairs into a cache
folder with a progress bar (the later notebooks build their databases
that way). Here a chorale for a wind quartet, a fourth higher, slowing
towards the end, with velocities varied at random (seeded, so the audio is
the same on every run):
"""),
    code("""
v = Version(name="winds", programs=(73, 68, 71, 70), transpose=5, bpm=84,
            tempo_curve=[(0, 1.0), (24, 1.0), (36, 0.7)], velocity_jitter=6, seed=1)
r = render("bach/bwv66.6", v, stems=True)
print(f"{r.duration:.2f} s of audio, {len(r.notes)} notes, stems of parts {sorted(r.stems)}")
print(r.notes.head(4).round(3).to_string())
print("the stems add up to the mix (largest difference < 1e-6):",
      bool(np.abs(sum(r.stems.values()) - r.audio).max() < 1e-6))
display(cmr.plot.audio(r.audio, r.sr, duration=8))
""", check=True),
    md("""
## 3. Motif search in a piano roll

A first retrieval task needs no audio at all: find every occurrence of a
short motif in a score. The opening of Beethoven's String Quartet Op. 18
No. 1 is built from one turn figure, passed between the instruments and
moved to other pitches. We take the note table of measures 1-20 from the
ground truth of the example version `quartet` (its `start_beat`,
`end_beat` and `pitch` columns are the score's), and the motif from the
first violin's first five notes.

Write the motif as onsets relative to its first note and pitches,
$M = \\{(\\tau_i, p_i)\\}_{i=1}^{m}$ with $\\tau_1 = 0$, and the score as
the set $N$ of (onset, pitch) pairs. The motif occurs at time $t$
transposed by $k$ semitones if

$$(t + \\tau_i,\\; p_i + k) \\in N \\quad \\text{for all } i = 1, \\dots, m .$$

Each note of the score proposes one candidate $(t, k)$, and each candidate
costs $m$ set look-ups. We search each part on its own (a melodic motif
lives in one voice; parts that double each other give one occurrence each).
The whole search is short enough to read:
"""),
    code("""
quartet = synth.load_example_truth("beethoven-op18no1", "quartet").notes
first = quartet[quartet["part"] == 0].sort_values("start_beat").head(5)
motif = list(zip(first["start_beat"] - first["start_beat"].iloc[0], first["pitch"]))
print("motif (beat offset, MIDI pitch):", [(float(o), int(p)) for o, p in motif])

def find_motif_by_hand(notes, motif):
    present = set(zip(notes["start_beat"].round(6), notes["pitch"]))
    (o0, p0), rest = motif[0], motif[1:]
    hits = set()
    for t, p in present:
        k = p - p0                       # transposition proposed by this note
        if all((round(t + o - o0, 6), q + k) in present for o, q in rest):
            hits.add((float(t), int(k)))
    return sorted(hits)

by_hand = sorted((t, k, part) for part, voice in quartet.groupby("part")
                 for t, k in find_motif_by_hand(voice, motif))        # one part at a time
hits = symbolic.find_motif(quartet, motif, transpositions=True)
print(len(by_hand), "occurrences;", "library agrees:",
      by_hand == sorted(zip(hits["start_beat"], hits["shift"], hits["part"])))
hits["measure"] = quartet.loc[[ix[0] for ix in hits["note_index"]], "measure"].to_numpy()
print(hits[["start_beat", "measure", "part", "shift"]].to_string(index=False))
""", check=True),
    code("""
part_names = ["violin 1", "violin 2", "viola", "cello"]
beethoven_measures = synth.load_example_truth("beethoven-op18no1", "quartet").measure_times["start_beat"]
fig, ax = plt.subplots(figsize=(12, 4.2))
rp.piano_roll(quartet, ax=ax, highlight=list(hits["note_index"]),
              highlight_labels=[f"{s:+d}" for s in hits["shift"]], part_names=part_names,
              measure_lines=beethoven_measures, alpha=0.45,
              title="Op. 18 No. 1, measures 1-20: the turn motif (black frames, label = transposition)")
plt.show()
y_q = audio.load_example("beethoven-op18no1", "quartet")
display(cmr.plot.audio(y_q, SR, duration=8))
"""),
    md("""
### Try it: transpositions and versions

Move the slider to see the occurrences at one transposition (and hear the
motif there); tick the box to see all. The second widget lets you pick any
piece and version of the example set, with the ground-truth notes drawn on
the spectrogram.
"""),
    code("""
from cmr.widgets.representations import motif_explorer, version_explorer

motif_explorer(quartet, motif, part_names=part_names, measure_lines=beethoven_measures, bpm=132)
"""),
    code("""
version_explorer("beethoven-op18no1", seconds=8)
"""),
    md("""
## 4. Retrieval scenarios

Content-based music retrieval covers tasks that differ in two ways.

* **Specificity**: how closely must a hit resemble the query? At the high
  end, *audio identification* finds the very recording a snippet was cut
  from (fingerprinting); *audio matching* finds the same passage in other
  performances; *version identification* accepts covers with another
  arrangement, key and structure; at the low end, *category-based
  retrieval* returns pieces that merely share a genre, mood or
  instrumentation.
* **Granularity**: is the query a fragment whose hits are positions inside
  recordings (fragment level), or a whole piece whose hits are pieces
  (document level)?

This workbook treats the middle of the map, where chroma features and
alignment do the work:

| scenario | specificity | granularity | notebook |
|---|---|---|---|
| synchronization (align versions of one piece) | high | whole documents, position by position | [02](02_DTW_and_Synchronization.ipynb) |
| audio matching | medium-high | fragment | [03](03_Audio_Matching.ipynb) |
| version identification | medium | document | [04](04_Version_Identification.ipynb) |
| shingles and indexing (matching and version search at scale) | medium | fragment to document | [05](05_Shingles_and_Indexing.ipynb) |
| cross-modal theme retrieval (score theme in recordings) | medium | fragment | [06](06_Cross_Modal_Theme_Retrieval.ipynb) |
| audio identification, category-based retrieval | high / low | fragment / document | not treated |

Notebook [01](01_Chroma_Features.ipynb) builds the chroma features all of
them use; notebook [07](07_Score_Viewer_and_Separation.ipynb) applies alignment to a score viewer and to source
separation.
"""),
    code("""
rp.retrieval_scenarios()
plt.show()
"""),
    md("""
## 5. Exercises

**Exercise 1 (versions and ground truth).** Render the chorale
`bach/bwv66.6` for strings (programs 40, 40, 41, 42) a whole tone higher,
20 % slower than its score tempo. At what time does measure 5 begin? Which
time in the example version `bach-bwv66.6 / organ` corresponds to 10 s of
your rendering?
"""),
    code("# your code here"),
    code("""
mine = render("bach/bwv66.6", Version(name="strings-up2", programs=(40, 40, 41, 42), transpose=2,
                                      tempo_factor=0.8))
organ = synth.load_example_truth("bach-bwv66.6", "organ")
print(f"measure 5 begins at {mine.truth.measure_to_time(5):.3f} s")
print(f"10 s in my rendering = {map_time(10.0, mine.truth, organ):.3f} s in the organ version")
display(cmr.plot.audio(mine.audio, mine.sr, start=mine.truth.measure_to_time(5), duration=4))
""", hidden=True),
    md("""
**Exercise 2 (motif search).** How many of the motif occurrences in the
Beethoven excerpt are *exact* (untransposed)? In which parts does the
motif occur at all, and how often in each?
"""),
    code("# your code here"),
    code("""
exact = symbolic.find_motif(quartet, motif, transpositions=False)
print(len(exact), "exact occurrences out of", len(hits))
print(hits.groupby("part").size().rename(index=dict(enumerate(part_names))).to_string())
""", hidden=True),
    md("""
**Exercise 3 (from piano roll to pitch classes).** Compute the piano-roll
matrix of the chorale `bach/bwv66.6` (4 cells per beat) and fold it into
12 pitch classes by summing the rows of all C's, all C♯'s, and so on. Which
pitch class sounds longest? (This folding is the idea behind the chroma
features of notebook 01.)
"""),
    code("# your code here"),
    code("""
chorale = symbolic.score_notes("bach/bwv66.6")
R = symbolic.piano_roll(chorale, resolution=4)          # shape (128, cells)
pcp = np.array([R[pc::12].sum() for pc in range(12)])   # rows pc, pc+12, pc+24, ...
names = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
print({n: int(v) for n, v in zip(names, pcp)})
print("longest sounding pitch class:", names[int(np.argmax(pcp))])
""", hidden=True),
    md(f"""
## 6. Further reading

* M. Müller. *Fundamentals of Music Processing*, 2nd ed. Springer, 2021.
  Chapter 1 (music representations: score, MIDI, piano roll, audio) and
  chapter 7 (content-based audio retrieval).
* P. Grosche, M. Müller, J. Serrà. Audio content-based music retrieval.
  In *Multimodal Music Processing*, Dagstuhl Follow-Ups 3, 2012 (the
  specificity / granularity view of retrieval tasks).
* M. A. Casey, R. Veltkamp, M. Goto, M. Leman, C. Rhodes, M. Slaney.
  Content-based music information retrieval: current directions and
  future challenges. *Proceedings of the IEEE* 96(4), 2008.
* M. S. Cuthbert, C. Ariza. music21: a toolkit for computer-aided
  musicology and symbolic music data. *ISMIR*, 2010.
* L. Pugin, R. Zitellini, P. Roland. Verovio: a library for engraving MEI
  music notation into SVG. *ISMIR*, 2014.
* M. Good. MusicXML: an internet-friendly format for sheet music. *XML
  Conference*, 2001.
* C. Raffel, D. P. W. Ellis. Intuitive analysis, creation and manipulation
  of MIDI data with pretty_midi. *ISMIR Late-Breaking Demos*, 2014 (the
  General MIDI SoundFont our renderer plays comes with it).
* E-mu Systems. *SoundFont Technical Specification 2.04*, 2006 (the sample
  format `cmr.sf2` reads).

How the example audio is made: `audio/README.md`, `scripts/make_audio.py`
(`make audio`).

{nav(PREV, NEXT)}
"""),
]


def main(argv):
    path = write(NOTEBOOKS / NAME, cells)
    if "--no-exec" not in argv:
        # the widgets play audio through HTML widgets, not Audio objects inside an Output widget,
        # which made execution idle until the timeout (jupyter/nbconvert#2029); the short timeout
        # stays as a guard
        print(f"{NAME}: executed in {execute(path, timeout=90):.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
