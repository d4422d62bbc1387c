"""Interactive widgets for the notebooks (ipywidgets).

UI code only: computation modules never import ``cmr.widgets``. One
submodule per notebook topic (``cmr.widgets.<topic>``).
"""
