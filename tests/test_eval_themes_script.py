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
