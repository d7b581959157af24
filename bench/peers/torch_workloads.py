#!/usr/bin/python3
"""The PyTorch half of the side-by-side benchmark (bench/SideBySide/Workloads.cs is the Interp half).

    /usr/bin/python3 bench/peers/torch_workloads.py NAME [--warmup W] [--samples S] [--threads T]

Runs one workload in this process and prints one JSON line, the format `Interp.Bench workload` prints:
{"side": "torch", "workload": NAME, "ms": {PHASE: [wall ms per call, one per sample]}, "cpu_ms": {PHASE: [process CPU ms
per call]}, "vmhwm_kb": K, "threads": T, "version": torch.__version__, "blas_core": the OpenBLAS kernel in use,
"gemm_rel_err": a 256x256 float32 product's largest error against float64, relative to its largest entry}; the last two
let the runner drop a configuration whose BLAS kernel computes wrong results. Written the way a PyTorch user would write these models (nn.Linear, nn.LayerNorm,
F.gelu, masked_fill + softmax attention, torch.optim.Adam/AdamW with their defaults). Needs Debian's python3-torch.
"""
import argparse
import ctypes
import ctypes.util
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

MIN_SAMPLE_MS = 50.0  # a sample repeats a phase until it has run this long


def matmul(n):
    g = torch.Generator().manual_seed(1)
    a, b = torch.randn(n, n, generator=g), torch.randn(n, n, generator=g)
    return [("mm", lambda: torch.mm(a, b))]


class Block(nn.Module):
    def __init__(self, d, heads, d_mlp):
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.out = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.fc_in, self.fc_out = nn.Linear(d, d_mlp), nn.Linear(d_mlp, d)

    def attention(self, x, mask):
        b, t, d = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(d // self.heads)
        pattern = scores.masked_fill(mask, float("-inf")).softmax(-1)
        z = (pattern @ v).transpose(1, 2).reshape(b, t, d)
        return self.out(z)

    def forward(self, x, mask):
        x = x + self.attention(self.ln1(x), mask)
        return x + self.fc_out(F.gelu(self.fc_in(self.ln2(x))))


class Gpt(nn.Module):
    def __init__(self, vocab=512, layers=4, d=256, heads=4, d_mlp=1024, ctx=128):
        super().__init__()
        self.embed, self.pos = nn.Embedding(vocab, d), nn.Parameter(torch.randn(ctx, d) * 0.02)
        self.blocks = nn.ModuleList(Block(d, heads, d_mlp) for _ in range(layers))
        self.ln_final, self.unembed = nn.LayerNorm(d), nn.Linear(d, vocab)
        self.register_buffer("mask", torch.triu(torch.ones(ctx, ctx, dtype=torch.bool), 1))

    def forward(self, tokens):
        t = tokens.shape[1]
        x = self.embed(tokens) + self.pos[:t]
        for block in self.blocks:
            x = block(x, self.mask[:t, :t])
        return self.unembed(self.ln_final(x))


def gpt():
    torch.manual_seed(1)
    model = Gpt()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    tokens = torch.randint(0, 512, (8, 129))
    inp, target = tokens[:, :128].contiguous(), tokens[:, 1:].reshape(-1)

    def loss():
        return F.cross_entropy(model(inp).reshape(-1, 512), target)

    def step():
        opt.zero_grad(set_to_none=True)
        loss().backward()
        opt.step()

    return [("forward", loss), ("step", step)]


class Cnn(nn.Module):
    """PyTorch's examples/mnist network without its dropout (as Interp's CnnConfig default)."""

    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 32, 3), nn.Conv2d(32, 64, 3)
        self.fc1, self.fc2 = nn.Linear(9216, 128), nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv2(F.relu(self.conv1(x)))), 2)
        return self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))


def cnn():
    torch.manual_seed(1)
    model = Cnn()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, y = torch.randn(64, 1, 28, 28), torch.randint(0, 10, (64,))

    def step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()

    return [("forward", lambda: F.cross_entropy(model(x), y)), ("step", step)]


def sae(d_in=256, features=4096, batch=4096, l1=1e-3):
    """ReLU SAE: f = relu((x - b_dec) W_enc + b_enc), x_hat = f W_dec + b_dec, loss = mse + l1 * mean_batch(sum |f|)."""
    torch.manual_seed(1)
    w_enc = (torch.randn(d_in, features) / math.sqrt(d_in)).requires_grad_()
    w_dec = w_enc.detach().t().contiguous().requires_grad_()
    b_enc, b_dec = torch.zeros(features, requires_grad=True), torch.zeros(d_in, requires_grad=True)
    opt = torch.optim.Adam([w_enc, w_dec, b_enc, b_dec], lr=1e-4)
    x = torch.randn(batch, d_in)

    def loss():
        f = torch.relu((x - b_dec) @ w_enc + b_enc)
        x_hat = f @ w_dec + b_dec
        return (x_hat - x).square().mean() + l1 * f.abs().sum(1).mean()

    def step():
        opt.zero_grad(set_to_none=True)
        loss().backward()
        opt.step()

    return [("forward", loss), ("step", step)]


def create(name):
    if name.startswith("matmul-"):
        return matmul(int(name[len("matmul-"):]))
    workloads = {"gpt": gpt, "cnn": cnn, "sae": sae}
    if name not in workloads:
        raise SystemExit(f"torch_workloads: unknown workload '{name}'")
    return workloads[name]()


def blas_core():
    """The kernel OpenBLAS chose (OPENBLAS_CORETYPE overrides its own detection), or '?' where that is not OpenBLAS."""
    for name in ("libopenblas.so.0", ctypes.util.find_library("openblas")):
        try:
            lib = ctypes.CDLL(name)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            return lib.openblas_get_corename().decode()
        except (OSError, AttributeError, TypeError):
            continue
    return "?"


def gemm_rel_err(n=256):
    g = torch.Generator().manual_seed(3)
    a, b = torch.randn(n, n, generator=g), torch.randn(n, n, generator=g)
    ref = a.double() @ b.double()
    return ((a @ b).double() - ref).abs().max().item() / ref.abs().max().item()


def peak_resident_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def warm(run, calls, min_ms=2000.0):
    """At least `calls` calls and at least min_ms of running, as the Interp side (whose JIT needs it)."""
    t0, i = time.perf_counter(), 0
    while i < calls or (calls > 0 and (time.perf_counter() - t0) * 1e3 < min_ms):
        run()
        i += 1


def median_ms(samples, run, sync=lambda: None):
    """Median wall ms of `samples` calls after two untimed ones, each timed up to `sync` (a device's wait)."""
    for _ in range(2):
        run()
    sync()
    ms = []
    for _ in range(samples):
        t0 = time.perf_counter()
        run()
        sync()
        ms.append((time.perf_counter() - t0) * 1e3)
    return sorted(ms)[samples // 2]


def reps_for(run):
    t0 = time.perf_counter()
    run()
    once = (time.perf_counter() - t0) * 1e3
    return max(1, min(10_000, math.ceil(MIN_SAMPLE_MS / max(once, 1e-3))))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("name")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--samples", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    ms, cpu_ms = {}, {}
    for phase, run in create(a.name):
        warm(run, a.warmup)
        reps = reps_for(run)
        ms[phase], cpu_ms[phase] = [], []
        for _ in range(a.samples):
            t0, c0 = time.perf_counter(), time.process_time()
            for _ in range(reps):
                run()
            ms[phase].append((time.perf_counter() - t0) * 1e3 / reps)
            cpu_ms[phase].append((time.process_time() - c0) * 1e3 / reps)
    print(json.dumps({"side": "torch", "workload": a.name, "ms": ms, "cpu_ms": cpu_ms, "vmhwm_kb": peak_resident_kb(),
                      "threads": torch.get_num_threads(), "version": torch.__version__,
                      "blas_core": blas_core(), "gemm_rel_err": gemm_rel_err()}))


if __name__ == "__main__":
    main()
