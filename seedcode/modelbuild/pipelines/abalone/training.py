"""How the pipeline trains: the built-in XGBoost algorithm with the original template's
hyperparameters, with the squared-error objective. Kept apart from pipeline.py so that
the tests that train and evaluate a model can run with the libraries of the XGBoost
container, which has no SageMaker SDK."""

HYPERPARAMETERS = {
    "objective": "reg:squarederror",
    "num_round": 50,
    "max_depth": 5,
    "eta": 0.2,
    "gamma": 4,
    "min_child_weight": 6,
    "subsample": 0.7,
}
