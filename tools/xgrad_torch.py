"""xgrad <-> PyTorch, with numpy and torch only.

An xgrad model file (safetensors, metadata format "mlp" version 2) becomes a torch.nn.Sequential
holding the same weights and the numeric preprocessing, plus an `Inputs` object that turns CSV
columns into the float matrix the network reads (one-hot categories, fill values, column order
by name). A PyTorch-trained Sequential of supported layers is written back as an xgrad model
file that `xgrad predict` / `xgrad eval` and xg::Predictor read.

    import torch, xgrad_torch
    model, inputs = xgrad_torch.load("iris.safetensors")
    x = inputs.encode(xgrad_torch.read_csv("new.csv"))        # numpy float32 [N, in]
    with torch.no_grad():
        labels = inputs.labels(model(torch.from_numpy(x)))     # class names (classification)
    ... train `model` further, e.g. with torch.nn.parallel.DistributedDataParallel ...
    xgrad_torch.save(model, "back.safetensors", like="iris.safetensors")

    # A network trained in PyTorch alone:
    net = torch.nn.Sequential(torch.nn.Linear(3, 16), torch.nn.Tanh(), torch.nn.Linear(16, 2))
    xgrad_torch.save(net, "net.safetensors", features=["a", "b", "c"], classes=["no", "yes"])

The Sequential is [Standardize, Linear, act, Linear, act, ..., Linear] (and a final Rescale for
regression): Standardize computes (x - mean) / scale per encoded feature (one-hot features have
mean 0 and scale 1), Rescale maps the network's output back to the target's units. `save` reads
both back if present.
"""

import json
import math
import re
import struct

import numpy as np
import torch
from torch import nn

FORMAT, VERSION = "mlp", "2"


class Standardize(nn.Module):
    """(x - mean) / scale per feature, with fixed statistics (buffers, not parameters)."""

    def __init__(self, mean, scale):
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("scale", torch.as_tensor(scale, dtype=torch.float32))
        self.exact = [float(m) for m in mean], [float(s) for s in scale]  # the file's doubles

    def forward(self, x):
        return (x - self.mean) / self.scale

    def statistics(self):
        """(mean, scale) as doubles: the file's values unless the buffers were changed."""
        mean, scale = self.exact
        if torch.equal(self.mean, torch.tensor(mean, dtype=torch.float32)) and \
                torch.equal(self.scale, torch.tensor(scale, dtype=torch.float32)):
            return mean, scale
        return self.mean.tolist(), self.scale.tolist()


class Rescale(nn.Module):
    """y · scale + mean: a regression network's output in the target's units."""

    def __init__(self, mean, scale):
        super().__init__()
        self.mean, self.scale = float(mean), float(scale)

    def forward(self, y):
        return y * self.scale + self.mean


# xgrad activation name -> (PyTorch module from the resolved parameters and the width,
#                          the parameters of a PyTorch module)
ACTIVATIONS = {
    "identity": (lambda p, w: nn.Identity(), nn.Identity, lambda m: {}),
    "relu": (lambda p, w: nn.ReLU(), nn.ReLU, lambda m: {}),
    "relu6": (lambda p, w: nn.ReLU6(), nn.ReLU6, lambda m: {}),
    "leaky_relu": (lambda p, w: nn.LeakyReLU(p["negative_slope"]), nn.LeakyReLU,
                   lambda m: {"negative_slope": m.negative_slope}),
    "prelu": (lambda p, w: nn.PReLU(w if p["per_channel"] else 1, p["init"]), nn.PReLU,
              lambda m: {"init": 0.25, "per_channel": 1 if m.num_parameters > 1 else 0}),
    "rrelu": (lambda p, w: nn.RReLU(p["lower"], p["upper"]), nn.RReLU,
              lambda m: {"lower": m.lower, "upper": m.upper}),
    "elu": (lambda p, w: nn.ELU(p["alpha"]), nn.ELU, lambda m: {"alpha": m.alpha}),
    "selu": (lambda p, w: nn.SELU(), nn.SELU, lambda m: {}),
    "celu": (lambda p, w: nn.CELU(p["alpha"]), nn.CELU, lambda m: {"alpha": m.alpha}),
    "gelu": (lambda p, w: nn.GELU(), None, None),
    "gelu_tanh": (lambda p, w: nn.GELU(approximate="tanh"), None, None),
    "silu": (lambda p, w: nn.SiLU(), nn.SiLU, lambda m: {}),
    "mish": (lambda p, w: nn.Mish(), nn.Mish, lambda m: {}),
    "tanh": (lambda p, w: nn.Tanh(), nn.Tanh, lambda m: {}),
    "sigmoid": (lambda p, w: nn.Sigmoid(), nn.Sigmoid, lambda m: {}),
    "softsign": (lambda p, w: nn.Softsign(), nn.Softsign, lambda m: {}),
    "logsigmoid": (lambda p, w: nn.LogSigmoid(), nn.LogSigmoid, lambda m: {}),
    "hardtanh": (lambda p, w: nn.Hardtanh(p["min_val"], p["max_val"]), nn.Hardtanh,
                 lambda m: {"min_val": m.min_val, "max_val": m.max_val}),
    "hardsigmoid": (lambda p, w: nn.Hardsigmoid(), nn.Hardsigmoid, lambda m: {}),
    "hardswish": (lambda p, w: nn.Hardswish(), nn.Hardswish, lambda m: {}),
    "softplus": (lambda p, w: nn.Softplus(p["beta"], p["threshold"]), nn.Softplus,
                 lambda m: {"beta": m.beta, "threshold": m.threshold}),
}


def activation_of(module):
    """The xgrad name and parameters of a PyTorch activation module."""
    if isinstance(module, nn.GELU):
        return ("gelu_tanh" if module.approximate == "tanh" else "gelu"), {}
    for name, (_, cls, params) in ACTIVATIONS.items():
        if cls is not None and type(module) is cls:
            return name, params(module)
    raise ValueError(f"{type(module).__name__} has no xgrad equivalent (supported: "
                     f"{', '.join(sorted(ACTIVATIONS))})")


# ---- safetensors (the format is small enough to read and write with numpy) --------------------

def read_safetensors(path):
    """(metadata dict, {name: numpy array}) of a safetensors file of F32 tensors."""
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, entry in header.items():
        if entry["dtype"] != "F32":
            raise ValueError(f"{path}: tensor '{name}' is {entry['dtype']}, not F32")
        begin, end = entry["data_offsets"]
        raw = data[8 + length + begin:8 + length + end]
        tensors[name] = np.frombuffer(raw, dtype="<f4").reshape(entry["shape"]).copy()
    return metadata, tensors


def write_safetensors(path, metadata, tensors):
    """Writes {name: array} as F32 with string metadata (header padded to 8 bytes)."""
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, array in tensors.items():
        blob = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


# ---- the input columns ------------------------------------------------------------------------

# The spellings of a missing cell, as xgrad reads them (data::is_missing_cell): "?" and pandas'
# default na_values.
MISSING = {"", "?", "NA", "N/A", "n/a", "NaN", "nan", "-NaN", "-nan", "NULL", "null", "None",
           "<NA>", "#N/A", "#NA", "#N/A N/A", "1.#IND", "-1.#IND", "1.#QNAN", "-1.#QNAN"}


def detect_delimiter(text):
    """The most frequent of ',', ';' and tab outside quotes on the first line; ',' on a tie."""
    counts, quoted = {",": 0, ";": 0, "\t": 0}, False
    for c in text:
        if c == '"':
            quoted = not quoted
        elif not quoted and c in "\r\n":
            break
        elif not quoted and c in counts:
            counts[c] += 1
    return max(",;\t", key=lambda d: counts[d])


def records(text, delimiter, source="text"):
    """The records of RFC 4180 text as xgrad reads them: spaces and tabs around an unquoted cell
    dropped, a quoted cell kept as written ("" in it is one quote), blank lines skipped."""
    blank = " " if delimiter == "\t" else " \t"
    cell = re.compile(f'[{blank}]*"((?:[^"]|"")*)"[{blank}]*|([^{re.escape(delimiter)}"\r\n]*)')
    line_break = re.compile(r"\r\n|\r|\n")
    rows, row, at = [], [], 0
    while True:
        m = cell.match(text, at)  # the second alternative matches the empty string
        quoted, plain = m.group(1), m.group(2)
        row.append(plain.strip(blank) if quoted is None else quoted.replace('""', '"'))
        at = m.end()
        if text.startswith(delimiter, at):
            at += 1
            continue
        end = line_break.match(text, at)
        if end is None and at < len(text):
            line = text.count("\n", 0, at) + 1
            raise ValueError(f"{source}:{line}: malformed quotes (a quote inside an unquoted cell, "
                             "text after a closing quote, or a quote never closed)")
        if row != [""] or quoted is not None:  # not a blank line
            rows.append(row)
        if end is None:
            return rows
        row, at = [], end.end()


def read_csv(path, delimiter=None):
    """{column name: list of cell strings}, read as xgrad reads a CSV file (RFC 4180, a UTF-8
    byte order mark skipped, the delimiter detected unless given)."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        text = f.read()
    rows = records(text, delimiter or detect_delimiter(text), path)
    names = rows[0]
    for number, r in enumerate(rows[1:], 2):
        if len(r) != len(names):
            raise ValueError(f"{path}: record {number} (the header is 1) has {len(r)} cells, "
                             f"the header {len(names)}")
    return {n: [r[i] for r in rows[1:]] for i, n in enumerate(names)}


def is_missing(cell):
    return cell.strip(" \t") in MISSING


class Inputs:
    """The model file's input columns and target: CSV cells -> features, outputs -> answers."""

    def __init__(self, metadata):
        self.columns = json.loads(metadata["xgrad.inputs"])
        self.target = metadata["xgrad.target"]
        self.classification = metadata["xgrad.task"] == "classification"
        self.classes = json.loads(metadata["xgrad.classes"]) if self.classification else []

    def feature_names(self):
        names = []
        for c in self.columns:
            names += [f"{c['name']}={v}" for v in c["categories"]] if c["type"] == "category" \
                else [c["name"]]
        return names

    def encode(self, table, unknown="error"):
        """numpy float32 [N, features] from {column: cells} (before Standardize)."""
        blocks = []
        for c in self.columns:
            if c["name"] not in table:
                raise KeyError(f"no column named '{c['name']}'")
            cells = table[c["name"]]
            if c["type"] == "number":
                values = [c.get("fill", math.nan) if is_missing(v) else float(v) for v in cells]
                if any(math.isnan(v) for v in values):
                    raise ValueError(f"column '{c['name']}': missing value and no fill value")
                blocks.append(np.array(values, dtype=np.float32)[:, None])
                continue
            index = {v: i for i, v in enumerate(c["categories"])}
            block = np.zeros((len(cells), len(index)), dtype=np.float32)
            for row, v in enumerate(cells):
                v = c.get("fill") if is_missing(v) else v
                if v in index:
                    block[row, index[v]] = 1
                elif unknown == "error":
                    raise ValueError(f"column '{c['name']}': '{v}' is not a known category")
            blocks.append(block)
        return np.concatenate(blocks, axis=1)

    def standardize(self):
        mean, scale = [], []
        for c in self.columns:
            width = len(c["categories"]) if c["type"] == "category" else 1
            mean += [c.get("mean", 0.0)] * width
            scale += [c.get("scale", 1.0)] * width
        return Standardize(mean, scale)

    def labels(self, outputs):
        """Class names of the argmax of [N, C] logits."""
        return [self.classes[i] for i in outputs.argmax(dim=1).tolist()]


# ---- xgrad -> PyTorch -------------------------------------------------------------------------

def load(path):
    """(nn.Sequential with the file's weights, Inputs) from an xgrad model file."""
    metadata, tensors = read_safetensors(path)
    if metadata.get("xgrad.format") != FORMAT or metadata.get("xgrad.format_version") != VERSION:
        raise ValueError(f"{path}: not an xgrad model file of format {FORMAT} version {VERSION}")
    inputs = Inputs(metadata)
    name = metadata["xgrad.activation"]
    if name not in ACTIVATIONS:
        raise ValueError(f"{path}: activation '{name}' has no PyTorch module")
    params = json.loads(metadata["xgrad.act_params"])
    hidden = [] if metadata["xgrad.hidden"] == "none" else \
        [int(h) for h in metadata["xgrad.hidden"].split(",")]
    widths = [int(metadata["xgrad.in"])] + hidden + [int(metadata["xgrad.out"])]
    layers = [inputs.standardize()]
    for i in range(len(widths) - 1):
        linear = nn.Linear(widths[i], widths[i + 1])
        linear.weight.data = torch.from_numpy(tensors[f"{2 * i}.weight"])
        linear.bias.data = torch.from_numpy(tensors[f"{2 * i}.bias"])
        layers.append(linear)
        if i + 1 < len(widths) - 1:
            act = ACTIVATIONS[name][0](params, widths[i + 1])
            for key, value in act.named_parameters():  # PReLU's slopes
                value.data = torch.from_numpy(tensors[f"{2 * i + 1}.{key}"])
            layers.append(act)
    if not inputs.classification:
        layers.append(Rescale(float(metadata["xgrad.target_mean"]),
                              float(metadata["xgrad.target_scale"])))
    return nn.Sequential(*layers).eval(), inputs


# ---- PyTorch -> xgrad -------------------------------------------------------------------------

def save(model, path, like=None, features=None, classes=None, target="target"):
    """Writes a Sequential of [Standardize], Linear, act, ..., Linear, [Rescale] as an xgrad
    model file. The input columns and target come from `like` (an xgrad model file, e.g. the one
    `load` read), else from `features` (numeric column names) and `classes` (class names;
    regression without)."""
    layers = list(model)
    pre = layers.pop(0) if layers and isinstance(layers[0], Standardize) else None
    post = layers.pop() if layers and isinstance(layers[-1], Rescale) else None
    linears, acts = layers[0::2], layers[1::2]
    if not linears or not all(isinstance(m, nn.Linear) for m in linears) or \
            len(acts) != len(linears) - 1:
        raise ValueError("expected Linear, activation, Linear, ..., Linear")
    names = {activation_of(a)[0] for a in acts}
    if len(names) > 1:
        raise ValueError(f"one activation for every layer, got {sorted(names)}")
    name, params = activation_of(acts[0]) if acts else ("relu", {})

    if like is not None:
        metadata = {k: v for k, v in read_safetensors(like)[0].items()
                    if not k.startswith("xgrad.train.")}
    else:
        features = features or [f"x{i + 1}" for i in range(linears[0].in_features)]
        metadata = {"xgrad.inputs": json.dumps(
            [{"name": f, "type": "number", "mean": 0.0, "scale": 1.0} for f in features]),
            "xgrad.target": target, "xgrad.target_type": "category" if classes else "number",
            "xgrad.task": "classification" if classes else "regression", "xgrad.init": "pytorch"}
        if classes:
            metadata["xgrad.classes"] = json.dumps(list(classes))
        else:
            metadata["xgrad.target_mean"], metadata["xgrad.target_scale"] = "0", "1"
    columns = json.loads(metadata["xgrad.inputs"])
    if pre is not None:  # statistics of the numeric columns from the Standardize layer
        mean, scale = pre.statistics()
        position = 0
        for c in columns:
            if c["type"] == "number":
                c["mean"], c["scale"] = mean[position], scale[position]
                position += 1
            else:
                position += len(c["categories"])
        metadata["xgrad.inputs"] = json.dumps(columns)
    if post is not None:
        metadata["xgrad.target_mean"] = repr(post.mean)
        metadata["xgrad.target_scale"] = repr(post.scale)

    hidden = [m.out_features for m in linears[:-1]]
    metadata.update({
        "xgrad.format": FORMAT, "xgrad.format_version": VERSION,
        "xgrad.in": str(linears[0].in_features), "xgrad.out": str(linears[-1].out_features),
        "xgrad.hidden": ",".join(map(str, hidden)) or "none",
        "xgrad.activation": name, "xgrad.act_params": json.dumps(params),
        "xgrad.train.by": "PyTorch (tools/xgrad_torch.py)"})
    tensors = {}
    for i, linear in enumerate(linears):
        tensors[f"{2 * i}.weight"] = linear.weight.detach().numpy()
        tensors[f"{2 * i}.bias"] = linear.bias.detach().numpy()
    for i, act in enumerate(acts):
        for key, value in act.named_parameters():
            tensors[f"{2 * i + 1}.{key}"] = value.detach().numpy()
    write_safetensors(path, metadata, tensors)
