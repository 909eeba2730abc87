"""bot.bench: the open loop's schedule, its scripts, the percentile, the target and the search for
the most customers; the closed loop's and the open loop's command-line arguments."""
from __future__ import annotations

import argparse
import math
from collections import Counter

import pytest

from bot import bench, cli


def test_each_customer_sends_every_period_from_a_staggered_start():
    sends = bench.schedule(customers=4, period=5.0, duration=12.0)
    assert sends == [(0.0, 0, 0), (1.25, 1, 0), (2.5, 2, 0), (3.75, 3, 0),
                     (5.0, 0, 1), (6.25, 1, 1), (7.5, 2, 1), (8.75, 3, 1),
                     (10.0, 0, 2), (11.25, 1, 2)]


def test_the_offered_rate_is_customers_over_period():
    sends = bench.schedule(customers=500, period=5.0, duration=60.0)
    assert len(sends) == 500 * 12
    assert len(sends) / 60.0 == 100.0
    assert Counter(c for _, c, _ in sends) == {c: 12 for c in range(500)}
    assert [when for when, _, _ in sends] == sorted(when for when, _, _ in sends)
    assert max(when for when, _, _ in sends) < 60.0


def test_no_customers_no_sends():
    assert bench.schedule(customers=0, period=5.0, duration=60.0) == []


def test_percentile_is_the_nearest_rank():
    values = [float(v) for v in range(1, 101)]  # 1..100
    assert (bench.percentile(values, 50), bench.percentile(values, 95), bench.percentile(values, 99)) == (50, 95, 99)
    assert bench.percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert bench.percentile([3.0, 1.0, 2.0], 95) == 3.0
    assert bench.percentile([7.0], 1) == 7.0
    assert math.isnan(bench.percentile([], 95))


def test_a_customer_goes_through_the_scripts_one_after_another_in_its_conversation():
    scripts = bench.OPEN_SCRIPTS
    first = [bench.open_turn(0, turn) for turn in range(len(scripts[0]) + len(scripts[1]))]
    assert first == scripts[0] + scripts[1]
    assert bench.open_turn(1, 0) == scripts[1][0]
    total = sum(len(s) for s in scripts)
    assert bench.open_turn(len(scripts) - 1, len(scripts[-1])) == scripts[0][0]  # wraps around
    assert [bench.open_turn(2, t) for t in range(total)] == [bench.open_turn(2, t + total) for t in range(total)]


def test_the_open_loop_mix_types_its_answers():
    turns = [turn for script in bench.OPEN_SCRIPTS for turn in script]
    assert all(isinstance(turn, str) and turn for turn in turns)
    assert "첫번째 거요" in turns and "네" in turns and "아니요 안할래요" in turns  # choice, confirm, decline


def test_the_target_is_p95_within_300_ms_and_no_error():
    assert bench.holds({"p95_ms": 300.0, "errors": 0})
    assert not bench.holds({"p95_ms": 301.0, "errors": 0})
    assert not bench.holds({"p95_ms": 120.0, "errors": 1})


def probe_up_to(capacity, tried):
    def probe(n):
        tried.append(n)
        return n <= capacity
    return probe


def test_find_max_doubles_then_bisects():
    tried = []
    assert bench.find_max(probe_up_to(330, tried), start=50, limit=2000, resolution=25) == 325
    assert tried == [50, 100, 200, 400, 300, 350, 325]  # 325..350: within 25


def test_find_max_bisects_to_the_exact_value_with_resolution_one():
    for capacity in (1, 2, 3, 49, 50, 51, 99, 777):
        assert bench.find_max(probe_up_to(capacity, []), start=50, limit=2000, resolution=1) == capacity


def test_find_max_below_the_start():
    tried = []
    assert bench.find_max(probe_up_to(20, tried), start=50, limit=2000, resolution=5) == 18
    assert tried[0] == 50 and max(tried[1:]) < 50


def test_find_max_stops_at_the_limit_and_at_nothing():
    tried = []
    assert bench.find_max(probe_up_to(10_000, tried), start=50, limit=300, resolution=25) == 300
    assert tried == [50, 100, 200, 300]
    assert bench.find_max(probe_up_to(0, []), start=50, limit=300, resolution=1) == 0


def parsed(monkeypatch, argv):
    seen = []
    monkeypatch.setattr(bench, "main", seen.append)
    cli.main(["bench", *argv])
    return seen[0]


def test_bench_arguments_closed_loop_stays_as_it_was(monkeypatch):
    args = parsed(monkeypatch, ["--compare-default"])
    assert (args.open_loop, args.compare_default, args.customers, args.conversations, args.think) == \
        (False, True, None, 48, 0.3)
    assert parsed(monkeypatch, ["--customers", "32"]).customers == [32]


def test_bench_arguments_open_loop(monkeypatch):
    args = parsed(monkeypatch, ["--open-loop", "--customers", "100,250,500", "--find-max", "--baseline", "/tmp/b"])
    assert (args.open_loop, args.customers, args.period, args.duration, args.find_max, args.baseline) == \
        (True, [100, 250, 500], 5.0, 60.0, True, "/tmp/b")
    assert args.rasa_instances == 1
    assert parsed(monkeypatch, ["--open-loop", "--baseline", ".", "--rasa-instances", "2"]).rasa_instances == 2


def test_several_rasa_instances_get_consecutive_free_ports():
    import socket

    first = bench._free_port_block(3)
    taken = [socket.socket() for _ in range(3)]
    try:
        for offset, s in enumerate(taken):
            s.bind(("127.0.0.1", first + offset))  # all three free at once
    finally:
        for s in taken:
            s.close()


def test_shared_pages_are_counted_once_in_the_proportional_memory():
    import os
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        me, it = bench.pss_mb(os.getpid()), bench.pss_mb(child.pid)
        assert 0 < me <= bench.rss_mb(os.getpid())
        assert 0 < it < bench.rss_mb(child.pid)  # the interpreter's pages are shared with this process
    finally:
        child.kill()
        child.wait()


@pytest.mark.parametrize("wrong", ["", "0", "-5", "a,b", "10,0"])
def test_customer_counts_are_positive_whole_numbers(wrong):
    assert cli.customer_counts("100, 250,500") == [100, 250, 500]
    with pytest.raises(argparse.ArgumentTypeError):
        cli.customer_counts(wrong)


def test_an_answer_is_the_bots_replies_not_its_apology():
    from bot.conversation.service import BOT_DOWN

    assert bench.answered({"message": {}, "replies": [{"text": "안녕하세요!"}]})
    assert not bench.answered({"message": {}, "replies": []})
    assert not bench.answered({"message": {}, "replies": [{"text": BOT_DOWN}]})
    assert not bench.answered({"error": "대화를 찾을 수 없어요."})


def test_overloaded_when_answers_fall_below_half_the_offered_rate():
    assert bench.overloaded({"offered_per_s": 20.0, "achieved_per_s": 9.9})
    assert not bench.overloaded({"offered_per_s": 20.0, "achieved_per_s": 10.0})
