// Walkthrough 4: activation patching on the docstring task, both ways. A small attention-only transformer learns to
// predict the next ":param" name of a Python docstring, which it can only read off the def's parameter list. The
// corrupted prompt has other names in the def, so the corrupted run predicts its own last def name instead. Per head
// we patch hook_z at all positions: denoising (clean into corrupted: which heads suffice to restore the answer?) and
// noising (corrupted into clean: which heads is the answer lost without?). Metric: the logit difference between
// the correct and the corrupted answer at the last position, normalized so corrupted = 0 and clean = 1.
using Interp;
using Interp.Analysis.Patching;
using Interp.Autograd;
using Interp.Optim;
using Interp.Data.Tasks;
using Interp.Transformers;

int steps = args.Length > 0 ? int.Parse(args[0]) : 400, layers = args.Length > 1 ? int.Parse(args[1]) : 2;
string outDir = args.Length > 2 ? args[2] : "runs/docstring";
Directory.CreateDirectory(outDir);
var task = new DocstringTask(parameters: 3, descriptionLength: 1, seed: 1);
var model = new HookedTransformer(new TransformerConfig
{
    NLayers = layers, DModel = 64, NHeads = 4, DHead = 16, DMlp = 0, DVocab = task.VocabSize, NCtx = task.PromptLength, Seed = 1,
});
int last = task.PromptLength - 1;
Tensor AnswerLogits(Tensor tokens) => model.Forward(tokens).Select(1, last);   // [batch, vocab] at the final ":param"

// train on clean prompts only, the loss is on the answer alone
var optimizer = new AdamW(model.Parameters(), 3e-3);
for (int step = 1; step <= steps; step++)
{
    var (tokens, _, answers) = task.Batch(64);
    var loss = AnswerLogits(tokens).CrossEntropy(answers);
    optimizer.ZeroGrad();
    loss.Backward();
    optimizer.Step();
    if (step % 100 == 0 || step == steps) Console.WriteLine($"step {step}: loss {loss.Item():F3}");
}
model.Eval();

var (clean, corrupted, correct) = task.Batch(64);   // held out: the stream never repeats a batch
var wrong = corrupted.Select(1, task.DefParameterPositions[^1]).Contiguous();   // the corrupted def's last name
using (GradMode.NoGrad())
{
    var predicted = AnswerLogits(clean).ArgMax(-1).ToIntArray();
    double accuracy = predicted.Zip(correct.ToIntArray()).Count(p => p.First == p.Second) / (double)predicted.Length;
    Console.WriteLine($"accuracy on the next param name: {accuracy:F3} (chance among the {DocstringTask.ParameterNames.Length} names {1.0 / DocstringTask.ParameterNames.Length:F3}, among the def's {task.Parameters} names {1.0 / task.Parameters:F3})");
}

var metric = PatchMetrics.NormalizedLogitDiff(model, clean, corrupted, correct, wrong, position: last);
// a sanity check: patching the whole residual stream at layer 0 replays the source run, so it scores exactly 1 / 0
foreach (var direction in new[] { PatchDirection.Denoising, PatchDirection.Noising })
{
    double all = ActivationPatching.Patch(model, clean, corrupted, metric, ["blocks.0.hook_resid_pre"], direction);
    var heads = ActivationPatching.HeadsAllPositions(model, clean, corrupted, metric, direction);   // [layer, head]
    var v = heads.ToDoubleArray();
    string name = direction.ToString().ToLowerInvariant();
    Console.WriteLine($"{name}: patching resid_pre at layer 0 everywhere: {all:F4}; per head [layer, head]:");
    for (int l = 0; l < layers; l++)
        Console.WriteLine($"  L{l} " + string.Join(" ", Enumerable.Range(0, model.Config.NHeads).Select(h => $"{v[l * model.Config.NHeads + h],7:F3}")));
    string png = Path.Combine(outDir, $"{name}_heads.png");
    PatchPlots.SaveHeatmap(png, heads, centre: direction == PatchDirection.Denoising ? 0 : 1, cellSize: 24);
    Console.WriteLine($"wrote {png}");
}
return 0;
