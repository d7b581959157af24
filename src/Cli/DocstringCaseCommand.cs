using System.CommandLine;
using System.Text.Json;
using Interp.Analysis.Cases;
using Interp.Data.Tasks;
using Interp.IO;
using Interp.Training;

namespace Interp.Cli;

/// <summary><c>interp case docstring</c>: train the 4-layer attention-only docstring toy (or load one) and find its circuit.</summary>
public sealed class DocstringCaseCommand : Command
{
    readonly Option<int> steps = Vocabulary.Steps(4000, "training steps");
    readonly Option<double> lr = Vocabulary.Lr(new DocstringOptions().LearningRate, "peak AdamW learning rate");
    readonly Option<ulong> seed = Vocabulary.Seed("seed of the model and the data");
    readonly Option<int> prompts = Vocabulary.Int("--prompts", 64, "held-out prompt pairs for the patching", min: 2);
    readonly Option<string> model = Vocabulary.Model("skip training: analyse the model saved in this folder (by an earlier run: OUT/model)");
    readonly Option<string> outDir = Vocabulary.Out(Path.Combine("report", "docstring"), "report folder; the model goes to its model/ subfolder");
    readonly Option<bool> detectAnomaly = Vocabulary.DetectAnomaly();
    readonly Option<Device> device = Vocabulary.Device();
    readonly Option<bool> quiet = Vocabulary.Quiet();

    public DocstringCaseCommand() : base("docstring", """
        Trains a docstring-completion toy and finds its circuit.

        Trains a 4-layer attention-only transformer (LayerNorm, learned positions, d_model 64, 4 heads of 16) with AdamW
        (lr 1e-3 unless --lr, with warm-up and cosine decay, batch 64) on docstring prompts ("def f ( self , alpha , beta , gamma ):"
        then a docstring listing ":param alpha", ...) to name the next parameter after each ":param", in layouts of 2-4
        parameters (the docstring listing 1 to all but one) and 1-3 description words, then finds the heads that carry
        the answer on 4-parameter prompts whose docstring lists 1 (the answer is the second): activation patching per
        head (denoising and noising), attribution patching, path patching into the final layer's queries, keys and
        values, the attention patterns of the heads found, and the fraction of the logit difference they restore.
        """)
    {
        foreach (var option in new Option[] { steps, lr, seed, prompts, model, outDir, detectAnomaly, device, quiet }) Add(option);
        SetAction(Run);
    }

    int Run(ParseResult r)
    {
        var device = r.GetValue(this.device);
        ulong seed = r.GetValue(this.seed);
        int promptCount = r.GetValue(prompts);
        var options = new DocstringOptions(Steps: r.GetValue(steps), Seed: seed, LearningRate: r.GetValue(lr));
        var progress = new Progress(r.GetValue(quiet));
        string outDir = Vocabulary.Folder(r.GetValue(this.outDir)!);

        Interp.Transformers.HookedTransformer transformer;
        string summary;
        var evalTask = new DocstringTask(seed: seed ^ 0xCA5EUL);
        if (r.GetValue(model) is string saved)
        {
            transformer = ModelFiles.LoadTransformer(saved, device);
            var check = DocstringToy.Evaluate(transformer, DocstringToy.HeldOut(options, evalTask, 256));
            summary = $"The model in {saved}. " + Figures(options, check);
            progress.Note($"docstring: loaded {saved}");
        }
        else
        {
            progress.Note($"docstring: {options.NLayers}-layer attn-only, d_model {options.DModel}, {options.NHeads}x{options.DHead} heads, vocab {options.ModelConfig.DVocab}; " +
                $"AdamW lr {options.LearningRate}, batch {options.BatchSize}, {options.Steps} steps, seed {seed}, on {device}");
            DocstringResult run;
            using (Vocabulary.AnomalyMode(r.GetValue(detectAnomaly)))
                try
                {
                    run = DocstringToy.Train(options, progress.Report,
                        e => progress.Note($"step {e.Step}: held-out loss {e.Loss:F3}, accuracy {e.Accuracy:P1}, among the def's parameters {e.ParameterAccuracy:P1}, logit diff {e.LogitDiff:F2}"),
                        device: device);
                }
                finally { progress.Finish(); }
            transformer = run.Model;
            transformer.Save(Path.Combine(outDir, "model"));
            summary = $"Trained for {run.Final.Step} steps of AdamW (lr {options.LearningRate}, batch {options.BatchSize}) in {run.Wall.TotalSeconds:F0} s on layouts of 2-{options.MaxParameters} parameters and 1-{options.MaxDescription} description words. " +
                Figures(options, run.Final);
            Console.WriteLine($"model: {run.Final.Step} steps in {run.Wall.TotalSeconds:F0} s, saved to {Path.Combine(outDir, "model")}");
            Console.WriteLine($"held-out ({options.EvalParameters} parameters, {options.EvalListed} listed): accuracy {run.Final.Accuracy:P1}, among the def's parameters {run.Final.ParameterAccuracy:P1} (chance {1.0 / options.EvalParameters:P1}), logit diff {run.Final.LogitDiff:F2}");
        }
        transformer.Eval();

        progress.Note($"docstring: patching on {promptCount} prompt pairs (activation, attribution, path)");
        var result = DocstringCircuit.Analyse(transformer, evalTask, DocstringToy.HeldOut(options, evalTask, promptCount));
        DocstringCircuitReport.Write(result, outDir, summary);
        JsonFile.Write(Path.Combine(outDir, "circuit.json"), new
        {
            clean_logit_diff = result.CleanLogitDiff, corrupted_logit_diff = result.CorruptedLogitDiff,
            heads = result.Circuit.Select(c => new { c.Label, c.Denoising, noising_effect = c.NoisingEffect }),
            circuit_denoised = result.CircuitDenoised, circuit_only = result.CircuitOnly, attribution_r = result.AttributionCorrelation,
            receivers = result.Receivers.Select(x => x.ToString()),
            heads_denoising = Rows(result.HeadsDenoising), heads_noising = Rows(result.HeadsNoising), heads_attribution = Rows(result.HeadsAttribution),
            path_patching = result.PathPatching.ToDictionary(kv => kv.Key, kv => Rows(kv.Value)),
        });
        Console.WriteLine($"circuit: {string.Join(", ", result.Circuit.Select(c => c.Label))}; alone they restore {result.CircuitDenoised:F3} of the logit difference (denoising) and keep {result.CircuitOnly:F3} (every other head noised)");
        Console.WriteLine($"attribution vs activation patching (heads): r = {result.AttributionCorrelation:F3}");
        Console.WriteLine($"report: {Path.GetFullPath(Path.Combine(outDir, "index.html"))}");
        return 0;
    }

    // a [rows, cols] tensor as nested arrays (NaN, for no path, as null)
    static double?[][] Rows(Tensor t)
    {
        var v = t.ToDoubleArray();
        int cols = t.Size(1);
        return Enumerable.Range(0, t.Size(0)).Select(r => v.Skip(r * cols).Take(cols).Select(x => double.IsNaN(x) ? (double?)null : Math.Round(x, 4)).ToArray()).ToArray();
    }

    static string Figures(DocstringOptions o, DocstringEval e) =>
        $"Held-out prompts with {o.EvalParameters} parameters of which the docstring lists {o.EvalListed} (the answer is parameter {o.EvalListed + 1}), {o.EvalDescription} description words a line, padded with blank lines before the def: " +
        $"accuracy {e.Accuracy:P1} over the vocabulary, {e.ParameterAccuracy:P1} among the def's parameters (chance {1.0 / o.EvalParameters:P0}), " +
        $"loss {e.Loss:F3}, mean logit difference answer − last listed name {e.LogitDiff:F2}.";
}
