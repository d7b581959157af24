// Walkthrough 5: attribution patching, the linear estimate of activation patching, checked against the real thing.
// Activation patching runs the corrupted prompt once per component, each time restoring that one component's clean
// activation, and records how much of the clean behaviour comes back. Attribution patching estimates all of them at
// once from one forward and backward pass on the corrupted prompt and one forward pass on the clean one:
//     metric(patched) ≈ metric(corrupted) + (a_clean − a_corrupted) · ∂metric/∂a
using Interp.Analysis.Patching;
using Interp.Analysis.Walkthroughs;

string outDir = args.Length > 1 ? args[1] : ".";
int prompts = args.Length > 2 ? int.Parse(args[2]) : 8;
ulong seed = args.Length > 3 ? ulong.Parse(args[3]) : 0;
var model = WalkthroughInputs.InductionModel(args.Length > 0 ? args[0] : null);   // report/model, or a small one trained here
model.Eval();

// clean: [BOS] r + r cut before its last token (answer: r's last token); corrupted: another first half s (wrong: s's last)
var (clean, corrupted, answers, wrong) = InductionPrompts.Make(model.Config.DVocab, model.Config.NCtx / 2, prompts, seed: seed);
var (cleanLd, corruptedLd) = ActivationPatching.Baselines(model, clean, corrupted, PatchMetrics.LogitDiff(answers, wrong));
Console.WriteLine($"{prompts} prompts of {clean.Size(1)} tokens; logit difference clean {cleanLd:F3}, corrupted {corruptedLd:F3}");
// 0 = the corrupted run's logit difference, 1 = the clean run's
var metric = PatchMetrics.NormalizedLogitDiff(answers, wrong, cleanLd, corruptedLd);

var attribution = AttributionPatching.Run(model, clean, corrupted, metric);           // denoising: clean into corrupted
var headsAct = ActivationPatching.HeadsAllPositions(model, clean, corrupted, metric);  // [layer, head], one run per head
var headsAttr = attribution.HeadsAllPositions;
double[] act = headsAct.ToDoubleArray(), attr = headsAttr.ToDoubleArray();
Console.WriteLine("head   activation  attribution   (hook_z restored at every position)");
for (int i = 0; i < act.Length; i++)
    Console.WriteLine($"L{i / model.Config.NHeads}H{i % model.Config.NHeads}  {act[i],10:F4}  {attr[i],11:F4}");

// with only a few heads, their correlation says little: compare each head at each position, and the residual stream
// at each (layer, position), where the linear estimate is worst (a patch there moves the metric a lot)
var byPosAct = ActivationPatching.HeadsByPosition(model, clean, corrupted, metric);   // [layer, head, pos]
var residAct = ActivationPatching.ResidPreByPosition(model, clean, corrupted, metric); // [layer, pos]
double rHeads = PatchStats.Correlation(headsAttr, headsAct), rByPos = PatchStats.Correlation(attribution.HeadsByPosition, byPosAct);
double rResid = PatchStats.Correlation(attribution.ResidPreByPosition, residAct);
Console.WriteLine($"correlation of attribution with activation patching: heads r = {rHeads:F3} ({headsAct.Numel} patches)");
Console.WriteLine($"heads by position r = {rByPos:F3} ({byPosAct.Numel} patches); resid_pre r = {rResid:F3} ({residAct.Numel} patches, " +
                  $"max |difference| {PatchStats.MaxAbsDifference(attribution.ResidPreByPosition, residAct):F3})");

string svg = Path.Combine(outDir, "heads-by-position-attribution-vs-activation.svg");
PatchPlots.SaveScatter(svg, byPosAct, attribution.HeadsByPosition, $"heads by position: r = {rByPos:F3}", "activation patching", "attribution patching");
Console.WriteLine($"wrote {svg}");
return 0;
