"""How steady the XLA probe's choice is: one way's steps timed after the other's (before) or in turn, by medians
(`training.choose_jit_compile`, now).

Inside a default fit whose plan is large enough to probe (`jit_compile="auto"`; `xla_pays` is set aside, so the
daily series, whose early-stopped fits no longer probe, are measured too), the probe is run `--rounds` times each
way on the same model and batches, and then each way's training step is timed over `--steps` steps in turn, the
longer measurement the probe stands for. The table gives how often each probe chose XLA, next to that measurement.
The weights are put back after each probe, so every probe sees the same model.

Run: python benchmarks/xla_probe_choice.py [--cases msft_volume ...] [--rounds 5] [--steps 60]
"""

import argparse
import statistics
import time

import forecast_suite as suite
from _common import machine

from lstm_toolkit.training import xla


def probe_one_way_then_the_other(model, train, steps=xla.PROBE_STEPS):
    """The probe before: each way's steps timed in one block, XLA's first; the lower total kept."""
    weights = model.get_weights()
    optimizer_state = [variable.numpy() for variable in model.optimizer.variables]
    seconds = {}
    for jit in (True, False):
        model.jit_compile = jit
        model.make_train_function(force=True)
        batches = iter(train.repeat())
        model.train_on_batch(*next(batches))
        started = time.perf_counter()
        for _ in range(steps):
            model.train_on_batch(*next(batches))
        seconds[jit] = time.perf_counter() - started
    model.set_weights(weights)
    for variable, value in zip(model.optimizer.variables, optimizer_state):
        variable.assign(value)
    model.jit_compile = seconds[True] < seconds[False]
    model.make_train_function(force=True)
    return model.jit_compile


WAYS = {"one way then the other (before)": probe_one_way_then_the_other, "in turn, medians (now)": xla.choose_jit_compile}


class Measured(Exception):
    """Ends the fit once the probes and the longer measurement are done."""


def measure(case, rounds, steps):
    record = {way: [] for way in WAYS}
    original = xla.choose_jit_compile

    def hook(model, train):
        for _ in range(rounds):
            for way, probe in WAYS.items():
                record[way].append(probe(model, train))
        weights = model.get_weights()
        record["XLA step / plain step (median of the longer measurement)"] = longer(model, train, steps)
        model.set_weights(weights)
        raise Measured

    pays = xla.xla_pays
    xla.choose_jit_compile, xla.xla_pays = hook, lambda n_samples, config, early_stopping=True: True
    try:
        suite.fit_and_forecast(case, {}, 0)
    except Measured:
        pass
    finally:
        xla.choose_jit_compile, xla.xla_pays = original, pays
    return record


def longer(model, train, steps):
    """The median XLA step over the median plain step, `steps` of each in turn (as `choose_jit_compile` times them)."""
    seconds = xla.step_seconds_in_turn(model, train, steps)
    return statistics.median(seconds[True]) / statistics.median(seconds[False])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=["msft_volume", "seattle_L168_H24", "seattle_daily_wind", "seattle_daily_max"], choices=list(suite.CASES))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=60)
    args = parser.parse_args(argv)
    print(f"# XLA probe choice ({machine()}), {args.rounds} probes each way, {args.steps} steps a way measured after\n")
    print("| case | " + " | ".join(f"{way}: chose XLA" for way in WAYS) + " | XLA step / plain step |")
    print("|---|" + "---|" * (len(WAYS) + 1))
    for case in args.cases:
        record = measure(case, args.rounds, args.steps)
        ratio = record.pop("XLA step / plain step (median of the longer measurement)")
        print(f"| {case} | " + " | ".join(f"{sum(chosen)} of {len(chosen)}" for chosen in record.values())
              + f" | {ratio:.2f} |", flush=True)


if __name__ == "__main__":
    main()
