using Interp.Data;
using Xunit;

namespace Interp.Tests.Cli;

/// <summary>
/// Every verb that takes --model, given a damaged model file: exit 2, one line on stderr naming the file, no stack
/// trace, nothing written to --out. A transformer verb gets a folder whose config.json is good and whose
/// model.safetensors is damaged; a CNN verb gets the damaged .pt itself.
/// </summary>
[Collection("Console")]
public class BadModelFileTests
{
    /// <summary>The ways a model file arrives damaged: each writes the file at the path given.</summary>
    static readonly Dictionary<string, Action<string, byte[]>> Damage = new()
    {
        ["empty"] = (path, _) => File.WriteAllBytes(path, []),
        ["truncated"] = (path, good) => File.WriteAllBytes(path, good[..(good.Length / 3)]),
        ["random bytes"] = (path, _) => File.WriteAllBytes(path, RandomBytes(5000)),
        ["wrong format"] = (path, _) => File.WriteAllText(path, "{\"not\": \"a model\"}\n"),
        ["a .pt file"] = (path, _) => File.Copy(FixtureFiles.PathOf(Path.Combine("torch", "basic.pt")), path),
        ["a safetensors file"] = (path, _) => File.Copy(Path.Combine(TrainedModels.InductionDir, "model.safetensors"), path),
    };

    // {model} is the damaged model, {out} a fresh output path
    static readonly string[] TransformerVerbs =
    [
        "heads --model {model} --out {out}",
        "norms --model {model} --out {out}",
        "lens --model {model} --out {out}",
        "case norms --model {model} --out {out}",
        "patch --model {model} --out {out} --quiet",
        "attrib --model {model} --out {out} --quiet",
        "sae --model {model} --out {out} --steps 2 --quiet",
        "unspeakable --model {model} --out {out}/tokens.tsv --quiet",
        "generate --model {model} --tokens 1",
        "case docstring --model {model} --out {out} --quiet",
    ];

    static readonly string[] CnnVerbs =
    [
        "featviz --model {model} --data none --out {out} --quiet",
        "case eis7-cnn --model {model} --out {out}",
        "neurons --model {model} --out {out}",
        "ablate --model {model} --units 0",
        "pca --model {model} --out {out}",
        "readout --model {model} --out {out}",
        "features --model {model} --out {out}",
        "transform --model {model} --out {out}",
        "rule ink>0.1 --model {model}",
    ];

    public static TheoryData<string, string> TransformerRows() => Rows(TransformerVerbs, Damage.Keys.Where(k => k != "a safetensors file"));

    public static TheoryData<string, string> CnnRows() => Rows(CnnVerbs, Damage.Keys.Where(k => k != "a .pt file"));

    static TheoryData<string, string> Rows(string[] verbs, IEnumerable<string> kinds)
    {
        var rows = new TheoryData<string, string>();
        foreach (var verb in verbs)
            foreach (var kind in kinds) rows.Add(verb, kind);
        return rows;
    }

    [Theory, MemberData(nameof(TransformerRows))]
    public void ATransformerVerbRefusesADamagedModelSafetensors(string verb, string kind)
    {
        using var dir = new TempDir();
        string model = dir.File("model");
        Directory.CreateDirectory(model);
        File.Copy(Path.Combine(TrainedModels.InductionDir, "config.json"), Path.Combine(model, "config.json"));
        string weights = Path.Combine(model, "model.safetensors");
        Damage[kind](weights, File.ReadAllBytes(Path.Combine(TrainedModels.InductionDir, "model.safetensors")));
        AssertRefused(verb, model, dir.File("out"), weights);
    }

    [Theory, MemberData(nameof(CnnRows))]
    public void ACnnVerbRefusesADamagedStateDict(string verb, string kind)
    {
        Assert.True(Mnist.IsAvailable, "the MNIST digits of ../shared/data are needed (case eis7-cnn reads them before the model)");
        using var dir = new TempDir();
        string model = dir.File("model.pt");
        Damage[kind](model, File.ReadAllBytes(FixtureFiles.PathOf(Path.Combine("torch", "basic.pt"))));
        AssertRefused(verb, model, dir.File("out"), model);
    }

    static void AssertRefused(string verb, string model, string outDir, string namedFile)
    {
        var args = verb.Replace("{model}", model).Replace("{out}", outDir).Split(' ');
        InterpCli.Fails(args, 2, Path.GetFileName(namedFile), Path.GetDirectoryName(namedFile)!);
        Assert.True(TempDir.IsEmptyOrMissing(outDir), $"interp {verb} wrote into --out before refusing its model");
    }

    static byte[] RandomBytes(int n)
    {
        var bytes = new byte[n];
        new Random(19).NextBytes(bytes);
        return bytes;
    }
}
