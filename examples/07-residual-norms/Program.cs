// Walkthrough 7: how the residual stream grows with depth.
// Every block adds its attention and MLP outputs to the residual stream, so its norm tends to grow layer by layer;
// in GPT-2 the growth is close to exponential (a constant factor per layer). We cache the stream entering each block
// (hook_resid_pre 0..n-1) and leaving the last (hook_resid_post n-1), take the mean L2 norm over batch and positions
// (position 0, BOS, left out: its norm is usually far larger), fit norm ≈ A·G^layer by least squares on ln(norm), and
// plot both next to the size of what each layer writes (‖W_V W_O‖ per head, ‖W_out‖ per MLP).
using Interp.Analysis.Residual;
using Interp.Data.Tasks;
using Interp.Analysis.Walkthroughs;

string outDir = args.Length > 1 ? args[1] : ".";
int batch = args.Length > 2 ? int.Parse(args[2]) : 32;
var model = WalkthroughInputs.InductionModel(args.Length > 0 ? args[0] : null);   // report/model, or a small one trained here
var cfg = model.Config;

// [BOS] + L random tokens + the same L again, the task the induction model was trained on
var tokens = new RepeatedTokens(cfg.DVocab, (cfg.NCtx - 1) / 2, bos: 0, seed: 7).Batch(batch);
var norms = ResidualNorms.Measure(model, tokens, excludeBos: true, modelName: "induction model");
var fit = norms.Fit;

Console.WriteLine($"{cfg.NLayers} layers, {batch} sequences of {tokens.Size(1)} tokens, position 0 excluded");
Console.WriteLine($"layer  {"stream",-24} {"mean norm",9}  {"fit A·G^layer",12}");
for (int l = 0; l < norms.ResidNorm.Count; l++)
{
    string where = l < cfg.NLayers ? $"blocks.{l}.hook_resid_pre" : $"blocks.{l - 1}.hook_resid_post";
    Console.WriteLine($"{l,5}  {where,-24} {norms.ResidNorm[l],9:F6}  {fit.At(l),12:F6}");
}
// G is the growth factor per layer; R² measures the fit on ln(norm), 1 when the points lie exactly on it
Console.WriteLine($"fit: A = {fit.A:G8}, G = {fit.G:G8}, R² = {fit.R2:F6}");
Console.WriteLine(ResidualNormsReport.Summary(norms));

string svg = Path.Combine(outDir, "residual-norms.svg");
ResidualNormsReport.Plot(norms).Save(svg);
Console.WriteLine($"wrote {svg}");
return 0;
