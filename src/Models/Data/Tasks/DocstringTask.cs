using System.Text;

namespace Interp.Data.Tasks;

/// <summary>
/// One docstring prompt: token ids of the clean and corrupted prompts, the answer and the distractors (the def's other
/// parameters: first those the docstring listed, in order, so <c>Distractors[Listed − 1]</c> is the last listed name).
/// </summary>
public sealed record DocstringPrompt(int[] Clean, int[] Corrupted, int Answer, int[] Distractors, int Listed = 0)
{
    /// <summary>The name the docstring listed last (the tempting wrong answer).</summary>
    public int LastListed => Distractors[Listed - 1];
}

/// <summary>
/// The docstring task (Heimersheim and Janiak's docstring circuit), word level, with its own vocabulary:
/// <code>
/// def load ( self , alpha , beta , gamma ):
/// """ the new
/// :param alpha : used for
/// :param beta : a list
/// :param
/// </code>
/// The next token is the next parameter of the def (here <c>gamma</c>). The docstring lists the first <c>listed</c>
/// parameters (default all but the last), so the answer is the def's parameter after the last one listed. The corrupted prompt has the def's parameter
/// names replaced by other random names (the docstring is unchanged), so only the def positions differ and the answer
/// is no longer supported by the def: patching between the two finds what carries the parameter names.
/// </summary>
public sealed class DocstringTask
{
    public static readonly string[] Specials = ["def", "(", "self", ",", "):", "\n", "\"\"\"", ":param", ":"];

    public static readonly string[] FunctionNames = ["load", "run", "check", "update", "get", "set", "build", "parse", "save", "draw"];

    public static readonly string[] ParameterNames =
    [
        "alpha", "beta", "gamma", "delta", "name", "value", "size", "data", "key", "file", "path", "index", "count", "mode",
        "color", "shape", "token", "user", "state", "model", "image", "text", "label", "query", "result", "config", "limit",
        "offset", "target", "source", "width", "height", "scale", "seed", "step", "rate", "order", "group", "level", "field",
    ];

    public static readonly string[] DescriptionWords =
        ["the", "a", "of", "to", "for", "in", "is", "used", "new", "current", "given", "optional", "default", "object", "string", "number", "list", "which", "this", "that"];

    readonly Dictionary<string, int> ids;
    readonly string[] words;
    readonly Generator gen;

    /// <param name="parameters">parameters of the def after self; the docstring lists all but the last</param>
    /// <param name="descriptionLength">words after <c>"""</c> and after each <c>:param name :</c></param>
    public DocstringTask(int parameters = 3, int descriptionLength = 2, ulong seed = 0)
    {
        CheckLayout(parameters, descriptionLength);
        (Parameters, DescriptionLength, gen) = (parameters, descriptionLength, new Generator(seed));
        words = [.. Specials, .. FunctionNames, .. ParameterNames, .. DescriptionWords];
        ids = words.Select((w, i) => (w, i)).ToDictionary(p => p.w, p => p.i);
    }

    static void CheckLayout(int parameters, int descriptionLength)
    {
        if (parameters < 2 || 2 * parameters > ParameterNames.Length)
            throw new ArgumentException($"docstring: parameters must be in [2, {ParameterNames.Length / 2}], got {parameters}");
        if (descriptionLength < 0) throw new ArgumentException($"docstring: description length must be non-negative, got {descriptionLength}");
    }

    /// <summary>The default layout: parameters of the def after self (the docstring lists all but the last).</summary>
    public int Parameters { get; }
    /// <summary>The default layout: words after <c>"""</c> and after each <c>:param name :</c>.</summary>
    public int DescriptionLength { get; }
    public int VocabSize => words.Length;
    public IReadOnlyList<string> Vocabulary => words;

    /// <summary>The stream's generator (a checkpoint saves its state to resume the stream where it was).</summary>
    public Generator Rng => gen;

    /// <summary>Tokens per prompt of the default layout.</summary>
    public int PromptLength => PromptLengthOf(Parameters, DescriptionLength);

    /// <summary>Tokens per prompt of a layout (the docstring lists <paramref name="listed"/> names, default all but one).</summary>
    public static int PromptLengthOf(int parameters, int descriptionLength, int? listed = null) =>
        4 + 2 * parameters + 1 + 2 + descriptionLength + (listed ?? parameters - 1) * (4 + descriptionLength) + 2;

    /// <summary>Positions of the def's parameter names (the only positions where clean and corrupted differ).</summary>
    public int[] DefParameterPositions => Enumerable.Range(0, Parameters).Select(i => 5 + 2 * i).ToArray();

    public int TokenId(string word) =>
        ids.TryGetValue(word, out int id) ? id : throw new ArgumentException($"docstring: '{word}' is not in the vocabulary");

    /// <summary>Text to token ids: words separated by spaces, newlines are tokens of their own.</summary>
    public int[] ToTokens(string text)
    {
        var r = new List<int>();
        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            if (i > 0) r.Add(ids["\n"]);
            r.AddRange(lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(TokenId));
        }
        return [.. r];
    }

    /// <summary>Token ids to text (the inverse of <see cref="ToTokens"/>).</summary>
    public string ToString(IEnumerable<int> tokens)
    {
        var sb = new StringBuilder();
        bool lineStart = true;
        foreach (int t in tokens)
        {
            if (t < 0 || t >= words.Length) throw new ArgumentException($"docstring: token {t} is outside the vocabulary [0, {words.Length})");
            if (words[t] == "\n") { sb.Append('\n'); lineStart = true; continue; }
            if (!lineStart) sb.Append(' ');
            sb.Append(words[t]);
            lineStart = false;
        }
        return sb.ToString();
    }

    /// <summary>
    /// The next prompt of the seeded stream, in the default layout or the one given; with <paramref name="varyDescriptions"/>
    /// each line's description has its own length, drawn from 1 to the description length.
    /// </summary>
    public DocstringPrompt Next(int? parameters = null, int? descriptionLength = null, int? listed = null, bool varyDescriptions = false)
    {
        int n = parameters ?? Parameters, d = descriptionLength ?? DescriptionLength, k = listed ?? n - 1;
        CheckLayout(n, d);
        if (k < 1 || k >= n) throw new ArgumentException($"docstring: the docstring lists 1 to {n - 1} of {n} parameters, got {k}");
        var names = Pick(ParameterNames.Length, 2 * n);
        var clean = names[..n].Select(i => ParameterNames[i]).ToArray();
        var other = names[n..].Select(i => ParameterNames[i]).ToArray();
        string function = FunctionNames[gen.NextInt(FunctionNames.Length)];
        var descriptions = Enumerable.Range(0, n).Select(_ => Description(varyDescriptions && d > 0 ? 1 + gen.NextInt(d) : d)).ToArray();
        int[] Prompt(string[] defNames) => ToTokens(Render(function, defNames, clean[..(k + 1)], descriptions));
        return new DocstringPrompt(Prompt(clean), Prompt(other), TokenId(clean[k]), [.. clean[..k].Select(TokenId), .. clean[(k + 1)..].Select(TokenId)], k);
    }

    /// <summary>A batch: clean and corrupted prompts int32 [n, PromptLength] and the answers int32 [n].</summary>
    public (Tensor Clean, Tensor Corrupted, Tensor Answers) Batch(int n)
    {
        var prompts = Prompts(n);
        return (Stack(prompts), Stack(prompts, corrupted: true), Tensor.FromArray(prompts.Select(p => p.Answer).ToArray()));
    }

    /// <summary>The clean (or corrupted) prompts, all of one length, as int32 [n, pos].</summary>
    public static Tensor Stack(IReadOnlyList<DocstringPrompt> prompts, bool corrupted = false)
    {
        int length = prompts[0].Clean.Length;
        if (prompts.Any(p => p.Clean.Length != length))
            throw new ArgumentException($"docstring: prompts of {string.Join(", ", prompts.Select(p => p.Clean.Length).Distinct())} tokens cannot stack into one batch (pad them with PadLeft)");
        return Tensor.FromArray(prompts.SelectMany(p => corrupted ? p.Corrupted : p.Clean).ToArray(), [prompts.Count, length]);
    }

    /// <summary>The next <paramref name="n"/> prompts of the stream, all in one layout (default: this task's).</summary>
    public DocstringPrompt[] Prompts(int n, int? parameters = null, int? descriptionLength = null, int? listed = null, bool varyDescriptions = false)
    {
        if (n <= 0) throw new ArgumentException($"docstring: batch size must be positive, got {n}");
        return Enumerable.Range(0, n).Select(_ => Next(parameters, descriptionLength, listed, varyDescriptions)).ToArray();
    }

    /// <summary>
    /// The prompts padded on the left with newlines (blank lines before the def) to <paramref name="length"/> (default
    /// the longest one's), so that they stack into one [n, pos] batch whose last position is every prompt's final <c>:param</c>.
    /// </summary>
    public DocstringPrompt[] PadLeft(DocstringPrompt[] prompts, int? length = null)
    {
        int longest = prompts.Max(p => p.Clean.Length), newline = ids["\n"];
        if (length < longest) throw new ArgumentException($"docstring: cannot pad prompts of {longest} tokens to {length}");
        int total = length ?? longest;
        int[] Pad(int[] t) => [.. Enumerable.Repeat(newline, total - t.Length), .. t];
        return prompts.Select(p => p with { Clean = Pad(p.Clean), Corrupted = Pad(p.Corrupted) }).ToArray();
    }

    string Render(string function, string[] defNames, string[] docNames, string[] descriptions)
    {
        var sb = new StringBuilder($"def {function} ( self");
        foreach (var n in defNames) sb.Append($" , {n}");
        sb.Append($" ):\n\"\"\" {descriptions[0]}");
        for (int i = 0; i < docNames.Length - 1; i++) sb.Append($"\n:param {docNames[i]} : {descriptions[i + 1]}");
        return sb.Append("\n:param").ToString();
    }

    string Description(int length) => string.Join(' ', Enumerable.Range(0, length).Select(_ => DescriptionWords[gen.NextInt(DescriptionWords.Length)]));

    /// <summary>k distinct indices of [0, n), in random order (a partial Fisher–Yates shuffle).</summary>
    int[] Pick(int n, int k)
    {
        var p = Enumerable.Range(0, n).ToArray();
        for (int i = 0; i < k; i++)
        {
            int j = i + gen.NextInt(n - i);
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p[..k];
    }
}
