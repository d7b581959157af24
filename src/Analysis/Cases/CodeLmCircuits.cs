using System.Text.RegularExpressions;
using Interp.Analysis.Patching;
using Interp.Analysis.Residual;
using Interp.Data;
using Interp.Tokenizer;
using Interp.Transformers;

namespace Interp.Analysis.Cases;

/// <summary>
/// Prompts cut from held-out code, each ending just before a token of one kind: <paramref name="Prompts"/> int32 [n, length]
/// (the last column is the token to predict), the text of each prompt's last few tokens for display.
/// </summary>
public sealed record CodePrompts(string Kind, Tensor Prompts, IReadOnlyList<string> Tails);

/// <summary>The logit lens and direct logit attribution at the last position of one kind of prompt.</summary>
public sealed record CodeLensRun(CodePrompts Prompts, LensScan Scan)
{
    /// <summary>Stage → mean log-probability of the true next token at the last position.</summary>
    public IReadOnlyList<(string Stage, double LogProb)> Lens => Scan.StageMeans(Scan.LogProb.Size(1) - 1);

    /// <summary>Component → mean direct logit attribution to the true next token at the last position, largest first.</summary>
    public IReadOnlyList<(string Component, double Dla)> Dla
    {
        get
        {
            int last = Scan.Dla.Size(1) - 1;
            var v = Scan.Dla.Select(1, last).ToDoubleArray();
            return Scan.ComponentLabels.Select((c, i) => (c, v[i])).OrderByDescending(x => Math.Abs(x.Item2)).ToList();
        }
    }
}

/// <summary>
/// Identifier copying by activation patching: clean prompts whose next token is an identifier seen earlier in the prompt
/// right after the current token (so copying predicts it); corrupted prompts have every earlier occurrence of that
/// identifier replaced by another identifier (the wrong answer). <see cref="Heads"/> [layer, head]: the normalised logit
/// difference (answer − wrong) restored by patching each head's clean output (hook_z, all positions) into the corrupted run.
/// </summary>
/// <summary>
/// Copy patching's result; <see cref="Heads"/> is null when the clean and corrupted logit differences are closer than
/// <see cref="CodeLmCircuits.MinLogitDiffGap"/>: the normalised metric would divide by almost nothing.
/// </summary>
public sealed record CodeCopyPatching(int Prompts, double CleanLogitDiff, double CorruptedLogitDiff, Tensor? Heads, IReadOnlyList<string> Examples);

public sealed record CodeLmCircuitRun(string Model, CodeCopyPatching? Copying, IReadOnlyList<CodeLensRun> Lens);

public static partial class CodeLmCircuits
{
    public const int PromptLength = 64;
    /// <summary>Copy patching normalises by clean − corrupted; below this gap (in logits) it reports the two numbers instead.</summary>
    public const double MinLogitDiffGap = 0.25;

    [GeneratedRegex(@"^ ?[A-Za-z_][A-Za-z0-9_]{2,}$")]
    private static partial Regex Identifier();

    public static CodeLmCircuitRun Run(string name, HookedTransformer model, CodeTokens tokens, ITokenizer tokenizer, ulong seed = 0, int maxPrompts = 16)
    {
        int length = Math.Min(PromptLength, model.Config.NCtx);
        var text = TokenTexts(tokenizer);
        var lens = new List<CodeLensRun>();
        foreach (var (kind, test) in Kinds(text))
        {
            var prompts = Find(tokens, tokenizer, length + 1, kind, test, maxPrompts);
            if (prompts is not null) lens.Add(new CodeLensRun(prompts, LensScan.Run(model, prompts.Prompts)));
        }
        return new CodeLmCircuitRun(name, CopyPatching(model, tokens, tokenizer, text, length, seed, maxPrompts), lens);
    }

    /// <summary>Every token's text, decoded on its own.</summary>
    public static string[] TokenTexts(ITokenizer tokenizer) => Enumerable.Range(0, tokenizer.VocabSize).Select(t => tokenizer.Decode([t])).ToArray();

    // the three kinds of natural prompt: closing a bracket, repeating a name seen in the prompt, the name after `self.`
    static IEnumerable<(string Kind, Func<int[], int, bool> Test)> Kinds(string[] text)
    {
        yield return ("closing a bracket", (w, i) => text[w[i]].TrimStart().Length > 0 && text[w[i]].TrimStart()[0] is ')' or ']' or '}');
        yield return ("repeating a name", (w, i) => Identifier().IsMatch(text[w[i]]) && Array.IndexOf(w, w[i], 0, i) >= 0);
        yield return ("completing self.", (w, i) => Identifier().IsMatch(text[w[i]]) && i >= 2 && text[w[i - 1]].EndsWith('.') && (text[w[i - 1]] == "." ? text[w[i - 2]].EndsWith("self") : text[w[i - 1]].EndsWith("self.")));
    }

    /// <summary>Up to <paramref name="max"/> windows of <paramref name="length"/> held-out tokens whose last token passes the test (at most 2 a file).</summary>
    static CodePrompts? Find(CodeTokens tokens, ITokenizer tokenizer, int length, string kind, Func<int[], int, bool> test, int max)
    {
        var found = new List<int[]>();
        foreach (var f in tokens.HeldOutFiles)
        {
            int inFile = 0;
            for (int end = length; end <= f.Length && inFile < 2 && found.Count < max; end += 7)
            {
                var w = f.AsSpan(end - length, length).ToArray();
                if (!test(w, length - 1)) continue;
                found.Add(w);
                inFile++;
                end += 200;
            }
            if (found.Count == max) break;
        }
        if (found.Count < 2) return null;
        var tails = found.Select(w => tokenizer.Decode(w[^12..^1]) + "⟦" + tokenizer.Decode(w[^1..]) + "⟧").ToList();
        return new CodePrompts(kind, Tensor.FromArray(found.SelectMany(w => w).ToArray(), [found.Count, length]), tails);
    }

    static CodeCopyPatching? CopyPatching(HookedTransformer model, CodeTokens tokens, ITokenizer tokenizer, string[] text, int length, ulong seed, int max)
    {
        var identifiers = Enumerable.Range(0, text.Length).Where(t => t != tokenizer.EndOfText && Identifier().IsMatch(text[t])).ToArray();
        if (identifiers.Length < 4) return null;
        var gen = new Generator(seed ^ 0xC0BE);
        var clean = new List<int[]>();
        var corrupted = new List<int[]>();
        var answers = new List<int>();
        var wrong = new List<int>();
        foreach (var f in tokens.HeldOutFiles)
        {
            int inFile = 0;
            for (int i = length; i + 1 < f.Length && inFile < 2 && clean.Count < max; i++)
            {
                int answer = f[i], current = f[i - 1];
                if (!Identifier().IsMatch(text[answer])) continue;
                var prompt = f.AsSpan(i - length, length).ToArray();   // ends with `current`; the answer follows
                bool copied = false;
                for (int k = 0; k + 2 < length; k++) copied |= prompt[k] == current && prompt[k + 1] == answer;
                if (!copied) continue;
                int other;
                do other = identifiers[gen.NextInt(identifiers.Length)]; while (Array.IndexOf(prompt, other) >= 0 || other == answer);
                clean.Add(prompt);
                corrupted.Add(prompt.Select(t => t == answer ? other : t).ToArray());
                answers.Add(answer);
                wrong.Add(other);
                inFile++;
                i += 200;
            }
            if (clean.Count == max) break;
        }
        if (clean.Count < 2) return null;
        Tensor Stack(List<int[]> rows) => Tensor.FromArray(rows.SelectMany(r => r).ToArray(), [rows.Count, length]).To(model.Device);
        var (c, x) = (Stack(clean), Stack(corrupted));
        var (a, w) = (Tensor.FromArray(answers.ToArray()).To(model.Device), Tensor.FromArray(wrong.ToArray()).To(model.Device));
        var (cleanDiff, corruptDiff) = ActivationPatching.Baselines(model, c, x, PatchMetrics.LogitDiff(a, w));
        var examples = clean.Take(4).Select((p, n) => tokenizer.Decode(p[^12..]) + "⟦" + text[answers[n]] + "⟧ (corrupted: " + text[wrong[n]] + ")").ToList();
        if (!(Math.Abs(cleanDiff - corruptDiff) >= MinLogitDiffGap))   // the model barely tells the two apart: nothing to restore
            return new CodeCopyPatching(clean.Count, cleanDiff, corruptDiff, null, examples);
        var metric = PatchMetrics.NormalizedLogitDiff(a, w, cleanDiff, corruptDiff);
        var heads = ActivationPatching.HeadsAllPositions(model, c, x, metric);
        return new CodeCopyPatching(clean.Count, cleanDiff, corruptDiff, heads.To(DType.Float64).To(Device.Cpu), examples);
    }
}
