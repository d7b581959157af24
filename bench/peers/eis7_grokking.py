#!/usr/bin/python3
"""PyTorch's own run of the EIS VII challenge-2 recipe: Nanda's grokking Transformer and training loop, as the
challenge's configuration sets them, on the challenge's exact split. The reference for `interp case eis7-transformer`.

    /usr/bin/python3 bench/peers/eis7_grokking.py [--seed S] [--epochs N] [--eval-every K] [--threads T]
        [--save-init FILE] [--losses N] [--out FILE] [--data DIR] [--literal]
        [--d-model D --heads H --d-mlp M --max-pairs N]   (smaller models on the first N pairs of the split, for fixtures)

The model is Nanda's code (grokking/transformers.py of the "progress measures" work, which the challenge runs): W_E
[d_model, d_vocab], W_pos [n_ctx, d_model], W_K/W_Q/W_V [heads, d_head, d_model], W_O [d_model, heads*d_head], W_in
[d_mlp, d_model], b_in, W_out [d_model, d_mlp], b_out, W_U [d_model, d_vocab], created in that order right after
torch.manual_seed(S), each torch.randn(...)/sqrt(d_model) (W_U /sqrt(d_vocab)), biases zero; causal attention through
tril(scores) - 1e10*(1 - mask), softmax of scores/sqrt(d_head); ReLU MLP; no LayerNorm. Config as the challenge sets it:
p 113, d_model 128, 8 heads, d_mlp 8*128, n_ctx 3, d_vocab 114. Training: AdamW(lr 5e-4, weight_decay 1.0, betas
(0.9, 0.98)), LambdaLR(min(step/10, 1)), full batch over the train half, the float64 cross-entropy of the last
position's logits over all 114 tokens (cross_entropy_high_precision), 5000 epochs, no early stop. Split: the pairs
(x, y, p) x outer, y inner, random.seed(0), random.shuffle, the first int(0.5 * 12769) train. Labels: `labels` of
transformer_label_info.pkl at [x][y] (the challenge's secret labelling; its model's `model_labels` are scored beside).

--save-init writes the initial weights in TransformerLens's names and layouts (what Interp's HookedTransformer loads;
as the challenge's solvers converted the challenge's own checkpoint) as safetensors; --losses N records the train loss
before each of the first N steps, then the one after the last epoch (float64 repr strings; with --epochs N that is
the loss after each of steps 0..N). Prints one JSON object per evaluation
(stderr) and a final JSON summary (stdout, and to --out). About 0.3 s of CPU a step on one thread of the project's
2-core VM; glibc's malloc gives the [6384, 1024] activations back to the kernel every step unless told to keep them
(MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=4294967296 MALLOC_TOP_PAD_=268435456, ~1.5x faster).
"""
import argparse
import json
import math
import os
import pickle
import random
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

P, N_CTX, D_VOCAB = 113, 3, 114


class Embed(nn.Module):
    def __init__(self, d_vocab, d_model):
        super().__init__()
        self.W_E = nn.Parameter(torch.randn(d_model, d_vocab) / math.sqrt(d_model))

    def forward(self, x):
        return torch.einsum("dbp -> bpd", self.W_E[:, x])


class Unembed(nn.Module):
    def __init__(self, d_vocab, d_model):
        super().__init__()
        self.W_U = nn.Parameter(torch.randn(d_model, d_vocab) / math.sqrt(d_vocab))

    def forward(self, x):
        return x @ self.W_U


class PosEmbed(nn.Module):
    def __init__(self, max_ctx, d_model):
        super().__init__()
        self.W_pos = nn.Parameter(torch.randn(max_ctx, d_model) / math.sqrt(d_model))

    def forward(self, x):
        return x + self.W_pos[: x.shape[-2]]


class Attention(nn.Module):
    def __init__(self, d_model, num_heads, d_head, n_ctx):
        super().__init__()
        self.W_K = nn.Parameter(torch.randn(num_heads, d_head, d_model) / math.sqrt(d_model))
        self.W_Q = nn.Parameter(torch.randn(num_heads, d_head, d_model) / math.sqrt(d_model))
        self.W_V = nn.Parameter(torch.randn(num_heads, d_head, d_model) / math.sqrt(d_model))
        self.W_O = nn.Parameter(torch.randn(d_model, d_head * num_heads) / math.sqrt(d_model))
        self.register_buffer("mask", torch.tril(torch.ones((n_ctx, n_ctx))))
        self.d_head = d_head

    def forward(self, x):
        k = torch.einsum("ihd,bpd->biph", self.W_K, x)
        q = torch.einsum("ihd,bpd->biph", self.W_Q, x)
        v = torch.einsum("ihd,bpd->biph", self.W_V, x)
        scores = torch.einsum("biph,biqh->biqp", k, q)
        masked = torch.tril(scores) - 1e10 * (1 - self.mask[: x.shape[-2], : x.shape[-2]])
        attn = F.softmax(masked / math.sqrt(self.d_head), dim=-1)
        z = torch.einsum("biph,biqp->biqh", v, attn)
        b, i, q_, h = z.shape
        z_flat = z.permute(0, 2, 1, 3).reshape(b, q_, i * h)  # einops 'b i q h -> b q (i h)'
        return torch.einsum("df,bqf->bqd", self.W_O, z_flat)


class MLP(nn.Module):
    def __init__(self, d_model, d_mlp):
        super().__init__()
        self.W_in = nn.Parameter(torch.randn(d_mlp, d_model) / math.sqrt(d_model))
        self.b_in = nn.Parameter(torch.zeros(d_mlp))
        self.W_out = nn.Parameter(torch.randn(d_model, d_mlp) / math.sqrt(d_model))
        self.b_out = nn.Parameter(torch.zeros(d_model))

    def forward(self, x):
        x = F.relu(torch.einsum("md,bpd->bpm", self.W_in, x) + self.b_in)
        return torch.einsum("dm,bpm->bpd", self.W_out, x) + self.b_out


class Block(nn.Module):
    def __init__(self, d_model, num_heads, d_mlp):
        super().__init__()
        self.attn = Attention(d_model, num_heads, d_model // num_heads, N_CTX)
        self.mlp = MLP(d_model, d_mlp)

    def forward(self, x):
        x = x + self.attn(x)
        return x + self.mlp(x)


class Transformer(nn.Module):
    """The challenge's sizes by default: d_model 128, 8 heads of 16, d_mlp 8 * 128."""

    def __init__(self, d_model=128, num_heads=8, d_mlp=8 * 128):
        super().__init__()
        self.d_model, self.num_heads, self.d_head = d_model, num_heads, d_model // num_heads
        self.embed = Embed(D_VOCAB, d_model)
        self.pos_embed = PosEmbed(N_CTX, d_model)
        self.blocks = nn.ModuleList([Block(d_model, num_heads, d_mlp)])
        self.unembed = Unembed(D_VOCAB, d_model)

    def forward(self, x):
        x = self.pos_embed(self.embed(x))
        for block in self.blocks:
            x = block(x)
        return self.unembed(x)

    def last_logits(self, tokens):
        """The same function's last position only, as plain matrix products (the literal einsums over all positions
        run ~20x slower on this CPU; positions 0 and 1 do not reach the last one's output in one layer)."""
        a, m = self.blocks[0].attn, self.blocks[0].mlp
        resid = self.embed.W_E.T[tokens] + self.pos_embed.W_pos  # [b, p, d]
        (b, n), d, i, h = tokens.shape, self.d_model, self.num_heads, self.d_head
        k = (resid @ a.W_K.reshape(-1, d).T).view(b, n, i, h)
        v = (resid @ a.W_V.reshape(-1, d).T).view(b, n, i, h)
        q = (resid[:, -1] @ a.W_Q.reshape(-1, d).T).view(b, 1, i, h)
        attn = F.softmax((k * q).sum(-1) / math.sqrt(h), dim=1)  # [b, p, i]: the last query sees every position
        z = (attn[..., None] * v).sum(1).reshape(b, i * h)
        mid = resid[:, -1] + z @ a.W_O.T
        post = mid + F.relu(mid @ m.W_in.T + m.b_in) @ m.W_out.T + m.b_out
        return post @ self.unembed.W_U


def cross_entropy_high_precision(logits, labels):
    logprobs = F.log_softmax(logits.to(torch.float64), dim=-1)
    return -torch.mean(torch.gather(logprobs, index=labels[:, None], dim=-1))


def gen_train_test(frac_train, seed=0, max_pairs=None):
    """Nanda's split; max_pairs keeps the first that many pairs of the shuffled order (as Interp's MaxPairs)."""
    pairs = [(i, j, P) for i in range(P) for j in range(P)]
    random.seed(seed)
    random.shuffle(pairs)
    pairs = pairs[:max_pairs]
    div = int(frac_train * len(pairs))
    return pairs[:div], pairs[div:]


def transformer_lens_state(model):
    """The weights in HookedTransformer's names and layouts (the conversion the challenge's solvers used)."""
    a, m = model.blocks[0].attn, model.blocks[0].mlp
    return {
        "embed.W_E": model.embed.W_E.T,
        "pos_embed.W_pos": model.pos_embed.W_pos,
        "blocks.0.attn.W_Q": a.W_Q.transpose(1, 2),
        "blocks.0.attn.W_K": a.W_K.transpose(1, 2),
        "blocks.0.attn.W_V": a.W_V.transpose(1, 2),
        "blocks.0.attn.W_O": a.W_O.T.reshape(model.num_heads, model.d_head, model.d_model),
        "blocks.0.mlp.W_in": m.W_in.T,
        "blocks.0.mlp.b_in": m.b_in,
        "blocks.0.mlp.W_out": m.W_out.T,
        "blocks.0.mlp.b_out": m.b_out,
        "unembed.W_U": model.unembed.W_U,
    }


def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name in sorted(tensors):
        data = tensors[name].detach().contiguous().to(torch.float32).numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
    os.replace(path + ".tmp", path)


def accuracy(logits, labels):
    """The challenge's reading: label 1 where logit[1] > logit[0]."""
    return ((logits[:, 1] > logits[:, 0]).long() == labels).double().mean().item()


def parse_args(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=0, help="torch.manual_seed before the model is built")
    ap.add_argument("--epochs", type=int, default=5000)
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--save-init", help="write the initial weights (TransformerLens names) as safetensors here")
    ap.add_argument("--losses", type=int, default=0, help="record the train loss before each of the first N steps")
    ap.add_argument("--out", help="also write the final JSON summary here")
    ap.add_argument("--d-model", type=int, default=128)
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--d-mlp", type=int, default=8 * 128)
    ap.add_argument("--max-pairs", type=int, help="train and test on the first N pairs of the split's order only")
    ap.add_argument("--literal", action="store_true", help="run Nanda's forward over all positions (slow) instead of last_logits")
    ap.add_argument("--data", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../shared/data"))
    return ap.parse_args(argv)


def run(args):
    """Trains as the arguments say; returns the summary (and prints each evaluation on stderr)."""
    torch.set_num_threads(args.threads)

    with open(os.path.join(args.data, "eis7", "transformer_label_info.pkl"), "rb") as f:
        info = pickle.load(f)
    truth, theirs = info["labels"], info["model_labels"]
    train, test = gen_train_test(0.5, 0, args.max_pairs)
    train_x, test_x = torch.tensor(train), torch.tensor(test)
    label = lambda data, grid: torch.tensor([int(grid[i][j]) for i, j, _ in data])
    train_y, test_y = label(train, truth), label(test, truth)
    theirs_test = (label(test, theirs) == test_y).double().mean().item()
    theirs_train = (label(train, theirs) == train_y).double().mean().item()
    all_x = torch.tensor([(i, j, P) for i in range(P) for j in range(P)][: args.max_pairs])
    theirs_all = label(all_x.tolist(), theirs)

    torch.manual_seed(args.seed)
    model = Transformer(args.d_model, args.heads, args.d_mlp)
    if args.save_init:
        write_safetensors(args.save_init, transformer_lens_state(model),
                          {"seed": str(args.seed), "torch": torch.__version__, "source": "bench/peers/eis7_grokking.py"})
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-4, weight_decay=1.0, betas=(0.9, 0.98))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(step / 10, 1))

    forward = (lambda x: model(x)[:, -1]) if args.literal else model.last_logits

    def evaluate(epoch):
        with torch.no_grad():
            tr, te = forward(train_x), forward(test_x)
            return {"epoch": epoch, "train_loss": cross_entropy_high_precision(tr, train_y).item(), "train_acc": accuracy(tr, train_y),
                    "test_loss": cross_entropy_high_precision(te, test_y).item(), "test_acc": accuracy(te, test_y),
                    "agree_challenge": accuracy(forward(all_x), theirs_all)}

    losses, curve, start = [], [], time.time()
    for epoch in range(args.epochs):
        train_loss = cross_entropy_high_precision(forward(train_x), train_y)
        if epoch < args.losses:
            losses.append(repr(train_loss.item()))
        train_loss.backward()
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        if (epoch + 1) % args.eval_every == 0 or epoch + 1 == args.epochs:
            e = evaluate(epoch + 1)
            e["seconds"] = round(time.time() - start, 1)
            curve.append(e)
            print(json.dumps(e), file=sys.stderr, flush=True)
    if args.losses:
        losses.append(repr(evaluate(args.epochs)["train_loss"]))
    summary = {"seed": args.seed, "epochs": args.epochs, "literal": args.literal, "d_model": args.d_model, "heads": args.heads,
               "d_mlp": args.d_mlp, "max_pairs": args.max_pairs, "torch": torch.__version__, "threads": args.threads,
               "challenge_model": {"test_acc": theirs_test, "train_acc": theirs_train}, "final": curve[-1] if curve else None, "curve": curve}
    if args.losses:
        summary["train_losses"] = losses
    return summary


def main():
    args = parse_args()
    text = json.dumps(run(args))
    print(text)
    if args.out:
        with open(args.out + ".tmp", "w") as f:
            f.write(text + "\n")
        os.replace(args.out + ".tmp", args.out)


if __name__ == "__main__":
    main()
