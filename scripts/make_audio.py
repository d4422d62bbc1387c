"""Render the workbook's example audio set into audio/ (called by `make audio`).

Every piece is an excerpt of a score from the music21 corpus; every version
is a :class:`cmr.synth.Version` (tempo curve, instrumentation, key, tuning,
room, noise, structure). The script writes, for each version,

    audio/<piece>/<version>.ogg          mono 22050 Hz Ogg/Vorbis
    audio/<piece>/<version>.truth.json   exact ground truth (cmr.synth.save_ground_truth)

and audio/manifest.json listing everything. Rendering is deterministic and
the Ogg writer fixes the stream serial number, so running it twice gives
byte-identical files (`python scripts/make_audio.py --check` verifies that
against the committed files without writing).

Usage: python scripts/make_audio.py [--check] [--only PIECE ...]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from cmr import audio, symbolic
from cmr.paths import AUDIO_DIR
from cmr.synth import Version, render, save_ground_truth

SR = audio.DEFAULT_SR
OGG_QUALITY = 0.6

CORPUS_LICENCE = ("Composition in the public domain. Encoding from the music21 corpus, distributed with "
                  "music21 (BSD-3-Clause software) by permission of the encoders; the corpus licence note "
                  "(music21/corpus/license.txt) says some encodings may carry non-commercial restrictions.")

# Tempo curves are written as (fraction of the excerpt, relative tempo) and converted to beats below.
RUBATO = ((0.0, 0.92), (0.2, 1.06), (0.45, 0.95), (0.7, 1.08), (0.9, 0.97), (1.0, 0.8))
RITARDANDO = ((0.0, 1.0), (0.7, 1.0), (1.0, 0.62))
ACCELERANDO = ((0.0, 0.85), (1.0, 1.2))
SWELL = ((0.0, 1.05), (0.5, 0.88), (1.0, 1.05))

PIECES = [
    dict(id="bach-bwv846", score="bach/bwv846", measures=(1, 8), title="Prelude in C major, BWV 846 (WTC I)",
         composer="Johann Sebastian Bach", encoder="MuseScore user upload (musescore.com/score/117279), 2013",
         versions=[
             dict(name="piano", description="piano, the score's tempo (quarter = 72)", programs=0),
             dict(name="harpsichord", description="harpsichord, 25% faster with rubato, tuned 30 cents low",
                  programs=6, tempo_factor=1.25, tempo_curve=RUBATO, tuning_cents=-30),
             dict(name="organ-church", description="church organ, slower with a final ritardando, in a reverberant room",
                  programs=19, tempo_factor=0.8, tempo_curve=RITARDANDO, reverb=0.35, reverb_seconds=2.5),
             dict(name="guitar-d-repeat", description="nylon guitar in D major (+2), measures 1-4 played twice",
                  programs=24, transpose=2, tempo_curve=SWELL, velocity_jitter=6, sections=((1, 4), (1, 8))),
             dict(name="piano-noisy", description="piano accelerating, room and white noise at 15 dB SNR",
                  programs=0, tempo_curve=ACCELERANDO, reverb=0.2, snr_db=15, velocity_scale=0.9),
         ]),
    dict(id="bach-bwv66.6", score="bach/bwv66.6", measures=(0, 9),
         title="Chorale 'Christ unser Herr zum Jordan kam' from BWV 66", composer="Johann Sebastian Bach",
         encoder="music21 Bach chorale collection (Finale/Dolet export, 2008)",
         versions=[
             dict(name="organ", description="church organ on all four voices, quarter = 72", programs=19, bpm=72),
             dict(name="strings", description="violin, violin, viola, cello; slowing at the end",
                  programs=(40, 40, 41, 42), bpm=80, tempo_curve=RITARDANDO),
             dict(name="winds-down3", description="flute, oboe, clarinet, bassoon; a minor third lower",
                  programs=(73, 68, 71, 70), bpm=88, transpose=-3, tempo_curve=RUBATO),
             dict(name="choir-sharp", description="choir 'aah', 20 cents sharp, reverberant",
                  programs=52, bpm=66, tuning_cents=20, reverb=0.4, reverb_seconds=2.2),
         ]),
    dict(id="mozart-k545", score="mozart/k545/movement1", measures=(1, 12),
         title="Piano Sonata in C major, K. 545, i. Allegro (opening)", composer="Wolfgang Amadeus Mozart",
         encoder="music21 corpus (exposition excerpt)",
         versions=[
             dict(name="piano", description="piano, quarter = 120", programs=0, bpm=120),
             dict(name="piano-rubato", description="piano, slower with rubato and a final ritardando",
                  programs=0, bpm=104, tempo_curve=((0, 1.0), (0.3, 1.08), (0.6, 0.94), (0.85, 1.02), (1.0, 0.7)),
                  velocity_jitter=5, seed=1),
             dict(name="epiano-bb", description="electric piano in B-flat (-2), 15 cents sharp",
                  programs=4, bpm=126, transpose=-2, tuning_cents=15),
             dict(name="vibraphone-room", description="vibraphone in a room, noise at 25 dB SNR",
                  programs=11, bpm=112, reverb=0.25, snr_db=25),
         ]),
    dict(id="beethoven-op18no1", score="beethoven/opus18no1/movement1", measures=(1, 20),
         title="String Quartet in F major, Op. 18 No. 1, i. Allegro con brio (opening)",
         composer="Ludwig van Beethoven", encoder="Craig Stuart Sapp (Humdrum/kern, 2004), MusicXML via music21",
         versions=[
             dict(name="quartet", description="violin, violin, viola, cello; dotted half = 44 (quarter = 132)",
                  programs=(40, 40, 41, 42)),
             dict(name="quartet-fast-flat", description="string quartet 12% faster with rubato, 20 cents flat",
                  programs=(40, 40, 41, 42), tempo_factor=1.12, tempo_curve=RUBATO, tuning_cents=-20),
             dict(name="piano-up1", description="all four parts on piano, a semitone higher, slower",
                  programs=0, transpose=1, tempo_factor=0.85),
             dict(name="winds-noisy", description="flute, oboe, clarinet, bassoon in a room, noise at 20 dB SNR",
                  programs=(73, 68, 71, 70), tempo_curve=ACCELERANDO, reverb=0.25, snr_db=20),
         ]),
    dict(id="haydn-op74no1", score="haydn/opus74no1/movement1", measures=(1, 14),
         title="String Quartet in C major, Op. 74 No. 1, i. Allegro moderato (opening)", composer="Joseph Haydn",
         encoder="music21 corpus (Finale for Windows export)",
         versions=[
             dict(name="quartet", description="string quartet, quarter = 120", programs=(40, 40, 41, 42), bpm=120),
             dict(name="quartet-rubato", description="string quartet, slower with rubato", bpm=100,
                  programs=(40, 40, 41, 42), tempo_curve=RUBATO, velocity_jitter=6, seed=2),
             dict(name="brass-down2", description="trumpet, trumpet, horn, tuba, a tone lower (-2)",
                  programs=(56, 56, 60, 58), bpm=116, transpose=-2),
             dict(name="organ-room", description="organ in a reverberant room, 35 cents sharp",
                  programs=19, bpm=108, tuning_cents=35, reverb=0.35, reverb_seconds=2.5),
         ]),
    dict(id="schubert-lindenbaum", score="schubert/Lindenbaum", measures=(1, 16),
         title="Der Lindenbaum, D. 911 No. 5 (opening)", composer="Franz Schubert",
         encoder="Luke Poeppel, 2017 (music21 corpus)",
         versions=[
             dict(name="clarinet-piano", description="voice played by clarinet, piano; quarter = 84",
                  programs=(71, 0, 0), bpm=84),
             dict(name="cello-piano-down5", description="voice on cello, a fourth lower (-5), with rubato",
                  programs=(42, 0, 0), bpm=76, transpose=-5, tempo_curve=RUBATO),
             dict(name="oboe-strings", description="oboe and string ensemble, slower at the end",
                  programs=(68, 48, 48), bpm=90, tempo_curve=RITARDANDO),
             dict(name="voice-piano-room", description="'ooh' voice and piano in a room, noise at 20 dB SNR",
                  programs=(53, 0, 0), bpm=80, reverb=0.3, snr_db=20, tuning_cents=-15),
         ]),
    dict(id="chopin-mazurka6-2", score="chopin/mazurka06-2", measures=(1, 24),
         title="Mazurka in C-sharp minor, Op. 6 No. 2 (opening)", composer="Frederic Chopin",
         encoder="Craig Stuart Sapp (Humdrum/kern, 2005), Mikuli edition",
         versions=[
             dict(name="piano", description="piano, quarter = 138", programs=0, bpm=138),
             dict(name="piano-rubato", description="piano with strong rubato, slower",
                  programs=0, bpm=120, tempo_curve=((0, 0.85), (0.15, 1.1), (0.33, 0.8), (0.5, 1.05),
                                                     (0.66, 0.85), (0.85, 1.1), (1.0, 0.75)),
                  velocity_jitter=8, seed=3),
             dict(name="piano-cut", description="piano, measures 1-8 then 17-24 (9-16 omitted)",
                  programs=0, bpm=132, sections=((1, 8), (17, 24))),
             dict(name="accordion-up3", description="accordion, a minor third higher, noise at 25 dB SNR",
                  programs=21, bpm=144, transpose=3, snr_db=25),
         ]),
]


def _curve(points, b0, b1):
    return tuple((b0 + f * (b1 - b0), t) for f, t in points)


def build_version(piece: dict, spec: dict, notes) -> Version:
    ms = notes.attrs["measure_starts"]
    a, b = piece["measures"]
    b0 = float(ms.loc[ms["measure"] == a, "start_beat"].iloc[0])
    row = ms.loc[ms["measure"] == b].iloc[0]
    b1 = float(row["start_beat"] + row["length"])
    params = {k: v for k, v in spec.items() if k != "description"}
    params.setdefault("sections", ((a, b),))
    if "tempo_curve" in params:
        params["tempo_curve"] = _curve(params["tempo_curve"], b0, b1)
    params.setdefault("lead_in", 0.3)
    return Version(**params)


def render_piece(piece: dict, out_dir: Path):
    notes = symbolic.cached_score_notes(piece["score"])
    rows = []
    for spec in piece["versions"]:
        v = build_version(piece, spec, notes)
        r = render(notes, v, sr=SR)
        r.truth.source = piece["score"]
        rel_audio = f"{piece['id']}/{v.name}.ogg"
        rel_truth = f"{piece['id']}/{v.name}.truth.json"
        audio.write(out_dir / rel_audio, r.audio, SR, quality=OGG_QUALITY)
        save_ground_truth(r.truth, out_dir / rel_truth)
        rows.append(dict(name=v.name, description=spec.get("description", ""), duration=round(r.duration, 6),
                         n_notes=int(len(r.notes)), audio_file=rel_audio, truth_file=rel_truth,
                         parameters=v.to_dict()))
    names = notes.attrs.get("part_names", [])
    return dict(id=piece["id"], title=piece["title"], composer=piece["composer"], score=piece["score"],
                score_source=f"music21 corpus: {piece['score']}", encoder=piece["encoder"],
                measures=list(piece["measures"]), parts=list(names), licence=CORPUS_LICENCE, versions=rows)


def build(out_dir: Path, only=None) -> dict:
    pieces = [p for p in PIECES if not only or p["id"] in only]
    entries = []
    for piece in tqdm(pieces, desc="render pieces"):
        entries.append(render_piece(piece, out_dir))
    manifest = dict(
        description="Example audio of the cross-modal music retrieval workbook, rendered from music21 scores "
                    "by scripts/make_audio.py (make audio). Times in seconds, beats in quarter notes from "
                    "the start of the score.",
        sample_rate=SR, format="Ogg/Vorbis mono", ogg_quality=OGG_QUALITY,
        synthesizer="cmr.sf2 SoundFont player with TimGM6mb.sf2 (shipped in the pretty_midi wheel)",
        soundfont_licence="TimGM6mb.sf2 by Tim Brechbill, GNU GPL v2 (as distributed with pretty_midi and MuseScore); "
                          "the rendered audio contains its samples.",
        pieces=entries)
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def _digest(folder: Path) -> dict:
    return {str(p.relative_to(folder)): hashlib.sha1(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and (p.suffix in (".ogg", ".json"))}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="render into a temporary folder and compare with audio/")
    ap.add_argument("--only", nargs="*", help="piece ids to render")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            build(Path(tmp), args.only)
            new, old = _digest(Path(tmp)), _digest(AUDIO_DIR)
            if args.only:
                old = {k: v for k, v in old.items() if k.split("/")[0] in args.only}
                new.pop("manifest.json", None)
                old.pop("manifest.json", None)
            diff = sorted(k for k in set(new) | set(old) if new.get(k) != old.get(k))
            print(f"checked {len(new)} files in {time.perf_counter() - t0:.1f} s: "
                  + ("identical" if not diff else f"{len(diff)} differ: {diff[:10]}"))
            return 1 if diff else 0
    manifest = build(AUDIO_DIR, args.only)
    total = sum((AUDIO_DIR / v["audio_file"]).stat().st_size for p in manifest["pieces"] for v in p["versions"])
    seconds = sum(v["duration"] for p in manifest["pieces"] for v in p["versions"])
    n = sum(len(p["versions"]) for p in manifest["pieces"])
    print(f"rendered {n} versions of {len(manifest['pieces'])} pieces, {seconds:.0f} s of audio, "
          f"{total / 1e6:.2f} MB of Ogg, in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
