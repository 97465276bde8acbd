"""Intent classification: a linear model over the featurizers' sentence features."""
