using Xunit;

namespace Interp.Tests.Cli;

/// <summary>
/// Every verb refuses a bad argument with one line on stderr naming the problem, nothing on stdout, and exit status 2
/// (bad input) — run in-process through the program's entry (<see cref="CommandLine.Execute"/>), so the table covers
/// the dispatch too. A new verb adds its rows here: one line each, "command line | expected exit | text in the message".
/// </summary>
[Collection("Console")]
public class BadCommandLineTests
{
    public static TheoryData<string> Rows => new()
    {
        // the demo (default verb)
        "--bogus | 2 | unexpected argument '--bogus'",
        "nosuchverb | 2 | unexpected argument 'nosuchverb'",
        "train mlp --epochs 0 | 2 | --epochs must be at least 1, got 0",
        "train mlp --seed | 2 | --seed",
        "train mlp --device tpu | 2 | --device must be cpu or cuda, got 'tpu'",
        "demo --steps 0 | 2 | --steps must be at least 1, got 0",
        "demo --size huge | 2 | --size must be full or small, got 'huge'",
        "demo extra | 2 | unexpected argument 'extra'",
        // train cnn
        "train cnn --bogus | 2 | unexpected argument '--bogus'",
        "train cnn --epochs ten | 2 | --epochs needs an integer, got 'ten'",
        "train cnn --batch -4 | 2 | --batch must be at least 1, got -4",
        "train cnn --lr 0 | 2 | --lr must be positive, got 0",
        "train cnn --channels 3 | 2 | --channels needs two positive integers C1,C2, got '3'",
        "train cnn --seed -1 | 2 | --seed needs a non-negative integer, got '-1'",
        "train cnn --out | 2 | --out",
        // train induction
        "train induction --bogus | 2 | unexpected argument '--bogus'",
        "train induction --steps 0 | 2 | --steps must be at least 1, got 0",
        "train induction --seed x | 2 | --seed needs a non-negative integer, got 'x'",
        "train induction --checkpoint-every 0 | 2 | --checkpoint-every must be at least 1, got 0",
        "train induction --resume | 2 | --resume",
        "train induction --resume {tmp}/a --out {tmp}/b | 2 | drop --out",
        "train induction --resume {tmp}/none --quiet | 2 | no checkpoint in '{tmp}/none'",
        // train modadd
        "train modadd --bogus | 2 | unexpected argument '--bogus'",
        "train modadd --steps -5 | 2 | --steps must be at least 1, got -5",
        "train modadd --out | 2 | --out",
        "train modadd --checkpoint-every many | 2 | --checkpoint-every needs an integer, got 'many'",
        "train modadd --resume {tmp}/none --quiet | 2 | no checkpoint in '{tmp}/none'",
        "train modadd --device tpu | 2 | --device must be cpu or cuda, got 'tpu'",
        "train modadd --lr 0 | 2 | --lr must be positive, got 0",
        "train induction --lr x | 2 | --lr needs a number, got 'x'",
        "case docstring --lr -1 | 2 | --lr must be positive, got -1",
        "case eis7-transformer --lr inf | 2 | --lr needs a number, got 'inf'",
        "case docstring --steps 0 | 2 | --steps must be at least 1, got 0",
        "case docstring --model {tmp}/none | 2 | no model at '{tmp}/none'",
        "case docstring --bogus | 2 | unexpected argument '--bogus'",
        "train induction --device cuda:x | 2 | --device: bad CUDA index in 'cuda:x'",
        "train cnn --device | 2 | --device",
        "demo --device gpu | 2 | --device must be cpu or cuda, got 'gpu'",
        "case | 2 | interp case: needs one of norms, docstring, eis7-cnn, eis7-transformer",
        "train | 2 | interp train: needs one of mlp, cnn, induction, modadd",
        "case eis8 | 2 | interp case: unexpected argument 'eis8'",
        // tokens, generate, heads, norms, lens, case norms
        "tokens | 2 | interp tokens: give a text",
        "tokens Hello --unknown | 2 | interp tokens: unexpected argument '--unknown'",
        "generate --tokens 1 | 2 | interp generate: --model is required",
        "heads --model {tmp}/none --length 1 | 2 | --length must be at least 2, got 1",
        "norms --model {tmp}/none | 2 | interp norms: no model at '{tmp}/none'",
        "lens --model {tmp}/none --batch 0 | 2 | --batch must be at least 1, got 0",
        "case norms --batch 2 | 2 | interp case norms: --model is required",
        "case eis7-cnn --stride 0 | 2 | --stride must be at least 1, got 0",
        "case eis7-transformer --max-pairs 2 | 2 | --max-pairs must be at least 4, got 2",
        "train mlp --lr -1 | 2 | --lr must be positive, got -1",
        "sae --bogus-flag | 2 | unexpected argument '--bogus-flag'",
        "patch --bogus | 2 | interp patch: unexpected argument '--bogus'",
        // patch, attrib
        "patch | 2 | interp patch: needs one MODEL",
        "patch {tmp}/a --model {tmp}/b | 2 | name the model once",
        "patch {tmp}/none | 2 | no model at '{tmp}/none'",
        "patch {tmp}/none --direction up | 2 | --direction must be denoising, noising or both, got 'up'",
        "attrib --bogus x | 2 | unexpected argument",
        "attrib a b | 2 | unexpected argument 'b'",
        // sae
        "sae --bogus | 2 | unexpected argument '--bogus'",
        "sae --steps 0 | 2 | --steps must be at least 1, got 0",
        "sae --lr 0 | 2 | --lr must be positive",
        "sae --arch gated | 2 | --arch must be standard or topk, got 'gated'",
        "sae --model {tmp}/none | 2 | no model at '{tmp}/none'",
        // featviz
        "featviz --bogus | 2 | unexpected argument '--bogus'",
        "featviz --steps 3 | 2 | --model",
        "featviz --model {tmp}/none.pt | 2 | no CNN at '{tmp}/none.pt'",
        "featviz --model {tmp}/none.pt --layer conv9 | 2 | --layer must be all, conv1, conv2, fc1 or logits, got 'conv9'",
        "featviz --model {tmp}/none.pt --param wavelet | 2 | --param must be pixel or fourier, got 'wavelet'",
        "featviz --model {tmp}/none.pt --steps -1 | 2 | --steps must be at least 0, got -1",
        // unspeakable
        "unspeakable --bogus | 2 | unexpected argument '--bogus'",
        "unspeakable --via resid | 2 | --model",
        "unspeakable --model {tmp}/none --via sideways | 2 | --via must be resid or embed, got 'sideways'",
        "unspeakable --model {tmp}/none --prompt 1 | 2 | --prompt only applies to --via embed",
        "unspeakable --model {tmp}/none | 2 | no model at '{tmp}/none'",
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
