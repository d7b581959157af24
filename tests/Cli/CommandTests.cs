using Xunit;

namespace Interp.Tests.Cli;

/// <summary>The small verbs end to end: what they print for good input, one line and exit 2 for bad input.</summary>
[Collection("Console")]
public class CommandTests
{
    static (int Exit, string Out, string Err) Cli(params string[] args) => InterpCli.Run(args);

    [Fact]
    public void TokensPrintsGpt2IdsAndDecodesThemBack()
    {
        var (exit, output, _) = Cli("tokens", "Hello", "world");
        Assert.Equal(0, exit);
        Assert.Contains("2 tokens", output);
        Assert.Contains(" 15496  Hello", output);   // GPT-2's ids for "Hello world" are [15496, 995]
        Assert.Contains("   995  ␣world", output);
        var (dashed, dashedOutput, _) = Cli("tokens", "--", "--help", "-1");   // after --, dashes are text (and -1 is text anyway)
        Assert.Equal(0, dashed);
        Assert.Contains("help", dashedOutput);
        var (_, decoded, _) = Cli("tokens", "--decode", "15496", "995");
        Assert.Equal("Hello world", decoded.Trim());
    }

    [Fact]
    public void GenerateContinuesARepeatedSequenceWithTheTrainedInductionModel()
    {
        // the trained model copies: after [BOS] + 8 tokens + the first 3 again, greedy decoding continues the repeat
        int[] block = [3, 9, 14, 2, 7, 11, 5, 12];
        var prompt = new[] { 0 }.Concat(block).Concat(block[..3]);
        var (exit, output, err) = Cli("generate", "--model", TrainedModels.InductionDir, "--tokens", string.Join(' ', prompt),
            "--max-new", "4", "--temperature", "0");
        Assert.True(exit == 0, err);
        var added = output.Split('\n').Single(l => l.StartsWith("new:"))[4..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
        Assert.Equal(block[3..7], added);
    }

    [Theory]
    [InlineData("tokens", "interp tokens: give a text")]
    [InlineData("tokens|--decode|99999", "'99999' is not a token id")]
    [InlineData("generate|--tokens|1 2", "--model")]
    [InlineData("generate|--model|/nonexistent/model|--tokens|1", "no model at '/nonexistent/model'")]
    [InlineData("generate|--model|MODEL|--tokens|1 99", "'99' is not a token id in [0, 16)")]
    [InlineData("generate|--model|MODEL|--prompt|hi", "needs a model with GPT-2's vocabulary")]
    [InlineData("generate|--model|MODEL|--tokens|1 2|--max-new|40", "exceed the model's context of 17")]
    [InlineData("generate|--model|MODEL|--tokens|1|--temperature|-1", "--temperature must be >= 0")]
    public void BadArgumentsGiveOneLineAndExitTwo(string joined, string expected)
    {
        var args = joined.Split('|').Select(s => s == "MODEL" ? TrainedModels.InductionDir : s).ToArray();
        var (exit, _, err) = Cli(args);
        Assert.Equal(2, exit);
        Assert.Contains(expected, err);
        Assert.Single(err.Trim().Split('\n'));
    }
}
