using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Interp.Autograd;
using Interp.IO;
using Interp.Transformers;
using Xunit;

namespace Interp.Tests.Models.IO;

/// <summary>
/// LoadGpt2 of a float32 safetensors file as float32: the weights are views of a copy-on-write mapping of the file. They
/// equal the copied load, writes and training leave the file as it was, an unaligned or changed file is handled, and the
/// mapping goes away with the model.
/// </summary>
public sealed class MappedLoadTests : IDisposable
{
    readonly TempDir tmp = new();
    public void Dispose() => tmp.Dispose();

    /// <summary>A copy of the tiny GPT-2 fixture (float32, 2 layers, 4 heads) that the test may change or delete.</summary>
    string CopyOfFixture(string name = "model.safetensors")
    {
        string path = tmp.File(name);
        File.Copy(FixtureFiles.PathOf("tiny_gpt2.safetensors"), path);
        return path;
    }

    static bool IsMapped(Tensor t) => t.Storage is CpuStorage { Data: null, Owner: not null };

    [Fact]
    public void AMappedLoadEqualsTheCopiedConversionBitForBit()
    {
        var model = Pretrained.LoadGpt2(FixtureFiles.PathOf("tiny_gpt2.safetensors"), nHeads: 4);
        var sd = model.StateDict();
        var copied = Gpt2Weights.ToTransformerLens(SafeTensorsDict.Load(FixtureFiles.PathOf("tiny_gpt2.safetensors")), nHeads: 4);
        foreach (var (name, p) in sd)
            Assert.True(copied[name].ToFloatArray().SequenceEqual(p.ToFloatArray()), $"{name} differs from the copied conversion");
        // every parameter views the file; W_Q/W_K/W_V are the three column blocks of c_attn [d, 3d], rows 3d apart
        Assert.All(sd, p => Assert.True(IsMapped(p.Value), $"{p.Key} is not a view of the mapping"));
        int d = model.Config.DModel;
        foreach (var attn in model.Blocks.Select(b => b.Attn))
        {
            Assert.False(attn.W_Q.IsContiguous);
            Assert.Equal([model.Config.DHead, 3 * d, 1], attn.W_Q.Strides);
            Assert.Same(attn.W_Q.Storage, attn.W_V.Storage);
            Assert.Equal([attn.W_Q.Offset + d, attn.W_Q.Offset + 2 * d], [attn.W_K.Offset, attn.W_V.Offset]);
        }
        Assert.Null(model.Unembed.W_U);   // tied: the unembedding reads embed.W_Eᵀ, itself a view of wte
    }

    /// <summary>
    /// Without grad, the loaded model's W_Q/W_K/W_V (blocks of c_attn) project as one product with c_attn; q, k, v, the
    /// logits and every other activation equal those of a model whose weights are ordinary copies (three products).
    /// </summary>
    [Fact]
    public void TheFusedQkvProductEqualsThreeProjections()
    {
        var mapped = Pretrained.LoadGpt2(FixtureFiles.PathOf("tiny_gpt2.safetensors"), nHeads: 4);
        var copied = Pretrained.FromStateDict(mapped.StateDict().ToDictionary(p => p.Key, p => p.Value.Detach().Clone()), mapped.Config);
        Assert.True(copied.Blocks[0].Attn.W_Q.IsContiguous);
        var tokens = SafeTensorsDict.Load(FixtureFiles.PathOf("tiny_gpt2_io.safetensors"))["input_ids"];
        var (fusedLogits, fused) = mapped.RunWithCache(tokens);
        var (logits, cache) = copied.RunWithCache(tokens);
        Assert.Equal(cache.Names, fused.Names);
        foreach (var name in cache.Names)
            AssertClose(cache[name], fused[name], name);
        AssertClose(logits, fusedLogits, "logits");
        // and q itself against its definition, x·W_Q[h] + b_Q[h] per head
        var attn = mapped.Blocks[1].Attn;
        var q = Tensor.Einsum("bpd,hde->bphe", fused["blocks.1.ln1.hook_normalized"], attn.W_Q) + attn.b_Q!;
        AssertClose(q, fused["blocks.1.attn.hook_q"], "q by its definition");
    }

    /// <summary>Greedy generation with the key/value cache (which keeps views of the fused product) picks the same tokens.</summary>
    [Fact]
    public void GenerationThroughTheFusedProductPicksTheSameTokens()
    {
        var mapped = Pretrained.LoadGpt2(FixtureFiles.PathOf("tiny_gpt2.safetensors"), nHeads: 4);
        var copied = Pretrained.FromStateDict(mapped.StateDict().ToDictionary(p => p.Key, p => p.Value.Detach().Clone()), mapped.Config);
        var prompt = Tensor.FromArray(new[] { 3, 1, 4, 1, 5, 9, 2, 6 }, [2, 4]);
        Assert.Equal(copied.Generate(prompt, 6, temperature: 0).ToIntArray(), mapped.Generate(prompt, 6, temperature: 0).ToIntArray());
    }

    static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.ShapeArray, actual.ShapeArray);
        var (e, a) = (expected.ToFloatArray(), actual.ToFloatArray());
        float scale = e.Max(MathF.Abs) + 1e-6f;
        for (int i = 0; i < e.Length; i++)
            Assert.True(MathF.Abs(e[i] - a[i]) <= 1e-5f * scale, $"{what}[{i}]: {a[i]} vs {e[i]}");
    }

    [Fact]
    public void WritingAndTrainingTheLoadedWeightsLeaveTheFileUnchanged()
    {
        string path = CopyOfFixture();
        byte[] before = SHA256.HashData(File.ReadAllBytes(path));
        var mapped = Pretrained.LoadGpt2(path, nHeads: 4);
        var copied = Pretrained.FromStateDict(mapped.StateDict().ToDictionary(p => p.Key, p => p.Value.Detach().Clone()), mapped.Config);
        float wte0 = mapped.Embed.W_E.ToFloatArray()[0];

        var io = SafeTensorsDict.Load(FixtureFiles.PathOf("tiny_gpt2_io.safetensors"));
        var tokens = io["input_ids"];
        foreach (var model in new[] { mapped, copied }) NextTokenTraining.AdamWSteps(model, tokens);
        // the mapped model trained as one whose weights are ordinary copies, and its weights moved
        foreach (var (name, p) in mapped.StateDict())
            Assert.True(copied.StateDict()[name].ToFloatArray().SequenceEqual(p.ToFloatArray()), $"{name} trained differently from the copied model");
        Assert.NotEqual(wte0, mapped.Embed.W_E.ToFloatArray()[0]);
        Assert.True(IsMapped(mapped.Embed.W_E));
        using (GradMode.NoGrad()) mapped.Blocks[0].Mlp!.W_in.Backend.Fill(mapped.Blocks[0].Mlp!.W_in, 3.0);   // a direct in-place write too

        Assert.Equal(before, SHA256.HashData(File.ReadAllBytes(path)));
        var again = Pretrained.LoadGpt2(path, nHeads: 4);
        Assert.Equal(wte0, again.Embed.W_E.ToFloatArray()[0]);
        Assert.All(again.Blocks[0].Mlp!.W_in.ToFloatArray(), x => Assert.NotEqual(3f, x));
        GC.KeepAlive(mapped);
    }

    [Fact]
    public void WritingANewFileOverTheMappedOneLeavesTheModelAsItWas()
    {
        string path = CopyOfFixture();
        var model = Pretrained.LoadGpt2(path, nHeads: 4);
        float[] wte = model.Embed.W_E.ToFloatArray();
        // the writers write a new file and rename it over the old one, whose pages the mapping keeps
        SafeTensorsWriter.Write(path, [SafeTensorsWriter.F32("x", [3], [1, 2, 3])]);
        Assert.Equal(wte, model.Embed.W_E.ToFloatArray());
    }

    [Fact]
    public void AFileWhoseDataIsNotAlignedToFloatsIsCopiedInstead()
    {
        // the same tensors after a header two bytes longer (trailing spaces are valid JSON): no float starts on 4 bytes
        byte[] bytes = File.ReadAllBytes(FixtureFiles.PathOf("tiny_gpt2.safetensors"));
        ulong headerLength = BitConverter.ToUInt64(bytes, 0);
        byte[] shifted = [.. BitConverter.GetBytes(headerLength + 2), .. bytes.AsSpan(8, (int)headerLength), (byte)' ', (byte)' ', .. bytes.AsSpan(8 + (int)headerLength)];
        string path = tmp.File("unaligned.safetensors");
        File.WriteAllBytes(path, shifted);

        var model = Pretrained.LoadGpt2(path, nHeads: 4);
        Assert.False(IsMapped(model.Embed.W_E));
        var reference = Pretrained.LoadGpt2(FixtureFiles.PathOf("tiny_gpt2.safetensors"), nHeads: 4).StateDict();
        foreach (var (name, p) in model.StateDict())
            Assert.True(reference[name].ToFloatArray().SequenceEqual(p.ToFloatArray()), $"{name} differs");
    }

    [Fact]
    public void ATruncatedFileIsRefusedBeforeAnythingIsMapped()
    {
        string path = CopyOfFixture();
        using (var f = new FileStream(path, FileMode.Open, FileAccess.Write)) f.SetLength(f.Length - 100);
        var e = Assert.Throws<SafeTensorsFormatException>(() => Pretrained.LoadGpt2(path, nHeads: 4));
        Assert.Contains(path, e.Message);
        Assert.Contains("run past the end", e.Message);

        // shortened after its header was checked: refused by name rather than mapped past the end
        string other = CopyOfFixture("other.safetensors");
        using var file = SafeTensorsFile.Open(other);
        using (var f = new FileStream(other, FileMode.Open, FileAccess.Write, FileShare.ReadWrite)) f.SetLength(f.Length - 100);
        var late = Assert.Throws<SafeTensorsFormatException>(() => file.TryMap("wte.weight", DType.Float32));
        Assert.Contains(other, late.Message);
        Assert.Contains("changed while open", late.Message);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static float LoadAndRead(string path) => Pretrained.LoadGpt2(path, nHeads: 4).Embed.W_E.ToFloatArray()[7];

    [Fact]
    public void TheMappingIsReleasedOnceTheModelIsCollected()
    {
        string path = CopyOfFixture("released.safetensors");
        bool Mapped() => !OperatingSystem.IsLinux() || File.ReadAllText("/proc/self/maps").Contains(path);
        HookedTransformer? model = Pretrained.LoadGpt2(path, nHeads: 4);
        Assert.True(Mapped());
        GC.KeepAlive(model);
        model = null;
        Assert.NotEqual(0f, LoadAndRead(path));
        for (int i = 0; i < 3 && Mapped(); i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        if (OperatingSystem.IsLinux()) Assert.False(Mapped(), "the file is still mapped after its model was collected");
        File.WriteAllBytes(path, [1, 2, 3]);   // overwritten, then deleted: nothing holds it
        File.Delete(path);
        Assert.False(File.Exists(path));
    }
}
