// Walkthrough 2: find induction heads from attention patterns on repeated random tokens.
// On [BOS] + L random tokens + the same L again, a token in the second copy can be predicted by finding its earlier
// occurrence and copying the token that came next. An induction head at query position q attends to key q - L + 1
// (the token after the earlier copy); a previous-token head attends to q - 1. We read both off the patterns.
using Interp;
using Interp.Data.Tasks;
using Interp.Plots;
using Interp.Transformers;

string dir = args.Length > 0 ? args[0] : "runs/induction", outDir = args.Length > 1 ? args[1] : ".";
var model = HookedTransformer.Load(dir);
int L = (model.Config.NCtx - 1) / 2;
var tokens = new RepeatedTokens(model.Config.DVocab, L, bos: 0, seed: 7).Batch(32);   // [32, 2L + 1]
var (_, cache) = model.RunWithCache(tokens, name => name.EndsWith("hook_pattern"));

var heads = new List<(string Name, double Induction, double PrevToken)>();
for (int layer = 0; layer < model.Config.NLayers; layer++)
{
    var pattern = cache.Pattern(layer);                                  // [batch, head, query, key]
    for (int h = 0; h < model.Config.NHeads; h++)
    {
        var p = pattern.Select(1, h);                                    // [batch, query, key]
        // diagonal(offset -k) holds pattern[q, q - k]; queries of the second copy are L + 1 .. 2L
        double induction = p.Diagonal(-(L - 1), 1, 2).Narrow(-1, 2, L).Mean().Item();
        double prevToken = p.Diagonal(-1, 1, 2).Mean().Item();
        heads.Add(($"L{layer}H{h}", induction, prevToken));
    }
}

Console.WriteLine("head   induction  prev-token");
foreach (var (name, ind, prev) in heads.OrderByDescending(x => x.Induction))
    Console.WriteLine($"{name,-6} {ind,9:F3} {prev,11:F3}");
var best = heads.MaxBy(x => x.Induction);
var prevHead = heads.MaxBy(x => x.PrevToken);
Console.WriteLine($"induction head: {best.Name} ({best.Induction:F3}); previous-token head: {prevHead.Name} ({prevHead.PrevToken:F3})");

// the best induction head's pattern on the first sequence: a stripe L - 1 below the diagonal in the second half
int bl = best.Name[1] - '0', bh = int.Parse(best.Name[3..]);
string png = Path.Combine(outDir, "induction-pattern.png");
Heatmap.Save(png, cache.Pattern(bl)[0, bh], new HeatmapOptions(CellSize: 8));
Console.WriteLine($"wrote {png}");
