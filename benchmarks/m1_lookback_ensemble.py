"""Issue 35's lead: N-BEATS's ensemble across lookbacks, emulated on M1's odd half before building it.

One global Forecaster per lookback (by default 6, 8 and 12 years; the M1 case uses 8), each as `m1_yearly.py` builds
it, and their forecasts averaged (mean and median over the lookbacks), on the test years and on the six years before
(a period no default was chosen on). Oreshkin et al. (2020) ensemble N-BEATS over lookbacks of 2-7 horizons; M1's
series of 15-58 years leave room for shorter ones. Reported per period: the mean MASE of each lookback alone and of
the combinations, per seed. The toolkit has no such ensemble yet: the members here are separate fits.

Run: python benchmarks/m1_lookback_ensemble.py [--seeds 0 1 2] [--lookbacks 6 8 12] [--reference-fallback]
"""

import argparse
import sys

import m1_yearly as m1
import numpy as np
from _common import machine


def forecasts_by_lookback(train, lookbacks, seed, fallback):
    """`{lookback: forecast frame}` of one seed's global Forecasters, one per lookback (`m1_yearly.fit_forecast`)."""
    forecasts = {}
    for lookback in lookbacks:
        config = {"lookback": lookback, "reference_fallback": fallback}
        forecaster, forecasts[lookback], seconds = m1.fit_forecast(train, config, seed)
        print(f"  seed {seed}, lookback {lookback}: fit {seconds:.1f} s, reference kept "
              f"{bool(getattr(forecaster, 'reference_fallback_', None))}", flush=True)
    return forecasts


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--lookbacks", type=int, nargs="+", default=[6, 8, 12])
    parser.add_argument("--reference-fallback", action="store_true",
                        help="the default's fallback to its reference (else the networks alone)")
    args = parser.parse_args(argv)
    print(f"# M1 yearly, odd half, {machine()}; lookbacks {args.lookbacks}, "
          f"reference_fallback={args.reference_fallback}, seeds {args.seeds}", flush=True)
    for drop in (0, 6):
        train, test = m1.split(m1.load(drop_last=drop))
        print(f"\n## {'the test years' if drop == 0 else 'the six years before (--drop-last 6)'}", flush=True)
        scores = {}
        for seed in args.seeds:
            forecasts = forecasts_by_lookback(train, args.lookbacks, seed, args.reference_fallback)
            first = next(iter(forecasts.values()))
            assert all(frame["series"].equals(first["series"]) for frame in forecasts.values())  # the same rows
            stack = np.stack([frame["value"].to_numpy() for frame in forecasts.values()])
            combined = {**{f"lookback {lb}": frame for lb, frame in forecasts.items()},
                        "mean over lookbacks": first.assign(value=stack.mean(axis=0)),
                        "median over lookbacks": first.assign(value=np.median(stack, axis=0))}
            for name, frame in combined.items():
                scores.setdefault(name, []).append(float(np.mean(m1.series_scores(train, test, frame))))
        for name, values in scores.items():
            print(f"{name}: mean MASE {np.mean(values):.3f} (seeds {', '.join(f'{v:.3f}' for v in values)}; "
                  f"spread {max(values) - min(values):.3f})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
