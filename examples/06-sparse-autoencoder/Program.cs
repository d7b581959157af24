// Walkthrough 6: a sparse autoencoder on the residual stream after layer 0, and what its most frequent features fire on.
// An SAE rewrites each activation x (d_model numbers) as a sparse, non-negative combination of many more directions:
//     f = ReLU((x − b_dec) W_enc + b_enc),   x̂ = f W_dec + b_dec,   loss = ‖x − x̂‖² + l1 · Σ_i f_i ‖W_dec[i]‖
// The L1 term keeps few features on per token (L0); the squared error keeps x̂ close to x (explained variance).
using Interp.Analysis.Sae;
using Interp.Data.Tasks;
using Interp.Training;
using Interp.Analysis.Walkthroughs;

string outDir = args.Length > 1 ? args[1] : "sae";
int steps = args.Length > 2 ? int.Parse(args[2]) : 1000, rows = args.Length > 3 ? int.Parse(args[3]) : 1024;
ulong seed = args.Length > 4 ? ulong.Parse(args[4]) : 0;
const string hook = "blocks.0.hook_resid_post";
var model = WalkthroughInputs.InductionModel(args.Length > 0 ? args[0] : null);   // report/model, or a small one trained here
model.Eval();

// the induction task's sequences, [BOS] + L random tokens + the same L again; position 0 (BOS) is left out everywhere
int L = (model.Config.NCtx - 1) / 2;
var train = new RepeatedTokens(model.Config.DVocab, L, bos: 0, seed: seed);
var store = new ActivationStore(model, hook, () => train.Batch(32), rows, 16 * rows, seed, firstPosition: 1);
var sae = new SparseAutoencoder(new SaeConfig { DIn = store.DIn, DSae = 8 * store.DIn, HookName = hook, L1Coefficient = 0.5, Seed = seed });
var options = new SaeTrainingOptions(Steps: steps, LearningRate: 3e-3, InitRows: 8 * rows, ResampleEvery: Math.Max(steps / 4, 1), ResampleRows: 8 * rows);
var progress = new Progress();
new SaeTrainer(sae, store.NextBatch, store.Collect, options, seed).Run(progress.Report, progress.Note);
progress.Finish();
sae.Save(outDir);

// evaluate on 16 fresh batches of 32 sequences from their own stream (seed + 1)
var held = new RepeatedTokens(model.Config.DVocab, L, bos: 0, seed: seed + 1);
var evalTokens = Enumerable.Range(0, 16).Select(_ => held.Batch(32)).ToList();
var metrics = SaeMetrics.Compute(sae, evalTokens.Select(t => ActivationStore.Rows(model, hook, t, firstPosition: 1)));
// next-token loss with x̂ spliced in for x, against the clean model and the hook zero-ablated (1 = as good as clean)
var ce = CeLossRecovered.Compute(model, sae, hook, evalTokens, firstPosition: 1);
Console.WriteLine($"SAE {sae.DIn} -> {sae.DSae} on {hook}, {steps} steps of {rows} rows; saved to {outDir}");
Console.WriteLine($"L0 {metrics.L0:F4}  explained variance {metrics.ExplainedVariance:F4}  dead {metrics.DeadFraction:P1}  over {metrics.Rows} rows");
Console.WriteLine($"CE loss: clean {ce.Clean:F3}, SAE spliced {ce.Spliced:F3}, zero-ablated {ce.ZeroAblation:F3}; recovered {ce.Recovered:F3}");

// the 5 features that fire on the most tokens, each with the contexts where it fires hardest ([x] = the token it fires on)
var examples = FeatureAnalysis.TopActivatingExamples(model, sae, hook, evalTokens, topN: 3, contextBefore: 6, firstPosition: 1);
foreach (int j in Enumerable.Range(0, sae.DSae).OrderByDescending(j => metrics.FeatureDensity[j]).Take(5))
{
    Console.WriteLine($"feature {j}: density {metrics.FeatureDensity[j]:F4} (share of tokens it fires on); top contexts:");
    foreach (var e in examples[j])
        Console.WriteLine($"    {e.Activation,7:F3}  pos {e.Position,2}  {string.Join(' ', e.Context[..^1])} [{e.Context[^1]}]");
}
return 0;
