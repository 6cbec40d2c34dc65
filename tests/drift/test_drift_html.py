"""The HTML report: self-contained, every feature present, all text escaped."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlops_runtime.drift import build_profile, compare, render_html

from .synthetic import FEATURES


def test_html_lists_every_feature(reference, current):
    html = render_html(compare(build_profile(reference, FEATURES), current))
    for name in FEATURES:
        assert f">{name}<" in html
    assert html.count("<svg") == len(FEATURES)
    assert "<script" not in html and "http://" not in html.replace('xmlns="http://www.w3.org', "")


def test_html_escapes_names_and_categories():
    rng = np.random.default_rng(0)
    evil = "<script>alert('x')</script>"
    ref = pd.DataFrame({evil: rng.normal(size=500), "cat": ["<b>bold</b>", "a&b"] * 250})
    cur = pd.DataFrame({evil: rng.normal(1, size=400), "cat": ["<i>new</i>"] * 400})
    html = render_html(compare(ref, cur), title="Drift & <friends>")
    assert "<script>" not in html and "<b>bold" not in html and "<i>new" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "a&amp;b" in html
    assert "Drift &amp; &lt;friends&gt;" in html
