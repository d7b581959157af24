using Interp.Nn;
using Interp.Tests.Analysis.Neurons;
using Xunit;

namespace Interp.Tests.Cli;

/// <summary>
/// neurons, ablate and pca on the other models the project trains: a transformer folder (the hand-set
/// <see cref="PlantedTransformer"/>, saved as <c>interp train</c> saves one) on token sequences, and an MLP folder
/// (<see cref="PlantedMlp"/>, as <c>interp train mlp --out</c> writes it) on the digits; and the refusals of a dataset
/// or verb that does not fit the model.
/// </summary>
[Collection("Console")]
public class UnitVerbsOnAnyModelTests : IDisposable
{
    readonly string dir = Path.Combine(Path.GetTempPath(), "interp-units-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }

    string Transformer()
    {
        string folder = Path.Combine(dir, "transformer");
        PlantedTransformer.Build().Save(folder);
        return folder;
    }

    string Mlp()
    {
        string folder = Path.Combine(dir, "mlp");
        Directory.CreateDirectory(folder);
        PlantedMlp.Build().SaveSafeTensors(Path.Combine(folder, "model.safetensors"));
        return folder;
    }

    static string Ok(params string[] args)
    {
        var (exit, output, err) = InterpCli.Run(args);
        Assert.True(exit == 0, err);
        return output;
    }

    [Fact]
    public void NeuronsAblateAndPcaRunOnATransformersNeuronsAndHeads()
    {
        string model = Transformer(), report = Path.Combine(dir, "neurons");
        // random sequences have no answer: the metric is a named logit difference at the last position
        string[] data = ["--model", model, "--data", "random", "--sequences", "120", "--logits", "2,0"];
        var neurons = Ok(["neurons", .. data, "--out", report, "--top", "4"]);
        Assert.Contains("blocks.0.mlp.hook_post: 12 units; dead 3, sparse 0, ordinary 6, always on 3", neurons);
        Assert.Contains("direct attribution to logit 2 − logit 0 through blocks.0.mlp.W_out and W_U", neurons);
        Assert.Contains("faithfulness (keep top k, mean-ablate the rest): k=0:", neurons);
        Assert.Contains("Census of blocks.0.mlp.hook_post", File.ReadAllText(Path.Combine(report, "index.html")));
        Assert.True(File.Exists(Path.Combine(report, "blocks_0_mlp_post_faithfulness.svg")));

        var copying = Ok(["ablate", .. data, "--hook", "blocks.0.attn.hook_z", "--units", "0", "--mode", "zero"]);
        Assert.Contains("zero-ablated 1 of 2 units of blocks.0.attn.hook_z: 0", copying);
        Assert.Matches(@"labels unchanged: \d+\.\d\d % of 120 sequences", copying);
        Assert.DoesNotContain("labels unchanged: 100.00 %", copying);
        var other = Ok(["ablate", .. data, "--hook", "blocks.0.attn.hook_z", "--units", "1", "--mode", "resample"]);
        Assert.Contains("labels unchanged: 100.00 % of 120 sequences (0 changed)", other);

        var pca = Ok(["pca", .. data, "--hook", "blocks.0.hook_resid_post", "--components", "3", "--out", Path.Combine(dir, "pca")]);
        Assert.Contains("PCA of blocks.0.hook_resid_post over 120 sequences:", pca);
        Assert.True(File.Exists(Path.Combine(dir, "pca", "blocks_0_resid_post_pca.svg")));
    }

    [Fact]
    public void TheModularAdditionDataGivesEachSequenceItsAnswer()
    {
        // n_ctx 3: every 'a b =' of p = d_vocab − 1 = 5, the metric the logit of (a + b) mod 5
        var output = Ok("ablate", "--model", Transformer(), "--units", "0,1,2,3,4,5", "--mode", "zero");
        Assert.Contains("zero-ablated 6 of 12 units of blocks.0.mlp.hook_post", output);
        Assert.Contains("of 25 sequences", output);
        Assert.Contains("mean logit of the answer:", output);
    }

    [Fact]
    public void AnEis7TransformerRunIsAnsweredWithTheChallengesLabels()
    {
        // its answer to "x y =" is the token of the pair's label (0 or 1), not (x + y) mod p as for `train modadd`
        string run = Path.Combine(dir, "eis7", "run");
        var (exit, _, err) = InterpCli.Run("case", "eis7-transformer", "--steps", "1", "--max-pairs", "8", "--out", Path.Combine(dir, "eis7"), "--quiet");
        Assert.True(exit == 0, err);
        (exit, var output, err) = InterpCli.Run("ablate", "--model", run, "--units", "0", "--stride", "97");
        Assert.True(exit == 0, err);
        Assert.Contains("each answer is the pair's EIS VII label (token 0 or 1), not (a + b) mod p", err);
        Assert.Contains("mean logit of the answer:", output);

        // a folder with a run.json whose pairs are not the labels' 113 x 113
        string planted = Transformer();
        File.WriteAllText(Path.Combine(planted, "run.json"), "{}");
        Refused(["ablate", "--model", planted, "--units", "0"], "the EIS VII labels are 113 x 113, the model's pairs 5 x 5");
    }

    [Fact]
    public void NeuronsRunOnAnMlpFolder()
    {
        var output = Ok("neurons", "--model", Mlp(), "--data", "mnist", "--stride", "50", "--out", Path.Combine(dir, "mlp-neurons"));
        Assert.Contains("hook_relu1: 6 units; dead 2", output);
        Assert.Contains("direct attribution to logit 1 − logit 0 through layers.1", output);
    }

    // exit 2 and a last stderr line "interp VERB: ..." with the phrases (after the data's progress note, if it got that far)
    static void Refused(string[] args, params string[] phrases)
    {
        var (exit, _, err) = InterpCli.Run(args);
        Assert.True(exit == 2, $"expected exit 2, got {exit}: {err}");
        Assert.DoesNotContain(" at Interp.", err);
        string last = err.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1];
        Assert.StartsWith($"interp {args[0]}: ", last);
        foreach (var phrase in phrases) Assert.True(last.Contains(phrase), $"'{phrase}' is not in: {last}");
    }

    [Fact]
    public void AModelAndDataThatDoNotFitAreRefusedWithAClearError()
    {
        string transformer = Transformer(), mlp = Mlp();
        InterpCli.Fails(["neurons", "--model", transformer, "--data", "mnist"], 2, "--data mnist", "is a transformer, which reads token sequences");
        InterpCli.Fails(["readout", "--model", transformer], 2, "is a transformer; this verb reads pixels");
        InterpCli.Fails(["ablate", "--model", mlp, "--data", "repeat", "--units", "0"], 2, "--data repeat", "is an MLP, which reads images");
        InterpCli.Fails(["neurons", "--model", transformer, "--data", "random"], 2, "--logits answer", "have no answer");
        Refused(["ablate", "--model", transformer, "--units", "0", "--hook", "blocks.0.attn.hook_pattern"],
            "blocks.0.attn.hook_pattern is [batch, head, query, key]", "blocks.0.attn.hook_z");
        Refused(["ablate", "--model", transformer, "--units", "2", "--hook", "blocks.0.attn.hook_z"], "unit 2 is outside blocks.0.attn.hook_z's 2 units");
        InterpCli.Fails(["pca", "--model", transformer, "--data", "modadd", "--position", "5"], 2, "--position 5 is outside the 3 tokens");
    }

    [Fact]
    public void ATransformerVerbGivenACnnOrAnMlpSaysWhatTheModelIs()
    {
        // was: "has model.safetensors but no config.json" (a folder) or "the head count is not in the weights" (a .pt)
        string cnn = Path.Combine(dir, "cnn");
        Directory.CreateDirectory(cnn);
        new Interp.Models.Cnn(new Interp.Models.CnnConfig(Conv1Channels: 2, Conv2Channels: 2, PoolAfterConv1: true, Hidden: 4), new Generator(1))
            .SaveSafeTensors(Path.Combine(cnn, "model.safetensors"));
        string eis7 = Path.Combine(Interp.Data.DataPaths.SharedData() ?? throw new InvalidOperationException("no ../shared/data"), "eis7", "mnist_model.pt");
        InterpCli.Fails(["heads", "--model", cnn], 2, $"'{cnn}' is a CNN", "not a transformer");
        InterpCli.Fails(["lens", "--model", eis7], 2, $"'{eis7}' is a CNN", "not a transformer");
        InterpCli.Fails(["norms", "--model", Mlp()], 2, "is an MLP", "not a transformer");
    }
}
