"""scripts/eval_themes.py: configuration kinds and their matching options."""
import numpy as np
import pandas as pd
import pytest

from cmr import themes


def test_matching_options_split_the_kind(script):
    ev = script("eval_themes")
    assert ev.matching_options("conv_blend") == (
        "conv_blend", {"normalize": False, "relative": False, "rate": themes.FEATURE_RATE,
                       "tempo_factors": themes.TEMPO_FACTORS})
    assert ev.matching_options("conv_blend+norm+rel+fine") == (
        "conv_blend", {"normalize": True, "relative": True, "rate": themes.FINE_RATE,
                       "tempo_factors": themes.TEMPO_FACTORS})
    assert ev.matching_options("conv+fine")[1]["rate"] == 10.0
    tf13 = ev.matching_options("conv_blend+norm+fine+t13")[1]["tempo_factors"]
    assert len(tf13) == 13 and (tf13[0], tf13[-1]) == (themes.TEMPO_FACTORS[0], themes.TEMPO_FACTORS[-1])
    assert 1.001 in tf13 and np.allclose(np.diff(np.log(tf13)), np.log(1.59 / 0.63) / 12, atol=2e-3)
    for bad in ("conv_blend+fast", "conv_blend+t13+t9", "conv_blend+t0", "conv_blend+t1", "conv_blend+t"):
        with pytest.raises(SystemExit, match="unknown matching option"):
            ev.matching_options(bad)
    # every configuration in the table parses
    for _, kind, *_ in ev.CONFIGS:
        ev.matching_options(kind)


def test_fine_rate_is_refused_for_features_cached_at_5_hz_only(script):
    ev = script("eval_themes")
    with pytest.raises(SystemExit, match="5 Hz only"):
        ev._load_database(pd.DataFrame({"piece": ["x"]}), "cens", True, rate=themes.FINE_RATE)


def test_second_voice_kind_needs_the_committed_model_cache(script, tmp_path, monkeypatch):
    """Kind conv_blend2 reads two caches (conv and conv_second); a missing or stale one stops with the command
    that fills it, not with a missing-file error deep inside."""
    from cmr import melody

    ev = script("eval_themes")
    tsm = script("train_melody_salience")
    monkeypatch.setenv("CMR_CACHE_DIR", str(tmp_path))
    monkeypatch.syspath_prepend(str(tsm.ROOT / "scripts"))  # the script imports its sibling scripts by name
    for kind, path in (("conv", melody.conv_weights_path()), ("conv_second", melody.conv_second_weights_path())):
        with pytest.raises(SystemExit, match=f"the {kind} cache has no weights stamp"):
            ev._load_database(pd.DataFrame({"piece": ["x"]}), "conv_blend2", True, rate=themes.FINE_RATE)
        tsm.stamp_file(kind).write_text(f"{tsm._sha256(path)}  {path}\n")
    tsm.stamp_file("conv_second").write_text("0" * 64 + "  other.npz\n")
    with pytest.raises(SystemExit, match="apply --kind conv_second"):
        ev._load_database(pd.DataFrame({"piece": ["x"]}), "conv_blend2", True, rate=themes.FINE_RATE)


def test_evaluate_gives_the_same_ranks_in_two_processes(script):
    """Toy database: each recording holds one theme after other notes; ranks and positions do not depend on
    how many processes share the themes."""
    from cmr.matching import Database

    ev = script("eval_themes")
    rng = np.random.default_rng(5)
    theme_rows, docs, occ = [], [], {}
    for d in range(5):
        pitches = 60 + rng.choice(12, size=12)
        filler = 48 + rng.choice(12, size=8)
        onsets = np.arange(12) * 0.5                       # quarter notes at 120 qpm: 0.25 s each
        theme_rows.append({"theme": f"doc{d}#0", "piece": f"doc{d}", "qpm": 120.0,
                           "pitches": " ".join(map(str, pitches)), "onsets": " ".join(map(str, onsets)),
                           "offsets": " ".join(map(str, onsets + 0.5))})
        notes = pd.DataFrame({"start": np.r_[np.arange(8) * 0.25, 2.0 + np.arange(12) * 0.25],
                              "end": np.r_[np.arange(1, 9) * 0.25, 2.0 + np.arange(1, 13) * 0.25],
                              "pitch": np.r_[filler, pitches]})
        docs.append(themes.theme_features(notes, "melody"))
        occ[(f"doc{d}#0", f"doc{d}")] = [(2.0, 5.0)]
    theme_df = pd.DataFrame(theme_rows)
    ids = list(theme_df["piece"])
    # the last two themes are declared relevant to another recording: their ranks are > 1 and tell the order
    rel = pd.DataFrame({"theme": theme_df["theme"], "piece": ids[:3] + [ids[4], ids[0]]})
    db = Database.from_features(docs, themes.FEATURE_RATE, doc_ids=ids, normalize=False)
    one = ev.evaluate(theme_df, rel, db, occ, "melody", True, True, progress=False)
    two = ev.evaluate(theme_df, rel, db, occ, "melody", True, True, progress=False, jobs=2)
    assert one[0][:3].tolist() == [1] * 3 and one[1][:3].all()
    assert (one[0][3:] > 1).all() and not one[1][3:].any()
    assert np.array_equal(one[0], two[0]) and np.array_equal(one[1], two[1])
    assert ev._TASK == {}  # nothing left behind for the next row


def test_apply_fills_the_committed_caches_with_the_committed_weights_only(script, tmp_path, monkeypatch):
    from cmr import melody

    tsm = script("train_melody_salience")
    monkeypatch.setenv("CMR_CACHE_DIR", str(tmp_path))
    monkeypatch.syspath_prepend(str(tsm.ROOT / "scripts"))
    assert tsm.committed_weights("conv_second") == melody.conv_second_weights_path()
    assert tsm.committed_weights("learned_second") is None  # a candidate cache: any weights, stamped
    assert tsm.apply_command("learned").endswith("apply")
    assert tsm.apply_command("conv_second").endswith("apply --kind conv_second")
    assert tsm.apply_command("learned_ens").endswith("apply --weights <file> --kind learned_ens")
    with pytest.raises(SystemExit, match="no conv_second chroma for x: run .* apply --kind conv_second"):
        tsm.load_learned("x", "conv_second")
    for kind in ("conv", "conv_second"):
        with pytest.raises(SystemExit, match=f"--kind {kind} is the cache of the committed"):
            tsm.main(["apply", "--kind", kind, "--weights", str(tmp_path / "other.npz")])


def test_voice_confusion_counts_frames_that_name_the_second_voice(script):
    """Two voices, four notes each (top E F G A, below C D E F): a chroma that names the top voice is right
    everywhere, also when shifted as a whole (a +-50-cent rendering compensated to the next semitone); one that
    takes the lower voice for the top in the last second is wrong there, and its wrong frames name the second
    voice; the second network's chroma, naming the top voice there, is counted."""
    vc = script("voice_confusion")
    top, low = [76, 77, 79, 81], [72, 74, 76, 77]
    notes = pd.DataFrame({"start": [0.0, 1.0, 2.0, 3.0] * 2, "end": [1.0, 2.0, 3.0, 4.0] * 2, "pitch": top + low,
                          "part": [0] * 4 + [1] * 4, "velocity": [80] * 8})

    def chroma_of(pitches):
        C = np.zeros((12, 40))
        for i, p in enumerate(pitches):
            C[p % 12, i * 10:(i + 1) * 10] = 1.0
        return C

    right = vc.confusion(chroma_of(top), notes)
    assert (right["accuracy"], right["frames"], right["shift"]) == (1.0, 40, 0)
    assert vc.confusion(np.roll(chroma_of(top), 1, axis=0), notes)["accuracy"] == 1.0
    one_swap = top[:3] + low[3:]
    wrong = vc.confusion(chroma_of(one_swap), notes, S=chroma_of(low[:3] + top[3:]))
    # the first frame of a note still holds the previous top note (G), which second_voice names there: of the
    # 10 wrong frames, 9 name the second voice
    assert (wrong["accuracy"], wrong["second_share"]) == (0.75, 0.9)
    assert (wrong["swapped"], wrong["swapped_s_top"], wrong["right"], wrong["right_s_top"]) == (9, 9, 30, 0)
    with pytest.raises(ValueError, match="12, N"):
        vc.confusion(np.zeros((11, 5)), notes)
