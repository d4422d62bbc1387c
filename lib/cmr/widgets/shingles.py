"""Widget for notebook 05: pick a dimension K and an index, see MAP and query time."""
from __future__ import annotations


def index_explorer(evaluate, ks=(240, 30, 20, 15, 10, 7, 5, 3), kinds=("brute", "kdtree", "lsh", "hnsw"),
                   reductions=("PCA", "learned"), value=(10, "hnsw", "PCA")):
    """Dropdowns for K, index type and reduction; shows what ``evaluate`` returns.

    Parameters
    ----------
    evaluate : callable (K, kind, reduction) -> dict
        Must return ``map`` (float), ``seconds`` (query time), ``brute_seconds``
        (exact search time on the same data) and may return ``recall``; the
        widget prints them and draws the two times side by side.
    """
    import ipywidgets as w
    import matplotlib.pyplot as plt
    from IPython.display import display

    k_dd = w.Dropdown(options=list(ks), value=value[0], description="K")
    kind_dd = w.Dropdown(options=list(kinds), value=value[1], description="index")
    red_dd = w.Dropdown(options=list(reductions), value=value[2], description="reduction")
    out = w.Output()

    def update(*_):
        res = evaluate(k_dd.value, kind_dd.value, red_dd.value)
        with out:
            out.clear_output(wait=True)
            extra = f", recall@10 vs exact {res['recall']:.3f}" if "recall" in res else ""
            print(f"K={k_dd.value}, {red_dd.value}, {kind_dd.value}: MAP {res['map']:.3f}{extra}; "
                  f"query time {1e3 * res['seconds']:.1f} ms (exact search {1e3 * res['brute_seconds']:.1f} ms)")
            fig, ax = plt.subplots(figsize=(5, 1.6))
            ax.barh(["exact (brute force)", kind_dd.value], [res["brute_seconds"] * 1e3, res["seconds"] * 1e3],
                    color=["0.6", "tab:blue"])
            ax.set_xlabel("time for all queries (ms)")
            fig.tight_layout()
            plt.show()

    for dd in (k_dd, kind_dd, red_dd):
        dd.observe(update, names="value")
    update()
    box = w.VBox([w.HBox([k_dd, red_dd, kind_dd]), out])
    display(box)
    return box
