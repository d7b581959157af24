// Walkthrough 9: load GPT-2 small from Hugging Face's files and look inside with RunWithCache.
// Point it at a real checkpoint folder's model.safetensors (with its config.json); without one it writes a randomly
// initialised GPT-2 small (498 MB) once, so everything below runs, but a random model predicts nothing sensible.
using Interp;
using Interp.Analysis.Heads;
using Interp.Autograd;
using Interp.IO;
using Interp.Tokenizer;
using Interp.Transformers;

string path = args.Length > 0 ? args[0] : Path.Combine(Path.GetTempPath(), "interp-bench-gpt2-small", "model.safetensors");
if (args.Length > 0 && !File.Exists(path))
{
    Console.Error.WriteLine($"no checkpoint at {path}: give a GPT-2 model.safetensors (config.json beside it), or no argument for a random one");
    return 2;
}
if (!File.Exists(path)) Gpt2Weights.WriteRandom(path, Gpt2Config.Small);   // 498 MB, once
var model = Pretrained.LoadGpt2(path);                        // weights read straight into place, unembedding tied
var cfg = model.Config;
Console.WriteLine($"{cfg.NLayers} layers, d_model {cfg.DModel}, {cfg.NHeads} heads, vocabulary {cfg.DVocab}");

var tok = Gpt2Tokenizer.Instance;
string prompt = "When Mary and John went to the store, John gave a drink to";
int[] ids = tok.ToTokens(prompt, prependBos: true);
var tokens = Tensor.FromArray(ids, [1, ids.Length]);

using var noGrad = GradMode.NoGrad();
var (logits, cache) = model.RunWithCache(tokens, n => n.EndsWith("hook_resid_post") || n.EndsWith("hook_pattern"));
Console.WriteLine($"cached {cache.Count} activations, {cache.Bytes / 1e6:F1} MB");

// Logit lens: what each layer's residual stream would predict next, read through ln_final and the unembedding.
var unembed = model.Embed.W_E.MT;                            // tied: W_U = W_Eᵀ
for (int l = 0; l < cfg.NLayers; l++)
{
    var last = cache.ResidPost(l).Narrow(1, ids.Length - 1, 1);
    int top = (int)model.LnFinal!.Forward(last).MatMul(unembed).Reshape(-1).ArgMax(0).Item();
    Console.WriteLine($"layer {l,2}: predicts '{tok.ToString([top])}'");
}
int next = (int)logits.Narrow(1, ids.Length - 1, 1).Reshape(-1).ArgMax(0).Item();
Console.WriteLine($"model's next token: '{tok.ToString([next])}'");

// The most previous-token-like head of each layer.
for (int l = 0; l < cfg.NLayers; l++)
{
    var scores = HeadScores.PreviousToken(cache.Pattern(l)).ToDoubleArray();
    int h = Array.IndexOf(scores, scores.Max());
    Console.WriteLine($"layer {l,2}: previous-token head L{l}H{h} ({scores[h]:F2})");
}
return 0;
