"""The seed recipe: a small log-mel CNN trained on features dumped by the worker's own code."""
