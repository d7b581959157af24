"""bench/gpu/run.sh's table: python3 table.py interp.json torch.json [cuda-tests.log] -> markdown on stdout."""
import json
import os
import sys

interp, torch = (json.loads(open(p).read().strip().splitlines()[-1]) for p in sys.argv[1:3])
if not torch:   # no PyTorch where the dry run ran
    torch = {"version": "(not installed)", "device": "-", "matmul_tflops": {}}


def ratio(a, b):
    return f"{a / b:.2f}x" if b else "-"


def value(d, key):
    return f"{d[key]:.4g}" if key in d else "-"

tests = sys.argv[3] if len(sys.argv) > 3 and os.path.exists(sys.argv[3]) else None
print(f"Interp on {interp['device']}; PyTorch {torch['version']} on {torch['device']}, float32, TF32 off.")
if tests:
    print(f"CUDA tests: {open(tests).read().strip().splitlines()[-1]}")
print(f"First float32 matmul in a fresh process (ILGPU compiling and loading the kernel): {interp['first_matmul_ms']:.0f} ms.")
print()
print("| workload | Interp | PyTorch | Interp / PyTorch |")
print("|---|---:|---:|---:|")
for n, t in interp["matmul_tflops"].items():
    p = torch["matmul_tflops"].get(n)
    print(f"| matmul n = {n} (TFLOP/s) | {t:.3g} | {'-' if p is None else f'{p:.3g}'} | {ratio(t, p)} the rate |")
for key, what in (("gpt_forward_ms", "GPT forward + loss (ms)"), ("gpt_step_ms", "GPT training step, AdamW (ms)")):
    print(f"| {what} | {interp[key]:.4g} | {value(torch, key)} | {ratio(interp[key], torch.get(key))} the time |")
