"""bench/gpu/run.sh's table: python3 table.py interp.json torch.json [cuda-tests.log [ptxas.txt]] -> markdown on stdout.

Each JSON file holds one line per part measured, the last holding all parts so far; a missing file, or one cut short
by a time limit, gives '-' where its numbers would be, so a partial run still makes a table.
"""
import json
import os
import sys


def last_json(path):
    try:
        lines = [line for line in open(path).read().splitlines() if line.strip().startswith("{")]
    except OSError:
        return {}
    for line in reversed(lines):   # a line cut mid-write by a kill is skipped
        try:
            return json.loads(line)
        except json.JSONDecodeError:
            continue
    return {}


def text(path):
    return open(path).read().strip() if path and os.path.exists(path) else ""


def ratio(a, b):
    return f"{a / b:.2f}x" if a is not None and b else "-"


def num(x, fmt):
    return "-" if x is None else format(x, fmt)


interp, torch = last_json(sys.argv[1]), last_json(sys.argv[2])
tests = text(sys.argv[3]) if len(sys.argv) > 3 else ""
ptxas = text(sys.argv[4]) if len(sys.argv) > 4 else ""
print(f"Interp on {interp.get('device', '(no result)')}; PyTorch {torch.get('version', '(not run or not installed)')} "
      f"on {torch.get('device', '-')}, float32, TF32 off.")
if len(sys.argv) > 3:
    done = [line for line in tests.splitlines() if line.startswith("device tests:")]
    print(f"CUDA tests: {done[-1] if done else 'did not finish (see cuda-tests.log)'}")
print(f"First float32 matmul in a fresh process (ILGPU compiling and loading the kernel): {num(interp.get('first_matmul_ms'), '.0f')} ms; "
      f"first GPT training step (compiling every kernel it uses): {num(interp.get('gpt_first_step_ms'), '.0f')} ms.")
if "gpt_step_launches" in interp:
    print(f"One GPT training step: {interp['gpt_step_launches']} kernel launches, host traffic: {interp.get('gpt_step_host_copies', '-')}.")
if ptxas:
    print(f"ptxas -v of the SGEMM (registers, spills): {' '.join(ptxas.split())}")
print()
print("| workload | Interp | PyTorch | Interp / PyTorch |")
print("|---|---:|---:|---:|")
it, pt = interp.get("matmul_tflops", {}), torch.get("matmul_tflops", {})
for n in sorted(set(it) | set(pt), key=int):
    t, p = it.get(n), pt.get(n)
    print(f"| matmul n = {n} (TFLOP/s) | {num(t, '.3g')} | {num(p, '.3g')} | {ratio(t, p)} the rate |")
for key, what in (("gpt_forward_ms", "GPT forward + loss (ms)"), ("gpt_step_ms", "GPT training step, AdamW (ms)")):
    a, b = interp.get(key), torch.get(key)
    print(f"| {what} | {num(a, '.4g')} | {num(b, '.4g')} | {ratio(a, b)} the time |")
