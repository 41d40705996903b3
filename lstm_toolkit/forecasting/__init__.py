"""What forecasters share beyond the estimator base: rolling-origin backtests and their scores (`backtest`)."""
