"""Build notebooks/00_Index.ipynb, the map of the workbook."""
from nbtools import NOTEBOOKS, code, execute, md, write

# (file, title, what the reader learns, minutes)
NOTEBOOKS_MAP = [
    ("00_Music_Representations.ipynb", "Music representations",
     "the same piece as engraved score, MusicXML, note table and MIDI events, piano roll and rendered audio "
     "with exact ground truth; motif search with transpositions; the retrieval scenarios by specificity "
     "and granularity", 30),
    ("01_Chroma_Features.ipynb", "Chroma features",
     "from pitch to pitch class: spectrogram, a multirate IIR pitch filterbank, chroma from audio and from "
     "the score; normalisation, smoothing and CENS, CRP, tuning and key shifts", 45),
    ("02_DTW_and_Synchronization.ipynb", "Dynamic time warping and synchronization",
     "cost matrix, accumulated cost and warping path by hand; step sizes, bands, multiscale DTW; "
     "audio-audio and score-audio alignment measured in milliseconds; the Interpretation Switcher", 60),
    ("03_Audio_Matching.ipynb", "Audio matching",
     "find a 10-30 s excerpt in a database of recordings at other tempi and in other keys: CENS and "
     "timbre-reduced CRP, diagonal matching with multiple tempo scaling (costs normalised across tempi) vs "
     "subsequence DTW, transposition invariance, a playable ranked result list, query length vs specificity", 45),
    ("04_Version_Identification.ipynb", "Version identification",
     "find the covers of a piece: key-invariant cross-similarity (OTI), cross-recurrence plots and Qmax "
     "local alignment vs DTW and subsequence DTW; precision-recall and MAP on 80 rendered covers and "
     "330 real recordings", 45),
    ("05_Shingles_and_Indexing.ipynb", "Shingles and indexing",
     "cut recordings into 20 s chroma shingles and rank documents by their best shingle; tempo-invariant "
     "queries; PCA, noise-whitened PCA and a correction network (numpy) trained with triplet and contrastive "
     "losses, chosen per dimension on a rendered piano-style proxy of the real collection; MAP vs dimension "
     "on real recordings; k-d tree, LSH and HNSW against exact search", 60),
    ("06_Cross_Modal_Theme_Retrieval.ipynb", "Cross-modal theme retrieval",
     "a theme written in a score finds its recording among hours of polyphonic renderings: tempo scaling, "
     "12 chroma shifts, tuning compensation, hand-made and learned (small numpy networks trained on other "
     "pieces, one with weights shared along pitch) melody features, the other voices blended in for themes below the top voice, "
     "tempo-normalised and recording-relative scores, a frame rate fine enough for fast themes, a second network "
     "for the voice the first one confuses with the top, an oracle diagnosis; "
     "Top-k by feature type and invariance", 60),
    ("07_Score_Viewer_and_Separation.ipynb", "Applications: score viewer and source separation",
     "an engraved score that follows a recording through score-audio DTW, with page turning and "
     "play-from-measure; score-informed separation with masks and NMF, SDR against true stems, remixing "
     "one voice", 45),
]


def main():
    rows = []
    for name, title, what, minutes in NOTEBOOKS_MAP:
        exists = (NOTEBOOKS / name).exists()
        link = f"[{title}]({name})" if exists else f"{title} *(in preparation)*"
        rows.append(f"| {name[:2]} | {link} | {what} | {minutes} min |")
    table = "\n".join(rows)
    cells = [
        md("""
# The cross-modal music retrieval workbook

This workbook shows, step by step, how a computer finds music in music:
the same passage in two performances, a short excerpt in hours of audio,
a cover version in a collection, and a melody written in a score inside a
polyphonic recording. After working through it you will be able to compute
and read chroma features, align recordings with dynamic time warping,
build and evaluate retrieval systems, and judge them by real measurements
(alignment error in milliseconds, MAP, Top-k accuracy).

Every example is rendered from a real score by the workbook's own code, so
the ground truth is exact: we always know which second of one recording
corresponds to which beat of the score and to which second of another
recording.
"""),
        md(f"""
## The notebooks, in teaching order

| # | notebook | what you learn | time |
|---|---|---|---|
{table}

Each notebook has the same shape: the idea in words, the mathematics, a
small worked example with a figure and something to listen to, then the
library call that does it at scale; at least one widget to play with;
exercises with collapsed solutions; further reading; and links to the
previous and next notebook.
"""),
        md("""
## How the workbook is built

The code you see called in the notebooks lives in the package `cmr`
(folder `lib/cmr/`), one module per topic. Check that it is installed:
"""),
        code("import cmr\nprint('cmr version', cmr.__version__)", check=True),
        md("""
To run everything from a terminal: `make lab` opens this notebook in
JupyterLab, `make test` runs the tests and executes every notebook. See
`README.md` for the conda and Binder routes.

**Start here:** [00 Music representations](00_Music_Representations.ipynb)
"""),
    ]
    path = write(NOTEBOOKS / "00_Index.ipynb", cells)
    print(f"executed {path.name} in {execute(path):.1f} s")


if __name__ == "__main__":
    main()
