using Interp.Data;
using Xunit;

namespace Interp.Tests.Cli;

/// <summary>
/// Every verb that reads a dataset, given a damaged one: exit 2, one line on stderr naming the file, no stack trace,
/// nothing written to --out. Fashion-MNIST is redirected with INTERP_FASHION_MNIST, the MNIST digits with
/// INTERP_SHARED_DATA (the "Console" collection runs alone, so no other test sees the variables), the EIS VII labels
/// with --labels.
/// </summary>
[Collection("Console")]
public class DamagedDatasetTests
{
    const int Count = 10, Side = 28;

    /// <summary>An IDX pair (images, labels) damaged one way; the phrase its refusal must contain.</summary>
    static readonly Dictionary<string, (Func<byte[]> Images, Func<byte[]> Labels, string Phrase)> Damage = new()
    {
        ["empty images"] = (() => [], GoodLabels, "images"),
        ["truncated images"] = (() => GoodImages()[..(Side * Side * 3)], GoodLabels, "images"),
        ["random bytes"] = (() => RandomBytes(3000), GoodLabels, "images"),
        ["truncated labels"] = (GoodImages, () => GoodLabels()[..12], "labels"),
        ["labels out of range"] = (GoodImages, () => Idx1(Enumerable.Range(0, Count).Select(i => (byte)(i == 7 ? 200 : i % 10)).ToArray()), "label 200 at index 7"),
        ["fewer labels than images"] = (GoodImages, () => Idx1(new byte[Count - 1]), "labels"),
    };

    static readonly string[] FashionVerbs =
    [
        "train mlp --epochs 1 --quiet",
        "train cnn --epochs 1 --out {out} --quiet",
        "featviz --model {eis7} --layer logits --steps 1 --data fashion --out {out} --quiet",
    ];

    static readonly string[] MnistVerbs =
    [
        "featviz --model {eis7} --layer logits --steps 1 --data mnist --out {out} --quiet",
        "case eis7-cnn --model {eis7} --out {out}",
    ];

    public static TheoryData<string, string> FashionRows() => Rows(FashionVerbs);

    public static TheoryData<string, string> MnistRows() => Rows(MnistVerbs);

    static TheoryData<string, string> Rows(string[] verbs)
    {
        var rows = new TheoryData<string, string>();
        foreach (var verb in verbs)
            foreach (var kind in Damage.Keys) rows.Add(verb, kind);
        return rows;
    }

    [Theory, MemberData(nameof(FashionRows))]
    public void AFashionMnistVerbRefusesADamagedSet(string verb, string kind)
    {
        using var dir = new TempDir();
        string data = dir.File("fashion");
        Directory.CreateDirectory(data);
        var (images, labels, phrase) = Damage[kind];
        foreach (var file in new[] { FashionMnist.TrainImagesFile, FashionMnist.TestImagesFile }) File.WriteAllBytes(Path.Combine(data, file), images());
        foreach (var file in new[] { FashionMnist.TrainLabelsFile, FashionMnist.TestLabelsFile }) File.WriteAllBytes(Path.Combine(data, file), labels());
        WithVariable("INTERP_FASHION_MNIST", data, () => AssertRefused(verb, dir.File("out"), data, phrase));
    }

    [Theory, MemberData(nameof(MnistRows))]
    public void AnMnistVerbRefusesADamagedSet(string verb, string kind)
    {
        using var dir = new TempDir();
        string shared = dir.File("shared"), data = Path.Combine(shared, "mnist");
        Directory.CreateDirectory(data);
        var (images, labels, phrase) = Damage[kind];
        File.WriteAllBytes(Path.Combine(data, Mnist.ImagesFile), images());
        File.WriteAllBytes(Path.Combine(data, Mnist.LabelsFile), labels());
        WithVariable("INTERP_SHARED_DATA", shared, () => AssertRefused(verb, dir.File("out"), data, phrase));
    }

    public static TheoryData<string> LabelDamage => ["empty", "truncated", "random bytes", "a .pt file"];

    [Theory, MemberData(nameof(LabelDamage))]
    public void TheEis7TransformerCaseRefusesDamagedLabels(string kind)
    {
        using var dir = new TempDir();
        string labels = dir.File("labels.safetensors");
        var good = File.ReadAllBytes(Eis7LabelsPath());
        File.WriteAllBytes(labels, kind switch
        {
            "empty" => [],
            "truncated" => good[..(good.Length / 2)],
            "random bytes" => RandomBytes(4000),
            _ => File.ReadAllBytes(FixtureFiles.PathOf(Path.Combine("torch", "basic.pt"))),
        });
        AssertRefused("case eis7-transformer --steps 1 --max-pairs 8 --labels {labels} --out {out} --quiet".Replace("{labels}", labels), dir.File("out"), labels, "");
    }

    static void AssertRefused(string verb, string outDir, string namedPath, string phrase)
    {
        var args = verb.Replace("{out}", outDir).Replace("{eis7}", Eis7CnnPath()).Split(' ');
        InterpCli.Fails(args, 2, namedPath, phrase);
        Assert.True(TempDir.IsEmptyOrMissing(outDir), $"interp {verb} wrote into --out before refusing its data");
    }

    static void WithVariable(string name, string value, Action body)
    {
        string? before = Environment.GetEnvironmentVariable(name);
        Environment.SetEnvironmentVariable(name, value);
        try { body(); }
        finally { Environment.SetEnvironmentVariable(name, before); }
    }

    // resolved before any variable is redirected
    static readonly Lazy<string> eis7Cnn = new(() => Path.Combine(DataPaths.SharedData() ?? throw new InvalidOperationException("no ../shared/data"), "eis7", "mnist_model.pt"));
    static readonly Lazy<string> eis7Labels = new(() => Path.Combine(DataPaths.SharedData() ?? throw new InvalidOperationException("no ../shared/data"), "eis7", "transformer_labels.safetensors"));
    static string Eis7CnnPath() => eis7Cnn.Value;
    static string Eis7LabelsPath() => eis7Labels.Value;

    static byte[] GoodImages() => Idx3(new byte[Count * Side * Side]);
    static byte[] GoodLabels() => Idx1(Enumerable.Range(0, Count).Select(i => (byte)(i % 10)).ToArray());

    static byte[] Idx3(byte[] pixels) => [0, 0, Idx.TypeUByte, 3, .. BigEndian(Count), .. BigEndian(Side), .. BigEndian(Side), .. pixels];
    static byte[] Idx1(byte[] labels) => [0, 0, Idx.TypeUByte, 1, .. BigEndian(labels.Length), .. labels];
    static byte[] BigEndian(int v) => [(byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v];

    static byte[] RandomBytes(int n)
    {
        var bytes = new byte[n];
        new Random(19).NextBytes(bytes);
        return bytes;
    }
}
