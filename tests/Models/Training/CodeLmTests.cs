using Interp.Data;
using Interp.Tokenizer;
using Interp.Training;
using Xunit;

namespace Interp.Tests.Models.Training;

/// <summary>
/// The code language models at test size, on text made of real identifiers (from the repository's own Python files)
/// with planted repeats.
/// </summary>
[Collection("Console")]
public sealed class CodeLmTests : IDisposable
{
    readonly TempDir root = new();

    public void Dispose() => root.Dispose();

    /// <summary>
    /// 20 files of 10 lines, each line 5 names drawn at random from 30 identifiers of the fixture scripts, then the same 6
    /// again: the second copy is predictable only by copying from the first (as the repeated random tokens of the
    /// induction toy), not from the statistics of code. The BPE's 1,000 tokens make most names one token.
    /// </summary>
    static (CodeCorpus Corpus, BpeTokenizer Tokenizer, CodeTokens Tokens) PlantedRepeats(string dir)
    {
        var names = Directory.GetFiles(FixtureFiles.PathOf(""), "*.py").Order(StringComparer.Ordinal)
            .SelectMany(f => System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(f), "[A-Za-z_][A-Za-z0-9_]{2,}").Select(m => m.Value))
            .Distinct().Order(StringComparer.Ordinal).ToArray();
        var gen = new Generator(5);
        names = Interp.Training.Trainer.Permutation(names.Length, gen).Take(30).Select(i => names[i]).ToArray();
        for (int f = 0; f < 20; f++)
        {
            var lines = Enumerable.Range(0, 10).Select(_ =>
            {
                var words = Enumerable.Range(0, 5).Select(_ => names[gen.NextInt(names.Length)]).ToArray();
                return string.Join(" ", words.Concat(words));
            });
            File.WriteAllLines(Path.Combine(dir, $"f{f:D2}.py"), lines);
        }
        var corpus = CodeCorpus.FromFolder(dir, seed: 1);
        var bpe = BpeTrainer.Train(corpus.Train.Select(corpus.Read), vocabSize: 1000);
        return (corpus, bpe, CodeTokens.Encode(corpus, bpe));
    }

    static CodeLmOptions Small(string model, int vocab, int steps) => new(model, vocab, Steps: steps, Context: 48, DModel: 48, NHeads: 2, DHead: 24,
        BatchSize: 16, LearningRate: 5e-3, EvalEvery: steps, EvalSequences: 16);

    [Fact]
    public void TheIclScoreIsLateLossMinusEarlyLoss()
    {
        var perPosition = Enumerable.Range(0, 256).Select(t => 5.0 - t / 100.0).ToArray();
        Assert.Equal((50, 253), CodeLmEval.IclPositions(256));
        // mean of positions 251..255 minus mean of 48..52: -(253 - 50) / 100
        Assert.Equal(-2.03, CodeLmEval.IclScoreOf(perPosition), 12);
        Assert.Equal((12, 61), CodeLmEval.IclPositions(64));
    }

    [Fact]
    public void AStoppedRunResumesBitForBit()
    {
        var (_, bpe, tokens) = PlantedRepeats(root.Path);
        var o = Small("attn-only-2l", bpe.VocabSize, 12) with { EvalEvery = 5, DModel = 16, DHead = 8, Context = 32, BatchSize = 4 };
        var reference = CodeLm.Train(o, tokens);
        int seen = 0;
        string dir = Path.Combine(root.Path, "ckpt");
        var stopped = CodeLm.Train(o, tokens, r => seen = r.Step, stop: () => seen >= 7, checkpoints: new ToyCheckpoints(dir, Every: 4));
        Assert.True(stopped.Stopped);
        Assert.Equal(7 * o.TokensPerStep, stopped.TokensSeen);
        var resumed = CodeLm.Train(o, tokens, checkpoints: new ToyCheckpoints(dir, Every: 4, Resume: true));
        Assert.Equal(reference.Curve.Select(e => e.Step), resumed.Curve.Select(e => e.Step));
        Assert.Equal(reference.Final.PerPosition, resumed.Final.PerPosition);
        Assert.Equal(12 * o.TokensPerStep, resumed.TokensSeen);
        Assert.Equal(reference.Model.Parameters().SelectMany(p => p.ToDoubleArray()), resumed.Model.Parameters().SelectMany(p => p.ToDoubleArray()));
    }

    [Fact]
    public void HeldOutWindowsOpenTheFilesFirst()
    {
        var (corpus, bpe, tokens) = PlantedRepeats(root.Path);
        Assert.Equal(corpus.HeldOut.Count, tokens.HeldOutFiles.Count);
        var windows = tokens.HeldOutWindows(32, 100).ToIntArray();
        for (int f = 0; f < tokens.HeldOutFiles.Count; f++)
        {
            Assert.Equal(bpe.EndOfText, windows[f * 32]);
            Assert.Equal(bpe.Encode(corpus.Read(corpus.HeldOut[f]))[..31], windows.AsSpan(f * 32 + 1, 31).ToArray());
        }
        Assert.Throws<ArgumentException>(() => tokens.HeldOutWindows(100_000, 4));
    }
}
