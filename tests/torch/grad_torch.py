#!/usr/bin/env python3
"""Independent PyTorch oracle for gradgen.

Reads a .grad network (the spec's language, evaluated with Python's own expression
parser over torch tensors), draws a random feed for every input, target and param,
computes loss, outputs and gradients with torch.autograd in float64, runs
`gradgen eval --feed` (compiled and --interp) on the same feed, and compares.
Nothing here shares code with gradgen: it is the reference the issues are judged by.

usage: grad_torch.py GRADGEN NET.grad [NET.grad ...]   (exit 0 when all agree)
"""
import json
import math
import os
import random
import re
import subprocess
import sys
import tempfile

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
IDENT = re.compile(r"(?<![.\w])[A-Za-z_][A-Za-z0-9_]*")
KEYWORDS = {"network", "precision", "dim", "input", "target", "param", "const", "output", "loss", "grad",
            "optimizer"}


def statements(text):
    """Yields (line, statement) with comments removed and bracketed continuations joined."""
    buf, depth = "", 0
    for raw in text.splitlines():
        line = raw.split("#", 1)[0]
        buf += " " + line
        depth += line.count("(") + line.count("[") - line.count(")") - line.count("]")
        if depth == 0 and buf.strip():
            yield buf.strip()
            buf = ""


def mangle(expr, names):
    """Declared names become v_NAME so Python keywords (class, int, ...) are usable."""
    return IDENT.sub(lambda m: "v_" + m.group(0) if m.group(0) in names else m.group(0), expr)


class Net:
    def __init__(self, text):
        self.dims, self.leaves, self.defs, self.grads = [], [], [], []
        self.consts, self.names = {}, set()
        self.loss = None
        for st in statements(text):
            self.statement(st)

    def statement(self, st):
        word = st.split()[0]
        rest = st[len(word):].strip()
        if word in ("network", "precision", "optimizer"):
            return
        if word == "dim":
            self.dims += [d.strip() for d in rest.split(",")]
        elif word in ("input", "target", "param"):
            m = re.match(r"([A-Za-z_]\w*)\s*(\[[^\]]*\])?", rest)
            shape = [d.strip() for d in m.group(2)[1:-1].split(",") if d.strip()] if m.group(2) else []
            self.leaves.append((word, m.group(1), shape))
            self.names.add(m.group(1))
        elif word == "const":
            name, value = [s.strip() for s in rest.split("=", 1)]
            self.consts[name] = float(value)
            self.names.add(name)
        elif word == "grad":
            self.grads += [g.strip() for g in rest.split(",")]
        else:
            kind = word if word in ("output", "loss") else "plain"
            if kind != "plain":
                st = rest
            name, expr = [s.strip() for s in st.split("=", 1)]
            m = re.match(r"dense\((.*)\)$", expr)
            if m:
                self.dense_params(name, m.group(1))
            self.defs.append((kind, name, expr))
            self.names.add(name)
            if kind == "loss":
                self.loss = name

    def dense_params(self, name, args):
        """dense(x, units, activation=..., bias=...) creates NAME_W[k, units] and NAME_b[units]."""
        parts = [a.strip() for a in args.split(",")]
        x, units = parts[0], parts[1]
        k = self.width_of(x)
        self.leaves.append(("param", name + "_W", [k, units]))
        if not any(p.replace(" ", "") == "bias=false" for p in parts):
            self.leaves.append(("param", name + "_b", [units]))

    def width_of(self, x):
        for _, n, shape in self.leaves:
            if n == x:
                return shape[-1]
        for _, n, expr in self.defs:
            m = re.match(r"dense\(\s*[A-Za-z_]\w*\s*,\s*(\w+)", expr)
            if n == x and m:
                return m.group(1)
        raise SystemExit("grad_torch: cannot infer the width of " + x)


def builtins(leaf_values, current):
    def dense(x, units, activation=None, bias=True):
        y = x @ leaf_values[current[0] + "_W"]
        if bias:
            y = y + leaf_values[current[0] + "_b"]
        return y if activation is None else activation(y)

    def red(fn):
        return lambda x, axis=None: fn(x) if axis is None else fn(x, dim=axis)

    def ce(z, y):
        return F.cross_entropy(z, y) if z.dim() == 2 else F.cross_entropy(z.unsqueeze(0), y.unsqueeze(0))

    def bce(p, y):
        return torch.mean(-(y * torch.clamp(torch.log(p), min=-100) + (1 - y) * torch.clamp(torch.log1p(-p), min=-100)))

    return {
        "sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
        "leaky_relu": lambda x, alpha=0.01: F.leaky_relu(x, alpha), "softplus": F.softplus,
        "exp": torch.exp, "log": torch.log, "sqrt": torch.sqrt, "square": torch.square, "abs": torch.abs,
        "sin": torch.sin, "cos": torch.cos, "pow": lambda x, p: torch.pow(x, p),
        "sum": red(torch.sum), "mean": red(torch.mean),
        "softmax": lambda x, axis=-1: torch.softmax(x, dim=axis),
        "log_softmax": lambda x, axis=-1: torch.log_softmax(x, dim=axis),
        "mse": F.mse_loss, "sse": lambda p, y: torch.sum(torch.square(p - y)), "cross_entropy": ce,
        "bce": bce, "bce_logits": F.binary_cross_entropy_with_logits, "dense": dense,
        "linear": None, "true": True, "false": False,
    }


def random_feed(net, rng, scale):
    sizes = {d: rng.randint(2, 5) for d in net.dims}
    feed = {}
    for kind, name, shape in net.leaves:
        dims = [sizes[d] if d in sizes else int(d) for d in shape]
        n = math.prod(dims)
        if kind == "target":
            vals = [rng.uniform(0.05, 0.95) for _ in range(n)]
        else:
            vals = [rng.uniform(0.1, 1.0) * scale * rng.choice((-1, 1)) if kind == "input" else rng.gauss(0, 0.5)
                    for _ in range(n)]
        feed[name] = torch.tensor(vals).reshape(dims) if dims else torch.tensor(vals[0])
    return feed


def torch_eval(net, feed):
    values = {k: v.clone().requires_grad_(True) for k, v in feed.items()}
    current = [""]
    env = builtins(values, current)
    env.update({"v_" + k: v for k, v in values.items()})
    env.update({"v_" + k: v for k, v in net.consts.items()})
    outputs = {}
    for kind, name, expr in net.defs:
        current[0] = name
        result = eval(mangle(expr, net.names), {"__builtins__": {}}, env)  # the .grad expression syntax is Python's
        env["v_" + name] = result
        if kind == "output":
            outputs[name] = result
    loss = env["v_" + net.loss]
    wanted = [n for k, n, _ in net.leaves if k == "param"] + [g for g in net.grads if g not in
                                                             [n for k, n, _ in net.leaves if k == "param"]]
    grads = torch.autograd.grad(loss, [values[n] for n in wanted], allow_unused=True)
    grads = {n: (g if g is not None else torch.zeros_like(values[n])) for n, g in zip(wanted, grads)}
    return float(loss), {k: v.detach() for k, v in outputs.items()}, grads


def rel_err(a, b):
    a, b = torch.tensor(a, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64)
    if a.shape != b.shape:
        return float("inf")
    return float(torch.linalg.vector_norm(a - b) / max(float(torch.linalg.vector_norm(b)), 1e-300))


def compare(gradgen, path, feed, expected, interp):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({k: v.tolist() for k, v in feed.items()}, f)
    cmd = [gradgen, "eval", path, "--feed", f.name, "--precision", "f64"] + (["--interp"] if interp else [])
    run = subprocess.run(cmd, capture_output=True, text=True)
    os.unlink(f.name)
    if run.returncode != 0:
        return [f"{' '.join(cmd)} exited {run.returncode}: {run.stderr.strip()}"]
    got = json.loads(run.stdout)
    loss, outputs, grads = expected
    problems = []
    checks = [("loss", got["loss"], loss)] + [(f"outputs.{k}", got["outputs"].get(k), v) for k, v in outputs.items()]
    checks += [(f"grads.{k}", got["grads"].get(k), v) for k, v in grads.items()]
    tol = 1e-9
    for what, g, e in checks:
        err = rel_err(g, e) if g is not None else float("inf")
        if not err <= tol:
            problems.append(f"{what}: relative error {err:.3g} > {tol:g}")
    return problems


def main():
    gradgen, paths = sys.argv[1], sys.argv[2:]
    failures = 0
    for path in paths:
        net = Net(open(path, encoding="utf-8").read())
        for trial, scale in enumerate((1.0, 3.0)):
            rng = random.Random(f"{os.path.basename(path)}:{trial}")
            feed = random_feed(net, rng, scale)
            expected = torch_eval(net, feed)
            for interp in (True, False):
                mode = "interp" if interp else "compiled"
                problems = compare(gradgen, path, feed, expected, interp)
                status = "ok" if not problems else "FAIL"
                print(f"{status}: {os.path.basename(path)} trial {trial} {mode}")
                for p in problems:
                    print("   ", p)
                failures += bool(problems)
    total = 4 * len(paths)
    print(f"{total - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
