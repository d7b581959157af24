using Interp.Data.Tasks;
using Xunit;

namespace Interp.Tests.Models.Data.Tasks;

public class TaskTests
{
    [Fact]
    public void RepeatedTokensRepeatAfterBos()
    {
        var task = new RepeatedTokens(vocabSize: 50, length: 7, bos: 0, seed: 1);
        var batch = task.Batch(4);
        Assert.Equal([4, 15], batch.ShapeArray);
        Assert.Equal(8, task.RepeatStart);
        var t = batch.ToIntArray();
        for (int b = 0; b < 4; b++)
        {
            var row = t.AsSpan(b * 15, 15);
            Assert.Equal(0, row[0]);
            Assert.True(row[1..8].SequenceEqual(row[8..]));
            foreach (int token in row[1..]) Assert.InRange(token, 1, 49);
        }
    }

    [Fact]
    public void RepeatedTokensWithVaryingPeriodsArePeriodicWithEveryPeriodInRange()
    {
        var task = new RepeatedTokens(vocabSize: 1000, length: 8, bos: 0, seed: 3, minLength: 4);
        var t = task.Batch(400).ToIntArray();
        var periods = new HashSet<int>();
        for (int b = 0; b < 400; b++)
        {
            var row = t.AsSpan(b * 17 + 1, 16).ToArray();
            // the smallest shift under which the row repeats is its period (1000 tokens make accidental repeats rare)
            int period = Enumerable.Range(1, 16).First(m => Enumerable.Range(m, 16 - m).All(i => row[i] == row[i - m]));
            periods.Add(period);
        }
        Assert.Equal([4, 5, 6, 7, 8], periods.Order());
        Assert.Throws<ArgumentException>(() => new RepeatedTokens(10, 8, minLength: 9));
    }

    [Fact]
    public void RepeatedTokensAreDeterministicPerSeed()
    {
        int[] Draw(ulong seed) => new RepeatedTokens(100, 10, seed: seed).Batch(3).ToIntArray();
        Assert.Equal(Draw(5), Draw(5));
        Assert.NotEqual(Draw(5), Draw(6));
        var task = new RepeatedTokens(100, 10, seed: 5);
        Assert.NotEqual(task.Batch(3).ToIntArray(), task.Batch(3).ToIntArray());   // the stream goes on
        Assert.Equal([3, 20], new RepeatedTokens(100, 10).Batch(3).ShapeArray);
    }

    [Fact]
    public void ModularAdditionCoversEveryPairOnceWithCorrectLabels()
    {
        var task = new ModularAddition(p: 113, trainFraction: 0.3, seed: 2);
        Assert.Equal(114, task.VocabSize);
        Assert.Equal((int)Math.Round(0.3 * 113 * 113), task.TrainPairs.Length);
        Assert.Equal(Enumerable.Range(0, 113 * 113), task.TrainPairs.Concat(task.TestPairs).Order());
        var (tokens, labels) = task.Train;
        Assert.Equal([task.TrainPairs.Length, 3], tokens.ShapeArray);
        var t = tokens.ToIntArray();
        var l = labels.ToIntArray();
        for (int i = 0; i < l.Length; i++)
        {
            Assert.Equal(113, t[3 * i + 2]);
            Assert.Equal((t[3 * i] + t[3 * i + 1]) % 113, l[i]);
        }
        Assert.Equal(task.TestPairs, new ModularAddition(113, 0.3, seed: 2).TestPairs);
        Assert.NotEqual(task.TestPairs, new ModularAddition(113, 0.3, seed: 3).TestPairs);
    }

    [Fact]
    public void DocstringPromptsAskForTheNextParameter()
    {
        var task = new DocstringTask(parameters: 3, descriptionLength: 2, seed: 4);
        var p = task.Next();
        Assert.Equal(task.PromptLength, p.Clean.Length);
        Assert.Equal(task.PromptLength, p.Corrupted.Length);
        string text = task.ToString(p.Clean);
        var lines = text.Split('\n');
        Assert.Matches(@"^def \w+ \( self , (\w+) , (\w+) , (\w+) \):$", lines[0]);
        var defNames = lines[0].Split(' ').Where((_, i) => i is 5 or 7 or 9).ToArray();
        Assert.StartsWith("\"\"\" ", lines[1]);
        Assert.StartsWith($":param {defNames[0]} : ", lines[2]);
        Assert.StartsWith($":param {defNames[1]} : ", lines[3]);
        Assert.Equal(":param", lines[4]);
        Assert.Equal(task.TokenId(defNames[2]), p.Answer);
        Assert.Equal(defNames[..2].Select(task.TokenId), p.Distractors);
        Assert.Equal(p.Clean, task.ToTokens(text));
    }

    [Fact]
    public void DocstringCorruptionChangesOnlyTheDefParameters()
    {
        var task = new DocstringTask(parameters: 4, descriptionLength: 3, seed: 5);
        for (int n = 0; n < 20; n++)
        {
            var p = task.Next();
            var differing = Enumerable.Range(0, p.Clean.Length).Where(i => p.Clean[i] != p.Corrupted[i]).ToArray();
            Assert.Equal(task.DefParameterPositions, differing);
            var cleanNames = task.DefParameterPositions.Select(i => p.Clean[i]).ToHashSet();
            var corruptNames = task.DefParameterPositions.Select(i => p.Corrupted[i]).ToList();
            Assert.Equal(corruptNames.Count, corruptNames.Distinct().Count());
            Assert.DoesNotContain(corruptNames, cleanNames.Contains);
            Assert.Contains(task.Vocabulary[p.Corrupted[5]], DocstringTask.ParameterNames);
        }
    }

    [Fact]
    public void DocstringBatchesAreDeterministicPerSeed()
    {
        var (c1, k1, a1) = new DocstringTask(seed: 9).Batch(8);
        var (c2, k2, a2) = new DocstringTask(seed: 9).Batch(8);
        Assert.Equal(c1.ToIntArray(), c2.ToIntArray());
        Assert.Equal(k1.ToIntArray(), k2.ToIntArray());
        Assert.Equal(a1.ToIntArray(), a2.ToIntArray());
        Assert.Equal([8, new DocstringTask().PromptLength], c1.ShapeArray);
        Assert.NotEqual(c1.ToIntArray(), new DocstringTask(seed: 10).Batch(8).Clean.ToIntArray());
        Assert.Throws<ArgumentException>(() => new DocstringTask().ToTokens("def unknownword"));
    }

    [Fact]
    public void DocstringCanListFewerNamesSoTheAnswerIsNotTheLastParameter()
    {
        var task = new DocstringTask(seed: 6);
        var p = task.Next(parameters: 4, descriptionLength: 1, listed: 1);
        Assert.Equal(DocstringTask.PromptLengthOf(4, 1, 1), p.Clean.Length);
        var lines = task.ToString(p.Clean).Split('\n');
        var defNames = lines[0].Split(' ').Where((_, i) => i is 5 or 7 or 9 or 11).ToArray();
        Assert.Equal(4, lines.Length);   // def, """, one :param line, the final :param
        Assert.StartsWith($":param {defNames[0]} : ", lines[2]);
        Assert.Equal(task.TokenId(defNames[1]), p.Answer);
        Assert.Equal(task.TokenId(defNames[0]), p.LastListed);
        Assert.Equal(new[] { defNames[0], defNames[2], defNames[3] }.Select(task.TokenId), p.Distractors);
        Assert.Throws<ArgumentException>(() => task.Next(parameters: 3, listed: 3));
    }

    [Fact]
    public void DocstringPromptsWithTheirOwnDescriptionLengthsPadOnTheLeftToOneLength()
    {
        var task = new DocstringTask(seed: 7);
        var prompts = task.Prompts(16, parameters: 3, descriptionLength: 3, listed: 2, varyDescriptions: true);
        Assert.True(prompts.Select(p => p.Clean.Length).Distinct().Count() > 1, "the description lengths should vary");
        var padded = task.PadLeft(prompts);
        int length = prompts.Max(p => p.Clean.Length), newline = task.TokenId("\n");
        for (int i = 0; i < prompts.Length; i++)
        {
            int pad = length - prompts[i].Clean.Length;
            Assert.Equal(length, padded[i].Clean.Length);
            Assert.All(padded[i].Clean[..pad], t => Assert.Equal(newline, t));
            Assert.Equal(prompts[i].Clean, padded[i].Clean[pad..]);
            Assert.Equal(prompts[i].Corrupted, padded[i].Corrupted[pad..]);
            Assert.Equal(prompts[i].Answer, padded[i].Answer);
        }
    }
}
