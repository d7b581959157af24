"""The PyTorch half of bench/gpu/run.sh: what `Interp.Bench gpu` measures, on the same shapes.

    python3 bench/peers/torch_gpu.py [--dry]

float32 with TF32 off (torch.backends.cuda.matmul.allow_tf32 = False, cudnn likewise), so the matmul is the same
arithmetic as Interp's: C = A·B at n = 1024 .. 8192 (TFLOP/s, median of timed calls up to torch.cuda.synchronize),
and the GPT-2-small-sized model of torch_workloads.py's structure (12 layers, d_model 768, 12 heads, d_mlp 3072,
vocabulary 50,257, context 256, batch 8, AdamW): forward with the loss and a training step, eager (ms). --dry runs
tiny sizes on the CPU so the script is known to work without a GPU. Prints a JSON line after each part, each holding
all parts so far (the last is the whole), so a run cut short by its time limit still reports what it measured.
"""
import argparse
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_workloads import Gpt, median_ms  # noqa: E402  (the side-by-side's model, same structure as Interp's)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dry", action="store_true")
    a = p.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    dev = torch.device("cpu" if a.dry else "cuda")
    sync = (lambda: None) if a.dry else torch.cuda.synchronize
    samples = 1 if a.dry else 10
    result = {"side": "torch", "version": torch.__version__,
              "device": "cpu" if a.dry else torch.cuda.get_device_name(0)}
    g = torch.Generator(device=dev).manual_seed(1)
    tflops = {}
    for n in ([16, 32] if a.dry else [1024, 2048, 4096, 8192]):
        x = torch.randn(n, n, device=dev, generator=g)
        y = torch.randn(n, n, device=dev, generator=g)
        ms = median_ms(samples, lambda: torch.mm(x, y), sync)
        tflops[str(n)] = 2.0 * n ** 3 / (ms * 1e-3) / 1e12
        result["matmul_tflops"] = tflops
        print(json.dumps(result), flush=True)

    vocab, layers, d, heads, d_mlp, ctx, batch = (32, 1, 16, 2, 32, 8, 1) if a.dry else (50257, 12, 768, 12, 3072, 256, 8)
    torch.manual_seed(1)
    model = Gpt(vocab, layers, d, heads, d_mlp, ctx).to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    tokens = torch.randint(0, vocab, (batch, ctx + 1), device=dev, generator=g)
    inp, target = tokens[:, :ctx].contiguous(), tokens[:, 1:].reshape(-1)

    def loss():
        return F.cross_entropy(model(inp).reshape(-1, vocab), target)

    def step():
        opt.zero_grad(set_to_none=True)
        loss().backward()
        opt.step()

    result["gpt_forward_ms"] = median_ms(samples, loss, sync)
    print(json.dumps(result), flush=True)
    result["gpt_step_ms"] = median_ms(samples, step, sync)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
