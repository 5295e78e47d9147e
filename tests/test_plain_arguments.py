"""Arguments as real code takes them: a settings mapping, a list of words, a vocabulary, a mask of
booleans, passed from YAML as Python dicts, lists and bool arrays; a spec is told by its keys."""

from __future__ import annotations

import pytest
from pluginrun import SHAPES, one_case

#: Under mylib/: the example's 1-D convolution with a settings dict (checked to arrive as a dict),
#: an embedding read through a vocabulary, a masked square; each with its derivative, and one wrong twin.
LAYERS = (
    SHAPES
    + """

def conv(x, w, conv_param):
    assert type(conv_param) is dict, type(conv_param)
    return conv1d(x, w, conv_param)


conv_backward = conv1d_backward


def conv_backward_unpadded(dout, x, w, conv_param):
    pad, stride = conv_param["pad"], conv_param["stride"]
    dxp = np.zeros(x.size + 2 * pad)
    for k, i in enumerate(range(0, dxp.size - w.size + 1, stride)):
        dxp[i : i + w.size] += dout[k] * w
    return dxp[: x.size]  # the padding's offset forgotten


def embed(W, word_to_idx, words):
    assert type(word_to_idx) is dict and type(words) is list
    return float(np.sum(W[[word_to_idx[w] for w in words]] ** 2))


def embed_grad(W, word_to_idx, words):
    grad = np.zeros_like(W)
    for w in words:
        grad[word_to_idx[w]] += 2 * W[word_to_idx[w]]
    return grad


def masked(x, mask):
    assert mask.dtype == bool
    return float(np.sum(np.where(mask, x, 0.0) ** 2))


def masked_grad(x, mask):
    return 2 * x * mask


def masked_grad_unmasked(x, mask):
    return 2 * x
"""
)

CONV = """\
function: mylib.layers:conv
vjp: mylib.layers:{backward}
args:
  x: {{shape: [7], seed: 0}}
  w: [0.5, -1.0, 0.25]
  conv_param: {{stride: 2, pad: 1}}
wrt: x
"""

EMBED = """\
function: mylib.layers:embed
gradient: mylib.layers:embed_grad
args:
  W: {shape: [4, 3], seed: 1}
  word_to_idx: {the: 0, cat: 2, sat: 3}
  words: [the, cat, the, sat]
"""

MASKED = """\
function: mylib.layers:masked
gradient: mylib.layers:{gradient}
args:
  x: {{shape: [2, 3], seed: 2}}
  mask: [[true, false, true], [false, false, true]]
wrt: x
"""


def outcome(pytester: pytest.Pytester, case: str) -> pytest.RunResult:
    return one_case(pytester, ("layers", LAYERS), case)


def test_a_settings_mapping_reaches_the_code_as_a_dict(pytester: pytest.Pytester) -> None:
    outcome(pytester, CONV.format(backward="conv_backward")).assert_outcomes(passed=1)


def test_a_backward_that_forgets_the_padding_fails(pytester: pytest.Pytester) -> None:
    result = outcome(pytester, CONV.format(backward="conv_backward_unpadded"))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*entries of dx for cotangent 1 of 3 (seeded random) differ*"])


def test_a_vocabulary_and_a_list_of_words_are_a_dict_and_a_list(pytester: pytest.Pytester) -> None:
    outcome(pytester, EMBED).assert_outcomes(passed=1)


def test_a_list_of_booleans_is_a_mask(pytester: pytest.Pytester) -> None:
    outcome(pytester, MASKED.format(gradient="masked_grad")).assert_outcomes(passed=1)


def test_a_gradient_that_ignores_the_mask_fails_on_the_masked_entries(pytester: pytest.Pytester) -> None:
    result = outcome(pytester, MASKED.format(gradient="masked_grad_unmasked"))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["  3 of 6 entries differ beyond *"])  # the three masked-out entries


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("[1, true]", "args.bad: entry True is a boolean among numbers; give all booleans (a mask) or all numbers"),
        ("[true, 1]", "args.bad: entry True is a boolean among numbers; give all booleans (a mask) or all numbers"),
        ("{seed: 0, scale: 1}", "args.bad: an array spec here needs shape:, e.g. {shape: [[]4], seed: 0, scale: 1} "),
        ("{a: .nan}", "args.bad: holds nan, which is not finite; expected finite numbers"),
        ("{shape: [2], sead: 0}", "sead: unknown key in args.bad (did you mean 'seed'?)"),
    ],
)
def test_what_is_neither_an_array_nor_plain_is_one_line(pytester: pytest.Pytester, value: str, expected: str) -> None:
    result = outcome(pytester, EMBED + f"  bad: {value}\n")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"cases/x.yaml:9: {expected}*"])
