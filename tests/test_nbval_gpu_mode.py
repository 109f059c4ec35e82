"""nbval's sanitising rules: on the CPU they mask what varies between runs (times, speed-ups);
on a GPU they also mask the numbers, while the claims check those."""

import re
from pathlib import Path

from nbval.plugin import get_sanitize_patterns

ROOT = Path(__file__).resolve().parents[1]


def _sanitize(text: str, *files: str) -> str:
    rules = "\n".join((ROOT / f).read_text() for f in files)
    for pattern, replacement in get_sanitize_patterns(rules):
        text = re.sub(pattern, replacement, text)
    return text


def test_cpu_rules_keep_the_numbers_of_a_result():
    line = "baseline  test accuracy 0.8731 after 3 epochs"
    assert _sanitize(line, "nbval-sanitize.cfg") == line


def test_gpu_rules_mask_decimals_and_counts_but_keep_the_words():
    cpu = "baseline  test accuracy 0.8731 after 3 epochs, 1,325 mistakes, loss 1.2e-05"
    gpu = "baseline  test accuracy 0.8744 after 3 epochs, 1,298 mistakes, loss 9.8e-06"
    masked = [_sanitize(s, "nbval-sanitize.cfg", "nbval-sanitize-gpu.cfg") for s in (cpu, gpu)]
    assert masked[0] == masked[1]
    assert "test accuracy <NUM>" in masked[0] and "mistakes" in masked[0]


def test_gpu_rules_still_see_a_changed_sentence():
    a = _sanitize("Adam beats SGD by 0.4 points", "nbval-sanitize.cfg", "nbval-sanitize-gpu.cfg")
    b = _sanitize("SGD beats Adam by 0.4 points", "nbval-sanitize.cfg", "nbval-sanitize-gpu.cfg")
    assert a != b


def test_cpu_rules_mask_a_right_aligned_time_and_its_padding():
    quiet = "adam        SGD → Adam     97%  -0.13    9.8 s      232 s"
    busy = "adam        SGD → Adam     97%  -0.13   32.0 s      232 s"
    assert _sanitize(quiet, "nbval-sanitize.cfg") == _sanitize(busy, "nbval-sanitize.cfg")
    assert "-0.13" in _sanitize(quiet, "nbval-sanitize.cfg")  # the result is still compared


def test_cpu_rules_mask_a_measured_speed_up():
    rules = "nbval-sanitize.cfg"
    assert _sanitize("(14× faster)", rules) == _sanitize("(9× faster)", rules)
