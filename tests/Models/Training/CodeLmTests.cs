using Interp.Analysis.Heads;
using Interp.Data;
using Interp.Tokenizer;
using Interp.Training;
using Xunit;

namespace Interp.Tests.Models.Training;

/// <summary>
/// The code language models at test size, on real code: lines of the repository's own Python files. The planted-repeat
/// corpus repeats each file's block of lines once, so a model that learns induction predicts the second half from the first.
/// </summary>
[Collection("Console")]
public sealed class CodeLmTests : IDisposable
{
    readonly TempDir root = new();

    public void Dispose() => root.Dispose();

    /// <summary>20 files, each 24 lines drawn at random from the fixture scripts, then the same 24 lines again.</summary>
    static (CodeCorpus Corpus, BpeTokenizer Tokenizer, CodeTokens Tokens) PlantedRepeats(string dir)
    {
        var lines = Directory.GetFiles(FixtureFiles.PathOf(""), "*.py").Order(StringComparer.Ordinal)
            .SelectMany(File.ReadAllLines).Where(l => l.Trim().Length > 8).ToArray();
        var gen = new Generator(5);
        for (int f = 0; f < 20; f++)
        {
            var block = Enumerable.Range(0, 24).Select(_ => lines[gen.NextInt(lines.Length)]).ToArray();
            File.WriteAllLines(Path.Combine(dir, $"f{f:D2}.py"), [.. block, .. block]);
        }
        var corpus = CodeCorpus.FromFolder(dir, seed: 1);
        var bpe = BpeTrainer.Train(corpus.Train.Select(corpus.Read), vocabSize: 400);
        return (corpus, bpe, CodeTokens.Encode(corpus, bpe));
    }

    static CodeLmOptions Small(string model, int vocab, int steps) => new(model, vocab, Steps: steps, Context: 96, DModel: 64, NHeads: 4, DHead: 16,
        BatchSize: 16, LearningRate: 3e-3, EvalEvery: 100, EvalSequences: 16);

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
    public void TwoAttentionLayersLearnInductionOnPlantedRepeatsAndOneLayerDoesNot()
    {
        var (_, bpe, tokens) = PlantedRepeats(root.Path);
        double BestInduction(string model)
        {
            var run = CodeLm.Train(Small(model, bpe.VocabSize, 400), tokens);
            var scan = HeadScan.OnRepeatedRandomTokens(run.Model, 30, batch: 8, bos: bpe.EndOfText, seed: 3);
            return scan.Ranked(HeadScoreKind.Induction)[0].Score;
        }
        double two = BestInduction("attn-only-2l"), one = BestInduction("1l-mlp");
        Assert.True(two > 0.3 && two > 2 * one, $"best induction score: 2 layers {two:F3}, 1 layer {one:F3}");
    }

    [Fact]
    public void AStoppedRunResumesBitForBit()
    {
        var (_, bpe, tokens) = PlantedRepeats(root.Path);
        var o = Small("attn-only-2l", bpe.VocabSize, 12) with { EvalEvery = 5, DModel = 16, DHead = 4, Context = 32, BatchSize = 4 };
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
