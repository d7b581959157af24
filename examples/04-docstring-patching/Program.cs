// Walkthrough 4: activation patching on the docstring task, both ways. A small attention-only transformer learns to
// predict the next ":param" name of a Python docstring, which it can only read off the def's parameter list; the
// corrupted prompt has other names in the def, so the corrupted run predicts its own last def name instead. Per head
// we patch hook_z at all positions: denoising (clean into corrupted: which heads suffice to restore the answer?) and
// noising (corrupted into clean: which heads is the answer lost without?).
using Interp;
using Interp.Analysis.Patching;
using Interp.Data.Tasks;
using Interp.Optim;
using Interp.Transformers;

int steps = args.Length > 0 ? int.Parse(args[0]) : 400, layers = args.Length > 1 ? int.Parse(args[1]) : 2;
string outDir = args.Length > 2 ? args[2] : "runs/docstring";
var task = new DocstringTask(parameters: 3, descriptionLength: 1, seed: 1);
var model = new HookedTransformer(new TransformerConfig   // attention-only (DMlp = 0)
    { NLayers = layers, DModel = 64, NHeads = 4, DHead = 16, DMlp = 0, DVocab = task.VocabSize, NCtx = task.PromptLength, Seed = 1 });
Tensor AnswerLogits(Tensor tokens) => model.Forward(tokens)[.., ^1];   // [batch, vocab] at the final ":param"

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

var (clean, corrupted, correct) = task.Batch(64);   // held out: the stream never repeats a batch
var wrong = corrupted.Select(1, task.DefParameterPositions[^1]).Contiguous();   // the corrupted def's last name
double accuracy = AnswerLogits(clean).ArgMax(-1).Eq(correct).To(DType.Float64).Mean().Item();
int names = DocstringTask.ParameterNames.Length;
Console.WriteLine($"accuracy on the next param name: {accuracy:F3} (chance among the {names} names {1.0 / names:F3}, among the def's {task.Parameters} names {1.0 / task.Parameters:F3})");

// the metric: correct minus corrupted answer's logit at the last position, normalized so corrupted = 0 and clean = 1
var metric = PatchMetrics.NormalizedLogitDiff(model, clean, corrupted, correct, wrong);
foreach (var direction in new[] { PatchDirection.Denoising, PatchDirection.Noising })
{
    // a sanity check: patching the whole residual stream at layer 0 replays the source run, so it scores exactly 1 / 0
    double all = ActivationPatching.Patch(model, clean, corrupted, metric, ["blocks.0.hook_resid_pre"], direction);
    var heads = ActivationPatching.HeadsAllPositions(model, clean, corrupted, metric, direction);   // [layer, head]
    string name = direction.ToString().ToLowerInvariant(), svg = Path.Combine(outDir, $"{name}_heads.svg");
    Console.WriteLine($"{name}: patching resid_pre at layer 0 everywhere: {all:F4}; per head [layer, head]:");
    for (int l = 0; l < layers; l++)
        Console.WriteLine($"  L{l} " + string.Join(" ", heads[l].ToDoubleArray().Select(x => $"{x,7:F3}")));
    PatchPlots.HeadsFigure($"{name} per head", heads, centre: direction == PatchDirection.Denoising ? 0 : 1, valueLabel: "metric − base run").Save(svg);   // white: no change
    Console.WriteLine($"wrote {svg}");
}
