"""SageMaker pipelines of this project and the command-line tools that run them."""
