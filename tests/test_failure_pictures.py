"""Pictures of a failure: PNG files (--gradcheck-plots), the JSON report's paths, pytest-html's extras."""

from __future__ import annotations

import base64
import html
import importlib.util
import io
import json
import re
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pluginrun import PLANTED_LAYER_JACOBIAN, SEED, docs_project_run, run, write

import gradcheck
from gradcheck.verdict.maptext import map_lines

PNG = b"\x89PNG\r\n\x1a\n"
MAP = "pics/cases_x.yaml_seed_layer-a6e142f5.map.png"
SWEEP = "pics/cases_x.yaml_seed_layer-a6e142f5.sweep.png"
NO_MATPLOTLIB = 'needs matplotlib, which is not installed: pip install "gradcheck[plot]"'


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def failing_layer(pytester: pytest.Pytester) -> None:
    """A case whose layer check fails (class 2's block of dS/dW is 1 % off) and whose loss passes."""
    pytester.makeconftest(PLANTED_LAYER_JACOBIAN)
    write(pytester, "cases/x.yaml", SEED + "    checks: [layer, loss]\n")


def test_each_failing_item_writes_its_pictures_and_says_where(pytester: pytest.Pytester) -> None:
    pytest.importorskip("matplotlib")  # CI installs the plot extra
    failing_layer(pytester)
    result = run(pytester, "--gradcheck-cases", "cases", "--gradcheck-plots", "pics", "--gradcheck-report", "r.json")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "  mismatches by a: a=2 (15)",
            "  plot: python -m gradcheck sweep 'cases/x.yaml::seed[[]layer[]]' -o sweep.png",
            f"  pictures: {MAP}, {SWEEP}",
        ]
    )
    assert sorted(p.name for p in (pytester.path / "pics").iterdir()) == [Path(MAP).name, Path(SWEEP).name]
    width, height = png_size((pytester.path / MAP).read_bytes())
    assert width == 800 and 350 <= height <= 800
    assert png_size((pytester.path / SWEEP).read_bytes()) == (700, 450)
    records = {r["check"]: r for r in json.loads((pytester.path / "r.json").read_text())["records"]}
    assert records["layer"]["plots"] == [MAP, SWEEP]
    assert records["loss"]["plots"] == []


def test_a_second_run_writes_over_its_own_pictures(pytester: pytest.Pytester) -> None:
    pytest.importorskip("matplotlib")
    failing_layer(pytester)
    for _ in range(2):
        run(pytester, "--gradcheck-cases", "cases", "--gradcheck-plots", "pics").assert_outcomes(passed=1, failed=1)
    assert sorted(p.name for p in (pytester.path / "pics").iterdir()) == [Path(MAP).name, Path(SWEEP).name]


@pytest.mark.parametrize("planted", ["link", "file"])
def test_a_picture_never_follows_a_link_or_overwrites_a_file_it_did_not_write(
    pytester: pytest.Pytester, planted: str
) -> None:
    pytest.importorskip("matplotlib")
    failing_layer(pytester)
    outside = pytester.path / "outside.txt"
    outside.write_text("keep me", encoding="utf-8")
    (pytester.path / "pics").mkdir()
    at = pytester.path / MAP
    if planted == "link":
        at.symlink_to(outside)
        why = f"{at} is a symbolic link, which a picture never follows; remove it"
    else:
        at.write_text("the user's own notes", encoding="utf-8")
        why = f"{at} exists and is not a picture gradcheck wrote; remove it or give --gradcheck-plots another folder"
    result = run(pytester, "--gradcheck-cases", "cases", "--gradcheck-plots", "pics")
    result.assert_outcomes(passed=1, failed=1)  # the failure is still told, its pictures not drawn
    result.stdout.fnmatch_lines([f"  pictures: not drawn: {why}"])
    assert outside.read_text(encoding="utf-8") == "keep me"
    assert planted == "link" or at.read_text(encoding="utf-8") == "the user's own notes"
    assert not (pytester.path / SWEEP).exists()  # nothing of a refused item is written


def test_picture_names_are_unique_per_item() -> None:
    from gradcheck.plots.failure import file_stem

    ids = ["cases/a_b.yaml::s[loss]", "cases/a/b.yaml::s[loss]", "cases/a b.yaml::s[loss]", "x" * 300, "x" * 301]
    stems = [file_stem(i) for i in ids]
    assert len(set(stems)) == len(ids)
    assert stems[0].startswith("cases_a_b.yaml_s_loss-") and all(len(s) <= 100 for s in stems)


def test_the_ini_setting_is_a_folder_next_to_the_ini_file(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("matplotlib")
    failing_layer(pytester)
    pytester.makeini("[pytest]\ngradcheck_plots = out/pictures\n")
    monkeypatch.chdir(pytester.mkdir("elsewhere"))  # pytest runs from a folder below the ini file's
    result = run(pytester, "--gradcheck-cases", "../cases")
    result.assert_outcomes(passed=1, failed=1)
    assert sorted(p.name for p in (pytester.path / "out" / "pictures").iterdir()) == [Path(MAP).name, Path(SWEEP).name]
    shown = [f"{pytester.path}/out/pictures/{Path(p).name}" for p in (MAP, SWEEP)]
    result.stdout.fnmatch_lines([f"  pictures: {', '.join(shown)}"])  # outside where pytest runs: absolute


@pytest.mark.parametrize("how", ["option", "ini"])
def test_asking_for_pictures_without_matplotlib_is_one_usage_error(pytester: pytest.Pytester, how: str) -> None:
    failing_layer(pytester)
    with open(pytester.path / "conftest.py", "a", encoding="utf-8") as conftest:
        conftest.write("\nimport sys\n\nsys.modules['matplotlib'] = None  # `import matplotlib` raises ImportError\n")
    args = ["--gradcheck-cases", "cases"]
    if how == "option":
        args += ["--gradcheck-plots", "pics"]
    else:
        pytester.makeini("[pytest]\ngradcheck_plots = pics\n")
    result = run(pytester, *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    where = "--gradcheck-plots" if how == "option" else "gradcheck_plots"
    assert [line for line in result.errlines if line.strip()] == [f"ERROR: {where} {NO_MATPLOTLIB}"]
    assert "seed[layer]" not in result.stdout.str()  # it stopped at the start, before any item
    assert not (pytester.path / "pics").exists()


PLOTS_USAGE = [
    (
        ["--gradcheck-plots", "notes.txt"],
        "--gradcheck-plots: notes.txt is a file, not a folder; name a folder for the pictures",
    ),
    (
        ["--gradcheck-plots", "notes.txt/pics"],
        "--gradcheck-plots: notes.txt/pics lies under {root}/notes.txt, which is a file, not a folder",
    ),
    (["--gradcheck-plots="], "--gradcheck-plots: the path is empty; expected a folder for the pictures, e.g. pictures"),
]


@pytest.mark.parametrize(("argv", "expected"), PLOTS_USAGE, ids=[line[:50] for _, line in PLOTS_USAGE])
def test_a_pictures_folder_that_cannot_be_written_is_one_usage_error(
    pytester: pytest.Pytester, argv: list[str], expected: str
) -> None:
    pytest.importorskip("matplotlib")  # without it, the error says to install it (tested above)
    write(pytester, "cases/x.yaml", SEED)
    write(pytester, "notes.txt", "mine\n")
    result = run(pytester, "--gradcheck-cases", "cases", *argv)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert [line for line in result.errlines if line.strip()] == [f"ERROR: {expected.format(root=pytester.path)}"]
    assert (pytester.path / "notes.txt").read_text() == "mine\n"


def test_without_the_option_no_pictures_are_drawn(pytester: pytest.Pytester) -> None:
    failing_layer(pytester)
    result = run(pytester, "--gradcheck-cases", "cases", "--gradcheck-report", "r.json")
    result.assert_outcomes(passed=1, failed=1)
    assert "pictures:" not in result.stdout.str()
    assert all(r["plots"] == [] for r in json.loads((pytester.path / "r.json").read_text())["records"])


def html_extras(report: Path) -> dict[str, list[dict[str, Any]]]:
    """Each test id's extras, as pytest-html 4 stores them in its report's data blob."""
    blob = re.search(r'data-jsonblob="([^"]*)"', report.read_text(encoding="utf-8"))
    assert blob is not None
    tests = json.loads(html.unescape(blob.group(1)))["tests"]
    return {test_id: [e for row in rows for e in row.get("extras", [])] for test_id, rows in tests.items()}


def test_an_html_report_embeds_the_pictures_and_the_report_of_a_failing_check(pytester: pytest.Pytester) -> None:
    pytest.importorskip("pytest_html", reason="pytest-html is not installed (the html extra; CI installs it)")
    pytest.importorskip("matplotlib")
    failing_layer(pytester)
    result = run(pytester, "--gradcheck-cases", "cases", "--html", "report.html", "--self-contained-html")
    result.assert_outcomes(passed=1, failed=1)
    extras = html_extras(pytester.path / "report.html")
    assert extras["cases/x.yaml::seed[loss]"] == []
    shown = {e["name"]: e for e in extras["cases/x.yaml::seed[layer]"]}
    assert sorted(shown) == ["gradcheck map", "gradcheck report", "gradcheck sweep"]
    for name in ("gradcheck map", "gradcheck sweep"):
        assert shown[name]["format_type"] == "image"
        head, data = shown[name]["content"].split(",", 1)
        assert head == "data:image/png;base64"
        assert base64.b64decode(data)[:8] == PNG
    text = shown["gradcheck report"]["content"].split(",", 1)[1]
    assert "  mismatches by a: a=2 (15)" in base64.b64decode(text).decode("utf-8")
    assert not (pytester.path / "pics").exists()  # pictures for the HTML report stay in it


def test_the_heatmap_is_red_where_the_check_fails_and_blue_where_it_passes() -> None:
    pytest.importorskip("matplotlib")
    from matplotlib.image import imread

    from gradcheck.verdict import heatmap

    x, w = np.array([0.1, 0.5, 0.4]), np.linspace(-0.5, 0.5, 15).reshape(3, 5)
    analytic = gradcheck.layer_jacobian(x, w)
    analytic[2] *= 1.01  # the block of class 2
    c = gradcheck.check_jacobian(lambda v: gradcheck.softmax(x @ v), w, analytic, of="S", wrt="W")
    assert c.mismatch_map is not None
    fig = heatmap.map_figure(c.mismatch_map, "planted")
    pixels = imread(io.BytesIO(heatmap.png(fig)))
    ax = fig.axes[0]
    height = pixels.shape[0]

    def colour(col: int, row: int) -> np.ndarray:
        px, py = ax.transData.transform((col, row))
        rgba: np.ndarray = pixels[int(height - py), int(px)]
        return rgba

    for row in range(3):
        for col in range(25):  # block a = col // 5
            red, _, blue = colour(col, row)[:3]
            assert (red > blue) == (col // 5 == 2), (row, col)


def test_a_run_without_case_files_loads_neither_numpy_nor_matplotlib(pytester: pytest.Pytester) -> None:
    # asking for pictures checks that matplotlib is there without importing it
    plots = ["--gradcheck-plots", "pics"] if importlib.util.find_spec("matplotlib") else []
    pytester.makeconftest(
        "import sys\n\n\ndef pytest_unconfigure(config):\n"
        "    print('LOADED', sorted({'numpy', 'yaml', 'matplotlib', 'gradcheck.verdict'} & set(sys.modules)))\n"
    )
    result = pytester.runpytest_subprocess("-s", *plots)
    result.stdout.fnmatch_lines(["LOADED []"])


def _planted(shape: tuple[int, ...], at: tuple[int, ...]) -> tuple[Any, np.ndarray, np.ndarray]:
    """f = sum(x**2) at x of `shape`, its gradient off by 1 at `at`: (f, x, the planted gradient)."""
    x = np.linspace(-1.0, 1.0, int(np.prod(shape))).reshape(shape) + 0.05
    analytic = np.array(2 * x)
    analytic[at] += 1.0
    return lambda v: np.sum(v**2), x, analytic


def _batch_softmax() -> tuple[Any, np.ndarray, np.ndarray]:
    """softmax of each row of a (3, 4) batch, its Jacobian (3, 4, 3, 4) off at one entry."""
    x = np.linspace(-1.0, 1.0, 12).reshape(3, 4)
    s = np.stack([gradcheck.softmax(row) for row in x])
    jac = np.zeros((3, 4, 3, 4))
    for b in range(3):
        jac[b, :, b, :] = gradcheck.softmax_jacobian(s[b])
    jac[1, 2, 0, 0] += 1.0  # a bug that couples sample 1 to sample 0: off the diagonal blocks
    return lambda v: np.stack([gradcheck.softmax(row) for row in v]), x, jac


#: Every shape the map lays out: (id, the check, check_jacobian's options, title, x label, y label, x ticks, y ticks).
SHAPES = [
    ("0-d", _planted((), ()), {}, "x ()", "", "", [], []),
    ("1-D", _planted((6,), (2,)), {}, "x[i] (6,)", "columns i", "", ["i=0", "1", "2", "3", "4", "5"], []),
    (
        "2-D",
        _planted((3, 4), (1, 1)),
        {},
        "x[i, j] (3, 4)",
        "columns j",
        "rows i",
        ["j=0", "1", "2", "3"],
        ["i=0", "i=1", "i=2"],
    ),
    (
        "batch",
        _batch_softmax(),
        {},
        "df[a, b]/dx[i, j] (3, 4, 3, 4)",
        "columns i, j (a block per i)",
        "rows a, b (a block per a)",
        ["i=0", "i=1", "i=2"],
        ["a=0", "a=1", "a=2"],
    ),
    (
        "4-D",
        _planted((2, 3, 2, 2), (0, 1, 1, 1)),
        {},
        "x[i, j, k, l] (2, 3, 2, 2)",
        "columns l",
        "rows i, j, k",
        ["l=0", "1"],
        [f"(i,j,k)=({i},{j},0)" for i in range(2) for j in range(3)],
    ),
    (
        "directional",
        _planted((3000,), (17,)),
        {"mode": "directional"},
        "x[i] (3000,)",
        "columns i",
        "",
        ["i=0-15", *(f"{k}-{k + 15}" for k in range(400, 3000, 400))],
        [],
    ),
]


@pytest.mark.parametrize(
    ("check", "options", "title", "xlabel", "ylabel", "xticks", "yticks"),
    [s[1:] for s in SHAPES],
    ids=[s[0] for s in SHAPES],
)
def test_the_heatmap_draws_every_shape_the_map_lays_out_with_the_text_maps_labels(
    check: tuple[Any, np.ndarray, np.ndarray],
    options: dict[str, Any],
    title: str,
    xlabel: str,
    ylabel: str,
    xticks: list[str],
    yticks: list[str],
) -> None:
    pytest.importorskip("matplotlib")
    from matplotlib.image import imread

    from gradcheck.verdict import heatmap
    from gradcheck.verdict.maptext import column_labels, direction, row_labels

    f, x, analytic = check
    c = gradcheck.check_jacobian(f, x, analytic, **options)
    m = c.mismatch_map
    assert not c.passed and m is not None
    fig = heatmap.map_figure(m, "")
    ax = fig.axes[0]
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == (title, xlabel, ylabel)
    assert [t.get_text() for t in ax.get_xticklabels()] == xticks
    assert [t.get_text() for t in ax.get_yticklabels()] == yticks
    # the same words as the text map: its title, its axes, and the labels of its cells
    text = "\n".join(map_lines(m))
    assert f"where the mismatches lie in {title}" in text
    assert all(d in text for d in (xlabel, ylabel) if d)
    assert (xlabel, ylabel) == (direction(m, m.cols), direction(m, m.rows))
    cells = {label.strip() for label in row_labels(m) + column_labels(m)}
    assert set(xticks + yticks) <= cells | {m.cell_label(m.rows, True, k) for k in range(m.rows.cells[0])}
    # red exactly where the map counts a mismatch
    pixels = imread(io.BytesIO(heatmap.png(fig)))
    counts, _ = m.image()
    for row, col in np.ndindex(counts.shape):
        px, py = ax.transData.transform((col, row))
        red, _, blue = pixels[int(pixels.shape[0] - py), int(px)][:3]
        assert (red > blue) == (counts[row, col] > 0), (row, col)


def test_second_order_and_forward_failures_draw_what_they_have(pytester: pytest.Pytester) -> None:
    """A Hessian differenced from its gradient: its map and the sweep of that gradient's steps, the
    entries named as the report names them; second differences of f and a dot test have no one step
    to sweep (the hvp its map alone, the dot test nothing); a jvp both."""
    pytest.importorskip("matplotlib")
    write(pytester, "mylib/bad.py", "def energy_hvp_2n(tangent, x, N):\n    return 2 * N @ tangent\n")
    write(
        pytester,
        "cases/more.yaml",
        "cases:\n  - name: hvp-2n\n    function: mylib.energy:energy\n    hvp: mylib.bad:energy_hvp_2n\n"
        "    args: {x: [0.5, -0.3, 0.8], N: [[1.0, 2.0, 0.0], [0.0, 1.0, -1.0], [3.0, 0.0, 2.0]]}\n    wrt: x\n",
    )
    result = docs_project_run(pytester, "second-order", "--gradcheck-plots", "pics", "--gradcheck-report", "r.json")
    result.assert_outcomes(passed=8, failed=4)
    plots = {r["id"].split("::")[1]: [Path(p).suffixes[-2] for p in r["plots"]] for r in records(pytester)}
    assert {k: v for k, v in plots.items() if v} == {
        "mix-transposed[jvp]": [".map", ".sweep"],
        "energy-2n[hessian]": [".map", ".sweep"],
        "hvp-2n[hvp]": [".map"],
    }
    assert "mix-transposed[dot]" in plots
    result.stdout.fnmatch_lines(["*step sweep at d2energy/dx[[]0[]]dx[[]2[]]*"])


def records(pytester: pytest.Pytester) -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = json.loads((pytester.path / "r.json").read_text(encoding="utf-8"))["records"]
    return loaded
