"""The pipeline's middlewares, one rule per module, in the order `pipeline.py` lists them."""
