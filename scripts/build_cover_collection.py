"""Render the cover-song collection of notebook 04 and store its chroma features.

20 pieces from the music21 corpus (14 Bach chorales and six other pieces:
rag, trio sonata, string quartets, polonaise, madrigal), each cut to an
excerpt of about 40 s, and four versions of each:

``original``
    piano, written tempo, the excerpt as written.
``key_tempo_timbre``
    transposed by 3-5 semitones, 15-35 % faster, strings / choir / organ,
    some reverb.
``melody_bass``
    texture reduced to the melody (top voice of the first part) and the bass
    line (bottom voice of the last part), flute and bass instruments,
    transposed, slower with rubato.
``structure``
    harpsichord / guitar / vibraphone; the first half repeated (even pieces)
    or a middle section left out (odd pieces); slightly faster.

Audio is rendered with :func:`cmr.synth.render_collection` into
``cmr.paths.cache_dir('renders', 'cover_collection')`` (not committed);
features are computed with :mod:`cmr.chroma` (IIR chroma at 10 Hz, CENS at
2 Hz) and written, with the measure ground truth, to the small committed
file ``lib/cmr/data/cover_collection.npz`` that notebook 04 reads.

Run::

    .venv/bin/python scripts/build_cover_collection.py   # ~3 min on 2 cores
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from cmr import audio, chroma, symbolic, synth, versions

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "lib" / "cmr" / "data" / "cover_collection.npz"
SEED = 2009  # the year of the Qmax paper
EXCERPT_SECONDS = 40.0
CHROMA_RATE = 10.0
CENS_SMOOTH = 21      # frames at 10 Hz (about 2 s)
CENS_DOWNSAMPLE = 5   # 10 Hz -> 2 Hz

OTHER_PIECES = [
    "joplin/maple_leaf_rag.mxl",
    "corelli/opus3no1/1grave.xml",
    "mozart/k80/movement1.mxl",
    "haydn/opus1no1/movement1.mxl",
    "schumann_clara/polonaise_op1n1.mxl",
    "monteverdi/madrigal.3.1.mxl",
]
N_CHORALES = 14

# General MIDI programs
PIANO, HARPSICHORD, ORGAN, GUITAR, BASS, VIOLIN, CELLO, STRINGS, CHOIR, FLUTE, CLARINET, VIBES = (
    0, 6, 19, 24, 32, 40, 42, 48, 52, 73, 71, 11)


def choose_pieces() -> list[str]:
    """14 four-part chorales (every 25th of the corpus listing) plus the other pieces."""
    from music21 import corpus

    names = sorted(str(p).split("/corpus/")[1] for p in corpus.getCorePaths())
    chorales = [n for n in names if n.startswith("bach/bwv") and n.endswith(".mxl") and "-sc" not in n
                and n != "bach/bwv846.mxl"]
    picked = []
    for n in chorales[::7]:
        try:
            notes = symbolic.cached_score_notes(n)
        except Exception:  # an unparsable score is simply skipped
            continue
        if notes["part"].nunique() == 4 and notes.attrs["end_beat"] >= 28:
            picked.append(n)
        if len(picked) == N_CHORALES:
            break
    return picked + OTHER_PIECES


def excerpt_measures(notes: pd.DataFrame) -> list[int]:
    """Measure numbers of the excerpt: from the first measure up to ~EXCERPT_SECONDS at the written tempo."""
    ms = notes.attrs["measure_starts"]
    bpm = float(notes.attrs.get("bpm") or 96.0)
    max_beat = EXCERPT_SECONDS * bpm / 60.0
    keep = ms[ms["start_beat"] < max_beat]
    # drop a pickup measure (shorter than the following one) so sections start on a full bar
    nums = [int(m) for m in keep["measure"]]
    if len(keep) > 2 and keep["length"].iloc[0] < keep["length"].iloc[1]:
        nums = nums[1:]
    return nums


def versions_for(index: int, notes: pd.DataFrame, rng) -> list[tuple[pd.DataFrame, synth.Version]]:
    meas = excerpt_measures(notes)
    first, last = meas[0], meas[-1]
    n_parts = int(notes["part"].max()) + 1
    half = meas[len(meas) // 2]
    third, two_thirds = meas[len(meas) // 3], meas[(2 * len(meas)) // 3]
    excerpt = ((first, last),)

    v1 = synth.Version(name="original", programs=PIANO, sections=excerpt, seed=index)
    t2 = int(rng.choice([-5, -4, -3, 3, 4, 5]))
    v2 = synth.Version(name="key_tempo_timbre", transpose=t2, tempo_factor=float(rng.uniform(1.15, 1.35)),
                       programs=int(rng.choice([STRINGS, CHOIR, ORGAN])), reverb=0.25, sections=excerpt,
                       seed=index + 100)
    mid_beat = float(notes.attrs["measure_starts"].set_index("measure").loc[half, "start_beat"])
    t3 = int(rng.choice([-7, -2, 2, 7]))
    progs3 = [CLARINET] * n_parts
    progs3[0] = FLUTE
    progs3[-1] = CELLO if n_parts > 2 else BASS
    v3 = synth.Version(name="melody_bass", transpose=t3, tempo_factor=float(rng.uniform(0.75, 0.9)),
                       tempo_curve=((0.0, 1.0), (mid_beat, 0.85), (2 * mid_beat, 1.1)),
                       programs=tuple(progs3), sections=excerpt, seed=index + 200)
    if index % 2 == 0:
        sections = ((first, half - 1), (first, last)) if half > first else excerpt  # first half repeated
    else:
        sections = ((first, third - 1), (two_thirds, last)) if third > first else excerpt  # middle left out
    v4 = synth.Version(name="structure", transpose=int(rng.choice([0, 0, 1, -1])),
                       tempo_factor=float(rng.uniform(1.0, 1.15)),
                       programs=int(rng.choice([HARPSICHORD, GUITAR, VIBES])), sections=sections,
                       velocity_jitter=6.0, seed=index + 300)
    return [(notes, v1), (notes, v2), (versions.melody_and_bass(notes), v3), (notes, v4)]


def main():
    start = time.perf_counter()
    pieces = choose_pieces()
    print(f"{len(pieces)} pieces: {pieces}")
    rng = np.random.default_rng(SEED)
    items, meta = [], []
    for p, name in enumerate(pieces):
        notes = symbolic.cached_score_notes(name)
        for notes_v, version in versions_for(p, notes, rng):
            notes_v = notes_v.copy()
            notes_v.attrs = dict(notes.attrs, source=name)
            item_id = f"{p:02d}_{name.replace('/', '_').rsplit('.', 1)[0]}__{version.name}"
            items.append({"score": notes_v, "version": version, "id": item_id})
            meta.append({"id": item_id, "piece": p, "score": name, "title": str(notes.attrs.get("title", name)),
                         "version": version.name, "params": json.dumps(version.to_dict())})
    man = synth.render_collection(items, "cover_collection", progress=True)
    if (man["status"] == "error").any():
        print(man[man["status"] == "error"][["id", "error"]].to_string())
        raise SystemExit("rendering failed")

    cens_list, chroma_list, truth_rows = [], [], []
    for k, row in tqdm(list(man.iterrows()), desc="features"):
        y = audio.load(row["audio"], sr=synth.DEFAULT_SR)
        C, rate = chroma.chroma(y, synth.DEFAULT_SR, kind="iir", feature_rate=CHROMA_RATE)
        E, erate = chroma.cens(C, rate, smooth_len=CENS_SMOOTH, downsample=CENS_DOWNSAMPLE)
        chroma_list.append(C.astype(np.float16))
        cens_list.append(E.astype(np.float16))
        truth = synth.load_ground_truth(row["truth"])
        mt = truth.measure_times
        for _, m in mt.iterrows():
            truth_rows.append((k, int(m["measure"]), int(m["occurrence"]), float(m["start_beat"]), float(m["start"])))
        meta[k]["duration"] = float(row["duration"])
    md = pd.DataFrame(meta)
    offs = lambda lst: np.concatenate([[0], np.cumsum([x.shape[1] for x in lst])]).astype(np.int64)  # noqa: E731
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        OUT,
        ids=md["id"].to_numpy(dtype=str), piece=md["piece"].to_numpy(dtype=np.int64),
        score=md["score"].to_numpy(dtype=str), title=md["title"].to_numpy(dtype=str),
        version=md["version"].to_numpy(dtype=str), params=md["params"].to_numpy(dtype=str),
        duration=md["duration"].to_numpy(dtype=np.float64),
        cens=np.concatenate(cens_list, axis=1), cens_offsets=offs(cens_list), cens_rate=np.float64(erate),
        chroma=np.concatenate(chroma_list, axis=1), chroma_offsets=offs(chroma_list),
        chroma_rate=np.float64(rate),
        measure_times=np.array(truth_rows, dtype=np.float64),
        settings=json.dumps({"seed": SEED, "excerpt_seconds": EXCERPT_SECONDS, "chroma": "iir",
                             "chroma_rate": CHROMA_RATE, "cens_smooth": CENS_SMOOTH,
                             "cens_downsample": CENS_DOWNSAMPLE}),
    )
    print(f"wrote {OUT} ({OUT.stat().st_size / 1e6:.2f} MB, {len(md)} versions of {md['piece'].nunique()} pieces, "
          f"{md['duration'].sum() / 60:.1f} min of audio) in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
