// Walkthrough 1: a transformer's forward pass written out from its raw weights, checked against the library.
// The model is the 2-layer attention-only induction model the main job writes to report/model (LayerNorm, shortformer
// positions: the positional embedding is added to the queries' and keys' input only, after ln1).
using Interp;
using Interp.Analysis.Walkthroughs;

var model = WalkthroughInputs.InductionModel(args.Length > 0 ? args[0] : null);   // without one: trains a small one in seconds
var cfg = model.Config;
var w = model.StateDict();                                   // TransformerLens names: embed.W_E, blocks.0.attn.W_Q, ...
var tokens = Tensor.RandInt(1, cfg.DVocab, [4, cfg.NCtx], new Generator(1));
int n = tokens.Size(1);

// LayerNorm: centre, divide by the root mean square, scale and shift
Tensor LayerNorm(Tensor x, string name)
{
    var centred = x - x.Mean(-1, keepDim: true);
    var scale = (centred.Square().Mean(-1, keepDim: true) + cfg.Eps).Sqrt();
    return centred / scale * w[name + ".w"] + w[name + ".b"];
}

var resid = w["embed.W_E"].Embedding(tokens);                // [batch, pos, d_model]
var pos = w["pos_embed.W_pos"].Narrow(0, 0, n);              // [pos, d_model], broadcast over the batch
var future = Tensor.FromArray(Enumerable.Range(0, n * n).Select(i => i % n > i / n ? 1 : 0).ToArray(), [n, n]);

for (int l = 0; l < cfg.NLayers; l++)
{
    string b = $"blocks.{l}.";
    var x = LayerNorm(resid, b + "ln1");
    var qk = x + pos;
    var q = Tensor.Einsum("bpm,hmd->bphd", qk, w[b + "attn.W_Q"]) + w[b + "attn.b_Q"];
    var k = Tensor.Einsum("bpm,hmd->bphd", qk, w[b + "attn.W_K"]) + w[b + "attn.b_K"];
    var v = Tensor.Einsum("bpm,hmd->bphd", x, w[b + "attn.W_V"]) + w[b + "attn.b_V"];
    var scores = Tensor.Einsum("bqhd,bkhd->bhqk", q, k) / Math.Sqrt(cfg.DHead);
    var pattern = scores.MaskedFill(future, double.NegativeInfinity).Softmax(-1);   // no looking ahead
    var z = Tensor.Einsum("bhqk,bkhd->bqhd", pattern, v);
    resid = resid + Tensor.Einsum("bqhd,hdm->bqm", z, w[b + "attn.W_O"]) + w[b + "attn.b_O"];
}

var logits = LayerNorm(resid, "ln_final").MatMul(w["unembed.W_U"]) + w["unembed.b_U"];
var expected = model.Forward(tokens);
double maxDiff = (logits - expected).Abs().Max().Item();
Console.WriteLine($"logits [{string.Join(", ", logits.Shape)}] from raw weights; max |difference| from model.Forward: {maxDiff:E2}");
return maxDiff < 1e-4 ? 0 : 1;
