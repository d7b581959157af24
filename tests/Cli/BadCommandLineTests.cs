using Xunit;

namespace Interp.Tests.Cli;

/// <summary>
/// Every verb refuses a bad argument with one line on stderr naming the problem, nothing on stdout, and a non-zero
/// exit status — run in-process through the program's entry (<see cref="CommandLine.Execute"/>), so the table covers
/// the dispatch too. A new verb adds its rows here: one line each, "command line | expected exit | text in the message".
/// </summary>
[Collection("Console")]
public class BadCommandLineTests
{
    public static TheoryData<string> Rows => new()
    {
        // the demo (default verb)
        "--bogus | 1 | unexpected argument '--bogus'",
        "nosuchverb | 1 | unexpected argument 'nosuchverb'",
        "train mlp --epochs 0 | 1 | --epochs must be at least 1, got 0",
        "train mlp --seed | 1 | --seed",
        "train mlp --device tpu | 1 | --device must be cpu or cuda, got 'tpu'",
        "demo --steps 0 | 1 | --steps must be at least 1, got 0",
        "demo --size huge | 1 | --size must be full or small, got 'huge'",
        "demo extra | 1 | unexpected argument 'extra'",
        // train cnn
        "train cnn --bogus | 1 | unexpected argument '--bogus'",
        "train cnn --epochs ten | 1 | --epochs needs an integer, got 'ten'",
        "train cnn --batch -4 | 1 | --batch must be at least 1, got -4",
        "train cnn --lr 0 | 1 | --lr must be positive, got 0",
        "train cnn --channels 3 | 1 | --channels needs two positive integers C1,C2, got '3'",
        "train cnn --seed -1 | 1 | --seed needs a non-negative integer, got '-1'",
        "train cnn --out | 1 | --out",
        // train induction
        "train induction --bogus | 1 | unexpected argument '--bogus'",
        "train induction --steps 0 | 1 | --steps must be at least 1, got 0",
        "train induction --seed x | 1 | --seed needs a non-negative integer, got 'x'",
        "train induction --checkpoint-every 0 | 1 | --checkpoint-every must be at least 1, got 0",
        "train induction --resume | 1 | --resume",
        "train induction --resume {tmp}/a --out {tmp}/b | 1 | drop --out",
        "train induction --resume {tmp}/none --quiet | 2 | no checkpoint in '{tmp}/none'",
        // train modadd
        "train modadd --bogus | 1 | unexpected argument '--bogus'",
        "train modadd --steps -5 | 1 | --steps must be at least 1, got -5",
        "train modadd --out | 1 | --out",
        "train modadd --checkpoint-every many | 1 | --checkpoint-every needs an integer, got 'many'",
        "train modadd --resume {tmp}/none --quiet | 2 | no checkpoint in '{tmp}/none'",
        "train modadd --device tpu | 1 | --device must be cpu or cuda, got 'tpu'",
        "case docstring --steps 0 | 1 | --steps must be at least 1, got 0",
        "case docstring --model {tmp}/none | 1 | no model at '{tmp}/none'",
        "case docstring --bogus | 1 | unexpected argument '--bogus'",
        "train induction --device cuda:x | 1 | --device: bad CUDA index in 'cuda:x'",
        "train cnn --device | 1 | --device",
        "demo --device gpu | 1 | --device must be cpu or cuda, got 'gpu'",
        "case | 1 | interp case: Required command was not provided",
        "case eis8 | 1 | interp case: unexpected argument 'eis8'",
        // tokens, generate, heads, norms, lens, case norms
        "tokens | 1 | interp tokens: give a text",
        "generate --tokens 1 | 1 | interp generate: --model is required",
        "heads --model {tmp}/none --length 1 | 1 | --length must be at least 2, got 1",
        "norms --model {tmp}/none | 1 | interp norms: no model at '{tmp}/none'",
        "lens --model {tmp}/none --batch 0 | 1 | --batch must be at least 1, got 0",
        "case norms --batch 2 | 1 | interp case norms: --model is required",
        "case eis7-cnn --stride 0 | 1 | --stride must be at least 1, got 0",
        "case eis7-transformer --max-pairs 2 | 1 | --max-pairs must be at least 4, got 2",
        "train mlp --lr -1 | 1 | --lr must be positive, got -1",
        "sae --bogus-flag | 1 | unexpected argument '--bogus-flag'",
        "patch --bogus | 1 | interp patch: unexpected argument '--bogus'",
        // patch, attrib
        "patch | 1 | interp patch: needs one MODEL",
        "patch {tmp}/a --model {tmp}/b | 1 | name the model once",
        "patch {tmp}/none | 1 | no model at '{tmp}/none'",
        "patch {tmp}/none --direction up | 1 | --direction must be denoising, noising or both, got 'up'",
        "attrib --bogus x | 1 | unexpected argument",
        "attrib a b | 1 | unexpected argument 'b'",
        // sae
        "sae --bogus | 1 | unexpected argument '--bogus'",
        "sae --steps 0 | 1 | --steps must be at least 1, got 0",
        "sae --lr 0 | 1 | --lr must be positive",
        "sae --arch gated | 1 | --arch must be standard or topk, got 'gated'",
        "sae --model {tmp}/none | 1 | no model at '{tmp}/none'",
        // featviz
        "featviz --bogus | 1 | unexpected argument '--bogus'",
        "featviz --steps 3 | 1 | --model",
        "featviz --model {tmp}/none.pt | 1 | no CNN at '{tmp}/none.pt'",
        "featviz --model {tmp}/none.pt --layer conv9 | 1 | --layer must be all, conv1, conv2, fc1 or logits, got 'conv9'",
        "featviz --model {tmp}/none.pt --param wavelet | 1 | --param must be pixel or fourier, got 'wavelet'",
        "featviz --model {tmp}/none.pt --steps -1 | 1 | --steps must be at least 0, got -1",
        // unspeakable
        "unspeakable --bogus | 1 | unexpected argument '--bogus'",
        "unspeakable --via resid | 1 | --model",
        "unspeakable --model {tmp}/none --via sideways | 1 | --via must be resid or embed, got 'sideways'",
        "unspeakable --model {tmp}/none --prompt 1 | 1 | --prompt only applies to --via embed",
        "unspeakable --model {tmp}/none | 1 | no model at '{tmp}/none'",
    };

    [Theory, MemberData(nameof(Rows))]
    public void IsRefusedInOneLine(string row)
    {
        string tmp = Path.Combine(Path.GetTempPath(), $"interp-cli-{Guid.NewGuid():N}");
        var parts = row.Replace("{tmp}", tmp).Split(" | ");
        var (args, exit, phrase) = (parts[0].Split(' ', StringSplitOptions.RemoveEmptyEntries), int.Parse(parts[1]), parts[2]);
        try
        {
            var (code, stdout, stderr) = ConsoleCapture.Run(() => CommandLine.Execute(args));
            Assert.Equal(exit, code);
            Assert.Equal("", stdout);
            var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(lines.Length == 1, $"expected one line on stderr, got {lines.Length}:\n{stderr}");
            Assert.StartsWith("interp", lines[0]);
            Assert.Contains(phrase, lines[0]);
            Assert.False(Directory.Exists(Path.Combine(tmp, "none")), "a refused --resume must not create its folder");
        }
        finally
        {
            if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true);
        }
    }
}
