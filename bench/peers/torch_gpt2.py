"""The PyTorch side of `Interp.Bench gpt2-small`: the same checkpoint, the same measurements.

    /usr/bin/python3 bench/peers/torch_gpt2.py [--checkpoint PATH] [--threads T] [--samples S]

Reads the safetensors file the Interp side wrote (`Interp.Bench gpt2-small --write`) with a plain reader (no
`safetensors` or `transformers` package: header JSON, then each tensor straight from the file), builds GPT-2 small
in plain torch (LayerNorm, gelu_new, causal attention, unembedding tied to wte), and prints one JSON line: load time (wall, CPU, minor page faults),
RSS after loading, the forward at batch 1 x 128 and 8 x 128 and a forward that keeps the same activations
TransformerLens's run_with_cache keeps (no grad, medians), those activations' bytes and the run's peak RSS.
"""
import argparse
import json
import math
import os
import resource
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_workloads import median_ms  # noqa: E402

DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16}


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        start = 8 + n
        out = {}
        for name, info in header.items():
            if name == "__metadata__":
                continue
            b, e = info["data_offsets"]
            f.seek(start + b)
            a = np.fromfile(f, dtype=DTYPES[info["dtype"]], count=(e - b) // np.dtype(DTYPES[info["dtype"]]).itemsize)
            out[name] = torch.from_numpy(a).reshape(info["shape"])
        return out


class Gpt2:
    def __init__(self, w, n_heads=12):
        self.w = {k.removeprefix("transformer."): v for k, v in w.items()}
        self.layers = sum(1 for k in self.w if k.endswith(".ln_1.weight"))
        self.h = n_heads

    def forward(self, tokens, keep=None):
        w, (b, t) = self.w, tokens.shape
        d = w["wte.weight"].shape[1]
        mask = torch.full((t, t), float("-inf")).triu(1)

        def save(x):
            if keep is not None:
                keep.append(x)
            return x

        x = save(w["wte.weight"][tokens]) + save(w["wpe.weight"][:t])
        for l in range(self.layers):
            p = f"h.{l}."
            save(x)
            n = F.layer_norm(x, (d,), w[p + "ln_1.weight"], w[p + "ln_1.bias"])
            save(n)
            qkv = torch.addmm(w[p + "attn.c_attn.bias"], n.reshape(-1, d), w[p + "attn.c_attn.weight"]).view(b, t, 3, self.h, d // self.h)
            q, k, v = (save(qkv[:, :, i]).transpose(1, 2) for i in range(3))
            scores = save(q @ k.transpose(-1, -2) / math.sqrt(d // self.h) + mask)
            pattern = save(scores.softmax(-1))
            z = save((pattern @ v).transpose(1, 2).reshape(b, t, d))
            x = x + save(torch.addmm(w[p + "attn.c_proj.bias"], z.reshape(-1, d), w[p + "attn.c_proj.weight"]).view(b, t, d))
            save(x)
            n = save(F.layer_norm(x, (d,), w[p + "ln_2.weight"], w[p + "ln_2.bias"]))
            pre = save(torch.addmm(w[p + "mlp.c_fc.bias"], n.reshape(-1, d), w[p + "mlp.c_fc.weight"]))
            post = save(F.gelu(pre, approximate="tanh"))
            x = x + save(torch.addmm(w[p + "mlp.c_proj.bias"], post, w[p + "mlp.c_proj.weight"]).view(b, t, d))
            save(x)
        x = save(F.layer_norm(x, (d,), w["ln_f.weight"], w["ln_f.bias"]))
        return x @ w["wte.weight"].T


def proc_kb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def disk_read_bytes():
    """Bytes this process made the kernel fetch from storage (read_bytes of /proc/self/io): 0 when all was in the page cache."""
    with open("/proc/self/io") as f:
        for line in f:
            if line.startswith("read_bytes:"):
                return int(line.split()[1])
    return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--checkpoint", default=os.environ.get("INTERP_GPT2_CHECKPOINT", "/tmp/interp-bench-gpt2-small/model.safetensors"))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--samples", type=int, default=5)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    t0, cpu0, faults0, disk0 = time.perf_counter(), time.process_time(), resource.getrusage(resource.RUSAGE_SELF).ru_minflt, disk_read_bytes()
    model = Gpt2(load_safetensors(a.checkpoint))
    load_disk = disk_read_bytes() - disk0
    load_ms, load_cpu_ms = (time.perf_counter() - t0) * 1e3, (time.process_time() - cpu0) * 1e3
    load_faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults0
    load_peak, load_rss = proc_kb("VmHWM"), proc_kb("VmRSS")
    g = torch.Generator().manual_seed(5)
    b1, b8 = torch.randint(0, 50257, (1, 128), generator=g), torch.randint(0, 50257, (8, 128), generator=g)
    kept = [0]

    def cache():
        keep = []
        model.forward(b8, keep)
        kept[0] = sum(x.numel() * x.element_size() for x in keep)

    with torch.no_grad():
        f1 = median_ms(a.samples, lambda: model.forward(b1))
        f8 = median_ms(a.samples, lambda: model.forward(b8))
        peak_before_cache = proc_kb("VmHWM")
        c8 = median_ms(a.samples, cache)
    print(json.dumps({"side": "torch", "threads": torch.get_num_threads(), "checkpoint_mb": os.path.getsize(a.checkpoint) / 1e6,
                      "load_ms": load_ms, "load_cpu_ms": load_cpu_ms, "load_faults": load_faults, "load_disk_mb": load_disk / 1e6,
                      "load_peak_mb": load_peak / 1e3, "load_rss_mb": load_rss / 1e3, "forward_b1_ms": f1,
                      "forward_b8_ms": f8, "cache_b8_ms": c8, "cache_mb": kept[0] / 1e6,
                      "peak_before_cache_mb": peak_before_cache / 1e3, "peak_mb": proc_kb("VmHWM") / 1e3}))


if __name__ == "__main__":
    main()
