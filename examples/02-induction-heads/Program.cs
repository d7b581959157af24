// Walkthrough 2: find induction heads from attention patterns on repeated random tokens, then test what they key on.
// On [BOS] + L random tokens + the same L again, a token of the second copy is predictable: find its earlier
// occurrence and copy the token that came next. An induction head at query q attends to key q - L + 1 (the token after
// the earlier copy); a previous-token head attends to q - 1. We read both scores off the cached patterns.
using Interp;
using Interp.Analysis.Plot;
using Interp.Data.Tasks;
using Interp.Analysis.Walkthroughs;

string outDir = args.Length > 1 ? args[1] : ".";
var model = WalkthroughInputs.InductionModel(args.Length > 0 ? args[0] : null);   // report/model, or a small one trained here
int trainedL = (model.Config.NCtx - 1) / 2;

// [layer, head] -> (induction, previous-token) score on repeated sequences of length L
(double Induction, double Prev)[,] Scores(int L, out Tensor[] firstPatterns)
{
    var tokens = new RepeatedTokens(model.Config.DVocab, L, bos: 0, seed: 7).Batch(32);   // [32, 2L + 1]
    var (_, cache) = model.RunWithCache(tokens, name => name.EndsWith("hook_pattern"));
    var s = new (double, double)[model.Config.NLayers, model.Config.NHeads];
    for (int layer = 0; layer < model.Config.NLayers; layer++)
        for (int h = 0; h < model.Config.NHeads; h++)
        {
            var p = cache.Pattern(layer).Select(1, h);                                   // [batch, query, key]
            // diagonal(offset -k) holds pattern[q, q - k]; the second copy's queries are L + 1 .. 2L
            s[layer, h] = (p.Diagonal(-(L - 1), 1, 2).Narrow(-1, 2, L).Mean().Item(), p.Diagonal(-1, 1, 2).Mean().Item());
        }
    firstPatterns = [.. Enumerable.Range(0, model.Config.NLayers).Select(l => cache.Pattern(l)[0])];   // [head, q, k]
    return s;
}

var atTrained = Scores(trainedL, out var patterns);
var atShorter = Scores(trainedL / 2 + 1, out _);
var heads = from l in Enumerable.Range(0, model.Config.NLayers) from h in Enumerable.Range(0, model.Config.NHeads) select (l, h);
Console.WriteLine($"head   induction@L={trainedL}  induction@L={trainedL / 2 + 1}  prev-token");
foreach (var (l, h) in heads.OrderByDescending(x => atTrained[x.l, x.h].Induction))
    Console.WriteLine($"L{l}H{h}  {atTrained[l, h].Induction,16:F3} {atShorter[l, h].Induction,16:F3} {atTrained[l, h].Prev,11:F3}");

var (bl, bh) = heads.MaxBy(x => atTrained[x.l, x.h].Induction);
var (pl, ph) = heads.MaxBy(x => atTrained[x.l, x.h].Prev);
// a token-based induction head keeps its stripe at any repeat length; one that only counts back a fixed number of
// positions (a shortcut when training always repeats after exactly L tokens) loses it at another length
Console.WriteLine($"induction head: L{bl}H{bh} ({atTrained[bl, bh].Induction:F3} at L = {trainedL}, {atShorter[bl, bh].Induction:F3} at L = {trainedL / 2 + 1}); previous-token head: L{pl}H{ph} ({atTrained[pl, ph].Prev:F3})");

string svg = Path.Combine(outDir, "induction-pattern.svg");   // the stripe L - 1 below the diagonal; hover a cell for its weight
new HeatmapFigure($"L{bl}H{bh} attention on one repeated sequence", patterns[bl][bh]) { Rows = Axis.Numbered("query position", 2 * trainedL + 1),
    Columns = Axis.Numbered("key position", 2 * trainedL + 1), Scale = ColorScale.Sequential(0, 1), ValueLabel = "attention" }.Save(svg);
Console.WriteLine($"wrote {svg}");
