"""ONNX export with a parity check against PyTorch."""
import warnings
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch

from .model import SeedCnn

OPSET = 18


def export(model: SeedCnn, path: Path, example: np.ndarray, log=print) -> str:
    """Writes one self-contained file: input `features` [batch, n_mels, frames] → output
    `logits` [batch, K], batch dynamic. Returns the exporter that succeeded."""
    model.eval()
    x = torch.from_numpy(example[:2])
    common = dict(input_names=["features"], output_names=["logits"], opset_version=OPSET)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(model, (x,), str(path), dynamo=True, external_data=False,
                              dynamic_shapes={"features": {0: torch.export.Dim("batch")}}, **common)
        exporter = "dynamo"
    except Exception as err:  # the TorchScript exporter is the documented fallback
        log(f"dynamo export failed ({type(err).__name__}: {err}); retrying with dynamo=False")
        torch.onnx.export(model, (x,), str(path), dynamo=False,
                          dynamic_axes={"features": {0: "batch"}, "logits": {0: "batch"}}, **common)
        exporter = "torchscript"
    onnx.checker.check_model(onnx.load(str(path)))
    return exporter


def onnx_logits(path: Path, windows: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(["logits"], {"features": windows})[0]


def check_parity(model: SeedCnn, path: Path, windows: np.ndarray, tol: float = 1e-4) -> float:
    with torch.no_grad():
        expected = model.eval()(torch.from_numpy(windows)).numpy()
    diff = float(np.abs(onnx_logits(path, windows) - expected).max())
    if diff >= tol:
        raise RuntimeError(f"ONNX logits differ from torch by {diff:g} (limit {tol:g})")
    return diff
