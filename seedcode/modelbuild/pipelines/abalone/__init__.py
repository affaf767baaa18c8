"""The abalone age (rings) regression pipeline: preprocess, train XGBoost, evaluate,
register the model if its mean squared error is within the threshold."""
