"""The Forecaster and what it is made of, one concern per module.

`forecaster` (`Forecaster`, the thin estimator that fits), `estimator`
(`BaseForecaster`: what a fitted forecaster does whatever its network),
`problem` (the prepared problem, `ForecastProblem`: the fitted state but the
weights), `preparing` (data in, the prepared
problem out: one path for one series and many), `many_series` (series ids:
splitting, static features, long frames), `fitting` and
`refit` (training, the reference check, the refit on all the data),
`judging` (the one-standard-error rule), `linear` (the forecast averaged
with a ridge regression on the same windows), `level` (a second network on
the window's levels, averaged in where it clearly helps),
`likelihoods` (what a `loss` means: point, quantile, Gaussian, Student-t),
`strategies` (direct, recursive and stateful forecasting), `streams`
(which fitted forecasters stream, and the streamer each gets), `settings`
(the data settings `prepare` reads, their column names checked), `backtest`
(rolling-origin backtests and their scores, written once), `baselines`
(naive forecasts from many origins), `probabilistic` (distributions in NumPy)
and `choices` (what "auto" resolves to).
"""
