"""What the Forecaster is made of, one concern per module.

`problem` (the prepared problem, `ForecastProblem`: the fitted state but the
weights), `likelihoods` (what a `loss` means: point, quantile, Gaussian,
Student-t), `strategies` (direct, recursive and stateful forecasting),
`backtest` (rolling-origin backtests and their scores, written once) and
`base` (`BaseForecaster`: what a fitted forecaster does whatever its network).
"""
