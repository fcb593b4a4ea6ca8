"""Round trips between xgrad and PyTorch through tools/xgrad_torch.py.

Run by tests/python/run.sh (ctest: torch_bridge) with the xgrad command line in XGRAD_CLI. The
reference answers are the xgrad command line's own predictions (`xgrad predict --proba`) for
files written either way; PyTorch's float32 arithmetic differs from xgrad's by rounding only.
"""
import csv
import io
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import xgrad_torch  # noqa: E402

XGRAD = os.environ["XGRAD_CLI"]
TOLERANCE = 1e-5


def xgrad(*args):
    result = subprocess.run([XGRAD, *args], capture_output=True, text=True)
    assert result.returncode == 0, f"xgrad {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result.stdout


def predicted(model_file, csv_file, proba=True):
    """(labels or values, probabilities [N, C] or None) from `xgrad predict`."""
    rows = list(csv.reader(io.StringIO(xgrad("predict", "--model", model_file, "--csv", csv_file,
                                             *(["--proba"] if proba else [])))))
    body = rows[1:]
    if not proba:
        return np.array([float(r[0]) for r in body]), None
    return [r[0] for r in body], np.array([[float(v) for v in r[1:]] for r in body])


def agrees_with_xgrad(model, inputs, x, model_file, data):
    """PyTorch's probabilities and labels for x against `xgrad predict --proba` on the file."""
    with torch.no_grad():
        torch_proba = torch.softmax(model(x), dim=1).numpy()
        torch_labels = inputs.labels(model(x))
    labels, proba = predicted(model_file, data)
    assert np.abs(torch_proba - proba).max() < TOLERANCE, np.abs(torch_proba - proba).max()
    assert torch_labels == labels


def write_flowers(path):
    rng = np.random.default_rng(5)
    names = ["setosa", "versicolor", "virginica"]
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["length", "width", "colour", "species"])
        for i in range(120):
            c = i % 3
            colour = ["red", "blue, dark", "green"][(c + (i % 5 == 0)) % 3]
            w.writerow([f"{1 + 2 * c + rng.normal(0, 0.6):.3f}", f"{0.5 + c + rng.normal(0, 0.4):.3f}",
                        colour, names[c]])


def test_xgrad_to_torch_and_back(tmp):
    data = os.path.join(tmp, "flowers.csv")
    write_flowers(data)
    model_file = os.path.join(tmp, "flowers.safetensors")
    xgrad("train", "--csv", data, "--target", "species", "--hidden", "12,12", "--activation",
          "prelu", "--epochs", "40", "--save", model_file, "--quiet")

    model, inputs = xgrad_torch.load(model_file)
    assert isinstance(model, torch.nn.Sequential)
    x = torch.from_numpy(inputs.encode(xgrad_torch.read_csv(data)))
    agrees_with_xgrad(model, inputs, x, model_file, data)

    # Train further in PyTorch, write back, and xgrad predicts what PyTorch predicts.
    y = torch.tensor([inputs.classes.index(s) for s in xgrad_torch.read_csv(data)["species"]])
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    for _ in range(20):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    model.eval()
    back = os.path.join(tmp, "back.safetensors")
    xgrad_torch.save(model, back, like=model_file)
    with torch.no_grad():
        torch_proba = torch.softmax(model(x), dim=1).numpy()
    _, proba = predicted(back, data)
    assert np.abs(torch_proba - proba).max() < TOLERANCE, np.abs(torch_proba - proba).max()
    print("xgrad -> torch -> xgrad: classification with one-hot and PReLU agrees")


def test_torch_only_network(tmp):
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.GELU(approximate="tanh"),
                              torch.nn.Linear(8, 8), torch.nn.GELU(approximate="tanh"),
                              torch.nn.Linear(8, 2))
    out = os.path.join(tmp, "net.safetensors")
    xgrad_torch.save(net, out, features=["a", "b", "c"], classes=["no", "yes"])
    rng = np.random.default_rng(1)
    x = rng.normal(size=(50, 3)).astype(np.float32)
    table = os.path.join(tmp, "abc.csv")
    with open(table, "w") as f:  # columns in another order: xgrad matches them by name
        f.write("c,b,a\n")
        for row in x:
            f.write(f"{row[2]!r},{row[1]!r},{row[0]!r}\n")
    with torch.no_grad():
        torch_proba = torch.softmax(net(torch.from_numpy(x)), dim=1).numpy()
    _, proba = predicted(out, table)
    assert np.abs(torch_proba - proba).max() < TOLERANCE, np.abs(torch_proba - proba).max()
    print("torch -> xgrad: a PyTorch-only GELU network agrees, columns matched by name")


def test_regression(tmp):
    data = os.path.join(tmp, "reg.csv")
    rng = np.random.default_rng(2)
    with open(data, "w") as f:
        f.write("u,v,price\n")
        for _ in range(150):
            u, v = rng.uniform(-1, 1, 2)
            f.write(f"{u:.4f},{v:.4f},{100 + 30 * u - 20 * v * v:.4f}\n")
    model_file = os.path.join(tmp, "reg.safetensors")
    xgrad("train", "--csv", data, "--target", "price", "--hidden", "16", "--activation", "elu",
          "--epochs", "30", "--save", model_file, "--quiet")
    model, inputs = xgrad_torch.load(model_file)
    x = torch.from_numpy(inputs.encode(xgrad_torch.read_csv(data)))
    with torch.no_grad():
        values = model(x)[:, 0].numpy()
    expected, _ = predicted(model_file, data, proba=False)
    assert np.abs(values - expected).max() < 1e-3, np.abs(values - expected).max()  # ~100s
    back = os.path.join(tmp, "reg_back.safetensors")
    xgrad_torch.save(model, back, like=model_file)
    again, _ = predicted(back, data, proba=False)
    assert np.abs(again - expected).max() == 0.0  # same weights, same statistics, same file
    print("xgrad -> torch -> xgrad: regression in the target's units agrees")


def test_cells_read_as_xgrad_reads_them(tmp):
    # RFC 4180 as xgrad reads it: spaces around an unquoted cell are dropped, a quoted cell is
    # kept as written, so "red" and " red" (quoted) are two categories; every missing-cell
    # spelling is missing with spaces around it, and a quoted line break and a
    # delimiter inside quotes belong to the cell.
    data = os.path.join(tmp, "quoted.csv")
    rng = np.random.default_rng(4)
    colours = ["red", '" red"', "blue", '"blue;\ndark"']
    markers = sorted(xgrad_torch.MISSING)
    with open(data, "w", newline="") as f:
        f.write("size ; colour;class\r\n")
        for i in range(160):
            k = i % 4
            # Every spelling the bridge takes for a missing cell, padded: xgrad must read each as
            # missing too (else the column mixes numbers and text and training fails).
            size = f" {markers[i // 8 % len(markers)]} " if i % 8 == 0 else \
                f" {k + rng.normal(0, 0.3):.3f} "
            f.write(f"{size};{colours[k]} ;{'yes' if k % 2 else 'no'}\r\n")
    table = xgrad_torch.read_csv(data)
    assert list(table) == ["size", "colour", "class"]
    assert sorted(set(table["colour"])) == [" red", "blue", "blue;\ndark", "red"]
    model_file = os.path.join(tmp, "quoted.safetensors")
    xgrad("train", "--csv", data, "--target", "class", "--impute", "mean", "--hidden", "8",
          "--epochs", "60", "--save", model_file, "--quiet")
    model, inputs = xgrad_torch.load(model_file)
    assert inputs.feature_names() == ["size", "colour= red", "colour=blue", "colour=blue;\ndark",
                                      "colour=red"], inputs.feature_names()
    x = torch.from_numpy(inputs.encode(table))
    agrees_with_xgrad(model, inputs, x, model_file, data)
    print("CSV cells: quoted spaces, line breaks, delimiters and padded missing markers agree")


if __name__ == "__main__":
    print(f"torch {torch.__version__}, numpy {np.__version__}, {sys.executable}")
    with tempfile.TemporaryDirectory() as directory:
        test_xgrad_to_torch_and_back(directory)
        test_torch_only_network(directory)
        test_regression(directory)
        test_cells_read_as_xgrad_reads_them(directory)
