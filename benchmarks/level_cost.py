"""What `level_member="auto"` costs: fit seconds of the default with and without the level network, in one run.

On `forecast_suite.py`'s short cases, one seed: the fit with `level_member=False` (one network, the default before)
and with the default, one after the other on the same data, so that both are timed on the same machine at the same
moment. Where the level network joins, a second early-stopped run and refit; where it is trained and does not join,
the early-stopped run alone; where the validation part holds under two horizons, nothing.

Run: python benchmarks/level_cost.py [--cases us_income ...] [--seed 0]
"""

import argparse

import forecast_suite as suite
from _common import machine


CASES = ("lynx", "shampoo", "pbs_scripts", "us_consumption_covariates", "us_consumption", "us_income", "us_production",
         "us_savings", "us_unemployment", "euro_equipment")


def fit_seconds(case, config, seed):
    """`(seconds, level_member_)` of one fit of `case` on its training part."""
    forecaster, _, seconds = suite.fit_case(case, config, seed)
    return seconds, forecaster.level_member_


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=list(suite.CASES))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    print(f"# level_member cost ({machine()}), seed {args.seed}\n")
    print("| case | one network (s) | default (s) | ratio | level network |")
    print("|---|---|---|---|---|")
    for case in args.cases:
        alone, _ = fit_seconds(case, {"level_member": False}, args.seed)
        default, record = fit_seconds(case, {}, args.seed)
        state = "not trained" if record is None else ("joined" if record["joined"] else "trained, not joined")
        print(f"| {case} | {alone:.1f} | {default:.1f} | {default / alone:.2f}x | {state} |", flush=True)


if __name__ == "__main__":
    main()
