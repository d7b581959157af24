using System.Text;

namespace Interp.Data.Tasks;

/// <summary>One docstring prompt: token ids of the clean and corrupted prompts, the answer and the distractors.</summary>
public sealed record DocstringPrompt(int[] Clean, int[] Corrupted, int Answer, int[] Distractors);

/// <summary>
/// The docstring task (Heimersheim and Janiak's docstring circuit), word level, with its own vocabulary:
/// <code>
/// def load ( self , alpha , beta , gamma ):
/// """ the new
/// :param alpha : used for
/// :param beta : a list
/// :param
/// </code>
/// The next token is the next parameter of the def (here <c>gamma</c>). The corrupted prompt has the def's parameter
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
        if (parameters < 2 || 2 * parameters > ParameterNames.Length)
            throw new ArgumentException($"docstring: parameters must be in [2, {ParameterNames.Length / 2}], got {parameters}");
        if (descriptionLength < 0) throw new ArgumentException($"docstring: description length must be non-negative, got {descriptionLength}");
        (Parameters, DescriptionLength, gen) = (parameters, descriptionLength, new Generator(seed));
        words = [.. Specials, .. FunctionNames, .. ParameterNames, .. DescriptionWords];
        ids = words.Select((w, i) => (w, i)).ToDictionary(p => p.w, p => p.i);
    }

    public int Parameters { get; }
    public int DescriptionLength { get; }
    public int VocabSize => words.Length;
    public IReadOnlyList<string> Vocabulary => words;

    /// <summary>Tokens per prompt.</summary>
    public int PromptLength => 4 + 2 * Parameters + 1 + 2 + DescriptionLength + (Parameters - 1) * (4 + DescriptionLength) + 2;

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

    /// <summary>The next prompt of the seeded stream.</summary>
    public DocstringPrompt Next()
    {
        var names = Pick(ParameterNames.Length, 2 * Parameters);
        var clean = names[..Parameters].Select(i => ParameterNames[i]).ToArray();
        var other = names[Parameters..].Select(i => ParameterNames[i]).ToArray();
        string function = FunctionNames[gen.NextInt(FunctionNames.Length)];
        var descriptions = Enumerable.Range(0, Parameters).Select(_ => Description()).ToArray();
        int[] Prompt(string[] defNames) => ToTokens(Render(function, defNames, clean, descriptions));
        return new DocstringPrompt(Prompt(clean), Prompt(other), TokenId(clean[^1]), clean[..^1].Select(TokenId).ToArray());
    }

    /// <summary>A batch: clean and corrupted prompts int32 [n, PromptLength] and the answers int32 [n].</summary>
    public (Tensor Clean, Tensor Corrupted, Tensor Answers) Batch(int n)
    {
        if (n <= 0) throw new ArgumentException($"docstring: batch size must be positive, got {n}");
        var prompts = Enumerable.Range(0, n).Select(_ => Next()).ToArray();
        return (Tensor.FromArray(prompts.SelectMany(p => p.Clean).ToArray(), [n, PromptLength]),
                Tensor.FromArray(prompts.SelectMany(p => p.Corrupted).ToArray(), [n, PromptLength]),
                Tensor.FromArray(prompts.Select(p => p.Answer).ToArray()));
    }

    string Render(string function, string[] defNames, string[] docNames, string[] descriptions)
    {
        var sb = new StringBuilder($"def {function} ( self");
        foreach (var n in defNames) sb.Append($" , {n}");
        sb.Append($" ):\n\"\"\" {descriptions[0]}");
        for (int i = 0; i < docNames.Length - 1; i++) sb.Append($"\n:param {docNames[i]} : {descriptions[i + 1]}");
        return sb.Append("\n:param").ToString();
    }

    string Description() => string.Join(' ', Enumerable.Range(0, DescriptionLength).Select(_ => DescriptionWords[gen.NextInt(DescriptionWords.Length)]));

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
